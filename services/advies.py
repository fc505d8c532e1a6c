"""The advice rule set, version 1 (``domain.md``): a pure function of (dossier, Datum, Toepassing).

First matching rule wins. The 3- and 6-month terms are emulator defaults, not law:
see :class:`Termijnen`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .dossier import Doelgroep, DoelgroepCode, DoelgroepType, KbiDossier

IN_WERKING = date(2022, 1, 1)
VERPLICHTE_TYPES = frozenset({DoelgroepType.PLICHT, DoelgroepType.RECHT_PLICHT})


class Toepassing(StrEnum):
    ZORGBUDGET = "ZORGBUDGET"
    VERLAAGDE_PREMIE = "VERLAAGDE_PREMIE"


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
class Termijnen:
    """Deadlines in calendar months (configurable; defaults from the published rule set)."""

    aanmelding_maanden: int = 3
    contract_maanden: int = 6


@dataclass(frozen=True)
class Advies:
    peildatum: date
    resultaat: Resultaat
    regel: int  # the rule of the table that decided (1-9); not on the wire
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


def plus_maanden(dag: date, maanden: int) -> date:
    """Calendar months later, clamped to the month's end (31 Aug + 6 = 28/29 Feb)."""
    index = dag.month - 1 + maanden
    jaar, maand = dag.year + index // 12, index % 12 + 1
    return date(jaar, maand, min(dag.day, calendar.monthrange(jaar, maand)[1]))


def geef_advies(
    dossier: KbiDossier | None,
    datum: date,
    toepassing: Toepassing = Toepassing.ZORGBUDGET,
    termijnen: Termijnen = Termijnen(),
    vandaag: date | None = None,
) -> Advies:
    """``vandaag``: the KBI knows facts up to that day (None: all of them). Facts dated after
    it stay unknown even when the peildatum is later."""
    p = peildatum(datum, toepassing)

    def ok(regel: int) -> Advies:
        return Advies(p, Resultaat.OK, regel)

    def nok(regel: int, reden: Reden) -> Advies:
        return Advies(p, Resultaat.NOK, regel, reden)

    if p < IN_WERKING:
        return ok(1)
    if dossier is None:
        return ok(2)
    # Only facts dated on or before P count, and only those known on vandaag: both filters
    # are by date, so one filter at the earlier day does both.
    d = dossier.op_datum(min(p, vandaag) if vandaag is not None else p)
    doelgroep = _verplichte_doelgroep(d, p)
    if doelgroep is None:
        return ok(3)
    if doelgroep.reden_vrijstelling is not None:
        return ok(4)
    if d.attesten:
        return ok(5)
    if any(not inbreuk.rechtgezet_op(p) for inbreuk in d.inbreuken):
        return nok(6, Reden.INBREUK)
    begin = doelgroep.periode.begin
    if (
        d.aanmelding is None
        and p > plus_maanden(begin, termijnen.aanmelding_maanden)
        and not any(u.periode.dekt(p) for u in d.uitstellen_van_aanmelding)
    ):
        return nok(7, Reden.GEEN_AANMELDING)
    start_contracttermijn = d.aanmelding.datum_aanmelding if d.aanmelding else begin
    if (
        not d.contracten
        and p > plus_maanden(start_contracttermijn, termijnen.contract_maanden)
        and not any(u.periode.dekt(p) for u in d.uitstellen_van_ondertekening)
    ):
        return nok(8, Reden.GEEN_CONTRACT)
    return ok(9)


def _verplichte_doelgroep(dossier: KbiDossier, p: date) -> Doelgroep | None:
    """A Doelgroep with Code JA, Type PLICHT or RECHT_PLICHT, whose Periode covers P."""
    for doelgroep in dossier.doelgroepen:
        if (
            doelgroep.code is DoelgroepCode.JA
            and doelgroep.type in VERPLICHTE_TYPES
            and doelgroep.periode.dekt(p)
        ):
            return doelgroep
    return None
