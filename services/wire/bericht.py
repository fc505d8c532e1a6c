"""The MAGDA v2 message frame shared by every service: Verzoek in, Repliek out.

``lees_context`` reads what a Verzoek says about its sender; ``bouw_repliek`` writes
the reply frame (Context with the platform as Afzender and the caller echoed as
Ontvanger, then Antwoorden/Antwoord or Uitzonderingen), in the shape of the real
platform's samples.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from .xml import sub, tekst

PLATFORM_IDENTIFICATIE = "vip.vlaanderen.be"
PLATFORM_NAAM = "MagdaGateway"


@dataclass(frozen=True)
class Afzender:
    identificatie: str | None = None
    referte: str | None = None
    hoedanigheid: str | None = None


@dataclass(frozen=True)
class Context:
    naam: str | None
    versie: str | None
    bericht_type: str | None
    afzender: Afzender


@dataclass(frozen=True)
class Uitzondering:
    """A MAGDA Uitzondering: code, origin, severity and a diagnosis for humans."""

    identificatie: str
    diagnose: str
    type: str = "FOUT"
    oorsprong: str = "MAGDA"


def lees_context(verzoek: etree._Element | None) -> Context:
    """Whatever the Verzoek's Context holds; missing parts are None (validation says why)."""
    context = verzoek.find("Context") if verzoek is not None else None
    return Context(
        naam=tekst(context, "Naam"),
        versie=tekst(context, "Versie"),
        bericht_type=tekst(context, "Bericht/Type"),
        afzender=Afzender(
            identificatie=tekst(context, "Bericht/Afzender/Identificatie"),
            referte=tekst(context, "Bericht/Afzender/Referte"),
            hoedanigheid=tekst(context, "Bericht/Afzender/Hoedanigheid"),
        ),
    )


def bouw_repliek(
    naam: str,
    versie: str,
    vraag: Context,
    tijdstip: datetime,
    *,
    antwoord: tuple[str, etree._Element | None] | None = None,
    uitzonderingen: tuple[Uitzondering, ...] = (),
    antwoord_uitzonderingen: tuple[Uitzondering, ...] = (),
) -> etree._Element:
    """A Repliek: ``antwoord`` is (Vraag Referte, Inhoud child or None)."""
    repliek = etree.Element("Repliek")
    context = sub(repliek, "Context")
    sub(context, "Naam", naam)
    sub(context, "Versie", versie)
    bericht = sub(context, "Bericht")
    sub(bericht, "Type", "ANTWOORD")
    _tijdstip(bericht, tijdstip)
    afzender = sub(bericht, "Afzender")
    sub(afzender, "Identificatie", PLATFORM_IDENTIFICATIE)
    sub(afzender, "Naam", PLATFORM_NAAM)
    sub(afzender, "Referte", str(uuid.uuid4()))
    caller = vraag.afzender
    if caller.identificatie:  # Ontvanger needs an Identificatie; without one it is left out
        ontvanger = sub(bericht, "Ontvanger")
        sub(ontvanger, "Identificatie", caller.identificatie)
        if caller.referte:
            sub(ontvanger, "Referte", caller.referte)
        if caller.hoedanigheid:
            sub(ontvanger, "Hoedanigheid", caller.hoedanigheid)
    if antwoord is not None:
        referte, inhoud = antwoord
        element = sub(sub(repliek, "Antwoorden"), "Antwoord")
        sub(element, "Referte", referte)
        if inhoud is not None:
            sub(element, "Inhoud").append(inhoud)
        _uitzonderingen(element, antwoord_uitzonderingen, tijdstip)
    _uitzonderingen(repliek, uitzonderingen, tijdstip)
    return repliek


def _tijdstip(ouder: etree._Element, moment: datetime) -> None:
    tijdstip = sub(ouder, "Tijdstip")
    sub(tijdstip, "Datum", moment.date().isoformat())
    sub(tijdstip, "Tijd", moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}")


def _uitzonderingen(
    ouder: etree._Element, uitzonderingen: tuple[Uitzondering, ...], moment: datetime
) -> None:
    if not uitzonderingen:
        return
    lijst = sub(ouder, "Uitzonderingen")
    for u in uitzonderingen:
        element = sub(lijst, "Uitzondering")
        sub(element, "Identificatie", u.identificatie)
        sub(element, "Oorsprong", u.oorsprong)
        sub(element, "Type", u.type)
        _tijdstip(element, moment)
        sub(element, "Diagnose", u.diagnose)
