"""The read API (JSON): the same data and the same rules as SOAP, for quick use.

Errors are JSON ``{"code", "diagnose", "veld"}`` with the MAGDA codes where MAGDA has one;
bad input is a 400, an unknown dossier a 404, never a 500.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, jsonify, request

from .advies import Toepassing, geef_advies
from .diensten import GEEN_GEGEVENS, ONGELDIG_INSZ, ONGELDIG_VERZOEK, ONGELDIGE_DATUM, Omgeving
from .insz import modulo97_geldig
from .journaal import Aantekening
from .json_vorm import dossier_json
from .openapi import OPENAPI
from .wsgi_sleutels import AANTEKENING

api = Blueprint("api_v1", __name__, url_prefix="/api/v1")


class ApiFout(Exception):
    def __init__(self, status: int, code: str, diagnose: str, veld: str | None = None) -> None:
        super().__init__(diagnose)
        self.status, self.code, self.diagnose, self.veld = status, code, diagnose, veld


@api.errorhandler(ApiFout)
def _api_fout(fout: ApiFout):
    _noteer(resultaat=f"FOUT {fout.code}")
    body = {"code": fout.code, "diagnose": fout.diagnose}
    if fout.veld:
        body["veld"] = fout.veld
    return jsonify(body), fout.status


@api.get("/openapi.json")
def openapi():
    return jsonify(OPENAPI)


@api.get("/dossiers/<insz>")
def dossier(insz: str):
    persona = _persona(insz, "GeefDossierKBI")
    if persona is None or persona.dossier is None:
        raise ApiFout(404, GEEN_GEGEVENS.identificatie, GEEN_GEGEVENS.diagnose)
    _noteer(resultaat="DOSSIER")
    return jsonify(dossier_json(persona.dossier.op_datum(_omgeving().klok.vandaag())))


@api.get("/advies/<insz>")
def advies(insz: str):
    persona = _persona(insz, "GeefAutomatischAdvies")
    onbekend = sorted(set(request.args) - {"datum", "toepassing"})
    if onbekend:
        raise ApiFout(400, ONGELDIG_VERZOEK, f"onbekende parameter {onbekend[0]!r}", onbekend[0])
    for naam in request.args:
        if len(request.args.getlist(naam)) > 1:
            raise ApiFout(400, ONGELDIG_VERZOEK, f"parameter {naam!r} staat er meer dan eens", naam)
    omgeving = _omgeving()
    tekst = request.args.get("datum")
    try:
        datum = date.fromisoformat(tekst) if tekst is not None else omgeving.klok.vandaag()
        if tekst is not None and len(tekst) != 10:
            raise ValueError
    except ValueError:
        raise ApiFout(
            400, ONGELDIGE_DATUM, f"{tekst!r} is geen datum (JJJJ-MM-DD)", "datum"
        ) from None
    try:
        toepassing = Toepassing(request.args.get("toepassing", Toepassing.ZORGBUDGET))
    except ValueError:
        raise ApiFout(
            400,
            ONGELDIG_VERZOEK,
            f"toepassing moet één van {', '.join(Toepassing)} zijn",
            "toepassing",
        ) from None
    dossier = persona.dossier if persona is not None else None
    if dossier is not None:
        dossier = dossier.op_datum(omgeving.klok.vandaag())
    uitkomst = geef_advies(dossier, datum, toepassing, omgeving.termijnen)
    _noteer(resultaat=" ".join(filter(None, (uitkomst.resultaat.value, uitkomst.reden))))
    reden = None
    if uitkomst.reden is not None:
        reden = {"code": uitkomst.reden.value, "omschrijving": uitkomst.omschrijving}
    return jsonify(
        insz=insz,
        peildatum=uitkomst.peildatum.isoformat(),
        resultaat=uitkomst.resultaat.value,
        reden=reden,
    )


def _persona(insz: str, operatie: str):
    """The persona for a valid INSZ (None when unknown); the errors every route shares."""
    _noteer(
        operatie=operatie,
        insz=insz,
        afzender=request.headers.get("X-Magda-Afzender"),
        hoedanigheid=request.headers.get("X-Magda-Hoedanigheid"),
    )
    if not modulo97_geldig(insz):
        raise ApiFout(
            400,
            ONGELDIG_INSZ,
            f"{insz!r} is geen geldig INSZ (11 cijfers, controle modulo 97)",
            "insz",
        )
    persona = _omgeving().personas.get(insz)
    if persona is not None and persona.fout == "99996":
        raise ApiFout(503, "99996", "Te veel gelijktijdige bevragingen")
    if persona is not None and persona.fout == "SOAP_FAULT":
        raise ApiFout(
            502, "PLATFORM_FOUT", f"MAGDA-platform: interne fout (testpersona {insz} faalt altijd)"
        )
    return persona


def _omgeving() -> Omgeving:
    return current_app.config["MAGDA_OMGEVING"]


def _noteer(**velden) -> None:
    aantekening = request.environ.get(AANTEKENING)
    if isinstance(aantekening, Aantekening):
        for naam, waarde in velden.items():
            setattr(aantekening, naam, waarde)
