"""SOAP 1.1 envelopes the emulator writes itself, byte for byte in spyne's shape.

The direct path (see :mod:`magda_kbi.adapters.app`) and our own Faults use these, so a consumer
sees the same envelope whichever way a request went.
"""

from __future__ import annotations

from lxml import etree

from magda_kbi.wire.xml import NS_SOAP11

PREFIX = "soap11env"  # spyne's prefix for the SOAP 1.1 envelope namespace


def antwoord_envelop(namespace: str, naam: str, repliek: etree._Element) -> bytes:
    """``<soap11env:Envelope><soap11env:Body><tns:{naam}Response><Repliek>...``."""
    envelope = etree.Element(
        f"{{{NS_SOAP11}}}Envelope", nsmap={PREFIX: NS_SOAP11, "tns": namespace}
    )
    antwoord = etree.SubElement(
        etree.SubElement(envelope, f"{{{NS_SOAP11}}}Body"), f"{{{namespace}}}{naam}Response"
    )
    antwoord.append(repliek)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def soap_fault(faultcode: str, faultstring: str) -> bytes:
    """``faultcode`` is ``Client`` (the request is wrong) or ``Server`` (the platform failed)."""
    envelope = etree.Element(f"{{{NS_SOAP11}}}Envelope", nsmap={PREFIX: NS_SOAP11})
    fault = etree.SubElement(
        etree.SubElement(envelope, f"{{{NS_SOAP11}}}Body"), f"{{{NS_SOAP11}}}Fault"
    )
    etree.SubElement(fault, "faultcode").text = f"{PREFIX}:{faultcode}"
    etree.SubElement(fault, "faultstring").text = faultstring
    etree.SubElement(fault, "faultactor").text = ""
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
