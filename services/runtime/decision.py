"""One decision per call, the same for SOAP and REST: who asks, about whom, what comes back.

The faces read a request into a :class:`Question` (their own form checks first: the XSD
and the Context for SOAP, the path and parameters for REST), then :func:`decide` walks the
steps in MAGDA's order: the persona, the consumer's protocol (enforcement mode), the
platform failures (an error persona or an injected fault), then the answer. Each face
renders the :class:`Outcome` (01.00 or 02.00 XML, JSON) and notes the journal's result
from it (:class:`~magda_kbi.runtime.journal.Call`), so a call journals the same words
whichever face it came through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cached_property

from magda_kbi.domain.advies import Advies, RuleSet, Terms, Toepassing, geef_advies
from magda_kbi.domain.consumers import Operation
from magda_kbi.domain.dossier import Persona
from magda_kbi.domain.protocols import ProtocolDecision, beslis
from magda_kbi.runtime.catalogue import StoreUnavailable
from magda_kbi.runtime.faults import FaultKind

NOT_FOUND_CODE = "30001"
PERSONA_SOAP_FAULT = "SOAP_FAULT"  # an error persona's ``fout`` (the other one is "99996")


class Kind(StrEnum):
    ANSWER = "answer"  # a dossier (whole or a municipality's view) or an advice
    NOT_FOUND = "not found"  # 30001: no dossier for this INSZ
    REFUSED = "refused"  # the consumer's protocol does not allow it
    PLATFORM = "platform"  # 99996, 99995 or 99994, as the platform answers them
    SOAP_FAULT = "soap fault"  # the platform itself fails


@dataclass(slots=True)  # not frozen: a frozen __init__ costs twice as much, per call
class Question:
    """What a call asks, as the domain sees it (read from SOAP or REST)."""

    operatie: Operation  # DOSSIER or ADVIES
    insz: str
    afzender: str | None
    hoedanigheid: str | None
    datum: date | None = None  # the advice's Datum
    toepassing: Toepassing = Toepassing.ZORGBUDGET

    def for_insz(self, insz: str) -> Question:
        """The same question about another person (dataclasses.replace costs 4x as much)."""
        return Question(
            self.operatie, insz, self.afzender, self.hoedanigheid, self.datum, self.toepassing
        )


@dataclass
class Outcome:
    kind: Kind
    question: Question
    persona: Persona | None
    vandaag: date
    terms: Terms
    rule_set: RuleSet
    beslissing: ProtocolDecision | None = None  # enforcement mode only
    platform: FaultKind | None = None  # which failure; for SOAP_FAULT set only when injected
    code: str | None = None  # NOT_FOUND, REFUSED and PLATFORM: the Uitzondering's code

    @property
    def beperkt(self) -> bool:
        """A municipality's view of the dossier (its protocol's fields only)."""
        return self.beslissing is not None and self.beslissing.beperkt_tot_gemeente

    @cached_property
    def advies(self) -> Advies:
        """The advice (ADVIES answers only); computed when a face renders it, not before:
        a reply template already holds it."""
        return geef_advies(
            self.persona.dossier if self.persona is not None else None,
            self.question.datum or self.vandaag,
            self.question.toepassing,
            self.terms,
            vandaag=self.vandaag,
            rule_set=self.rule_set,
        )

    @property
    def result(self) -> str:
        """The journal's ``result``: the same words for SOAP and REST."""
        if self.kind is Kind.ANSWER:
            if self.question.operatie is Operation.ADVIES:
                return " ".join(filter(None, (self.advies.resultaat.value, self.advies.reden)))
            return "DOSSIER (protocol gemeente)" if self.beperkt else "DOSSIER"
        if self.kind is Kind.REFUSED:
            return f"REFUSED {self.code}"
        if self.kind is Kind.SOAP_FAULT:
            return "SOAP_FAULT"
        return f"UITZONDERING {self.code}"

    @property
    def extra(self) -> dict:
        """What else the journal keeps: the protocol decision, the advice's deciding rule."""
        extra = self.beslissing.as_json() if self.beslissing is not None else {}
        if self.kind is Kind.ANSWER and self.question.operatie is Operation.ADVIES:
            extra["rule"] = self.advies.uitleg
        return extra


def decide(runtime, question: Question, fault: FaultKind | None = None) -> Outcome:
    """The steps in MAGDA's order. ``runtime`` is the services' :class:`Runtime`;
    ``fault`` an injected platform failure for this call."""
    try:
        persona, source_gone = runtime.personas.get(question.insz), False
    except StoreUnavailable:  # the source cannot be asked
        persona, source_gone = None, True
    outcome = Outcome(
        Kind.ANSWER, question, persona, runtime.clock.today(), runtime.terms, runtime.rule_set
    )
    if source_gone:  # MAGDA's "Onverwachte fout bij de bron", before anything that needs the person
        source = FaultKind.FOUT_BIJ_DE_BRON
        outcome.kind, outcome.platform, outcome.code = Kind.PLATFORM, source, source.value
        return outcome
    if runtime.protocols:
        context = (
            {"vandaag": outcome.vandaag}
            if question.operatie is Operation.DOSSIER
            else {"datum": question.datum or outcome.vandaag}
        )
        outcome.beslissing = beslis(
            runtime.afnemers,
            question.afzender,
            question.hoedanigheid,
            question.operatie,
            persona=persona,
            **context,
        )
        if not outcome.beslissing.toegelaten:
            outcome.kind, outcome.code = Kind.REFUSED, outcome.beslissing.code
            return outcome
    error = persona.fout if persona is not None else None
    if fault is FaultKind.SOAP_FAULT or error == PERSONA_SOAP_FAULT:
        outcome.kind, outcome.platform = Kind.SOAP_FAULT, fault
        return outcome
    platform = fault or (FaultKind(error) if error else None)
    if platform is not None:  # 99996, 99995 or 99994: the code is the kind's value
        outcome.kind, outcome.platform, outcome.code = Kind.PLATFORM, platform, platform.value
    elif question.operatie is Operation.DOSSIER and (persona is None or persona.dossier is None):
        outcome.kind, outcome.code = Kind.NOT_FOUND, NOT_FOUND_CODE
    return outcome
