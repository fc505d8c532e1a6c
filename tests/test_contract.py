"""Our WSDL/XSD contract: served for ?wsdl, loadable by zeep, valid for what we emit."""

from datetime import date
from zoneinfo import ZoneInfo

import pytest
import requests
import zeep
from lxml import etree

from magda_kbi.runtime.diensten import Runtime, all_services
from magda_kbi.wire.dossier_kbi import contract_error

from .conftest import LATE
from .soap import PATH_ADVIES, PATH_DOSSIER, PATH_DOSSIER_02, dossier_verzoek

BRUSSEL = ZoneInfo("Europe/Brussels")  # MAGDA's clock, written out (not taken from the code)


def test_wsdl_points_at_the_server(server):
    for path in (PATH_DOSSIER, PATH_DOSSIER_02, PATH_ADVIES):
        r = requests.get(f"{server.url}{path}?wsdl", timeout=5)
        assert r.status_code == 200
        wsdl = etree.fromstring(r.content)
        address = wsdl.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address").get("location")
        assert address == server.url + path
        for location in wsdl.iter("{http://www.w3.org/2001/XMLSchema}import"):
            assert requests.get(location.get("schemaLocation"), timeout=5).status_code == 200


def test_xsd_files_are_served_and_nothing_else(server):
    for file in ("xsd/KBI-02.00.xsd", "GeefDossierKBI-02.00.wsdl", "GeefDossierKBI-01.00.wsdl"):
        assert requests.get(f"{server.url}/wsdl/{file}", timeout=5).status_code == 200
    for path in ("/wsdl/../cli.py", "/wsdl/xsd/../../services/cli.py", "/wsdl/xsd/nope.xsd"):
        assert requests.get(f"{server.url}{path}", timeout=5).status_code == 404


def test_zeep_builds_every_service_from_the_served_wsdl(server):
    for path, operation in (
        (PATH_DOSSIER, "GeefDossierKBI"),
        (PATH_DOSSIER_02, "GeefDossierKBI"),
        (PATH_ADVIES, "GeefAutomatischAdvies"),
    ):
        client = zeep.Client(f"{server.url}{path}?wsdl")
        assert operation in client.service._binding._operations


def test_our_fixtures_validate_against_our_xsd(builtin_personas):
    for persona in builtin_personas.values():
        if persona.dossier is not None:
            assert contract_error(persona.dossier) is None, persona.insz


def test_service_paths_follow_magda_layout():
    paths = [d.contract.path for d in all_services(Runtime({})) if d.contract.path]
    assert paths == [PATH_DOSSIER, PATH_DOSSIER_02, PATH_ADVIES]


def test_health(server):
    r = requests.get(f"{server.url}/health", timeout=5)
    assert r.status_code == 200
    assert r.json()["personas"] >= 16 and r.json()["today"] == "2030-01-01"


def test_the_contract_is_read_once_at_start(tmp_path):
    """A package reinstalled under a running server (the files gone) changes nothing."""
    import shutil
    from unittest import mock

    from werkzeug.test import Client

    from magda_kbi.adapters.app import make_emulator
    from magda_kbi.wire import xml

    duplicate = tmp_path / "wsdl"
    shutil.copytree(xml.wsdl_folder(), duplicate)
    with mock.patch.object(xml, "wsdl_folder", return_value=duplicate):
        xml.schema.cache_clear()
        emulator = make_emulator()
        shutil.rmtree(duplicate)
        client = Client(emulator)
        assert client.get("/GeefDossierKBIDienst-02.00/soap/WebService?wsdl").status_code == 200
        assert client.get("/wsdl/xsd/KBI-02.00.xsd").status_code == 200
        antwoord = client.post(
            "/GeefDossierKBIDienst-02.00/soap/WebService",
            data=dossier_verzoek("98630499724", "02.00"),
            content_type="text/xml; charset=utf-8",
        )
        assert antwoord.status_code == 200 and b"<KBIDossier>" in antwoord.data
        healthy = client.get("/health").get_json()
        assert healthy["checked_at_start"]["contract_files"] == 12  # 3 WSDL, 9 XSD
        assert "GeefDossierKBI-02.00.xsd" in healthy["checked_at_start"]["schemas_compiled"]
    xml.schema.cache_clear()


def test_concurrent_invalid_requests_each_get_their_own_diagnose():
    """The compiled schema keeps its error log on itself: threads must not read another's."""
    from concurrent.futures import ThreadPoolExecutor

    from magda_kbi.wire.xml import xsd_error

    def error(n: int) -> str:
        element = etree.fromstring(
            "<web:GeefDossierKBI xmlns:web='http://webservice.GeefDossierKBI-02.00.kbi-02.00"
            f".vip.vlaanderen.be'><Fout{n}/></web:GeefDossierKBI>"
        )
        return xsd_error("GeefDossierKBI-02.00.xsd", element).message

    with ThreadPoolExecutor(16) as pool:
        for n, message in enumerate(pool.map(error, range(2000))):
            assert f"'Fout{n}'" in message


def test_the_wsdl_addresses_follow_a_proxy_only_when_asked():
    from werkzeug.test import Client

    from magda_kbi.adapters.app import Settings, make_emulator

    path = "/GeefDossierKBIDienst-02.00/soap/WebService?wsdl"
    proxy = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "magda.test.intern",
        "X-Forwarded-Prefix": "/emulator",
    }
    behind = Client(make_emulator(Settings(proxy_headers=True)))
    wsdl = behind.get(path, headers={"Host": "localhost:8080", **proxy}).data
    address = "https://magda.test.intern/emulator/GeefDossierKBIDienst-02.00/soap/WebService"
    assert f'location="{address}"'.encode() in wsdl
    assert b'schemaLocation="https://magda.test.intern/emulator/wsdl/xsd/' in wsdl
    without = Client(make_emulator()).get(path, headers={"Host": "localhost:8080", **proxy}).data
    assert b'location="http://localhost:8080/GeefDossierKBIDienst-02.00/' in without


def test_behind_a_proxy_under_a_path_every_address_a_program_is_told_has_the_prefix():
    """Under https://gw.example/emulator/ (X-Forwarded-Prefix) the WSDLs and the console
    followed the prefix, but the OpenAPI document (no servers: paths from the host's root),
    the route lists, the hints of a 404 or a 405 and the SOAP 405s sent a client to
    https://gw.example/api/v1/..., outside the emulator."""
    from urllib.parse import urljoin

    from werkzeug.test import Client

    from magda_kbi.adapters.app import Settings, make_emulator

    proxy = {"X-Forwarded-Host": "gw.example", "X-Forwarded-Prefix": "/emulator"}
    client = Client(make_emulator(Settings(LATE, admin=True, proxy_headers=True)))
    document_url = "https://gw.example/emulator/api/v1/openapi.json"
    document = client.get("/api/v1/openapi.json", headers=proxy).json
    server = urljoin(document_url, document["servers"][0]["url"])  # as OpenAPI resolves it
    assert server + "/api/v1/advies/{insz}" == "https://gw.example/emulator/api/v1/advies/{insz}"
    assert "/api/v1/advies/{insz}" in document["paths"]
    for index, one in (("/api/v1/", "/emulator/api/v1/dossiers/{insz}"), ("/admin/", None)):
        paths = [r["path"] for r in client.get(index, headers=proxy).json["routes"]]
        assert paths and all(p.startswith(f"/emulator{index}") for p in paths), paths
        assert one is None or one in paths
    hints = {
        "/api/v1/dossier/73680599786": "unknown address /emulator/api/v1/dossier/73680599786;"
        " did you mean /emulator/api/v1/dossiers/73680599786?",
        "/api/v1/dossiers/": "unknown address /emulator/api/v1/dossiers/; it needs the insz:"
        " /emulator/api/v1/dossiers/{insz}",
        "/api/v1/dossiers/73680599786/": "unknown address /emulator/api/v1/dossiers/73680599786/;"
        " did you mean /emulator/api/v1/dossiers/73680599786? (no / at the end)",
        "/api/v1/advies/73680599786/2024-01-01": "unknown address"
        " /emulator/api/v1/advies/73680599786/2024-01-01; the date is a parameter:"
        " /emulator/api/v1/advies/73680599786?datum=2024-01-01",
        "/GeefDossierKBIDienst-02.00/soap/Webservice": "unknown address"
        " /emulator/GeefDossierKBIDienst-02.00/soap/Webservice; did you mean"
        " /emulator/GeefDossierKBIDienst-02.00/soap/WebService?",
    }
    for path, diagnose in hints.items():
        answer = client.get(path, headers=proxy)
        assert (answer.status_code, answer.json["diagnose"]) == (404, diagnose)
    refused = client.post("/api/v1/openapi.json", headers=proxy)
    assert refused.json["diagnose"] == (
        "POST is not allowed on /emulator/api/v1/openapi.json (allowed: GET, HEAD, OPTIONS)"
    )
    console = client.get("/console/jurnal", headers=proxy).get_data(as_text=True)
    assert (
        "no page /emulator/console/jurnal in the console; did you mean /emulator/console/journal?"
        in console
    )
    faultstring = "{*}Body/{*}Fault/faultstring"
    get = etree.fromstring(
        client.get("/GeefDossierKBIDienst-02.00/soap/WebService", headers=proxy).data
    )
    assert get.findtext(faultstring).endswith(
        "de WSDL met GET /emulator/GeefDossierKBIDienst-02.00/soap/WebService?wsdl"
    )
    generic = etree.fromstring(client.get("/api/Magda-02.00/soap/WebService", headers=proxy).data)
    wsdls = generic.findtext(faultstring).split(": ", 1)[1].split(", ")
    assert "/emulator/GeefAutomatischAdviesDienst-01.00/soap/WebService?wsdl" in wsdls
    assert len(wsdls) == 3 and all(w.startswith("/emulator/") for w in wsdls), wsdls
    # without the prefix (or without --proxy-headers) the document names no server: its
    # paths are from the host's root, as they are
    for emulator, headers in ((client, {}), (Client(make_emulator(Settings(LATE))), proxy)):
        assert "servers" not in emulator.get("/api/v1/openapi.json", headers=headers).json
        diagnose = emulator.get("/api/v1/dossiers/", headers=headers).json["diagnose"]
        assert (
            diagnose
            == "unknown address /api/v1/dossiers/; it needs the insz: /api/v1/dossiers/{insz}"
        )


def test_a_hostile_host_header_cannot_break_the_wsdl():
    from werkzeug.test import Client

    from magda_kbi.adapters.app import Settings, make_emulator

    client = Client(make_emulator(Settings(proxy_headers=True)))
    for header in (
        {"Host": 'evil"><x y="'},
        {"X-Forwarded-Host": "a b"},
        {"X-Forwarded-Prefix": '/"x'},
        {"X-Forwarded-Proto": "javascript"},  # no scheme but http and https: the request's
    ):
        wsdl = client.get("/GeefDossierKBIDienst-02.00/soap/WebService?wsdl", headers=header).data
        etree.fromstring(wsdl)  # still well-formed XML
        assert b"evil" not in wsdl and b'"x' not in wsdl and b"javascript" not in wsdl
        assert b'location="http://' in wsdl


def test_the_root_and_the_api_and_admin_indexes(server):
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    to_console = requests.get(f"{server.url}/", headers=browser, timeout=5, allow_redirects=False)
    assert to_console.status_code == 302  # a browser goes to the console
    assert to_console.headers["Location"] == "/console/"
    index = requests.get(f"{server.url}/", timeout=5).json()  # requests: */*
    assert "/GeefDossierKBIDienst-02.00/soap/WebService" in index["soap"]
    assert index["rest"] == "/api/v1/" and index["admin"] is None
    routes = requests.get(f"{server.url}/api/v1/", timeout=5).json()["routes"]
    assert any(r["path"] == "/api/v1/dossiers/{insz}" and r["method"] == "GET" for r in routes)
    assert requests.get(f"{server.url}/admin/", timeout=5).status_code == 404  # no --admin


def test_the_platform_referte_is_a_random_uuid_version_4():
    import uuid

    from magda_kbi.wire.bericht import new_referte

    refertes = [new_referte() for _ in range(2000)]
    assert len(set(refertes)) == 2000
    for referte in refertes:
        read_back = uuid.UUID(referte)
        assert str(read_back) == referte  # lower case, dashed, as uuid4 writes it
        assert read_back.version == 4 and read_back.variant == uuid.RFC_4122
    assert {r[19] for r in refertes} == set("89ab")  # every variant digit occurs


def test_forked_workers_write_other_refertes():
    """The Refertes come from the process's random generator, which a forked worker must not
    share with its parent (serve's workers are forked): a fresh process forks and both
    write one."""
    import subprocess
    import sys

    script = (
        "import os\n"
        "from magda_kbi.wire.bericht import new_referte\n"
        "new_referte()\n"
        "r, w = os.pipe()\n"
        "if os.fork() == 0:\n"
        "    os.write(w, new_referte().encode())\n"
        "    os._exit(0)\n"
        "os.wait()\n"
        "print(new_referte(), os.read(r, 36).decode())\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    older, kind = result.stdout.split()
    assert older != kind


def test_the_time_of_day_is_written_as_magda_writes_it():
    from datetime import datetime

    from magda_kbi.wire.bericht import tijd_van

    assert tijd_van(datetime(2026, 1, 2, 3, 4, 5, 6789)) == "03:04:05.006"
    assert tijd_van(datetime(2026, 1, 2, 23, 59, 59, 999999)) == "23:59:59.999"


def test_now_s_time_of_day_is_written_as_from_a_datetime_across_seconds(monkeypatch):
    """The reply's time from the clock (the part up to the second kept for that second)
    is what the same moment as a datetime gives: checked across second boundaries."""
    import time
    from datetime import datetime

    from magda_kbi.wire.bericht import tijd_van, time_now

    begin = 1_780_000_000  # a whole second
    for ns in [
        begin * 10**9 + 999_999_999,
        (begin + 1) * 10**9,  # the next second: the kept part must change
        (begin + 1) * 10**9 + 6_789_000,
        (begin + 1) * 10**9 + 6_789_000,
        (begin + 3600) * 10**9 + 500_000_000,  # an hour on
        begin * 10**9 + 1_000_000,  # and back
    ]:
        monkeypatch.setattr(time, "time_ns", lambda ns=ns: ns)
        moment = datetime.fromtimestamp(ns // 10**9, BRUSSEL)
        assert time_now() == tijd_van(moment.replace(microsecond=ns % 10**9 // 1000))


def test_the_real_date_follows_the_clock_across_midnight(monkeypatch):
    import time
    from datetime import date, datetime, timedelta

    from magda_kbi.domain.clock import Clock

    midnight = datetime(2031, 3, 4, tzinfo=BRUSSEL).timestamp()  # the platform's midnight
    for t in (midnight - 0.5, midnight, midnight + 0.25, midnight - 1):
        monkeypatch.setattr(time, "time", lambda t=t: t)
        assert Clock().today() == datetime.fromtimestamp(t, BRUSSEL).date()
    assert datetime.fromtimestamp(midnight - 1, BRUSSEL).date() + timedelta(days=1) == date(
        2031, 3, 4
    )
    assert Clock(date(2020, 1, 1)).today() == date(2020, 1, 1)  # a fixed date stays


@pytest.mark.parametrize(
    ("utc", "day", "tijd"),
    [
        ("2026-12-31T23:30:00", date(2027, 1, 1), "00:30:00.000"),  # winter: UTC+1
        ("2027-07-01T22:15:00", date(2027, 7, 2), "00:15:00.000"),  # summer: UTC+2
        ("2027-07-01T21:59:59", date(2027, 7, 1), "23:59:59.000"),
    ],
)
def test_the_real_date_and_time_of_day_are_the_platforms_in_brussels(monkeypatch, utc, day, tijd):
    """MAGDA's clock is Belgium's: on a machine on UTC (a CI runner) the emulator was a day
    behind the platform from 23:00 UTC (22:00 in summer) to midnight, and its replies'
    Tijd an hour or two behind."""
    import time
    from datetime import UTC, datetime

    from magda_kbi.domain.clock import Clock
    from magda_kbi.wire.bericht import time_now

    moment = datetime.fromisoformat(utc).replace(tzinfo=UTC).timestamp()
    monkeypatch.setattr(time, "time", lambda: moment)
    monkeypatch.setattr(time, "time_ns", lambda: int(moment) * 10**9)
    assert Clock().today() == day
    assert time_now() == tijd
    assert Clock().now().date() == day


def test_every_query_spyne_takes_for_a_wsdl_gets_the_contracts_wsdl():
    """spyne answers any query whose first name is ``wsdl`` (``?wsdl=1``, as JAX-WS writes
    its WSDL parts; ``?WSDL=``) with a WSDL of its own making: an operation ``operatie``
    taking ``xs:anyType``, which is not MAGDA's contract. Each is the contract's WSDL."""
    from werkzeug.test import Client

    from magda_kbi.adapters.app import make_emulator

    client = Client(make_emulator())
    for path in (PATH_DOSSIER, PATH_DOSSIER_02, PATH_ADVIES):
        contract = client.get(f"{path}?wsdl").data
        assert b"GeefDossierKBI-" in contract or b"GeefAutomatischAdvies-" in contract
        for vraag in ("wsdl=1", "WSDL=", "Wsdl=GeefDossierKBI.wsdl", "wsdl=&x=1", "wsdl&x=1"):
            antwoord = client.get(f"{path}?{vraag}")
            assert antwoord.status_code == 200, vraag
            assert antwoord.data == contract, vraag
            assert b"anyType" not in antwoord.data and b'"operatie"' not in antwoord.data


def test_a_head_is_answered_as_the_get_without_its_body():
    """HTTP (RFC 9110, 9.3.2): a link checker's or a proxy's HEAD on the WSDL got a 405, on
    an XSD a 404, where the GET gives 200."""
    from werkzeug.test import Client

    from magda_kbi.adapters.app import make_emulator

    client = Client(make_emulator())
    for path in (f"{PATH_DOSSIER_02}?wsdl", f"{PATH_ADVIES}?WSDL", "/wsdl/xsd/KBI-02.00.xsd"):
        get, head = client.get(path), client.head(path)
        assert (head.status_code, get.status_code) == (200, 200), path
        assert (
            head.headers["Content-Type"]
            == get.headers["Content-Type"]
            == ("text/xml; charset=utf-8")
        )
        assert head.headers["Content-Length"] == str(len(get.data)) and head.data == b""
    assert client.head("/wsdl/xsd/nope.xsd").status_code == 404


def test_an_unknown_contract_file_is_told_the_one_meant_or_the_files():
    """It said "Unknown file", whether the .xsd/ folder or an 'l' was left out."""
    from werkzeug.test import Client

    from magda_kbi.adapters.app import make_emulator

    client = Client(make_emulator())
    antwoord = client.get("/wsdl/KBI-02.00.xsd")
    assert (antwoord.status_code, antwoord.text) == (
        404,
        "unknown contract file 'KBI-02.00.xsd'; did you mean 'xsd/KBI-02.00.xsd'?",
    )
    assert client.get("/wsdl/GeefDossierKBI-02.00.wsd").text.endswith(
        "did you mean 'GeefDossierKBI-02.00.wsdl'?"
    )
    # a name in UTF-8 as written (WSGI's latin-1 showed 'Ã©' for 'é')
    assert client.get("/wsdl/xsd/Persoon-%C3%A9.xsd").text.startswith(
        "unknown contract file 'xsd/Persoon-é.xsd'; did you mean 'xsd/Persoon.xsd'?"
    )
    assert client.get("/wsdl/").text == (
        "unknown contract file ''; the files: GeefAutomatischAdvies-01.00.wsdl,"
        " GeefDossierKBI-01.00.wsdl, GeefDossierKBI-02.00.wsdl,"
        " xsd/GeefAutomatischAdvies-01.00.xsd, xsd/GeefDossierKBI-01.00-Service.xsd,"
        " xsd/GeefDossierKBI-01.00.xsd, xsd/GeefDossierKBI-02.00-Service.xsd,"
        " xsd/GeefDossierKBI-02.00.xsd, xsd/Generiek.xsd, xsd/KBI-01.00.xsd,"
        " xsd/KBI-02.00.xsd, xsd/Persoon.xsd"
    )


def test_the_generic_address_says_it_takes_a_post_and_where_the_wsdls_are():
    """A GET ?wsdl there said 404 "unknown address" (the address is there, for a POST)."""
    from werkzeug.test import Client

    from magda_kbi.adapters.app import make_emulator

    client = Client(make_emulator())
    for method in ("GET", "PUT"):
        antwoord = client.open("/api/Magda-02.00/soap/WebService?wsdl", method=method)
        assert antwoord.status_code == 405 and antwoord.headers["Allow"] == "POST"
        fault = etree.fromstring(antwoord.data).find(
            "{http://schemas.xmlsoap.org/soap/envelope/}Body/"
            "{http://schemas.xmlsoap.org/soap/envelope/}Fault"
        )
        assert fault.findtext("faultstring") == (
            "Dit adres neemt een MAGDA-bericht met POST (de dienst volgens Context/Naam en"
            " Versie); het heeft geen WSDL, elke dienst heeft de zijne:"
            f" {PATH_DOSSIER}?wsdl, {PATH_DOSSIER_02}?wsdl, {PATH_ADVIES}?wsdl"
        )


def test_a_service_address_says_in_dutch_it_takes_a_post():
    """spyne's 405 said "You must issue a POST request with the Content-Type header
    properly set": English, and a POST without Content-Type is answered."""
    from werkzeug.test import Client

    from magda_kbi.adapters.app import make_emulator

    client = Client(make_emulator())
    for method in ("GET", "DELETE"):
        antwoord = client.open(PATH_ADVIES, method=method)
        assert antwoord.status_code == 405 and antwoord.headers["Allow"] == "GET, HEAD, POST"
        fault = etree.fromstring(antwoord.data).find(
            "{http://schemas.xmlsoap.org/soap/envelope/}Body/"
            "{http://schemas.xmlsoap.org/soap/envelope/}Fault"
        )
        assert fault.findtext("faultstring") == (
            f"Dit adres neemt een GeefAutomatischAdvies-verzoek met POST; de WSDL met GET"
            f" {PATH_ADVIES}?wsdl"
        )


def test_a_wsdl_file_under_wsdl_points_at_the_server_it_came_from():
    """/wsdl/GeefDossierKBI-02.00.wsdl said http://localhost:8080 whatever the server: a
    client built from it (zeep, SoapUI) called another address. Its imports stay relative."""
    from werkzeug.test import Client

    from magda_kbi.adapters.app import make_emulator

    client = Client(make_emulator())
    for file, path in (
        ("GeefDossierKBI-02.00.wsdl", PATH_DOSSIER_02),
        ("GeefDossierKBI-01.00.wsdl", PATH_DOSSIER),
        ("GeefAutomatischAdvies-01.00.wsdl", PATH_ADVIES),
    ):
        wsdl = etree.fromstring(client.get(f"/wsdl/{file}", headers={"Host": "emu.test:9000"}).data)
        address = wsdl.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address").get("location")
        assert address == f"http://emu.test:9000{path}"
        locations = [
            i.get("schemaLocation") for i in wsdl.iter("{http://www.w3.org/2001/XMLSchema}import")
        ]
        assert locations and all(loc.startswith("xsd/") for loc in locations)
