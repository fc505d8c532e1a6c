"""GET /api/v1/dossiers/{insz} without Flask (adapters/rest_direct.py) answers exactly as
Flask does, and leaves everything unusual to Flask."""

from datetime import date

import pytest

from magda_kbi.adapters.app import Settings, make_emulator

DIRECT = make_emulator(Settings(today=date(2030, 1, 1), protocols=True, admin=True))
FLASK = make_emulator(Settings(today=date(2030, 1, 1), protocols=True, admin=True))
FLASK._rest = lambda environ, start_response, _dienst: FLASK.rest(environ, start_response)

AGII = {"HTTP_X_MAGDA_AFZENDER": "integratie-inburgering.be", "HTTP_X_MAGDA_HOEDANIGHEID": "AGII"}
KORTENBERG = {
    "HTTP_X_MAGDA_AFZENDER": "gemeente.kortenberg.be",
    "HTTP_X_MAGDA_HOEDANIGHEID": "GEMEENTE",
}


def get(app, path: str, headers: dict) -> tuple[str, list, bytes]:
    antwoord = {}

    def start_response(status, header, exc_info=None):
        antwoord.update(status=status, headers=sorted(header))

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
        "wsgi.input": None,
        **headers,
    }
    body = b"".join(app(environ, start_response))
    return antwoord["status"], antwoord["headers"], body


def journal(app) -> dict:
    entry = app.runtime.journal.read()[-1].as_json()
    return {k: v for k, v in entry.items() if k not in ("id", "time", "latency_ms")}


@pytest.mark.parametrize("insz", sorted(DIRECT.runtime.personas) + ["80651439361", "123"])
@pytest.mark.parametrize("caller", [AGII, KORTENBERG, {}], ids=["agii", "gemeente", "nobody"])
def test_the_same_answer_and_journal_entry_as_flask(insz, caller):
    path = f"/api/v1/dossiers/{insz}"
    for _ in range(2):  # the second call finds the bytes Flask built on the first
        assert get(DIRECT, path, caller) == get(FLASK, path, caller)
        assert journal(DIRECT) == journal(FLASK)


def test_the_common_case_does_not_reach_flask(monkeypatch):
    path = "/api/v1/dossiers/98630499724"
    get(DIRECT, path, AGII)  # Flask builds the bytes
    invocations = []
    original = DIRECT.rest
    monkeypatch.setattr(DIRECT, "rest", lambda *a: invocations.append(a) or original(*a))
    status, _, body = get(DIRECT, path, AGII)
    assert (status, invocations) == ("200 OK", [])
    assert b'"insz":"98630499724"' in body.replace(b" ", b"")
    get(DIRECT, path, {**AGII, "HTTP_X_MAGDA_AFZENDER": "a,b"})  # a refusal: Flask's
    assert len(invocations) == 1
