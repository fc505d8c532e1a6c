"""The ``magda-kbi`` command line, run as a user runs it."""

import json
import os
import subprocess
import sys

import pytest
import requests


def magda_kbi(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "magda_kbi.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("commando", [(), ("serve",), ("personas",), ("advies",)])
def test_every_command_has_help(commando):
    proces = magda_kbi(*commando, "--help")
    assert proces.returncode == 0 and "usage: magda-kbi" in proces.stdout


def test_personas_json(catalogus):
    proces = magda_kbi("personas", "--json")
    assert proces.returncode == 0
    lijst = json.loads(proces.stdout)
    assert {p["insz"] for p in lijst} == set(catalogus)
    for p in lijst:
        assert {"insz", "naam", "scenario", "fout"} <= set(p)
        assert p["fout"] in (None, "99996", "SOAP_FAULT")
    assert sorted(p["fout"] for p in lijst if p["fout"]) == ["99996", "SOAP_FAULT"]


def test_personas_table():
    proces = magda_kbi("personas")
    assert "98630499724  Saïd Daoud" in proces.stdout


def test_advies_locally():
    proces = magda_kbi("advies", "73680599786", "--datum", "2024-01-01")
    assert proces.returncode == 0
    assert "NOK - INBREUK" in proces.stdout
    assert "[rule 6: an infringement that was not remedied]" in proces.stdout
    proces = magda_kbi(
        "advies",
        "80651239522",
        "--datum",
        "2023-05-01",
        "--toepassing",
        "VERLAAGDE_PREMIE",
        "--json",
    )
    antwoord = json.loads(proces.stdout)
    assert antwoord["peildatum"] == "2022-01-01"
    assert (antwoord["resultaat"], antwoord["reden"]) == ("NOK", "GEEN_AANMELDING")


def test_advies_uses_today_for_what_the_kbi_knows():
    # remedied on 2023-05-15: unknown when today is 2023-03-01
    args = ("advies", "79652599875", "--datum", "2023-06-01", "--json")
    assert json.loads(magda_kbi(*args).stdout)["resultaat"] == "OK"
    vroeg = magda_kbi(*args, env={"MAGDA_KBI_TODAY": "2023-03-01"})
    assert json.loads(vroeg.stdout)["reden"] == "INBREUK"


def test_bad_input_is_a_clear_error():
    proces = magda_kbi("advies", "98630499725", "--datum", "2024-01-01")
    assert proces.returncode == 2 and "not a valid INSZ" in proces.stderr
    proces = magda_kbi("advies", "98630499724", "--datum", "gisteren")
    assert proces.returncode == 2 and "not a date" in proces.stderr
    proces = magda_kbi("personas", env={"MAGDA_KBI_TODAY": "morgen"})
    assert proces.returncode != 0 and "MAGDA_KBI_TODAY" in proces.stderr
    for proces in (magda_kbi("advies", "98630499725", "--datum", "x"), magda_kbi("nope")):
        assert "Traceback" not in proces.stderr


def test_serve_prints_where_it_listens(server):
    from .conftest import Server

    s = Server("--today", "2024-01-01")
    uitvoer = s.stop()
    assert f"{s.url}/GeefDossierKBIDienst-01.00/soap/WebService" in uitvoer
    assert f"{s.url}/api/Magda-02.00/soap/WebService" in uitvoer
    assert "today = 2024-01-01" in uitvoer
    assert s.proces.returncode == 0  # SIGTERM: a graceful stop


def test_readme_persona_table_matches_the_catalogue(catalogus):
    from pathlib import Path

    from magda_kbi.cli import persona_tabel

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    tabel = readme.split("<!-- personas:start -->\n", 1)[1].split("\n<!-- personas:end -->")[0]
    assert tabel == persona_tabel(catalogus.values()), "run: magda-kbi personas --markdown"


def test_serve_admin_prints_the_admin_url_and_runs_one_worker():
    from .conftest import Server

    s = Server("--admin", "--journal-size", "10")
    try:
        assert requests.get(f"{s.url}/admin/journal", timeout=5).json()["capacity"] == 10
        assert requests.get(f"{s.url}/health", timeout=5).json()["admin"] is True
    finally:
        uitvoer = s.stop()
    assert f"{s.url}/admin/" in uitvoer and "one worker process" in uitvoer


def test_insz_new_and_check():
    proces = magda_kbi("insz", "new", "--birth-date", "1990-05-13", "--sex", "F", "--count", "3")
    nummers = proces.stdout.split()
    assert proces.returncode == 0 and len(set(nummers)) == 3
    assert all(n.startswith("906513") and int(n[6:9]) % 2 == 0 for n in nummers)
    goed = magda_kbi("insz", "check", nummers[0])
    assert goed.returncode == 0 and "a valid MAGDA test number" in goed.stdout
    fout = magda_kbi("insz", "check", "85672012345")
    assert fout.returncode == 1
    assert "the check digits are 45" in fout.stdout
    assert "nearest test number: 85672012376" in fout.stdout
