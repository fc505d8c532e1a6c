"""The emulator as one WSGI application: a small dispatcher in front of spyne and Flask.

- ``POST /{Naam}Dienst-{versie}/soap/WebService``: the SOAP service (GeefDossierKBI 01.00
  and 02.00, GeefAutomatischAdvies 01.00); ``GET`` of the same path with ``?wsdl``: our
  WSDL, pointing at this server;
- ``POST /api/Magda-02.00/soap/WebService``: the MAGDA mock's generic endpoint,
  routed on the request's ``Context/Naam`` + ``Versie`` and the operation's namespace
  (the WebService or the Service variant of a contract);
- ``GET /wsdl/...``: the WSDL and XSD files;
- everything else: Flask (``/health``, the REST API ``/api/v1``, the admin API ``/admin``).

SOAP and REST calls are written to the journal; injected faults are applied here, before
a request reaches its service (so they cost nothing while none is set). Two short cuts,
each tested byte for byte against the long way: a SOAP request of a shape already
validated (``wire/shape.py``, ``known_shapes.py``) goes to its template unparsed, and ``GET
/api/v1/dossiers/{insz}`` whose JSON is built is answered without Flask (``rest_direct``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from lxml import etree
from pydantic import TypeAdapter

from magda_kbi.adapters import rest_direct
from magda_kbi.adapters.admin_guard import (
    CHANGING,
    TOKEN_ENV,
    AdminGuard,
    unsupported_content_encoding,
)
from magda_kbi.adapters.forwarded import base_address, path_prefix
from magda_kbi.adapters.known_shapes import KnownShapes
from magda_kbi.adapters.rest import rest_application
from magda_kbi.adapters.signatures import NS_WSSE, signature_refusal
from magda_kbi.domain.advies import RuleSet, Terms
from magda_kbi.domain.clock import Clock
from magda_kbi.domain.consumers import DEMO, Afnemers
from magda_kbi.domain.dossier import Persona
from magda_kbi.io.checked_files import CheckedFiles
from magda_kbi.io.consumer_file import load_consumers
from magda_kbi.io.personas import builtin_folder, load_personas
from magda_kbi.io.schemas import did_you_mean
from magda_kbi.runtime.catalogue import Catalogue, first_to_say, import_files, store_errors
from magda_kbi.runtime.diensten import (
    PLATFORM_UITZONDERINGEN,
    Dienst,
    Hub,
    Runtime,
    all_services,
)
from magda_kbi.runtime.faults import ConnectionDropped, FaultKind
from magda_kbi.runtime.fixture_watch import FixtureWatcher
from magda_kbi.runtime.journal import BODY_MAX, NOTHING, Call, Journal, JournalEntry
from magda_kbi.runtime.store import Store, open_store
from magda_kbi.runtime.wsgi_keys import (
    BODY_KEY,
    CALL_KEY,
    FAULT_KEY,
    INJECTED_LATENCY_KEY,
    SOCKET_KEY,
)
from magda_kbi.wire.bericht import read_context
from magda_kbi.wire.envelope import EnvelopeRefusal, read_envelope, soap_fault
from magda_kbi.wire.xml import read_contract_files, schema, text_at

GENERIC_PATH = "/api/Magda-02.00/soap/WebService"
DEFAULT_MAX_BYTES = 1024 * 1024  # a MAGDA request is about 1 KB
WSDL_ADDRESS = "http://localhost:8080"  # the placeholder host in wsdl/*.wsdl

StartResponse = Callable[..., object]
_NO_CALL = Call()  # a call nobody noted: a request refused before it was read


log = logging.getLogger(__name__)


@dataclass
class Settings:
    today: date | None = None  # None: the real date
    extra_fixtures: list[Path] = field(default_factory=list)
    max_bytes: int = DEFAULT_MAX_BYTES
    terms: Terms = field(default_factory=Terms)
    rule_set: RuleSet = RuleSet.PROTOCOL_V1
    admin: bool = False
    journal_size: int = 1000
    direct: bool = True  # False: every SOAP request goes through spyne (slower; a reference)
    protocols: bool = False  # enforce the consumers' protocols
    consumers: Path | None = None  # a YAML file of consumers, besides the demo ones
    audit_log: Path | None = None  # JSON lines, one per call
    admin_token: str | None = None  # the admin API then needs Authorization: Bearer <token>
    public_hosts: list[str] = field(default_factory=list)  # Host names besides loopback
    watch: bool = False  # pick up persona files added, changed or removed while running
    proxy_headers: bool = False  # WSDL addresses follow X-Forwarded-Proto/Host/Prefix
    # origins whose browser pages may read the REST API (/api/v1/; "*": any), for a web
    # front-end served from elsewhere (its dev server)
    cors_origins: list[str] = field(default_factory=list)
    # sqlite:///FILE or postgresql://...: runtime state shared by workers (store.py); None:
    # in this process's memory (the pytest plugin, tests)
    store: str | None = None
    # the store that holds the persona catalogue (runtime/catalogue.py); None: the personas
    # are read from the files into this process's memory
    catalogue: str | None = None
    # every SOAP request must carry a WS-Security signature that holds (adapters/signatures)
    verify_signatures: bool = False


@cache
def _settings_json() -> TypeAdapter[Settings]:
    return TypeAdapter(Settings)


def settings_to_json(settings: Settings) -> str:
    """The settings as JSON: how ``serve`` hands them to its worker processes (every field,
    so that none is the default in the workers without a word; but the admin token)."""
    return _settings_json().dump_json(settings, exclude={"admin_token"}).decode()


def settings_from_json(text: str) -> Settings:
    settings = _settings_json().validate_json(text)
    # the token travels to the workers in its own variable, never in the settings
    return dataclasses.replace(settings, admin_token=os.environ.get(TOKEN_ENV) or None)


class Emulator:
    """The WSGI callable. Build it with :func:`make_emulator`."""

    def __init__(
        self,
        runtime: Runtime,
        max_bytes: int = DEFAULT_MAX_BYTES,
        *,
        admin: bool = False,
        direct: bool = True,
        watcher: FixtureWatcher | None = None,
        guard: AdminGuard | None = None,
        proxy_headers: bool = False,
        verify_signatures: bool = False,
        stores: Iterable[Store] = (),
        cors_origins: Iterable[str] = (),
    ) -> None:
        self.runtime = runtime
        self._stores = tuple(stores)  # closed with it (the catalogue's, the runtime's)
        self.verify_signatures = verify_signatures
        self.proxy_headers = proxy_headers
        self.guard = guard or AdminGuard()
        self.watcher = watcher
        self.max_bytes = max_bytes
        self.admin = admin
        self.direct = direct
        self.diensten = all_services(runtime)
        # The contract is read and compiled here, once: nothing on disk is needed later.
        self.contract = read_contract_files()
        for service in self.diensten:
            schema(service.xsd)
        self.hub = Hub(self.diensten)
        # spyne's application per service, built at the reference emulator's first request
        # (see _spyne_app)
        self._spyne_apps: dict[Dienst, Callable] = {}
        self._spyne_lock = threading.Lock()
        self.per_path = {d.contract.path: d for d in self.diensten if d.contract.path}
        self.shapes = KnownShapes(runtime)  # requests answered from a template unparsed
        checked = {
            "contract_files": len(self.contract),
            "schemas_compiled": sorted({d.xsd for d in self.diensten}),
            "personas_loaded": len(runtime.personas),
        }
        self.rest = rest_application(
            runtime,
            admin_on=admin,
            checked=checked,
            watcher=watcher,
            soap_paths=tuple(self.per_path),
            diensten=self.diensten,
            verify_signatures=verify_signatures,
            proxy_headers=proxy_headers,
            cors_origins=frozenset(cors_origins),
        )
        self.dossier_json = self.rest.extensions["magda_kbi.dossier_json"]  # rest_direct.py

    stopped = False

    def close(self) -> None:
        """Its threads ended, its files and stores closed (a program or test that builds
        several in one process); a request that still comes (a server that stops after it,
        as the plugin's) gets a 503."""
        self.stopped = True
        if self.watcher is not None:
            self.watcher.stop()
        self.runtime.close()
        for store in self._stores:
            store.close()

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if self.stopped:  # its stores are closed: a request read them and failed (500)
            body = b"the emulator has stopped\n"
            retry = [("Retry-After", "1")]  # a SIGHUP's new workers may answer by then
            return _reply(start_response, "503 Service Unavailable", "text/plain", body, retry)
        self.runtime.refresh()  # changes another worker made through the admin API
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        encoding = environ.get("HTTP_TRANSFER_ENCODING")
        if encoding is not None and encoding.strip().lower() != "chunked":
            # gzip, deflate, several codings: none of them is read here, so none is accepted
            body = f"Transfer-Encoding {encoding!r} is not supported: send chunked or plain"
            return _reply(start_response, "501 Not Implemented", "text/plain", body.encode())
        service = self.per_path.get(path)
        if service is not None:
            # spyne's own test for a WSDL request (``?wsdl=1`` too): none reaches spyne, whose
            # WSDL (``xs:anyType``, operation ``operatie``) is not the contract
            query = environ.get("QUERY_STRING", "")
            # the first parameter's name: '?wsdl&v=2' as '?wsdl=&v=2'
            if method in READ_METHODS and query.split("&", 1)[0].split("=", 1)[0].lower() == "wsdl":
                return _body_for(method, self._wsdl(environ, start_response, service))
            if method == "POST":
                return self._journaled(environ, start_response, service, self._soap)
            # spyne's 405 said "POST ... with the Content-Type header properly set", in English
            root = path_prefix(environ, self.proxy_headers)
            response = _fault_reply(
                start_response,
                "405 Method Not Allowed",
                "Client",
                f"Dit adres neemt een {service.naam}-verzoek met POST; de WSDL met GET"
                f" {root}{path}?wsdl",
                headers=[("Allow", "GET, HEAD, POST")],
            )
            return _body_for(method, response)
        if path == GENERIC_PATH:
            if method == "POST":
                return self._journaled(environ, start_response, None, self._soap)
            # it said 404 "unknown address" to a GET ?wsdl: the address is there, for a POST
            root = path_prefix(environ, self.proxy_headers)
            wsdls = ", ".join(f"{root}{address}?wsdl" for address in self.per_path)
            response = _fault_reply(
                start_response,
                "405 Method Not Allowed",
                "Client",
                "Dit adres neemt een MAGDA-bericht met POST (de dienst volgens Context/Naam en"
                f" Versie); het heeft geen WSDL, elke dienst heeft de zijne: {wsdls}",
                headers=[("Allow", "POST")],
            )
            return _body_for(method, response)
        if path.startswith("/wsdl/") and method in READ_METHODS:
            name = path[len("/wsdl/") :]
            return _body_for(method, self._contract_file(environ, name, start_response))
        if path.startswith("/api/v1/") and path not in ("/api/v1/", "/api/v1/openapi.json"):
            return self._journaled(environ, start_response, None, self._rest)
        if self.admin and (path == "/admin" or path.startswith("/admin/")):
            return self._admin(environ, start_response)
        if path.startswith("/console/journal/"):  # the journal's data: guarded as /admin/journal
            return self._admin(environ, start_response)
        return self.rest(environ, start_response)

    def _admin(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        """The admin API behind its guard; what changes the emulator goes to the journal (kind
        ``admin``) and the audit log, with the caller's address and never the token."""
        refusal = self.guard.check(environ)
        method = environ.get("REQUEST_METHOD", "GET")
        if refusal is None and method not in CHANGING:
            return self.rest(environ, start_response)
        address = {"remote_addr": environ.get("REMOTE_ADDR")}
        if refusal is not None:
            environ[CALL_KEY] = Call(
                f"admin {method}",
                result=f"REFUSED {refusal.code}",
                extra={**address, "reason": refusal.diagnose},
            )

            def refused_reply(environ, start, _dienst):
                body = json.dumps(  # spaced as Flask writes the admin API's other errors
                    {"code": refusal.code, "diagnose": refusal.diagnose}, separators=(",", ":")
                )
                return _reply(
                    start, refusal.status, "application/json", body.encode(), refusal.headers
                )

            return self._journaled(environ, start_response, None, refused_reply, "admin")
        environ[CALL_KEY] = Call(f"admin {method}", result="ADMIN", extra=address)
        return self._journaled(environ, start_response, None, self._rest, "admin")

    def _rest(self, environ: dict, start_response: StartResponse, _dienst: None):
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO", "").startswith(
            rest_direct.PREFIX
        ):
            response = rest_direct.dossier(self.runtime, self.dossier_json, environ, start_response)
            if response is not None:
                return response
        return self.rest(environ, start_response)

    def _journaled(
        self,
        environ: dict,
        start_response: StartResponse,
        service,
        handler,
        kind: str = "call",
    ):
        """Runs a SOAP or REST call (``kind`` "call") or an admin action ("admin") and writes
        its journal entry: what the layer that answered noted of it (journal.Call, in the
        environ), with the time, status, latency and bodies."""
        status = [0]

        def start(status_line: str, headers: list, exc_info=None):
            status[0] = int(status_line.split(" ", 1)[0])
            return start_response(status_line, headers, exc_info)

        when, begin = datetime.now(UTC), time.perf_counter()
        result = handler(environ, start, service)
        if result.__class__ is list:  # answered whole (every SOAP reply): nothing to run
            self._write_entry(environ, kind, when, begin, status[0], b"".join(result))
            return result
        if isinstance(result, BrokenOffReply | CutConnection):  # must reach the server as is
            self._write_entry(environ, kind, when, begin, status[0])
            return result
        if environ.get("PATH_INFO", "").startswith("/api/v1/lijsten/"):  # streamed: at the end
            return Streamed(
                result,
                lambda: self._write_entry(environ, kind, when, begin, status[0]),
                before_last=True,
            )
        parts: list[bytes] = []
        try:
            parts = list(result)  # produced here, so the latency counts all the work
            return parts
        finally:
            if hasattr(result, "close"):
                result.close()
            self._write_entry(environ, kind, when, begin, status[0], b"".join(parts))

    def _write_entry(
        self,
        environ: dict,
        kind: str,
        when: datetime,
        begin: float,
        status: int,
        response: bytes = b"",
    ) -> None:
        """The journal entry, built once: the call as noted, and what this layer knows."""
        call: Call = environ.get(CALL_KEY) or _NO_CALL
        extra = {**call.extra}  # the entry's own (a store adds its replica to it)
        delayed = environ.get(INJECTED_LATENCY_KEY)
        if delayed is not None:
            extra = {"injected_latency_ms": delayed, **extra}
        # By position, in the fields' order: with keywords the entry cost 2.0 us, so 0.7
        self.runtime.journal.write(
            JournalEntry(
                when,
                path if (path := environ.get("PATH_INFO", "")).isascii() else path_as_sent(path),
                call.operation,
                call.afzender,
                call.hoedanigheid,
                call.insz,
                call.referte,
                call.result,
                call.status if call.status is not None else status,
                (time.perf_counter() - begin) * 1000,  # latency_ms
                extra,
                kind,
                environ.get(BODY_KEY, b"")[:BODY_MAX],  # request
                response[:BODY_MAX],  # reply
            )
        )

    def _wsdl(self, environ: dict, start_response: StartResponse, service: Dienst) -> list[bytes]:
        base = base_address(environ, self.proxy_headers)
        text = self.contract[str(service.contract.wsdl)].decode("utf-8")
        text = text.replace(WSDL_ADDRESS, base).replace(
            'schemaLocation="xsd/', f'schemaLocation="{base}/wsdl/xsd/'
        )
        return _reply(start_response, "200 OK", "text/xml; charset=utf-8", text.encode())

    def _contract_file(
        self, environ: dict, name: str, start_response: StartResponse
    ) -> list[bytes]:
        content = self.contract.get(name)  # only our own files, from memory: no path is opened
        if content is None:  # the one meant, else them all (a dozen)
            hint = did_you_mean(name, self.contract) or f"; the files: {', '.join(self.contract)}"
            text = f"unknown contract file {path_as_sent(name)!r}{hint}"
            return _reply(
                start_response, "404 Not Found", "text/plain; charset=utf-8", text.encode()
            )
        if name.endswith(".wsdl"):  # its address, as ?wsdl's: it said localhost:8080
            base = base_address(environ, self.proxy_headers)
            content = content.replace(WSDL_ADDRESS.encode(), base.encode())
        return _reply(start_response, "200 OK", "text/xml; charset=utf-8", content)

    def _soap(self, environ: dict, start_response: StartResponse, service: Dienst | None):
        """Reads the (bounded) body once; the generic endpoint then routes on Context/Naam +
        Versie; the service's spyne application gets the body from memory."""
        body = self._read_body(environ)  # read in any case: the connection stays usable
        encoding = unsupported_content_encoding(environ)
        if encoding is not None:  # a compressed body read as XML was "Start tag expected"
            return _refuse(
                environ,
                start_response,
                "415 Unsupported Media Type",
                "Client",
                f"Content-Encoding {encoding!r} wordt niet ondersteund: "
                "stuur het verzoek ongecomprimeerd",
                service,
            )
        if isinstance(body, tuple):
            status, text = body
            return _refuse(environ, start_response, status, "Client", text, service)
        environ[BODY_KEY] = body
        # A request of a known shape (wire/shape.py) is answered from its template unparsed.
        # Unknown, it may teach its shape in _direct.
        # (a signed request is read whole: its signature is checked before anything else)
        learn = self.direct and not self.runtime.faults.active and not self.verify_signatures
        if learn and self.shapes:
            recognised = self.shapes.recognise(environ, body)
            if recognised is not None:
                learn = False  # known: a refusal or an error persona goes the long way
                response = self.shapes.answer(environ, *recognised)
                if response is not None:
                    return _reply(start_response, "200 OK", "text/xml; charset=utf-8", response)
        parsed = read_envelope(body, _charset(environ.get("CONTENT_TYPE", "")))
        if isinstance(parsed, EnvelopeRefusal):
            return _refuse(environ, start_response, FAULT_STATUS, parsed.code, parsed.text, service)
        envelope, operation = parsed
        if self.verify_signatures and (refusal := signature_refusal(envelope, datetime.now(UTC))):
            code, text = refusal
            return _refuse(environ, start_response, FAULT_STATUS, code, text, service, NS_WSSE)
        if service is None:
            routed = self._route(operation)
            if isinstance(routed, str):
                return _refuse(environ, start_response, FAULT_STATUS, "Client", routed)
            service = routed
        elif operation.tag != service.operation_tag:  # spyne: "Requested resource ... not found"
            return _refuse(
                environ,
                start_response,
                FAULT_STATUS,
                "Client",
                f"Dit adres is {service.naam} {service.versie}: verwacht {service.operation_tag}"
                f" in de Body, niet {operation.tag[:300]}",
                service,
            )
        if self.runtime.faults.active:
            fault = self._apply_faults(environ, service, operation)
            if fault is not None:
                return self._http_fault(environ, start_response, fault)
        if self.direct:
            return self._direct(environ, start_response, service, body, operation, learn)
        return self._via_spyne(environ, start_response, service, body)

    def _via_spyne(
        self, environ: dict, start_response: StartResponse, service: Dienst, body: bytes
    ):
        # spyne decodes the body with the Content-Type's charset and lets a failure escape.
        charset = _charset(environ.get("CONTENT_TYPE", ""))
        if charset:
            try:
                body.decode(charset)
            except (LookupError, UnicodeDecodeError) as error:
                return _refuse(
                    environ,
                    start_response,
                    "400 Bad Request",
                    "Client",
                    f"Het verzoek is niet te lezen als {charset}: {error}",
                    service,
                )
        # spyne refuses a POST without a Content-Type (405, "properly set"); it takes any other,
        # as the direct path does, so this one too: the body decides
        environ.setdefault("CONTENT_TYPE", "")
        # The body again, from memory; in this environ, where spyne's service notes the call
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        try:
            return list(self._spyne_app(service)(environ, start_response))
        except Exception:  # a last guard: whatever spyne lets escape is not a crash
            log.exception("spyne let an error through answering %s", service.naam)
            return _fault_reply(
                start_response,
                "500 Internal Server Error",
                "Server",
                f"Interne fout in de emulator bij {service.naam}",
                sys.exc_info(),
            )

    def _spyne_app(self, service: Dienst) -> Callable:
        """spyne's WSGI application for ``service``, imported and built on first use: the
        direct path answers every request (a ``direct=False`` emulator, the reference,
        alone needs spyne), and its import was a sixth of every start (measured: 92 of 550
        CPU-ms a ``serve``)."""
        app = self._spyne_apps.get(service)
        if app is None:
            with self._spyne_lock:  # --admin's threads: one build per service
                app = self._spyne_apps.get(service)
                if app is None:
                    from magda_kbi.adapters.soap import soap_application

                    app = soap_application(service, self.max_bytes)
                    self._spyne_apps[service] = app
        return app

    def _direct(
        self,
        environ: dict,
        start_response: StartResponse,
        service: Dienst,
        body: bytes,
        operation: etree._Element,  # the Body's one element, this service's (read_envelope)
        learn: bool = False,  # keep the request's shape (wire/shape.py) if it has one
    ):
        """The hot path: the request answered on lxml directly, in the envelope spyne writes.

        spyne costs more than the rest of a request together (measured: 0.25 of 0.33 ms).
        """
        if environ.get(FAULT_KEY) is None:
            try:
                parsed = service.read_valid(operation)
                templated = parsed and service.from_template(
                    parsed, parsed.afzender_referte, parsed.vraag_referte
                )
            except Exception:  # never a crash: the full path below answers or reports it
                log.exception("unexpected error in the reply template of %s", service.naam)
                templated = None
            if templated is not None:
                response, environ[CALL_KEY] = templated
                if learn:
                    self.shapes.learn(environ, service, body, parsed)
                return _reply(start_response, "200 OK", "text/xml; charset=utf-8", response)
        status, response, environ[CALL_KEY] = service.respond(operation, environ.get(FAULT_KEY))
        return _reply(start_response, status, "text/xml; charset=utf-8", response)

    def _apply_faults(
        self, environ: dict, service: Dienst, operation: etree._Element
    ) -> FaultKind | None:
        """Applies the injected faults for this call: waits, and returns an HTTP-level fault
        to produce here; a MAGDA Uitzondering (99996, 99995, 99994) or a SOAP Fault goes to
        the service through the environ."""
        verzoek = operation.find("Verzoek")
        insz = text_at(verzoek, service.contract.insz_path)
        delay, fault = self.runtime.faults.pick(service.naam, insz)
        if delay:
            environ[INJECTED_LATENCY_KEY] = round(delay * 1000, 3)
            time.sleep(delay)
        if fault in PLATFORM_UITZONDERINGEN or fault is FaultKind.SOAP_FAULT:
            environ[FAULT_KEY] = fault  # the service answers it, and notes the call
            return None
        if fault is not None:  # answered here, before any service: noted here
            afzender = read_context(verzoek).afzender
            environ[CALL_KEY] = Call(
                service.naam,
                afzender.identificatie,
                afzender.hoedanigheid,
                insz,
                afzender.referte,
                f"FAULT {fault.value}",
                # no status reached the client: say so, not 200
                {"connection": "dropped"} if fault is FaultKind.DROP else NOTHING,
                0 if fault is FaultKind.DROP else None,
            )
        return fault

    def _http_fault(self, environ: dict, start_response: StartResponse, fault: FaultKind):
        if fault is FaultKind.DROP:
            connection = environ.get("gunicorn.socket") or environ.get(SOCKET_KEY)
            if connection is not None:
                start_response("500 Internal Server Error", [("Content-Length", "0")])
                return CutConnection(connection)
            # No socket in the environ (granian): announce a body and break off, so the
            # server aborts the connection; it logs the exception as an error.
            start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", "1024")])
            return BrokenOffReply()
        if fault is FaultKind.HTTP_503:
            return _reply(
                start_response,
                "503 Service Unavailable",
                "text/plain",
                b"Service Unavailable (injected fault)",
                [("Retry-After", "1")],
            )
        return _reply(
            start_response,
            "500 Internal Server Error",
            "text/plain",
            b"Internal Server Error (injected fault)",
        )

    def _read_body(self, environ: dict) -> bytes | tuple[str, str]:
        too_large = (
            "413 Request Entity Too Large",
            f"Het verzoek is groter dan {self.max_bytes} bytes",
        )
        announced = environ.get("CONTENT_LENGTH") or ""
        # isdigit alone takes other digits, which int() refuses: a header's byte 0xB2 ('²')
        # was a ValueError out of the application under werkzeug's server (granian's refuses it)
        number = announced.isascii() and announced.isdigit()
        if announced and (not number or int(announced) > self.max_bytes):
            if number:
                _discard(environ["wsgi.input"], int(announced))
            return too_large if number else ("400 Bad Request", "Ongeldige Content-Length")
        length = int(announced) if announced else self.max_bytes + 1  # chunked: read up to the cap
        if announced and environ.get("wsgi.input_terminated"):
            # The server ends the stream after the Content-Length (checked above) bytes: read
            # all of it at once (granian: 9 us a request less than read(n), on a bare app).
            # Without that flag (werkzeug's server) read() would wait for the connection to end.
            body = environ["wsgi.input"].read()
        else:
            body = environ["wsgi.input"].read(length)
        if len(body) > self.max_bytes:
            return too_large
        if announced and len(body) < length:  # the client stopped before its Content-Length:
            # granian then hands none of it, which was refused as an empty request
            return (
                "400 Bad Request",
                f"Het verzoek eindigde voor de {length} bytes die de Content-Length aankondigt",
            )
        if not body or body.isspace():  # strip() would copy every body to find out
            return ("400 Bad Request", "Het verzoek is leeg: verwacht een SOAP 1.1 Envelope")
        return body

    def _route(self, operation: etree._Element) -> Dienst | str:
        """The service named by the request's Context, or why there is none."""
        context = read_context(operation.find("Verzoek"))
        service = self.hub.service_for(context.naam, context.versie, operation.tag)
        variants = self.hub.variants(context.naam, context.versie)
        if service is None and variants:  # 02.00's element with Versie 01.00: spyne's English
            # "Requested resource ... not found", as the service's own address says it
            expected = " of ".join(v.operation_tag for v in variants)
            return (
                f"Context/Naam {context.naam!r} Versie {context.versie!r} is"
                f" {variants[0].naam} {variants[0].versie}: verwacht {expected} in de Body,"
                f" niet {operation.tag[:300]}"
            )
        if service is None:
            known = ", ".join(f"{n} {v}" for n, v in self.hub.diensten)
            missing = [
                field for field, w in (("Naam", context.naam), ("Versie", context.versie)) if not w
            ]
            if missing:  # it said "Context/Naam None Versie None"
                verb = "ontbreken" if len(missing) == 2 else "ontbreekt"
                return (
                    f"Verzoek/Context/{' en '.join(missing)} {verb}: dit adres kiest de dienst"
                    f" op Context/Naam en Versie; aangeboden: {known}"
                )
            return (
                f"Geen dienst voor Context/Naam {context.naam!r} Versie {context.versie!r}; "
                f"aangeboden: {known}"
            )
        return service


def make_emulator(settings: Settings | None = None, *, imported: str | None = None) -> Emulator:
    """Loads the personas (built-in plus extra folders) and builds the WSGI application.

    ``imported``: the files' fingerprint ``serve`` took before it brought the catalogue in
    line with them and checked them, just before it started this worker (at start-up and
    at each SIGHUP). The catalogue is read as it is: a file changed since waits for the next
    SIGHUP (or, with ``--watch``, the watcher's first look) instead of stopping a worker
    that replaces a good one."""
    stores: dict[str, Store] = {}  # one Store per URL: state and catalogue may share one
    try:
        return _built(settings or Settings(), imported, stores)
    except BaseException:  # refused (a bad file, a store): what it opened is closed
        for store in stores.values():
            store.close()
        raise


def _built(settings: Settings, imported: str | None, stores: dict[str, Store]) -> Emulator:
    folders = [builtin_folder(), *settings.extra_fixtures]

    def store_at(url: str, catalogue_only: bool = False) -> Store:
        if url not in stores:
            stores[url] = open_store(url, catalogue_only=catalogue_only)
        return stores[url]

    load: Callable[[], tuple[Mapping[str, Persona], bool]]  # and: changed by this process
    if settings.catalogue:
        # serve's own catalogue file (the cache folder's, or the run's) holds no journal
        catalogue = Catalogue(store_at(settings.catalogue, settings.catalogue != settings.store))

        def load() -> tuple[Mapping[str, Persona], bool]:
            # files whose exact content passed the XSD check before are not checked again;
            # unchanged files are not even read (serve imported them before its workers)
            with CheckedFiles() as checked:
                changed, _ = import_files(catalogue.store, folders, checked=checked)
            catalogue.forget()
            return catalogue, changed > 0
    else:

        def load() -> tuple[Mapping[str, Persona], bool]:
            with CheckedFiles() as checked:
                return load_personas(folders, checked=checked), True

    personas = catalogue if imported and settings.catalogue else load()[0]
    consumers = Afnemers(
        [*DEMO, *(load_consumers(settings.consumers) if settings.consumers else [])]
    )
    if settings.store:
        from magda_kbi.runtime.store import SharedRuntime

        runtime: Runtime = SharedRuntime(
            personas,
            store_at(settings.store),
            today=settings.today,
            journal_size=settings.journal_size,
            audit=settings.audit_log,
            terms=settings.terms,
            rule_set=settings.rule_set,
            afnemers=consumers,
            protocols=settings.protocols,
        )
    else:
        runtime = Runtime(
            personas,
            Clock(settings.today),
            settings.terms,
            settings.rule_set,
            journal=Journal(settings.journal_size, settings.audit_log),
            afnemers=consumers,
            protocols=settings.protocols,
        )
    watcher = None
    if settings.watch:
        say = (lambda what: first_to_say(catalogue.store, what)) if settings.catalogue else None
        errors = store_errors(catalogue.store) if settings.catalogue else ()
        watcher = FixtureWatcher(
            runtime, folders, load, seen=imported, first_to_say=say, store_errors=errors
        ).start()
    return Emulator(
        runtime,
        settings.max_bytes,
        admin=settings.admin,
        direct=settings.direct,
        watcher=watcher,
        guard=AdminGuard(settings.admin_token, frozenset(settings.public_hosts)),
        proxy_headers=settings.proxy_headers,
        verify_signatures=settings.verify_signatures,
        stores=stores.values(),
        cors_origins=settings.cors_origins,
    )


READ_METHODS = ("GET", "HEAD")  # a HEAD is answered as the GET, without the body (RFC 9110, 9.3.2)


def path_as_sent(path: str) -> str:
    """A PATH_INFO as the client wrote it: WSGI gives a path's bytes as latin-1 (PEP 3333),
    so one in UTF-8 (/api/v1/dossi%C3%ABrs) showed as dossiÃ«rs in the journal."""
    if path.isascii():
        return path
    try:
        return path.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:  # not WSGI's latin-1 (a test client's own): as it is
        return path


def _body_for(method: str, response: list[bytes]) -> list[bytes]:
    return [] if method == "HEAD" else response


def _reply(
    start_response: StartResponse, status: str, kind: str, body: bytes, extra: list = ()
) -> list[bytes]:
    start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body))), *extra])
    return [body]


class Streamed:
    """A streamed response body that runs ``on_done`` once the server has sent (or dropped)
    it, at its close; with ``before_last``, before its last chunk goes out (or at close when
    the server drops it): the journal's entry, which a client reading the journal as soon as
    it had the list found missing now and then when it was written at close."""

    def __init__(
        self, body: Iterable[bytes], on_done: Callable[[], None], *, before_last: bool = False
    ) -> None:
        self.body, self._on_done, self.before_last = body, on_done, before_last
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        if not self.before_last:
            return iter(self.body)
        return self._held_back()

    def _held_back(self) -> Iterator[bytes]:
        chunks = iter(self.body)
        held = next(chunks, None)  # one chunk held back: which one is the last?
        for chunk in chunks:
            yield held
            held = chunk
        self.finish()
        if held is not None:
            yield held

    def finish(self) -> None:
        if not self._done:
            self._done = True
            self._on_done()

    def close(self) -> None:
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.finish()


class BrokenOffReply:
    """A response body that breaks off: the headers and one byte go out, then the server
    gets an exception and aborts the connection (``serve`` says so in one warning line)."""

    def __iter__(self) -> Iterator[bytes]:
        yield b"<"
        # granian writes the chunk from its own threads: raised at once, the abort came
        # before the headers in about one call in six (the client saw no response at all)
        time.sleep(DROP_AFTER_SECONDS)
        raise ConnectionDropped(ConnectionDropped.SAID)


DROP_AFTER_SECONDS = 0.05


class CutConnection:
    """A response body that shuts the connection down when the server reads it: after the
    journal entry is written. Cut before it, a client that read the journal as soon as it
    saw the cut now and then found the call missing."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection

    def __iter__(self) -> Iterator[bytes]:
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
        return iter(())


FAULT_STATUS = "500 Internal Server Error"  # every SOAP 1.1 Fault's, the client's own too


def _refuse(
    environ: dict,
    start_response: StartResponse,
    status: str,
    code: str,
    text: str,
    service: Dienst | None = None,
    code_namespace: str | None = None,
) -> list[bytes]:
    """A Fault for a request no service reads, noted as such: the journal said nothing of
    it (``result`` null)."""
    operation = service.naam if service is not None else None
    environ[CALL_KEY] = Call(operation, result=f"SOAP_FAULT {code}", extra={"reason": text})
    return _fault_reply(start_response, status, code, text, code_namespace=code_namespace)


def _fault_reply(
    start_response: StartResponse,
    status: str,
    code: str,
    text: str,
    exc_info=None,
    headers: Sequence[tuple[str, str]] = (),
    code_namespace: str | None = None,
) -> list[bytes]:
    body = soap_fault(code, text, code_namespace)
    start_response(
        status,
        [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body))), *headers],
        exc_info,
    )
    return [body]


DISCARD_MAX_BYTES = 16 * 1024 * 1024
DISCARD_SECONDS = 2.0


def _discard(given_input, announced: int) -> None:
    """Reads and drops what a too large body sent, up to 16 MiB and about two seconds, so that
    a client that writes its whole body before it reads (Python's urllib) gets the 413
    instead of a broken pipe."""
    over, end = min(announced, DISCARD_MAX_BYTES), time.monotonic() + DISCARD_SECONDS
    with contextlib.suppress(Exception):  # a dropped client is no error of ours
        while over > 0 and time.monotonic() < end:
            piece = given_input.read(min(over, 64 * 1024))
            if not piece:
                return
            over -= len(piece)


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None
