"""Reads a MAGDA reply frame: SOAP Fault, Uitzonderingen (Repliek or Antwoord level), Referte."""

from __future__ import annotations

from lxml import etree

from .errors import (
    DossierNietGevonden,
    GeenMachtiging,
    MagdaFout,
    MagdaTransportFout,
    OngeldigVerzoek,
    TeVeelBevragingen,
)
from .results import Uitzondering, read_uitzondering, text_of

NS_SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
MAX_REPLY_BYTES = 16 * 1024 * 1024  # the transport reads no more (client.py)

ERROR_CLASSES: dict[str, type[MagdaFout]] = {
    "30001": DossierNietGevonden,
    "99996": TeVeelBevragingen,
    "99995": TeVeelBevragingen,
    "13001": GeenMachtiging,
    # the emulator's codes for invalid requests (see the emulator's README)
    "40001": OngeldigVerzoek,
    "40002": OngeldigVerzoek,
    "40003": OngeldigVerzoek,
    "40004": OngeldigVerzoek,
}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)


def read_repliek(
    status: int, body: bytes, referte: str, inhoud: str
) -> tuple[etree._Element | None, tuple[Uitzondering, ...]]:
    """The Inhoud child named ``inhoud`` and the non-FOUT Uitzonderingen, or a typed error."""
    try:
        envelope = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as error:
        message = (
            f"unreadable reply (HTTP 200): {error.msg}; {_begin(body)}"
            if status == 200
            else f"HTTP {status} without a SOAP reply; {_begin(body)}"
        )
        raise MagdaTransportFout(message, status=status) from None
    soap_body = envelope.find(f"{{{NS_SOAP11}}}Body")
    operation = soap_body[0] if soap_body is not None and len(soap_body) else envelope
    if operation.tag == f"{{{NS_SOAP11}}}Fault":
        fault = f"{text_of(operation, 'faultcode')}: {text_of(operation, 'faultstring')}"
        raise MagdaTransportFout(f"SOAP Fault (HTTP {status}): {fault}", status=status, fault=fault)
    repliek = operation.find("Repliek")
    if repliek is None:
        raise MagdaTransportFout(
            f"no MAGDA Repliek in the reply (HTTP {status}); {_begin(body)}", status=status
        )
    if status != 200:
        raise MagdaTransportFout(f"HTTP {status} with a MAGDA Repliek", status=status)
    response = repliek.find("Antwoorden/Antwoord")
    _check_referte(repliek, response, referte)
    uitzonderingen = tuple(
        read_uitzondering(u)
        for u in (
            *repliek.iterfind("Uitzonderingen/Uitzondering"),
            *(response.iterfind("Uitzonderingen/Uitzondering") if response is not None else ()),
        )
    )
    for u in uitzonderingen:
        if u.type == "FOUT":
            error_class = ERROR_CLASSES.get(u.code or "", MagdaFout)
            raise error_class(u.diagnose or "", code=u.code, oorsprong=u.oorsprong, type=u.type)
    element = response.find(f"Inhoud/{inhoud}") if response is not None else None
    if element is None:
        raise MagdaTransportFout(f"a reply without Inhoud/{inhoud} and without a FOUT")
    return element, uitzonderingen


def _begin(body: bytes, chars: int = 200) -> str:
    """How a reply that is no MAGDA reply begins (a gateway's error page, a maintenance
    notice), whitespace folded: what it was says more than why a parser refused it."""
    if not body:
        return "an empty body"
    begin = " ".join(body[: chars * 4].decode("utf-8", "replace").split())[:chars]
    return f"it begins: {begin!r} ({len(body)} bytes)"


def _check_referte(repliek: etree._Element, response: etree._Element | None, referte: str) -> None:
    """The platform echoes our Referte: an answer to another question must not be used."""
    echo = {
        "Antwoord/Referte": text_of(response, "Referte"),
        "Context/Bericht/Ontvanger/Referte": text_of(repliek, "Context/Bericht/Ontvanger/Referte"),
    }
    for path, value in echo.items():
        if value is not None and value != referte:
            raise MagdaTransportFout(
                f"{path} is {value!r}, expected {referte!r}: this reply answers another question"
            )
