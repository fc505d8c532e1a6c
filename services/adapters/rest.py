"""Flask adapter: the HTTP routes that are not SOAP: /health, the read API, the admin API."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from flask import Flask, Response, jsonify, make_response, redirect, request
from jinja2 import StrictUndefined
from werkzeug.exceptions import HTTPException, MethodNotAllowed, ServiceUnavailable

from magda_kbi import __version__
from magda_kbi.adapters.console import console, error_page
from magda_kbi.adapters.forwarded import mounted_at_forwarded_prefix
from magda_kbi.adapters.openapi import PATHS_AND_INFO
from magda_kbi.adapters.rest_admin import MAX_BODY, admin
from magda_kbi.adapters.rest_api import RUNTIME_KEY, ApiError, api, api_error, best_type
from magda_kbi.io.schemas import nearest
from magda_kbi.runtime.catalogue import StoreUnavailable
from magda_kbi.runtime.diensten import Dienst, Runtime
from magda_kbi.runtime.reply_templates import PersonaCache
from magda_kbi.runtime.store import StoreClosed

ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# The process /health names: serve's when a worker answers (set by adapters/server.py).
PROCESS_KEY = "MAGDA_KBI_PROCESS"


def _kinds(errors) -> tuple[type[Exception], ...]:
    """A store's ``Error``: one exception class or a tuple of them."""
    return tuple(errors) if isinstance(errors, tuple) else (errors,)


def routes_under(prefix: str, root: str = "") -> list[dict]:
    """The routes the OpenAPI document describes below ``prefix``: path (below ``root``, a
    proxy's path), methods, summary."""
    out = []
    for path, operations in PATHS_AND_INFO["paths"].items():
        if path.startswith(prefix) and path != prefix:
            for method, operation in operations.items():
                if method != "parameters":
                    out.append(
                        {
                            "path": root + path,
                            "method": method.upper(),
                            "summary": operation["summary"],
                        }
                    )
    return out


def _routes(app: Flask) -> list[str]:
    """The app's addresses, ``<insz>`` for a part that varies (not those of many parts)."""
    return [r.rule for r in app.url_map.iter_rules() if "<path:" not in r.rule]


def nearest_address(path: str, addresses: list[str]) -> str | None:
    """The address a mistyped one meant: one of ``addresses`` (``<insz>`` for a varying
    part, filled with the path's own value) that differs from it in one part, a near one
    ('/api/v1/dossier/X' -> '/api/v1/dossiers/X', '.../soap/Webservice' -> '.../WebService').
    Nothing for a path near none ('/console/nothing' is no typo of '/console/')."""
    given = path.split("/")
    meant = []
    for address in addresses:
        parts = address.split("/")
        if len(parts) != len(given):
            continue
        filled = [g if p.startswith("<") and g else p for p, g in zip(parts, given, strict=True)]
        differ = [i for i, (f, g) in enumerate(zip(filled, given, strict=True)) if f != g]
        if len(differ) == 1 and nearest(given[differ[0]], [filled[differ[0]]]) is not None:
            meant.append("/".join(filled))
    return nearest(path, sorted(set(meant))) if meant else None


def missing_part(path: str, method: str, app: Flask, root: str = "") -> str | None:
    """The hint for an address that lacks only the varying last part of a route taking
    ``method``: '/api/v1/dossiers/' needs the insz (/api/v1/dossiers/{insz}). Else None.
    ``root``: the path a proxy serves the emulator under, before the address in the hint."""
    asked = path.rstrip("/") + "/"
    for rule in app.url_map.iter_rules():
        head, _, last = rule.rule.rpartition("/")
        if method in (rule.methods or ()) and last.startswith("<") and head + "/" == asked:
            name = last.strip("<>").rpartition(":")[2]
            return f"; it needs the {name}: {root}{head}/{{{name}}}"
    return None


def part_too_many(path: str, method: str, app: Flask, soap_paths=(), root: str = "") -> str | None:
    """The hint for an address that is a route with a part after it: a "/" at the end
    ('/api/v1/dossiers/X/'), or a date written as a part ('/api/v1/advies/X/2024-01-01',
    which is ?datum=). Else None: also for an address that is a route of another method
    ('/admin/faults/1' is for a DELETE, not /admin/faults with a part too many). ``root``
    as for :func:`missing_part`."""
    urls = app.url_map.bind("localhost")

    def route(address: str, method: str | None = method) -> str | None:
        """The route's endpoint, None when none is there (for ``method``; None: any)."""
        if address in soap_paths:
            return "soap"
        try:
            endpoint, _ = urls.match(address, method=method)
        except MethodNotAllowed:
            return None if method else "another method's"
        except HTTPException:
            return None
        return endpoint

    trimmed = path.rstrip("/")
    if trimmed != path and trimmed and route(trimmed):
        return f"; did you mean {root}{trimmed}? (no / at the end)"
    head, _, last = trimmed.rpartition("/")
    if not (head and last) or route(trimmed, None) or (endpoint := route(head)) is None:
        return None
    if endpoint.endswith(".advies") and ISO_DAY.fullmatch(last):
        return f"; the date is a parameter: {root}{head}?datum={last}"
    return f"; did you mean {root}{head}? ('{last}' is a part too many)"


# What a page on another origin may send the REST API: its GETs, with the identity headers
# the protocols read (a header outside CORS's safelisted ones makes the browser ask first)
CORS_METHODS = "GET, HEAD"
CORS_HEADERS = "X-Magda-Afzender, X-Magda-Hoedanigheid"


def _readable_from(origins: frozenset[str]) -> Callable[[Response], Response]:
    """Cross-origin reading of the REST API (CORS) for ``origins``: every answer under
    /api/v1/ (its errors too, whose Diagnose the page should show) says whether the
    request's Origin may read it, and the browser's preflight gets the methods and headers.
    The admin API and the console never: the admin guard refuses a foreign Origin."""

    def add_headers(response: Response) -> Response:
        if not request.path.startswith("/api/v1/"):
            return response
        response.vary.add("Origin")  # the answer differs by Origin: no cache may mix them
        origin = request.headers.get("Origin")
        if origin is None or ("*" not in origins and origin not in origins):
            return response
        response.headers["Access-Control-Allow-Origin"] = "*" if "*" in origins else origin
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
            response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
        return response

    return add_headers


def rest_application(
    runtime: Runtime,
    *,
    admin_on: bool = False,
    checked: dict | None = None,
    watcher=None,
    soap_paths: tuple[str, ...] = (),
    diensten: list[Dienst] | None = None,
    verify_signatures: bool = False,
    proxy_headers: bool = False,
    cors_origins: frozenset[str] = frozenset(),
) -> Flask:
    """``checked``: what start-up loaded and checked, reported by /health;
    ``diensten``: the SOAP services, which the console asks for a consumer's view;
    ``verify_signatures``: whether SOAP requests must be signed (/health says so);
    ``proxy_headers``: behind a proxy that says where it serves the emulator, its links and
    redirects follow (forwarded.py); ``cors_origins``: the origins whose pages may read
    the REST API ("*": any)."""
    app = Flask("magda_kbi")
    if proxy_headers:
        app.wsgi_app = mounted_at_forwarded_prefix(app.wsgi_app)  # type: ignore[method-assign]
    # A console page that names a field its data lacks fails (and its test with it), not
    # renders it empty: the journal entry page said "Call " after a field was renamed.
    app.jinja_env.undefined = StrictUndefined
    app.config[RUNTIME_KEY] = runtime
    app.config["MAGDA_DIENSTEN"] = diensten or []
    app.config["MAGDA_ADMIN"] = admin_on
    app.config["MAGDA_VERIFY_SIGNATURES"] = verify_signatures
    app.config["MAGDA_PROXY_HEADERS"] = proxy_headers
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.extensions["magda_kbi.dossier_json"] = PersonaCache()  # rest_api.dossier
    app.json.sort_keys = False
    app.register_blueprint(api)
    app.register_error_handler(ApiError, api_error)
    if cors_origins:
        app.after_request(_readable_from(cors_origins))
    store = getattr(runtime, "store", None)

    def unreachable(cause: Exception):
        """The store is lost (PostgreSQL): changes and what needs it wait; say so."""
        # the store's own word says what cannot be reached ("PostgreSQL cannot be reached:
        # ..."); said again after "the store cannot be reached:" it read twice
        problem = store.problem() if store is not None else None
        diagnose = problem or f"the store cannot be reached: {str(cause).strip()}"
        if isinstance(cause, StoreClosed):
            diagnose = f"the emulator is stopping: {cause}"
        browser = best_type(["application/json", "text/html"]) == "text/html"
        if request.blueprint == console.name and browser:  # the console's page, not JSON
            response = make_response(error_page(ServiceUnavailable(diagnose)))
            response.headers["Retry-After"] = "1"  # as every 503 of the APIs
            return response
        return api_error(ApiError(503, "STORE_UNAVAILABLE", diagnose))

    for error in (StoreUnavailable, *_kinds(store.Error if store is not None else ())):
        app.register_error_handler(error, unreachable)
    if admin_on:
        app.register_blueprint(admin)
    app.register_blueprint(console)

    @app.get("/")
    def index():
        """A browser goes to the console; a program gets where everything is: one that
        asks for JSON, and one that names no type (curl, requests, a generated client:
        '*/*' or no Accept). Only an Accept that prefers HTML is a browser's."""
        root = request.script_root  # behind a proxy under a path: that path (forwarded.py)
        if best_type(["application/json", "text/html"], "application/json") == "text/html":
            return redirect(f"{root}/console/", 302)
        return jsonify(
            name="MAGDA KBI emulator",
            version=__version__,
            soap=[root + path for path in soap_paths],
            wsdl=[f"{root}{path}?wsdl" for path in soap_paths],
            generic=f"{root}/api/Magda-02.00/soap/WebService",
            rest=f"{root}/api/v1/",
            openapi=f"{root}/api/v1/openapi.json",
            admin=f"{root}/admin/" if admin_on else None,
            console=f"{root}/console/",
            health=f"{root}/health",
        )

    @app.get("/api/v1/")
    def api_index():
        return jsonify(routes=routes_under("/api/v1/", request.script_root))

    if admin_on:

        @app.get("/admin/")
        def admin_index():
            return jsonify(routes=routes_under("/admin/", request.script_root))

    @app.get("/health")
    def health():
        # Only what was checked: the process answers, and what start-up loaded and checked.
        extra = {"watch": watcher.as_json()} if watcher is not None else {}
        audit = runtime.journal.audit_log
        problem = (store.problem() if store is not None else None) or (
            audit.problem if audit is not None else None
        )
        if problem:  # answering from what the workers have; changes (or audit lines) wait
            extra["reason"] = problem
        try:
            count: int | None = len(runtime.personas)
        except StoreUnavailable:
            count = None
        return jsonify(
            **extra,
            status="degraded" if problem else "ok",
            version=__version__,
            pid=app.config.get(PROCESS_KEY) or os.getpid(),
            personas=count,
            today=runtime.clock.today().isoformat(),
            admin=admin_on,
            protocols=runtime.protocols,
            verify_signatures=verify_signatures,
            rules=runtime.rule_set.value,
            checked_at_start=checked or {},
        )

    @app.errorhandler(404)
    def not_found(error):
        if request.path.startswith("/admin/") and not admin_on:
            return jsonify(
                code="ADMIN_OFF",
                diagnose="the admin API is off: start the emulator with 'magda-kbi serve --admin'",
            ), 404
        # behind a proxy under a path, the addresses a client can use carry it
        root = request.script_root
        if request.path.startswith("/console/"):  # a browser's address: a page, not JSON
            meant = nearest_address(request.path, _routes(app))
            hint = f"; did you mean {root}{meant}?" if meant else "."
            error.description = f"There is no page {root}{request.path} in the console{hint}"
            return error_page(error)
        meant = nearest_address(request.path, [*_routes(app), *soap_paths])
        hint = f"; did you mean {root}{meant}?" if meant else ""
        hint = (
            hint
            or missing_part(request.path, request.method, app, root)
            or part_too_many(request.path, request.method, app, soap_paths, root)
            or ""
        )
        diagnose = f"unknown address {root}{request.path}{hint}"
        return jsonify(code="NOT_FOUND", diagnose=diagnose), 404

    @app.errorhandler(405)
    def method_not_allowed(error):
        # HTTP asks a 405 to say what is allowed (Allow); the diagnose says it too
        allowed = ", ".join(sorted(getattr(error, "valid_methods", None) or ()))
        response = jsonify(
            code="METHOD_NOT_ALLOWED",
            diagnose=f"{request.method} is not allowed on {request.script_root}{request.path}"
            + (f" (allowed: {allowed})" if allowed else ""),
        )
        if allowed:
            response.headers["Allow"] = allowed
        return response, 405

    @app.errorhandler(413)
    def too_large(_error):
        return jsonify(code="TOO_LARGE", diagnose=f"body larger than {MAX_BODY} bytes"), 413

    @app.errorhandler(500)
    def internal_error(_error):  # never a traceback on the wire
        return jsonify(code="INTERNAL_ERROR", diagnose="internal error in the emulator"), 500

    return app
