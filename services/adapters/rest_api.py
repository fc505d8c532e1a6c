"""The read API (JSON): the same data and the same rules as SOAP, for quick use.

Errors are JSON ``{"code", "diagnose", "field"}`` with the MAGDA codes where MAGDA has one;
bad input is a 400, an unknown dossier a 404, never a 500.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from flask import Blueprint, Response, current_app, jsonify, request, stream_with_context

from magda_kbi.adapters import openapi as openapi_document
from magda_kbi.domain import lists
from magda_kbi.domain.advies import ARREST_112_2023, REGELS, TOEPASSINGEN, Toepassing
from magda_kbi.domain.consumers import Operatie
from magda_kbi.domain.insz import modulo97_geldig
from magda_kbi.domain.protocols import Beslissing, beslis, gemeente_zicht
from magda_kbi.io import formats
from magda_kbi.io.json_output import dossier_json
from magda_kbi.runtime.catalogue import version
from magda_kbi.runtime.decision import Kind, Outcome, Question, decide
from magda_kbi.runtime.diensten import (
    GEEN_GEGEVENS,
    ONGELDIG_INSZ,
    ONGELDIG_VERZOEK,
    ONGELDIGE_DATUM,
    PLATFORM_UITZONDERINGEN,
    Runtime,
)
from magda_kbi.runtime.journal import CallRecord
from magda_kbi.runtime.reply_templates import PersonaCache
from magda_kbi.runtime.wsgi_keys import RECORD_KEY

api = Blueprint("api_v1", __name__, url_prefix="/api/v1")
AFZENDER_HEADER = "X-Magda-Afzender"
HOEDANIGHEID_HEADER = "X-Magda-Hoedanigheid"


class ApiFout(Exception):
    """A refusal or bad input on the REST or admin API: ``{"code", "diagnose", "field"}``."""

    def __init__(
        self,
        status: int,
        code: str,
        diagnose: str,
        veld: str | None = None,
        journal: bool = True,  # False: the decision's outcome is already journaled
    ) -> None:
        super().__init__(diagnose)
        self.status, self.code, self.diagnose, self.veld = status, code, diagnose, veld
        self.journal = journal


def api_fout(fout: ApiFout):
    """The JSON error body of the REST and admin APIs (registered on the app in rest.py)."""
    if request.blueprint == api.name and fout.journal:
        _noteer(resultaat=f"ERROR {fout.code}")
    body = {"code": fout.code, "diagnose": fout.diagnose}
    if fout.veld:
        body["field"] = fout.veld
    return jsonify(body), fout.status


@api.before_request
def _een_identiteit():
    """Who asks must be said once: a second X-Magda-Afzender (or -Hoedanigheid) could
    override what a proxy in front set. The server joins repeated headers with a comma,
    which no Afzender or Hoedanigheid contains, so a comma means "given more than once".
    (A spelling with underscores, X_Magda_Afzender, the server does not tell apart: put a
    proxy in front that drops such headers, as nginx does by default.)"""
    for naam in (AFZENDER_HEADER, HOEDANIGHEID_HEADER):
        if "," in request.headers.get(naam, ""):
            raise ApiFout(400, ONGELDIG_VERZOEK, f"header {naam} is given more than once", naam)


@api.get("/openapi.json")
def openapi():
    return jsonify(openapi_document.document())


@api.get("/dossiers/<insz>")
def dossier(insz: str):
    _geldig_insz(insz, "GeefDossierKBI")
    uitkomst = _beslis_vraag(Question(Operatie.DOSSIER, insz, *_afzender_headers()))
    persona, vandaag = uitkomst.persona, uitkomst.vandaag
    if uitkomst.beperkt:
        return jsonify(asdict(gemeente_zicht(persona.dossier.op_datum(vandaag))))
    # The same persona on the same day gives the same bytes: built once (the generic
    # dataclass walk was half of this route's time, measured), then served from the cache.
    cache: PersonaCache = current_app.extensions["magda_kbi.dossier_json"]
    body = cache.zoek((insz, vandaag), persona)
    if body is None:
        gekend = persona.dossier.op_datum(vandaag)  # as the KBI knows it today
        body = current_app.json.response(dossier_json(gekend)).get_data()
        cache.bewaar((insz, vandaag), persona, body)
    return current_app.response_class(body, mimetype=current_app.json.mimetype)


@api.get("/advies/<insz>")
def advies(insz: str):
    _geldig_insz(insz, "GeefAutomatischAdvies")
    onbekend = sorted(set(request.args) - {"datum", "toepassing"})
    if onbekend:
        raise ApiFout(400, ONGELDIG_VERZOEK, f"unknown parameter {onbekend[0]!r}", onbekend[0])
    for naam in request.args:
        if len(request.args.getlist(naam)) > 1:
            raise ApiFout(
                400, ONGELDIG_VERZOEK, f"parameter {naam!r} is given more than once", naam
            )
    runtime = _omgeving()
    tekst = request.args.get("datum")
    try:
        datum = date.fromisoformat(tekst) if tekst is not None else runtime.clock.vandaag()
        if tekst is not None and len(tekst) != 10:
            raise ValueError
    except ValueError:
        raise ApiFout(
            400, ONGELDIGE_DATUM, f"{tekst!r} is not a date (YYYY-MM-DD)", "datum"
        ) from None
    try:
        toepassing = Toepassing(request.args.get("toepassing", Toepassing.ZORGBUDGET))
    except ValueError:
        raise ApiFout(
            400,
            ONGELDIG_VERZOEK,
            f"toepassing must be one of {', '.join(TOEPASSINGEN)}",
            "toepassing",
        ) from None
    vraag = Question(Operatie.ADVIES, insz, *_afzender_headers(), datum, toepassing)
    uitkomst = _beslis_vraag(vraag).advies
    reden = None
    if uitkomst.reden is not None:
        reden = {"code": uitkomst.reden.value, "omschrijving": uitkomst.omschrijving}
    antwoord = {
        "insz": insz,
        "peildatum": uitkomst.peildatum.isoformat(),
        "resultaat": uitkomst.resultaat.value,
        "reden": reden,
    }
    if not runtime.protocollen:  # under a protocol the answer is OK/NOK and reason, no more
        antwoord["rule"] = {"number": uitkomst.regel, "text": REGELS[uitkomst.regel]}
    if uitkomst.regel == 0:  # the rule set after the ruling: say which ruling
        antwoord["informatie"] = ARREST_112_2023
    return jsonify(antwoord)


def _geldig_insz(insz: str, operatie: str) -> None:
    """Journals who asks what, and refuses an INSZ that is not one (every route's check)."""
    _noteer(
        operatie=operatie,
        insz=insz,
        afzender=request.headers.get(AFZENDER_HEADER),
        hoedanigheid=request.headers.get(HOEDANIGHEID_HEADER),
    )
    if not modulo97_geldig(insz):
        raise ApiFout(
            400,
            ONGELDIG_INSZ,
            f"{insz!r} is not a valid INSZ (11 digits, modulo 97)",
            "insz",
        )


def _afzender_headers() -> tuple[str | None, str | None]:
    return request.headers.get(AFZENDER_HEADER), request.headers.get(HOEDANIGHEID_HEADER)


# How REST says what SOAP says with an Uitzondering or a SOAP Fault.
_HTTP_STATUS = {Kind.NOT_FOUND: 404, Kind.REFUSED: 403, Kind.PLATFORM: 503}


def _beslis_vraag(vraag: Question) -> Outcome:
    """The decision SOAP takes too (:func:`decide`), journaled from its outcome; anything
    but an answer becomes the JSON error with the same code and reason as on SOAP."""
    uitkomst = decide(_omgeving(), vraag)
    record = request.environ.get(RECORD_KEY)
    if isinstance(record, CallRecord):
        uitkomst.write_to(record)
    if uitkomst.kind is Kind.ANSWER:
        return uitkomst
    if uitkomst.kind is Kind.SOAP_FAULT:
        raise ApiFout(
            502,
            "PLATFORM_ERROR",
            f"the MAGDA platform failed (test persona {vraag.insz} always fails)",
            journal=False,
        )
    if uitkomst.kind is Kind.REFUSED:
        diagnose = uitkomst.beslissing.reden
    elif uitkomst.kind is Kind.PLATFORM:
        diagnose = PLATFORM_UITZONDERINGEN[uitkomst.platform].diagnose
    else:
        diagnose = GEEN_GEGEVENS.diagnose
    raise ApiFout(_HTTP_STATUS[uitkomst.kind], uitkomst.code, diagnose, journal=False)


def _beslis(operatie: Operatie, **context) -> Beslissing | None:
    """The lists' protocol decision (enforcement mode) for the caller named by the headers;
    a refusal is a 403 with the same code and reason as on SOAP."""
    runtime = _omgeving()
    if not runtime.protocollen:
        return None
    beslissing = beslis(runtime.afnemers, *_afzender_headers(), operatie, **context)
    record = request.environ.get(RECORD_KEY)
    if isinstance(record, CallRecord):
        record.extra.update(beslissing.als_json())
    if not beslissing.toegelaten:
        raise ApiFout(403, beslissing.code, beslissing.reden)
    return beslissing


def _omgeving() -> Runtime:
    return current_app.config["MAGDA_OMGEVING"]


def _noteer(**velden) -> None:
    record = request.environ.get(RECORD_KEY)
    if isinstance(record, CallRecord):
        for naam, waarde in velden.items():
            setattr(record, naam, waarde)


# -- lists (JSON, CSV or XML by Accept; streamed) ---------------------------------------


@api.get("/lijsten/verlaagde-premie/<jaar>")
def lijst_verlaagde_premie(jaar: str):
    _noteer(
        operatie=Operatie.LIJST_VERLAAGDE_PREMIE.value,
        afzender=_afzender(),
        hoedanigheid=request.headers.get(HOEDANIGHEID_HEADER),
    )
    if not (jaar.isascii() and jaar.isdigit() and 2000 <= int(jaar) <= 2100):
        raise ApiFout(400, ONGELDIG_VERZOEK, f"{jaar!r} is not a premium year (2000-2100)", "jaar")
    premiejaar = int(jaar)
    zorgkas = request.args.get("zorgkas")
    onbekend = sorted(set(request.args) - {"zorgkas"})
    if onbekend:
        raise ApiFout(400, ONGELDIG_VERZOEK, f"unknown parameter {onbekend[0]!r}", onbekend[0])
    beslissing = _beslis(Operatie.LIJST_VERLAAGDE_PREMIE)
    if beslissing is not None and beslissing.afnemer.zorgkas:
        if zorgkas not in (None, beslissing.afnemer.zorgkas):
            raise ApiFout(
                403,
                "40104",
                f"{beslissing.afnemer.naam} gets the list of its own members only "
                f"({beslissing.afnemer.zorgkas})",
                "zorgkas",
            )
        zorgkas = beslissing.afnemer.zorgkas
    runtime = _omgeving()
    insz = lists.verlaagde_premie(
        runtime.personas.values(),  # streamed: a catalogue in a store is read in batches
        premiejaar,
        runtime.clock.vandaag(),
        zorgkas=zorgkas,
        termijnen=runtime.termijnen,
        regelset=runtime.regelset,
    )
    kop = {"premiejaar": premiejaar, "peildatum": f"{premiejaar - 1}-01-01", "zorgkas": zorgkas}
    _noteer(resultaat=f"LIST verlaagde premie {premiejaar}")
    return _lijst(({"insz": i} for i in insz), ["insz"], kop, "VerlaagdePremie", "Persoon")


@api.get("/lijsten/gemeente/<nis>")
def lijst_gemeente(nis: str):
    return _gemeentelijst(
        nis, Operatie.LIJST_GEMEENTE, lists.gemeente, lists.GEMEENTE_VELDEN, "Inburgeraars"
    )


@api.get("/lijsten/participatie/<nis>")
def lijst_participatie(nis: str):
    return _gemeentelijst(
        nis,
        Operatie.LIJST_PARTICIPATIE,
        lists.participatie,
        lists.PARTICIPATIE_VELDEN,
        "Participatietraject",
    )


def _gemeentelijst(nis: str, operatie: Operatie, maak, velden: list[str], wortel: str):
    _noteer(
        operatie=operatie.value,
        afzender=_afzender(),
        hoedanigheid=request.headers.get(HOEDANIGHEID_HEADER),
    )
    if not (nis.isascii() and nis.isdigit() and len(nis) == 5):
        raise ApiFout(400, ONGELDIG_VERZOEK, f"{nis!r} is not a NIS code (5 digits)", "nis")
    onbekend = sorted(set(request.args) - {"year"})
    if onbekend:
        raise ApiFout(400, ONGELDIG_VERZOEK, f"unknown parameter {onbekend[0]!r}", onbekend[0])
    runtime = _omgeving()
    peildag = runtime.clock.vandaag()
    jaar = request.args.get("year")
    if jaar is not None:
        if not (jaar.isascii() and jaar.isdigit() and 2000 <= int(jaar) <= 2100):
            raise ApiFout(400, ONGELDIG_VERZOEK, f"{jaar!r} is not a year (2000-2100)", "year")
        peildag = min(peildag, date(int(jaar), 1, 1))  # residents on 1 January of the year
    _beslis(operatie, nis=nis)
    personas = runtime.personas  # this view for both passes; each streams (a catalogue)
    if not lists.nis_bekend(nis, personas.values()):
        raise ApiFout(
            404,
            "UNKNOWN_MUNICIPALITY",
            f"unknown NIS code {nis}: GET /api/v1/municipalities lists the known ones",
            "nis",
        )
    items = maak(personas.values(), nis, peildag)
    _noteer(resultaat=f"LIST {operatie.value} {nis}")
    kop = {"nis": nis, "peildatum": peildag.isoformat()}
    if jaar is not None:
        kop = {"nis": nis, "jaar": int(jaar), "peildatum": peildag.isoformat()}
    return _lijst(items, velden, kop, wortel, "Persoon")


@api.get("/consumers")
def consumers():
    """The consumers the protocols know: who may call what (see ``serve --protocols``)."""
    return jsonify([a.als_json() for a in _omgeving().afnemers])


@api.get("/municipalities")
def municipalities():
    """The municipalities the lists know: the register and everyone's residences. Read once
    per set of personas: over a catalogue of a million that reading takes a minute."""
    personas = _omgeving().personas
    sleutel = (id(personas), version(personas))
    vorige = current_app.extensions.get("magda_kbi.municipalities")
    if vorige is None or vorige[0] != sleutel or vorige[1] is not personas:
        bekend = lists.bekende_gemeenten(personas.values())
        vorige = (sleutel, personas, [{"nis": n, "naam": m} for n, m in sorted(bekend.items())])
        current_app.extensions["magda_kbi.municipalities"] = vorige
    return jsonify(vorige[2])


def _lijst(items, velden: list[str], kop: dict, wortel: str, element: str) -> Response:
    soorten = {"application/json": "json", "text/csv": "csv", "application/xml": "xml"}
    soort = request.accept_mimetypes.best_match(list(soorten), default="application/json")
    tekst = formats.in_formaat(soorten[soort], items, velden, kop, wortel)
    return Response(stream_with_context(tekst), mimetype=soort)


def _afzender() -> str | None:
    return request.headers.get(AFZENDER_HEADER)
