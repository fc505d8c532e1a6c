"""Every call's journal entry is noted once, whole, by the layer that answers it.

The layer that decides a call (a service, a template, spyne's service, a REST view or its
refusal, an injected HTTP fault, the admin guard) puts one immutable ``journal.Call`` in the
environ; the HTTP layer builds the entry from it. These tests watch the environ: a second
write, or none, is a layer filling in what another one started.
"""

from __future__ import annotations

import io
import json
from datetime import date

import pytest

from magda_kbi.adapters.app import Settings, make_emulator
from magda_kbi.runtime.journal import Call
from magda_kbi.runtime.wsgi_keys import CALL_KEY, SOCKET_KEY

from .soap import PATH_ADVIES, PATH_DOSSIER_02, advies_verzoek, dossier_verzoek, wsgi_environ


class Watched(dict):
    """An environ that counts the writes of the call's note."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.notes: list[Call] = []

    def __setitem__(self, key, value) -> None:
        if key == CALL_KEY:
            self.notes.append(value)
        super().__setitem__(key, value)


def call(app, environ: dict) -> tuple[str, Watched]:
    environ = Watched(environ)
    status: list[str] = []
    antwoord = app(environ, lambda s, h, e=None: status.append(s))
    b"".join(antwoord)
    if hasattr(antwoord, "close"):  # as a server does: a streamed answer journals then
        antwoord.close()
    return status[0], environ


def get(path: str, query: str = "", headers: dict | None = None) -> dict:
    environ = wsgi_environ(path, b"")
    environ.update(REQUEST_METHOD="GET", QUERY_STRING=query, CONTENT_LENGTH="0")
    environ.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()})
    return environ


def post_json(path: str, data: dict) -> dict:
    body = json.dumps(data).encode()
    environ = wsgi_environ(path, body)
    environ.update(CONTENT_TYPE="application/json", REMOTE_ADDR="127.0.0.1")
    environ["HTTP_HOST"] = "localhost"
    return environ


@pytest.fixture
def app():
    return make_emulator(Settings(today=date(2030, 1, 1), admin=True))


def last(app) -> dict:
    return app.runtime.journal.read(kind=None)[-1].as_json()


def test_soap_calls_are_noted_once_on_every_path(app):
    valid = dossier_verzoek("98630499724", versie="02.00")
    for _ in range(2):  # the template path, then the known shape
        status, environ = call(app, wsgi_environ(PATH_DOSSIER_02, valid))
        assert status == "200 OK"
        assert [(c.insz, c.result) for c in environ.notes] == [("98630499724", "DOSSIER")]
    invalid = dossier_verzoek("98630499725", versie="02.00")  # fails modulo 97
    status, environ = call(app, wsgi_environ(PATH_DOSSIER_02, invalid))
    assert [c.result for c in environ.notes] == ["UITZONDERING 40002"]
    assert last(app)["result"] == "UITZONDERING 40002"
    advies = advies_verzoek("98630499724", "2024-01-01")
    status, environ = call(app, wsgi_environ(PATH_ADVIES, advies))
    assert len(environ.notes) == 1
    assert last(app)["rule"] == environ.notes[0].extra["rule"]


def test_spyne_notes_the_call_once_in_the_servers_environ():
    spyne = make_emulator(Settings(today=date(2030, 1, 1), direct=False))
    body = dossier_verzoek("98630499724", versie="02.00")
    status, environ = call(spyne, wsgi_environ(PATH_DOSSIER_02, body))
    assert status == "200 OK"
    assert [(c.operation, c.result) for c in environ.notes] == [("GeefDossierKBI", "DOSSIER")]
    assert last(spyne)["result"] == "DOSSIER"


def test_an_injected_fault_notes_the_call_once_where_it_answers(app):
    status, environ = call(app, post_json("/admin/faults", {"kind": "http_503", "count": 1}))
    assert status.startswith("201") and len(environ.notes) == 1  # the admin guard's note
    assert last(app)["kind"] == "admin"
    body = dossier_verzoek("98630499724", versie="02.00")
    status, environ = call(app, wsgi_environ(PATH_DOSSIER_02, body))
    assert status.startswith("503")
    assert [(c.insz, c.result) for c in environ.notes] == [("98630499724", "FAULT http_503")]
    call(app, post_json("/admin/faults", {"kind": "latency", "latency_ms": 1}))
    status, environ = call(app, wsgi_environ(PATH_DOSSIER_02, body))
    # the service notes the call; the HTTP layer adds the latency it injected
    assert [c.result for c in environ.notes] == ["DOSSIER"]
    assert "injected_latency_ms" not in environ.notes[0].extra
    assert last(app)["injected_latency_ms"] == 1


@pytest.mark.parametrize(
    ("path", "query", "status", "resultaat"),
    [
        ("/api/v1/dossiers/98630499724", "", "200 OK", "DOSSIER"),  # the cached JSON's path
        ("/api/v1/dossiers/80651439361", "", "404 NOT FOUND", "UITZONDERING 30001"),
        ("/api/v1/dossiers/98630499725", "", "400 BAD REQUEST", "ERROR 40002"),
        ("/api/v1/advies/98630499724", "datum=2024-13-01", "400 BAD REQUEST", "ERROR 40003"),
        ("/api/v1/lijsten/gemeente/1", "", "400 BAD REQUEST", "ERROR 40001"),
        ("/api/v1/lijsten/gemeente/24055", "", "200 OK", "LIST lijst-gemeente 24055"),
    ],
)
def test_rest_calls_are_noted_once(app, path, query, status, resultaat):
    headers = {"X-Magda-Afzender": "VSB", "X-Magda-Hoedanigheid": "1234"}
    received, environ = call(app, get(path, query, headers))
    assert received == status
    assert [(c.afzender, c.hoedanigheid, c.result) for c in environ.notes] == [
        ("VSB", "1234", resultaat)
    ]
    entry = last(app)
    assert (entry["endpoint"], entry["afzender"], entry["result"]) == (path, "VSB", resultaat)


def test_a_call_is_immutable():
    noted = Call("GeefDossierKBI", insz="98630499724", extra={"mutaties_context": True})
    answered = noted.answered("DOSSIER", {"rule": 1})
    assert noted.result is None and noted.extra == {"mutaties_context": True}
    assert answered.extra == {"mutaties_context": True, "rule": 1}
    with pytest.raises(AttributeError):
        noted.result = "DOSSIER"  # type: ignore[misc]


def test_a_body_read_once_is_what_the_journal_keeps(app):
    body = dossier_verzoek("98630499724", versie="02.00")
    environ = wsgi_environ(PATH_DOSSIER_02, body)
    environ["wsgi.input"] = io.BytesIO(body)
    call(app, environ)
    assert app.runtime.journal.read()[-1].request == body


@pytest.mark.parametrize(
    ("path", "body", "status", "operation", "resultaat", "reden"),
    [
        (
            PATH_DOSSIER_02,
            b"<a>",
            "500 Internal Server Error",
            "GeefDossierKBI",
            "SOAP_FAULT Client",
            "Het verzoek is geen geldige XML: het houdt op in element 'a' (geopend op regel 1),"
            " regel 1, kolom 4",
        ),
        (
            "/api/Magda-02.00/soap/WebService",
            dossier_verzoek("98630499724", versie="02.00").replace(
                b"http://schemas.xmlsoap.org/soap/envelope/",
                b"http://www.w3.org/2003/05/soap-envelope",
            ),
            "500 Internal Server Error",
            None,
            "SOAP_FAULT VersionMismatch",
            "Verwacht een SOAP 1.1 Envelope (namespace http://schemas.xmlsoap.org/soap/envelope/)"
            ": SOAP 1.2 wordt niet ondersteund",
        ),
        (
            PATH_DOSSIER_02,
            dossier_verzoek("98630499724", versie="02.00").replace(
                b"<soapenv:Body>",
                b'<soapenv:Header><Spoor soapenv:mustUnderstand="1"/></soapenv:Header>'
                b"<soapenv:Body>",
            ),
            "500 Internal Server Error",
            "GeefDossierKBI",
            "SOAP_FAULT MustUnderstand",
            'Header-element Spoor heeft mustUnderstand="1" en wordt hier niet verwerkt (alleen'
            " wsse:Security van WS-Security): laat het weg of zet mustUnderstand op 0",
        ),
        (
            PATH_ADVIES,
            b" ",
            "400 Bad Request",
            "GeefAutomatischAdvies",
            "SOAP_FAULT Client",
            "Het verzoek is leeg: verwacht een SOAP 1.1 Envelope",
        ),
    ],
    ids=["not-xml", "soap-1.2", "must-understand", "empty"],
)
def test_a_request_no_service_reads_is_noted_with_its_fault(
    app, path, body, status, operation, resultaat, reden
):
    """Its entry said nothing of it: result null."""
    received, environ = call(app, wsgi_environ(path, body))
    assert received == status
    assert [(c.operation, c.result, c.extra) for c in environ.notes] == [
        (operation, resultaat, {"reason": reden})
    ]
    entry = last(app)
    assert (entry["operation"], entry["result"], entry["reason"]) == (operation, resultaat, reden)


@pytest.mark.parametrize("terminated", [True, False], ids=["granian", "werkzeug"])
def test_a_body_shorter_than_its_content_length_is_refused_as_such(app, terminated):
    """The client stopped before the Content-Length it announced (it half-closed its
    connection, or closed it). granian then hands none of the body, which was refused as
    empty; werkzeug's server hands what came, refused as XML that ends too soon. Both are now
    refused for what happened."""
    whole = dossier_verzoek("98630499724", versie="02.00")
    environ = wsgi_environ(PATH_DOSSIER_02, b"" if terminated else whole[:100])
    environ["CONTENT_LENGTH"] = str(len(whole))
    if terminated:
        environ["wsgi.input_terminated"] = True
    received, environ = call(app, environ)
    assert received == "400 Bad Request"
    reden = f"Het verzoek eindigde voor de {len(whole)} bytes die de Content-Length aankondigt"
    assert [(c.result, c.extra) for c in environ.notes] == [
        ("SOAP_FAULT Client", {"reason": reden})
    ]


def test_a_request_with_a_dtd_is_refused_before_any_service_and_noted(app):
    """It went to spyne, whose service refused it: the same Fault, but journaled as null."""
    body = b'<!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd">' + dossier_verzoek("98630499724")
    for path in (PATH_DOSSIER_02, "/api/Magda-02.00/soap/WebService"):
        received, environ = call(app, wsgi_environ(path, body))
        assert received == "500 Internal Server Error"
        assert [(c.result, c.extra) for c in environ.notes] == [
            (
                "SOAP_FAULT Client.DTD",
                {"reason": "Een DTD (<!DOCTYPE>) is niet toegelaten in een verzoek"},
            )
        ]


@pytest.mark.parametrize(
    "path", ["/api/v1/lijsten/gemeente/24055", "/api/v1/lijsten/verlaagde-premie/2023"]
)
def test_a_streamed_list_is_journaled_before_its_last_chunk_goes_out(app, path):
    """Journaled at close, after the server had sent the last byte: a client that read the
    journal as soon as it had the list found no entry for it now and then (CI did)."""
    status: list[str] = []
    antwoord = app(get(path), lambda s, h, e=None: status.append(s))
    read_back, noted = [], []
    try:
        for chunk in antwoord:  # is the entry there when each chunk is taken?
            read_back.append(chunk)
            noted.append([r.endpoint for r in app.runtime.journal.read()] == [path])
    finally:
        antwoord.close()  # as a server does: not a second entry
    assert status == ["200 OK"] and b"".join(read_back).startswith(b"{")
    assert noted[-1], "the last chunk went out before the entry was written"
    assert [r.endpoint for r in app.runtime.journal.read()] == [path]


def test_a_streamed_list_the_client_leaves_is_journaled_once(app):
    antwoord = app(get("/api/v1/lijsten/gemeente/24055"), lambda s, h, e=None: None)
    next(iter(antwoord))
    antwoord.close()  # the client went away after one chunk
    assert [r.endpoint for r in app.runtime.journal.read()] == ["/api/v1/lijsten/gemeente/24055"]


def test_a_dropped_call_is_journaled_before_its_connection_is_cut(app):
    """Cut first, then journaled: a client that read the journal as soon as it saw the cut
    found the call missing now and then (the suite's plugin test did, under load)."""

    class Connection:
        journaled_when_cut: list[str] | None = None

        def shutdown(self, how) -> None:
            self.journaled_when_cut = [r.result for r in app.runtime.journal.read()]

    call(app, post_json("/admin/faults", {"kind": "drop", "count": 1}))
    connection = Connection()
    environ = wsgi_environ(PATH_DOSSIER_02, dossier_verzoek("98630499724", versie="02.00"))
    environ[SOCKET_KEY] = connection  # as the in-process server of the plugin gives it
    antwoord = app(environ, lambda s, h, e=None: None)
    assert connection.journaled_when_cut is None  # cut when the server takes the body
    assert b"".join(antwoord) == b""
    assert connection.journaled_when_cut == ["FAULT drop"]
    assert [r.result for r in app.runtime.journal.read()] == ["FAULT drop"]
