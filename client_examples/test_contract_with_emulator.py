"""A consumer's contract test with the emulator's pytest plugin (fixture ``magda``).

Install the emulator package in your test environment, and this file runs as it is:

    pytest client_examples/test_contract_met_emulator.py

The plugin starts the emulator in-process once per session and resets it after each test.
"""

import pytest

from magda_client import MagdaClient, MagdaTransportFout

ZORGKAS = "mijn.zorgkas.be"


def check_zorgbudget(url: str, insz: str, datum: str) -> str:
    """The code under test: a zorgkas deciding on a zorgbudget file."""
    with MagdaClient(url, afzender=ZORGKAS, hoedanigheid="1234", backoff=0) as client:
        advies = client.geef_automatisch_advies(insz, datum)
    return "toekennen" if advies.ok else f"weigeren ({advies.reden_code})"


def test_an_open_infringement_refuses_the_zorgbudget(magda):
    magda.persona(
        {
            "insz": "80651338304",
            "scenario": "infringement established in March 2024",
            "dossier": {
                "personalia": {"achternamen": ["Nadzialek"], "voornamen": ["Boris"]},
                "doelgroepen": [
                    {"code": "JA", "type": "PLICHT", "periode": {"begin": "2023-01-02"}}
                ],
                "aanmelding": {"datum_aanmelding": "2023-01-20"},
                "contracten": [{"datum_registratie": "2023-03-01"}],
                "inbreuken": [{"datum_vaststelling": "2024-03-15"}],
            },
        }
    )
    magda.today("2024-06-01")
    assert check_zorgbudget(magda.url, "80651338304", "2024-01-01") == "toekennen"
    assert check_zorgbudget(magda.url, "80651338304", "2024-04-01") == "weigeren (INBREUK)"
    asked = magda.journal(insz="80651338304")
    assert [r["afzender"] for r in asked] == [ZORGKAS, ZORGKAS]


def test_the_zorgkas_survives_a_busy_platform(magda):
    magda.fault("99996", count=2)
    assert check_zorgbudget(magda.url, "98630499724", "2024-01-01") == "toekennen"
    assert len(magda.journal()) == 3  # two refusals, then the answer


def test_an_unavailable_platform_is_reported(magda):
    magda.fault("http_503")
    with pytest.raises(MagdaTransportFout):
        check_zorgbudget(magda.url, "98630499724", "2024-01-01")
