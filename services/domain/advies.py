"""The advice rule set, version 1 (``domain.md``): a pure function of (dossier, Datum, Toepassing).

First matching rule wins. The 3- and 6-month terms are emulator defaults, not law:
see :class:`Terms`. Two rules stand before the table: the inburgering condition applies
to one budget only (rule 10), and after the Constitutional Court's ruling 112/2023 it applies
to none (rule 0, with the rule set ``after-ruling-112-2023``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from magda_kbi.domain.dossier import Doelgroep, DoelgroepCode, DoelgroepType, KbiDossier

IN_WERKING = date(2022, 1, 1)
VERPLICHTE_TYPES = frozenset({DoelgroepType.PLICHT, DoelgroepType.RECHT_PLICHT})


class Toepassing(StrEnum):
    """What the advice is for. The VSB protocol puts the inburgering condition on one of the
    three budgets of the Vlaamse sociale bescherming only: the zorgbudget voor zwaar
    zorgbehoevenden (``ZORGBUDGET``, its first name here, stays accepted for it)."""

    ZORGBUDGET_ZWAAR_ZORGBEHOEVENDEN = "ZORGBUDGET_ZWAAR_ZORGBEHOEVENDEN"
    VERLAAGDE_PREMIE = "VERLAAGDE_PREMIE"
    ZORGBUDGET_OUDEREN = "ZORGBUDGET_OUDEREN"  # zorgbudget voor ouderen met een zorgnood
    BASISONDERSTEUNINGSBUDGET = "BASISONDERSTEUNINGSBUDGET"

    @classmethod
    def _missing_(cls, value: object) -> Toepassing | None:
        return cls.ZORGBUDGET_ZWAAR_ZORGBEHOEVENDEN if value == "ZORGBUDGET" else None


# The first name, kept as an alias so that nothing breaks: the same member.
Toepassing.ZORGBUDGET = Toepassing.ZORGBUDGET_ZWAAR_ZORGBEHOEVENDEN  # type: ignore[attr-defined]
TOEPASSINGEN = (*(t.value for t in Toepassing), "ZORGBUDGET")  # what a question may say
ZONDER_VOORWAARDE = frozenset({Toepassing.ZORGBUDGET_OUDEREN, Toepassing.BASISONDERSTEUNINGSBUDGET})


class RuleSet(StrEnum):
    """Which rules the emulator answers by."""

    # What the protocols agreed and what consumers test against: the default.
    PROTOCOL_V1 = "protocol-v1"
    # The Constitutional Court annulled the inburgering condition for the zorgbudget and the
    # reduced premium (ruling 112/2023 of 20 July 2023, published 10 November 2023); an
    # annulment works retroactively: every advice is OK.
    NA_ARREST_112_2023 = "after-ruling-112-2023"


ARREST_112_2023 = (
    "Grondwettelijk Hof, arrest nr. 112/2023 van 20 juli 2023 (BS 10 november 2023): de "
    "inburgeringsvoorwaarde voor het zorgbudget en de verlaagde premie is vernietigd"
)


class Resultaat(StrEnum):
    OK = "OK"
    NOK = "NOK"


class Reden(StrEnum):
    INBREUK = "INBREUK"
    GEEN_AANMELDING = "GEEN_AANMELDING"
    GEEN_CONTRACT = "GEEN_CONTRACT"


OMSCHRIJVINGEN: dict[Reden, str] = {
    Reden.INBREUK: "Er is een inbreuk op de inburgeringsplicht vastgesteld die niet is rechtgezet",
    Reden.GEEN_AANMELDING: "Niet aangemeld bij het Agentschap Integratie en Inburgering "
    "binnen de termijn",
    Reden.GEEN_CONTRACT: "Geen inburgeringscontract ondertekend binnen de termijn",
}


# What each rule of the table means, for people reading an answer (journal, REST, CLI).
REGELS: dict[int, str] = {
    0: "the condition was annulled by the Constitutional Court (ruling 112/2023)",
    10: "the inburgering condition does not apply to this budget (only to the zorgbudget "
    "voor zwaar zorgbehoevenden)",
    1: "the condition is not yet in force (before 2022-01-01)",
    2: "not in the KBI",
    3: "not obliged on the peildatum",
    4: "exempt from the obligation",
    5: "attest van inburgering obtained",
    6: "an infringement that was not remedied",
    7: "not registered in time",
    8: "no contract signed in time",
    9: "trajectory running",
}


@dataclass(frozen=True)
class Terms:
    """Deadlines in calendar months (configurable; defaults from the published rule set)."""

    registration_months: int = 3
    contract_months: int = 6


@dataclass(frozen=True)
class Advies:
    peildatum: date
    resultaat: Resultaat
    regel: int  # the rule that decided (0, 10 or the table's 1-9); not on the wire
    reden: Reden | None = None

    @property
    def omschrijving(self) -> str | None:
        return OMSCHRIJVINGEN[self.reden] if self.reden else None

    @property
    def uitleg(self) -> str:
        """``rule 2: not in the KBI``: the deciding rule in words."""
        return f"rule {self.regel}: {REGELS[self.regel]}"


def peildatum(datum: date, toepassing: Toepassing) -> date:
    """ZORGBUDGET: Datum itself; VERLAAGDE_PREMIE: 1 January of the year before Datum's
    (for a Datum in year 1, which has no year before it: 1 January of year 1)."""
    if toepassing is Toepassing.VERLAAGDE_PREMIE:
        return date(max(datum.year - 1, 1), 1, 1)
    return datum


def plus_months(day: date, months: int) -> date:
    """Calendar months later, clamped to the month's end (31 Aug + 6 = 28/29 Feb); a term
    that ends past the calendar's end (9999-12-31) ends with it: no day comes after it, so
    the advice for any day is total (a Doelgroep begun in 9999-07 raised a ValueError)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if year > date.max.year:
        return date.max
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def geef_advies(
    dossier: KbiDossier | None,
    datum: date,
    toepassing: Toepassing = Toepassing.ZORGBUDGET,
    terms: Terms = Terms(),
    vandaag: date | None = None,
    rule_set: RuleSet = RuleSet.PROTOCOL_V1,
) -> Advies:
    """``vandaag``: the KBI knows facts up to that day (None: all of them). Facts dated after
    it stay unknown even when the peildatum is later."""
    toepassing = Toepassing(toepassing)  # "ZORGBUDGET" is the zwaar-zorgbehoevenden budget
    p = peildatum(datum, toepassing)

    def ok(regel: int) -> Advies:
        return Advies(p, Resultaat.OK, regel)

    def nok(regel: int, reden: Reden) -> Advies:
        return Advies(p, Resultaat.NOK, regel, reden)

    if rule_set is RuleSet.NA_ARREST_112_2023:
        return ok(0)
    if toepassing in ZONDER_VOORWAARDE:
        return ok(10)
    if p < IN_WERKING:
        return ok(1)
    if dossier is None:
        return ok(2)
    # Only facts dated on or before P count, and only those known on vandaag: both filters
    # are by date, so one filter at the earlier day does both. The rules read the dossier in
    # place, as known on that day: a copy of the whole dossier as known then (as_of) was
    # most of an advice's cost (76 us for the richest built-in persona, the console's
    # timeline of some 2,000 days 163 ms).
    known_on = min(p, vandaag) if vandaag is not None else p
    doelgroep = _verplichte_doelgroep(dossier.doelgroepen, known_on, p)
    if doelgroep is None:
        return ok(3)
    if doelgroep.reden_vrijstelling is not None:
        return ok(4)
    if _any_known(dossier.attesten, known_on):
        return ok(5)
    # a remedy counts once signed and known: by known_on, which is never after P
    if any(i.datum <= known_on and not i.rechtgezet_op(known_on) for i in dossier.inbreuken):
        return nok(6, Reden.INBREUK)
    aanmelding = dossier.aanmelding
    if aanmelding is not None and aanmelding.datum > known_on:
        aanmelding = None
    begin = doelgroep.periode.begin
    if (
        aanmelding is None
        and p > plus_months(begin, terms.registration_months)
        and not _covered(dossier.uitstellen_van_aanmelding, known_on, p)
    ):
        return nok(7, Reden.GEEN_AANMELDING)
    start_contracttermijn = aanmelding.datum_aanmelding if aanmelding else begin
    if (
        not _any_known(dossier.contracten, known_on)
        and p > plus_months(start_contracttermijn, terms.contract_months)
        and not _covered(dossier.uitstellen_van_ondertekening, known_on, p)
    ):
        return nok(8, Reden.GEEN_CONTRACT)
    return ok(9)


def _any_known(feiten: tuple, known_on: date) -> bool:
    return any(f.datum <= known_on for f in feiten)


def _covered(uitstellen: tuple, known_on: date, p: date) -> bool:
    """Whether a postponement the KBI knows by ``known_on`` covers P."""
    return any(u.datum <= known_on and u.periode.dekt(p) for u in uitstellen)


def _verplichte_doelgroep(
    doelgroepen: tuple[Doelgroep, ...], known_on: date, p: date
) -> Doelgroep | None:
    """A Doelgroep the KBI knows by ``known_on``, with Code JA, Type PLICHT or RECHT_PLICHT,
    whose Periode covers P."""
    for doelgroep in doelgroepen:
        if (
            doelgroep.code is DoelgroepCode.JA
            and doelgroep.type in VERPLICHTE_TYPES
            and doelgroep.datum <= known_on
            and doelgroep.periode.dekt(p)
        ):
            return doelgroep
    return None
