"""Whatever a persona may hold, its reply fits the real contract.

Persona files (and the admin API's personas) are checked at load time against our XSD of
both versions, so that a value the real platform never sends stops there instead of reaching
a consumer. That holds only where our XSD is as strict as the real one. For every text,
date and number of a dossier that fills every field the model has, this finds the longest
and shortest text and the edge dates the check accepts, and validates both versions'
replies against the real response XSD (``../shared/reference``).
"""

from __future__ import annotations

import dataclasses
import json
import re
import typing

import pytest
from lxml import etree

from magda_kbi.domain import dossier as model
from magda_kbi.io.personas import persona_from_data
from magda_kbi.io.schemas import InputError
from magda_kbi.wire.dossier_kbi import V01, V02, control_reply
from magda_kbi.wire.xml import wsdl_folder

from . import reference

XS = "{http://www.w3.org/2001/XMLSchema}"

CODE = {"code": "15", "naam": "Derden", "korte_naam": "Derden"}
PERIODE = {"begin": "2022-04-04", "einde": "2024-04-04"}
STATUS = {
    "code": "TO_STA_31",
    "begin": "2022-10-28",
    "einde": "2023-10-28",
    "onbepaald_tot": "2023-12-31",
    "reden_gpa": CODE,
}
PARTNER_ADRES = {
    "straat": "Voorbeeldstraat",
    "straat_nis": "1234",
    "huisnummer": "26",
    "bus": "1",
    "postcode": "3000",
    "gemeente": "Leuven",
    "gemeente_nis": "24062",
    "land": "België",
    "land_iso": "BEL",
    "land_nis": "150",
}
PARTNER_CONTACT = {
    "achternamen": ["Wouters"],
    "voornamen": ["An"],
    "email": "nt2@cvo-leuven.test",
    "telefoon": "016 00 00 20",
    "gsm": "0470 00 00 20",
    "fax": "016 00 00 21",
}
VESTIGING = {"kbo_nummer": "2150042117", "kbi_nummer": "F31A1E14793F4C57977729EE23AAC568"}
LESMOMENT = {
    "datum": "2022-09-05",
    "aanvang_uur": "18:30",
    "eind_uur": "21:30",
    "aanwezigheidsduur": "03:00",
    "aanwezigheid": "AANWEZIG",
}

# Every field of the dossier model, each with a value the check accepts (written out: the
# test must not take its cases from the code it checks; a guard below keeps it complete).
DOSSIER = {
    "personalia": {
        "achternamen": ["Daoud", "El Amrani"],
        "voornamen": ["Saïd", "Karim"],
        "geboortedatum": "1998-03-04",
        "geslacht": 1,
        "uniek_nummer": "K0012345",
        "aangemaakt_door": VESTIGING,
    },
    "klantprofiel": {
        "werksituatie": "Werkzoekend",
        "werkritme": "Voltijds",
        "perspectieven": [CODE],
        "totaal_aantal_jaren_scholing": 12,
        "hoogst_behaald_diploma": "Secundair onderwijs",
        "land_diploma": "Afghanistan",
        "oefenkansen": "Praat Nederlands met de buren",
        "omgevingsfactoren": "Twee jonge kinderen",
        "motivaties": "Wil als elektricien werken",
        "specifieke_klantengroep": "Anderstalige nieuwkomer",
        "ict_vaardigheden": [
            {"naam": "E-mail", "niveau": "Zelfstandig", "datum_laatst_gewijzigd_op": "2022-05-02"}
        ],
        "ict_middelen": [
            {
                "naam": "Laptop",
                "beschikbaar": True,
                "oplossingsdatum": "2022-06-15",
                "soort_oplossing": CODE,
                "datum_laatst_gewijzigd_op": "2022-06-15",
            }
        ],
    },
    "doelgroepen": [
        {
            "code": "JA",
            "type": "PLICHT",
            "subtype": "DOELGROEP",
            "periode": PERIODE,
            "reden_vrijstelling": CODE,
            "reden_geen_doelgroep": CODE,
        }
    ],
    "attesten": [
        {
            "datum_aanmaak": "2023-06-30",
            "datum_ondertekening": "2023-07-03",
            "type": "AI023",
            "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
            "aangemaakt_door": VESTIGING,
        }
    ],
    "contracten": [
        {
            "datum_registratie": "2022-06-20",
            "type": "ICO13G",
            "onderdeel_mo": True,
            "onderdeel_nt2": True,
            "onderdeel_lo": False,
            "aangemaakt_door": VESTIGING,
            "addenda": [
                {
                    "datum_registratie": "2023-08-28",
                    "type": "AIC21G",
                    "onderdeel_mo": True,
                    "onderdeel_nt2": False,
                    "onderdeel_lo": True,
                    "aangemaakt_door": VESTIGING,
                }
            ],
            "opschortingen": [{"periode": PERIODE, "reden": CODE}],
        }
    ],
    "uitstellen_van_ondertekening": [{"periode": PERIODE, "reden": CODE}],
    "aanmelding": {
        "datum_aanmelding": "2022-05-02",
        "type": "HA",
        "reden": CODE,
        "aanmeldingsplaats": VESTIGING,
    },
    "uitstellen_van_aanmelding": [{"periode": PERIODE, "reden": CODE}],
    "trajecten": [
        {
            "type": "TT_IBVP",
            "periode": PERIODE,
            "status": {"code": "OP", "begin": "2022-05-02", "einde": "2024-04-04"},
            "start_datum_vormingstraject": "2022-07-04",
            "onderdelen": [
                {
                    "type": "TO_OB_MO",
                    "periode": PERIODE,
                    "status": STATUS,
                    "besluit": {"code": "VO", "datum_toekenning": "2022-10-28", "reden": CODE},
                }
            ],
            "beheerder": {
                "periode": PERIODE,
                "kbi_vestiging": VESTIGING,
                "contactpersoon": {
                    "achternamen": ["Peeters"],
                    "voornamen": ["Els"],
                    "email": "els.peeters@agentschap.test",
                    "telefoon": "016 00 00 10",
                    "gsm": "0470 00 00 10",
                    "fax": "016 00 00 11",
                },
                "kbi_loket": "Onthaalbureau Leuven",
            },
            "besluit": {"code": "JA_IB", "datum_toekenning": "2024-04-04", "reden": CODE},
        }
    ],
    "inbreuken": [
        {
            "datum_vaststelling": "2023-02-01",
            "type": "1",
            "sanctionerende_overheid": "VDAB",
            "rechtzetting": {
                "document_id": "67fd66ef-df32-49ec-9083-d6ec9388f144",
                "datum_ondertekening": "2023-05-15",
                "datum_aanmaak": "2023-05-01",
                "aangemaakt_door": VESTIGING,
            },
            "datum_ingebrekestelling_verzonden": "2023-02-06",
            "motivering": "niet deelgenomen",
            "activiteiten": [
                {
                    "type": "A_BRIEF",
                    "datum_uitgevoerd": "2023-02-06",
                    "id": "8a80a29e-5a7e-42f3-915a-93e1c68e0479",
                    "commentaar": "Brief verstuurd",
                }
            ],
            "communicaties": [{"datum_aanmaak": "2023-02-06", "type_document": CODE}],
        }
    ],
    "vormingsactiviteiten": {
        "mo_cursussen": [
            {
                "id": "5d28bb04-5d74-427f-8b50-fd4ea8697b71",
                "nummer": "MO-LEU-2022-031",
                "datum_inschrijving": "2022-06-20",
                "naam": "Maatschappelijke oriëntatie",
                "taal": "ENG",
                "lesplaats": "Leuven",
                "periode": PERIODE,
                "datum_uitschrijving": "2022-09-02",
                "individueel": True,
                "lesmomenten": [LESMOMENT],
            }
        ],
        "nt2_cursussen": [
            {
                "id": "fc3ee1aa-ad51-41ce-8703-f4e03e64da68",
                "datum_inschrijving": "2022-08-22",
                "centrum": {
                    "davinci_instellingsnummer": "126433",
                    "naam": "CVO Leuven",
                    "extern_id": "CVO-LEU-01",
                    "adres": PARTNER_ADRES,
                    "contactgegevens": PARTNER_CONTACT,
                },
                "vestiging": CODE,
                "opleiding": CODE,
                "module": CODE,
                "periode": PERIODE,
                "datum_uitschrijving": "2023-03-10",
                "status": "UITGESCHREVEN",
                "besluit": "NT_DEELGENOMEN",
                "lesmomenten": [LESMOMENT],
                "geannuleerd": False,
                "cursus_code": "NT2-LEU-2023-A2-07",
                "aantal_lestijden_afstandsonderwijs": 4,
                "naam": "Nederlands A2 avond",
                "specifiek_aanbod": "Avondcursus",
                "module_variant": CODE,
                "plafond_overschreden": "Nee",
                "tarief": "Vrijgesteld",
                "totaal_te_betalen_cursusgeld": 120,
                "totaal_te_betalen_boekengeld": 35,
            }
        ],
        "plo_cursussen": [
            {
                "id": "a892e204-b69b-4193-8ae4-ff333ca0364e",
                "periode": PERIODE,
                "naam": "Loopbaanoriëntatie",
                "besluit": {"datum_toekenning": "2024-04-04", "voldaan": True, "reden": CODE},
            }
        ],
        "nt2_testen": [
            {
                "datum_afgelegd": "2023-01-20",
                "categorie": "Eindtest",
                "niveau": "A1",
                "resultaat": "Geslaagd",
            }
        ],
    },
    "afgelegde_testen": [
        {
            "id": "0c4e2a7d-3f1b-4d8e-9a65-2b7c1e9f4a30",
            "nummer": "NT-2022-08812",
            "datum": "2022-08-10",
            "type": CODE,
            "versie": "2022",
            "taal": "NL",
            "toeleiding_id": "30b93c08-cddb-41e2-8682-7eac81cb308d",
            "resultaat": CODE,
            "status": "AFGEROND",
            "opdrachtgever": "Agentschap Integratie en Inburgering",
            "naam_test": "Niveautest NT2",
            "resultaat_type": CODE,
            "score_behaald": "31",
            "score_totaal": "50",
            "conclusie_type": "Conclusie instapniveau",
            "conclusie_resultaat": "A1",
            "attest_type": "HvN-ATTESTNL",
            "attest_naam": "HvN attest thuistaal Nederlands",
            "attest_datum": "2022-08-24",
        }
    ],
    "adviezen": {"hvn": CODE, "arbeidsmarkt": "AR"},
    "perspectieven": {"hvn": CODE, "ob": CODE},
    "toeleidingen_diplomagelijkschakeling": [
        {
            "start_datum": "2022-11-07",
            "status": "GD",
            "diploma_naam": "Diploma secundair onderwijs",
            "onderwijsinstelling": "Lycée Esteqlal, Kabul",
            "erkenningsinstantie": {
                "davinci_instellingsnummer": "1",
                "naam": "NARIC-Vlaanderen",
                "extern_id": "NARIC",
                "adres": PARTNER_ADRES,
                "contactgegevens": PARTNER_CONTACT,
            },
            "reden": CODE,
            "type": CODE,
            "datum_ingediend_bij_partner": "2022-11-21",
            "datum_antwoord_partner": "2023-04-14",
            "antwoord_partner_code": CODE,
            "opdrachtgever": "Agentschap Integratie en Inburgering",
            "dossiernummer_bij_partner": "NARIC-2022-018734",
            "type_certificaat": "Diploma",
            "module_naam": "Elektriciteit",
            "niveau": "Secundair onderwijs",
            "datum_behaald": "2016-06-30",
            "vaardigheden": ["Huisinstallaties"],
            "geregistreerd_in": {"werking": "Gelijkwaardigheid", "entiteit": "NARIC-Vlaanderen"},
        }
    ],
    "toeleidingen_partner": [
        {
            "datum_ontvangen": "2022-04-20",
            "externe_id": "30b93c08-cddb-41e2-8682-7eac81cb308d",
            "van": {
                "davinci_instellingsnummer": "126433",
                "naam": "OCMW Kortenberg",
                "extern_id": "OCMW-KORTENBERG",
                "adres": PARTNER_ADRES,
                "contactgegevens": PARTNER_CONTACT,
            },
            "naar": VESTIGING,
            "status": "VW",
            "reden": "INB_OPV",
            "reden_omschrijving": "Doorverwezen door het OCMW",
            "commentaar": "Tolk niet nodig",
        }
    ],
    "wachtlijst": [{"datum": "2023-08-21", "code": CODE, "module": CODE}],
    "voorkeuren_klant": {
        "datum_gewenste_start": "2022-05-02",
        "reden_datum_gewenste_start": CODE,
        "intensiteit": 2,
        "centra": [
            {
                "davinci_instellingsnummer": "126433",
                "naam": "CVO Leuven",
                "extern_id": "CVO-LEU-01",
                "adres": PARTNER_ADRES,
                "contactgegevens": PARTNER_CONTACT,
            }
        ],
        "postkantoncodes": ["3070"],
        "lesmomenten": [{"moment": "ZAT_OCHTEND", "beschikbaar": "2"}],
        "lesmomenten_vanaf": "2022-05-02",
        "lesmomenten_tot": "2023-03-10",
        "reden_beperking": CODE,
        "geldt_voor": ["NT2"],
        "reden_volledige_onbeschikbaarheid": CODE,
        "berekend_praktisch_voorkeurmoment": CODE,
        "label": "Avondcursist",
        "gesloten_aanbod": "Nee",
        "informatie_voor_school": "Liefst les in Leuven",
    },
    "gesprekken": [
        {
            "datum": "2022-05-02",
            "geregistreerd_bij": VESTIGING,
            "toeleiding_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
        }
    ],
    "talenkennis": {
        "talen": [{"code": "ENG", "contacttaal": True, "kennisniveau": CODE}],
        "latijns_schrift": CODE,
        "ander_schrift": {"code": CODE, "taal": "PRS"},
        "nt2_hoogst_behaald": {"code": "A1", "naam": "Richtgraad A1", "korte_naam": "A1"},
        "nt2_recentst_behaald": {"code": "A2", "naam": "Richtgraad A2", "korte_naam": "A2"},
        "nt2_hoogst_behaald_delen": {
            "datum": "2023-01-27",
            "mondeling": CODE,
            "schriftelijk": CODE,
        },
        "nt2_recentst_behaald_delen": {
            "datum": "2023-06-16",
            "mondeling": CODE,
            "schriftelijk": CODE,
        },
        "nt2_instapniveau": {
            "datum": "2022-08-10",
            "globaal": CODE,
            "mondeling": CODE,
            "schriftelijk": CODE,
        },
    },
    "wervingsbrief": {"datum_verzonden": "2022-04-11", "type": "BRW001"},
    "doorverwijzing": CODE,
    "identiteitsbewijzen": [
        {
            "geldigheid": PERIODE,
            "categorie": "Verblijfsdocument",
            "type": "Elektronische vreemdelingenkaart A",
            "land": "België",
            "inburgeraar": "Daoud Saïd",
        }
    ],
    "betalingen": [
        {
            "vrijstelling": True,
            "vrijstellingsdocument": "Attest leefloon",
            "vrijstellingsreden": "Leefloon",
        }
    ],
    "wooncode": {
        "moet_voldoen_aan_inburgeringsbereidheid": True,
        "voldoet_aan_inburgeringsbereidheid": True,
        "moet_voldoen_aan_taalbereidheid": True,
        "voldoet_aan_taalbereidheid": False,
        "voldoet_aan_taalkennisvereiste": True,
        "opvolging_door": "Agentschap Integratie en Inburgering",
        "opschortingen": [{"periode": PERIODE, "reden_opschorting": "Volgt een cursus"}],
        "vrijstelling": {"datum_vrijstelling": "2023-04-03", "reden_vrijstelling": CODE},
    },
}
CONTACT = {"telefoon": "0470 00 00 01", "email": "said.daoud@voorbeeld.test"}  # 02.00's Personalia

DATES = [
    "0001-01-01",
    "1899-12-31",
    "1900-01-01",
    "2099-12-31",
    "2100-01-01",
    "3000-01-01",
    "9999-12-31",
]
NUMBERS = [-1, 0, 3, 9, 10, 100]
LONGEST = 5000  # longer than any length the real contract allows
# The lengths our contract's facets name: where the search for the longest accepted text
# looks first (a bound is mostly one of them), before it bisects the gap it is left with.
MARKS = sorted(
    {
        int(facet.get("value"))
        for xsd in (wsdl_folder() / "xsd").glob("*.xsd")
        for facet in etree.parse(str(xsd)).iter(f"{XS}maxLength", f"{XS}length")
    }
    | {LONGEST}
)


def persona(dossier: dict, contact: dict) -> dict:
    return {
        "insz": "98630499724",
        "scenario": "every field",
        "dossier": dossier,
        "gegevens": {"contact": contact},
    }


def test_the_dossier_fills_every_field_of_the_model():
    def missing_fields(cls: type, given: object, path: str) -> list[str]:
        missing = []
        hints = typing.get_type_hints(cls)
        for field in dataclasses.fields(cls):
            if field.name == "insz":  # the top of the persona file, not the dossier
                continue
            if not isinstance(given, dict) or field.name not in given:
                missing.append(f"{path}.{field.name}")
                continue
            value = given[field.name]
            for inner in _model_classes(hints[field.name]):
                for item in value if isinstance(value, list) else [value]:
                    missing += missing_fields(inner, item, f"{path}.{field.name}")
        return missing

    assert missing_fields(model.KbiDossier, DOSSIER, "dossier") == []
    assert missing_fields(model.Contactgegevens, CONTACT, "contact") == ["contact.adres"]  # no wire


def _model_classes(hint) -> list[type]:
    """The model classes inside a field's type (``X | None``, ``tuple[X, ...]``)."""
    if dataclasses.is_dataclass(hint):
        return [hint]
    return [k for arg in typing.get_args(hint) for k in _model_classes(arg)]


def longest(accepted: typing.Callable[[int], bool], low: int) -> int:
    """The longest length ``accepted`` takes, ``low`` taken and the lengths taken running from
    it up to a bound (or LONGEST). The marks above ``low`` are searched first, then the
    length after the last one taken, then the gap to the next: exact whatever the bound,
    in about six probes where a bisection from ``low`` to LONGEST took twelve."""
    marks = [low, *(n for n in MARKS if n > low)]
    taken, refused = 0, len(marks)  # marks[taken] is taken; marks[refused] is not (or none)
    while refused - taken > 1:
        mid = (taken + refused) // 2
        taken, refused = (mid, refused) if accepted(marks[mid]) else (taken, mid)
    if refused == len(marks) or not accepted(marks[taken] + 1):
        return marks[taken]
    low, high = marks[taken] + 1, marks[refused]
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if accepted(mid) else (low, mid)
    return low


def test_the_longest_accepted_length_is_found_wherever_the_bound_is():
    for bound in (1, 2, 47, 48, 49, 120, 999, 4000, 4001, LONGEST - 1, LONGEST):
        for low in sorted({1, min(bound, 5), bound}):
            assert longest(lambda length, bound=bound: length <= bound, low) == bound


def leaves(data, path=()):
    """The paths to every text, date and number in ``data``."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from leaves(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from leaves(value, (*path, i))
    elif isinstance(data, str | int) and not isinstance(data, bool):
        yield path, data


def with_value(data: dict, path: tuple, value) -> dict:
    copy = json.loads(json.dumps(data))  # CODE and PERIODE are used in several places
    place = copy
    for step in path[:-1]:
        place = place[step]
    place[path[-1]] = value
    return copy


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> dict[str, etree.XMLSchema]:
    folder = str(tmp_path_factory.mktemp("real-xsd"))
    for version in ("01.00", "02.00"):
        reference.require(version)
    return {v: reference.real_schema(folder, v) for v in ("01.00", "02.00")}


# The fields in shares, each a test of its own: whole, it was the suite's longest test (17 s
# alone, 32 s beside the others), which xdist could not spread over its workers.
SHARES = 4


@pytest.mark.parametrize("share", range(SHARES), ids=lambda share: f"share{share + 1}of{SHARES}")
def test_every_value_the_check_accepts_fits_the_real_contract(real, share):
    base = {"dossier": DOSSIER, "contact": CONTACT}

    def loaded(data: dict):
        try:
            return persona_from_data(persona(data["dossier"], data["contact"]))
        except InputError:
            return None

    def breaches(data: dict, what: str) -> list[str]:
        """How the replies of an accepted persona break the real contract."""
        p = loaded(data)
        if p is None:
            return []
        out = []
        for contract in (V01, V02):
            reply = control_reply(contract, p.dossier, p.gegevens.contact)
            version = contract.major_version
            if not real[version].validate(reply):
                out.append(f"{what} {version}: {real[version].error_log.last_error.message}")
        return out

    assert loaded(base) is not None
    found = []
    for path, value in list(leaves(base))[share::SHARES]:
        name = ".".join(map(str, path))
        if isinstance(value, int):
            for number in NUMBERS:
                found += breaches(with_value(base, path, number), f"{name}={number}")
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            for day in DATES:
                found += breaches(with_value(base, path, day), f"{name}={day}")
        else:

            def text(length: int, path=path, value=value) -> dict:
                return with_value(base, path, (value * (length // len(value) + 1))[:length])

            # the longest accepted text (the check's lengths are a bound: accepted up to it)
            high = longest(lambda length: loaded(text(length)) is not None, len(value))
            found += breaches(text(high), f"{name} of {high} characters")
            for length in (0, 1):
                found += breaches(text(length), f"{name} of {length} characters")
    assert found == []


def test_a_name_the_real_contract_cannot_carry_is_refused_with_its_field():
    """What a user sees for one of them (the real Achternaam holds 48 characters)."""
    dossier = with_value(DOSSIER, ("personalia", "achternamen", 0), "A" * 49)
    with pytest.raises(InputError) as refused:
        persona_from_data(persona(dossier, CONTACT))
    assert (
        refused.value.field == "dossier (02.00: KBIDossier/Personalia/Naam/Achternamen/Achternaam)"
    )
    assert "maximum length of '48'" in refused.value.reason


# Every code only 02.00's lists have, for an element both versions have (the real
# KBIEnum.xsd of each version, read by hand): where the persona writes it, and where it stands.
CODES_ONLY_02_00 = [
    (("contracten", 0, "type"), "Contracten/Contract/Type", ["IC07GUB", "IC09GUB", "IC11GUB"]),
    (("contracten", 0, "type"), "Contracten/Contract/Type", ["IC07G22", "IC09G22", "IC11G22"]),
    (
        ("contracten", 0, "addenda", 0, "type"),
        "Contracten/Contract/Addenda/Addendum/Type",
        ["AICF15GUB"],
    ),
    (
        ("attesten", 0, "type"),
        "BehaaldeAttesten/Document/Type",
        ["AI023GUB", "MMATTEST", "BRD01UB", "AI023G22", "INS0722"],
    ),
    (
        ("trajecten", 0, "onderdelen", 0, "type"),
        "Trajecten/Traject/TrajectOnderdelen/TrajectOnderdeel/Type",
        ["TO_OB_PT"],
    ),
    (
        ("trajecten", 0, "onderdelen", 0, "status", "code"),
        "Trajecten/Traject/TrajectOnderdelen/TrajectOnderdeel/Status/Code",
        ["TO_STA_07", "TO_STA_32", "TO_STA_33", "TO_STA_98"],
    ),
    (
        ("trajecten", 0, "onderdelen", 0, "besluit", "code"),
        "Trajecten/Traject/TrajectOnderdelen/TrajectOnderdeel/Besluit/Code",
        ["GESLAAGD", "NIET_GESLAAGD"],
    ),
]


def test_those_are_all_the_codes_only_02_00_has():
    """Our XSDs' lists of the two versions differ by the codes above and the two renamed."""

    def lists(version: str) -> dict[str, set[str]]:
        xsd = etree.parse(wsdl_folder() / "xsd" / f"KBI-{version}.xsd")
        return {
            t.get("name"): {e.get("value") for e in t.iter(f"{XS}enumeration")}
            for t in xsd.iter(f"{XS}simpleType")
            if t.get("name")
        }

    one, two = lists("01.00"), lists("02.00")
    both = one.keys() & two.keys()
    assert {c for name in both for c in one[name] - two[name]} == {"ICO13G", "AI023"}
    assert {c for name in both for c in two[name] - one[name]} == {
        "IC013G",
        "AI023G",
        *(code for *_, codes in CODES_ONLY_02_00 for code in codes),
    }


def test_a_code_only_02_00_has_is_sent_by_02_00_and_left_out_by_01_00(real):
    """A contract of type IC07G22, say: a code 02.00's list has and 01.00's has not. The
    persona is taken; 02.00 sends the code, 01.00 leaves the element out (optional there;
    what the platform's 01.00 sends is not published), and both replies fit the real
    contract."""
    for path, where, codes in CODES_ONLY_02_00:
        for code in codes:
            p = persona_from_data(persona(with_value(DOSSIER, path, code), CONTACT))
            one = control_reply(V01, p.dossier, p.gegevens.contact)
            two = control_reply(V02, p.dossier, p.gegevens.contact)
            dossier = ".//Inhoud/KBIDossier/"
            assert two.findtext(dossier + where) == code
            assert one.find(dossier + where) is None, f"{code} in 01.00"
            assert one.find(dossier + where.rsplit("/", 1)[0]) is not None  # only the code
            for version, reply in (("01.00", one), ("02.00", two)):
                assert real[version].validate(reply), (code, real[version].error_log)


def test_a_renamed_code_may_be_written_either_way_and_each_version_spells_its_own():
    for path, where, spellings in [
        (("contracten", 0, "type"), "Contracten/Contract/Type", ("ICO13G", "IC013G")),
        (("attesten", 0, "type"), "BehaaldeAttesten/Document/Type", ("AI023", "AI023G")),
    ]:
        for written in spellings:
            p = persona_from_data(persona(with_value(DOSSIER, path, written), CONTACT))
            replies = [
                control_reply(c, p.dossier, p.gegevens.contact).findtext(
                    ".//Inhoud/KBIDossier/" + where
                )
                for c in (V01, V02)
            ]
            assert tuple(replies) == spellings, written


def test_a_code_neither_version_has_is_refused_with_02_00_s_list():
    """A misspelt code is told the current version's list (with the codes 01.00's has not)."""
    dossier = with_value(DOSSIER, ("contracten", 0, "type"), "IC07G23")
    with pytest.raises(InputError) as refused:
        persona_from_data(persona(dossier, CONTACT))
    assert refused.value.field == "dossier (02.00: KBIDossier/Contracten/Contract/Type)"
    assert "'IC07G23' is not an element of the set" in refused.value.reason
    assert "'IC07G22'" in refused.value.reason


def test_a_value_only_01_00_takes_is_refused_saying_so():
    """A test without 02.00's Status fits 01.00 only: a persona is answered in both."""
    dossier = with_value(DOSSIER, ("afgelegde_testen", 0, "status"), None)
    with pytest.raises(InputError) as refused:
        persona_from_data(persona(dossier, CONTACT))
    assert (
        refused.value.field == "dossier (02.00: KBIDossier/AfgelegdeTesten/AfgelegdeTest/Resultaat)"
    )
    assert "Expected is ( Status )" in refused.value.reason
    assert refused.value.reason.endswith(
        "(01.00 takes it, 02.00 does not: a persona must fit both versions)"
    )
    # nor a value of an element only 02.00 has (01.00 does not take it: it has no such field)
    dossier = with_value(DOSSIER, ("vormingsactiviteiten", "nt2_cursussen", 0, "tarief"), "")
    with pytest.raises(InputError) as refused:
        persona_from_data(persona(dossier, CONTACT))
    assert refused.value.field == (
        "dossier (02.00: KBIDossier/VormingsActiviteiten/NT2Cursussen/NT2Cursus/Tarief)"
    )
    assert refused.value.reason == (
        "does not fit the KBI contract: Element 'Tarief': [facet 'minLength'] The value has a"
        " length of '0'; this underruns the allowed minimum length of '1'."
    )
    # a value neither version takes gets no such hint
    dossier = with_value(DOSSIER, ("trajecten", 0, "onderdelen", 0, "besluit", "code"), "BEST")
    with pytest.raises(InputError) as refused:
        persona_from_data(persona(dossier, CONTACT))
    assert "takes it" not in refused.value.reason
