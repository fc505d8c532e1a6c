"""The MAGDA v2 message frame shared by every service: Verzoek in, Repliek out.

``read_context`` reads what a Verzoek says about its sender; ``build_repliek`` writes
the reply frame (Context with the platform as Afzender and the caller echoed as
Ontvanger, then Antwoorden/Antwoord or Uitzonderingen), in the shape of the real
platform's samples.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from magda_kbi.domain.clock import PLATFORM_ZONE
from magda_kbi.wire.xml import sub

PLATFORM_IDENTIFICATIE = "vip.vlaanderen.be"
PLATFORM_NAAM = "MagdaGateway"


@dataclass(frozen=True)
class ServiceContract:
    """One way a MAGDA service is asked: Context/Naam + Versie, the operation element's
    namespace and our XSD for it; ``path`` and ``wsdl`` for a service with its own endpoint
    (the Service-namespace variants are reached through the generic endpoint only)."""

    naam: str
    versie: str
    namespace: str
    xsd: str
    insz_path: str  # where the question's INSZ is, below Verzoek
    path: str | None = None
    wsdl: str | None = None

    @property
    def operation_tag(self) -> str:
        return f"{{{self.namespace}}}{self.naam}"

    @property
    def major_version(self) -> str:
        """``01.00`` for ``01.00.0000``: what decides the rendering."""
        return self.versie[:5]


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


_AFZENDER = {"Identificatie": "Afzender/Identificatie", "Hoedanigheid": "Afzender/Hoedanigheid"}


def read_context(verzoek: etree._Element | None) -> Context:
    """What the Verzoek's Context says of the service asked and its sender; missing parts
    are None (validation says why).

    A walk over the children: this runs for every request, and it is several times faster
    than a path lookup per field.
    """
    values: dict[str, str | None] = {}
    context = verzoek.find("Context") if verzoek is not None else None
    # only the values read below: Tijdstip, Ontvanger and Annotaties are not looked into
    for kind in context if context is not None else ():
        if kind.tag == "Bericht":
            for part in kind:
                if part.tag == "Afzender":
                    for field in part:
                        if field.tag == "Referte":  # echoed as sent
                            values["Afzender/Referte"] = _exact(field) or None
                        elif field.tag in _AFZENDER:
                            values[_AFZENDER[field.tag]] = _text(field)
                elif part.tag == "Type":
                    values["Type"] = _text(part)
        elif kind.tag in ("Naam", "Versie"):
            values[kind.tag] = _text(kind)
    return Context(
        naam=values.get("Naam"),
        versie=values.get("Versie"),
        bericht_type=values.get("Type"),
        afzender=Afzender(
            identificatie=values.get("Afzender/Identificatie"),
            referte=values.get("Afzender/Referte"),
            hoedanigheid=values.get("Afzender/Hoedanigheid"),
        ),
    )


def _text(element: etree._Element) -> str | None:
    return _exact(element).strip() or None


def _exact(element: etree._Element) -> str:
    # the element's whole text: .text stops at a comment ("ab<!---->cd" read "ab"); a leaf's
    # .text is all of it, read without itertext (which took 3 times as long)
    if len(element) == 0:  # no child, not even a comment
        return element.text or ""
    return "".join(element.itertext())


def build_repliek(
    naam: str,
    versie: str,
    vraag: Context,
    tijdstip: datetime,
    *,
    antwoord: tuple[str, etree._Element | None] | None = None,
    uitzonderingen: tuple[Uitzondering, ...] = (),
    antwoord_uitzonderingen: tuple[Uitzondering, ...] = (),
    tijd: str | None = None,
    platform_referte: str | None = None,
) -> etree._Element:
    """A Repliek: ``antwoord`` is (Vraag Referte, Inhoud child or None).

    ``tijd`` and ``platform_referte`` default to now and a fresh UUID; a reply template
    (:mod:`magda_kbi.runtime.reply_templates`) passes placeholders instead."""
    tijd = tijd or tijd_van(tijdstip)
    repliek = etree.Element("Repliek")
    context = sub(repliek, "Context")
    sub(context, "Naam", naam)
    sub(context, "Versie", versie)
    bericht = sub(context, "Bericht")
    sub(bericht, "Type", "ANTWOORD")
    _tijdstip(bericht, tijdstip, tijd)
    afzender = sub(bericht, "Afzender")
    sub(afzender, "Identificatie", PLATFORM_IDENTIFICATIE)
    sub(afzender, "Naam", PLATFORM_NAAM)
    sub(afzender, "Referte", platform_referte or new_referte())
    caller = vraag.afzender
    # Ontvanger needs an Identificatie; without one (or one that does not fit) it is left out
    if _fits(caller.identificatie, IDENTIFICATIE_MAX):
        ontvanger = sub(bericht, "Ontvanger")
        sub(ontvanger, "Identificatie", caller.identificatie)
        if _fits(caller.referte, REFERTE_MAX):
            sub(ontvanger, "Referte", caller.referte)
        if _fits(caller.hoedanigheid, HOEDANIGHEID_MAX):
            sub(ontvanger, "Hoedanigheid", caller.hoedanigheid)
    if antwoord is not None:
        referte, inhoud = antwoord
        element = sub(sub(repliek, "Antwoorden"), "Antwoord")
        sub(element, "Referte", referte)
        if inhoud is not None:
            sub(element, "Inhoud").append(inhoud)
        _uitzonderingen(element, antwoord_uitzonderingen, tijdstip, tijd)
    _uitzonderingen(repliek, uitzonderingen, tijdstip, tijd)
    return repliek


# What the contract lets an Ontvanger hold (generiek ApplicatieIdentificatieType,
# ReferteType, NaamKortType). A refused request's Afzender may hold more, which is why it
# was refused: such a value is not echoed, so that the refusal itself fits the contract.
IDENTIFICATIE_MAX, REFERTE_MAX, HOEDANIGHEID_MAX = 120, 36, 24


def _fits(value: str | None, maximum: int) -> bool:
    return value is not None and 0 < len(value) <= maximum


def tijd_van(moment: datetime) -> str:
    """The time of day as MAGDA writes it: HH:MM:SS.mmm (strftime cost 4.2 us a call, a
    format by hand 1.4 us, isoformat 0.6 us; its milliseconds are cut, not rounded)."""
    return moment.time().isoformat("milliseconds")


# The last second whose time of day was written, and how: (seconds since the epoch, text)
_written: tuple[int, str] = (-1, "")
_MILLIS = tuple(f".{n:03d}" for n in range(1000))


def time_now() -> str:
    """Now's time of day as MAGDA writes it, as ``tijd_van(Clock.now())`` does (the
    platform's time, milliseconds cut): every reply of a template needs it, and from a
    datetime it cost 1.2 us; with the part up to the second kept for that second, 0.55 us."""
    global _written
    second, ns = divmod(time.time_ns(), 1_000_000_000)
    kept = _written
    if kept[0] != second:  # a tuple, replaced whole: safe with threads
        moment = datetime.fromtimestamp(second, PLATFORM_ZONE)
        kept = _written = (second, moment.strftime("%H:%M:%S"))
    return kept[1] + _MILLIS[ns // 1_000_000]


_bits = random.getrandbits  # the random module reseeds itself in a forked child
# Version 4 and the RFC 4122 variant, set on the number (bits 76-79 and 62-63)
_RANDOM_BITS = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)
_VERSION_AND_VARIANT = (0x4 << 76) | (0x2 << 62)


def new_referte() -> str:
    """The platform's Referte of a reply: a random UUID (version 4, RFC 4122 variant), as
    ``str(uuid.uuid4())`` writes it (5.2 us; 2.3 us formatting the number and setting the
    variant digit in the text, 1.2 us with both set on the number and written by
    ``bytes.hex``). The bits come from the process's Mersenne Twister (seeded from the
    system, again in a forked child), not a system call per reply: a Referte must be
    unique, not unpredictable."""
    h = (_bits(128) & _RANDOM_BITS | _VERSION_AND_VARIANT).to_bytes(16).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _tijdstip(parent: etree._Element, moment: datetime, tijd: str) -> None:
    tijdstip = sub(parent, "Tijdstip")
    sub(tijdstip, "Datum", moment.date().isoformat())
    sub(tijdstip, "Tijd", tijd)


def _uitzonderingen(
    parent: etree._Element, uitzonderingen: tuple[Uitzondering, ...], moment: datetime, tijd: str
) -> None:
    if not uitzonderingen:
        return
    container = sub(parent, "Uitzonderingen")
    for u in uitzonderingen:
        element = sub(container, "Uitzondering")
        sub(element, "Identificatie", u.identificatie)
        sub(element, "Oorsprong", u.oorsprong)
        sub(element, "Type", u.type)
        _tijdstip(element, moment, tijd)
        sub(element, "Diagnose", u.diagnose)
