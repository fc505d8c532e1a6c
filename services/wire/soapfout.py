"""SOAP 1.1 Faults the emulator writes itself (outside spyne): for what is no MAGDA message."""

from __future__ import annotations

from lxml import etree

from .xml import NS_SOAP11


def soap_fault(faultcode: str, faultstring: str) -> bytes:
    """``faultcode`` is ``Client`` (the request is wrong) or ``Server`` (the platform failed)."""
    envelope = etree.Element(f"{{{NS_SOAP11}}}Envelope", nsmap={"soapenv": NS_SOAP11})
    fault = etree.SubElement(
        etree.SubElement(envelope, f"{{{NS_SOAP11}}}Body"), f"{{{NS_SOAP11}}}Fault"
    )
    etree.SubElement(fault, "faultcode").text = f"soapenv:{faultcode}"
    etree.SubElement(fault, "faultstring").text = faultstring
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
