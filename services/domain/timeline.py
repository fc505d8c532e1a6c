"""A dossier on a time axis: its dated facts and the advice for every day (pure, no I/O).

The console draws this; the bands come from :func:`geef_advies` itself, day by day, so
what the console shows is what SOAP and REST answer for any Datum in the range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from magda_kbi.domain.advies import (
    Advies,
    RuleSet,
    Terms,
    Toepassing,
    geef_advies,
    plus_months,
)
from magda_kbi.domain.dossier import KbiDossier, Periode

START = date(2021, 12, 1)  # one month before the condition came into force
MONTHS_AFTER_TODAY = 12


@dataclass(frozen=True)
class Segment:
    """Days ``van`` to ``tot`` (both inclusive) with the same answer."""

    toepassing: str
    van: date
    tot: date
    advies: Advies


@dataclass(frozen=True)
class PremiumYear:
    jaar: int  # the premium year; its peildatum is 1 January of the year before
    advies: Advies


@dataclass(frozen=True)
class Fact:
    """One mark on a lane: a dated fact, or a period from ``datum`` to ``einde``."""

    lane: str
    feit: str  # machine-readable kind, e.g. ``doelgroep``, ``contract``
    datum: date
    einde: date | None = None  # periods only; None: still running
    label: str = ""
    is_period: bool = False


@dataclass(frozen=True)
class Timeline:
    van: date
    tot: date
    today: date
    facts: tuple[Fact, ...]
    bands: tuple[Segment, ...]
    premium_years: tuple[PremiumYear, ...]

    @property
    def days(self) -> int:
        return (self.tot - self.van).days + 1


LANES = ("Doelgroep", "Aanmelding", "Contract", "Attest", "Inbreuk")


def build_timeline(
    dossier: KbiDossier | None,
    today: date,
    terms: Terms | None = None,
    rule_set: RuleSet = RuleSet.PROTOCOL_V1,
) -> Timeline:
    """From :data:`START` to 12 months after ``today``; advice as the services give it on
    ``today`` (facts dated later are not yet known to the KBI)."""
    terms = terms or Terms()
    tot = plus_months(today, MONTHS_AFTER_TODAY)
    van = min(START, today)

    def advies(day: date, toepassing: Toepassing) -> Advies:
        return geef_advies(dossier, day, toepassing, terms, vandaag=today, rule_set=rule_set)

    # "ZORGBUDGET": the name the contract's Toepassing defaults to
    bands = _segments(van, tot, Toepassing.ZORGBUDGET, advies)
    years = range(max(van.year, 2022), tot.year + 1)
    premium = tuple(
        PremiumYear(j, advies(date(j, 1, 1), Toepassing.VERLAAGDE_PREMIE)) for j in years
    )
    return Timeline(van, tot, today, tuple(facts(dossier)), bands, premium)


def _segments(van: date, tot: date, toepassing: Toepassing, advies) -> tuple[Segment, ...]:
    segments: list[Segment] = []
    naam = "ZORGBUDGET" if toepassing is Toepassing.ZORGBUDGET else toepassing.value
    begin, current = van, advies(van, toepassing)
    day = van
    while day < tot:
        day += timedelta(days=1)
        following = advies(day, toepassing)
        if _key(following) != _key(current):
            segments.append(Segment(naam, begin, day - timedelta(days=1), current))
            begin, current = day, following
    segments.append(Segment(naam, begin, tot, current))
    return tuple(segments)


def _key(advies: Advies) -> tuple:
    return (advies.resultaat, advies.reden, advies.regel)


def facts(dossier: KbiDossier | None) -> list[Fact]:
    """The dossier's dated facts, lane by lane, in date order within a lane."""
    if dossier is None:
        return []
    found: list[Fact] = []
    for d in dossier.doelgroepen:
        vrijstelling = d.reden_vrijstelling
        label = f"Doelgroep {d.code.value} {d.type.value}"
        if vrijstelling is not None:
            label += f", vrijgesteld ({vrijstelling.naam or vrijstelling.code})"
        feit = "doelgroep-vrijgesteld" if vrijstelling is not None else "doelgroep"
        found.append(_periode("Doelgroep", feit, d.periode, label))
    if dossier.aanmelding is not None:
        a = dossier.aanmelding
        found.append(Fact("Aanmelding", "aanmelding", a.datum, label=f"Aanmelding {a.type or ''}"))
    for u in dossier.uitstellen_van_aanmelding:
        found.append(
            _periode("Aanmelding", "uitstel-aanmelding", u.periode, "Uitstel van aanmelding")
        )
    for c in dossier.contracten:
        found.append(
            Fact("Contract", "contract", c.datum, label=f"Contract {c.type or ''}".strip())
        )
    for u in dossier.uitstellen_van_ondertekening:
        found.append(
            _periode("Contract", "uitstel-ondertekening", u.periode, "Uitstel van ondertekening")
        )
    for at in dossier.attesten:
        found.append(Fact("Attest", "attest", at.datum, label=f"Attest {at.type or ''}".strip()))
    for i in dossier.inbreuken:
        found.append(Fact("Inbreuk", "inbreuk", i.datum, label=f"Inbreuk type {i.type or '?'}"))
        if i.rechtzetting is not None:
            day = i.rechtzetting.datum_ondertekening
            found.append(Fact("Inbreuk", "rechtzetting", day, label="Rechtzetting ondertekend"))
    order = {lane: n for n, lane in enumerate(LANES)}
    return sorted(found, key=lambda f: (order[f.lane], f.datum))


def _periode(lane: str, feit: str, periode: Periode, label: str) -> Fact:
    return Fact(lane, feit, periode.begin, periode.einde, label, is_period=True)
