"""Helpers for the tests: build raw MAGDA requests and read replies, the way a consumer does."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import date
from functools import cache

import requests
from lxml import etree

NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS_DOSSIER = "http://webservice.GeefDossierKBI-01.00.kbi-01.00.vip.vlaanderen.be"
NS_DOSSIER_02 = "http://webservice.GeefDossierKBI-02.00.kbi-02.00.vip.vlaanderen.be"
# The Service-namespace variants of the published contract (generic endpoint only).
NS_DOSSIER_SERVICE = {
    "01.00": "http://service.geefdossierkbidienst.inburgering.vip.vlaanderen.be",
    "02.00": "http://service.geefdossierkbidienst-02_00.inburgering-02_00.vip.vlaanderen.be",
}
NS_ADVIES = "http://webservice.GeefAutomatischAdvies-01.00.kbi-01.00.vip.vlaanderen.be"
PATH_DOSSIER = "/GeefDossierKBIDienst-01.00/soap/WebService"
PATH_DOSSIER_02 = "/GeefDossierKBIDienst-02.00/soap/WebService"
PATH_ADVIES = "/GeefAutomatischAdviesDienst-01.00/soap/WebService"
PATH_GENERIC = "/api/Magda-02.00/soap/WebService"
DOSSIER = {  # version: (namespace, dedicated endpoint)
    "01.00": (NS_DOSSIER, PATH_DOSSIER),
    "02.00": (NS_DOSSIER_02, PATH_DOSSIER_02),
}

AFZENDER = "kbi.test.zorgkas.be"
HOEDANIGHEID = "1234"


def verzoek(
    name: str,
    namespace: str,
    inhoud: str,
    *,
    versie: str = "01.00.0000",
    referte: str | None = None,
    context: str | None = None,
) -> bytes:
    """A MAGDA v2 request envelope with ``inhoud`` as the Vraag's Inhoud; ``context``
    replaces the whole Context when given."""
    referte = referte or str(uuid.uuid4())
    if context is None:
        context = (
            f"<Context><Naam>{name}</Naam><Versie>{versie}</Versie><Bericht>"
            "<Type>VRAAG</Type><Tijdstip><Datum>2024-01-01</Datum><Tijd>10:00:00.000</Tijd>"
            f"</Tijdstip><Afzender><Identificatie>{AFZENDER}</Identificatie>"
            f"<Referte>{referte}</Referte><Hoedanigheid>{HOEDANIGHEID}</Hoedanigheid>"
            "</Afzender></Bericht></Context>"
        )
    return (
        f'<soapenv:Envelope xmlns:soapenv="{NS_SOAP}"><soapenv:Body>'
        f'<web:{name} xmlns:web="{namespace}"><Verzoek>{context}<Vragen><Vraag>'
        f"<Referte>{referte}</Referte><Inhoud>{inhoud}</Inhoud>"
        f"</Vraag></Vragen></Verzoek></web:{name}></soapenv:Body></soapenv:Envelope>"
    ).encode()


def dossier_inhoud(insz: str, mutaties_context: str = "false") -> str:
    """GeefDossierKBI's question as the real contract has it: no Criteria wrapper."""
    return f"<MutatiesContext>{mutaties_context}</MutatiesContext><INSZ>{insz}</INSZ>"


def dossier_verzoek(
    insz: str,
    versie: str = "01.00",
    *,
    namespace: str | None = None,
    mutaties_context: str = "false",
    **kw,
) -> bytes:
    """A GeefDossierKBI request of ``versie``; ``namespace`` for the Service variant."""
    return verzoek(
        "GeefDossierKBI",
        namespace or DOSSIER[versie][0],
        dossier_inhoud(insz, mutaties_context),
        versie=f"{versie}.0000",
        **kw,
    )


def advies_verzoek(insz: str, datum: date | str, toepassing: str | None = None, **kw) -> bytes:
    criteria = f"<INSZ>{insz}</INSZ><Datum>{datum}</Datum>"
    if toepassing:
        criteria += f"<Toepassing>{toepassing}</Toepassing>"
    return verzoek("GeefAutomatischAdvies", NS_ADVIES, f"<Criteria>{criteria}</Criteria>", **kw)


def zeep_verzoek(versie: str, insz: str, referte: str, mutaties_context: bool = True) -> dict:
    """GeefDossierKBI's Verzoek as a zeep client of the served WSDL takes it."""
    return {
        "Context": {
            "Naam": "GeefDossierKBI",
            "Versie": f"{versie}.0000",
            "Bericht": {
                "Type": "VRAAG",
                "Tijdstip": {"Datum": date(2024, 1, 1), "Tijd": "10:00:00.000"},
                "Afzender": {"Identificatie": "gemeente.test", "Referte": referte},
            },
        },
        "Vragen": {
            "Vraag": {
                "Referte": referte,
                "Inhoud": {"MutatiesContext": mutaties_context, "INSZ": insz},
            }
        },
    }


def wsgi_environ(path: str, body: bytes) -> dict:
    """A SOAP POST as a WSGI server hands it to the application (for in-process calls)."""
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "CONTENT_TYPE": "text/xml; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
    }


@dataclass
class Antwoord:
    status: int
    body: bytes
    root: etree._Element | None  # the body's first child: the *Response or a Fault

    @property
    def fault(self) -> str | None:
        if self.root is not None and self.root.tag == f"{{{NS_SOAP}}}Fault":
            return self.root.findtext("faultstring")
        return None

    def uitzonderingen(self) -> list[tuple[str, str, str]]:
        """(Identificatie, Type, Diagnose) of every Uitzondering, Repliek or Antwoord level."""
        if self.root is None:
            return []
        return [
            (u.findtext("Identificatie"), u.findtext("Type"), u.findtext("Diagnose"))
            for u in self.root.iter("Uitzondering")
        ]

    def codes(self) -> list[str]:
        return [code for code, _, _ in self.uitzonderingen()]

    @property
    def advies(self) -> etree._Element | None:
        return self.root.find("Repliek/Antwoorden/Antwoord/Inhoud/Advies")

    @property
    def dossier(self) -> etree._Element | None:
        return self.root.find("Repliek/Antwoorden/Antwoord/Inhoud/KBIDossier")


def post(
    url: str, body: bytes, content_type: str = "text/xml; charset=utf-8", timeout: float = 5
) -> Antwoord:
    response = requests.post(
        url, data=body, headers={"Content-Type": content_type}, timeout=timeout
    )
    return antwoord(response.status_code, response.content)


@cache
def both_paths() -> tuple:
    """Two emulators with today after every persona fact, for calls in this process: the
    direct path's and spyne's. Built when first asked (at import, every xdist worker built
    them while collecting); shared: the tests that take them change no state."""
    from magda_kbi.adapters.app import Settings, make_emulator

    return tuple(make_emulator(Settings(today=date(2030, 1, 1), direct=d)) for d in (True, False))


def in_envelope(element: etree._Element) -> bytes:
    """A SOAP 1.1 envelope with ``element`` (moved there) as its Body's child."""
    envelope = etree.Element(f"{{{NS_SOAP}}}Envelope")
    etree.SubElement(envelope, f"{{{NS_SOAP}}}Body").append(element)
    return etree.tostring(envelope, encoding="UTF-8", xml_declaration=True)


def in_process(app, path: str, body: bytes) -> Antwoord:
    """A SOAP POST to a WSGI application in this process, and its reply."""
    status: list[str] = []
    reply = b"".join(app(wsgi_environ(path, body), lambda s, h, e=None: status.append(s)))
    return antwoord(int(status[0].split()[0]), reply)


def antwoord(status: int, body: bytes) -> Antwoord:
    """A reply as the tests read it, whichever way it came (HTTP or in-process)."""
    root = None
    try:
        envelope = etree.fromstring(body)
        root = envelope.find(f"{{{NS_SOAP}}}Body/*")
    except etree.XMLSyntaxError:
        pass
    return Antwoord(status, body, root)
