"""The admin API and the contract-testing kit, through HTTP and the pytest plugin's ``magda``."""

import json
import socket
import time
from datetime import UTC, datetime

import pytest
import requests
import yaml

from magda_client import (
    DossierNietGevonden,
    MagdaClient,
    MagdaTransportFout,
    TeVeelBevragingen,
)
from magda_kbi.adapters.app import Settings, make_emulator
from magda_kbi.adapters.pytest_plugin import MagdaEmulator, _Server
from magda_kbi.domain.insz import modulo97_valid

from .soap import PATH_DOSSIER, PATH_DOSSIER_02, dossier_verzoek, post

NEW = {
    "insz": "80651338304",
    "scenario": "Registered at runtime, no contract",
    "dossier": {
        "personalia": {
            "achternamen": ["Nadzialek"],
            "voornamen": ["Boris"],
            "geboortedatum": "1980-05-13",
        },
        "doelgroepen": [{"code": "JA", "type": "PLICHT", "periode": {"begin": "2023-01-02"}}],
        "aanmelding": {"datum_aanmelding": "2023-02-01"},
    },
}
YAML = """\
insz: "80651439361"
scenario: Created from YAML
dossier:
  personalia: {achternamen: [Nadzialek], voornamen: [Boris], geboortedatum: 1980-05-14}
  doelgroepen:
    - {code: JA, type: PLICHT, periode: {begin: 2023-01-02}}
  inbreuken:
    - {datum_vaststelling: 2023-06-01}
"""


def client(magda, **kw) -> MagdaClient:
    kw.setdefault("backoff", 0)
    return MagdaClient(magda.url, afzender="zorgkas.test.be", hoedanigheid="4321", **kw)


def admin(magda, method: str, path: str, **kw) -> requests.Response:
    # what changes the emulator says a JSON or YAML content type, even without a body
    kw.setdefault("headers", {"Content-Type": "application/json"})
    return requests.request(method, f"{magda.url}/admin{path}", timeout=10, **kw)


def test_a_call_that_takes_no_body_refuses_one(magda):
    """A reset given {"journal": false} reset the journal all the same, without a word."""
    for method, path in (
        ("POST", "/reset"),
        ("DELETE", "/journal"),
        ("DELETE", "/faults"),
        ("DELETE", "/faults/{id}"),
        ("DELETE", "/personas/98630499724"),
    ):
        path = path.format(id=magda.fault("latency", latency_ms=1)["id"])
        r = admin(magda, method, path, data='{"journal": false}')
        assert (r.status_code, r.json()) == (
            400,
            {"code": "INVALID_PARAMETER", "diagnose": "this call takes no body", "field": "body"},
        ), path
        assert len(admin(magda, "GET", "/faults").json()) == 1  # nothing done
        assert admin(magda, method, path, data="{}").status_code in (200, 204)  # JSON's nothing
        admin(magda, "DELETE", "/faults")
        magda.reset()


# -- personas ---------------------------------------------------------------------------


def test_a_persona_added_at_runtime_is_served_by_soap_and_rest_and_gone_after_reset(magda):
    magda.today("2024-01-01")
    with pytest.raises(DossierNietGevonden):
        client(magda).geef_dossier_kbi("80651338304")
    magda.persona(NEW)
    dossier = client(magda).geef_dossier_kbi("80651338304")
    assert dossier.datum_aanmelding.isoformat() == "2023-02-01"
    advies = client(magda).geef_automatisch_advies("80651338304", "2024-01-01")
    assert advies.reden_code == "GEEN_CONTRACT"
    rest = requests.get(f"{magda.url}/api/v1/advies/80651338304?datum=2024-01-01", timeout=5)
    assert rest.json()["reden"]["code"] == "GEEN_CONTRACT"
    magda.reset()
    with pytest.raises(DossierNietGevonden):
        client(magda).geef_dossier_kbi("80651338304")
    assert requests.get(f"{magda.url}/api/v1/dossiers/80651338304", timeout=5).status_code == 404


def test_create_replace_read_delete(magda):
    r = admin(magda, "PUT", "/personas/80651338304", json=NEW)
    assert r.status_code == 201 and r.json()["insz"] == "80651338304"
    r = admin(magda, "PUT", "/personas/80651338304", json={**NEW, "scenario": "replaced"})
    assert r.status_code == 200
    r = admin(magda, "GET", "/personas/80651338304")
    assert r.json()["scenario"] == "replaced"
    assert r.json()["dossier"]["aanmelding"] == {"datum_aanmelding": "2023-02-01"}
    listing = {p["insz"]: p for p in admin(magda, "GET", "/personas").json()}
    assert listing["80651338304"]["source"] == "runtime"
    assert listing["98630499724"]["source"] == "fixture"
    assert admin(magda, "POST", "/personas", json=NEW).status_code == 409
    assert admin(magda, "DELETE", "/personas/80651338304").status_code == 204
    assert admin(magda, "DELETE", "/personas/80651338304").status_code == 404
    assert admin(magda, "GET", "/personas/80651338304").status_code == 404


def test_a_persona_read_back_can_be_put_again(magda):
    shape = admin(magda, "GET", "/personas/98630499724").json()
    assert admin(magda, "PUT", "/personas/98630499724", json=shape).status_code == 200
    assert admin(magda, "GET", "/personas/98630499724").json() == shape


def test_a_persona_read_as_yaml_is_its_file_and_goes_back_as_yaml(magda):
    """Asked for YAML (Accept), a persona comes in the persona files' own language: edit
    it and PUT it back as YAML; JSON stays what a client gets without asking."""
    read_back = admin(magda, "GET", "/personas/98630499724", headers={"Accept": "application/yaml"})
    assert read_back.status_code == 200
    assert read_back.headers["Content-Type"].startswith("application/yaml")
    text = read_back.content.decode("utf-8")
    assert "insz: '98630499724'" in text  # quoted: a number would lose the INSZ's text
    assert "Saïd" in text  # written as it is, not as an escape
    assert yaml.safe_load(text) == admin(magda, "GET", "/personas/98630499724").json()
    back = admin(
        magda,
        "PUT",
        "/personas/98630499724",
        data=text.replace("Werkzoekend", "Werkend").encode(),
        headers={"Content-Type": "application/yaml"},
    )
    assert back.status_code == 200, back.text
    profiel = admin(magda, "GET", "/personas/98630499724").json()["dossier"]["klantprofiel"]
    assert profiel["werksituatie"] == "Werkend"
    # under the other names PUT takes YAML by as well
    for accept in ("text/yaml", "application/x-yaml"):
        r = admin(magda, "GET", "/personas/98630499724", headers={"Accept": accept})
        assert r.headers["Content-Type"].startswith("application/yaml"), accept
    # JSON without an Accept, and for a client that prefers it
    for accept in (None, "application/json", "application/json, application/yaml;q=0.5"):
        header = {"Accept": accept} if accept else {}
        r = admin(magda, "GET", "/personas/98630499724", headers=header)
        assert r.headers["Content-Type"] == "application/json", accept


def test_yaml_bodies_and_post(magda):
    r = admin(
        magda, "POST", "/personas", data=YAML.encode(), headers={"Content-Type": "application/yaml"}
    )
    assert r.status_code == 201
    magda.today("2024-01-01")
    assert client(magda).geef_automatisch_advies("80651439361", "2024-01-01").reden_code == (
        "INBREUK"
    )


def test_a_fixture_persona_can_be_deleted_and_comes_back_on_reset(magda):
    magda.remove_persona("98630499724")
    with pytest.raises(DossierNietGevonden):
        client(magda).geef_dossier_kbi("98630499724")
    magda.reset()
    assert client(magda).geef_dossier_kbi("98630499724").insz == "98630499724"


@pytest.mark.parametrize(
    ("body", "field", "in_diagnose"),
    [
        ({**NEW, "insz": "80051338304"}, "insz", "differs from the path"),
        # the path's INSZ unquoted: the body's was said to differ from the path's
        ({**NEW, "insz": 80651338304}, "insz", "80651338304 is a number: an INSZ is text"),
        ({**NEW, "scenario": ""}, "scenario", "required"),
        ({**NEW, "fout": "42"}, "fout", "99996"),
        (
            {
                **NEW,
                "dossier": {
                    **NEW["dossier"],
                    "doelgroepen": [
                        {"code": "JA", "type": "VERPLICHT", "periode": {"begin": "2023-01-02"}}
                    ],
                },
            },
            "dossier.doelgroepen[0].type",
            "not one of",
        ),
        (
            {
                **NEW,
                "dossier": {
                    **NEW["dossier"],
                    "contracten": [{"datum_registratie": "2023-01-40"}],
                },
            },
            "dossier.contracten[0].datum_registratie",
            "date",
        ),
        ({**NEW, "extra": 1}, "extra", "unknown field"),
        # text XML cannot hold (found by schemathesis: it was a 500)
        (
            {
                **NEW,
                "dossier": {
                    **NEW["dossier"],
                    "personalia": {**NEW["dossier"]["personalia"], "achternamen": ["\x1f"]},
                },
            },
            "dossier.personalia.achternamen[0]",
            "U+001F is a character XML cannot hold",
        ),
        (
            {**NEW, "gegevens": {"contact": {"email": "a\x00b@test.be"}}},
            "gegevens.contact.email",
            "U+0000",
        ),
        (
            {
                **NEW,
                "dossier": {
                    **NEW["dossier"],
                    "inbreuken": [
                        {"datum_vaststelling": "2023-06-01", "sanctionerende_overheid": "\uffff"}
                    ],
                },
            },
            "dossier.inbreuken[0].sanctionerende_overheid",
            "U+FFFF",
        ),
        # text the municipality lists' XML names (participatie: naam, contact, contacttaal):
        # it was taken, and the list stopped after its 200 with lxml's ValueError
        (
            {**NEW, "gegevens": {"participatie": {"contacttaal": "Russisch\x01"}}},
            "gegevens.participatie.contacttaal",
            "U+0001 is a character XML cannot hold",
        ),
        (  # without a dossier, the contact was not looked at
            {
                "insz": "80651338304",
                "scenario": "Only in the lists",
                "naam": "Boris Nadzialek",
                "gegevens": {"contact": {"telefoon": "\x1b[31m"}},
            },
            "gegevens.contact.telefoon",
            "U+001B",
        ),
        (
            {"insz": "80651338304", "scenario": "Only in the lists", "naam": "Bo\x08ris"},
            "naam",
            "U+0008",
        ),
        (
            {
                **NEW,
                "gegevens": {"lidmaatschappen": [{"zorgkas": "\x02", "begin": "2024-01-01"}]},
            },
            "gegevens.lidmaatschappen[0].zorgkas",
            "U+0002",
        ),
        # a part that is no mapping at all (found by schemathesis's sweep once its personas
        # got past the INSZ: each was a 500)
        ({**NEW, "gegevens": 5}, "gegevens", "expected a mapping (key: value)"),
        ({**NEW, "verwacht": ["OK"]}, "verwacht[0]", "expected a mapping (key: value)"),
        # a false, 0 or "" is a wrong value, not "none": they were taken as empty (only a
        # missing or null part is, as YAML writes a key left bare)
        ({**NEW, "verwacht": False}, "verwacht", "expected a list"),
        ({**NEW, "verwacht": ""}, "verwacht", "expected a list"),
        ({**NEW, "gegevens": 0}, "gegevens", "expected a mapping (key: value)"),
        ({**NEW, "gegevens": []}, "gegevens", "expected a mapping (key: value)"),
        # the path's INSZ as printed in the body: told so, not that the two differ
        (
            {**NEW, "insz": "80.65.13-383.04"},
            "insz",
            "'80.65.13-383.04' is written as printed: its 11 digits, 80651338304",
        ),
    ],
)
def test_invalid_personas_are_422_with_field_and_reason(magda, body, field, in_diagnose):
    r = admin(magda, "PUT", "/personas/80651338304", json=body)
    assert r.status_code == 422
    assert r.json()["code"] == "INVALID_PERSONA"
    assert r.json()["field"] == field and in_diagnose in r.json()["diagnose"]
    assert admin(magda, "GET", "/personas/80651338304").status_code == 404  # nothing changed


def test_a_non_test_number_is_refused(magda):
    body = {**NEW, "insz": "85073003328"}  # modulo-97 valid, but a real month
    r = admin(magda, "PUT", "/personas/85073003328", json=body)
    assert r.status_code == 422 and "test number" in r.json()["diagnose"]
    # month 07 + 60 = 67, the same day and sequence; 97 - 856730033 % 97 = 60
    assert "the nearest test number is 85673003360" in r.json()["diagnose"]


def test_new_insz_from_the_plugin_is_free_and_usable(magda):
    insz = magda.new_insz("1990-05-13", "M")
    assert insz.startswith("906513") and int(insz[6:9]) % 2 == 1
    magda.persona({**NEW, "insz": insz})
    assert magda.new_insz() != insz
    # in any case, as the command line takes it; a value that is none says which it was
    assert int(magda.new_insz(sex="f")[6:9]) % 2 == 0
    with pytest.raises(ValueError) as error:
        magda.new_insz(sex="V")
    assert str(error.value) == "sex is M or F, not 'V' (F for a woman: V is Dutch)"


def test_new_insz_asks_for_the_numbers_it_draws_not_for_every_persona(magda, monkeypatch):
    """It fetched the list of every persona: over 90 s per call from an emulator of 200,000
    generated ones. Now it asks for each number it draws, and draws again for a taken one;
    an admin API that is off is said, as before."""
    import magda_kbi.domain.insz as insz_module

    draws = iter(["98630499724"])  # a built-in persona's, drawn first
    draw = insz_module.new_test_numbers

    def drawn(count, birth_date=None, sex=None, rnd=None, taken=()):
        first = next(draws, None)
        if first is not None and first not in taken:
            return [first]
        return draw(count, birth_date, sex, rnd, taken)

    monkeypatch.setattr(insz_module, "new_test_numbers", drawn)
    asked: list[tuple[str, str, int]] = []

    def note(response, *args, **kwargs):
        asked.append((response.request.method, response.request.path_url, response.status_code))

    monkeypatch.setitem(magda.session.hooks, "response", [note])
    insz = magda.new_insz()
    assert insz != "98630499724" and modulo97_valid(insz) and 61 <= int(insz[2:4]) <= 72
    assert asked == [
        ("GET", "/admin/personas/98630499724", 200),
        ("GET", f"/admin/personas/{insz}", 404),
    ]
    server = _Server(make_emulator(Settings(admin=False)))
    try:
        with pytest.raises(AssertionError) as off:
            MagdaEmulator(server.url).new_insz()
    finally:
        server.stop()
    assert "404" in str(off.value) and "the admin API is off" in str(off.value)


def test_every_admin_call_of_the_plugin_gives_up_on_an_emulator_that_never_answers():
    # A hung emulator (stopped in a debugger, say) fails the test after the timeout; an
    # admin call without one waited for ever, and CI with it.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # the kernel accepts the connections; nothing ever answers
        emulator = MagdaEmulator(f"http://127.0.0.1:{silent.getsockname()[1]}")
        emulator.timeout = 0.2
        calls = {
            "persona": lambda: emulator.persona(NEW),
            "persona (YAML)": lambda: emulator.persona(YAML, "80651439361"),
            "remove_persona": lambda: emulator.remove_persona("80651338304"),
            "today": lambda: emulator.today("2024-01-01"),
            "fault": lambda: emulator.fault("99996"),
            "journal": lambda: emulator.journal(),
            "reset": lambda: emulator.reset(),
            "new_insz": lambda: emulator.new_insz(),
        }
        for name, call in calls.items():
            start = time.monotonic()
            with pytest.raises(requests.Timeout):
                call()
            assert time.monotonic() - start < 5, name


@pytest.mark.parametrize("body", [b"", b"{not json", b"- a\n- list\n", b"\x00\xff"])
def test_garbage_bodies(magda, body):
    r = admin(
        magda,
        "PUT",
        "/personas/80651338304",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["code"] == "INVALID_PERSONA"


# -- clock ------------------------------------------------------------------------------


def test_clock(magda):
    assert admin(magda, "GET", "/clock").json()["fixed"] is False
    r = admin(magda, "PUT", "/clock", json={"today": "2023-03-01"})
    assert r.json() == {"today": "2023-03-01", "fixed": True}
    antwoord = post(magda.url + PATH_DOSSIER, dossier_verzoek("79652599875"))
    assert antwoord.root.findtext("Repliek/Context/Bericht/Tijdstip/Datum") == "2023-03-01"
    assert len(antwoord.dossier.find("Inbreuken/Inbreuk/RechtzettingsFormulier")) == 0
    assert requests.get(f"{magda.url}/health", timeout=5).json()["today"] == "2023-03-01"
    assert admin(magda, "PUT", "/clock", json={"today": None}).json()["fixed"] is False
    for error in ({"today": "morgen"}, {"vandaag": "2024-01-01"}, [1], {"today": "20230301"}):
        assert admin(magda, "PUT", "/clock", json=error).status_code == 422
    week = admin(magda, "PUT", "/clock", json={"today": "2023-W09-3"})  # was 2023-03-01
    assert week.json()["diagnose"] == (
        "'2023-W09-3' is not a date from 2000-01-01 to 2100-12-31 (YYYY-MM-DD)"
    )
    assert admin(magda, "GET", "/clock").json()["fixed"] is False
    # a day the month does not have is said; a value as the body wrote it (True was shown)
    februari = admin(magda, "PUT", "/clock", json={"today": "2024-02-30"}).json()["diagnose"]
    assert februari == (
        "'2024-02-30' is not a date from 2000-01-01 to 2100-12-31 (YYYY-MM-DD): day is out of"
        " range for month"
    )
    waar = admin(magda, "PUT", "/clock", json={"today": True}).json()["diagnose"]
    assert waar == "true is not a date from 2000-01-01 to 2100-12-31 (YYYY-MM-DD)"
    # a key other than today is named, as an unknown field elsewhere
    datum = admin(magda, "PUT", "/clock", json={"datum": "2024-01-01"}).json()
    assert datum == {
        "code": "INVALID_CLOCK",
        "diagnose": "unknown field (allowed: fixed, today)",
        "field": "datum",
    }
    capital = admin(magda, "PUT", "/clock", json={"Today": "2024-01-01"}).json()
    assert capital["diagnose"] == ("unknown field (allowed: fixed, today); did you mean 'today'?")


def test_the_clock_a_get_returned_is_taken_back_by_put(magda):
    """A script that saves the clock (GET) and restores it after its test (PUT of that
    body): "fixed" was refused as an unknown field, so the clock stayed as the test left it."""
    real = admin(magda, "GET", "/clock").json()
    assert real["fixed"] is False
    admin(magda, "PUT", "/clock", json={"today": "2023-03-01"})
    back = admin(magda, "PUT", "/clock", json=real)
    assert back.status_code == 200 and back.json() == real
    fixed = {"today": "2024-06-01", "fixed": True}
    assert admin(magda, "PUT", "/clock", json=fixed).json() == fixed
    assert admin(magda, "GET", "/clock").json() == fixed
    assert admin(magda, "PUT", "/clock", json={"today": None, "fixed": False}).json() == real
    # what cannot be: said, and the clock left as it was
    admin(magda, "PUT", "/clock", json=fixed)
    for body, field, diagnose in [
        ({"today": None, "fixed": True}, "fixed", 'a fixed clock needs a "today" (YYYY-MM-DD)'),
        ({"today": "2024-06-01", "fixed": "yes"}, "fixed", "'yes' is not true or false"),
        ({"today": "2024-06-01", "fixed": 1}, "fixed", "1 is not true or false"),
        (
            {"today": "2000-01-01", "fixed": False},
            "today",
            f'a clock that is not fixed is at the real date ({real["today"]}): "today" is'
            " that or null",
        ),
    ]:
        r = admin(magda, "PUT", "/clock", json=body)
        assert (r.status_code, r.json()) == (
            422,
            {"code": "INVALID_CLOCK", "diagnose": diagnose, "field": field},
        ), body
    assert admin(magda, "GET", "/clock").json() == fixed


# -- faults, as a zeep client sees them --------------------------------------------------


def test_latency_fixed_and_random(magda):
    magda.fault("latency", latency_ms=300, service="GeefAutomatischAdvies")
    start = time.monotonic()
    client(magda).geef_automatisch_advies("98630499724", "2024-01-01")
    assert time.monotonic() - start >= 0.3
    client(magda).geef_dossier_kbi("98630499724")  # the other service: no delay
    # (said by the journal, not by a stopwatch: a busy machine makes any time bound flaky)
    assert "injected_latency_ms" not in magda.journal(operation="GeefDossierKBI")[-1]
    assert magda.journal(operation="GeefAutomatischAdvies")[-1]["injected_latency_ms"] == 300
    admin(magda, "DELETE", "/faults")
    magda.fault("latency", latency_ms=100, latency_max_ms=200)
    start = time.monotonic()
    client(magda).geef_dossier_kbi("98630499724")
    assert 0.1 <= time.monotonic() - start
    regel = magda.journal(operation="GeefDossierKBI")[-1]
    assert 100 <= regel["injected_latency_ms"] <= 200


def test_a_failure_with_a_latency_waits_then_fails(magda):
    """latency_ms on a 99996 was kept and shown by the admin API, and never applied."""
    magda.fault("99996", count=1, latency_ms=250)
    start = time.monotonic()
    with pytest.raises(TeVeelBevragingen):
        client(magda, retries=0).geef_dossier_kbi("98630499724")
    assert time.monotonic() - start >= 0.25
    regel = magda.journal()[-1]
    assert (regel["result"], regel["injected_latency_ms"]) == ("UITZONDERING 99996", 250)


def test_99996_for_the_next_calls_then_success(magda):
    magda.fault("99996", count=2, insz="98630499724")
    c = client(magda, retries=3)
    assert c.geef_dossier_kbi("98630499724").insz == "98630499724"  # retried twice
    resultaten = [r["result"] for r in magda.journal(insz="98630499724")]
    assert resultaten == ["UITZONDERING 99996", "UITZONDERING 99996", "DOSSIER"]
    assert admin(magda, "GET", "/faults").json() == []  # used up


def test_99996_without_retries_and_for_a_share_of_calls(magda):
    magda.fault("99996", share=1.0)
    with pytest.raises(TeVeelBevragingen):
        client(magda, retries=0).geef_automatisch_advies("98630499724", "2024-01-01")
    assert admin(magda, "GET", "/faults").json()[0]["applied"] == 1


def test_a_share_of_the_calls_fails_and_a_count_counts_only_those(magda):
    """``share`` below 1 was never run (only 1.0, every call): half of 200 calls fail, give
    or take chance; with a count, the count runs down by the calls that failed."""
    magda.fault("99996", share=0.5, insz="98630499724")
    c = client(magda, retries=0)

    def failed(calls: int) -> int:
        n = 0
        for _ in range(calls):
            try:
                c.geef_dossier_kbi("98630499724")
            except TeVeelBevragingen:
                n += 1
        return n

    n = failed(200)
    assert 50 <= n <= 150  # 100 expected, 7 of chance's spread: outside once in 10^11 runs
    assert admin(magda, "GET", "/faults").json()[0]["applied"] == n
    assert [r["result"] for r in magda.journal()].count("UITZONDERING 99996") == n
    admin(magda, "DELETE", "/faults")
    magda.fault("99996", share=0.5, count=3)
    assert failed(200) == 3  # three 99996, a few calls apart, then none
    assert admin(magda, "GET", "/faults").json() == []


def test_faults_are_scoped_to_an_insz(magda):
    magda.fault("soap_fault", insz="73680599786")
    with pytest.raises(MagdaTransportFout, match="SOAP Fault"):
        client(magda).geef_dossier_kbi("73680599786")
    assert client(magda).geef_dossier_kbi("98630499724").insz == "98630499724"


@pytest.mark.parametrize(("kind", "status"), [("http_500", 500), ("http_503", 503)])
def test_http_errors(magda, kind, status):
    magda.fault(kind, count=1)
    with pytest.raises(MagdaTransportFout) as info:
        client(magda).geef_dossier_kbi("98630499724")
    assert info.value.status == status
    assert client(magda).geef_dossier_kbi("98630499724")  # count 1: the next one works


def test_dropped_connection(magda):
    """The in-process server cuts a dropped call before any reply, and the client sends a
    call cut so once more: one drop is absorbed (answered on the second try), two in a row
    are its transport error."""
    magda.fault("drop", count=1)
    assert client(magda).geef_dossier_kbi("98630499724")
    magda.fault("drop", count=2)
    with pytest.raises(MagdaTransportFout, match="not reachable"):
        client(magda).geef_dossier_kbi("98630499724")
    regels = magda.journal()
    assert [r["result"] for r in regels] == ["FAULT drop", "DOSSIER", "FAULT drop", "FAULT drop"]
    assert (regels[0]["afzender"], regels[0]["hoedanigheid"]) == ("zorgkas.test.be", "4321")


def test_faults_list_remove_clear_and_validation(magda):
    first = magda.fault("latency", latency_ms=1)
    magda.fault("http_503", service="GeefDossierKBI")
    assert [s["kind"] for s in admin(magda, "GET", "/faults").json()] == ["latency", "http_503"]
    assert admin(magda, "DELETE", f"/faults/{first['id']}").status_code == 204
    assert admin(magda, "DELETE", f"/faults/{first['id']}").status_code == 404
    assert admin(magda, "DELETE", "/faults").status_code == 204
    assert admin(magda, "GET", "/faults").json() == []
    for error, field in [
        ({"kind": "boom"}, "kind"),
        ({"kind": "latency"}, "latency_ms"),
        ({"kind": "99996", "share": 2}, "share"),
        ({"kind": "99996", "service": "GeefPersoon"}, "service"),
        ({"kind": "99996", "insz": "123"}, "insz"),
        ({"kind": "99996", "count": 0}, "count"),
        ({"kind": "99996", "bogus": 1}, "bogus"),
    ]:
        r = admin(magda, "POST", "/faults", json=error)
        assert r.status_code == 422 and r.json()["field"] == field, error


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_s_missing_numbers_are_refused_as_no_json(magda, constant):
    """Python's reader takes NaN and Infinity; JSON has neither (a share of NaN was refused
    as 'nan is more than 1')."""
    r = admin(
        magda,
        "POST",
        "/faults",
        data=f'{{"kind": "99996", "share": {constant}}}',
        headers={"Content-Type": "application/json"},
    )
    assert (r.status_code, r.json()["code"]) == (422, "INVALID_BODY")
    assert r.json()["diagnose"] == (
        f"expected a JSON object: not valid JSON: {constant} is not a JSON number (RFC 8259 has"
        " no NaN or Infinity)"
    )


@pytest.mark.parametrize(
    ("error", "diagnose"),
    [
        (  # pydantic's words for a Literal, without the one meant ('kind' had both)
            {"kind": "99996", "service": "geefdossierkbi"},
            "'geefdossierkbi' is not one of 'GeefDossierKBI' or 'GeefAutomatischAdvies'; did you"
            " mean 'GeefDossierKBI'?",
        ),
        (  # the pattern's regular expression was the explanation
            {"kind": "99996", "insz": "73.68.05-997.86"},
            "'73.68.05-997.86' is not an INSZ's 11 digits: 73680599786",
        ),
        ({"kind": "99996", "insz": "7368059978"}, "'7368059978' is not an INSZ's 11 digits"),
        # a bound in pydantic's words ("Input should be greater than or equal to 1")
        ({"kind": "99996", "count": 0}, "0 is less than 1"),
        ({"kind": "99996", "share": 1.5}, "1.5 is more than 1"),
        ({"kind": "99996", "share": 0}, "0 is not more than 0"),
        ({"kind": "99996", "count": True}, "true is not an integer"),  # JSON's word: "True"
    ],
)
def test_a_fault_s_service_or_insz_written_wrong_is_told_what_is_meant(magda, error, diagnose):
    r = admin(magda, "POST", "/faults", json=error)
    assert r.status_code == 422
    assert r.json()["diagnose"] == diagnose


# -- journal ----------------------------------------------------------------------------


def test_the_journal_records_who_asked_what(magda):
    c = client(magda)
    c.geef_automatisch_advies("73680599786", "2024-01-01")
    c.geef_dossier_kbi("98630499724")
    with pytest.raises(DossierNietGevonden):
        c.geef_dossier_kbi("86630100380")
    requests.get(
        f"{magda.url}/api/v1/advies/73680599786?datum=2024-01-01",
        timeout=5,
        headers={"X-Magda-Afzender": "gemeente.be", "X-Magda-Hoedanigheid": "99"},
    )
    regels = magda.journal()
    assert [r["operation"] for r in regels] == [
        "GeefAutomatischAdvies",
        "GeefDossierKBI",
        "GeefDossierKBI",
        "GeefAutomatischAdvies",
    ]
    first = regels[0]
    assert (first["afzender"], first["hoedanigheid"], first["insz"]) == (
        "zorgkas.test.be",
        "4321",
        "73680599786",
    )
    assert first["result"] == "NOK INBREUK" and first["status"] == 200
    assert first["referte"] and first["latency_ms"] > 0
    assert first["endpoint"] == "/GeefAutomatischAdviesDienst-01.00/soap/WebService"
    assert regels[2]["result"] == "UITZONDERING 30001"
    assert (regels[3]["afzender"], regels[3]["hoedanigheid"], regels[3]["endpoint"]) == (
        "gemeente.be",
        "99",
        "/api/v1/advies/73680599786",
    )
    assert [r["insz"] for r in magda.journal(afzender="gemeente.be")] == ["73680599786"]
    assert len(magda.journal(insz="98630499724")) == 1
    # as the console prints it: found nothing, the calls were made with its 11 digits
    assert [r["insz"] for r in magda.journal(insz=" 73.68.05-997.86")] == ["73680599786"] * 2
    assert len(magda.journal(operation="GeefDossierKBI")) == 2
    later = datetime.now(UTC).isoformat()
    assert magda.journal(since=later) == []
    assert len(magda.journal(since=regels[1]["time"])) == 3
    # without an offset, a time is UTC's, as the journal writes its times; a date its midnight
    assert regels[1]["time"].endswith("+00:00")
    assert len(magda.journal(since=regels[1]["time"].removesuffix("+00:00"))) == 3
    assert len(magda.journal(since=regels[0]["time"][:10])) == 4
    assert admin(magda, "DELETE", "/journal").status_code == 204
    assert magda.journal() == []
    assert admin(magda, "GET", "/journal", params={"since": "gisteren"}).status_code == 400
    assert admin(magda, "GET", "/journal", params={"wie": "x"}).status_code == 400
    # a UTC offset's + typed into a URL arrives as a space: the refusal says how to write it
    r = requests.get(f"{magda.url}/admin/journal?since=2024-01-01T10:00:00+01:00", timeout=5)
    assert r.json()["diagnose"] == (
        "'2024-01-01T10:00:00 01:00' is not an ISO date-time (write the + of a UTC offset as %2B"
        " in a URL)"
    )
    assert admin(magda, "GET", "/journal?since=2024-01-01T10:00:00%2B01:00").status_code == 200
    assert admin(magda, "GET", "/journal?operation=admin%20PUT").status_code == 200


def test_the_journal_stays_within_its_bound(runtime_store):
    server = _Server(make_emulator(Settings(admin=True, journal_size=5, **runtime_store)))
    try:
        kit = MagdaEmulator(server.url)
        for _ in range(12):
            post(server.url + PATH_DOSSIER, dossier_verzoek("98630499724"))
        r = requests.get(f"{server.url}/admin/journal", timeout=5).json()
        assert (len(r["entries"]), r["size"], r["capacity"]) == (5, 5, 5)
        kit.reset()
        assert kit.journal() == []
    finally:
        server.stop()


def test_the_helper_reports_admin_errors(magda):
    with pytest.raises(AssertionError, match="422"):
        magda.fault("nonsense")
    with pytest.raises(AssertionError, match="404"):
        magda.remove_persona("80651338304")


def test_faults_apply_in_the_order_they_were_added(magda):
    """Of two failures for one call, the one added first. The store read its faults without
    an order, and PostgreSQL gives a row changed since (a count used up) after the others:
    the second call got 99994 (a test of the platform codes failed now and then)."""
    magda.fault("99995", count=2)
    magda.fault("99994", count=1)
    codes = [
        post(magda.url + PATH_DOSSIER_02, dossier_verzoek("98630499724", "02.00")).codes()
        for _ in range(4)
    ]
    assert codes == [["99995"], ["99995"], ["99994"], []]


def test_magdas_other_platform_codes_as_faults(magda):
    """99995 and 99994 as the platform sends them, beside 99996."""
    magda.fault("99995", count=1)
    magda.fault("99994", count=1, service="GeefDossierKBI")
    for expected in (
        [("99995", "FOUT", "Te veel gelijktijdige bevragingen")],
        [("99994", "FOUT", "Onverwachte fout bij de bron")],
        [],
    ):
        antwoord = post(magda.url + PATH_DOSSIER_02, dossier_verzoek("98630499724", "02.00"))
        assert antwoord.uitzonderingen() == expected


def test_the_dutch_plugin_names_still_work_but_are_deprecated(magda):
    with pytest.deprecated_call(match="use magda.today"):
        magda.vandaag("2024-06-01")
    with pytest.deprecated_call(match="use magda.fault"):
        magda.storing("99996", count=1)
    with pytest.deprecated_call(match="use magda.journal"):
        assert magda.journaal() == []
    with pytest.deprecated_call(match="use magda.session"):
        assert magda.sessie is magda.session
    assert requests.get(f"{magda.url}/admin/clock", timeout=5).json()["today"] == "2024-06-01"


def test_get_then_put_of_every_persona_changes_nothing(magda, builtin_personas):
    for insz, persona in builtin_personas.items():
        read_back = admin(magda, "GET", f"/personas/{insz}")
        assert read_back.status_code == 200
        back = admin(magda, "PUT", f"/personas/{insz}", json=read_back.json())
        assert back.status_code == 200, back.text
        assert back.json() == read_back.json()
        assert admin(magda, "GET", f"/personas/{insz}").json() == read_back.json()
        if persona.gegevens.woonplaatsen:
            assert read_back.json()["gegevens"]["woonplaatsen"], insz


@pytest.mark.parametrize(
    ("method", "path", "diagnose", "field"),
    [
        (
            "DELETE",
            "/journal?insz=98630499724",
            "unknown parameter 'insz' (this call takes no parameter)",
            "insz",
        ),
        (
            "GET",
            "/personas?page=2",
            "unknown parameter 'page' (this call takes no parameter)",
            "page",
        ),
        ("GET", "/faults?x=1", "unknown parameter 'x' (this call takes no parameter)", "x"),
        (
            "GET",
            "/journal?sinds=2024-01-01",
            "unknown filter 'sinds' (allowed: afzender, insz, kind, operation, since); "
            "did you mean 'since'?",
            "sinds",
        ),
        ("GET", "/journal?insz=1&insz=2", "filter 'insz' is given more than once", "insz"),
        (  # a value no call has: an empty list, as if nobody had called
            "GET",
            "/journal?operation=geefdossierkbi",
            "unknown operation 'geefdossierkbi' (known: GeefDossierKBI, GeefAutomatischAdvies,"
            " lijst-verlaagde-premie, lijst-gemeente, lijst-participatie, admin METHOD);"
            " did you mean 'GeefDossierKBI'?",
            "operation",
        ),
        (
            "GET",
            "/journal?since=2024",
            "'2024' is not an ISO date-time (2024-06-01, 2024-06-01T10:00:00 or"
            " 2024-06-01T10:00:00%2B02:00)",
            "since",
        ),
    ],
)
def test_an_admin_route_refuses_parameters_it_does_not_take(magda, method, path, diagnose, field):
    """DELETE /admin/journal?insz=X cleared the whole journal, not that person's calls."""
    antwoord = admin(magda, method, path)
    assert antwoord.status_code == 400
    assert antwoord.json()["diagnose"] == diagnose and antwoord.json()["field"] == field


def test_a_body_wrong_as_a_whole_names_no_field(magda):
    antwoord = admin(magda, "PUT", "/personas/80651338304", data="[1, 2]")
    assert antwoord.status_code == 422
    assert antwoord.json() == {
        "code": "INVALID_PERSONA",
        "diagnose": "expected a mapping (key: value) of one persona, not a list",
    }  # it said "field": "-", a placeholder that is no field


def test_personas_added_are_listed_in_the_order_they_were_first_added(magda):
    """Replaced, or removed and added again, one keeps its place, with or without a store
    (PostgreSQL listed a replaced one last: the changes were read without an order)."""
    added = ["98652505064", "46670184179", "69611997144"]
    for insz in [*added, "98652505064"]:
        persona = {"insz": insz, "scenario": "added at runtime", "naam": "Ann Peeters"}
        assert admin(magda, "PUT", f"/personas/{insz}", json=persona).status_code in (200, 201)
    assert admin(magda, "DELETE", "/personas/46670184179").status_code == 204
    persona = {"insz": "46670184179", "scenario": "added again", "naam": "Ann Peeters"}
    assert admin(magda, "PUT", "/personas/46670184179", json=persona).status_code == 201
    listed = [p["insz"] for p in admin(magda, "GET", "/personas").json()]
    assert listed[-3:] == added


def test_a_nul_in_a_path_or_a_search_is_no_503(magda):
    """PostgreSQL refuses a NUL in a text: one REST call with %00 in its path made the
    journal unreadable for good (503; the calls after it piled up in the worker), a persona
    path or a console search with one was a 503 "the store cannot be reached"."""
    assert admin(magda, "DELETE", "/journal").status_code == 204
    assert requests.get(f"{magda.url}/api/v1/dossiers/%00", timeout=10).status_code == 400
    journal = admin(magda, "GET", "/journal")
    assert journal.status_code == 200, journal.text
    # as it came in, or (in a store) with U+FFFD for the NUL, which a text there cannot hold
    assert [(e["endpoint"], e["status"]) for e in journal.json()["entries"]] in (
        [("/api/v1/dossiers/\x00", 400)],
        [("/api/v1/dossiers/\ufffd", 400)],
    )
    asked = admin(magda, "GET", "/journal", params={"insz": "\x00"})
    assert (asked.status_code, len(asked.json()["entries"])) == (200, 1)
    assert admin(magda, "GET", "/personas/%00").status_code == 404
    searched = requests.get(f"{magda.url}/console/", params={"q": "sa\x00id"}, timeout=10)
    assert searched.status_code == 200
    assert admin(magda, "GET", "/journal").status_code == 200  # and still readable


def test_half_a_character_in_a_persona_is_a_422_not_a_500(magda):
    """JSON's \\ud800 alone: a store could not write the persona (500), the console without
    one could not show the list it was in (500)."""
    body = '{"insz": "98652505064", "scenario": "pasted \\ud800", "naam": "Ann Peeters"}'
    antwoord = admin(magda, "PUT", "/personas/98652505064", data=body.encode())
    assert (antwoord.status_code, antwoord.json()) == (
        422,
        {
            "code": "INVALID_PERSONA",
            "diagnose": "U+D800 is half a character (a UTF-16 surrogate: an escape such as"
            " \\ud83d without its other half): write the character itself",
            "field": "scenario",
        },
    )
    assert requests.get(f"{magda.url}/console/", timeout=10).status_code == 200


def test_the_journal_shows_a_path_as_it_was_written(magda):
    """WSGI gives a path's bytes as latin-1: /api/v1/dossiërs showed as dossiÃ«rs."""
    assert admin(magda, "DELETE", "/journal").status_code == 204
    assert requests.get(f"{magda.url}/api/v1/dossi%C3%ABrs/1", timeout=10).status_code == 404
    assert requests.get(f"{magda.url}/api/v1/dossiers/%C3%AF", timeout=10).status_code == 400
    entries = admin(magda, "GET", "/journal").json()["entries"]
    assert [e["endpoint"] for e in entries] == ["/api/v1/dossiërs/1", "/api/v1/dossiers/ï"]


def test_a_persona_path_that_lost_its_first_0_is_told_the_insz(magda):
    antwoord = admin(magda, "GET", "/personas/6721400144")
    assert (antwoord.status_code, antwoord.json()) == (
        404,
        {
            "code": "UNKNOWN_PERSONA",
            "diagnose": "no persona with INSZ 6721400144; a spreadsheet drops a number's first"
            " 0: did you mean 06721400144?",
            "field": "insz",
        },
    )


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_a_persona_path_with_its_insz_as_printed_is_told_its_digits(magda, method):
    """GET said there was no persona 98.63.04-997.24; a PUT of that persona's own body
    said the body's INSZ (98630499724) differed from the path's."""
    body = admin(magda, "GET", "/personas/98630499724").json()
    extra = {"json": body} if method == "PUT" else {}
    antwoord = admin(magda, method, "/personas/98.63.04-997.24", **extra)
    assert (antwoord.status_code, antwoord.json()) == (
        400,
        {
            "code": "INVALID_PARAMETER",
            "diagnose": "'98.63.04-997.24' is written as printed: the path takes its 11 digits,"
            " 98630499724",
            "field": "insz",
        },
    )
    assert admin(magda, "GET", "/personas/98630499724").json() == body  # nothing changed


def test_a_persona_body_that_is_no_utf_8_is_refused_not_garbled(magda):
    """Decoded with "replace", a persona sent in Latin-1 (a Windows editor's) was taken and
    kept with U+FFFD for each letter outside ASCII ("Saïd" as "Sa\ufffdd"), also in its
    dossier's replies. A byte order mark before UTF-8 is taken, as in the persona files."""
    persona = admin(magda, "GET", "/personas/98630499724").json()
    before = persona["dossier"]["personalia"]["voornamen"]
    assert before == ["Saïd"]
    latin_1 = json.dumps(persona, ensure_ascii=False).encode("latin-1")
    r = admin(magda, "PUT", "/personas/98630499724", data=latin_1)
    assert (r.status_code, r.json()) == (
        422,
        {
            "code": "INVALID_PERSONA",
            "diagnose": "not UTF-8 text: byte 0xEF at line 1 (send the persona as UTF-8)",
        },
    )
    assert admin(magda, "GET", "/personas/98630499724").json() == persona
    for kind, body in (
        ("application/json", json.dumps(persona, ensure_ascii=False)),
        ("application/yaml", yaml.safe_dump(persona, allow_unicode=True)),
    ):
        bom = b"\xef\xbb\xbf" + body.encode()
        r = admin(magda, "PUT", "/personas/98630499724", data=bom, headers={"Content-Type": kind})
        assert r.status_code == 200, r.text
        assert r.json()["dossier"]["personalia"]["voornamen"] == ["Saïd"]
