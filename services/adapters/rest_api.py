"""The read API (JSON): the same data and the same rules as SOAP, for quick use.

Errors are JSON ``{"code", "diagnose", "field"}`` with the MAGDA codes where MAGDA has one;
bad input is a 400, an unknown dossier a 404, never a 500.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from datetime import date

from flask import Blueprint, Response, current_app, jsonify, request, stream_with_context
from werkzeug.datastructures import MIMEAccept

from magda_kbi.adapters import openapi as openapi_document
from magda_kbi.domain import lists
from magda_kbi.domain.advies import TOEPASSINGEN, Toepassing
from magda_kbi.domain.clock import iso_date
from magda_kbi.domain.consumers import Operation
from magda_kbi.domain.dossier import Persona
from magda_kbi.domain.insz import (
    check_digits_reason,
    first_zero_hint,
    is_eleven_digits,
    modulo97_valid,
    shown,
    unformatted,
)
from magda_kbi.domain.municipalities import GEMEENTEN, nis_hint
from magda_kbi.domain.protocols import ProtocolDecision, beslis, gemeente_zicht
from magda_kbi.io import formats
from magda_kbi.io.json_output import advies_json, dossier_json
from magda_kbi.io.schemas import did_you_mean, text_xml_cannot_hold
from magda_kbi.runtime.catalogue import (
    naming,
    naming_a_municipality_outside,
    naming_a_zorgkas_outside,
    naming_zorgkas,
    version,
    where_data,
)
from magda_kbi.runtime.decision import Kind, Outcome, Question, decide
from magda_kbi.runtime.diensten import (
    GEEN_GEGEVENS,
    ONGELDIG_INSZ,
    ONGELDIG_VERZOEK,
    ONGELDIGE_DATUM,
    PLATFORM_UITZONDERINGEN,
    Runtime,
)
from magda_kbi.runtime.journal import Call
from magda_kbi.runtime.reply_templates import PersonaCache
from magda_kbi.runtime.wsgi_keys import CALL_KEY

api = Blueprint("api_v1", __name__, url_prefix="/api/v1")
AFZENDER_HEADER = "X-Magda-Afzender"
HOEDANIGHEID_HEADER = "X-Magda-Hoedanigheid"


class ApiError(Exception):
    """A refusal or bad input on the REST or admin API: ``{"code", "diagnose", "field"}``."""

    def __init__(
        self,
        status: int,
        code: str,
        diagnose: str,
        field: str | None = None,
        call: Call | None = None,  # the call as the view knew it; its result, if decided
    ) -> None:
        super().__init__(diagnose)
        self.status, self.code, self.diagnose, self.field = status, code, diagnose, field
        self.call = call


def api_error(error: ApiError):
    """The JSON error body of the REST and admin APIs (registered on the app in rest.py);
    a refusal of the read API notes its call for the journal (the admin's own is noted by
    the admin guard's layer)."""
    if request.blueprint == api.name:
        call = error.call or Call()
        request.environ[CALL_KEY] = call if call.result else call.answered(f"ERROR {error.code}")
    body = {"code": error.code, "diagnose": error.diagnose}
    if error.field and error.field != "-":  # "-": the input as a whole, no one field
        body["field"] = error.field
    response = jsonify(body)
    if error.status == 503:  # busy, or the store lost: a client that honours it (urllib3's
        response.headers["Retry-After"] = "1"  # Retry) tries again in a second
    return response, error.status


@api.before_request
def _one_identity():
    """Who asks must be said once: a second X-Magda-Afzender (or -Hoedanigheid) could
    override what a proxy in front set. The server joins repeated headers with a comma,
    which no Afzender or Hoedanigheid contains, so a comma means "given more than once".
    (A spelling with underscores, X_Magda_Afzender, the server does not tell apart: put a
    proxy in front that drops such headers, as nginx does by default.)"""
    for name in (AFZENDER_HEADER, HOEDANIGHEID_HEADER):
        if "," in request.headers.get(name, ""):
            raise ApiError(400, ONGELDIG_VERZOEK, f"header {name} is given more than once", name)
    # as SOAP's XSD refuses an empty Identificatie; granian gives a non-ASCII value as empty
    if request.headers.get(AFZENDER_HEADER, "x").strip() == "":
        raise ApiError(
            400,
            ONGELDIG_VERZOEK,
            f"header {AFZENDER_HEADER} is empty: give the caller's Identificatie (in ASCII)",
            AFZENDER_HEADER,
        )


@api.get("/openapi.json")
def openapi():
    document = openapi_document.document()
    if request.script_root:  # behind a proxy under a path: the paths are below it
        document = {**document, "servers": [{"url": request.script_root}]}
    return jsonify(document)


def _call_noted(operation: str) -> Callable:
    """A view whose call the journal keeps, noted once: who asks (the headers) about whom
    (the path's INSZ), with what came of it: the view returns its answer and the call with
    its result; a refusal (ApiError) carries the call as far as the view knew it."""

    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def run(**args):
            call = Call(operation, *_afzender_headers(), args.get("insz"))
            try:
                response, request.environ[CALL_KEY] = view(call, **args)
            except ApiError as error:
                error.call = error.call or call  # noted by api_error
                raise
            return response

        return run

    return wrap


@api.get("/dossiers/<insz>")
@_call_noted("GeefDossierKBI")
def dossier(call: Call, insz: str):
    _valid_insz(insz)
    parameters()
    outcome, call = _decide_question(
        Question(Operation.DOSSIER, insz, call.afzender, call.hoedanigheid), call
    )
    persona, today = outcome.persona, outcome.vandaag
    if outcome.beperkt:
        return jsonify(asdict(gemeente_zicht(persona.dossier.as_of(today)))), call
    # The same persona on the same day gives the same bytes: built once (the generic
    # dataclass walk was half of this route's time, measured), then served from the cache.
    cache: PersonaCache = current_app.extensions["magda_kbi.dossier_json"]
    body = cache.find((insz, today), persona)
    if body is None:
        known = persona.dossier.as_of(today)  # as the KBI knows it today
        body = current_app.json.response(dossier_json(known)).get_data()
        cache.keep((insz, today), persona, body)
    return current_app.response_class(body, mimetype=current_app.json.mimetype), call


@api.get("/advies/<insz>")
@_call_noted("GeefAutomatischAdvies")
def advies(call: Call, insz: str):
    _valid_insz(insz)
    parameters("datum", "toepassing")
    runtime = current_runtime()
    text = request.args.get("datum")
    try:
        datum = iso_date(text) if text is not None else runtime.clock.today()
    except ValueError as error:  # iso_date's words: also which number of 2024-02-30 is wrong
        raise ApiError(400, ONGELDIGE_DATUM, str(error), "datum") from None
    given = request.args.get("toepassing", Toepassing.ZORGBUDGET)
    try:
        toepassing = Toepassing(given)
    except ValueError:
        raise ApiError(
            400,
            ONGELDIG_VERZOEK,
            f"toepassing must be one of {', '.join(TOEPASSINGEN)}"
            + did_you_mean(given, TOEPASSINGEN),
            "toepassing",
        ) from None
    vraag = Question(Operation.ADVIES, insz, call.afzender, call.hoedanigheid, datum, toepassing)
    decided, call = _decide_question(vraag, call)
    return jsonify(advies_json(insz, decided.advies, rule=not runtime.protocols)), call


def parameters(
    *known: str,
    code: str = ONGELDIG_VERZOEK,
    what: str = "parameter",
    args=None,
    a_list: bool = False,
) -> None:
    """Refuses a query parameter the route does not take, or one given twice (400 ``code``;
    ``what`` is what the route calls them; ``args`` the request's by default; ``a_list``:
    the route answers in the format Accept asks for)."""
    args = request.args if args is None else args
    unknown = sorted(set(args) - set(known))
    if unknown:
        # the ones taken, as an unknown field is told: ?jaar= is near no 'year'
        taken = f"allowed: {', '.join(sorted(known))}" if known else f"this call takes no {what}"
        hint = did_you_mean(unknown[0], known)  # ?date= for ?datum=
        if a_list:
            hint += _format_hint(unknown[0])
        raise ApiError(400, code, f"unknown {what} {unknown[0]!r} ({taken}){hint}", unknown[0])
    for name in args:
        if len(args.getlist(name)) > 1:
            raise ApiError(400, code, f"{what} {name!r} is given more than once", name)


def _valid_insz(insz: str) -> None:
    """Refuses an INSZ that is not one (every route's check); one written as printed
    (98.63.04-997.24, as copied from a card or the console) is told its eleven digits."""
    if not modulo97_valid(insz):
        digits = unformatted(insz)
        if digits != insz and modulo97_valid(digits):
            hint = f": the path takes its 11 digits, {digits}"
        elif is_eleven_digits(insz):  # a digit mistyped: which check digits it would need
            hint = f": {check_digits_reason(insz)}"
        else:
            hint = first_zero_hint(insz)
        raise ApiError(
            400,
            ONGELDIG_INSZ,
            f"{shown(insz)} is not a valid INSZ (11 digits, modulo 97){hint}",
            "insz",
        )


def _afzender_headers() -> tuple[str | None, str | None]:
    return request.headers.get(AFZENDER_HEADER), request.headers.get(HOEDANIGHEID_HEADER)


# How REST says what SOAP says with an Uitzondering or a SOAP Fault.
_HTTP_STATUS = {Kind.NOT_FOUND: 404, Kind.REFUSED: 403, Kind.PLATFORM: 503}


def _decide_question(vraag: Question, call: Call) -> tuple[Outcome, Call]:
    """The decision SOAP takes too (:func:`decide`) and the call with its result, in the
    same words as on SOAP; anything but an answer becomes the JSON error with the same code
    and reason as on SOAP."""
    outcome = decide(current_runtime(), vraag)
    call = call.answered(outcome.result, outcome.extra)
    if outcome.kind is Kind.ANSWER:
        return outcome, call
    if outcome.kind is Kind.SOAP_FAULT:
        raise ApiError(
            502,
            "PLATFORM_ERROR",
            f"the MAGDA platform failed (test persona {vraag.insz} always fails)",
            call=call,
        )
    if outcome.kind is Kind.REFUSED:
        diagnose = outcome.beslissing.reden
    elif outcome.kind is Kind.PLATFORM:
        diagnose = PLATFORM_UITZONDERINGEN[outcome.platform].diagnose
    else:
        diagnose = GEEN_GEGEVENS.diagnose
    raise ApiError(_HTTP_STATUS[outcome.kind], outcome.code, diagnose, call=call)


def _decide(operation: Operation, call: Call, **context) -> tuple[ProtocolDecision | None, Call]:
    """The lists' protocol decision (enforcement mode) for the caller named by the headers,
    and the call with it; a refusal is a 403 with the same code and reason as on SOAP."""
    runtime = current_runtime()
    if not runtime.protocols:
        return None, call
    decision = beslis(runtime.afnemers, call.afzender, call.hoedanigheid, operation, **context)
    call = call._replace(extra={**call.extra, **decision.as_json()})
    if not decision.toegelaten:  # journaled as SOAP's refusals are (it said ERROR 40103)
        call = call.answered(f"REFUSED {decision.code}")
        raise ApiError(403, decision.code, decision.reden, call=call)
    return decision, call


RUNTIME_KEY = "MAGDA_RUNTIME"  # where the Flask app keeps the runtime (rest.py puts it)


def current_runtime() -> Runtime:
    """The runtime of the Flask app serving this request (the API, admin and console)."""
    return current_app.config[RUNTIME_KEY]


# -- lists (JSON, CSV or XML by Accept; streamed) ---------------------------------------


@api.get("/lijsten/verlaagde-premie/<jaar>")
@_call_noted(Operation.LIJST_VERLAAGDE_PREMIE.value)
def lijst_verlaagde_premie(call: Call, jaar: str):
    if not (jaar.isascii() and jaar.isdigit() and 2000 <= int(jaar) <= 2100):
        reason = f"{jaar!r} is not a premium year (2000-2100){_format_hint(jaar)}"
        raise ApiError(400, ONGELDIG_VERZOEK, reason, "jaar")
    premiejaar = int(jaar)
    parameters("zorgkas", a_list=True)
    zorgkas = request.args.get("zorgkas")
    if zorgkas == "":
        raise ApiError(400, ONGELDIG_VERZOEK, "zorgkas is empty", "zorgkas")
    if zorgkas is not None and (error := text_xml_cannot_hold(zorgkas, "zorgkas")):
        # the XML list names it: lxml refused it after the 200 had gone, a cut-off reply
        raise ApiError(400, ONGELDIG_VERZOEK, f"zorgkas: {error.reason}", "zorgkas")
    decision, call = _decide(Operation.LIJST_VERLAAGDE_PREMIE, call, zorgkas=zorgkas)
    if decision is not None and decision.afnemer.zorgkas:
        zorgkas = decision.afnemer.zorgkas  # a zorgkas's own members, asked or not
    runtime = current_runtime()
    personas = runtime.personas  # this view for every pass; each streams (a catalogue)
    consumers = [a.zorgkas for a in runtime.afnemers if a.zorgkas]

    def candidates() -> Iterable[Persona]:
        """Everyone; with a zorgkas those whose data names it (its members are among them,
        and only those are built)."""
        if zorgkas is None:
            return personas.values()
        return where_data(personas, naming_zorgkas(zorgkas))

    if zorgkas is not None and not lists.zorgkas_known(zorgkas, candidates(), consumers):
        # of a catalogue only the first member of each zorgkas is built (see where_data)
        members = where_data(personas, naming_a_zorgkas_outside(consumers))
        known = lists.known_zorgkassen(members, consumers)
        raise ApiError(
            404,
            "UNKNOWN_ZORGKAS",
            f"unknown zorgkas {shown(zorgkas)}: no consumer's and nobody's membership (known: "
            f"{', '.join(known) or 'none'}){did_you_mean(zorgkas, known)}",
            "zorgkas",
            call,
        )
    insz = lists.verlaagde_premie(
        candidates(),
        premiejaar,
        runtime.clock.today(),
        zorgkas=zorgkas,
        terms=runtime.terms,
        rule_set=runtime.rule_set,
    )
    header = {"premiejaar": premiejaar, "peildatum": f"{premiejaar - 1}-01-01", "zorgkas": zorgkas}
    items = _list_response(
        ({"insz": i} for i in insz), ["insz"], header, "VerlaagdePremie", "Persoon"
    )
    return items, call.answered(f"LIST verlaagde premie {premiejaar}")


@api.get("/lijsten/gemeente/<nis>")
@_call_noted(Operation.LIJST_GEMEENTE.value)
def lijst_gemeente(call: Call, nis: str):
    return _municipality_list(
        call, nis, Operation.LIJST_GEMEENTE, lists.gemeente, lists.GEMEENTE_VELDEN, "Inburgeraars"
    )


@api.get("/lijsten/participatie/<nis>")
@_call_noted(Operation.LIJST_PARTICIPATIE.value)
def lijst_participatie(call: Call, nis: str):
    return _municipality_list(
        call,
        nis,
        Operation.LIJST_PARTICIPATIE,
        lists.participatie,
        lists.PARTICIPATIE_VELDEN,
        "Participatietraject",
    )


def _municipality_list(
    call: Call, nis: str, operation: Operation, make, fields: list[str], root: str
) -> tuple[Response, Call]:
    if not (nis.isascii() and nis.isdigit() and len(nis) == 5):
        raise ApiError(
            400,
            ONGELDIG_VERZOEK,
            f"{nis!r} is not a NIS code (5 digits){nis_hint(nis)}{_format_hint(nis)}",
            "nis",
        )
    parameters("year", a_list=True)
    runtime = current_runtime()
    peildag = runtime.clock.today()
    year = request.args.get("year")
    if year is not None:
        if not (year.isascii() and year.isdigit() and 2000 <= int(year) <= 2100):
            raise ApiError(400, ONGELDIG_VERZOEK, f"{year!r} is not a year (2000-2100)", "year")
        peildag = min(peildag, date(int(year), 1, 1))  # residents on 1 January of the year
    _beslissing, call = _decide(operation, call, nis=nis)
    personas = runtime.personas  # this view for both passes; each streams (a catalogue)
    # a municipality's residents are among those whose data names its NIS code: only those
    # are built
    if not lists.nis_known(nis, where_data(personas, naming(nis))):
        raise ApiError(
            404,
            "UNKNOWN_MUNICIPALITY",
            f"unknown NIS code {nis}: GET /api/v1/municipalities lists the known ones",
            "nis",
            call,
        )
    items = make(where_data(personas, naming(nis)), nis, peildag)
    header = {"nis": nis, "peildatum": peildag.isoformat()}
    if year is not None:
        header = {"nis": nis, "jaar": int(year), "peildatum": peildag.isoformat()}
    listed = _list_response(items, fields, header, root, "Persoon")
    return listed, call.answered(f"LIST {operation.value} {nis}")


@api.get("/consumers")
def consumers():
    """The consumers the protocols know: who may call what (see ``serve --protocols``)."""
    parameters()
    return jsonify([a.as_json() for a in current_runtime().afnemers])


@api.get("/municipalities")
def municipalities():
    """The municipalities the lists know: the register and everyone's residences. Read once
    per set of personas; from a catalogue only the personas that live outside the register
    are built (over 200,000 generated personas, who all live in it, building them all took
    13 s)."""
    parameters()
    personas = current_runtime().personas
    key = (id(personas), version(personas))
    previous = current_app.extensions.get("magda_kbi.municipalities")
    if previous is None or previous[0] != key or previous[1] is not personas:
        outside = naming_a_municipality_outside(dict(GEMEENTEN))
        known = lists.known_municipalities(where_data(personas, outside))
        previous = (key, personas, [{"nis": n, "naam": m} for n, m in sorted(known.items())])
        current_app.extensions["magda_kbi.municipalities"] = previous
    return jsonify(previous[2])


def best_type(offers: list[str], default: str | None = None) -> str | None:
    """The offer the request's Accept prefers, its media types' parameters set aside:
    werkzeug matched "text/csv; header=present" (RFC 4180's own) or "; charset=..." to no
    offer, and a list came as JSON."""
    accept = MIMEAccept([(v.split(";")[0].strip(), q) for v, q in request.accept_mimetypes])
    return accept.best_match(offers, default=default)


LIST_TYPES = {"application/json": "json", "text/csv": "csv", "application/xml": "xml"}


def _format_hint(given: str) -> str:
    """How a list comes as CSV or XML, for one who asked it by its address (?format=csv,
    24055.csv), as the command line's --format has it: the list's own words said nothing."""
    _, dot, suffix = given.rpartition(".")
    if given.lower() in ("format", "formaat", "output", "accept") or (
        dot and suffix.lower() in LIST_TYPES.values()
    ):
        return (
            "; the format follows the Accept header: application/json (the default), text/csv"
            " or application/xml"
        )
    return ""


def first_read(items: Iterable) -> Iterator:
    """``items`` with the first one read now, in the view, before the 200 goes out: a store
    that cannot be reached is then a 503 STORE_UNAVAILABLE, where it was a 200 cut off after
    its first bytes. (Lost in the middle of a stream, it still cuts the reply: its status
    has gone out.)"""
    items = iter(items)
    first = next(items, _NONE)
    return items if first is _NONE else itertools.chain((first,), items)


_NONE = object()


def _list_response(items, fields: list[str], header: dict, root: str, element: str) -> Response:
    kind = best_type(list(LIST_TYPES), default="application/json")
    text = formats.in_format(LIST_TYPES[kind], first_read(items), fields, header, root)
    return Response(stream_with_context(text), mimetype=kind)
