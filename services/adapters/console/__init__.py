"""The web console (``/console/``): personas, a dossier's timeline with its advice, try a
request, the live journal; faults and clock with ``--admin``.

Server-rendered (Jinja2, autoescaped) with inline SVG and a little plain JavaScript; no
build step, nothing loaded from elsewhere, so it works offline. It reads the same
:class:`Runtime` the services answer from and computes nothing of its own: the bands come
from :func:`magda_kbi.domain.timeline.build_timeline` (``geef_advies`` day by day), a consumer's
view from the SOAP service itself. It changes nothing: the faults and clock pages send
their changes to the admin API, behind its guard.
"""

from __future__ import annotations

import itertools
import threading
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from lxml import etree

from magda_kbi.adapters.forwarded import origin
from magda_kbi.adapters.rest_admin import MAX_ID, OPERATIONS, journal_filters
from magda_kbi.adapters.rest_api import current_runtime
from magda_kbi.domain.advies import TOEPASSINGEN, Advies, Toepassing, geef_advies
from magda_kbi.domain.clock import FIRST_TODAY, LAST_TODAY, iso_date
from magda_kbi.domain.consumers import Afnemer, Operation
from magda_kbi.domain.dossier import Persona
from magda_kbi.domain.insz import (
    check_digits_reason,
    first_zero_hint,
    is_eleven_digits,
    modulo97_valid,
    shown,
    unformatted,
)
from magda_kbi.domain.protocols import beslis
from magda_kbi.domain.search import folded, name_of, persona_search_text
from magda_kbi.domain.timeline import LANES, Timeline, build_timeline
from magda_kbi.io.schemas import did_you_mean
from magda_kbi.runtime.catalogue import (
    StoreUnavailable,
    fetched_many,
    in_store,
    matching,
    sorted_inszs,
    version,
)
from magda_kbi.runtime.diensten import Dienst, Runtime
from magda_kbi.runtime.faults import DIENSTEN, FaultKind
from magda_kbi.wire.verzoek import Vraag, build_verzoek
from magda_kbi.wire.xml import safe_parser

console = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
)


# Scripts, styles and everything else from the console's own files only: markup that got
# into a page (a persona's name, a call in the journal) could run no script even if the
# templates' escaping missed it. frame-ancestors: another site could show the console in a
# frame, under a page of its own, and have a visitor's click change the emulator
# (clickjacking): browsers refuse to frame it.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@console.after_request
def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Frame-Options"] = "DENY"  # for browsers without frame-ancestors
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


PAGE_SIZE = 50
SCAN_STEP = 500  # personas whose advice the result filter computes per hold of its lock
RESULTS = ("OK", "NOK")
WIDTH = 960  # the timeline's drawing width in SVG units
LEFT = 110  # room for the lane names
LANE_HEIGHT = 22


# -- personas ---------------------------------------------------------------------------


class _Index:
    """The INSZs sorted, and for personas in memory their search texts once someone
    searches; rebuilt when the set changes (the admin API replaces the mapping, never
    changes it in place). Measured with 100,000 personas in memory: sorting 0.07 s, the
    search texts 0.5 s. A catalogue in a store is never loaded whole (a million personas
    would not fit a worker): its INSZs come from the store's index, a page's personas one
    by one, and a search from the store, which checks each persona's search text."""

    def __init__(self) -> None:
        self._slot = threading.Lock()
        self._of: Mapping | None = None
        self._inszs: list[str] = []
        self._texts: list[str] | None = None
        self._version = 0
        # today's advice of the personas scanned so far, for the result filter: a day's
        # scan goes on where the last page left it (a deep page scanned every persona before
        # it, each time: past the last of 30,000 personas, 0.6 s in-process at every request)
        self._scan_key: tuple | None = None
        self._scanned = 0
        self._matching: dict[str, array] = {}  # result: positions in _inszs (4 bytes each)

    def rows(self, personas: Mapping[str, Persona], start: int = 0) -> Iterator[Persona]:
        """In INSZ order from the ``start``-th: earlier ones are not even fetched."""
        with self._slot:
            self._catch_up(personas)
            inszs = self._inszs
        return _fetched(personas, itertools.islice(inszs, start, None))

    def with_result(
        self, runtime: Runtime, result: str, start: int, count: int
    ) -> tuple[list[Persona], bool]:
        """The ``count`` personas from the ``start``-th whose advice today is ``result``,
        in INSZ order, and whether more follow."""
        personas = runtime.personas
        while True:
            # a step at a time: another thread's page need not wait for a whole scan (0.55 s
            # for 30,000 personas in memory; more from a store, a query per step)
            with self._slot:
                self._catch_up(personas)
                key = (runtime.clock.today(), runtime.rule_set, runtime.terms)
                if key != self._scan_key:
                    self._scan_key, self._scanned, self._matching = key, 0, {}
                found = self._matching.setdefault(result, array("I"))
                if len(found) > start + count or self._scanned == len(self._inszs):
                    inszs = [self._inszs[i] for i in found[start : start + count]]
                    more = len(found) > start + count
                    break
                step = self._inszs[self._scanned : self._scanned + SCAN_STEP]
                fetched = fetched_many(personas, step)
                for insz in step:
                    persona = fetched.get(insz)
                    if persona is not None:  # removed meanwhile: a new set, scanned anew next
                        advies = _today_advice(runtime, persona)
                        matches = self._matching.setdefault(advies.resultaat.value, array("I"))
                        matches.append(self._scanned)
                    self._scanned += 1
        return list(_fetched(personas, inszs)), more

    def searched(self, personas: Mapping[str, Persona], search: str) -> Iterator[str]:
        """The INSZs whose search text holds ``search`` (folded), in order; in a store, the
        store checks them (its search texts are the same, kept beside each persona)."""
        with self._slot:
            self._catch_up(personas)
            inszs = self._inszs
            if not in_store(personas):
                if self._texts is None:
                    self._texts = [persona_search_text(personas[insz]) for insz in inszs]
                texts = self._texts
                return (i for i, t in zip(inszs, texts, strict=True) if search in t)
        found = matching(personas, search)
        return (i for i in inszs if i in found)

    def _catch_up(self, personas: Mapping[str, Persona]) -> None:
        if self._of is not personas or self._version != version(personas):
            self._version = version(personas)  # a catalogue imported again: the same mapping
            self._inszs = sorted_inszs(personas)
            self._texts = None
            self._of = personas
            self._scan_key = None


def _fetched(personas: Mapping[str, Persona], inszs: Iterable[str]) -> Iterator[Persona]:
    for insz in inszs:
        persona = personas.get(insz)
        if persona is not None:  # removed meanwhile
            yield persona


_index = _Index()


def _today_advice(runtime: Runtime, persona: Persona) -> Advies:
    today = runtime.clock.today()
    return geef_advies(
        persona.dossier,
        today,
        Toepassing.ZORGBUDGET,
        runtime.terms,
        vandaag=today,
        rule_set=runtime.rule_set,
    )


def _page(
    runtime: Runtime, rows: Iterable[Persona], result: str, skip: int
) -> tuple[list[tuple[Persona, Advies]], bool]:
    """One page of ``rows`` with today's advice, those with another result left out, the
    first ``skip`` skipped; and whether more follow."""
    page_rows: list[tuple[Persona, Advies]] = []
    for persona in rows:
        advies = _today_advice(runtime, persona) if result else None
        if advies is not None and advies.resultaat.value != result:
            continue
        if skip:  # no advice for these without a filter
            skip -= 1
            continue
        if len(page_rows) == PAGE_SIZE:
            return page_rows, True
        page_rows.append((persona, advies or _today_advice(runtime, persona)))
    return page_rows, False


@console.get("/")
def personas():
    runtime = current_runtime()
    q = request.args.get("q", "").strip()
    result = request.args.get("result", "")
    if result not in ("", *RESULTS):
        hint = did_you_mean(result, RESULTS)
        abort(400, description=f"result is OK, NOK or empty, not {shown(result)}{hint}")
    page = _number("page", 1, 1, 10**9)
    search = folded(q)
    skip = (page - 1) * PAGE_SIZE
    # Paged on the server: the advice is computed only for the personas this page needs.
    if search:
        found = _index.searched(runtime.personas, search)
        if not result:  # the earlier pages' personas need not even be fetched
            found, skip = itertools.islice(found, skip, None), 0
        rows, more = _page(runtime, _fetched(runtime.personas, found), result, skip)
    elif result:
        chosen, more = _index.with_result(runtime, result, skip, PAGE_SIZE)
        rows = [(persona, _today_advice(runtime, persona)) for persona in chosen]
    else:  # no filter: the page starts where it starts
        rows, more = _page(runtime, _index.rows(runtime.personas, skip), "", 0)
    args = {k: v for k, v in (("q", q), ("result", result)) if v}
    return render_template(
        "console/personas.html",
        rows=[(p, name_of(p), a) for p, a in rows],
        q=q,
        no_insz=None if rows else _why_no_insz(q),
        result=result,
        page=page,
        previous=url_for(".personas", **args, page=page - 1) if page > 1 else None,
        next=url_for(".personas", **args, page=page + 1) if more else None,
        total=len(runtime.personas),
        today=runtime.clock.today(),
    )


def _why_no_insz(text: str) -> str | None:
    """For eleven digits (or an INSZ as printed) that are no INSZ, which check digits they
    would need: a digit mistyped, most often. None for anything else."""
    digits = unformatted(text)
    if is_eleven_digits(digits) and not modulo97_valid(digits):
        return f"no INSZ: {check_digits_reason(digits)}"
    return None


@console.get("/personas/<insz>")
def persona(insz: str):
    runtime = current_runtime()
    p = runtime.personas.get(insz)
    if p is None:
        digits = unformatted(insz)  # as printed on the eID and in this console: 98.63.04-997.24
        if digits != insz and runtime.personas.get(digits) is not None:
            return redirect(url_for(".persona", insz=digits, **request.args))
        why = _why_no_insz(insz)
        counted = insz.replace(".", "").replace("-", "")  # as printed, a digit more or less
        if why is None and counted.isascii() and counted.isdigit() and len(counted) != 11:
            # an address holds the whole INSZ (a search may hold a part of one)
            why = f"no INSZ: {len(counted)} digits, where an INSZ has 11"
            why += first_zero_hint(counted)
        which = f", which is {why}" if why else ""
        abort(404, description=f"no persona with INSZ {shown(insz, quote=False)}{which}")
    today = runtime.clock.today()
    timeline = build_timeline(p.dossier, today, runtime.terms, runtime.rule_set)
    consumers = sorted(runtime.afnemers, key=lambda a: (a.soort.value, a.naam))
    chosen = _consumer(runtime, request.args.get("consumer"))
    views = _consumer_views(chosen, insz, today) if chosen is not None else []
    return render_template(
        "console/persona.html",
        persona=p,
        name=name_of(p),
        dossier=p.dossier,
        timeline=timeline,
        drawing=_drawing(timeline),
        consumers=consumers,
        chosen=chosen,
        consumer_key=_consumer_key,
        views=views,
        protocols=runtime.protocols,
        try_url=url_for(".try_request", insz=insz),
    )


def _consumer_key(consumer: Afnemer) -> str:
    return f"{consumer.afzender}|{consumer.hoedanigheid}"


def _consumer(runtime: Runtime, key: str | None) -> Afnemer | None:
    if not key:
        return None
    afzender, _, hoedanigheid = key.partition("|")
    consumer = runtime.afnemers.find(afzender, hoedanigheid)
    if consumer is None:
        abort(400, description=f"unknown consumer {key!r}")
    return consumer


@dataclass(frozen=True)
class ConsumerView:
    service: str
    version: str
    status: str
    code: str | None  # the Uitzondering's code (a refusal or an error), or None
    xml: str


def _consumer_views(consumer: Afnemer, insz: str, today: date) -> list[ConsumerView]:
    """What the SOAP services answer this consumer: GeefDossierKBI in both versions, and
    the advice for today's ZORGBUDGET (a zorgkas's question: the dossier it is refused)."""
    views = []
    for service in _services():
        if not service.contract.path:  # the generic endpoint: the same services again
            continue
        vraag = Vraag(insz, consumer.afzender, consumer.hoedanigheid, today, "ZORGBUDGET")
        status, response = _ask(service, vraag)
        root = etree.fromstring(response, safe_parser())
        code = root.findtext(".//Uitzondering/Identificatie")
        version = service.contract.major_version
        views.append(ConsumerView(service.naam, version, status, code, _pretty(response)))
    return views


def _ask(service: Dienst, vraag: Vraag) -> tuple[str, bytes]:
    """The service's own answer to a request built as a consumer builds it (not journaled:
    a preview is not a call)."""
    verzoek = build_verzoek(service.contract, vraag, current_runtime().clock.now())
    operation = etree.fromstring(verzoek, safe_parser()).find(f".//{service.operation_tag}")
    status, response, _call = service.respond(operation)
    return status, response


def _pretty(xml: bytes) -> str:
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    return etree.tostring(etree.fromstring(xml, parser), pretty_print=True, encoding="unicode")


# -- the drawing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    x: float
    w: float  # 0 for a dated fact (a tick), the period's width otherwise
    fact: object


def _drawing(t: Timeline) -> dict:
    """Positions in SVG units for the template: lanes, then the ZORGBUDGET band, then one
    cell per premium year; a tick per month boundary of January and July."""

    def x(day: date) -> float:
        day = min(max(day, t.van), t.tot)
        return round(LEFT + (day - t.van).days / t.days * WIDTH, 2)

    def width_of(start: date, until: date) -> float:  # until inclusive
        return round(max(x(until) - x(start) + WIDTH / t.days, 1.0), 2)

    lane_y = {lane: 20 + n * LANE_HEIGHT for n, lane in enumerate(LANES)}
    marks = []
    for fact in t.facts:
        if fact.is_period:
            end = fact.einde or t.tot
            if end < t.van or fact.datum > t.tot:
                continue
            marks.append(Mark(x(fact.datum), width_of(max(fact.datum, t.van), end), fact))
        else:
            marks.append(Mark(x(fact.datum), 0, fact))
    band_y = 20 + len(LANES) * LANE_HEIGHT + 10
    premium_y = band_y + LANE_HEIGHT + 24
    ticks = []
    year = t.van.year
    while date(year, 1, 1) <= t.tot:
        for month in (1, 7):
            day = date(year, month, 1)
            if t.van <= day <= t.tot:
                ticks.append((x(day), day))
        year += 1
    return {
        "width": LEFT + WIDTH + 10,
        "height": premium_y + LANE_HEIGHT + 10,
        "lane_y": lane_y,
        "marks": marks,
        "band_y": band_y,
        "band": [(x(s.van), width_of(s.van, s.tot), s) for s in t.bands],
        "premium_y": premium_y,
        "premium": [
            (
                x(max(date(c.jaar, 1, 1), t.van)),
                width_of(max(date(c.jaar, 1, 1), t.van), min(date(c.jaar, 12, 31), t.tot)),
                c,
            )
            for c in t.premium_years
        ],
        "ticks": ticks,
        "today_x": x(t.today),
        "left": LEFT,
        "lane_height": LANE_HEIGHT,
    }


# -- try a request ----------------------------------------------------------------------


@console.get("/try")
def try_request():
    """A request form; the envelope is built here and sent by the browser to the real
    endpoint, so the call takes the whole HTTP path and lands in the journal."""
    runtime = current_runtime()
    services = {_service_key(d): d for d in _services() if d.contract.path}
    service = request.args.get("service", "GeefDossierKBI 02.00")
    if service not in services:
        hint = did_you_mean(service, services)
        abort(400, description=f"service is one of {', '.join(services)}{hint}")
    insz = request.args.get("insz", "").strip()
    datum = request.args.get("datum") or runtime.clock.today().isoformat()
    toepassing = request.args.get("toepassing", "ZORGBUDGET")
    mutaties_context = request.args.get("mutaties_context", "true")
    if mutaties_context not in ("true", "false"):
        abort(400, description="mutaties_context is true (the XSD's default) or false")
    try:
        peil, error = iso_date(datum), None
    except ValueError as reason:  # iso_date's words: also which number is wrong
        peil, error = None, str(reason)
    dienst = services[service]
    first = _answered_as(runtime, dienst, insz, peil)
    afzender = request.args.get("afzender", first.afzender if first else "")
    hoedanigheid = request.args.get("hoedanigheid", first.hoedanigheid if first else "")
    envelope = None
    if insz:  # an invalid INSZ is sent as typed: the service's own 40002 is the lesson
        if toepassing not in TOEPASSINGEN:
            hint = did_you_mean(toepassing, TOEPASSINGEN)
            error = f"Toepassing is one of {', '.join(TOEPASSINGEN)}{hint}"
        if error is None:
            vraag = Vraag(
                insz, afzender, hoedanigheid, peil, toepassing, mutaties_context == "true"
            )
            try:
                envelope = build_verzoek(dienst.contract, vraag, runtime.clock.now())
            except ValueError as reason:  # a control character: XML cannot carry it
                error = f"cannot be sent as XML: {reason}"
    return render_template(
        "console/try.html",
        services=list(services),
        service=service,
        insz=insz,
        datum=datum,
        toepassing=toepassing,
        toepassingen=TOEPASSINGEN,
        mutaties_context=mutaties_context,
        afzender=afzender,
        hoedanigheid=hoedanigheid,
        consumers=list(runtime.afnemers),
        error=error if insz else None,  # an empty form is filled in first
        envelope=envelope.decode("utf-8") if envelope else None,
        endpoint=request.script_root + dienst.contract.path,  # what the page's script asks
        base=origin(request.environ, current_app.config.get("MAGDA_PROXY_HEADERS", False)),
        unsigned_refused=current_app.config.get("MAGDA_VERIFY_SIGNATURES", False),
    )


def _answered_as(runtime: Runtime, dienst: Dienst, insz: str, peil: date | None) -> Afnemer | None:
    """The consumer a request is built for unless one is given: the first known one whose
    protocol answers it, else the first (under --protocols the first of all, a
    municipality, is refused the advice and everyone living elsewhere)."""
    afnemers = list(runtime.afnemers)
    try:
        persona = runtime.personas.get(insz) if is_eleven_digits(insz) else None
    except StoreUnavailable:  # the request is still built; sending it will say so
        persona = None
    operatie = Operation(dienst.naam)
    today = runtime.clock.today()
    for afnemer in afnemers:
        beslissing = beslis(
            runtime.afnemers,
            afnemer.afzender,
            afnemer.hoedanigheid,
            operatie,
            persona=persona,
            vandaag=today,
            datum=peil or today,
        )
        if beslissing.toegelaten:
            return afnemer
    return afnemers[0] if afnemers else None


def _service_key(service: Dienst) -> str:
    return f"{service.naam} {service.contract.major_version}"


# -- journal ----------------------------------------------------------------------------


@console.get("/journal")
def journal():
    return render_template(
        "console/journal.html",
        filters={k: request.args.get(k, "") for k in ("insz", "afzender", "operation")},
        kind=request.args.get("kind", "call"),
        # what the operation filter takes, offered as typed (a typo matched nothing)
        operations=[*OPERATIONS, *(f"admin {m}" for m in ("GET", "PUT", "POST", "DELETE"))],
    )


@console.get("/journal/entries")
def journal_entries():
    """The entries after id ``after`` that match the filters (what the live view polls)."""
    after = _number("after", 0, 0, MAX_ID)
    j = current_runtime().journal
    found = j.read(**journal_filters(request.args, extra=("after",)), after=after)
    return jsonify(entries=[r.as_json() for r in found], size=len(j), capacity=j.capacity)


@console.get(f"/journal/<int(max={MAX_ID}):number>")
def journal_entry(number: int):
    entry = current_runtime().journal.entry(number)
    if entry is None:
        abort(404, description=f"entry {number} is no longer in the journal (or never was)")
    return render_template(
        "console/entry.html",
        entry=entry,
        data=entry.as_json(),
        request_body=_body_text(entry.request),
        reply_body=_body_text(entry.reply),
    )


def _number(name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter within bounds, or a 400 saying which."""
    text = request.args.get(name)
    try:
        value = default if text is None else int(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        abort(400, description=f"{name} is a whole number from {low} to {high}")
    return value


def _body_text(body: bytes) -> str:
    if not body:
        return ""
    try:
        return _pretty(body)
    except etree.XMLSyntaxError:
        return body.decode("utf-8", "replace")


# -- faults and clock (--admin only: the pages talk to the admin API) -------------------


@console.get("/faults")
def faults():
    _admin_only()
    return render_template(
        "console/faults.html", kinds=[s.value for s in FaultKind], services=DIENSTEN
    )


@console.get("/clock")
def clock():
    _admin_only()
    return render_template("console/clock.html", first=FIRST_TODAY, last=LAST_TODAY)


def _admin_only() -> None:
    if not current_app.config.get("MAGDA_ADMIN"):
        abort(404, description="the admin pages need 'magda-kbi serve --admin'")


@console.app_context_processor
def _everywhere() -> dict:
    return {"admin_on": bool(current_app.config.get("MAGDA_ADMIN")), "query": urlencode}


@console.errorhandler(400)
@console.errorhandler(404)
def error_page(error):
    """The console's own page for an error, with its menu (the app's 404 uses it too for a
    console address that matches no view: a blueprint's handler never sees those)."""
    return render_template("console/error.html", error=error), error.code


def _services() -> list[Dienst]:
    return current_app.config["MAGDA_DIENSTEN"]
