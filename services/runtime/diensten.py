"""The MAGDA services the emulator offers, one class each, and the hub that routes to them.

A service takes the operation element of a request (``GeefDossierKBI`` with its
``Verzoek``) and returns a ``Repliek`` element. Everything that can go wrong with a
MAGDA message is answered as MAGDA does, with an Uitzondering; only a persona that
stands for a platform failure raises :class:`PlatformError` (a SOAP Fault on the wire).
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import NamedTuple

from lxml import etree

from magda_kbi.domain.advies import ARREST_112_2023, RuleSet, Terms
from magda_kbi.domain.clock import Clock
from magda_kbi.domain.consumers import Afnemers, Operation
from magda_kbi.domain.dossier import Persona
from magda_kbi.domain.insz import is_eleven_digits, modulo97_valid
from magda_kbi.domain.protocols import gemeente_zicht
from magda_kbi.runtime import reply_templates
from magda_kbi.runtime.catalogue import Overlay, StoreUnavailable
from magda_kbi.runtime.decision import NOT_FOUND_CODE, Kind, Outcome, Question, decide
from magda_kbi.runtime.faults import FaultKind, Faults
from magda_kbi.runtime.journal import NOTHING, Call, Journal
from magda_kbi.wire import advies as advies_wire
from magda_kbi.wire import dossier_kbi as dossier_wire
from magda_kbi.wire.bericht import (
    Context,
    ServiceContract,
    Uitzondering,
    build_repliek,
    new_referte,
    read_context,
    time_now,
)
from magda_kbi.wire.envelope import reply_envelope, soap_fault
from magda_kbi.wire.xml import referte_at, text_at, xsd_error

# Stable Uitzondering codes. 30001, 99994, 99995 and 99996 are the real platform's (with
# its texts); the 4xxxx codes are the emulator's own where MAGDA has none (README).
GEEN_GEGEVENS = Uitzondering(NOT_FOUND_CODE, "Geen gegevens gevonden voor de vraag")
TE_VEEL_BEVRAGINGEN = Uitzondering("99996", "Te veel gelijktijdige bevragingen")
# What an injected fault or an error persona makes the platform answer.
PLATFORM_UITZONDERINGEN = {
    FaultKind.TE_VEEL_BEVRAGINGEN: TE_VEEL_BEVRAGINGEN,
    FaultKind.TE_VEEL_BEVRAGINGEN_99995: Uitzondering("99995", "Te veel gelijktijdige bevragingen"),
    FaultKind.FOUT_BIJ_DE_BRON: Uitzondering("99994", "Onverwachte fout bij de bron"),
}
# The rule set after the Constitutional Court's ruling: an OK that says why.
ARREST = Uitzondering("40201", ARREST_112_2023, type="INFORMATIE", oorsprong="MAGDA-KBI-EMULATOR")
ONGELDIG_VERZOEK = "40001"
ONGELDIG_INSZ = "40002"
ONGELDIGE_DATUM = "40003"
ONBEKENDE_DIENST = "40004"

log = logging.getLogger(__name__)


class PlatformError(Exception):
    """The platform itself fails: answered with a SOAP Fault, not a MAGDA reply."""

    def __init__(self, message: str, call: Call) -> None:
        super().__init__(message)
        self.call = call  # what the journal says of the call


@dataclass
class Runtime:
    """What the services answer from: personas, clock, advice terms, faults and journal.

    Personas can change at runtime (the admin API): the mapping is replaced, never changed
    in place, so a request in flight keeps a consistent view.
    """

    personas: Mapping[str, Persona]
    clock: Clock = field(default_factory=Clock)
    terms: Terms = field(default_factory=Terms)
    rule_set: RuleSet = RuleSet.PROTOCOL_V1
    faults: Faults = field(default_factory=Faults)
    journal: Journal = field(default_factory=Journal)
    afnemers: Afnemers = field(default_factory=Afnemers)
    protocols: bool = False  # enforcement mode: the consumers' protocols are applied

    def __post_init__(self) -> None:
        # the files' personas (a dict, or a store's catalogue), never changed in place
        self.base_personas: Mapping[str, Persona] = self.personas
        self._changes: dict[str, Persona | None] = {}  # admin changes (None: removed)
        self._slot = threading.Lock()

    def _show_personas(self) -> None:
        """The personas in force: the base with the changes on top (a new view)."""
        self.personas = (
            Overlay(self.base_personas, self._changes) if self._changes else self.base_personas
        )

    def changed(self, insz: str) -> bool:
        """Whether the admin API changed this persona (since the last reset)."""
        return insz in self._changes

    def refresh(self) -> None:
        """Before each request: pick up changes made elsewhere (nothing to do in memory;
        see :class:`magda_kbi.runtime.store.SharedRuntime`)."""

    def set_persona(self, persona: Persona) -> bool:
        """Adds or replaces a persona; True when it replaced one."""
        with self._slot:
            existed = persona.insz in self.personas
            self._changes = {**self._changes, persona.insz: persona}
            self._show_personas()
        return existed

    def remove_persona(self, insz: str) -> bool:
        with self._slot:
            if insz not in self.personas:
                return False
            self._changes = {**self._changes, insz: None}
            self._show_personas()
        return True

    def reload(self, base: Mapping[str, Persona]) -> None:
        """The persona files changed: their personas become the base, and what the admin API
        changed since the last reset stays on top."""
        with self._slot:
            self.base_personas = base
            self._show_personas()

    def reset(self) -> None:
        """Back to the start: the loaded personas, the start-up clock, no faults, no journal."""
        with self._slot:
            self._changes = {}
            self._show_personas()
        self.clock.reset()
        self.faults.clear()
        self.journal.clear()

    def close(self) -> None:
        """What it holds open let go (the audit log's file); not used afterwards."""
        self.journal.close()


@dataclass(frozen=True)
class ValidRequest:
    """A valid request as the template path needs it; the same for every request of the
    same shape (:mod:`magda_kbi.wire.shape`), the Refertes and the INSZ aside."""

    vraag: Question
    context: Context
    call: Call  # what the journal says of the request (its Referte aside)
    afzender_referte: str | None  # this request's Refertes
    vraag_referte: str


class Decided(NamedTuple):
    """A valid request's decision as far as its reply: the persona it was taken on, the
    day, the reply's template and the journal's call (the Afzender's Referte aside)."""

    persona: Persona | None
    today: date
    template: reply_templates.Template
    call: Call


class Dienst:
    """One service in one version and namespace (its :class:`ServiceContract`)."""

    def __init__(self, runtime: Runtime, contract: ServiceContract) -> None:
        self.runtime = runtime
        self.contract = contract
        self.naam, self.versie = contract.naam, contract.versie
        self.namespace, self.xsd = contract.namespace, contract.xsd
        self.operation_tag = contract.operation_tag
        self.templates = reply_templates.PersonaCache()

    def handle(
        self, operatie: etree._Element, fault: FaultKind | None = None
    ) -> tuple[etree._Element, Call]:
        """The Repliek for a request and what the journal says of the call; ``fault`` is an
        injected 99996 or SOAP Fault."""
        verzoek, context, insz, call = self._read(operatie)
        error = self._check(operatie, context, insz or "")
        if error is not None:
            call = call.answered(f"UITZONDERING {error.identificatie}")
            return self._repliek(context, uitzonderingen=(error,)), call
        outcome = decide(self.runtime, self.vraag(verzoek, context, insz or ""), fault)
        call = call.answered(outcome.result, outcome.extra)
        if outcome.kind is Kind.SOAP_FAULT:
            raise PlatformError(
                f"MAGDA-platform: interne fout bij het verwerken van {self.naam}"
                + (
                    " (geïnjecteerde storing)"
                    if outcome.platform is FaultKind.SOAP_FAULT
                    else f" (testpersona {insz} geeft altijd een SOAP Fault)"
                ),
                call,
            )
        referte = referte_at(verzoek, "Vragen/Vraag/Referte")
        return self._render(outcome, context, referte), call

    def _render(
        self, outcome: Outcome, context: Context, referte: str, template: bool = False
    ) -> etree._Element:
        """The Repliek for a decided call: the answer, or the Uitzondering that says why not."""
        if outcome.kind is Kind.ANSWER:
            return self.render_answer(outcome, context, referte, template)
        if outcome.kind is Kind.REFUSED:
            uitzondering = Uitzondering(outcome.code, outcome.beslissing.reden)
        elif outcome.kind is Kind.PLATFORM:
            uitzondering = PLATFORM_UITZONDERINGEN[outcome.platform]
        else:
            uitzondering = GEEN_GEGEVENS
        return self._repliek(context, template, uitzonderingen=(uitzondering,))

    def respond(
        self, operatie: etree._Element, fault: FaultKind | None = None
    ) -> tuple[str, bytes, Call]:
        """The HTTP status, the whole reply envelope (the MAGDA reply, or a SOAP Fault when
        the platform fails: never a traceback on the wire) and what the journal says."""
        try:
            repliek, call = self.handle(operatie, fault)
        except PlatformError as error:
            return "500 Internal Server Error", soap_fault("Server", str(error)), error.call
        except Exception:
            log.exception("unexpected error answering %s", self.naam)
            message = f"Interne fout in de emulator bij {self.naam}"
            return "500 Internal Server Error", soap_fault("Server", message), Call(self.naam)
        return "200 OK", reply_envelope(self.namespace, self.naam, repliek), call

    def read_valid(self, operatie: etree._Element) -> ValidRequest | None:
        """A request read, validated against the XSD and checked; None when it is not valid
        (:meth:`handle` then says why)."""
        verzoek, context, insz, call = self._read(operatie)
        if self._check(operatie, context, insz or "") is not None:
            return None
        vraag = self.vraag(verzoek, context, insz or "")
        return ValidRequest(
            vraag,
            context,
            call,
            context.afzender.referte,
            referte_at(verzoek, "Vragen/Vraag/Referte"),
        )

    def for_insz(self, parsed: ValidRequest, insz: str) -> ValidRequest:
        """The same valid request about another person (a known shape with another INSZ,
        which passed the modulo-97 check)."""
        return ValidRequest(
            parsed.vraag.for_insz(insz),
            parsed.context,
            parsed.call._replace(insz=insz),
            parsed.afzender_referte,
            parsed.vraag_referte,
        )

    def from_template(
        self, parsed: ValidRequest, afzender_referte: str | None, vraag_referte: str
    ) -> tuple[bytes, Call] | None:
        """The reply to a valid request from its template (built on the first call), with
        this call's time and Refertes, and what the journal says of the call; None for
        anything but an answer or a 30001."""
        decided = self.decided(parsed, self.runtime.clock.today())
        if decided is None:
            return None
        return self.fill(decided, afzender_referte, vraag_referte)

    def decided(self, parsed: ValidRequest, today: date) -> Decided | None:
        """The decision about a valid request as far as its reply's template: None for
        anything but an answer or a 30001."""
        outcome = decide(self.runtime, parsed.vraag)
        if outcome.kind is not Kind.ANSWER and outcome.kind is not Kind.NOT_FOUND:
            return None
        context = parsed.context
        afzender = context.afzender
        vraag, persona = parsed.vraag, outcome.persona
        caller_and_day = (
            afzender.identificatie,
            afzender.hoedanigheid,
            afzender.referte is not None,
            today,
        )
        # The persona's own key first: found, nothing of the answer needs computing
        key = (self.criteria(vraag), outcome.kind, id(persona), outcome.beslissing)
        key += caller_and_day
        template = self.templates.find(key, persona)
        if template is None:
            shared = self.shared_key(vraag, outcome)
            if shared is not None:
                shared = ("shared", shared, *caller_and_day)
                template = self.templates.find(shared, None)
            if template is None:
                template = self._template(outcome, context)
                if shared is not None:
                    self.templates.keep(shared, None, template)
            self.templates.keep(key, persona, template)
        asked = parsed.call  # built whole (a NamedTuple's _replace costs twice as much)
        extra = {**asked.extra, **template.extra} if asked.extra else template.extra
        call = Call(
            asked.operation,
            asked.afzender,
            asked.hoedanigheid,
            asked.insz,
            None,
            template.result,
            extra,
        )
        return Decided(persona, outcome.vandaag, template, call)

    def still_holds(self, decided: Decided, insz: str, today: date) -> bool:
        """Whether a decision about ``insz`` is still the one :func:`decide` would take: the
        same persona (by identity: a change at runtime is another object) on the same day.
        Everything else it depends on (the rule set, the terms, the consumers) is fixed at
        start-up, and a request with a fault active never comes here."""
        if decided.today != today:
            return False
        try:
            return self.runtime.personas.get(insz) is decided.persona
        except StoreUnavailable:  # the usual path says so
            return False

    @staticmethod
    def fill(
        decided: Decided, afzender_referte: str | None, vraag_referte: str
    ) -> tuple[bytes, Call]:
        """The reply with this call's time (now) and Refertes, and the call as the journal
        says."""
        response = decided.template.fill(
            time_now(), new_referte(), afzender_referte or "", vraag_referte
        )
        c = decided.call
        call = Call(
            c.operation, c.afzender, c.hoedanigheid, c.insz, afzender_referte, c.result, c.extra
        )
        return response, call

    def _template(self, outcome: Outcome, context: Context) -> reply_templates.Template:
        """The reply's template: rendered with placeholders where each call's values go."""
        afzender = context.afzender
        open_context = replace(
            context,
            afzender=replace(
                afzender, referte=reply_templates.AFZENDER_REFERTE if afzender.referte else None
            ),
        )
        repliek = self._render(outcome, open_context, reply_templates.VRAAG_REFERTE, template=True)
        return reply_templates.Template.from_reply(
            reply_envelope(self.namespace, self.naam, repliek),
            outcome.result,
            outcome.extra,  # what decides it is in the key: the same each call
        )

    def vraag(self, verzoek: etree._Element, context: Context, insz: str) -> Question:
        """The question of a valid Verzoek, as :func:`decide` takes it."""
        raise NotImplementedError

    def criteria(self, vraag: Question) -> tuple:
        """What of the question decides the answer (with the caller, today and persona; a
        template is kept per persona too, checked by identity, so that a persona replaced
        at runtime never gets an old one)."""
        return (vraag.insz,)

    def shared_key(self, vraag: Question, outcome: Outcome) -> Hashable | None:
        """What decides a reply that does not name the person (besides the caller and the
        day): one template then serves everybody. A 30001 names no one."""
        if outcome.kind is Kind.NOT_FOUND:
            return outcome.kind, outcome.beslissing
        return None

    def _read(self, operation: etree._Element):
        """The Verzoek, its Context, the INSZ asked about, and what the journal says of the
        request (its result to come)."""
        verzoek = operation.find("Verzoek")
        context = read_context(verzoek)
        insz = text_at(verzoek, self.contract.insz_path)
        afzender = context.afzender
        call = Call(
            self.naam,
            afzender.identificatie,
            afzender.hoedanigheid,
            insz,
            afzender.referte,
            extra=self.question_extra(verzoek),
        )
        return verzoek, context, insz, call

    def question_extra(self, verzoek: etree._Element | None) -> Mapping:
        """What else of the question the journal keeps."""
        return NOTHING

    def render_answer(
        self, outcome: Outcome, context: Context, referte: str, template: bool = False
    ) -> etree._Element:
        """The Repliek with this service's Antwoord (an ANSWER outcome)."""
        raise NotImplementedError

    def _repliek(self, context: Context, template: bool = False, **kwargs) -> etree._Element:
        if template:  # placeholders where a template gets the values of each call
            kwargs.update(
                tijd=reply_templates.TIJD, platform_referte=reply_templates.PLATFORM_REFERTE
            )
        return build_repliek(self.naam, self.versie, context, self.runtime.clock.now(), **kwargs)

    def _check(self, operation: etree._Element, context: Context, insz: str) -> Uitzondering | None:
        if operation.tag != self.operation_tag:
            return Uitzondering(
                ONBEKENDE_DIENST, f"Bericht {operation.tag} hoort niet bij dienst {self.naam}"
            )
        error = xsd_error(self.xsd, operation)
        if error is not None:
            refusal = _xsd_uitzondering(error)
            if _field(error.path) == "Verzoek/Context/Versie":  # '01.00', as people say it
                return replace(
                    refusal, diagnose=f"{refusal.diagnose}; verwacht {self.naam} {self.versie}"
                )
            return refusal
        questions = operation.find("Verzoek/Vragen")
        if len(questions) > 1:  # the Service variant's request allows it, its reply does not
            return Uitzondering(
                ONGELDIG_VERZOEK,
                f"Verzoek/Vragen: {len(questions)} vragen; {self.naam} beantwoordt één Vraag per"
                " Verzoek (het antwoord heeft plaats voor één Antwoord)",
            )
        if (context.naam, context.versie) != (self.naam, self.versie):
            return Uitzondering(
                ONBEKENDE_DIENST,
                # as written, quoted as the generic endpoint says it: an empty Naam was "None"
                f"Context/Naam {context.naam or ''!r} Versie {context.versie or ''!r} wordt hier"
                f" niet aangeboden; verwacht {self.naam} {self.versie}",
            )
        if context.bericht_type != "VRAAG":
            return Uitzondering(ONGELDIG_VERZOEK, "Context/Bericht/Type: moet VRAAG zijn")
        if not modulo97_valid(insz):
            field = self.contract.insz_path.removeprefix("Vragen/Vraag/")
            # the contract's type takes eleven digits of any script (Arabic-Indic, Roman)
            reason = "controle modulo 97" if is_eleven_digits(insz) else "elf cijfers 0-9"
            return Uitzondering(ONGELDIG_INSZ, f"{field}: {insz} is geen geldig INSZ ({reason})")
        return None


# A compiled XPath: several times faster than ElementPath's find() on the hot path.
_MUTATIES_CONTEXT = etree.XPath("Vragen/Vraag/Inhoud/MutatiesContext")
_BOOLEAN = {"": True, "true": True, "1": True, "false": False, "0": False}


class GeefDossierKBIDienst(Dienst):
    """GeefDossierKBI in one of its versions (01.00, 02.00) and namespaces."""

    def __init__(self, runtime: Runtime, contract: ServiceContract = dossier_wire.V02) -> None:
        super().__init__(runtime, contract)
        self._dossiers = reply_templates.PersonaCache()  # (INSZ, today, reduced) -> KBIDossier

    def question_extra(self, verzoek):
        found = _MUTATIES_CONTEXT(verzoek) if verzoek is not None else ()
        if not found:
            return NOTHING
        # xs:boolean; empty takes the schema default (true); anything else is kept as sent
        value = (found[0].text or "").strip()
        return {"mutaties_context": _BOOLEAN.get(value, value)}

    def vraag(self, verzoek, context, insz):
        afzender = context.afzender
        return Question(Operation.DOSSIER, insz, afzender.identificatie, afzender.hoedanigheid)

    def render_answer(self, outcome, context, referte, template=False):
        dossier = self._kbi_dossier(outcome.persona, outcome.beperkt)
        return self._repliek(context, template, antwoord=(referte, dossier))

    def _kbi_dossier(self, persona: Persona, limited: bool = False) -> etree._Element:
        """The rendered dossier as known today; built once per persona and day, then copied
        (a copy of the element tree is much cheaper than building it again)."""
        today = self.runtime.clock.today()
        key = (persona.insz, today, limited)
        element = self._dossiers.find(key, persona)
        if element is None:
            version = self.contract.major_version
            if limited:  # never the 02.00 contact fields: not in a municipality's protocol
                element = dossier_wire.build_kbi_dossier_gemeente(
                    gemeente_zicht(persona.dossier.as_of(today))
                )
            else:
                element = dossier_wire.build_kbi_dossier(
                    persona.dossier.as_of(today), version, persona.gegevens.contact
                )
            self._dossiers.keep(key, persona, element)
        return copy.deepcopy(element)


class GeefAutomatischAdviesDienst(Dienst):
    def __init__(self, runtime: Runtime, contract: ServiceContract = advies_wire.CONTRACT):
        super().__init__(runtime, contract)

    def vraag(self, verzoek, context, insz):
        asked = advies_wire.read_vraag(verzoek)
        afzender = context.afzender
        return Question(
            Operation.ADVIES,
            insz,
            afzender.identificatie,
            afzender.hoedanigheid,
            asked.datum,
            asked.toepassing,
        )

    def criteria(self, vraag):
        return vraag.insz, vraag.datum, vraag.toepassing

    def shared_key(self, vraag, outcome):
        if outcome.kind is not Kind.ANSWER:
            return super().shared_key(vraag, outcome)
        # The reply holds the advice, never who it is about (the protocol's data
        # minimisation): one template per advice and decision serves every person, and a
        # population's new INSZs cost no new reply. The journal's result and extras are the
        # advice's and the decision's, both in the key.
        return vraag.datum, vraag.toepassing, outcome.advies, outcome.beslissing

    def render_answer(self, outcome, context, referte, template=False):
        advies = outcome.advies
        # An OK has no Reden: the ruling is named in an INFORMATIE Uitzondering beside it.
        informatie = (ARREST,) if advies.regel == 0 else ()
        return self._repliek(
            context,
            template,
            antwoord=(referte, advies_wire.build_advies(advies)),
            antwoord_uitzonderingen=informatie,
        )


class Hub:
    """Routes a request to its service on Context/Naam + Versie, as MAGDA's generic endpoint,
    and to the variant whose namespace the operation element is in (WebService or Service)."""

    def __init__(self, services: list[Dienst]) -> None:
        self.diensten: dict[tuple[str, str], list[Dienst]] = {}
        for service in services:
            self.diensten.setdefault((service.naam, service.versie), []).append(service)

    def service_for(
        self, naam: str | None, versie: str | None, operation_tag: str | None = None
    ) -> Dienst | None:
        """The variant of Naam + Versie whose operation element is ``operation_tag``."""
        for service in self.variants(naam, versie):
            if service.operation_tag == operation_tag:
                return service
        return None

    def variants(self, naam: str | None, versie: str | None) -> list[Dienst]:
        return self.diensten.get((naam or "", versie or ""), [])


def _xsd_uitzondering(error: etree._LogEntry) -> Uitzondering:
    field = _field(error.path)
    code = ONGELDIG_VERZOEK
    # 40002/40003 for a wrong value; an element in the wrong place is a wrong Verzoek (40001)
    structure = "not expected" in error.message or "Missing child" in error.message
    if field.endswith("/INSZ") and not structure:
        code = ONGELDIG_INSZ
    elif field.endswith("Criteria/Datum") and not structure:
        code = ONGELDIGE_DATUM
    return Uitzondering(code, f"{field}: {_in_dutch(error.message)}")


# libxml2's schema messages, in the Dutch of the platform's Diagnose texts.
_MESSAGES = (
    (
        re.compile(r"Element '([^']+)': This element is not expected\. Expected is \( (.+) \)\.$"),
        "element '{0}' wordt hier niet verwacht; verwacht: {1}",
    ),
    (
        re.compile(
            r"Element '([^']+)': This element is not expected\. Expected is one of \( (.+) \)\.$"
        ),
        "element '{0}' wordt hier niet verwacht; verwacht: één van {1}",
    ),
    (
        re.compile(r"Element '([^']+)': This element is not expected\.$"),
        "element '{0}' wordt hier niet verwacht (er mag hier geen element meer volgen)",
    ),
    (
        re.compile(r"Element '([^']+)': Missing child element\(s\)\. Expected is \( (.+) \)\.$"),
        "in element '{0}' ontbreekt een element; verwacht: {1}",
    ),
    (
        re.compile(
            r"Element '([^']+)': Missing child element\(s\)\. Expected is one of \( (.+) \)\.$"
        ),
        "in element '{0}' ontbreekt een element; verwacht: één van {1}",
    ),
    (
        re.compile(r"Element '([^']+)': '(.*)' is not a valid value of the atomic type '(.+)'\.$"),
        "element '{0}': '{1}' is geen geldige waarde van het type '{2}'",
    ),
    (
        re.compile(
            r"Element '([^']+)': \[facet '(\w+)'\] The value '(.*)' is not accepted by the"
            r" pattern '(.+)'\.$"
        ),
        "element '{0}': de waarde '{2}' voldoet niet aan het patroon '{3}'",
    ),
    (
        re.compile(
            r"Element '([^']+)': \[facet '(\w+)'\] The value '(.*)' is not an element of"
            r" the set \{(.+)\}\.$"
        ),
        "element '{0}': de waarde '{2}' is niet één van {3}",
    ),
    (
        re.compile(
            r"Element '([^']+)': \[facet 'minLength'\] The value has a length of '(\d+)'; this"
            r" underruns the allowed minimum length of '(\d+)'\.$"
        ),
        "element '{0}': de waarde is {1} tekens lang, korter dan het minimum van {2}",
    ),
    (
        re.compile(
            r"Element '([^']+)': \[facet 'maxLength'\] The value has a length of '(\d+)'; this"
            r" exceeds the allowed maximum length of '(\d+)'\.$"
        ),
        "element '{0}': de waarde is {1} tekens lang, langer dan het maximum van {2}",
    ),
    (
        re.compile(
            r"Element '([^']+)': \[facet 'length'\] The value has a length of '(\d+)'; this"
            r" differs from the allowed length of '(\d+)'\.$"
        ),
        "element '{0}': de waarde is {1} tekens lang, verwacht: precies {2}",
    ),
    (
        re.compile(
            r"Element '([^']+)': No matching global declaration available for the"
            r" validation root\.$"
        ),
        "element '{0}' is geen bericht van deze dienst",
    ),
)


def _in_dutch(message: str) -> str:
    """libxml2's message in Dutch; one we do not know is kept as it is, marked as such."""
    message = message.strip()
    for pattern, text_nl in _MESSAGES:
        found = pattern.match(message)
        if found:
            return text_nl.format(*found.groups())
    return f"ongeldig volgens het XSD (libxml2: {message})"


def _field(xpath: str | None) -> str:
    """``/web:GeefDossierKBI/Verzoek/Vragen/Vraag[1]/...`` -> ``Verzoek/Vragen/Vraag/...``."""
    if not xpath:
        return "Verzoek"
    parts = [d.split("[", 1)[0] for d in xpath.strip("/").split("/")]
    return "/".join(parts[1:]) or parts[0]


def all_services(runtime: Runtime) -> list[Dienst]:
    """Every service the emulator offers: GeefDossierKBI 01.00 and 02.00, each in its
    WebService and Service namespace, and the advice."""
    return [
        *(GeefDossierKBIDienst(runtime, contract) for contract in dossier_wire.CONTRACTS),
        GeefAutomatischAdviesDienst(runtime),
    ]
