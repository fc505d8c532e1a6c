"""SOAP 1.1 envelopes: the one reading of a request's (:func:`read_envelope`), and those the
emulator writes itself, byte for byte in spyne's shape.

The direct path (see :mod:`magda_kbi.adapters.app`) and our own Faults use these, so a consumer
sees the same envelope whichever way a request went.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from lxml import etree

from magda_kbi.wire.xml import NS_SOAP11, NS_WSSE, safe_parser

PREFIX = "soap11env"  # spyne's prefix for the SOAP 1.1 envelope namespace
NS_SOAP12 = "http://www.w3.org/2003/05/soap-envelope"


class EnvelopeRefusal(NamedTuple):
    """Why a body is no SOAP 1.1 request: a Fault's ``faultcode`` and ``faultstring``."""

    code: str
    text: str


NO_BODY = EnvelopeRefusal("Client", "Verwacht een SOAP 1.1 Envelope met een Body")
# Never read (no entities, no DTD loading), and refused: nothing MAGDA sends has one.
DTD = EnvelopeRefusal("Client.DTD", "Een DTD (<!DOCTYPE>) is niet toegelaten in een verzoek")
# The Header entries the services process: WS-Security's, which a signing consumer sends
# (checked with serve --verify-signatures). SOAP 1.1 (4.2.3, 4.4.1): an entry marked
# mustUnderstand that the receiver does not process gets a MustUnderstand Fault: a stack that
# passed it over (spyne did) let a consumer's mistake through to the platform.
UNDERSTOOD = frozenset({f"{{{NS_WSSE}}}Security"})
HEADER = f"{{{NS_SOAP11}}}Header"
MUST_UNDERSTAND = f"{{{NS_SOAP11}}}mustUnderstand"
ACTOR = f"{{{NS_SOAP11}}}actor"
ACTOR_NEXT = "http://schemas.xmlsoap.org/soap/actor/next"


def read_envelope(
    body: bytes, charset: str | None = None
) -> tuple[etree._Element, etree._Element] | EnvelopeRefusal:
    """The request's Envelope and the one element in its Body, or why there is none.

    One reading for every endpoint, before any service: spyne's own (English) faults for
    these differed by endpoint, and an empty Body made spyne fail ("Interne fout").
    ``charset``: the Content-Type's, for a body that is not UTF-8 and does not say what it
    is (``charset=iso-8859-1`` and Latin-1 bytes: spyne read those, and so does this)."""
    try:
        envelope = etree.fromstring(body, safe_parser())
    except etree.XMLSyntaxError as error:
        envelope = _in_charset(charset, body)
        if envelope is None:
            # error.msg: without lxml's placeholder for a file name, "(<string>, line 1)"
            return EnvelopeRefusal(
                "Client", f"Het verzoek is geen geldige XML: {_dutch(error.msg)}"
            )
    if envelope.getroottree().docinfo.doctype:
        return DTD
    if envelope.tag != f"{{{NS_SOAP11}}}Envelope":
        name = etree.QName(envelope)
        if name.localname != "Envelope":
            return NO_BODY
        # another SOAP's Envelope: SOAP 1.1 (4.4.1) names that fault VersionMismatch
        text = f"Verwacht een SOAP 1.1 Envelope (namespace {NS_SOAP11})"
        if name.namespace == NS_SOAP12:
            text += ": SOAP 1.2 wordt niet ondersteund"
        else:
            text += f", niet namespace {(name.namespace or '')[:200]!r}"
        return EnvelopeRefusal("VersionMismatch", text)
    for child in envelope:  # Header and Body (0.7 us a request; a find() for Header 2.3)
        if child.tag == HEADER and (refusal := _not_understood(child)) is not None:
            return refusal
    operations = envelope.findall(f"{{{NS_SOAP11}}}Body/*")
    if not operations:
        return NO_BODY
    if len(operations) > 1:  # document/literal: one; the others were passed over unanswered
        names = ", ".join(etree.QName(o).localname[:100] for o in operations[:3])
        more = ", ..." if len(operations) > 3 else ""
        return EnvelopeRefusal(
            "Client",
            f"De Body bevat {len(operations)} elementen ({names}{more}): één verzoek per bericht",
        )
    return envelope, operations[0]


def _not_understood(header: etree._Element) -> EnvelopeRefusal | None:
    """A Header entry for this receiver (no ``actor``, or SOAP's "next") that must be
    understood and is not; or a ``mustUnderstand`` that is neither 0 nor 1."""
    for entry in header:  # elements only: the safe parser drops comments and PIs
        value = entry.get(MUST_UNDERSTAND)
        if value is None:
            continue
        name = etree.QName(entry)
        shown = name.localname[:100]
        if name.namespace:
            shown = f"{{{name.namespace[:200]}}}{shown}"
        value = value.strip()
        # SOAP 1.1 has 0 and 1; true and false are what many stacks write and read as such
        if value not in ("0", "1", "true", "false"):
            return EnvelopeRefusal(
                "Client",
                f"Header-element {shown}: mustUnderstand moet 0 of 1 zijn, niet {value[:50]!r}",
            )
        actor = entry.get(ACTOR)
        for_us = actor is None or actor.strip() == ACTOR_NEXT
        if value in ("1", "true") and for_us and entry.tag not in UNDERSTOOD:
            return EnvelopeRefusal(
                "MustUnderstand",
                f'Header-element {shown} heeft mustUnderstand="{value}" en wordt hier niet'
                " verwerkt (alleen wsse:Security van WS-Security): laat het weg of zet"
                " mustUnderstand op 0",
            )
    return None


# libxml2's words for the mistakes a hand-written or cut-off request makes, in Dutch as the
# rest of the faultstring (it read "geen geldige XML: Extra content at the end of the
# document"); another is kept as libxml2 says it, marked as such.
_SYNTAX_ERRORS = tuple(
    (re.compile(pattern), dutch)
    for pattern, dutch in (
        (r"Document is empty", "het is leeg"),
        (r"Start tag expected, '<' not found", "het begint niet met een element ('<')"),
        (
            r"Premature end of data in tag (\S+) line (\d+)",
            "het houdt op in element '{0}' (geopend op regel {1})",
        ),
        (
            r"Opening and ending tag mismatch: (\S+) line (\d+) and (\S+)",
            "de eindtag '{2}' sluit element '{0}' (geopend op regel {1}) niet",
        ),
        (
            r"Extra content at the end of the document",
            "na het einde van het document staat nog inhoud",
        ),
        (r"xmlParseEntityRef: no name|EntityRef: expecting ';'", "een losse & (schrijf &amp;)"),
        (r"Entity '([^']+)' not defined", "entiteit &{0}; is niet gedefinieerd"),
        (r"AttValue: \" or ' expected", "een attribuutwaarde staat niet tussen aanhalingstekens"),
        (r"Attribute (\S+) redefined", "attribuut '{0}' staat twee keer in één element"),
        (
            # the second: libxml2 before 2.13 (lxml 5.0, the oldest the package takes)
            r"Invalid bytes in character encoding"
            r"|Input is not proper UTF-8, indicate encoding !\s*Bytes:[ 0-9A-Fx]*",
            "bytes die geen tekens zijn in de tekenset (UTF-8, tenzij de XML-declaratie of"
            " Content-Type een andere noemt)",
        ),
        (
            r"Namespace prefix (\S+) on (\S+) is not defined",
            "namespaceprefix '{0}' van element '{1}' is niet gedeclareerd",
        ),
        (
            r"Couldn't find end of Start Tag (\S+) line (\d+)",
            "de begintag van '{0}' (regel {1}) is niet afgesloten",
        ),
    )
)
_POSITION = re.compile(r"\s*, line (\d+), column (\d+)$")


def _dutch(message: str) -> str:
    """lxml's syntax error in Dutch, with its place: 'regel 1, kolom 4'."""
    place = _POSITION.search(message)
    core = message[: place.start()] if place else message
    where_ = f", regel {place[1]}, kolom {place[2]}" if place else ""
    for pattern, template in _SYNTAX_ERRORS:
        if match := pattern.fullmatch(core.strip()):
            return template.format(*match.groups()) + where_
    return f"{core.strip()}{where_} (libxml2)"


def reply_envelope(namespace: str, naam: str, repliek: etree._Element) -> bytes:
    """``<soap11env:Envelope><soap11env:Body><tns:{naam}Response><Repliek>...``."""
    envelope = etree.Element(
        f"{{{NS_SOAP11}}}Envelope", nsmap={PREFIX: NS_SOAP11, "tns": namespace}
    )
    antwoord = etree.SubElement(
        etree.SubElement(envelope, f"{{{NS_SOAP11}}}Body"), f"{{{namespace}}}{naam}Response"
    )
    antwoord.append(repliek)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def soap_fault(faultcode: str, faultstring: str, code_namespace: str | None = None) -> bytes:
    """``faultcode`` is ``Client`` (the request is wrong), ``Server`` (the platform failed)
    or ``VersionMismatch`` (no SOAP 1.1 Envelope); or one of ``code_namespace``, bound to
    the prefix ``wsse`` (WS-Security's codes, such as ``FailedCheck``)."""
    nsmap = {PREFIX: NS_SOAP11, **({"wsse": code_namespace} if code_namespace else {})}
    envelope = etree.Element(f"{{{NS_SOAP11}}}Envelope", nsmap=nsmap)
    fault = etree.SubElement(
        etree.SubElement(envelope, f"{{{NS_SOAP11}}}Body"), f"{{{NS_SOAP11}}}Fault"
    )
    prefix = "wsse" if code_namespace else PREFIX
    etree.SubElement(fault, "faultcode").text = f"{prefix}:{faultcode}"
    etree.SubElement(fault, "faultstring").text = faultstring
    etree.SubElement(fault, "faultactor").text = ""
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _in_charset(charset: str | None, body: bytes) -> etree._Element | None:
    """``body`` read in ``charset``, if that makes it XML."""
    if not charset or charset.lower().replace("-", "") == "utf8":
        return None
    try:
        return etree.fromstring(body, safe_parser(charset))
    except (LookupError, ValueError, etree.XMLSyntaxError):  # no such charset, or not XML
        return None
