"""Automatisch advies over SOAP, called like a consumer: raw XML over HTTP, and zeep."""

from datetime import date, timedelta
from functools import cache

import pytest
import requests
import zeep
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree
from werkzeug.test import Client

from magda_client import MagdaClient
from magda_kbi.adapters.app import Settings, make_emulator
from magda_kbi.domain.advies import Toepassing, geef_advies
from magda_kbi.wire.xml import wsdl_folder

from .conftest import LATE
from .soap import (
    NS_ADVIES,
    NS_SOAP,
    PATH_ADVIES,
    PATH_GENERIC,
    advies_verzoek,
    antwoord,
    both_paths,
    in_envelope,
    in_process,
    post,
)
from .xsd_instances import Instances, texts


@pytest.fixture(scope="module")
def session():
    with requests.Session() as s:
        yield s


def vraag(session, server, insz, datum, toepassing=None, path=PATH_ADVIES):
    r = session.post(
        server.url + path,
        data=advies_verzoek(insz, datum, toepassing),
        headers={"Content-Type": "text/xml"},
        timeout=5,
    )
    assert r.status_code == 200, r.text
    from lxml import etree

    advies = etree.fromstring(r.content).find(
        f"{{{NS_SOAP}}}Body/*/Repliek/Antwoorden/Antwoord/Inhoud/Advies"
    )
    assert advies is not None, r.text
    return advies


def test_every_persona_gives_its_expected_answers(session, server, builtin_personas):
    checked = 0
    for persona in builtin_personas.values():
        for v in persona.verwacht:
            advies = vraag(session, server, persona.insz, v.datum, v.toepassing)
            received = (advies.findtext("Resultaat"), advies.findtext("Reden/Code"))
            assert received == (v.resultaat, v.reden), f"{persona.insz} op {v.datum} {v.toepassing}"
            checked += 1
    assert checked >= 50


def test_before_on_and_after_every_fact_the_server_follows_the_rule_table(builtin_personas):
    # About 1,000 calls: in-process (werkzeug's test client); the rest of this file calls
    # the real server.
    client = Client(make_emulator(Settings(today=LATE)))
    for persona in builtin_personas.values():
        if persona.fout or persona.dossier is None:
            continue
        days = {date(2021, 12, 31), date(2022, 1, 1)}
        for feit in persona.dossier.feitdata():
            days.update({feit - timedelta(days=1), feit, feit + timedelta(days=1)})
        for day in sorted(days):
            for toepassing in Toepassing:
                expected = geef_advies(persona.dossier.as_of(LATE), day, toepassing)
                r = client.post(
                    PATH_ADVIES,
                    data=advies_verzoek(persona.insz, day, toepassing.value),
                    content_type="text/xml",
                )
                advies = antwoord(r.status_code, r.data).advies
                assert advies.findtext("Resultaat") == expected.resultaat.value
                assert advies.findtext("Peildatum") == expected.peildatum.isoformat()
                if expected.reden is None:
                    assert advies.find("Reden") is None, "an OK answer carries no Reden"
                else:
                    assert advies.findtext("Reden/Code") == expected.reden.value
                    assert advies.findtext("Reden/Omschrijving")


def test_the_reply_says_nothing_else_about_the_person(session, server):
    advies = vraag(session, server, "73680599786", "2024-01-01")
    assert [c.tag for c in advies] == ["Peildatum", "Resultaat", "Reden"]
    assert [c.tag for c in advies.find("Reden")] == ["Code", "Omschrijving"]
    envelope = advies.getroottree()
    text = "".join(envelope.getroot().itertext())
    assert "Janssens" not in text and "Leonard" not in text and "1973" not in text


def test_toepassing_defaults_to_zorgbudget(session, server):
    advies = vraag(session, server, "80651239522", "2023-06-01")
    assert advies.findtext("Peildatum") == "2023-06-01"
    advies = vraag(session, server, "80651239522", "2023-06-01", "VERLAAGDE_PREMIE")
    assert advies.findtext("Peildatum") == "2022-01-01"
    assert advies.findtext("Resultaat") == "NOK"


def test_unknown_insz_is_ok_rule_2(session, server):
    assert vraag(session, server, "86630100380", "2024-06-01").findtext("Resultaat") == "OK"
    # a valid test number that is no persona at all
    assert vraag(session, server, "80651439361", "2024-06-01").findtext("Resultaat") == "OK"


def test_reply_frame_echoes_the_caller(server):
    antwoord = post(
        server.url + PATH_ADVIES,
        advies_verzoek("73680599786", "2024-01-01", referte="mijn-referte-42"),
    )
    repliek = antwoord.root.find("Repliek")
    assert antwoord.root.tag.endswith("}GeefAutomatischAdviesResponse")
    assert repliek.findtext("Context/Naam") == "GeefAutomatischAdvies"
    assert repliek.findtext("Context/Bericht/Type") == "ANTWOORD"
    assert repliek.findtext("Context/Bericht/Afzender/Identificatie") == "vip.vlaanderen.be"
    assert repliek.findtext("Context/Bericht/Ontvanger/Identificatie") == "kbi.test.zorgkas.be"
    assert repliek.findtext("Context/Bericht/Ontvanger/Referte") == "mijn-referte-42"
    assert repliek.findtext("Context/Bericht/Ontvanger/Hoedanigheid") == "1234"
    assert repliek.findtext("Antwoorden/Antwoord/Referte") == "mijn-referte-42"
    assert repliek.findtext("Context/Bericht/Tijdstip/Datum") == LATE.isoformat()


def test_the_generic_endpoint_routes_on_context(session, server):
    advies = vraag(session, server, "73680599786", "2024-01-01", path=PATH_GENERIC)
    assert advies.findtext("Reden/Code") == "INBREUK"


def test_error_personas(server):
    antwoord = post(server.url + PATH_ADVIES, advies_verzoek("90651105718", "2024-01-01"))
    assert antwoord.status == 200
    assert antwoord.uitzonderingen() == [("99996", "FOUT", "Te veel gelijktijdige bevragingen")]
    assert antwoord.root.find("Repliek/Uitzonderingen") is not None  # Repliek level
    antwoord = post(server.url + PATH_ADVIES, advies_verzoek("90651205785", "2024-01-01"))
    assert antwoord.status == 500
    assert "SOAP Fault" in antwoord.fault


@pytest.fixture(scope="module")
def zeep_advies(server):
    return zeep.Client(f"{server.url}{PATH_ADVIES}?wsdl")


def zeep_context(naam):
    return {
        "Naam": naam,
        "Versie": "01.00.0000",
        "Bericht": {
            "Type": "VRAAG",
            "Tijdstip": {"Datum": date(2024, 1, 1), "Tijd": "10:00:00.000"},
            "Afzender": {
                "Identificatie": "kbi.test.zorgkas.be",
                "Referte": "zeep-1",
                "Hoedanigheid": "1234",
            },
        },
    }


def test_zeep_with_the_served_wsdl(zeep_advies, builtin_personas):
    for persona in builtin_personas.values():
        if persona.fout:
            continue
        for v in persona.verwacht:
            repliek = zeep_advies.service.GeefAutomatischAdvies(
                Verzoek={
                    "Context": zeep_context("GeefAutomatischAdvies"),
                    "Vragen": {
                        "Vraag": {
                            "Referte": "vraag-1",
                            "Inhoud": {
                                "Criteria": {
                                    "INSZ": persona.insz,
                                    "Datum": v.datum,
                                    "Toepassing": v.toepassing,
                                }
                            },
                        }
                    },
                }
            )
            advies = repliek.Antwoorden.Antwoord.Inhoud.Advies
            assert advies.Resultaat == v.resultaat
            assert (advies.Reden.Code if advies.Reden else None) == v.reden


def test_which_zorgbudget(session, server):
    # 73680599786: an open infringement since 2023-09-15
    for toepassing in ("ZORGBUDGET", "ZORGBUDGET_ZWAAR_ZORGBEHOEVENDEN"):
        advies = vraag(session, server, "73680599786", "2024-01-01", toepassing)
        assert advies.findtext("Reden/Code") == "INBREUK"
    for toepassing in ("ZORGBUDGET_OUDEREN", "BASISONDERSTEUNINGSBUDGET"):
        advies = vraag(session, server, "73680599786", "2024-01-01", toepassing)
        assert (advies.findtext("Resultaat"), advies.find("Reden")) == ("OK", None)
    client = MagdaClient(server.url, afzender="vsb.vlaanderen.be", hoedanigheid="VSB")
    assert client.geef_automatisch_advies("73680599786", "2024-01-01", "ZORGBUDGET_OUDEREN").ok


@pytest.mark.parametrize(
    ("datum", "toepassing", "peildatum"),
    [("9000-06-01", "VERLAAGDE_PREMIE", "8999-01-01"), ("3000-01-01", "ZORGBUDGET", "3000-01-01")],
)
def test_any_four_digit_year_is_answered_within_the_advice_s_contract(
    session, server, datum, toepassing, peildatum
):
    """MAGDA's generiek DatumType takes a year of 0-2999 or 9000-9999 only; the advice's own
    contract takes any (a Datum in 9000 asks for a Peildatum in 8999), and its reply fits it."""
    advies = vraag(session, server, "98630499724", datum, toepassing)
    assert advies.findtext("Peildatum") == peildatum
    schema = etree.XMLSchema(
        etree.parse(str(wsdl_folder() / "xsd/GeefAutomatischAdvies-01.00.xsd"))
    )
    assert schema.validate(next(advies.iterancestors("{*}GeefAutomatischAdviesResponse")))


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_request_the_advice_s_xsd_takes_gets_the_advice_of_its_criteria(data):
    """Every optional part of the frame (Ontvanger, Annotaties, Afzender's Naam, ...), a
    Toepassing left out or given, any date: the same advice as the plain request with the
    same INSZ, Datum and Toepassing, by the direct path and by spyne. Left out as in
    test_dossier_versions: an empty Ontvanger Identificatie, more than one Vraag."""
    insz = data.draw(st.sampled_from(["73680599786", "98630499724", "80651239522"]))
    fixed = {
        "Verzoek/Context/Naam": "GeefAutomatischAdvies",
        "Verzoek/Context/Versie": "01.00.0000",
        "Verzoek/Context/Bericht/Type": "VRAAG",
        "Verzoek/Context/Bericht/Afzender/Identificatie": texts(1, 40).filter(str.strip),
        "Verzoek/Vragen/Vraag/Inhoud/Criteria/INSZ": insz,
    }
    vraag = advice_instances().draw(
        data.draw, NS_ADVIES, "GeefAutomatischAdvies", fixed, {"Verzoek/Vragen/Vraag": 1}
    )
    assume(advice_xsd().validate(vraag))
    receiver = vraag.findtext("Verzoek/Context/Bericht/Ontvanger/Identificatie")
    assume(receiver is None or receiver.strip())
    criteria = vraag.find("Verzoek/Vragen/Vraag/Inhoud/Criteria")
    toepassing = (criteria.findtext("Toepassing") or "").strip() or "ZORGBUDGET"
    plain = advies_verzoek(insz, criteria.findtext("Datum").strip(), toepassing)
    body = in_envelope(vraag)
    for emulator in both_paths():
        expected = in_process(emulator, PATH_ADVIES, plain)
        received = in_process(emulator, PATH_ADVIES, body)
        assert (received.status, received.codes()) == (200, []), received.body
        assert etree.tostring(received.advies) == etree.tostring(expected.advies)


@cache
def advice_instances() -> Instances:
    return Instances(wsdl_folder() / "xsd")


@cache
def advice_xsd() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(wsdl_folder() / "xsd/GeefAutomatischAdvies-01.00.xsd")))


def test_the_rule_set_after_ruling_112_2023():
    from magda_kbi.adapters.app import Settings, make_emulator
    from magda_kbi.adapters.pytest_plugin import _Server
    from magda_kbi.domain.advies import RuleSet

    server = _Server(
        make_emulator(Settings(today=date(2030, 1, 1), rule_set=RuleSet.NA_ARREST_112_2023))
    )
    try:
        antwoord = post(
            server.url + PATH_ADVIES, advies_verzoek("73680599786", "2024-01-01", referte="r")
        )
        assert antwoord.advies.findtext("Resultaat") == "OK"
        assert antwoord.uitzonderingen() == [
            (
                "40201",
                "INFORMATIE",
                "Grondwettelijk Hof, arrest nr. 112/2023 van 20 juli 2023 (BS 10 november 2023): "
                "de inburgeringsvoorwaarde voor het zorgbudget en de verlaagde premie is "
                "vernietigd",
            )
        ]
        client = MagdaClient(server.url, afzender="vsb.vlaanderen.be", hoedanigheid="VSB")
        advies = client.geef_automatisch_advies("73680599786", "2024-01-01")
        assert advies.ok and advies.uitzonderingen[0].code == "40201"
        assert requests.get(f"{server.url}/health", timeout=5).json()["rules"] == (
            "after-ruling-112-2023"
        )
        listing = requests.get(f"{server.url}/api/v1/lijsten/verlaagde-premie/2023", timeout=5)
        assert listing.json()["items"] == []
        rest = requests.get(f"{server.url}/api/v1/advies/73680599786", timeout=5).json()
        assert rest["rule"]["number"] == 0 and "112/2023" in rest["informatie"]
    finally:
        server.stop()
