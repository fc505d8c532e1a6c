"""The MAGDA services the emulator offers, one class each, and the hub that routes to them.

A service takes the operation element of a request (``GeefDossierKBI`` with its
``Verzoek``) and returns a ``Repliek`` element. Everything that can go wrong with a
MAGDA message is answered as MAGDA does, with an Uitzondering; only a persona that
stands for a platform failure raises :class:`PlatformFout` (a SOAP Fault on the wire).
"""

from __future__ import annotations

import copy
import threading
import uuid
from dataclasses import dataclass, field, replace

from lxml import etree

from . import sjablonen
from .advies import Termijnen, geef_advies
from .afnemers import Afnemers, Operatie
from .dossier import Persona
from .insz import modulo97_geldig
from .journaal import Aantekening, Journaal
from .klok import Klok
from .protocollen import Beslissing, beslis
from .storingen import Soort, Storingen
from .wire import advies as advies_wire
from .wire import dossier_kbi as dossier_wire
from .wire.bericht import Context, Uitzondering, bouw_repliek, lees_context, tijd_van
from .wire.envelop import antwoord_envelop
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
    """What the services answer from: personas, clock, advice terms, faults and journal.

    Personas can change at runtime (the admin API): the dict is replaced, never changed in
    place, so a request in flight keeps a consistent view.
    """

    personas: dict[str, Persona]
    klok: Klok = field(default_factory=Klok)
    termijnen: Termijnen = field(default_factory=Termijnen)
    storingen: Storingen = field(default_factory=Storingen)
    journaal: Journaal = field(default_factory=Journaal)
    afnemers: Afnemers = field(default_factory=Afnemers)
    protocollen: bool = False  # enforcement mode: the consumers' protocols are applied

    def __post_init__(self) -> None:
        self.basis_personas = dict(self.personas)
        self._slot = threading.Lock()

    def zet_persona(self, persona: Persona) -> bool:
        """Adds or replaces a persona; True when it replaced one."""
        with self._slot:
            bestond = persona.insz in self.personas
            self.personas = {**self.personas, persona.insz: persona}
        return bestond

    def verwijder_persona(self, insz: str) -> bool:
        with self._slot:
            if insz not in self.personas:
                return False
            self.personas = {k: v for k, v in self.personas.items() if k != insz}
        return True

    def reset(self) -> None:
        """Back to the start: the loaded personas, the start-up clock, no faults, no journal."""
        with self._slot:
            self.personas = dict(self.basis_personas)
        self.klok.reset()
        self.storingen.wis()
        self.journaal.wis()


class Dienst:
    naam: str
    versie: str
    namespace: str
    xsd: str

    def __init__(self, omgeving: Omgeving) -> None:
        self.omgeving = omgeving
        self.sjablonen = sjablonen.PersonaCache()

    @property
    def operatie_tag(self) -> str:
        return f"{{{self.namespace}}}{self.naam}"

    def behandel(
        self,
        operatie: etree._Element,
        aantekening: Aantekening | None = None,
        storing: Soort | None = None,
    ) -> etree._Element:
        """The Repliek for a request; ``storing`` is an injected 99996 or SOAP Fault."""
        aantekening = aantekening or Aantekening(endpoint="")
        verzoek, context, insz = self._lees(operatie, aantekening)
        fout = self._controleer(operatie, context, insz or "")
        if fout is not None:
            aantekening.resultaat = f"UITZONDERING {fout.identificatie}"
            return self._repliek(context, uitzonderingen=(fout,))
        persona = self.omgeving.personas.get(insz or "")
        fout_van_persona = persona.fout if persona is not None else None
        beslissing = None
        if self.omgeving.protocollen:
            beslissing = self.beslis(verzoek, context, persona)
            aantekening.extra.update(beslissing.als_json())
            if not beslissing.toegelaten:
                aantekening.resultaat = f"GEWEIGERD {beslissing.code}"
                weigering = Uitzondering(beslissing.code, beslissing.reden)
                return self._repliek(context, uitzonderingen=(weigering,))
        if storing is Soort.SOAP_FAULT or fout_van_persona == "SOAP_FAULT":
            aantekening.resultaat = "SOAP_FAULT"
            raise PlatformFout(
                f"MAGDA-platform: interne fout bij het verwerken van {self.naam}"
                + (
                    f" (testpersona {insz} geeft altijd een SOAP Fault)"
                    if fout_van_persona
                    else " (geïnjecteerde storing)"
                )
            )
        if storing is Soort.TE_VEEL_BEVRAGINGEN or fout_van_persona == "99996":
            aantekening.resultaat = "UITZONDERING 99996"
            return self._repliek(context, uitzonderingen=(TE_VEEL_BEVRAGINGEN,))
        referte = tekst(verzoek, "Vragen/Vraag/Referte") or ""
        return self.beantwoord(verzoek, context, referte, persona, aantekening, beslissing)

    def snel(
        self, operatie: etree._Element, aantekening: Aantekening | None = None
    ) -> bytes | None:
        """The whole reply envelope from a template (:mod:`magda_kbi.sjablonen`), or None
        when this call must take :meth:`behandel`: invalid requests, error personas and
        refusals always do, so a template only ever holds an ordinary answer."""
        aantekening = aantekening or Aantekening(endpoint="")
        verzoek, context, insz = self._lees(operatie, aantekening)
        if self._controleer(operatie, context, insz or "") is not None:
            return None
        persona = self.omgeving.personas.get(insz or "")
        if persona is not None and persona.fout:
            return None
        beslissing = None
        if self.omgeving.protocollen:
            beslissing = self.beslis(verzoek, context, persona)
            if not beslissing.toegelaten:
                return None
            aantekening.extra.update(beslissing.als_json())
        afzender = context.afzender
        nu = self.omgeving.klok.nu()
        sleutel = (
            self.criteria(verzoek, insz),
            afzender.identificatie,
            afzender.hoedanigheid,
            afzender.referte is not None,
            nu.date(),
            id(persona),
            beslissing.velden if beslissing else None,
        )
        sjabloon = self.sjablonen.zoek(sleutel, persona)
        if sjabloon is None:
            open_context = replace(
                context,
                afzender=replace(
                    afzender, referte=sjablonen.AFZENDER_REFERTE if afzender.referte else None
                ),
            )
            repliek = self.beantwoord(
                verzoek,
                open_context,
                sjablonen.VRAAG_REFERTE,
                persona,
                aantekening,
                beslissing,
                sjabloon=True,
            )
            sjabloon = sjablonen.Sjabloon.uit(
                antwoord_envelop(self.namespace, self.naam, repliek), aantekening.resultaat
            )
            self.sjablonen.bewaar(sleutel, persona, sjabloon)
        aantekening.resultaat = sjabloon.resultaat
        return sjabloon.vul(
            {
                sjablonen.TIJD: tijd_van(nu),
                sjablonen.PLATFORM_REFERTE: str(uuid.uuid4()),
                sjablonen.AFZENDER_REFERTE: afzender.referte or "",
                sjablonen.VRAAG_REFERTE: tekst(verzoek, "Vragen/Vraag/Referte") or "",
            }
        )

    def criteria(self, verzoek: etree._Element, insz: str | None) -> tuple:
        """What of the question decides the answer (with the caller, today and persona)."""
        return (insz,)

    def _lees(self, operatie: etree._Element, aantekening: Aantekening):
        verzoek = operatie.find("Verzoek")
        context = lees_context(verzoek)
        insz = tekst(verzoek, "Vragen/Vraag/Inhoud/Criteria/INSZ")
        aantekening.operatie = self.naam
        aantekening.afzender = context.afzender.identificatie
        aantekening.hoedanigheid = context.afzender.hoedanigheid
        aantekening.referte = context.afzender.referte
        aantekening.insz = insz
        return verzoek, context, insz

    def beslis(self, verzoek: etree._Element, context: Context, persona: Persona | None):
        """The protocol decision for this call (enforcement mode only)."""
        raise NotImplementedError

    def beantwoord(
        self,
        verzoek: etree._Element,
        context: Context,
        referte: str,
        persona: Persona | None,
        aantekening: Aantekening,
        beslissing: Beslissing | None,
        sjabloon: bool = False,
    ) -> etree._Element:
        raise NotImplementedError

    def _repliek(self, context: Context, sjabloon: bool = False, **kwargs) -> etree._Element:
        if sjabloon:  # placeholders where a template gets the values of each call
            kwargs.update(tijd=sjablonen.TIJD, platform_referte=sjablonen.PLATFORM_REFERTE)
        return bouw_repliek(self.naam, self.versie, context, self.omgeving.klok.nu(), **kwargs)

    def _controleer(
        self, operatie: etree._Element, context: Context, insz: str
    ) -> Uitzondering | None:
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
        if not modulo97_geldig(insz):
            return Uitzondering(
                ONGELDIG_INSZ, f"Criteria/INSZ: {insz} is geen geldig INSZ (controle modulo 97)"
            )
        return None


class GeefDossierKBIDienst(Dienst):
    naam, versie = dossier_wire.NAAM, dossier_wire.VERSIE
    namespace, xsd = dossier_wire.NAMESPACE, dossier_wire.XSD

    def __init__(self, omgeving: Omgeving) -> None:
        super().__init__(omgeving)
        self._dossiers = sjablonen.PersonaCache()  # (INSZ, today, reduced) -> KBIDossier

    def beslis(self, verzoek, context, persona):
        return beslis(
            self.omgeving.afnemers,
            context.afzender.identificatie,
            context.afzender.hoedanigheid,
            Operatie.DOSSIER,
            persona=persona,
            vandaag=self.omgeving.klok.vandaag(),
        )

    def beantwoord(
        self, verzoek, context, referte, persona, aantekening, beslissing, sjabloon=False
    ):
        if persona is None or persona.dossier is None:
            aantekening.resultaat = f"UITZONDERING {GEEN_GEGEVENS.identificatie}"
            return self._repliek(context, sjabloon, uitzonderingen=(GEEN_GEGEVENS,))
        beperkt = beslissing is not None and beslissing.beperkt_tot_gemeente
        aantekening.resultaat = "DOSSIER (protocol gemeente)" if beperkt else "DOSSIER"
        return self._repliek(
            context, sjabloon, antwoord=(referte, self._kbi_dossier(persona, beperkt))
        )

    def _kbi_dossier(self, persona: Persona, beperkt: bool = False) -> etree._Element:
        """The rendered dossier as known today; built once per persona and day, then copied
        (a copy of the element tree is much cheaper than building it again)."""
        vandaag = self.omgeving.klok.vandaag()
        sleutel = (persona.insz, vandaag, beperkt)
        element = self._dossiers.zoek(sleutel, persona)
        if element is None:
            bouw = (
                dossier_wire.bouw_kbi_dossier_gemeente if beperkt else dossier_wire.bouw_kbi_dossier
            )
            element = bouw(persona.dossier.op_datum(vandaag))
            self._dossiers.bewaar(sleutel, persona, element)
        return copy.deepcopy(element)


class GeefAutomatischAdviesDienst(Dienst):
    naam, versie = advies_wire.NAAM, advies_wire.VERSIE
    namespace, xsd = advies_wire.NAMESPACE, advies_wire.XSD

    def beslis(self, verzoek, context, persona):
        return beslis(
            self.omgeving.afnemers,
            context.afzender.identificatie,
            context.afzender.hoedanigheid,
            Operatie.ADVIES,
            persona=persona,
            datum=advies_wire.lees_vraag(verzoek).datum,
        )

    def criteria(self, verzoek, insz):
        criteria = verzoek.find("Vragen/Vraag/Inhoud/Criteria")
        return insz, tekst(criteria, "Datum"), tekst(criteria, "Toepassing")

    def beantwoord(
        self, verzoek, context, referte, persona, aantekening, beslissing, sjabloon=False
    ):
        vraag = advies_wire.lees_vraag(verzoek)
        advies = geef_advies(
            persona.dossier if persona is not None else None,
            vraag.datum,
            vraag.toepassing,
            self.omgeving.termijnen,
            vandaag=self.omgeving.klok.vandaag(),
        )
        aantekening.resultaat = " ".join(filter(None, (advies.resultaat.value, advies.reden)))
        return self._repliek(context, sjabloon, antwoord=(referte, advies_wire.bouw_advies(advies)))


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
