"""The admin API's guard (token, Host allow-list, no simple cross-origin calls, journaled)
and the server's lifecycle (a port in use, workers that outlive their serve)."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from magda_kbi.adapters.app import Settings, make_emulator, settings_to_json
from magda_kbi.adapters.pytest_plugin import MagdaEmulator, _Server

from .cli_run import magda_kbi_process
from .conftest import Server
from .processes import alive, children, free_port
from .soap import dossier_verzoek

TOKEN = "s3cret-token-for-the-tests"
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    audit = tmp_path_factory.mktemp("audit") / "audit.jsonl"
    server = _Server(
        make_emulator(
            Settings(
                admin=True,
                admin_token=TOKEN,
                public_hosts=["emulator.test.intern"],
                audit_log=audit,
            )
        )
    )
    yield server, audit
    server.stop()


def call(server, method: str, path: str, token: str | None = TOKEN, **kw):
    headers = {**JSON, **kw.pop("headers", {})}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, server.url + path, headers=headers, timeout=5, **kw)


def test_the_token_is_required(secured):
    server, _ = secured
    assert call(server, "GET", "/admin/clock", token=None).status_code == 401
    error = call(server, "GET", "/admin/clock", token="wrong")
    assert error.status_code == 401 and error.json()["code"] == "ADMIN_TOKEN_REQUIRED"
    assert error.headers["WWW-Authenticate"].startswith("Bearer")
    assert call(server, "GET", "/admin/clock").status_code == 200
    # the services themselves need no token
    assert requests.get(f"{server.url}/api/v1/advies/98630499724", timeout=5).status_code == 200


def test_only_allowed_host_names(secured):
    server, _ = secured
    for host, status in (
        ("evil.example", 421),  # DNS rebinding: another name pointing here
        ("emulator.test.intern:8080", 200),  # --public-host
        ("localhost:1234", 200),
        ("[::1]:1234", 200),
    ):
        r = call(server, "GET", "/admin/clock", headers={"Host": host})
        assert r.status_code == status, (host, r.text)
    assert call(server, "GET", "/admin/clock", headers={"Host": "evil.example"}).json()["code"] == (
        "HOST_NOT_ALLOWED"
    )


def test_no_simple_cross_origin_request_changes_anything(secured):
    server, _ = secured
    call(server, "PUT", "/admin/clock", json={"today": "2024-01-01"})
    # a form post from another page: text/plain or no content type at all
    for headers in ({"Content-Type": "text/plain"}, {"Content-Type": ""}):
        r = call(server, "POST", "/admin/reset", headers=headers)
        assert r.status_code == 415 and r.json()["code"] == "CONTENT_TYPE_REQUIRED"
        assert r.text.startswith('{"code":"CONTENT_TYPE_REQUIRED",')  # as Flask's errors are
    r = call(server, "POST", "/admin/reset", headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and r.json()["code"] == "FOREIGN_ORIGIN"
    assert call(server, "GET", "/admin/clock").json()["today"] == "2024-01-01"  # unchanged
    own = call(server, "POST", "/admin/reset", headers={"Origin": "http://localhost:9999"})
    assert own.status_code == 200


def test_a_delete_needs_no_content_type_and_a_foreign_origin_is_still_refused(secured):
    """From a page on another site a DELETE is never a simple request: the browser asks
    first (a preflight), and the emulator never says yes. The Content-Type a POST must say
    (no form can say JSON) was asked of it too: curl -X DELETE and the clients generated
    from the OpenAPI document send none, and were refused 415."""
    server, _ = secured
    for headers in ({"Content-Type": None}, {"Content-Type": "text/plain"}):
        call(server, "POST", "/admin/faults", json={"kind": "99996"})
        r = call(server, "DELETE", "/admin/faults", headers=headers)
        assert r.status_code == 204, r.text
        assert call(server, "GET", "/admin/faults").json() == []
    foreign = {"Content-Type": None, "Origin": "http://evil.example"}
    r = call(server, "DELETE", "/admin/journal", headers=foreign)
    assert r.status_code == 403 and r.json()["code"] == "FOREIGN_ORIGIN"
    preflight = requests.options(
        server.url + "/admin/journal",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "DELETE"},
        timeout=5,
    )
    assert not [h for h in preflight.headers if h.lower().startswith("access-control-allow")]


def test_admin_actions_are_journaled_and_audited_without_the_token(secured):
    server, audit = secured
    call(server, "DELETE", "/admin/journal")
    call(server, "PUT", "/admin/clock", json={"today": "2024-02-02"})
    call(server, "POST", "/admin/reset", token="wrong")
    acties = call(server, "GET", "/admin/journal", params={"kind": "admin"}).json()["entries"]
    clock = [a for a in acties if a["endpoint"] == "/admin/clock"][-1]
    assert (clock["kind"], clock["operation"], clock["status"]) == ("admin", "admin PUT", 200)
    assert clock["remote_addr"] == "127.0.0.1"
    refused = [a for a in acties if a["result"] == "REFUSED ADMIN_TOKEN_REQUIRED"]
    assert refused and refused[-1]["status"] == 401
    # the default view holds the calls of consumers only
    assert all(e["kind"] == "call" for e in call(server, "GET", "/admin/journal").json()["entries"])
    text = audit.read_text(encoding="utf-8")
    assert '"kind": "admin"' in text and TOKEN not in text and "wrong" not in text
    assert TOKEN not in json.dumps(acties)


def test_a_compressed_body_is_refused_by_name(secured):
    """No body is decompressed: a gzip body read as XML was a fault "Start tag expected" (and
    as JSON "invalid JSON"), which sends a developer looking in the wrong place."""
    import gzip

    server, _ = secured
    envelope = dossier_verzoek("98630499724", versie="02.00")
    for path in ("/GeefDossierKBIDienst-02.00/soap/WebService", "/api/Magda-02.00/soap/WebService"):
        for encoding in ("gzip", "deflate, gzip"):
            r = requests.post(
                server.url + path,
                data=gzip.compress(envelope),
                headers={"Content-Type": "text/xml", "Content-Encoding": encoding},
                timeout=5,
            )
            assert r.status_code == 415, (path, r.text)
            assert f"Content-Encoding '{encoding}' wordt niet ondersteund" in r.text
            assert "<faultcode>soap11env:Client</faultcode>" in r.text
        without = {"Content-Type": "text/xml", "Content-Encoding": "identity"}
        r = requests.post(server.url + path, data=envelope, headers=without, timeout=5)
        assert r.status_code == 200 and "<INSZ>98630499724</INSZ>" in r.text
    r = call(
        server,
        "PUT",
        "/admin/clock",
        data=gzip.compress(b'{"today": "2024-04-04"}'),
        headers={"Content-Encoding": "gzip"},
    )
    assert r.status_code == 415 and r.json() == {
        "code": "CONTENT_ENCODING_UNSUPPORTED",
        "diagnose": "Content-Encoding 'gzip' is not supported: send the body uncompressed",
    }
    assert call(server, "GET", "/admin/clock").json()["today"] != "2024-04-04"


def test_the_plugin_passes_the_token(secured):
    server, _ = secured
    magda = MagdaEmulator(server.url, TOKEN)
    magda.today("2024-03-03")
    assert magda.journal() is not None
    magda.reset()
    with pytest.raises(AssertionError, match="401"):
        MagdaEmulator(server.url).reset()


def test_admin_on_a_public_address_needs_a_token():
    process = magda_kbi_process("serve", "--host", "0.0.0.0", "--port", str(free_port()), "--admin")
    assert process.returncode == 2
    assert "--admin-token" in process.stderr and "127.0.0.1" in process.stderr


def test_admin_on_the_network_needs_a_token_that_cannot_be_guessed():
    args = ("serve", "--host", "0.0.0.0", "--port", str(free_port()), "--admin")
    process = magda_kbi_process(*args, "--admin-token", "geheim")
    assert process.returncode == 2 and "at least 16 characters" in process.stderr
    assert "geheim" not in process.stderr  # the token is never shown


def test_an_empty_admin_token_or_public_host_is_refused_not_taken_as_none():
    """'--admin-token "$TOKEN"' with TOKEN unset started the admin API without a token;
    an empty --public-host was taken without a word."""
    args = ("serve", "--port", str(free_port()), "--admin")
    process = magda_kbi_process(*args, "--admin-token", "")
    assert process.returncode == 2
    assert process.stderr.endswith(
        "Error: Invalid value for '--admin-token': is empty: give the token, or leave the"
        " option out\n"
    )
    process = magda_kbi_process(*args, "--public-host", "")
    assert process.returncode == 2
    assert process.stderr.endswith(
        "Error: Invalid value for '--public-host': is empty (an unset variable?)\n"
    )


@pytest.mark.parametrize(
    ("public_host", "said"),
    [
        ("http://magda.test", "'http://magda.test' is a URL: give its host name, magda.test"),
        (
            "magda.test:8080",
            "'magda.test:8080' has a port or brackets: give the name alone, magda.test",
        ),
        ("[::1]", "'[::1]' has a port or brackets: give the name alone, ::1"),
        ("magda.test/admin", "'magda.test/admin' is no host name (no path, no spaces)"),
        (" magda.test", "' magda.test' is no host name (no path, no spaces)"),
    ],
)
def test_a_public_host_that_no_host_header_names_is_refused(public_host, said):
    """The admin API compares the Host header's name, without its port: these were taken,
    and every admin call through that name got a 421."""
    args = ("serve", "--port", str(free_port()), "--admin", "--public-host", public_host)
    process = magda_kbi_process(*args)
    assert (process.returncode, process.stderr.splitlines()[-1]) == (
        2,
        f"Error: Invalid value for '--public-host': {said}",
    )


def test_a_port_in_use_is_refused():
    first = Server()
    try:
        second = magda_kbi_process("serve", "--port", str(first.port))
        assert second.returncode == 2
        assert f"cannot listen on 127.0.0.1:{first.port}" in second.stderr
        assert "Address already in use" in second.stderr and "--port N" in second.stderr
    finally:
        first.stop()


def test_a_stopped_serve_s_port_is_taken_again_at_once():
    """A client that keeps its connection open (requests' Session, every SOAP client) leaves
    the stopped serve's side of it in FIN_WAIT/TIME_WAIT for up to a minute, and a serve
    started again on that port meanwhile was refused: "Address already in use (is another
    emulator still running?)" when none was."""
    first = Server()
    session = requests.Session()
    assert session.get(f"{first.url}/health", timeout=5).status_code == 200
    first.stop()  # the server closes the kept connection first
    second = Server(port=first.port)
    try:
        assert session.get(f"{second.url}/health", timeout=5).json()["pid"] == second.process.pid
    finally:
        second.stop()


def test_a_connection_without_a_request_is_closed_after_the_idle_timeout():
    """A connection that never sent a byte was held for ever (granian's HTTP/1-or-2 mode
    starts no timer before the first byte), and 1,500 of them stopped every answer. One that
    sent half its headers, or sent nothing more after its answer, was already closed."""
    s = Server("--idle-timeout", "1")
    try:
        begin = time.monotonic()  # before the connections: each waits at least 1 s from here
        connections = {
            what: socket.create_connection(("127.0.0.1", s.port), timeout=15)
            for what in ("nothing", "half the headers", "nothing after an answer")
        }
        connections["half the headers"].sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        connections["nothing after an answer"].sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        read = {}
        for what, connection in connections.items():
            with connection:
                chunks = []
                while chunk := connection.recv(65536):  # b"": the emulator closed it
                    chunks.append(chunk)
                read[what] = b"".join(chunks)[:15], time.monotonic() - begin
        assert {what: got for what, (got, _) in read.items()} == {
            "nothing": b"",
            "half the headers": b"",
            "nothing after an answer": b"HTTP/1.1 200 OK",
        }
        assert 0.9 <= min(t for _, t in read.values()) and max(t for _, t in read.values()) < 10
        assert requests.get(f"{s.url}/health", timeout=5).status_code == 200
    finally:
        s.stop()


def test_a_body_that_is_slow_to_arrive_is_logged_after_the_idle_timeout_and_when_it_ends():
    """granian times out no request body (emmett-framework/granian#728): a client that sent
    less than its Content-Length held a worker thread, and waited for the reply itself, with
    nothing said on either side. serve now says so once --idle-timeout has passed, and again
    when the read ends; a request whose body comes at once is not named."""
    s = Server("--idle-timeout", "1")
    path = "/GeefDossierKBIDienst-02.00/soap/WebService"
    body = dossier_verzoek("98630499724", versie="02.00")
    waits = "the body has not all arrived after 1 s; a worker thread waits for it"
    try:
        assert requests.post(
            f"{s.url}{path}", data=body, headers={"Content-Type": "text/xml"}, timeout=10
        ).ok
        head = (
            f"POST {path} HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: text/xml\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", s.port), timeout=15) as connection:
            connection.sendall(head + body[:100])
            begin = time.monotonic()
            while waits not in s.output() and time.monotonic() < begin + 10:
                time.sleep(0.05)
            assert time.monotonic() - begin >= 0.9  # not before the idle timeout
            connection.sendall(body[100:])  # late, but whole: answered as any other
            assert connection.recv(15) == b"HTTP/1.1 200 OK"
        deadline = time.monotonic() + 10
        while "the read of its body ended" not in s.output() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        output = s.stop()
    request = f"POST {path} from 127.0.0.1 (Content-Length: {len(body)})"
    said = [line for line in output.splitlines() if "body" in line]
    assert said[0].startswith(f"{request}: {waits}")
    assert re.fullmatch(
        f"{re.escape(request)}: the read of its body ended after [1-9] s, with {len(body)} bytes",
        said[1],
    )
    assert len(said) == 2  # the first request, whose body came at once, is not named


def test_an_address_that_cannot_be_listened_on_says_why_and_only_that():
    process = magda_kbi_process("serve", "--host", "256.1.1.1", "--port", str(free_port()))
    assert process.returncode == 2 and "cannot listen on 256.1.1.1" in process.stderr
    assert "another emulator" not in process.stderr  # no port is taken: no such hint


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc (Linux) to find workers")
def test_workers_stop_within_a_second_when_serve_is_killed():
    server = Server("--workers", "2")
    workers = children(server.process.pid)
    assert workers, "no worker processes found"
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=5)
    einde = time.monotonic() + 1.5
    while time.monotonic() < einde and alive(workers):
        time.sleep(0.05)
    assert alive(workers) == []
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/health", timeout=1)


def test_a_worker_that_starts_after_serve_died_stops_at_once():
    """A worker took its parent's pid when it started: one still starting when serve was
    killed read the pid of the process that adopted it, watched that one, and served on
    alone. Here the worker's parent is this test, not serve (pid 1, long gone for it)."""
    from magda_kbi.adapters.server import (
        IMPORTED_FILES_ENV,
        SERVE_PID_ENV,
        SETTINGS_ENV,
    )

    worker = subprocess.run(
        [
            sys.executable,
            "-c",
            "import time; from magda_kbi.adapters.server import application; application();"
            " time.sleep(10)",
        ],
        env={
            **os.environ,
            SERVE_PID_ENV: "1",
            SETTINGS_ENV: settings_to_json(Settings()),
            IMPORTED_FILES_ENV: "",
        },
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert worker.returncode == 3, worker.stderr
    assert "serve (pid 1) is gone: this worker stops" in worker.stderr


def test_transfer_codings_other_than_chunked_are_refused(server, magda):
    """The application answers 501; granian refuses some codings itself, with a 400, before
    the application sees them: never a 200."""
    import socket
    from urllib.parse import urlsplit

    for url, expected in (
        (magda.url, (b"HTTP/1.1 501",)),
        (server.url, (b"HTTP/1.1 501", b"HTTP/1.1 400")),
    ):
        for encoding in (b"gzip, chunked", b"deflate"):
            with socket.create_connection(("127.0.0.1", urlsplit(url).port), timeout=5) as s:
                s.sendall(
                    b"POST /GeefDossierKBIDienst-02.00/soap/WebService HTTP/1.1\r\n"
                    b"Host: localhost\r\nContent-Type: text/xml\r\nTransfer-Encoding: "
                    + encoding
                    + b"\r\nConnection: close\r\n\r\n0\r\n\r\n"
                )
                antwoord = s.recv(4096)
            assert antwoord.startswith(expected), (url, encoding, antwoord[:80])


def test_a_client_that_writes_before_it_reads_gets_the_413(server):
    """Python's urllib sends its whole body first: the emulator reads what it sent (up to
    16 MiB) so that the 413 arrives instead of a broken pipe."""
    import urllib.error
    import urllib.request

    body = b"<" * (3 * 1024 * 1024)
    vraag = urllib.request.Request(
        f"{server.url}/GeefDossierKBIDienst-02.00/soap/WebService",
        data=body,
        headers={"Content-Type": "text/xml"},
    )
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(vraag, timeout=10)
    assert error.value.code == 413


def test_an_oversized_chunked_body_to_the_admin_api_is_413(magda):
    def pieces():  # no Content-Length: requests sends it chunked
        yield b'{"insz": "'
        for _ in range(40):
            yield b"1" * 65536
        yield b'"}'

    r = requests.put(
        f"{magda.url}/admin/personas/80651338304",
        data=pieces(),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert (r.status_code, r.json()["code"]) == (413, "TOO_LARGE")


def test_the_admin_index_is_behind_the_guard_too(secured):
    server, _ = secured
    assert call(server, "GET", "/admin/", token=None).status_code == 401
    routes = call(server, "GET", "/admin/").json()["routes"]
    assert {"path": "/admin/reset", "method": "POST"} in [
        {"path": r["path"], "method": r["method"]} for r in routes
    ]


def test_an_identity_header_given_twice_is_refused(server):
    """A second X-Magda-Afzender could override what a proxy set: 400, on the real server."""
    import http.client

    port = int(server.url.rsplit(":", 1)[1])
    for naam in ("X-Magda-Afzender", "X-Magda-Hoedanigheid"):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.putrequest("GET", "/api/v1/advies/73680599786?datum=2024-01-01")
        connection.putheader(naam, "gemeente.kortenberg.be")
        connection.putheader(naam, "vsb.vlaanderen.be")
        connection.endheaders()
        antwoord = connection.getresponse()
        body = json.loads(antwoord.read())
        connection.close()
        assert antwoord.status == 400
        assert body == {
            "code": "40001",
            "diagnose": f"header {naam} is given more than once",
            "field": naam,
        }
    once = requests.get(
        f"{server.url}/api/v1/advies/73680599786",
        params={"datum": "2024-01-01"},
        headers={"X-Magda-Afzender": "vsb.vlaanderen.be"},
        timeout=5,
    )
    assert once.status_code == 200


def test_variables_named_like_headers_in_serves_environment_are_no_headers():
    """granian starts each request's environ from the worker's process environment: a
    variable named like a header must not stand in for one the request did not send."""
    env = {
        "HTTP_AUTHORIZATION": f"Bearer {TOKEN}",
        "HTTP_X_MAGDA_AFZENDER": "vals.be",
        "HTTP_ORIGIN": "http://127.0.0.1",
    }
    server = Server("--admin", "--admin-token", TOKEN, env=env)
    try:
        without = requests.post(f"{server.url}/admin/reset", json={}, timeout=5)
        assert without.status_code == 401  # the environment's "Authorization" is no token
        requests.get(f"{server.url}/api/v1/dossiers/98630499724", timeout=5)
        journal = call(server, "GET", "/admin/journal").json()["entries"]
        assert [e["afzender"] for e in journal if e["kind"] == "call"] == [None]
    finally:
        server.stop()
