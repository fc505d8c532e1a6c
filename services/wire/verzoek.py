"""Requests as a consumer sends them, for the console's "try a request" and preview.

The same MAGDA v2 frame the real contract asks (``Verzoek/{Context, Vragen/Vraag}``); the
Inhoud per service: GeefDossierKBI ``{MutatiesContext, INSZ}``, GeefAutomatischAdvies
``Criteria/{INSZ, Datum, Toepassing}``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

from magda_kbi.wire.bericht import ServiceContract, tijd_van
from magda_kbi.wire.xml import NS_SOAP11, sub


@dataclass(frozen=True)
class Vraag:
    """What a person fills in to ask one of the services."""

    insz: str
    afzender: str
    hoedanigheid: str
    datum: date | None = None  # GeefAutomatischAdvies only
    toepassing: str | None = None  # GeefAutomatischAdvies only
    mutaties_context: bool = True  # GeefDossierKBI only; the XSD's default


def build_verzoek(
    contract: ServiceContract, vraag: Vraag, tijdstip: datetime, referte: str | None = None
) -> bytes:
    """A SOAP 1.1 envelope with the Verzoek for ``contract`` (pretty-printed: people read it)."""
    referte = referte or str(uuid.uuid4())
    envelope = etree.Element(f"{{{NS_SOAP11}}}Envelope", nsmap={"soapenv": NS_SOAP11})
    body = etree.SubElement(envelope, f"{{{NS_SOAP11}}}Body")
    operatie = etree.SubElement(body, contract.operation_tag, nsmap={"web": contract.namespace})
    verzoek = sub(operatie, "Verzoek")
    context = sub(verzoek, "Context")
    sub(context, "Naam", contract.naam)
    sub(context, "Versie", contract.versie)
    bericht = sub(context, "Bericht")
    sub(bericht, "Type", "VRAAG")
    moment = sub(bericht, "Tijdstip")
    sub(moment, "Datum", tijdstip.date().isoformat())
    sub(moment, "Tijd", tijd_van(tijdstip))
    afzender = sub(bericht, "Afzender")
    sub(afzender, "Identificatie", vraag.afzender)
    sub(afzender, "Referte", referte)
    sub(afzender, "Hoedanigheid", vraag.hoedanigheid)
    v = sub(sub(verzoek, "Vragen"), "Vraag")
    sub(v, "Referte", referte)
    inhoud = sub(v, "Inhoud")
    if contract.naam == "GeefAutomatischAdvies":
        criteria = sub(inhoud, "Criteria")
        sub(criteria, "INSZ", vraag.insz)
        sub(criteria, "Datum", (vraag.datum or tijdstip.date()).isoformat())
        if vraag.toepassing:
            sub(criteria, "Toepassing", vraag.toepassing)
    else:
        sub(inhoud, "MutatiesContext", "true" if vraag.mutaties_context else "false")
        sub(inhoud, "INSZ", vraag.insz)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8", pretty_print=True)
