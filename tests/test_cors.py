"""A web page on another origin (a zorgkas's front-end on its dev server) reading the REST
API: ``serve --cors-origin ORIGIN`` lets the browser give it the answers, the admin API and
the console never. The browser's own test is in test_console_browser.py."""

from __future__ import annotations

from datetime import date

import pytest
import requests
from werkzeug.test import Client

from magda_kbi.adapters.app import Settings, make_emulator

from .cli_run import magda_kbi_process
from .conftest import Server

APP = "http://localhost:3000"


def _client(*origins: str) -> Client:
    return Client(make_emulator(Settings(date(2030, 1, 1), admin=True, cors_origins=[*origins])))


def _cors(response) -> dict[str, str]:
    return {
        k: v for k, v in response.headers.items() if k.startswith("Access-Control-") or k == "Vary"
    }


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/advies/98630499724?datum=2024-01-01", 200),
        ("/api/v1/dossiers/98630499724", 200),  # the direct path's route: Flask answers it
        ("/api/v1/dossiers/86630100380", 404),  # errors too: the page shows their Diagnose
        ("/api/v1/advies/98630499725", 400),
        ("/api/v1/lijsten/gemeente/24055", 200),
        ("/api/v1/nothing", 404),
    ],
)
def test_an_allowed_origin_may_read_every_answer_of_the_rest_api(path, status):
    client = _client(APP)
    for _ in range(2):  # the second: what the direct path would answer from its cache
        answer = client.get(path, headers={"Origin": APP})
        answer.get_data()  # a list streams: read to its end, within its request
        assert answer.status_code == status
        assert _cors(answer) == {"Vary": "Origin", "Access-Control-Allow-Origin": APP}


def test_the_preflight_allows_the_identity_headers():
    answer = _client(APP).options(
        "/api/v1/advies/98630499724",
        headers={
            "Origin": APP,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-magda-afzender,x-magda-hoedanigheid",
        },
    )
    assert answer.status_code == 200
    assert _cors(answer) == {
        "Vary": "Origin",
        "Access-Control-Allow-Origin": APP,
        "Access-Control-Allow-Methods": "GET, HEAD",
        "Access-Control-Allow-Headers": "X-Magda-Afzender, X-Magda-Hoedanigheid",
        "Access-Control-Max-Age": "600",
    }


def test_another_origin_the_admin_api_and_the_console_are_not_readable():
    client = _client(APP)
    elsewhere = client.get("/api/v1/advies/98630499724", headers={"Origin": "http://evil.test"})
    assert _cors(elsewhere) == {"Vary": "Origin"}
    for path in ("/admin/journal", "/console/", "/health"):
        assert _cors(client.get(path, headers={"Origin": APP})) == {}, path
    # without the option nothing is said: the browser keeps the answer from the page
    plain = _client().get("/api/v1/dossiers/98630499724", headers={"Origin": APP})
    assert plain.status_code == 200 and _cors(plain) == {}


def test_any_origin_with_a_star():
    answer = _client("*").get("/api/v1/dossiers/98630499724", headers={"Origin": APP})
    assert _cors(answer) == {"Vary": "Origin", "Access-Control-Allow-Origin": "*"}


@pytest.mark.parametrize(
    "origin", ["http://localhost:3000/", "localhost:3000", "http://localhost:3000/app", ""]
)
def test_an_origin_as_no_browser_sends_it_is_refused(origin):
    """With a path or the slash of an address bar it never matched: refused, not unsaid."""
    process = magda_kbi_process("serve", "--port", "1", "--cors-origin", origin)
    assert process.returncode == 2
    assert process.stderr.endswith(
        f"Error: Invalid value for '--cors-origin': {origin!r} is no origin: scheme://host"
        "[:port] without a path or a slash at the end (http://localhost:3000), as a browser's"
        " Origin header says it, or *\n"
    )


def test_an_origin_in_capitals_is_taken_as_the_browser_writes_it():
    """A browser sends its Origin in lower case: HTTP://LocalHost:3000 was refused as no
    origin (and, taken as written, would never have matched)."""
    server = Server("--cors-origin", "HTTP://LocalHost:3000")
    try:
        answer = requests.get(
            f"{server.url}/api/v1/dossiers/98630499724",
            headers={"Origin": APP},
            timeout=5,
        )
        assert answer.headers["Access-Control-Allow-Origin"] == APP
    finally:
        output = server.stop()
    assert "  REST readable by web pages of: http://localhost:3000\n" in output
