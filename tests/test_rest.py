"""The REST read API: the same answers as SOAP for every persona, and clear 4xx errors."""

from datetime import date

import pytest
import requests
from werkzeug.test import Client

from magda_kbi.adapters.app import Settings, make_emulator
from magda_kbi.domain.advies import Toepassing, geef_advies
from magda_kbi.io.json_output import dossier_json

from .conftest import LATE
from .soap import PATH_ADVIES, PATH_DOSSIER, advies_verzoek, antwoord, dossier_verzoek, post


@pytest.fixture
def rest(magda):
    magda.today(LATE)
    return magda


def get(magda, path: str, **params):
    return requests.get(f"{magda.url}{path}", params=params, timeout=10)


def test_rest_and_soap_give_the_same_advice_for_every_persona(builtin_personas):
    # About 1,300 calls of each face: in-process (werkzeug's test client), as the HTTP
    # server in front is not what this compares.
    client = Client(make_emulator(Settings(today=LATE)))
    days = [
        date(2021, 12, 31),
        date(2022, 6, 1),
        date(2023, 3, 1),
        date(2024, 1, 1),
        date(2025, 6, 1),
    ]
    for persona in builtin_personas.values():
        if persona.fout:
            continue
        for day in days + [v.datum for v in persona.verwacht]:
            for toepassing in Toepassing:
                r = client.get(
                    f"/api/v1/advies/{persona.insz}",
                    query_string={"datum": day.isoformat(), "toepassing": toepassing.value},
                )
                assert r.status_code == 200, r.text
                s = client.post(
                    PATH_ADVIES,
                    data=advies_verzoek(persona.insz, day, toepassing.value),
                    content_type="text/xml; charset=utf-8",
                )
                soap = antwoord(s.status_code, s.data).advies
                assert r.json["resultaat"] == soap.findtext("Resultaat")
                assert r.json["peildatum"] == soap.findtext("Peildatum")
                reden = r.json["reden"]
                assert (reden["code"] if reden else None) == soap.findtext("Reden/Code")
                expected = geef_advies(persona.dossier, day, toepassing)
                assert r.json["resultaat"] == expected.resultaat.value


def test_rest_and_soap_give_the_same_dossier_for_every_persona(rest, builtin_personas):
    for persona in builtin_personas.values():
        if persona.fout:
            continue
        r = get(rest, f"/api/v1/dossiers/{persona.insz}")
        soap = post(rest.url + PATH_DOSSIER, dossier_verzoek(persona.insz))
        if persona.dossier is None:
            assert r.status_code == 404 and r.json()["code"] == "30001"
            assert soap.codes() == ["30001"]
            continue
        assert r.status_code == 200
        assert r.json() == dossier_json(persona.dossier.as_of(LATE))
        assert r.json()["insz"] == soap.dossier.findtext("Personalia/INSZ")
        assert len(r.json().get("contracten", [])) == len(
            soap.dossier.findall("Contracten/Contract")
        )


def test_the_advice_says_ok_nok_reason_and_which_rule(rest):
    r = get(rest, "/api/v1/advies/73680599786", datum="2024-01-01")
    assert r.json() == {
        "insz": "73680599786",
        "peildatum": "2024-01-01",
        "resultaat": "NOK",
        "reden": {"code": "INBREUK", "omschrijving": r.json()["reden"]["omschrijving"]},
        "rule": {"number": 6, "text": "an infringement that was not remedied"},
    }
    assert get(rest, "/api/v1/advies/98630499724", datum="2024-01-01").json()["reden"] is None


def test_an_unknown_insz_is_ok_by_rule_2_and_says_so(rest):
    """A typo must not look like a plain success."""
    r = get(rest, "/api/v1/advies/80651439361", datum="2024-01-01").json()
    assert (r["resultaat"], r["rule"]) == ("OK", {"number": 2, "text": "not in the KBI"})
    assert rest.journal()[-1]["rule"] == "rule 2: not in the KBI"


def test_advice_date_defaults_to_today(rest):
    rest.today("2023-09-20")
    assert get(rest, "/api/v1/advies/73680599786").json()["peildatum"] == "2023-09-20"


@pytest.mark.parametrize(
    ("path", "params", "status", "code", "field"),
    [
        ("/api/v1/dossiers/98630499725", {}, 400, "40002", "insz"),
        ("/api/v1/dossiers/abc", {}, 400, "40002", "insz"),
        ("/api/v1/advies/9863049972", {}, 400, "40002", "insz"),
        ("/api/v1/advies/98630499724", {"datum": "2024-02-30"}, 400, "40003", "datum"),
        ("/api/v1/advies/98630499724", {"datum": "20240101"}, 400, "40003", "datum"),
        ("/api/v1/advies/98630499724", {"toepassing": "X"}, 400, "40001", "toepassing"),
        ("/api/v1/advies/98630499724", {"foo": "1"}, 400, "40001", "foo"),
        ("/api/v1/dossiers/86630100380", {}, 404, "30001", None),
        ("/api/v1/dossiers/90651105718", {}, 503, "99996", None),
        ("/api/v1/advies/90651205785", {}, 502, "PLATFORM_ERROR", None),
    ],
)
def test_errors_are_json_with_code_diagnose_and_field(rest, path, params, status, code, field):
    r = get(rest, path, **params)
    assert r.status_code == status
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json()["code"] == code and r.json()["diagnose"]
    assert r.json().get("field") == field
    assert r.headers.get("Retry-After") == ("1" if status == 503 else None)


def test_a_municipality_given_by_its_name_is_told_its_code():
    client = Client(make_emulator(Settings(date(2025, 6, 1))))
    antwoord = client.get("/api/v1/lijsten/gemeente/gent")
    assert (antwoord.status_code, antwoord.json["diagnose"]) == (
        400,
        "'gent' is not a NIS code (5 digits); Gent's NIS code is 44021",
    )


def test_a_lower_case_code_misspelt_is_told_the_one_meant():
    """The codes of a fault kind are lower case: a typo was compared upper-cased, and
    'soapfault' got no hint."""
    client = Client(make_emulator(Settings(date(2025, 6, 1), admin=True)))
    antwoord = client.post("/admin/faults", json={"kind": "soapfault"})
    assert (antwoord.status_code, antwoord.json["diagnose"]) == (
        422,
        "'soapfault' is not one of 'latency', '99996', '99995', '99994', 'soap_fault',"
        " 'http_500', 'http_503' or 'drop'; did you mean 'soap_fault'?",
    )


def test_a_toepassing_in_another_case_is_told_the_one_meant():
    client = Client(make_emulator(Settings(date(2025, 6, 1))))
    antwoord = client.get("/api/v1/advies/98630499724?toepassing=zorgbudget")
    assert (antwoord.status_code, antwoord.json["diagnose"]) == (
        400,
        "toepassing must be one of ZORGBUDGET_ZWAAR_ZORGBEHOEVENDEN, VERLAAGDE_PREMIE,"
        " ZORGBUDGET_OUDEREN, BASISONDERSTEUNINGSBUDGET, ZORGBUDGET; did you mean 'ZORGBUDGET'?",
    )


def test_a_date_the_calendar_does_not_have_is_told_which_number_is_wrong(rest):
    r = get(rest, "/api/v1/advies/98630499724", datum="2024-02-30")
    assert (r.status_code, r.json()["diagnose"]) == (
        400,
        "'2024-02-30' is not a date (YYYY-MM-DD): day is out of range for month",
    )


@pytest.mark.parametrize("datum", ["2024-W01-1", "2024W011", "20240101", "2024-01-01 "])
def test_the_date_is_yyyy_mm_dd_and_nothing_else(rest, datum):
    """Python's date.fromisoformat takes week dates (2024-W01-1 was answered as 2024-01-01),
    which the OpenAPI's format date, the docs and MAGDA's xs:date do not."""
    r = get(rest, "/api/v1/advies/98630499724", datum=datum)
    assert (r.status_code, r.json()) == (
        400,
        {"code": "40003", "diagnose": f"{datum!r} is not a date (YYYY-MM-DD)", "field": "datum"},
    )


def test_an_insz_as_printed_is_told_its_eleven_digits(rest):
    """Copied from a card or the console (98.63.04-997.24), it got the same 400 as a wrong
    number; the path stays the eleven digits, and now the diagnose gives them."""
    r = get(rest, "/api/v1/dossiers/98.63.04-997.24")
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (400, "40002", "insz")
    assert r.json()["diagnose"] == (
        "'98.63.04-997.24' is not a valid INSZ (11 digits, modulo 97): the path takes its 11"
        " digits, 98630499724"
    )
    wrong = get(rest, "/api/v1/advies/98.63.04-997.25")  # printed, but no INSZ
    assert wrong.json()["diagnose"] == (
        "'98.63.04-997.25' is not a valid INSZ (11 digits, modulo 97)"
    )


def test_an_insz_with_a_digit_mistyped_is_told_its_check_digits(rest):
    """It got the words of any other refusal: which check digits the ten others ask for
    finds the typo (98630499724 is Saïd Daoud; 97 - 986304997 % 97 = 24)."""
    r = get(rest, "/api/v1/advies/98630499725")
    assert (r.status_code, r.json()) == (
        400,
        {
            "code": "40002",
            "diagnose": "'98630499725' is not a valid INSZ (11 digits, modulo 97): the check"
            " digits are 25; modulo 97 asks for 24 (born before 2000) or 53 (born from 2000 on)",
            "field": "insz",
        },
    )


def test_ten_digits_that_lost_their_first_0_are_told_the_insz(rest):
    """A spreadsheet reads 06721400144 (born 2006) as the number 6721400144."""
    r = get(rest, "/api/v1/dossiers/6721400144")
    assert (r.status_code, r.json()) == (
        400,
        {
            "code": "40002",
            "diagnose": "'6721400144' is not a valid INSZ (11 digits, modulo 97); a spreadsheet"
            " drops a number's first 0: did you mean 06721400144?",
            "field": "insz",
        },
    )
    r = get(rest, "/api/v1/dossiers/7368059978")  # 07368059978 is no INSZ either: no hint
    assert r.json()["diagnose"] == "'7368059978' is not a valid INSZ (11 digits, modulo 97)"


def test_a_long_would_be_insz_is_repeated_cut_short():
    """An INSZ of 100,000 characters made a refusal that repeated it whole, twice in the
    admin API's: cut after 24 characters, with its length."""
    client = Client(make_emulator(Settings(date(2025, 6, 1), admin=True)))
    long = "7" * 100_000
    dossier = client.get(f"/api/v1/dossiers/{long}")
    assert (dossier.status_code, dossier.json["diagnose"]) == (
        400,
        "'777777777777777777777777'... (100000 characters) is not a valid INSZ (11 digits,"
        " modulo 97)",
    )
    persona = client.post("/admin/personas", json={"insz": long, "scenario": "-", "naam": "-"})
    assert (persona.status_code, persona.json["diagnose"]) == (
        422,
        "777777777777777777777777... (100000 characters) is not a MAGDA test number (11"
        " digits, modulo 97, month digits 61-72): '777777777777777777777777'... (100000"
        " characters) is not 11 digits ('magda-kbi insz new' prints fresh ones)",
    )


def test_unknown_routes_and_methods(rest):
    assert requests.get(f"{rest.url}/api/v1/nope", timeout=5).status_code == 404
    r = requests.post(f"{rest.url}/api/v1/advies/98630499724", timeout=5)
    assert r.status_code == 405 and r.json()["code"] == "METHOD_NOT_ALLOWED"
    # HTTP asks a 405 to carry Allow (the SOAP addresses' had it, the REST routes' not)
    assert r.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert r.json()["diagnose"] == (
        "POST is not allowed on /api/v1/advies/98630499724 (allowed: GET, HEAD, OPTIONS)"
    )


def test_admin_is_off_unless_asked(server):
    r = requests.get(f"{server.url}/admin/personas", timeout=5)
    assert r.status_code == 404 and r.json()["code"] == "ADMIN_OFF"
    assert requests.get(f"{server.url}/health", timeout=5).json()["admin"] is False


def test_a_part_not_yet_known_is_left_out_as_on_the_wire(magda):
    """Before the first course the JSON has no courses at all, as the SOAP reply has no
    VormingsActiviteiten (not an empty object)."""
    magda.today("2022-06-19")
    dossier = get(magda, "/api/v1/dossiers/98630499724").json()
    assert "vormingsactiviteiten" not in dossier
    magda.today("2022-06-20")
    dossier = get(magda, "/api/v1/dossiers/98630499724").json()
    assert [c["nummer"] for c in dossier["vormingsactiviteiten"]["mo_cursussen"]] == [
        "MO-LEU-2022-031"
    ]


def test_the_dossier_built_once_per_persona_and_day_stays_right():
    """The REST dossier's bytes are kept per (persona, day): the same bytes again, and a
    fresh build when the persona is replaced or the day changes."""
    from werkzeug.test import Client

    from magda_kbi.adapters.app import Settings, make_emulator

    client = Client(make_emulator(Settings(today=date(2030, 1, 1), admin=True)))
    path = "/api/v1/dossiers/73680599786"
    first, second = client.get(path), client.get(path)
    assert first.data == second.data
    assert first.headers["Content-Type"] == second.headers["Content-Type"] == "application/json"
    assert second.json["personalia"]["achternamen"] == ["Janssens"]
    assert [i["datum_vaststelling"] for i in second.json["inbreuken"]] == ["2023-09-15"]

    # the day before the infringement: the KBI does not know it yet
    client.put("/admin/clock", json={"today": "2023-09-14"})
    assert "inbreuken" not in client.get(path).json  # empty lists are left out
    client.put("/admin/clock", json={"today": "2030-01-01"})
    persona = client.get("/admin/personas/73680599786").json
    persona["dossier"]["personalia"]["achternamen"] = ["Janssens-Peeters"]
    assert client.put("/admin/personas/73680599786", json=persona).status_code == 200
    assert client.get(path).json["personalia"]["achternamen"] == ["Janssens-Peeters"]


@pytest.mark.parametrize(
    ("path", "query", "diagnose", "field"),
    [
        (
            "/api/v1/dossiers/98630499724",
            "foo=1",
            "unknown parameter 'foo' (this call takes no parameter)",
            "foo",
        ),
        (
            "/api/v1/consumers",
            "foo=1",
            "unknown parameter 'foo' (this call takes no parameter)",
            "foo",
        ),
        (
            "/api/v1/municipalities",
            "x=1",
            "unknown parameter 'x' (this call takes no parameter)",
            "x",
        ),
        # the ones taken are said: 'jaar' is near no English name
        (
            "/api/v1/lijsten/verlaagde-premie/2024",
            "jaar=2024",
            "unknown parameter 'jaar' (allowed: zorgkas)",
            "jaar",
        ),
        (
            "/api/v1/lijsten/gemeente/44021",
            "jaar=2024",
            "unknown parameter 'jaar' (allowed: year)",
            "jaar",
        ),
        # a parameter misspelt, or in English, is told the one meant
        (
            "/api/v1/advies/98630499724",
            "date=2024-01-01",
            "unknown parameter 'date' (allowed: datum, toepassing); did you mean 'datum'?",
            "date",
        ),
        (
            "/api/v1/lijsten/gemeente/44021",
            "year=2024&year=2025",
            "parameter 'year' is given more than once",
            "year",
        ),
        (
            "/api/v1/lijsten/verlaagde-premie/2024",
            "zorgkas=ZK01&zorgkas=ZK02",
            "parameter 'zorgkas' is given more than once",
            "zorgkas",
        ),
        ("/api/v1/lijsten/verlaagde-premie/2024", "zorgkas=", "zorgkas is empty", "zorgkas"),
        # the XML list names the zorgkas: lxml refused it after the 200, a cut-off reply
        (
            "/api/v1/lijsten/verlaagde-premie/2024",
            "zorgkas=ZK%01",
            "zorgkas: U+0001 is a character XML cannot hold",
            "zorgkas",
        ),
    ],
)
def test_every_route_refuses_a_parameter_it_does_not_take_or_takes_once(
    rest, path, query, diagnose, field
):
    """The advice refused them; the other routes answered as if they were not there (an
    unknown parameter, the first of two years, an empty zorgkas's empty list)."""
    r = requests.get(f"{rest.url}{path}?{query}", timeout=10)
    assert r.status_code == 400
    assert r.json() == {"code": "40001", "diagnose": diagnose, "field": field}


def test_an_empty_afzender_header_is_refused_as_soap_refuses_an_empty_identificatie(rest):
    """SOAP refuses an empty Afzender/Identificatie (40001, the XSD); REST took an empty
    X-Magda-Afzender as no caller at all (under --protocols: 13001 'geen afnemer
    opgegeven'). granian gives a value with bytes outside ASCII as empty, too."""
    for path in ("/api/v1/dossiers/98630499724", "/api/v1/advies/98630499724"):
        for _ in range(2):  # the second dossier call would come from the direct path
            r = requests.get(f"{rest.url}{path}", headers={"X-Magda-Afzender": ""}, timeout=10)
            assert r.status_code == 400, path
            assert r.json() == {
                "code": "40001",
                "diagnose": "header X-Magda-Afzender is empty: give the caller's Identificatie"
                " (in ASCII)",
                "field": "X-Magda-Afzender",
            }


@pytest.mark.parametrize(
    ("path", "diagnose"),
    [
        (
            "/api/v1/dossier/98630499724",
            "unknown address /api/v1/dossier/98630499724; did you mean"
            " /api/v1/dossiers/98630499724?",
        ),
        (
            "/api/v1/lijst/gemeente/44021",
            "unknown address /api/v1/lijst/gemeente/44021; did you mean"
            " /api/v1/lijsten/gemeente/44021?",
        ),
        (  # a SOAP address in another case
            "/GeefDossierKBIDienst-02.00/soap/Webservice",
            "unknown address /GeefDossierKBIDienst-02.00/soap/Webservice; did you mean"
            " /GeefDossierKBIDienst-02.00/soap/WebService?",
        ),
        ("/admin/persona", "unknown address /admin/persona; did you mean /admin/personas?"),
        ("/healt", "unknown address /healt; did you mean /health?"),
        # an address without its last part is told which part it needs
        (
            "/api/v1/dossiers/",
            "unknown address /api/v1/dossiers/; it needs the insz: /api/v1/dossiers/{insz}",
        ),
        (
            "/api/v1/advies",
            "unknown address /api/v1/advies; it needs the insz: /api/v1/advies/{insz}",
        ),
        (
            "/api/v1/lijsten/gemeente/",
            "unknown address /api/v1/lijsten/gemeente/; it needs the nis:"
            " /api/v1/lijsten/gemeente/{nis}",
        ),
        (
            "/admin/personas/",
            "unknown address /admin/personas/; it needs the insz: /admin/personas/{insz}",
        ),
        # an address with a part after it: a "/" at the end, a date as a part, a word more
        (
            "/api/v1/dossiers/98630499724/",
            "unknown address /api/v1/dossiers/98630499724/; did you mean"
            " /api/v1/dossiers/98630499724? (no / at the end)",
        ),
        ("/health/", "unknown address /health/; did you mean /health? (no / at the end)"),
        (
            "/GeefDossierKBIDienst-02.00/soap/WebService/",
            "unknown address /GeefDossierKBIDienst-02.00/soap/WebService/; did you mean"
            " /GeefDossierKBIDienst-02.00/soap/WebService? (no / at the end)",
        ),
        (
            "/api/v1/advies/73680599786/2024-01-01",
            "unknown address /api/v1/advies/73680599786/2024-01-01; the date is a parameter:"
            " /api/v1/advies/73680599786?datum=2024-01-01",
        ),
        (
            "/api/v1/dossiers/73680599786/advies",
            "unknown address /api/v1/dossiers/73680599786/advies; did you mean"
            " /api/v1/dossiers/73680599786? ('advies' is a part too many)",
        ),
        # only a route that takes the method: /admin/faults/<fault_id> takes a DELETE only
        (
            "/admin/faults/",
            "unknown address /admin/faults/; did you mean /admin/faults? (no / at the end)",
        ),
        ("/admin/faults/1/", "unknown address /admin/faults/1/"),
        ("/nothing/here", "unknown address /nothing/here"),
    ],
)
def test_an_unknown_address_is_told_the_one_meant(path, diagnose):
    """'unknown address' alone left a user to find the plural, the case, the version,
    (for '/api/v1/dossiers/') the part it lacks, and the "/" or part it has too many."""
    client = Client(make_emulator(Settings(today=LATE, admin=True)))
    antwoord = client.get(path)
    assert (antwoord.status_code, antwoord.json) == (
        404,
        {"code": "NOT_FOUND", "diagnose": diagnose},
    )


def test_the_index_is_json_for_a_program_that_names_no_type():
    """curl, requests, httpx and clients generated from the OpenAPI document send
    'Accept: */*' or none: they were sent to the console's HTML (302) where the document
    promises the index as JSON. Only an Accept that prefers HTML (a browser) goes there."""
    client = Client(make_emulator(Settings(today=LATE)))
    for accept in ({}, {"Accept": "*/*"}, {"Accept": "application/json, */*;q=0.5"}):
        index = client.get("/", headers=accept)
        assert (index.status_code, index.json["openapi"]) == (200, "/api/v1/openapi.json")
    for accept in (
        "text/html",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",  # Firefox
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
        "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",  # Chromium
    ):
        browser = client.get("/", headers={"Accept": accept})
        assert (browser.status_code, browser.headers["Location"]) == (302, "/console/")


def test_accept_with_parameters_is_followed_by_the_index_and_the_admin_api():
    """'application/json; charset=utf-8' at / was sent to the console; a persona asked as
    'application/yaml; charset=utf-8' came as JSON."""
    client = Client(make_emulator(Settings(today=LATE, admin=True)))
    index = client.get("/", headers={"Accept": "application/json; charset=utf-8"})
    assert (index.status_code, index.json["name"]) == (200, "MAGDA KBI emulator")
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert client.get("/", headers={"Accept": browser}).status_code == 302
    persona = client.get(
        "/admin/personas/98630499724", headers={"Accept": "application/yaml; charset=utf-8"}
    )
    assert persona.headers["Content-Type"] == "application/yaml"
    assert persona.text.startswith("insz: '98630499724'\n")
