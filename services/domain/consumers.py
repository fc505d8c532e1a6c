"""Consumers (afnemers) and their protocols: who may call what, and see what.

A request names its sender in ``Context/Bericht/Afzender`` (``Identificatie`` +
``Hoedanigheid``; on REST the headers ``X-Magda-Afzender`` and ``X-Magda-Hoedanigheid``).
The catalog maps that pair to a consumer: a municipality (with its NIS code), a zorgkas
(with its identifier), the VSB, ABB, or the agency itself (AGII, full access).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class ConsumerKind(StrEnum):
    GEMEENTE = "GEMEENTE"
    ZORGKAS = "ZORGKAS"
    VSB = "VSB"
    ABB = "ABB"
    AGII = "AGII"


class Operation(StrEnum):
    DOSSIER = "GeefDossierKBI"
    ADVIES = "GeefAutomatischAdvies"
    LIJST_VERLAAGDE_PREMIE = "lijst-verlaagde-premie"
    LIJST_GEMEENTE = "lijst-gemeente"
    LIJST_PARTICIPATIE = "lijst-participatie"


# What each kind of consumer may call under its protocol (domain.md).
PROTOCOL: dict[ConsumerKind, frozenset[Operation]] = {
    ConsumerKind.GEMEENTE: frozenset(
        {Operation.DOSSIER, Operation.LIJST_GEMEENTE, Operation.LIJST_PARTICIPATIE}
    ),
    ConsumerKind.ZORGKAS: frozenset({Operation.ADVIES, Operation.LIJST_VERLAAGDE_PREMIE}),
    ConsumerKind.VSB: frozenset({Operation.ADVIES, Operation.LIJST_VERLAAGDE_PREMIE}),
    ConsumerKind.ABB: frozenset(),  # the pseudonymised export is a file, not a call
    ConsumerKind.AGII: frozenset(Operation),
}


@dataclass(frozen=True)
class Afnemer:
    afzender: str
    hoedanigheid: str
    soort: ConsumerKind
    naam: str
    nis: str | None = None  # GEMEENTE
    zorgkas: str | None = None  # ZORGKAS

    @property
    def operations(self) -> frozenset[Operation]:
        return PROTOCOL[self.soort]

    def as_json(self) -> dict:
        return {
            "afzender": self.afzender,
            "hoedanigheid": self.hoedanigheid,
            "soort": self.soort.value,
            "naam": self.naam,
            "nis": self.nis,
            "zorgkas": self.zorgkas,
        }


# Built-in demo consumers (documented in the README); --consumers FILE adds more.
DEMO = (
    Afnemer(
        "gemeente.kortenberg.be",
        "GEMEENTE",
        ConsumerKind.GEMEENTE,
        "Gemeente Kortenberg",
        nis="24055",
    ),
    Afnemer("stad.gent.be", "GEMEENTE", ConsumerKind.GEMEENTE, "Stad Gent", nis="44021"),
    Afnemer("zorgkas1.test.be", "ZORGKAS", ConsumerKind.ZORGKAS, "Demo-zorgkas 1", zorgkas="ZK01"),
    Afnemer("zorgkas2.test.be", "ZORGKAS", ConsumerKind.ZORGKAS, "Demo-zorgkas 2", zorgkas="ZK02"),
    Afnemer("vsb.vlaanderen.be", "VSB", ConsumerKind.VSB, "Vlaamse Sociale Bescherming"),
    Afnemer("abb.vlaanderen.be", "ABB", ConsumerKind.ABB, "Agentschap Binnenlands Bestuur"),
    Afnemer(
        "integratie-inburgering.be",
        "AGII",
        ConsumerKind.AGII,
        "Agentschap Integratie en Inburgering",
    ),
)


class Afnemers:
    def __init__(self, afnemers: Iterable[Afnemer] = DEMO) -> None:
        self._per_sleutel = {(a.afzender, a.hoedanigheid): a for a in afnemers}

    def find(self, afzender: str | None, hoedanigheid: str | None) -> Afnemer | None:
        return self._per_sleutel.get((afzender or "", hoedanigheid or ""))

    def __iter__(self):
        return iter(self._per_sleutel.values())
