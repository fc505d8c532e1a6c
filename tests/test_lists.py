"""The protocols' data flows: yearly reduced-premium list, municipality lists, ABB export,
and the synthetic population they can run on."""

import csv
import dataclasses
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import requests
from lxml import etree

from magda_kbi.domain import lists
from magda_kbi.domain.advies import Resultaat, Toepassing, geef_advies
from magda_kbi.domain.dossier import Woonplaats
from magda_kbi.domain.insz import is_test_number
from magda_kbi.io.personas import (
    FixtureError,
    builtin_folder,
    load_personas,
    persona_from_data,
    stream_personas,
)
from magda_kbi.io.population import GEMEENTEN, generate_population

from .cli_run import magda_kbi, magda_kbi_process
from .processes import free_port

TODAY = date(2030, 1, 1)


@pytest.fixture(scope="module")
def population(tmp_path_factory):
    folder = tmp_path_factory.mktemp("populatie")
    process = magda_kbi(
        "generate", "--count", "3000", "--seed", "42", "--out", str(folder), "--per-file", "1000"
    )
    assert process.returncode == 0, process.stderr
    assert "3000 personas written to" in process.stderr
    return folder


def premium_list_by_advice(personas, year, zorgkas=None):
    """The oracle: every person whose advice VERLAAGDE_PREMIE is NOK (and a member)."""
    return [
        p.insz
        for p in personas
        if p.dossier is not None
        and (zorgkas is None or p.gegevens.lid_op(zorgkas, date(year, 1, 1)))
        and geef_advies(
            p.dossier.as_of(TODAY), date(year, 1, 1), Toepassing.VERLAAGDE_PREMIE
        ).resultaat
        is Resultaat.NOK
    ]


@pytest.mark.parametrize("year", [2022, 2023, 2024, 2025, 2026])
def test_the_premium_list_equals_the_advice_for_the_catalogue(builtin_personas, year):
    listing = list(lists.verlaagde_premie(builtin_personas.values(), year, TODAY))
    assert listing == premium_list_by_advice(builtin_personas.values(), year)
    for zorgkas in ("ZK01", "ZK02"):
        assert list(
            lists.verlaagde_premie(builtin_personas.values(), year, TODAY, zorgkas=zorgkas)
        ) == (premium_list_by_advice(builtin_personas.values(), year, zorgkas))


def test_the_premium_list_equals_the_advice_for_a_generated_population(population):
    personas = list(stream_personas([population], contract=False))
    for year in (2023, 2025):
        expected = premium_list_by_advice(personas, year)
        assert expected  # the population reaches the NOK branches
        assert list(lists.verlaagde_premie(personas, year, TODAY)) == expected
        process = magda_kbi(
            "export",
            "verlaagde-premie",
            str(year),
            "--fixtures",
            str(population),
            "--no-builtin",
            "--today",
            TODAY.isoformat(),
        )
        assert process.stdout.splitlines() == ["insz", *expected]


@pytest.mark.parametrize(
    "listing",
    [("verlaagde-premie", "2024"), ("gemeente", "24062"), ("participatie", "24062")],
)
def test_no_builtin_without_fixtures_is_refused_not_an_empty_list(listing):
    """It wrote the header of a list of nobody and exited 0."""
    process = magda_kbi("export", *listing, "--no-builtin")
    assert (process.returncode, process.stdout) == (2, "")
    assert process.stderr.endswith(
        "Error: --no-builtin leaves no personas: give their folders, --fixtures DIR\n"
    )


def test_known_premium_years(builtin_personas):
    assert list(lists.verlaagde_premie(builtin_personas.values(), 2023, TODAY)) == ["80651239522"]
    assert "80651239522" not in lists.verlaagde_premie(builtin_personas.values(), 2024, TODAY)


def test_an_empty_zorgkas_is_refused_not_an_empty_list():
    """Nobody is a member of "": the list was empty, as if the zorgkas had nobody to list
    (the REST route refuses it too)."""
    for empty in ("", " "):
        process = magda_kbi("export", "verlaagde-premie", "2023", "--zorgkas", empty)
        assert process.returncode == 2 and process.stdout == ""
        assert "Invalid value for '--zorgkas': is empty" in process.stderr
    process = magda_kbi("export", "verlaagde-premie", "2023", "--zorgkas", "ZK02")
    assert process.returncode == 0 and process.stdout.splitlines()[0] == "insz"
    # the XML list names it: a character XML cannot hold was a traceback
    process = magda_kbi(
        "export", "verlaagde-premie", "2023", "--zorgkas", "ZK\x01", "--format", "xml"
    )
    assert (process.returncode, process.stdout) == (2, "")
    assert "Invalid value for '--zorgkas': U+0001 is a character XML cannot hold" in process.stderr


def test_a_zorgkas_nobody_knows_is_refused_not_an_empty_list(magda, tmp_path):
    """A misspelt zorgkas ('zk01') gave an empty list without a word, on the command line
    and over REST; one that is a consumer's or somebody's membership is listed, if empty."""
    process = magda_kbi("export", "verlaagde-premie", "2023", "--zorgkas", "zk01")
    assert (process.returncode, process.stdout) == (2, "")
    assert process.stderr == (
        "magda-kbi: unknown zorgkas 'zk01': no consumer's and nobody's membership"
        " (known: ZK01, ZK02); did you mean 'ZK01'?\n"
    )
    r = requests.get(f"{magda.url}/api/v1/lijsten/verlaagde-premie/2023?zorgkas=ZK7", timeout=5)
    assert (r.status_code, r.json()) == (
        404,
        {
            "code": "UNKNOWN_ZORGKAS",
            "diagnose": "unknown zorgkas 'ZK7': no consumer's and nobody's membership"
            " (known: ZK01, ZK02)",
            "field": "zorgkas",
        },
    )
    # a persona's membership makes a zorgkas known
    folder = tmp_path / "personas"
    folder.mkdir()
    (folder / "lid.yaml").write_text(
        'insz: "80651338304"\nscenario: lid van ZK7, niet in de KBI\nnaam: Boris\n'
        "gegevens:\n  lidmaatschappen: [{zorgkas: ZK7, begin: 2020-01-01}]\n"
    )
    process = magda_kbi(
        "export", "verlaagde-premie", "2023", "--zorgkas", "ZK7", "--fixtures", str(folder)
    )
    assert (process.returncode, process.stdout, process.stderr) == (0, "insz\r\n", "")
    # and so does a consumer's zorgkas, with nobody in it
    from magda_kbi.adapters.app import Settings, make_emulator
    from magda_kbi.adapters.pytest_plugin import _Server

    consumers = tmp_path / "afnemers.yaml"
    consumers.write_text(
        "afnemers:\n  - {afzender: mijn.zorgkas.be, hoedanigheid: '42', "
        "soort: ZORGKAS, naam: Mijn zorgkas, zorgkas: ZK09}\n"
    )
    server = _Server(make_emulator(Settings(today=TODAY, consumers=consumers)))
    try:
        path = "/api/v1/lijsten/verlaagde-premie/2023"
        r = requests.get(f"{server.url}{path}?zorgkas=ZK09", timeout=5)
        assert (r.status_code, r.json()["items"]) == (200, [])
        r = requests.get(f"{server.url}{path}?zorgkas=ZK9", timeout=5)
        assert r.status_code == 404
        assert r.json()["diagnose"].endswith("(known: ZK01, ZK02, ZK09); did you mean 'ZK09'?")
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("accept", "kind"),
    [
        ("text/csv; header=present", "text/csv; charset=utf-8"),  # RFC 4180's parameter
        ("text/csv; charset=ISO-8859-1", "text/csv; charset=utf-8"),  # UTF-8 is what there is
        ("application/xml; charset=utf-8, text/csv;q=0.1", "application/xml; charset=utf-8"),
        ("text/csv;q=0, application/xml", "application/xml; charset=utf-8"),
        ("application/pdf", "application/json"),  # nothing offered: JSON, as without Accept
    ],
)
def test_a_list_s_format_follows_accept_whatever_its_parameters(accept, kind):
    """A media type with parameters matched none: 'text/csv; header=present' got JSON."""
    from werkzeug.test import Client

    from magda_kbi.adapters.app import Settings, make_emulator

    client = Client(make_emulator(Settings(today=TODAY)))
    antwoord = client.get("/api/v1/lijsten/gemeente/24055", headers={"Accept": accept})
    assert (antwoord.status_code, antwoord.headers["Content-Type"]) == (200, kind)


def test_a_csv_cell_that_a_spreadsheet_would_run_as_a_formula_is_text():
    """A name put through the admin API reached a municipality's CSV as it was: a cell
    starting with '=' (or + - @) runs as a formula where the list is opened in a spreadsheet
    (CSV injection). CSV gets it behind an apostrophe; JSON keeps it as it is."""
    from werkzeug.test import Client

    from magda_kbi.adapters.app import Settings, make_emulator

    client = Client(make_emulator(Settings(today=TODAY, admin=True)))
    persona = client.get("/admin/personas/06721400144").json
    persona["dossier"]["personalia"]["achternamen"] = ['=HYPERLINK("http://x.test";"a")']
    persona["dossier"]["personalia"]["voornamen"] = ["@SUM(1)", "-1+2"]
    persona["gegevens"]["woonplaatsen"] = [
        {"nis": "11002", "naam": "Antwerpen", "begin": "2021-09-01"}
    ]
    assert client.put("/admin/personas/06721400144", json=persona).status_code == 200

    path = "/api/v1/lijsten/gemeente/11002"
    text = client.get(path, headers={"Accept": "text/csv"}).get_data(as_text=True)
    rows = [r for r in csv.reader(io.StringIO(text)) if r[0] == "06721400144"]
    assert rows == [
        ["06721400144", '\'=HYPERLINK("http://x.test";"a")', "'@SUM(1) -1+2", "true", "false"]
    ]
    items = [i for i in client.get(path).json["items"] if i["insz"] == "06721400144"]
    assert (items[0]["achternaam"], items[0]["voornaam"]) == (
        '=HYPERLINK("http://x.test";"a")',
        "@SUM(1) -1+2",
    )


@pytest.mark.parametrize(
    ("path", "field", "diagnose"),
    [
        (
            "/api/v1/lijsten/gemeente/24055?format=csv",
            "format",
            "unknown parameter 'format' (allowed: year); the format follows the Accept header:"
            " application/json (the default), text/csv or application/xml",
        ),
        (
            "/api/v1/lijsten/verlaagde-premie/2024?formaat=xml",
            "formaat",
            "unknown parameter 'formaat' (allowed: zorgkas); the format follows the Accept"
            " header: application/json (the default), text/csv or application/xml",
        ),
        (
            "/api/v1/lijsten/participatie/24055.csv",
            "nis",
            "'24055.csv' is not a NIS code (5 digits); the format follows the Accept header:"
            " application/json (the default), text/csv or application/xml",
        ),
        (
            "/api/v1/lijsten/verlaagde-premie/2024.xml",
            "jaar",
            "'2024.xml' is not a premium year (2000-2100); the format follows the Accept"
            " header: application/json (the default), text/csv or application/xml",
        ),
    ],
)
def test_a_list_asked_in_a_format_by_its_address_is_told_accept(path, field, diagnose):
    """The command line's --format is REST's Accept: ?format=csv or a .csv was refused
    without a word of how to get CSV."""
    from werkzeug.test import Client

    from magda_kbi.adapters.app import Settings, make_emulator

    antwoord = Client(make_emulator(Settings(today=TODAY))).get(path)
    assert antwoord.status_code == 400
    assert antwoord.json == {"code": "40001", "diagnose": diagnose, "field": field}


def test_premium_list_over_rest(magda):
    magda.today(TODAY)
    r = requests.get(f"{magda.url}/api/v1/lijsten/verlaagde-premie/2023", timeout=5)
    assert r.json() == {
        "premiejaar": 2023,
        "peildatum": "2022-01-01",
        "zorgkas": None,
        "items": [{"insz": "80651239522"}],
    }
    r = requests.get(
        f"{magda.url}/api/v1/lijsten/verlaagde-premie/2023",
        timeout=5,
        headers={"Accept": "text/csv"},
    )
    assert r.headers["Content-Type"].startswith("text/csv")
    assert r.text.splitlines() == ["insz", "80651239522"]
    r = requests.get(
        f"{magda.url}/api/v1/lijsten/verlaagde-premie/2023",
        timeout=5,
        headers={"Accept": "application/xml"},
    )
    assert etree.fromstring(r.content).findtext("Persoon/insz") == "80651239522"
    r = requests.get(f"{magda.url}/api/v1/lijsten/verlaagde-premie/2023?zorgkas=ZK02", timeout=5)
    assert r.json()["items"] == []
    for bad in ("1999", "twee", "20233"):
        assert (
            requests.get(
                f"{magda.url}/api/v1/lijsten/verlaagde-premie/{bad}", timeout=5
            ).status_code
            == 400
        )


def test_municipality_lists(magda, builtin_personas):
    magda.today(TODAY)
    r = requests.get(f"{magda.url}/api/v1/lijsten/gemeente/24055", timeout=5)
    items = r.json()["items"]
    expected = sorted(
        p.insz
        for p in builtin_personas.values()
        if p.dossier is not None
        and p.gegevens.woonplaats_op(TODAY)
        and p.gegevens.woonplaats_op(TODAY).nis == "24055"
    )
    assert sorted(i["insz"] for i in items) == expected
    assert {
        "insz": "98630499724",
        "achternaam": "Daoud",
        "voornaam": "Saïd",
        "contract_ondertekend": True,
        "attest_behaald": False,
    } in items
    assert set(items[0]) == {
        "insz",
        "achternaam",
        "voornaam",
        "contract_ondertekend",
        "attest_behaald",
    }
    r = requests.get(f"{magda.url}/api/v1/lijsten/participatie/24055", timeout=5)
    deelnemers = {i["naam"]: i for i in r.json()["items"]}
    assert deelnemers["Saïd Daoud"]["interesses"] == [
        "Nederlands oefenen",
        "sport en beweging",
        "vrijwilligerswerk",
    ]
    assert deelnemers["Saïd Daoud"]["adres"] == "Leuvensesteenweg 12, 3070 Kortenberg"
    assert "insz" not in deelnemers["Saïd Daoud"]  # not in the participation protocol
    process = magda_kbi("export", "gemeente", "24055", "--format", "csv", "--today", "2030-01-01")
    assert sorted(r["insz"] for r in csv.DictReader(io.StringIO(process.stdout))) == expected
    process = magda_kbi("export", "participatie", "24055", "--format", "json")
    assert len(json.loads(process.stdout)["items"]) == 3
    assert requests.get(f"{magda.url}/api/v1/lijsten/gemeente/abc", timeout=5).status_code == 400


def test_municipality_lists_over_rest_take_a_year_and_know_their_municipalities(magda):
    magda.today("2030-01-01")
    url = f"{magda.url}/api/v1/lijsten/gemeente/24055"
    r = requests.get(url, params={"year": "2023"}, timeout=5).json()
    assert (r["jaar"], r["peildatum"]) == (2023, "2023-01-01")
    insz = {i["insz"] for i in r["items"]}
    assert "98630499724" in insz and "79652599875" not in insz  # moves there in 2024
    assert requests.get(url, params={"year": "twee"}, timeout=5).status_code == 400
    unknown = requests.get(f"{magda.url}/api/v1/lijsten/gemeente/99999", timeout=5)
    assert unknown.status_code == 404
    assert "GET /api/v1/municipalities" in unknown.json()["diagnose"]
    gemeenten = requests.get(f"{magda.url}/api/v1/municipalities", timeout=5).json()
    assert {"nis": "24055", "naam": "Kortenberg"} in gemeenten
    # read once per set of personas: a persona added through the admin API is a new set
    magda.persona(
        {
            "insz": "80651338304",
            "scenario": "lives somewhere the register does not know",
            "naam": "Ann Elders",
            "gegevens": {
                "woonplaatsen": [{"nis": "99991", "naam": "Elders", "begin": "2020-01-01"}]
            },
        }
    )
    gemeenten = requests.get(f"{magda.url}/api/v1/municipalities", timeout=5).json()
    assert {"nis": "99991", "naam": "Elders"} in gemeenten


def test_abb_export_is_pseudonymised(tmp_path, builtin_personas, population):
    key, others = tmp_path / "sleutel", tmp_path / "andere"
    key.write_bytes(b"k" * 32)
    others.write_bytes(b"x" * 40)
    args = ("export", "abb", "--fixtures", str(population), "--today", "2030-01-01")
    first = magda_kbi(*args, "--key-file", str(key))
    second = magda_kbi(*args, "--key-file", str(key))
    third = magda_kbi(*args, "--key-file", str(others))
    assert first.returncode == 0, first.stderr
    rows = list(csv.DictReader(io.StringIO(first.stdout)))
    assert len(rows) > 2000 and list(rows[0]) == list(lists.ABB_VELDEN)
    assert first.stdout == second.stdout  # same key, same pseudonyms
    another = {r["pseudoniem"] for r in csv.DictReader(io.StringIO(third.stdout))}
    assert not another & {r["pseudoniem"] for r in rows}  # another key: unlinkable
    # nothing that identifies a person, anywhere in the file
    personas = [*builtin_personas.values(), *stream_personas([population], contract=False)]
    forbidden = set()
    for p in personas:
        forbidden.add(p.insz)
        if p.dossier is not None:
            forbidden.update(p.dossier.personalia.achternamen)
            if p.dossier.personalia.geboortedatum:
                forbidden.add(p.dossier.personalia.geboortedatum.isoformat())
        if p.gegevens.contact and p.gegevens.contact.adres:
            forbidden.add(p.gegevens.contact.adres.straat)
        if p.gegevens.contact and p.gegevens.contact.email:
            forbidden.add(p.gegevens.contact.email)
    for word in forbidden:
        assert word not in first.stdout, word
    assert (b"k" * 32).decode() not in first.stdout + first.stderr


def test_the_abb_region_is_the_province_of_the_residence_and_brussels_its_region(builtin_personas):
    """The region came from the NIS code's first digit: a person living in Brussels (21004,
    as the MAGDA mock's Igor Charue) or in Walloon Brabant was counted in Flemish Brabant,
    and an unknown code 99991 in Namur."""
    persona = builtin_personas["98630499724"]
    regio = {}
    for nis in ("21004", "25072", "24062", "23088", "52011", "11002", "73083", "93014", "99991"):
        gegevens = dataclasses.replace(
            persona.gegevens,
            woonplaatsen=(Woonplaats(begin=date(2020, 1, 1), nis=nis, naam="ergens"),),
        )
        (row,) = lists.abb([dataclasses.replace(persona, gegevens=gegevens)], b"k" * 32, TODAY)
        regio[nis] = row["regio"]
    assert regio == {
        "21004": "Brussels Hoofdstedelijk Gewest",
        "25072": "Waals-Brabant",
        "24062": "Vlaams-Brabant",
        "23088": "Vlaams-Brabant",
        "52011": "Henegouwen",
        "11002": "Antwerpen",
        "73083": "Limburg",
        "93014": "Namen",
        "99991": None,
    }


def test_abb_export_refuses_a_short_or_missing_key(tmp_path):
    short = tmp_path / "kort"
    short.write_bytes(b"geheim")
    process = magda_kbi("export", "abb", "--key-file", str(short))
    assert (
        process.returncode == 2 and "32 bytes" in process.stderr and "geheim" not in process.stderr
    )
    process = magda_kbi("export", "abb", "--key-file", str(tmp_path / "nergens"))
    assert (process.returncode, process.stderr) == (  # which file (it was not named)
        2,
        f"magda-kbi: cannot read the key file {tmp_path / 'nergens'}: No such file or directory\n",
    )


def test_abb_export_refuses_dev_urandom_itself_as_the_key():
    """The README and the refusal above say 'head -c 32 /dev/urandom': given /dev/urandom
    itself, the key was read until memory ran out (and would differ every run)."""
    process = magda_kbi("export", "abb", "--key-file", "/dev/urandom")
    assert (process.returncode, process.stdout) == (2, "")
    assert process.stderr == (
        "magda-kbi: the key file holds more than 65,536 bytes: a key is a file of 32 or more"
        " random bytes that stays the same (not /dev/urandom itself: write 'head -c 32"
        " /dev/urandom > FILE' once)\n"
    )


def test_the_generated_population(population):
    personas = list(stream_personas([population], contract=False))  # load_personas checks it below
    assert len(personas) == 3000
    assert all(is_test_number(p.insz) for p in personas)
    assert len({p.insz for p in personas}) == 3000
    kinds = "niet-in-kbi recht minderjarig vrijgesteld attest inbreuk-open inbreuk-rechtgezet"
    kinds += " nooit-aangemeld geen-contract uitstel-ondertekening contract-lopend"
    assert {p.scenario for p in personas} == {f"generated: {k}" for k in kinds.split()}
    vlaams = {nis for nis, _ in GEMEENTEN}
    assert all(p.gegevens.woonplaatsen[0].nis in vlaams for p in personas)
    # each dossier names its province's office (five provinces), one object per office
    kantoren = [p.dossier.personalia.aangemaakt_door for p in personas if p.dossier]
    assert len({id(k) for k in kantoren}) == 5
    regels = {
        geef_advies(p.dossier, day).regel
        for p in personas
        for day in (date(2021, 6, 1), date(2023, 1, 1), date(2024, 6, 1), date(2026, 6, 1))
    }
    assert regels == set(range(1, 10))
    seeded = [d["insz"] for d in generate_population(50, 42)]
    assert seeded == [p.insz for p in personas[:50]]
    assert len(load_personas([population])) == 3000  # as serve loads it: with the XSD check


def test_serve_loads_a_generated_population(population):
    from .conftest import Server

    s = Server("--fixtures", str(population))
    try:
        assert requests.get(f"{s.url}/health", timeout=5).json()["personas"] == 3000 + 23
    finally:
        s.stop()


@pytest.mark.parametrize(
    ("gegevens", "field"),
    [
        ({"participatie": {"interesses": ["dansen"]}}, "gegevens.participatie.interesses[0]"),
        ({"participatie": {"interesses": ["geen", "buddy"]}}, "gegevens.participatie.interesses"),
        ({"participatie": {"mo_status": "KLAAR"}}, "gegevens.participatie.mo_status"),
        (
            {
                "woonplaatsen": [
                    {"nis": "24055", "naam": "K", "begin": "2024-01-01", "einde": "2023-01-01"}
                ]
            },
            "gegevens.woonplaatsen[0].einde",
        ),
        ({"lidmaatschappen": [{"zorgkas": "ZK01"}]}, "gegevens.lidmaatschappen[0].begin"),
    ],
)
def test_flow_data_is_checked_at_load_time(gegevens, field):
    from magda_kbi.io.schemas import InputError

    with pytest.raises(InputError) as info:
        persona_from_data(
            {
                "insz": "80651338304",
                "scenario": "x",
                "naam": "x",
                "dossier": None,
                "gegevens": gegevens,
            }
        )
    assert info.value.field == field


def test_a_bad_line_in_a_population_names_file_and_line(tmp_path):
    (tmp_path / "p.jsonl").write_text(
        '{"insz": "80651338304", "scenario": "x", "naam": "x"}\n{kapot\n'
    )
    with pytest.raises(FixtureError) as info:
        load_personas([tmp_path])
    assert info.value.file.endswith("p.jsonl:2")


def test_an_export_that_fails_half_way_leaves_no_half_list(tmp_path):
    """The built-in personas are listed first: a bad line in an extra folder was found after
    part of the list was out (a half file at --out that looked whole)."""
    folder = tmp_path / "extra"
    folder.mkdir()
    (folder / "p.jsonl").write_text(
        '{"insz": "80651338304", "scenario": "x", "naam": "x"}\n{kapot\n'
    )
    result = tmp_path / "lijst.csv"
    args = ("verlaagde-premie", "2024", "--fixtures", str(folder), "--out", str(result))
    process = magda_kbi("export", *args)
    assert process.returncode == 2 and "p.jsonl:2" in process.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["extra"]  # no list, no part of one
    result.write_text("last year's list\n")  # one already there stays as it was
    assert magda_kbi("export", *args).returncode == 2
    assert result.read_text() == "last year's list\n"


def test_an_export_to_a_link_or_a_pipe_writes_into_it_and_leaves_it_in_place(tmp_path):
    """--out was renamed over its path: run as root (a container, CI), '--out /dev/null'
    made /dev/null a plain file and '--out /dev/stdout' a file named so; a link became a
    file beside its target, which kept last year's list. A FIFO stands in for a device
    here (replacing /dev/null is what the test must not do)."""
    import os
    import stat
    import threading

    target = tmp_path / "doel.csv"
    target.write_text("last year's list\n")
    link = tmp_path / "lijst.csv"
    link.symlink_to(target)
    assert magda_kbi("export", "verlaagde-premie", "2024", "--out", str(link)).returncode == 0
    assert link.is_symlink() and target.read_text().startswith("insz\n")
    fifo = tmp_path / "pijp"
    os.mkfifo(fifo)
    read: list[str] = []
    reader = threading.Thread(target=lambda: read.append(fifo.read_text()), daemon=True)
    reader.start()
    assert magda_kbi("export", "verlaagde-premie", "2024", "--out", str(fifo)).returncode == 0
    reader.join(timeout=10)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert read == [target.read_text()]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doel.csv", "lijst.csv", "pijp"]


def test_an_export_refuses_a_missing_folder_before_it_writes(tmp_path):
    process = magda_kbi("export", "verlaagde-premie", "2024", "--fixtures", str(tmp_path / "weg"))
    assert process.returncode == 2
    gone = tmp_path / "weg"
    assert process.stderr == f"magda-kbi: invalid persona folder {gone}: no such folder\n"
    assert process.stdout == ""  # the built-in personas' part of the list was printed first
    file = tmp_path / "persona.yaml"  # a file where a folder is asked
    file.write_text("insz: '98630499724'\n")
    process = magda_kbi("export", "verlaagde-premie", "2024", "--fixtures", str(file))
    assert process.returncode == 2
    assert process.stderr == (
        f"magda-kbi: invalid persona folder {file}: is a file, not a folder of persona files\n"
    )


def test_an_export_to_a_folder_that_is_not_there_says_so(tmp_path):
    result = tmp_path / "weg" / "lijst.csv"
    process = magda_kbi("export", "gemeente", "24055", "--out", str(result))
    assert process.returncode == 2, process.stderr  # it was a traceback (FileNotFoundError)
    assert f"--out: cannot write {result}" in process.stderr


def test_an_xml_export_of_a_stored_persona_xml_cannot_hold_says_so_in_a_line(tmp_path):
    """A store's catalogue kept from before text XML cannot hold was refused at input: its
    XML export was lxml's ValueError and a traceback after half a list."""
    import sqlite3

    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert magda_kbi("generate", "--count", "40", "--store", url).returncode == 0
    with sqlite3.connect(tmp_path / "store.db") as db:
        rows = db.execute("SELECT insz, data FROM catalogue ORDER BY insz").fetchall()
        persona = next(
            p
            for p in (json.loads(data) for _, data in rows)
            if p["gegevens"].get("participatie") and p["gegevens"].get("woonplaatsen")
        )
        persona["naam"] = "Amina Test"
        persona["gegevens"]["participatie"]["contacttaal"] = "Russisch\x01"
        db.execute(
            "UPDATE catalogue SET data = ? WHERE insz = ?", (json.dumps(persona), persona["insz"])
        )
    db.close()
    nis = persona["gegevens"]["woonplaatsen"][-1]["nis"]
    listing = tmp_path / "lijst.xml"
    process = magda_kbi(
        "export", "participatie", nis, "--format", "xml", "--store", url, "--out", str(listing)
    )
    assert (process.returncode, process.stdout) == (2, "")
    assert process.stderr == (
        "magda-kbi: Persoon 'Amina Test': contacttaal: U+0001 is a character XML cannot hold:"
        " replace the persona (a store kept it from before such text was refused)\n"
    )
    assert not listing.exists() and list(tmp_path.glob(".lijst*")) == []  # no half list


def test_consumers_file(tmp_path):
    file = tmp_path / "afnemers.yaml"
    file.write_text(
        "afnemers:\n  - {afzender: mijn.zorgkas.be, hoedanigheid: '42', "
        "soort: ZORGKAS, naam: Mijn zorgkas, zorgkas: ZK09}\n"
    )
    from magda_kbi.io.consumer_file import load_consumers

    (afnemer,) = load_consumers(file)
    assert (afnemer.soort.value, afnemer.zorgkas) == ("ZORGKAS", "ZK09")
    file.write_text("afnemers:\n  - {afzender: x, hoedanigheid: '1', soort: GEMEENTE, naam: X}\n")
    process = magda_kbi_process("serve", "--port", str(free_port()), "--consumers", str(file))
    assert process.returncode == 2 and "afnemers[0].nis" in process.stderr


def test_a_consumer_with_text_xml_cannot_hold_is_refused(tmp_path):
    """A ZORGKAS's zorgkas heads its premium list in XML: one with a control character was
    taken, and its list stopped after the 200 with lxml's ValueError."""
    from magda_kbi.io.consumer_file import ConsumersFileError, load_consumers

    file = tmp_path / "afnemers.yaml"
    file.write_text(
        "afnemers:\n  - {afzender: zk9.test.be, hoedanigheid: ZORGKAS, soort: ZORGKAS,"
        ' naam: Zorgkas 9, zorgkas: "ZK\\x0209"}\n'
    )
    with pytest.raises(ConsumersFileError) as refused:
        load_consumers(file)
    assert (refused.value.path, refused.value.field) == (file, "afnemers[0].zorgkas")
    assert refused.value.reason == "U+0002 is a character XML cannot hold"


def test_a_consumers_file_with_another_key_is_refused_naming_it(tmp_path):
    """'afnemer:' (the list's key misspelt) was told only that a list 'afnemers' was
    expected, and a key beside it was passed over without a word."""
    file = tmp_path / "afnemers.yaml"
    consumer = "  - {afzender: a.be, hoedanigheid: '1', soort: VSB, naam: B}\n"
    file.write_text("afnemer:\n" + consumer)
    process = magda_kbi("consumers", "--consumers", str(file))
    assert (process.returncode, process.stderr) == (
        2,
        f"magda-kbi: invalid consumers file {file}: field afnemer: unknown field"
        " (allowed: afnemers); did you mean 'afnemers'?\n",
    )
    file.write_text("afnemers:\n" + consumer + "protocol: strikt\n")
    process = magda_kbi("consumers", "--consumers", str(file))
    assert process.returncode == 2
    assert process.stderr.endswith(": field protocol: unknown field (allowed: afnemers)\n")


def test_a_device_as_the_consumers_file_is_refused_after_a_bounded_read():
    """``--consumers /dev/zero`` read until memory ran out (5 GB in 5 s); a file past 1 MiB
    is refused now, having read one byte more than that."""
    process = magda_kbi("consumers", "--consumers", "/dev/zero")
    assert process.returncode == 2
    assert "larger than 1048576 bytes: a consumers file is small" in process.stderr


def test_a_generated_population_never_takes_a_built_in_personas_number(tmp_path):
    """Seed 3 drew 64642199768 (a built-in persona) as its 1,398th: the population was
    refused beside the built-ins ('already defined')."""
    process = magda_kbi("generate", "--count", "1400", "--seed", "3", "--out", str(tmp_path))
    assert process.returncode == 0, process.stderr
    personas = load_personas([builtin_folder(), tmp_path], contract=False)  # no 'twice'
    assert len(personas) == 23 + 1400


def test_generate_refuses_more_people_than_it_has_numbers_for(tmp_path):
    process = magda_kbi("generate", "--count", "5000001", "--out", str(tmp_path))
    assert process.returncode == 2 and "5000001 is not in the range 1<=x<=5000000" in process.stderr


def test_a_person_defined_twice_is_refused_by_the_exports_as_by_serve(tmp_path):
    """serve and 'personas' refuse a second persona with an INSZ; the exports, which read one
    persona at a time, listed it twice (a built-in persona's number in your own file, a
    generated file merged by hand)."""
    own = tmp_path / "eigen"
    own.mkdir()
    builtin = builtin_folder() / "73680599786-inbreuk-open.yaml"
    (own / "kopie.yaml").write_text(builtin.read_text(encoding="utf-8"), encoding="utf-8")
    process = magda_kbi("export", "verlaagde-premie", "2025", "--fixtures", str(own))
    assert process.returncode == 2
    assert process.stderr.startswith(
        f"magda-kbi: invalid persona file {own / 'kopie.yaml'}: field insz: 73680599786 is"
        f" already defined in {builtin} (a built-in persona: give yours another number,"
    )
    # within one generated file: one line twice
    population = tmp_path / "populatie"
    assert magda_kbi("generate", "--count", "3", "--out", str(population)).returncode == 0
    (file,) = population.glob("*.jsonl")
    regels = file.read_text(encoding="utf-8").splitlines()
    file.write_text("\n".join([*regels, regels[0]]) + "\n", encoding="utf-8")
    insz = json.loads(regels[0])["insz"]
    process = magda_kbi(
        "export", "gemeente", "24062", "--no-builtin", "--fixtures", str(population)
    )  # fmt: skip
    assert process.returncode == 2
    assert process.stderr == (
        f"magda-kbi: invalid persona file {file}: field insz: {insz} is already defined in {file}\n"
    )


@pytest.mark.parametrize("args", [["personas"], ["insz", "new", "--count", "20000"]], ids=" ".join)
def test_output_piped_into_head_ends_quietly_with_exit_0(population, args):
    """``magda-kbi personas | head`` in a ``set -o pipefail`` script: once the reader has
    closed the pipe, the command stops writing and exits 0 with nothing on stderr, as
    ``export`` does (``personas`` and ``insz new`` exited 1). Each output is far more than a
    pipe holds, so the reader leaves while the command still writes."""
    if args[0] == "personas":
        args = [*args, "--fixtures", str(population)]
    process = subprocess.Popen(
        [sys.executable, "-m", "magda_kbi", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout.readline()
    process.stdout.close()  # as head does after its lines
    with process.stderr:
        err = process.stderr.read()
    assert (process.wait(timeout=60), err) == (0, b"")


@pytest.mark.parametrize(
    ("args", "buffered"),
    [
        (["export", "verlaagde-premie", "2025", "--today", "2030-01-01"], False),
        (["export", "verlaagde-premie", "2025", "--today", "2030-01-01"], True),
        (["advies", "73680599786", "--datum", "2024-01-01"], True),
        (["personas", "--json"], False),
        (["--help"], False),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else ("buffered" if v else "unbuffered"),
)
def test_output_to_a_full_disk_is_refused_in_one_line(args, buffered):
    """``magda-kbi export ... > file`` on a full disk was a traceback (exit 1), as was any
    command's output there: one line now, exit 2, as ``--out`` says it. /dev/full is such a
    disk. Python buffered (the failure comes at the last flush) or not (at the first write)."""
    full = Path("/dev/full")
    if not full.exists():
        pytest.skip("no /dev/full (Linux has it) to write to")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    with full.open("wb") as output:
        process = subprocess.run(
            [sys.executable, "-m", "magda_kbi", *args],
            stdout=output,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=60,
        )
    assert (process.returncode, process.stderr) == (
        2,
        "magda-kbi: standard output: cannot write: No space left on device\n",
    )


@pytest.mark.parametrize(
    ("args", "closed", "code"),
    [
        (["advies", "73680599786", "--datum", "2024-01-01"], ">&-", 0),
        (["export", "verlaagde-premie", "2025", "--today", "2030-01-01"], ">&-", 0),
        (["personas", "--json"], ">&-", 0),
        (["--version"], ">&-", 0),
        (["advies", "1", "--datum", "x"], "2>&-", 2),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else str(v),
)
def test_a_command_without_standard_output_or_error_ends_as_it_would(args, closed, code):
    """Started with standard output or error closed (``>&-``, as a daemon may be), a
    command ends as it would have: Python has None for them then, and a list written there
    (export, personas) was an AttributeError, exit 1."""
    process = subprocess.run(
        ["sh", "-c", f'exec "$@" {closed}', "sh", sys.executable, "-m", "magda_kbi", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (process.returncode, process.stdout + process.stderr) == (code, "")


def test_serve_started_without_standard_output_keeps_descriptor_1_for_nothing():
    """With standard output closed, the next file serve opened took descriptor 1, where
    whatever writes to standard output (granian, a C library) wrote into that file: a
    store's database, say. /dev/null takes it, in serve and in its workers."""
    from .conftest import Server
    from .processes import children

    closed = ("sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "magda_kbi")
    server = Server(command=closed)
    try:
        processes = [server.process.pid, *children(server.process.pid)]
        assert len(processes) == 2  # serve and its one worker
        assert [os.readlink(f"/proc/{pid}/fd/1") for pid in processes] == ["/dev/null"] * 2
        assert requests.get(f"{server.url}/health", timeout=10).json()["status"] == "ok"
    finally:
        server.stop()


def test_a_person_is_a_member_of_one_zorgkas_at_a_time():
    """A move to another zorgkas written without the old membership's einde made the person
    a member of both: on both premium lists, asked about by both. The later begin replaces
    the earlier membership, as a later residence does; two that begin on one day are refused."""
    from magda_kbi.domain.dossier import Lidmaatschap, Persoonsgegevens
    from magda_kbi.io.schemas import InputError

    gegevens = Persoonsgegevens(
        lidmaatschappen=(
            Lidmaatschap("ZK01", date(2020, 1, 1)),
            Lidmaatschap("ZK02", date(2022, 1, 1)),
            Lidmaatschap("ZK03", date(2023, 1, 1), date(2023, 6, 30)),
        )
    )
    assert gegevens.lid_op("ZK01", date(2021, 12, 31))
    assert not gegevens.lid_op("ZK01", date(2022, 1, 1))
    assert gegevens.lid_op("ZK02", date(2022, 1, 1))
    assert gegevens.lid_op("ZK03", date(2023, 6, 30))
    assert not gegevens.lid_op("ZK02", date(2023, 6, 30))
    assert gegevens.lid_op("ZK02", date(2023, 7, 1))  # the ended one gives way again
    assert not gegevens.lid_op("ZK01", date(2019, 12, 31))

    persona = {
        "insz": "80651338304",
        "scenario": "twee zorgkassen op één dag",
        "naam": "Boris",
        "gegevens": {
            "lidmaatschappen": [
                {"zorgkas": "ZK01", "begin": "2020-01-01"},
                {"zorgkas": "ZK02", "begin": "2020-01-01"},
            ]
        },
    }
    with pytest.raises(InputError) as refused:
        persona_from_data(persona)
    assert (refused.value.field, refused.value.reason) == (
        "gegevens.lidmaatschappen[1].begin",
        "2020-01-01 is also the begin of lidmaatschappen[0]: one zorgkas at a time (a later"
        " begin replaces an earlier membership)",
    )
