"""The MAGDA services the emulator offers, one class each, and the hub that routes to them.

A service takes the operation element of a request (``GeefDossierKBI`` with its
``Verzoek``) and returns a ``Repliek`` element. Everything that can go wrong with a
MAGDA message is answered as MAGDA does, with an Uitzondering; only a persona that
stands for a platform failure raises :class:`PlatformFout` (a SOAP Fault on the wire).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from .advies import Termijnen, geef_advies
from .dossier import Persona
from .insz import modulo97_geldig
from .klok import Klok
from .wire import advies as advies_wire
from .wire import dossier_kbi as dossier_wire
from .wire.bericht import Context, Uitzondering, bouw_repliek, lees_context
from .wire.xml import schema, tekst

# Stable Uitzondering codes. 30001 and 99996 are the real platform's; the 4xxxx codes
# are the emulator's own for invalid requests (documented in the README).
GEEN_GEGEVENS = Uitzondering("30001", "Geen gegevens gevonden voor de vraag")
TE_VEEL_BEVRAGINGEN = Uitzondering("99996", "Te veel gelijktijdige bevragingen")
ONGELDIG_VERZOEK = "40001"
ONGELDIG_INSZ = "40002"
ONGELDIGE_DATUM = "40003"
ONBEKENDE_DIENST = "40004"


class PlatformFout(Exception):
    """The platform itself fails: answered with a SOAP Fault, not a MAGDA reply."""


@dataclass
class Omgeving:
    """What the services answer from: the personas, the clock and the advice terms."""

    personas: dict[str, Persona]
    klok: Klok = field(default_factory=Klok)
    termijnen: Termijnen = field(default_factory=Termijnen)


class Dienst:
    naam: str
    versie: str
    namespace: str
    xsd: str

    def __init__(self, omgeving: Omgeving) -> None:
        self.omgeving = omgeving

    @property
    def operatie_tag(self) -> str:
        return f"{{{self.namespace}}}{self.naam}"

    def behandel(self, operatie: etree._Element) -> etree._Element:
        verzoek = operatie.find("Verzoek")
        context = lees_context(verzoek)
        fout = self._controleer(operatie, context)
        if fout is not None:
            return self._repliek(context, uitzonderingen=(fout,))
        insz = tekst(verzoek, "Vragen/Vraag/Inhoud/Criteria/INSZ") or ""
        persona = self.omgeving.personas.get(insz)
        if persona is not None and persona.fout == "SOAP_FAULT":
            raise PlatformFout(
                f"MAGDA-platform: interne fout bij het verwerken van {self.naam} "
                f"(testpersona {insz} geeft altijd een SOAP Fault)"
            )
        if persona is not None and persona.fout == "99996":
            return self._repliek(context, uitzonderingen=(TE_VEEL_BEVRAGINGEN,))
        referte = tekst(verzoek, "Vragen/Vraag/Referte") or ""
        return self.beantwoord(verzoek, context, referte, persona)

    def beantwoord(
        self, verzoek: etree._Element, context: Context, referte: str, persona: Persona | None
    ) -> etree._Element:
        raise NotImplementedError

    def _repliek(self, context: Context, **kwargs) -> etree._Element:
        return bouw_repliek(self.naam, self.versie, context, self.omgeving.klok.nu(), **kwargs)

    def _controleer(self, operatie: etree._Element, context: Context) -> Uitzondering | None:
        if operatie.tag != self.operatie_tag:
            return Uitzondering(
                ONBEKENDE_DIENST, f"Bericht {operatie.tag} hoort niet bij dienst {self.naam}"
            )
        validator = schema(self.xsd)
        if not validator.validate(operatie):
            return _xsd_uitzondering(validator.error_log.last_error)
        if (context.naam, context.versie) != (self.naam, self.versie):
            return Uitzondering(
                ONBEKENDE_DIENST,
                f"Context/Naam {context.naam} versie {context.versie} wordt hier niet aangeboden;"
                f" verwacht {self.naam} {self.versie}",
            )
        if context.bericht_type != "VRAAG":
            return Uitzondering(ONGELDIG_VERZOEK, "Context/Bericht/Type: moet VRAAG zijn")
        insz = tekst(operatie, "Verzoek/Vragen/Vraag/Inhoud/Criteria/INSZ") or ""
        if not modulo97_geldig(insz):
            return Uitzondering(
                ONGELDIG_INSZ, f"Criteria/INSZ: {insz} is geen geldig INSZ (controle modulo 97)"
            )
        return None


class GeefDossierKBIDienst(Dienst):
    naam, versie = dossier_wire.NAAM, dossier_wire.VERSIE
    namespace, xsd = dossier_wire.NAMESPACE, dossier_wire.XSD

    def beantwoord(self, verzoek, context, referte, persona):
        if persona is None or persona.dossier is None:
            return self._repliek(context, uitzonderingen=(GEEN_GEGEVENS,))
        dossier = persona.dossier.op_datum(self.omgeving.klok.vandaag())
        return self._repliek(context, antwoord=(referte, dossier_wire.bouw_kbi_dossier(dossier)))


class GeefAutomatischAdviesDienst(Dienst):
    naam, versie = advies_wire.NAAM, advies_wire.VERSIE
    namespace, xsd = advies_wire.NAMESPACE, advies_wire.XSD

    def beantwoord(self, verzoek, context, referte, persona):
        vraag = advies_wire.lees_vraag(verzoek)
        # The KBI knows facts up to today; the rules then look at those dated <= peildatum.
        dossier = persona.dossier if persona is not None else None
        if dossier is not None:
            dossier = dossier.op_datum(self.omgeving.klok.vandaag())
        advies = geef_advies(dossier, vraag.datum, vraag.toepassing, self.omgeving.termijnen)
        return self._repliek(context, antwoord=(referte, advies_wire.bouw_advies(advies)))


class Hub:
    """Routes a request to its service on Context/Naam + Versie, as MAGDA's generic endpoint."""

    def __init__(self, diensten: list[Dienst]) -> None:
        self.diensten = {(d.naam, d.versie): d for d in diensten}

    def dienst_voor(self, naam: str | None, versie: str | None) -> Dienst | None:
        return self.diensten.get((naam or "", versie or ""))


def _xsd_uitzondering(fout: etree._LogEntry) -> Uitzondering:
    veld = _veld(fout.path)
    code = ONGELDIG_VERZOEK
    if veld.endswith("Criteria/INSZ"):
        code = ONGELDIG_INSZ
    elif veld.endswith("Criteria/Datum"):
        code = ONGELDIGE_DATUM
    return Uitzondering(code, f"{veld}: {fout.message}")


def _veld(xpath: str | None) -> str:
    """``/web:GeefDossierKBI/Verzoek/Vragen/Vraag[1]/...`` -> ``Verzoek/Vragen/Vraag/...``."""
    if not xpath:
        return "Verzoek"
    delen = [d.split("[", 1)[0] for d in xpath.strip("/").split("/")]
    return "/".join(delen[1:]) or delen[0]


def alle_diensten(omgeving: Omgeving) -> list[Dienst]:
    return [GeefDossierKBIDienst(omgeving), GeefAutomatischAdviesDienst(omgeving)]
