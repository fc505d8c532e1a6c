"""Faults to inject on purpose: latency, MAGDA's 99996, 99995 and 99994, SOAP Faults, HTTP
500/503, dropped connections.

A fault applies to one SOAP service or to all, to one INSZ or to all, for the next N
calls (``count``), for a share of calls (``share``), or until it is removed. Latency faults
add up; of the other kinds the first matching one (oldest first) decides the call.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from enum import StrEnum


class FaultKind(StrEnum):
    LATENCY = "latency"
    TE_VEEL_BEVRAGINGEN = "99996"
    TE_VEEL_BEVRAGINGEN_99995 = "99995"
    FOUT_BIJ_DE_BRON = "99994"  # "Onverwachte fout bij de bron"
    SOAP_FAULT = "soap_fault"
    HTTP_500 = "http_500"
    HTTP_503 = "http_503"
    DROP = "drop"


DIENSTEN = ("GeefDossierKBI", "GeefAutomatischAdvies")


class ConnectionDropped(ConnectionAbortedError):
    """Raised into the server on purpose to cut a connection (fault kind ``drop``)."""


class InvalidFault(ValueError):
    def __init__(self, veld: str, reden: str) -> None:
        super().__init__(f"{veld}: {reden}")
        self.veld, self.reden = veld, reden


@dataclass
class Fault:
    id: int
    soort: FaultKind
    dienst: str | None = None
    insz: str | None = None
    latentie_ms: int = 0
    latentie_max_ms: int | None = None  # with latentie_ms: a random latency in that range
    aantal: int | None = None  # the next N matching calls; None: no limit
    aandeel: float | None = None  # that share of the matching calls; None: all
    toegepast: int = 0

    def past(self, dienst: str, insz: str | None) -> bool:
        return (self.dienst in (None, dienst)) and (self.insz in (None, insz))

    def latentie(self) -> float:
        """Seconds to wait."""
        if self.latentie_max_ms is None:
            return self.latentie_ms / 1000
        return random.uniform(self.latentie_ms, self.latentie_max_ms) / 1000

    def als_json(self) -> dict:
        return {
            "id": self.id,
            "kind": self.soort.value,
            "service": self.dienst,
            "insz": self.insz,
            "latency_ms": self.latentie_ms,
            "latency_max_ms": self.latentie_max_ms,
            "count": self.aantal,
            "share": self.aandeel,
            "applied": self.toegepast,
        }


class Faults:
    def __init__(self) -> None:
        self._lijst: list[Fault] = []
        self._slot = threading.Lock()
        self._volgende = 1

    @property
    def actief(self) -> bool:
        return bool(self._lijst)

    def voeg_toe(self, data: object) -> Fault:
        fault = fault_from_json(data, self._volgende)
        with self._slot:
            self._volgende += 1
            self._lijst.append(fault)
        return fault

    def lijst(self) -> list[Fault]:
        with self._slot:
            return list(self._lijst)

    def verwijder(self, id_: int) -> bool:
        with self._slot:
            voor = len(self._lijst)
            self._lijst = [s for s in self._lijst if s.id != id_]
            return len(self._lijst) < voor

    def wis(self) -> None:
        with self._slot:
            self._lijst = []

    def kies(self, dienst: str, insz: str | None) -> tuple[float, FaultKind | None]:
        """For one call: the latency to add and the failure to produce (or None).

        Counts are used up here, so a fault "for the next 2 calls" hits exactly two.
        """
        with self._slot:
            wachten, fault, self._lijst = kies_uit(self._lijst, dienst, insz)
        return wachten, fault


def kies_uit(
    lijst: list[Fault], dienst: str, insz: str | None
) -> tuple[float, FaultKind | None, list[Fault]]:
    """The faults' decision for one call, on a list the caller holds exclusively (a lock,
    or a store's write transaction): the latency, the failure (or None), and the faults
    that remain, their counts used up (``toegepast`` and ``aantal`` change in place)."""
    wachten, fault = 0.0, None
    for s in lijst:
        if not s.past(dienst, insz):
            continue
        if s.soort is not FaultKind.LATENCY and fault is not None:
            continue
        if s.aandeel is not None and random.random() >= s.aandeel:
            continue
        s.toegepast += 1
        if s.aantal is not None:
            s.aantal -= 1
        if s.soort is FaultKind.LATENCY:
            wachten += s.latentie()
        else:
            fault = s.soort
    return wachten, fault, [s for s in lijst if s.aantal is None or s.aantal > 0]


def fault_from_json(data: object, id_: int) -> Fault:
    """A fault from the admin API's JSON, checked: :class:`InvalidFault` names the field."""
    if not isinstance(data, dict):
        raise InvalidFault("-", "expected a JSON object")
    bekend = {"kind", "service", "insz", "latency_ms", "latency_max_ms", "count", "share"}
    onbekend = sorted(set(data) - bekend)
    if onbekend:
        raise InvalidFault(onbekend[0], f"unknown field (allowed: {', '.join(sorted(bekend))})")
    try:
        soort = FaultKind(data.get("kind"))
    except ValueError:
        raise InvalidFault("kind", f"one of {', '.join(s.value for s in FaultKind)}") from None
    dienst = data.get("service")
    if dienst is not None and dienst not in DIENSTEN:
        raise InvalidFault("service", f"null (all) or one of {', '.join(DIENSTEN)}")
    insz = data.get("insz")
    if insz is not None and not (
        isinstance(insz, str) and len(insz) == 11 and insz.isascii() and insz.isdigit()
    ):
        raise InvalidFault("insz", "null (everyone) or 11 digits")
    latentie = _geheel(data, "latency_ms", 0, 60_000) or 0
    latentie_max = _geheel(data, "latency_max_ms", latentie, 60_000)
    if soort is FaultKind.LATENCY and not (latentie or latentie_max):
        raise InvalidFault("latency_ms", "a latency fault needs latency_ms > 0")
    aandeel = data.get("share")
    if aandeel is not None and (
        isinstance(aandeel, bool) or not isinstance(aandeel, int | float) or not 0 < aandeel <= 1
    ):
        raise InvalidFault("share", "a number in (0, 1]")
    return Fault(
        id=id_,
        soort=soort,
        dienst=dienst,
        insz=insz,
        latentie_ms=latentie,
        latentie_max_ms=latentie_max,
        aantal=_geheel(data, "count", 1, 1_000_000),
        aandeel=aandeel,
    )


def _geheel(data: dict, veld: str, minimum: int, maximum: int) -> int | None:
    waarde = data.get(veld)
    if waarde is None:
        return None
    if isinstance(waarde, bool) or not isinstance(waarde, int) or not minimum <= waarde <= maximum:
        raise InvalidFault(veld, f"an integer from {minimum} to {maximum}")
    return waarde
