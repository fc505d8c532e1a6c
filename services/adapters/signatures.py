"""WS-Security X.509 signatures checked, with ``serve --verify-signatures``.

A consumer that signs its requests (as ``magda_client.Signing`` does, or a Java or .NET
stack) learns here whether its signatures hold, before it has a connection to the platform:
the Body must be signed, the signature must verify with the X.509 certificate the request
carries, nothing may have changed after signing, and a Timestamp, if there is one, must
not have expired nor be created in the future. Whose certificate it is, is not checked (the
platform knows its consumers' certificates; the emulator does not).

The platform's exact Fault for a bad signature is not public: these are WS-Security 1.1's
own fault codes (SOAP Message Security, section 12), as standard stacks send them.
xmlsec (the ``signing`` extra) is imported only when the option is on.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from lxml import etree

from magda_kbi.wire.xml import NS_SOAP11, NS_WSSE

NS_WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
WSU_ID = f"{{{NS_WSU}}}Id"
# How far a Timestamp's Created may lie ahead of the emulator's clock: .NET's default
# (WSS4J allows 60 s); a consumer's clock a few minutes off is no error of its message
CLOCK_SKEW = timedelta(minutes=5)
# A signed request references a few elements (Body, Timestamp, a WS-Addressing header or
# so); xmlsec's check grows faster than their number (2,001 references to the Body of an
# advice request: 6.8 s, 5,001: 42 s), which a request of --max-bytes could otherwise ask.
MAX_REFERENCES = 32
_TRANSFORMS = (
    "TransformExclC14N",
    "TransformExclC14NWithComments",
    "TransformInclC14N",
    "TransformInclC14NWithComments",
    "TransformInclC14N11",
    "TransformEnveloped",
    # digests count as reference transforms to xmlsec
    "TransformSha1",
    "TransformSha224",
    "TransformSha256",
    "TransformSha384",
    "TransformSha512",
)


class SignatureRefusal(NamedTuple):
    """A WS-Security fault code (``InvalidSecurity``, ``InvalidSecurityToken``,
    ``FailedCheck``, ``MessageExpired``) and the faultstring."""

    code: str
    text: str


def xmlsec_unavailable() -> str | None:
    """Why signatures cannot be checked here, or None: said when ``serve`` starts."""
    try:
        import xmlsec  # noqa: F401
    except ImportError:
        return "--verify-signatures needs xmlsec: pip install 'magda-kbi-emulator[signing]'"
    except Exception as error:  # noqa: BLE001 - xmlsec's own InternalError, said in one line
        # xmlsec refuses to load beside an lxml built with another libxml2 (lxml 5.0 with
        # xmlsec 1.3.17, say): a traceback from serve and the pytest plugin before
        reason = error.args[-1] if error.args and isinstance(error.args[-1], str) else error
        return (
            f"--verify-signatures cannot use xmlsec: {reason} (lxml here is built with libxml2"
            f" {'.'.join(map(str, etree.LIBXML_VERSION))}, xmlsec must be built with the same:"
            " pip install -U lxml xmlsec)"
        )
    return None


def signature_refusal(envelope: etree._Element, now: datetime) -> SignatureRefusal | None:
    """Why the request's signature does not hold, or None when it does; ``now``, in UTC,
    for a ``wsu:Timestamp``'s ``Created`` and ``Expires``."""
    import xmlsec

    header = envelope.find(f"{{{NS_SOAP11}}}Header")
    security = header.find(f"{{{NS_WSSE}}}Security") if header is not None else None
    signature = security.find(f"{{{NS_DS}}}Signature") if security is not None else None
    if signature is None:
        return SignatureRefusal(
            "InvalidSecurity",
            "Het verzoek is niet ondertekend: verwacht een wsse:Security met een ds:Signature"
            " in de Header",
        )
    references = [
        (reference.get("URI") or "")
        for reference in signature.iterfind(f"{{{NS_DS}}}SignedInfo/{{{NS_DS}}}Reference")
    ]
    if len(references) > MAX_REFERENCES:
        return SignatureRefusal(
            "InvalidSecurity",
            f"ds:SignedInfo heeft {len(references)} ds:Reference: meer dan {MAX_REFERENCES}"
            " wordt niet nagekeken",
        )
    body = envelope.find(f"{{{NS_SOAP11}}}Body")
    body_id = body.get(WSU_ID) if body is not None else None
    if body_id is None or f"#{body_id}" not in references:
        return SignatureRefusal(
            "FailedCheck", "De handtekening dekt de Body niet: geen ds:Reference naar zijn wsu:Id"
        )
    context = xmlsec.SignatureContext()
    by_id: dict[str, list[etree._Element]] = {}  # one pass over the message
    for element in envelope.xpath("//*[@wsu:Id]", namespaces={"wsu": NS_WSU}):
        by_id.setdefault(element.get(WSU_ID), []).append(element)
    for reference in dict.fromkeys(references):  # each once, in their order
        # each signed element by its wsu:Id, once: a second element with the Body's Id (a
        # signed copy moved elsewhere, the real Body changed) is refused, not guessed at
        found = by_id.get(reference[1:], []) if reference.startswith("#") else []
        if len(found) != 1:
            return SignatureRefusal(
                "FailedCheck",
                f"ds:Reference URI {reference[:100]!r}: verwacht '#' en de wsu:Id van precies"
                " één element van het bericht",
            )
        context.register_id(found[0], "Id", NS_WSU)
    certificate = _certificate(security, signature)
    if certificate is None:
        return SignatureRefusal(
            "InvalidSecurityToken",
            "Geen X.509-certificaat bij de handtekening: verwacht een ds:X509Certificate in"
            " ds:KeyInfo of een wsse:BinarySecurityToken waarnaar die verwijst",
        )
    try:
        context.key = xmlsec.Key.from_memory(certificate, xmlsec.constants.KeyDataFormatCertDer)
    except xmlsec.Error:
        return SignatureRefusal(
            "InvalidSecurityToken", "Het certificaat bij de handtekening is geen X.509-certificaat"
        )
    # Only what signed SOAP messages use: no XSLT or XPath transform from a stranger's message
    for name in _TRANSFORMS:
        context.enable_reference_transform(getattr(xmlsec.constants, name))
    try:
        context.verify(signature)
    except xmlsec.Error:
        return SignatureRefusal(
            "FailedCheck",
            "De handtekening klopt niet: het bericht is na het ondertekenen gewijzigd, of"
            " ondertekend met een andere sleutel dan die van het certificaat",
        )
    return _timestamp_refusal(security, now)


def _timestamp_refusal(security: etree._Element, now: datetime) -> SignatureRefusal | None:
    """A Timestamp is not asked for; one that has expired is refused, as WS-Security
    processors do (a consumer whose clock is behind, or a message sent again later), and so
    is one created later than now and the skew clocks are allowed (a clock ahead, or local
    time written with UTC's Z: an hour or two ahead in Belgium)."""
    timestamp = security.find(f"{{{NS_WSU}}}Timestamp")
    if timestamp is None:
        return None
    moments = {}
    for name in ("Created", "Expires"):
        text = timestamp.findtext(f"{{{NS_WSU}}}{name}")
        if text is None:
            continue
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            return SignatureRefusal(
                "InvalidSecurity", f"wsu:Timestamp/wsu:{name} {text[:40]!r} is geen xs:dateTime"
            )
        # WS-Security writes UTC, with its Z
        moments[name] = (moment if moment.tzinfo else moment.replace(tzinfo=UTC), text.strip())
    at = now.astimezone(UTC).isoformat(timespec="seconds")
    if "Expires" in moments and moments["Expires"][0] < now:
        return SignatureRefusal(
            "MessageExpired",
            f"Het bericht is verlopen: wsu:Timestamp/wsu:Expires {moments['Expires'][1]} ligt"
            f" voor {at}",
        )
    if "Created" in moments and moments["Created"][0] > now + CLOCK_SKEW:
        return SignatureRefusal(
            "MessageExpired",
            f"Het bericht is nog niet geldig: wsu:Timestamp/wsu:Created"
            f" {moments['Created'][1]} ligt meer dan {CLOCK_SKEW.seconds // 60} minuten na"
            f" {at}",
        )
    return None


def _certificate(security: etree._Element, signature: etree._Element) -> bytes | None:
    """The DER of the signing certificate: in KeyInfo (zeep's ``Signature``), or the
    BinarySecurityToken KeyInfo refers to (zeep's ``BinarySignature``, most Java stacks)."""
    key_info = signature.find(f"{{{NS_DS}}}KeyInfo")
    if key_info is None:
        return None
    text = key_info.findtext(f".//{{{NS_DS}}}X509Certificate")
    if text is None:
        reference = key_info.find(f".//{{{NS_WSSE}}}Reference")
        uri = reference.get("URI", "") if reference is not None else ""
        token = next(
            (
                t
                for t in security.iterfind(f"{{{NS_WSSE}}}BinarySecurityToken")
                if f"#{t.get(WSU_ID)}" == uri
            ),
            None,
        )
        text = token.text if token is not None else None
    try:
        return base64.b64decode("".join((text or "").split()), validate=True) or None
    except (binascii.Error, ValueError):
        return None
