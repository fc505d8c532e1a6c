"""The persona catalogue: what it covers, and how a bad persona file is refused."""

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from magda_kbi.domain.advies import Toepassing, geef_advies
from magda_kbi.domain.insz import is_test_number
from magda_kbi.io.json_output import persona_json
from magda_kbi.io.personas import (
    FixtureError,
    builtin_folder,
    fingerprint,
    load_personas,
    persona_files,
    stream_personas,
)

from .cli_run import magda_kbi
from .processes import free_port

MOCK_CSV = (
    Path(__file__).resolve().parents[2] / "shared/reference/magda-mock-geefpersoon-personas.csv"
)

GOOD = """\
insz: "80651338304"
scenario: Een geldige persona
dossier:
  personalia: {achternamen: [Nadzialek], voornamen: [Boris], geboortedatum: 1980-05-13}
  doelgroepen:
    - {code: JA, type: PLICHT, periode: {begin: 2023-01-02}}
"""


def test_at_least_16_personas_with_test_numbers(builtin_personas):
    assert len(builtin_personas) >= 16
    assert all(is_test_number(insz) for insz in builtin_personas)


def test_the_catalogue_reaches_every_rule_2_to_9(builtin_personas):
    reached = set()
    days = [date(2022, 1, 1) + (date(2022, 1, 2) - date(2022, 1, 1)) * n for n in range(0, 1900, 7)]
    for persona in builtin_personas.values():
        for day in days:
            reached.add(geef_advies(persona.dossier, day).regel)
    assert set(range(2, 10)) <= reached


def test_required_scenarios_are_there(builtin_personas):
    errors = {p.fout for p in builtin_personas.values()}
    assert {"99996", "SOAP_FAULT"} <= errors
    assert any(p.dossier is None for p in builtin_personas.values())


def test_a_persona_nok_for_premium_year_2023_and_ok_for_2024(builtin_personas):
    def premie(p, year):
        return geef_advies(p.dossier, date(year, 3, 1), Toepassing.VERLAAGDE_PREMIE).resultaat.value

    assert any(
        premie(p, 2023) == "NOK" and premie(p, 2024) == "OK" for p in builtin_personas.values()
    )


def test_answers_change_over_time(builtin_personas):
    """OK -> NOK -> OK for the remedied infringement and the postponed signing."""
    for insz in ("79652599875", "90651006540"):
        outcomes = [v.resultaat for v in builtin_personas[insz].verwacht]
        assert "NOK" in outcomes
        assert outcomes[0] == "OK" and outcomes[-1] == "OK"


def test_identities_match_the_magda_mock(builtin_personas):
    if not MOCK_CSV.exists():
        pytest.skip(f"{MOCK_CSV} is absent (a clone without ../shared)")
    import csv

    with MOCK_CSV.open(encoding="utf-8", newline="") as rows:
        mock = {r["insz"]: r for r in csv.DictReader(rows)}
    for persona in builtin_personas.values():
        row = mock.get(persona.insz)
        assert row is not None, f"{persona.insz} is not a MAGDA mock persona"
        if persona.dossier is not None:
            p = persona.dossier.personalia
            assert p.voornamen[0].lower() == row["voornaam"].lower()
            assert p.achternamen[0] == row["achternaam"]
            assert p.geboortedatum.isoformat() == row["geboortedatum"]


def write_file(tmp_path, naam, text):
    folder = tmp_path / "extra"
    folder.mkdir(exist_ok=True)
    (folder / naam).write_text(text, encoding="utf-8")
    return folder


def error_for(tmp_path, text) -> FixtureError:
    folder = write_file(tmp_path, "persona.yaml", text)
    with pytest.raises(FixtureError) as info:
        load_personas([folder])
    assert info.value.file.endswith("persona.yaml")
    return info.value


def test_a_valid_extra_file_loads(tmp_path):
    builtin_personas = load_personas([builtin_folder(), write_file(tmp_path, "p.yaml", GOOD)])
    assert "80651338304" in builtin_personas


def test_a_yml_file_is_a_persona_file_too(tmp_path):
    """YAML's other file ending: a persona in p.yml was passed over without a word (loaded
    by nobody, watched by nobody, the folder said to hold no persona files)."""
    folder = write_file(tmp_path, "p.yml", GOOD)
    before = fingerprint([folder])
    assert "80651338304" in load_personas([folder])
    assert "80651338304" in {p.insz for p in stream_personas([folder])}
    (folder / "p.yml").write_text(GOOD.replace("Een geldige persona", "Veranderd"), "utf-8")
    assert fingerprint([folder]) != before  # serve --watch sees it change


def test_the_watch_fingerprint_changes_with_a_persona_file_and_only_then(tmp_path):
    """What serve --watch compares twice a second: a persona file added, grown, touched,
    renamed or removed changes it; another file, or a folder not (yet) there, does not."""
    folder, missing = tmp_path / "personas", tmp_path / "not-yet"
    folder.mkdir()
    looks = [fingerprint([folder, missing])]

    def look(change) -> bool:
        change()
        looks.append(fingerprint([folder, missing]))
        return looks[-1] != looks[-2]

    persona = folder / "a.yaml"
    assert look(lambda: persona.write_text("x", "utf-8"))
    assert look(lambda: persona.write_text("xy", "utf-8"))
    assert look(lambda: os.utime(persona, ns=(0, 10**18)))
    assert look(lambda: persona.rename(folder / "b.yaml"))
    assert look(lambda: (folder / "c.jsonl").write_text("", "utf-8"))
    assert not look(lambda: (folder / "README.md").write_text("notes", "utf-8"))
    assert not look(lambda: (folder / "b.yaml.bak").write_text("old", "utf-8"))
    assert not look(lambda: None)
    assert look(lambda: (folder / "b.yaml").unlink())
    assert look(lambda: (missing.mkdir(), (missing / "d.yml").write_text("", "utf-8")))


@pytest.mark.parametrize(
    ("replacement", "field", "in_reden"),
    [
        (('"80651338304"', '"80051338304"'), "insz", "not a MAGDA test number"),
        (('"80651338304"', '"80651338305"'), "insz", "not a MAGDA test number"),
        # unquoted, YAML reads a number: it was "required, as a quoted string", as if missing
        (('"80651338304"', "80651338304"), "insz", "80651338304 is a number: an INSZ is text"),
        (('"80651338304"', "6721400144"), "insz", "lost its first 0 (quote it: '06721400144')"),
        (('insz: "80651338304"', ""), "insz", 'required, as a quoted string (e.g. "98630499724")'),
        (("type: PLICHT", "type: VERPLICHT"), "dossier.doelgroepen[0].type", "not one of"),
        # a code in another case is told the code meant
        (
            ("type: PLICHT", "type: plicht"),
            "dossier.doelgroepen[0].type",
            "'plicht' is not one of 'PLICHT', 'RECHT', 'RECHT_PLICHT', 'MINDERJARIG',"
            " 'NADER_TE_BEPALEN' or 'GEEN'; did you mean 'PLICHT'?",
        ),
        (
            ("begin: 2023-01-02", "begin: 2023-02-30"),
            "dossier.doelgroepen[0].periode.begin",
            "date",
        ),
        (("scenario:", "scenaro:"), "scenaro", "unknown field"),
        # a required field misspelt is named as written, with the field meant (it was
        # "dossier.doelgroepen[0].type: required field is missing")
        (
            ("type: PLICHT", "tpye: PLICHT"),
            "dossier.doelgroepen[0].tpye",
            "unknown field (allowed: code, periode, reden_geen_doelgroep, reden_vrijstelling,"
            " subtype, type); did you mean 'type'?",
        ),
        (("scenario:", "scenaro:"), "scenaro", "; did you mean 'scenario'?"),
        (("geboortedatum", "geboorte"), "dossier.personalia.geboorte", "unknown field"),
        (
            ("- {code: JA, type: PLICHT, periode: {begin: 2023-01-02}}", "- 5"),
            "dossier.doelgroepen[0]",
            "mapping",
        ),
        (
            (
                "doelgroepen:\n    - {code: JA, type: PLICHT, periode: {begin: 2023-01-02}}",
                "doelgroepen: 5",
            ),
            "dossier.doelgroepen",
            "list",
        ),
        (  # a dossier whose names are empty: the dossier is there, its name is not
            ("achternamen: [Nadzialek], voornamen: [Boris]", 'achternamen: [""]'),
            "naam",
            "required: the dossier's personalia give no name",
        ),
        (
            ("achternamen: [Nadzialek], voornamen: [Boris]", 'achternamen: [" "], voornamen: [""]'),
            "naam",
            "required: the dossier's personalia give no name",
        ),
        (("scenario:", "naam: 5\nscenario:"), "naam", "must be a text"),
        (  # as printed on the eID: "is not 11 digits" hid that it is a test number
            ('insz: "80651338304"', 'insz: "80.65.13-383.04"'),
            "insz",
            "'80.65.13-383.04' is written as printed: its 11 digits, 80651338304",
        ),
        (  # from a spreadsheet's column of numbers, which drops the first 0
            ('insz: "80651338304"', 'insz: "6721400144"'),
            "insz",
            "'6721400144' has lost its first 0: its 11 digits, 06721400144",
        ),
        # the error code written as a number, or in lower case; a sex as a letter
        (("scenario:", "fout: 99996\nscenario:"), "fout", "not 99996 (quote it: '99996')"),
        (
            ("scenario:", "fout: soap_fault\nscenario:"),
            "fout",
            "not 'soap_fault'; did you mean 'SOAP_FAULT'?",
        ),
        (
            ("geboortedatum: 1980-05-13", "geboortedatum: 1980-05-13, geslacht: M"),
            "dossier.personalia.geslacht",
            "'M' is not an integer (the KBI's code: 1 a man, 2 a woman)",
        ),
        (  # YAML's true is no number: pydantic read it as 1, a man
            ("geboortedatum: 1980-05-13", "geboortedatum: 1980-05-13, geslacht: true"),
            "dossier.personalia.geslacht",
            "true is not an integer (the KBI's code: 1 a man, 2 a woman)",
        ),
        (  # a day the calendar does not have: which of its numbers is wrong
            ("periode: {begin: 2023-01-02}", "periode: {begin: 2023-02-29}"),
            "dossier.doelgroepen[0].periode.begin",
            "'2023-02-29' is not a date (YYYY-MM-DD): day is out of range for month",
        ),
        (  # 2030 for 2003: a minor whatever the dossier says, so every advice OK (rule 3)
            ("geboortedatum: 1980-05-13", "geboortedatum: 2030-05-13"),
            "dossier.personalia.geboortedatum",
            "2030-05-13 is after the dossier's first fact, on 2023-01-02: is the year right?",
        ),
        (
            ("voornamen: [Boris]", 'voornamen: ["Bo\\x07ris"]'),  # YAML's escape: a bell
            "dossier.personalia.voornamen[0]",
            "U+0007 is a character XML cannot hold",
        ),
    ],
)
def test_a_bad_file_names_file_field_and_reason(tmp_path, replacement, field, in_reden):
    error = error_for(tmp_path, GOOD.replace(*replacement))
    assert error.field == field
    assert in_reden in error.reason


@pytest.mark.parametrize(
    ("toevoeging", "field", "reden"),
    [
        # a period's end is checked wherever a period is, not only at its first use
        (
            "  trajecten:\n    - {type: X, periode: {begin: 2024-01-02, einde: 2023-01-01}}\n",
            "dossier.trajecten[0].periode.einde",
            "is before the begin of the period",
        ),
        (
            "  aanmelding: {datum_aanmelding: 2023-02-01, reden: {code: X, kode: Y}}\n",
            "dossier.aanmelding.reden.kode",
            "unknown field (allowed: code, korte_naam, naam); did you mean 'code'?",
        ),
        (
            "  contracten:\n    - {datum_registratie: 2023-02-01, onderdeel_mo: misschien}\n",
            "dossier.contracten[0].onderdeel_mo",
            "'misschien' is not true/false",
        ),
        (
            "  trajecten:\n    - {type: X, periode: }\n",
            "dossier.trajecten[0].periode",
            "must not be empty",
        ),
        (
            "  contracten:\n    - {type: ICO07G}\n",
            "dossier.contracten[0].datum_registratie",
            "required field is missing",
        ),
        # a date is a YAML date or YYYY-MM-DD: 0 was 1970-01-01 (seconds since 1970), as
        # was any number; a date-time at midnight was its day
        (
            "  contracten:\n    - {datum_registratie: 0}\n",
            "dossier.contracten[0].datum_registratie",
            "0 is not a date (YYYY-MM-DD)",
        ),
        (
            "  contracten:\n    - {datum_registratie: '1704067200'}\n",
            "dossier.contracten[0].datum_registratie",
            "'1704067200' is not a date (YYYY-MM-DD)",
        ),
        (
            "  trajecten:\n    - {type: X, periode: {begin: '2024-01-01T00:00:00'}}\n",
            "dossier.trajecten[0].periode.begin",
            "'2024-01-01T00:00:00' is not a date (YYYY-MM-DD)",
        ),
        (
            "  aanmelding: {datum_aanmelding: 2023-02-01 00:00:00}\n",
            "dossier.aanmelding.datum_aanmelding",
            "'2023-02-01 00:00:00' is not a date (YYYY-MM-DD)",
        ),
        # an expected answer's misspelt reden was said to be missing ("NOK needs a reden")
        (
            "verwacht:\n  - {datum: 2024-09-01, resultaat: NOK, reden: GEEN_AANMELDNG}\n",
            "verwacht[0].reden",
            "'GEEN_AANMELDNG' is not a reden: one of INBREUK, GEEN_AANMELDING, GEEN_CONTRACT;"
            " did you mean 'GEEN_AANMELDING'?",
        ),
        (
            "verwacht:\n  - {datum: 2024-09-01, resultaat: nok, reden: GEEN_CONTRACT}\n",
            "verwacht[0].resultaat",
            "must be OK or NOK; did you mean 'NOK'?",
        ),
    ],
)
def test_nested_fields_are_checked_with_their_path(tmp_path, toevoeging, field, reden):
    error = error_for(tmp_path, GOOD + toevoeging)
    assert (error.field, error.reason) == (field, reden)


@pytest.mark.parametrize(
    ("gegevens", "field", "reden"),
    [
        (
            '  woonplaatsen: [{nis: "Leuven", naam: Leuven, begin: 2023-01-02}]\n',
            "gegevens.woonplaatsen[0].nis",
            "'Leuven' is not a NIS code (5 digits); Leuven's NIS code is 24062",
        ),
        (
            '  woonplaatsen: [{nis: "24062", naam: Leuven, begin: 2023-01-02},\n'
            '                 {nis: "24055", naam: Kortenberg, begin: 2023-01-02}]\n',
            "gegevens.woonplaatsen[1].begin",
            "2023-01-02 is also the begin of woonplaatsen[0]: one main residence at a time (a"
            " later begin replaces an earlier residence)",
        ),
        (
            '  lidmaatschappen: [{zorgkas: "", begin: 2020-01-01}]\n',
            "gegevens.lidmaatschappen[0].zorgkas",
            "is empty",
        ),
        (  # no consumer and no list's ?zorgkas= named it so: a member of nobody's
            '  lidmaatschappen: [{zorgkas: "ZK09 ", begin: 2020-01-01}]\n',
            "gegevens.lidmaatschappen[0].zorgkas",
            "'ZK09 ' has spaces around it: consumers and lists name a zorgkas without them",
        ),
        (  # the lists name 24062 Leuven: the person was listed where nobody meant
            '  woonplaatsen: [{nis: "24062", naam: Gent, begin: 2023-01-02}]\n',
            "gegevens.woonplaatsen[0].naam",
            "'Gent' is not the municipality of NIS code 24062 (Leuven); Gent's NIS code is 44021",
        ),
        (
            '  woonplaatsen: [{nis: "24062", naam: Heverlee, begin: 2023-01-02}]\n',
            "gegevens.woonplaatsen[0].naam",
            "'Heverlee' is not the municipality of NIS code 24062 (Leuven)",
        ),
    ],
    ids=[
        "nis-no-code",
        "two-residences-one-day",
        "zorgkas-empty",
        "zorgkas-spaces",
        "name-of-another-code",
        "name-not-the-codes",
    ],
)
def test_what_the_flows_select_on_is_checked(tmp_path, gegevens, field, reden):
    """Each was taken as written: a persona in two municipalities at once, or listed by a
    zorgkas called ""."""
    error = error_for(tmp_path, GOOD + "gegevens:\n" + gegevens)
    assert (error.field, error.reason) == (field, reden)
    # a later residence without an end for the earlier one is the written shorthand: taken
    moved = (
        '  woonplaatsen: [{nis: "24062", naam: Leuven, begin: 2023-01-02},\n'
        '                 {nis: "24055", naam: Kortenberg, begin: 2024-05-01}]\n'
    )
    folder = write_file(tmp_path, "persona.yaml", GOOD + "gegevens:\n" + moved)
    assert len(load_personas([folder])["80651338304"].gegevens.woonplaatsen) == 2
    # the register's name in another case or with a space for its hyphen, and a code the
    # register does not hold with any name: taken
    other = (
        '  woonplaatsen: [{nis: "31043", naam: knokke heist, begin: 2023-01-02},\n'
        '                 {nis: "52011", naam: Charleroi, begin: 2024-05-01}]\n'
    )
    folder = write_file(tmp_path, "persona.yaml", GOOD + "gegevens:\n" + other)
    assert len(load_personas([folder])["80651338304"].gegevens.woonplaatsen) == 2


def test_a_bare_code_and_a_number_as_text_are_accepted(tmp_path):
    text = GOOD + (
        "  aanmelding: {datum_aanmelding: 2023-02-01, type: HA, reden: 1}\n"
        "  uitstellen_van_aanmelding:\n    - {periode: {begin: 2023-01-05}, reden: ZIEKTE}\n"
        "  uitstellen_van_ondertekening:\n    - {periode: {begin: 2023-01-05}, reden: ZIEKTE}\n"
        "gegevens:\n  woonplaatsen:\n    - {nis: 24055, naam: Kortenberg, begin: 2023-01-02}\n"
    )
    persona = load_personas([write_file(tmp_path, "p.yaml", text)], contract=False)["80651338304"]
    assert persona.dossier.aanmelding.reden.code == "1"
    assert persona.dossier.uitstellen_van_aanmelding[0].reden.code == "ZIEKTE"
    assert persona.dossier.uitstellen_van_ondertekening[0].reden.code == "ZIEKTE"
    assert persona.gegevens.woonplaatsen[0].nis == "24055"


def test_a_persona_as_json_has_the_shape_of_its_file(tmp_path):
    """Unset fields and empty lists are left out, False is kept, dates are ISO text."""
    text = GOOD + (
        "  contracten:\n    - {datum_registratie: 2023-02-01, type: IC07G, onderdeel_mo: true}\n"
        "gegevens:\n  woonplaatsen:\n    - {nis: 24055, naam: Kortenberg, begin: 2023-01-02}\n"
    )
    persona = load_personas([write_file(tmp_path, "p.yaml", text)], contract=False)["80651338304"]
    assert persona_json(persona) == {
        "insz": "80651338304",
        "naam": "Boris Nadzialek",
        "scenario": "Een geldige persona",
        "fout": None,
        "dossier": {
            "personalia": {
                "achternamen": ["Nadzialek"],
                "voornamen": ["Boris"],
                "geboortedatum": "1980-05-13",
            },
            "doelgroepen": [{"code": "JA", "type": "PLICHT", "periode": {"begin": "2023-01-02"}}],
            "contracten": [
                {
                    "datum_registratie": "2023-02-01",
                    "type": "IC07G",
                    "onderdeel_mo": True,
                    "onderdeel_nt2": False,
                    "onderdeel_lo": False,
                }
            ],
        },
        "gegevens": {
            "woonplaatsen": [{"nis": "24055", "naam": "Kortenberg", "begin": "2023-01-02"}]
        },
    }


def test_period_end_before_begin(tmp_path):
    error = error_for(
        tmp_path, GOOD.replace("{begin: 2023-01-02}", "{begin: 2023-01-02, einde: 2022-01-01}")
    )
    assert error.field == "dossier.doelgroepen[0].periode.einde"


def test_codes_are_checked_against_the_contract(tmp_path):
    text = GOOD + "  contracten:\n    - {datum_registratie: 2023-02-01, type: ICO99X}\n"
    error = error_for(tmp_path, text)
    assert "Contract/Type" in error.field and "ICO99X" in error.reason


def test_a_time_of_day_stays_text(tmp_path):
    """YAML 1.1 reads 18:30 as a number in base 60 (1110): a lesson's hour written as the
    contract writes it must arrive as 18:30, not be refused as "1110"."""
    text = GOOD + (
        "  vormingsactiviteiten:\n"
        "    nt2_cursussen:\n"
        "      - id: fc3ee1aa-ad51-41ce-8703-f4e03e64da68\n"
        "        datum_inschrijving: 2023-01-30\n"
        "        lesmomenten: [{datum: 2023-02-06, aanvang_uur: 18:30, eind_uur: 21:30}]\n"
    )
    (persona,) = load_personas([write_file(tmp_path, "persona.yaml", text)]).values()
    (les,) = persona.dossier.vormingsactiviteiten.nt2_cursussen[0].lesmomenten
    assert (les.aanvang_uur, les.eind_uur) == ("18:30", "21:30")


def test_a_text_is_read_as_written_and_a_number_or_yes_no_field_as_before(tmp_path):
    """YAML 1.1 reads an unquoted 0470123456 as an octal number (a phone number arrived as
    "81831726"), +32470123456 as a number without its +, 1.50 as 1.5 and NO (Norway) as
    false: a text field got another text, or refused the written one. A number or yes/no
    field reads the same values as before."""
    text = GOOD.replace(
        "geboortedatum: 1980-05-13}", "geboortedatum: 1980-05-13, geslacht: 02}"
    ) + (
        "  contracten:\n"
        "    - {datum_registratie: 2023-02-01, onderdeel_mo: yes, onderdeel_nt2: on,"
        " onderdeel_lo: false}\n"
        "gegevens:\n"
        "  contact:\n"
        "    telefoon: 0470123456\n"
        "    email: a@b.be\n"
        "    adres: {straat: NO, huisnummer: 1.50, bus: 0x1F, postcode: 3000, gemeente: Leuven}\n"
    )
    (persona,) = load_personas([write_file(tmp_path, "persona.yaml", text)]).values()
    address = persona.gegevens.contact.adres
    assert (persona.gegevens.contact.telefoon, address.straat, address.huisnummer, address.bus) == (
        "0470123456",
        "NO",
        "1.50",
        "0x1F",
    )
    assert address.postcode == "3000"  # a plain number: its text
    (contract,) = persona.dossier.contracten
    assert (contract.onderdeel_mo, contract.onderdeel_nt2, contract.onderdeel_lo) == (
        True,
        True,
        False,
    )
    assert persona.dossier.personalia.geslacht == 2
    plus = text.replace("telefoon: 0470123456", "telefoon: +32470123456")
    (persona,) = load_personas([write_file(tmp_path, "persona.yaml", plus)]).values()
    assert persona.gegevens.contact.telefoon == "+32470123456"


@pytest.mark.parametrize(
    ("regels", "field", "reden"),
    [
        # a naam given, of another type, was told it is required
        ("naam: !!binary aGVsbG8=\n", "naam", "must be a text"),
        ("naam: 5\n", "naam", "must be a text"),
        ("", "naam", "required when there is no dossier"),
        # YAML's own types that JSON has not: the catalogue keeps a persona as JSON
        ("naam: x\ngegevens: {contact: {telefoon: !!binary aGVsbG8=}}\n", "-", "!!binary"),
    ],
)
def test_a_persona_without_a_dossier_names_what_is_wrong(tmp_path, regels, field, reden):
    error = error_for(tmp_path, f'insz: "80651338304"\nscenario: No dossier\n{regels}')
    assert error.field == field
    assert reden in error.reason


def test_yaml_merge_keys_give_a_mapping_its_anchor_s_fields(tmp_path):
    """``<<: *anchor`` is YAML's own, not a key given twice (the check of keys passes it)."""
    text = GOOD + (
        "  contracten:\n"
        "    - &eerste {datum_registratie: 2023-02-01, onderdeel_mo: true}\n"
        "    - <<: *eerste\n"
        "      datum_registratie: 2023-03-01\n"
    )
    (persona,) = load_personas([write_file(tmp_path, "persona.yaml", text)]).values()
    assert [(str(c.datum_registratie), c.onderdeel_mo) for c in persona.dossier.contracten] == [
        ("2023-02-01", True),
        ("2023-03-01", True),
    ]


@pytest.mark.parametrize("kind", ["pipe", "device", "folder", "broken-link"])
def test_a_persona_file_that_is_no_plain_file_is_refused_before_it_is_read(tmp_path, kind):
    """A pipe named p.yaml waited for ever, a link to /dev/zero read until memory ran out,
    a folder named d.yaml and a link to nothing were tracebacks (IsADirectoryError,
    FileNotFoundError). The folder's files are looked at before any is read."""
    import os

    folder = tmp_path / "extra"
    folder.mkdir()
    path = folder / "p.jsonl"
    {
        "pipe": lambda: os.mkfifo(path),
        "device": lambda: path.symlink_to("/dev/zero"),
        "folder": lambda: path.mkdir(),
        "broken-link": lambda: path.symlink_to(tmp_path / "nowhere"),
    }[kind]()
    with pytest.raises(FixtureError) as info:
        persona_files(folder)  # before: listed, then read
    reason = (
        "a link to nothing"
        if kind == "broken-link"
        else ("not a plain file (a folder, a pipe or a device)")
    )
    assert (info.value.file, info.value.field, info.value.reason) == (str(path), "-", reason)


def test_invalid_yaml(tmp_path):
    error = error_for(tmp_path, "insz: [unclosed\n")
    assert "YAML" in error.reason


def test_expected_answers_are_checked(tmp_path):
    error = error_for(tmp_path, GOOD + "verwacht:\n  - {datum: 2024-01-01, resultaat: NOK}\n")
    assert error.field == "verwacht[0].reden"


def test_duplicate_insz_across_folders(tmp_path):
    text = GOOD.replace("80651338304", "98630499724")
    folder = write_file(tmp_path, "dubbel.yaml", text)
    with pytest.raises(FixtureError) as info:
        load_personas([builtin_folder(), folder])
    assert info.value.field == "insz"
    # a built-in persona's number: the message says the ways out
    builtin = builtin_folder() / "98630499724-contract-lopend.yaml"
    assert info.value.reason == (
        f"98630499724 is already defined in {builtin} (a built-in persona: give yours"
        " another number, 'magda-kbi insz new' prints fresh ones; a running emulator with"
        " --admin takes a changed built-in persona through PUT /admin/personas/98630499724)"
    )


def test_serve_names_the_ways_out_for_a_copy_of_a_built_in_persona(tmp_path):
    """The catalogue's import (what serve does) says the same as the loader."""
    from magda_kbi.runtime.catalogue import import_files
    from magda_kbi.runtime.store import open_store

    folder = write_file(tmp_path, "kopie.yaml", GOOD.replace("80651338304", "98630499724"))
    store = open_store(f"sqlite:///{tmp_path}/s.db")
    with pytest.raises(FixtureError) as info:
        import_files(store, [builtin_folder(), folder])
    assert info.value.reason.startswith("98630499724 is already defined in ")
    assert info.value.reason.endswith(
        "(a built-in persona: give yours another number, "
        "'magda-kbi insz new' prints fresh ones; a running emulator with --admin takes a"
        " changed built-in persona through PUT /admin/personas/98630499724)"
    )


def test_serve_refuses_to_start_on_a_bad_file(tmp_path):
    folder = write_file(tmp_path, "slecht.yaml", GOOD.replace("type: PLICHT", "type: X"))
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "magda_kbi",
            "serve",
            "--port",
            str(free_port()),
            "--fixtures",
            str(folder),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert process.returncode == 2
    assert "slecht.yaml" in process.stderr and "dossier.doelgroepen[0].type" in process.stderr
    assert "Traceback" not in process.stderr


def test_the_readme_example_persona_loads_and_answers_as_it_says(tmp_path):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    example = readme.split("## Your own personas", 1)[1].split("```yaml\n", 1)[1]
    example = example.split("```", 1)[0]
    persona = load_personas([write_file(tmp_path, "voorbeeld.yaml", example)])["80651338304"]
    for v in persona.verwacht:
        advies = geef_advies(persona.dossier, v.datum, Toepassing(v.toepassing))
        assert (advies.resultaat.value, advies.reden) == (v.resultaat, v.reden)


def test_serve_watch_picks_up_added_changed_and_removed_files(tmp_path):
    import shutil

    import requests

    from .conftest import Server
    from .processes import within

    folder = tmp_path / "personas"
    folder.mkdir()
    server = Server("--watch", "--fixtures", str(folder), "--today", "2030-01-01")

    def dossier(insz: str) -> requests.Response:
        return requests.get(f"{server.url}/api/v1/dossiers/{insz}", timeout=5)

    try:
        source = builtin_folder() / "98630499724-contract-lopend.yaml"
        text = source.read_text(encoding="utf-8").replace("98630499724", "80651338304")
        (folder / "nieuw.yaml").write_text(text, encoding="utf-8")
        assert within(2, lambda: dossier("80651338304").status_code == 200)
        (folder / "nieuw.yaml").write_text(text.replace("[Daoud]", "[Nieuw]"), encoding="utf-8")
        assert within(
            2, lambda: dossier("80651338304").json()["personalia"]["achternamen"] == ["Nieuw"]
        )
        (folder / "kapot.yaml").write_text("insz: '85052012330'\nscenario: x\n", encoding="utf-8")
        assert within(
            2,
            lambda: (
                (
                    requests.get(f"{server.url}/health", timeout=5).json()["watch"]["error"] or ""
                ).find("kapot.yaml")
                >= 0
            ),
        )
        assert dossier("80651338304").status_code == 200  # the previous state stays
        (folder / "kapot.yaml").unlink()
        (folder / "nieuw.yaml").unlink()
        assert within(2, lambda: dossier("80651338304").status_code == 404)
        assert requests.get(f"{server.url}/health", timeout=5).json()["watch"]["error"] is None
        assert dossier("98630499724").status_code == 200  # the built-in ones are still there
        shutil.rmtree(folder)
    finally:
        output = server.stop()
    # by its one worker, once: serve itself watched too, importing and saying each change again
    assert output.count("persona files not reloaded, the previous ones stay: ") == 1, output


def test_under_watch_files_the_catalogue_cannot_take_are_imported_once_it_can(tmp_path):
    """serve --watch with its persona catalogue (the cache folder) on a full disk: the
    import of a new file failed, the change was taken as seen and never tried again once the
    disk had room, /health said nothing and the log had a traceback. Now: said once, tried
    again (every 5 s) and taken. The cache folder is a tmpfs of serve's own, filled."""
    import requests

    from .conftest import serve_on_a_tmpfs
    from .processes import fill, within

    cache, folder, more = tmp_path / "cache", tmp_path / "personas", tmp_path / "more"
    cache.mkdir()
    folder.mkdir()
    made = magda_kbi("generate", "--count", "300", "--seed", "7", "--out", str(more))
    assert made.returncode == 0, made.stderr
    env = {"MAGDA_KBI_CACHE_DIR": str(cache)}
    server = serve_on_a_tmpfs(cache, "--watch", "--fixtures", str(folder), env=env)

    def watch() -> dict:
        health = requests.get(f"{server.url}/health", timeout=10).json()
        return {"personas": health["personas"], "error": health["watch"]["error"]}

    try:
        assert watch() == {"personas": 23, "error": None}
        fill(Path(f"/proc/{server.process.pid}/root{cache}") / "filler")
        for population in more.iterdir():
            population.rename(folder / population.name)
        cannot = "the persona catalogue cannot take them now: database or disk is full"
        assert within(10, lambda: watch()["error"] == cannot), watch()
        assert watch() == {"personas": 23, "error": cannot}
        (Path(f"/proc/{server.process.pid}/root{cache}") / "filler").unlink()
        assert within(15, lambda: watch() == {"personas": 323, "error": None}), watch()
    finally:
        output = server.stop()
    said = [line for line in output.splitlines() if line.startswith("persona files ")]
    assert said == [
        f"persona files not reloaded, the previous ones stay: {cannot}",
        "persona files reloaded: 323 personas",
    ], output


def test_a_cache_folder_on_a_full_disk_is_passed_over_with_a_note(tmp_path):
    """The persona catalogue in the cache folder (~/.cache by default) on a full disk: serve
    was refused ("the persona catalogue ...: database or disk is full"), though the cache
    only saves time. Now it says so in a note and imports into the run's own store."""
    import requests

    from .conftest import serve_on_a_tmpfs

    cache = tmp_path / "cache"
    cache.mkdir()
    env = {"MAGDA_KBI_CACHE_DIR": str(cache)}
    server = serve_on_a_tmpfs(cache, "--today", "2025-06-01", env=env, size="1m", full=True)
    try:
        health = requests.get(f"{server.url}/health", timeout=10).json()
        dossier = requests.get(f"{server.url}/api/v1/dossiers/98630499724", timeout=10)
    finally:
        output = server.stop()
    assert (health["status"], health["personas"], dossier.status_code) == ("ok", 23, 200)
    notes = [line for line in output.splitlines() if "persona catalogue" in line]
    assert len(notes) == 1, output
    assert notes[0].startswith(f"magda-kbi: note: the persona catalogue {cache}/catalogue-")
    assert notes[0].endswith(
        ".sqlite: database or disk is full): this run imports the personas into its own store"
        " (MAGDA_KBI_CACHE_DIR names another cache folder)"
    ), notes
    personas = [line for line in output.splitlines() if line.startswith("  personas: ")]
    assert len(personas) == 1 and personas[0].startswith("  personas: sqlite:////"), output
    assert "/magda-kbi-store-" in personas[0] and "/catalogue.db (ready in " in personas[0]


def test_a_reload_after_a_refused_one_clears_the_refusal_before_the_personas_change(tmp_path):
    """/health's watch error went away only after the new personas were in force: a client
    that saw them (a removed file's persona gone) read the old refusal now and then."""
    from magda_kbi.runtime.fixture_watch import FixtureWatcher

    class Runtime:
        def __init__(self) -> None:
            self.error_seen: list[str | None] = []

        def reload(self, personas) -> None:
            self.error_seen.append(watcher.error)

    folder = tmp_path / "personas"
    folder.mkdir()
    runtime = Runtime()
    watcher = FixtureWatcher(runtime, [folder])  # type: ignore[arg-type]
    (folder / "kapot.yaml").write_text("insz: '85052012330'\nscenario: x\n", encoding="utf-8")
    assert watcher.check_for_changes() is False
    assert watcher.error is not None and "kapot.yaml" in watcher.error
    (folder / "kapot.yaml").unlink()
    assert watcher.check_for_changes() is True
    assert runtime.error_seen == [None]


def an_emulator_in_a_reload(tmp_path, hold):
    """An emulator watching a folder (catalogue and state in SQLite) whose watcher is in the
    reload of a persona file just added: ``hold()`` runs first in it. The reload's outcome
    (the personas read, or the error) goes to the list returned."""
    import threading

    from magda_kbi.adapters.app import Settings, make_emulator

    folder = tmp_path / "personas"
    folder.mkdir()
    store = f"sqlite:///{tmp_path / 'store.db'}"
    emulator = make_emulator(
        Settings(date(2030, 1, 1), [folder], watch=True, store=store, catalogue=store)
    )
    watcher = emulator.watcher
    assert watcher is not None
    started, outcome = threading.Event(), []
    load = watcher.load

    def held_load():
        started.set()
        hold()
        try:
            outcome.append(load())
        except Exception as error:
            outcome.append(error)
            raise
        return outcome[-1]

    watcher.load = held_load
    source = builtin_folder() / "98630499724-contract-lopend.yaml"
    text = source.read_text(encoding="utf-8").replace("98630499724", "80651338304")
    (folder / "nieuw.yaml").write_text(text, encoding="utf-8")
    assert started.wait(5)
    return emulator, outcome


def test_closing_the_emulator_waits_for_the_reload_in_progress(tmp_path):
    """The stores were closed under the watcher's reload: it failed ("the store is closed"),
    or could meet its connection closed in the middle of a query."""
    import time

    emulator, outcome = an_emulator_in_a_reload(tmp_path, lambda: time.sleep(0.5))
    emulator.close()  # while the reload waits
    assert outcome, "close() returned before the reload ended"
    assert not isinstance(outcome[0], Exception), outcome[0]
    watcher = emulator.watcher
    assert watcher.error is None and watcher.last_loaded is not None  # taken, not refused


def test_a_worker_whose_serve_is_gone_does_not_wait_for_a_reload(tmp_path):
    """serve killed: its workers go within a second (issue 11). What a worker does first
    is not the emulator's close(), which waits for the watcher's reload in progress."""
    import threading

    from magda_kbi.adapters.server import before_exit

    release = threading.Event()
    emulator, _ = an_emulator_in_a_reload(tmp_path, lambda: release.wait(30))
    going = threading.Thread(target=before_exit, args=(emulator,))
    going.start()
    going.join(5)
    try:
        assert not going.is_alive(), "it waited for the reload"
    finally:
        release.set()
        going.join()
        emulator.close()


def test_with_two_workers_a_change_is_imported_and_said_once(tmp_path):
    """Each worker watches; each imported a changed file and each said so: two lines for
    one change (and three while serve watched too). And each said a refusal."""
    import time

    import requests

    from .conftest import Server
    from .processes import within

    folder = tmp_path / "personas"
    folder.mkdir()
    server = Server("--watch", "--workers", "2", "--fixtures", str(folder))
    try:
        source = builtin_folder() / "98630499724-contract-lopend.yaml"
        text = source.read_text(encoding="utf-8").replace("98630499724", "80651338304")
        (folder / "nieuw.yaml").write_text(text, encoding="utf-8")
        url = f"{server.url}/api/v1/dossiers/80651338304"
        assert within(3, lambda: requests.get(url, timeout=5).status_code == 200)
        time.sleep(2)  # four looks (every 0.5 s) for the other worker
        # a file made bad: each worker finds it and each said so (one line per worker)
        (folder / "nieuw.yaml").write_text(text + "a: [\n", encoding="utf-8")
        time.sleep(2)
        assert requests.get(url, timeout=5).status_code == 200  # the previous ones stay
    finally:
        output = server.stop()
    assert output.count("persona files reloaded: 24 personas") == 1, output
    assert output.count("persona files not reloaded, the previous ones stay") == 1, output


def a_persona_folder(tmp_path: Path) -> tuple[Path, str]:
    """A folder with one persona file, nieuw.yaml (the fullest built-in one as 80651338304),
    and its text."""
    folder = tmp_path / "personas"
    folder.mkdir()
    source = builtin_folder() / "98630499724-contract-lopend.yaml"
    text = source.read_text(encoding="utf-8").replace("98630499724", "80651338304")
    (folder / "nieuw.yaml").write_text(text, encoding="utf-8")
    return folder, text


def test_a_sighup_reads_changed_files_and_refuses_bad_ones(tmp_path):
    """Without --watch a SIGHUP restarts the workers on the files as they are. A persona or
    consumers file made bad then stopped every new worker, and serve with them (exit 1);
    now serve checks the files first, refuses the SIGHUP in one line, and the workers that
    run go on as they are."""
    import signal

    import requests

    from .conftest import Server
    from .processes import within

    folder, text = a_persona_folder(tmp_path)
    afnemers = tmp_path / "afnemers.yaml"
    afnemers.write_text('afnemers:\n  - {afzender: a.be, hoedanigheid: "1", soort: VSB, naam: A}\n')
    server = Server("--fixtures", str(folder), "--consumers", str(afnemers), "--workers", "2")

    def achternamen() -> list[str]:
        antwoord = requests.get(f"{server.url}/api/v1/dossiers/80651338304", timeout=5)
        return antwoord.json()["personalia"]["achternamen"]

    def refused() -> int:
        return "".join(server._output).count("SIGHUP refused")

    try:
        assert achternamen() == ["Daoud"]
        (folder / "nieuw.yaml").write_text(text.replace("[Daoud]", "[Nieuw]"), encoding="utf-8")
        server.process.send_signal(signal.SIGHUP)
        assert within(15, lambda: achternamen() == ["Nieuw"])

        (folder / "nieuw.yaml").write_text(text + "onbekend: 1\n", encoding="utf-8")
        server.process.send_signal(signal.SIGHUP)
        assert within(15, lambda: refused() == 1)
        (folder / "nieuw.yaml").write_text(text.replace("[Daoud]", "[Nieuw]"), encoding="utf-8")
        afnemers.write_text("afnemers: geen lijst\n")
        server.process.send_signal(signal.SIGHUP)
        assert within(15, lambda: refused() == 2)
        assert achternamen() == ["Nieuw"]
        assert server.process.poll() is None
    finally:
        output = server.stop()
    assert server.process.returncode == 0, output
    assert (
        "SIGHUP refused, the workers go on as they are: invalid persona file "
        f"{folder / 'nieuw.yaml'}: field onbekend: unknown field (allowed: dossier, fout, gegevens,"
        " insz, naam, scenario, verwacht)\n"
    ) in output
    assert (
        "SIGHUP refused, the workers go on as they are: invalid consumers file"
        f" {afnemers.resolve()}: field afnemers: expected a mapping with a list 'afnemers'\n"
    ) in output
    assert "Traceback" not in output and "Overwriting" not in output


def test_under_watch_a_consumers_change_refused_for_a_bad_persona_file_is_taken_later(tmp_path):
    """serve --watch takes a changed consumers file as a SIGHUP does. Changed while a persona
    file was bad, the SIGHUP is refused; once the persona file is mended (the workers' own
    watch takes it), the SIGHUP is sent again and the consumers change is taken, not lost."""
    import requests

    from .conftest import Server
    from .processes import within

    folder, text = a_persona_folder(tmp_path)
    afnemers = tmp_path / "afnemers.yaml"

    def consumers_file(afzender: str) -> None:
        afnemers.write_text(
            f'afnemers:\n  - {{afzender: {afzender}, hoedanigheid: "1", soort: VSB, naam: A}}\n'
        )

    consumers_file("oud.be")
    server = Server("--fixtures", str(folder), "--consumers", str(afnemers), "--watch")

    def senders() -> list[str]:
        antwoord = requests.get(f"{server.url}/api/v1/consumers", timeout=5)
        return [c["afzender"] for c in antwoord.json()]

    def said(what: str) -> int:
        return "".join(server._output).count(what)

    try:
        assert "oud.be" in senders()
        (folder / "nieuw.yaml").write_text(text + "onbekend: 1\n", encoding="utf-8")
        assert within(15, lambda: said("persona files not reloaded") == 1)
        consumers_file("nieuw.be")
        assert within(15, lambda: said("SIGHUP refused") == 1)
        assert "nieuw.be" not in senders()
        (folder / "nieuw.yaml").write_text(text, encoding="utf-8")
        assert within(15, lambda: "nieuw.be" in senders() and "oud.be" not in senders())
        assert server.process.poll() is None
    finally:
        output = server.stop()
    assert server.process.returncode == 0, output
    assert output.count("SIGHUP refused") == 1, output
    assert "Traceback" not in output


def test_a_reload_keeps_what_the_admin_api_changed_until_a_reset(builtin_personas):
    from dataclasses import replace

    from magda_kbi.runtime.diensten import Runtime

    runtime = Runtime(dict(builtin_personas))
    own = replace(builtin_personas["98630499724"], scenario="changed through the admin API")
    runtime.set_persona(own)
    runtime.remove_persona("73680599786")
    new = {k: v for k, v in builtin_personas.items() if k != "79611034583"}  # a file was removed
    runtime.reload(new)
    assert runtime.personas["98630499724"] is own
    assert "73680599786" not in runtime.personas and "79611034583" not in runtime.personas
    runtime.reset()
    assert runtime.personas == new


LONG_NUMBER = "9" * 5000  # Python reads no integer of more than 4,300 digits from text


@pytest.mark.parametrize(
    ("naam", "inhoud", "message"),
    [
        (
            "a.yaml",
            'insz: "80651338304"\nscenario: een\nnaam: A B\nscenario: twee\n',
            "not valid YAML: the key 'scenario' twice at line 4, column 1\n",
        ),
        (  # PyYAML's four lines, in one
            "a.yaml",
            'insz: "80651338304"\nscenario: [een, twee\nnaam: A B\n',
            "not valid YAML: did not find expected ',' or ']' at line 3, column 5 (while"
            " parsing a flow sequence at line 2, column 11)\n",
        ),
        (  # two personas in one file
            "a.yaml",
            'insz: "80651338304"\nscenario: een\n---\ninsz: "80651439361"\nscenario: twee\n',
            "not valid YAML: a second document ('---') at line 3: a file holds one document\n",
        ),
        (
            "a.yaml",
            '- {insz: "80651338304", scenario: een}\n- {insz: "80651439361", scenario: twee}\n',
            "expected a mapping (key: value) of one persona, not a list\n",
        ),
        (
            "a.yaml",
            'insz: "80651338304"\nscenario: x\nnaam: A B\ndossier:\n  personalia:\n'
            f"    achternamen: [A]\n    geslacht: {LONG_NUMBER}\n",
            "not valid YAML: a number of more than 4300 digits",
        ),
        (
            "population-00001.jsonl",
            '{"insz": "80651338304", "scenario": "x", "naam": "A", "scenario": "y"}\n',
            "population-00001.jsonl:1: not valid JSON: the key 'scenario' twice in one object",
        ),
        (
            "population-00001.jsonl",
            f'{{"insz": "80651338304", "scenario": "x", "naam": "A", "x": {LONG_NUMBER}}}\n',
            "population-00001.jsonl:1: not valid JSON: a number of more than 4300 digits",
        ),
    ],
    ids=[
        "yaml-key-twice",
        "yaml-unclosed",
        "yaml-two-documents",
        "yaml-list",
        "yaml-long-number",
        "jsonl-key-twice",
        "jsonl-long-number",
    ],
)
def test_a_key_twice_or_a_number_too_long_is_refused_in_one_line(tmp_path, naam, inhoud, message):
    """A key given twice kept its last value without a word (a second dossier block pasted
    below the first replaced it); a number of 5,000 digits was a traceback (int()'s
    ValueError) in every command and at serve's start."""
    (tmp_path / naam).write_text(inhoud, encoding="utf-8")
    process = magda_kbi("personas", "--fixtures", str(tmp_path))
    assert process.returncode == 2 and "Traceback" not in process.stderr, process.stderr
    assert (
        process.stderr.startswith("magda-kbi: invalid persona file ") and message in process.stderr
    )
    assert process.stderr.count("\n") == 1, process.stderr


def test_a_population_file_saved_with_a_byte_order_mark_is_read(tmp_path):
    """Notepad saves UTF-8 with a byte order mark: its first line was "not valid JSON",
    whether the file was read whole (serve) or a line at a time (the exports)."""
    import json

    from magda_kbi.io.checked_files import CheckedFiles

    personas = load_personas([builtin_folder()], contract=False)
    regels = [json.dumps(persona_json(personas[insz])) for insz in ("98630499724", "73680599786")]
    folder = tmp_path / "populatie"
    folder.mkdir()
    (folder / "p.jsonl").write_bytes(b"\xef\xbb\xbf" + "\n".join(regels).encode("utf-8"))
    expected = ["98630499724", "73680599786"]
    assert [p.insz for p in stream_personas([folder])] == expected
    checked = CheckedFiles(tmp_path / "checked.sqlite")
    assert list(load_personas([folder], checked=checked)) == expected


def test_half_a_character_in_a_json_persona_is_refused_where_it_is(tmp_path):
    """JSON's \\ud800 without its other half makes a text no file, store or reply can hold:
    serve's import of the catalogue ended in a traceback (its search text), the admin API
    with a store in a 500. A pair (an emoji written as two escapes) is one character."""
    folder = tmp_path / "personas"
    folder.mkdir()
    (folder / "a.jsonl").write_text(
        '{"insz": "98652505064", "scenario": "an emoji: \\ud83d\\ude00", "naam": "Ann"}\n'
        '{"insz": "46670184179", "scenario": "pasted", "dossier": {"personalia":'
        ' {"achternamen": ["Peeters\\udc80"], "voornamen": ["Ann"]}}}\n',
        encoding="utf-8",
    )
    with pytest.raises(FixtureError) as refused:
        load_personas([folder])
    assert str(refused.value) == (
        f"{folder / 'a.jsonl'}:2: dossier.personalia.achternamen[0]: U+DC80 is half a"
        " character (a UTF-16 surrogate: an escape such as \\ud83d without its other half):"
        " write the character itself"
    )
    (folder / "a.jsonl").write_text(
        '{"insz": "98652505064", "scenario": "an emoji: \\ud83d\\ude00", "naam": "Ann"}\n'
    )
    assert load_personas([folder])["98652505064"].scenario == "an emoji: 😀"
