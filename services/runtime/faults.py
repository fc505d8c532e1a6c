"""Faults to inject on purpose: latency, MAGDA's 99996, 99995 and 99994, SOAP Faults, HTTP
500/503, dropped connections.

A fault applies to one SOAP service or to all, to one INSZ or to all, for the next N
calls (``count``), for a share of calls (``share``), or until it is removed. Latency faults
add up; of the other kinds the first matching one (oldest first) decides the call.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Literal, get_args

from pydantic import Field

from magda_kbi.io.schemas import INSZ_PATTERN, build, dump


class FaultKind(StrEnum):
    LATENCY = "latency"
    TE_VEEL_BEVRAGINGEN = "99996"
    TE_VEEL_BEVRAGINGEN_99995 = "99995"
    FOUT_BIJ_DE_BRON = "99994"  # "Onverwachte fout bij de bron"
    SOAP_FAULT = "soap_fault"
    HTTP_500 = "http_500"
    HTTP_503 = "http_503"
    DROP = "drop"


Dienstnaam = Literal["GeefDossierKBI", "GeefAutomatischAdvies"]
DIENSTEN = get_args(Dienstnaam)


class ConnectionDropped(ConnectionAbortedError):
    """Raised into the server on purpose to cut a connection (fault kind ``drop``)."""

    SAID = "injected fault: the connection is dropped"


Milliseconds = Annotated[int, Field(ge=0, le=60_000, strict=True)]


@dataclass
class Fault:
    """One fault: its JSON in the admin API is these fields (``id`` and ``applied`` are
    the emulator's, never the caller's)."""

    kind: FaultKind
    service: Dienstnaam | None = None  # None: all
    insz: Annotated[str, Field(pattern=INSZ_PATTERN, strict=True)] | None = None  # None: all
    latency_ms: Milliseconds = 0
    latency_max_ms: Milliseconds | None = None  # with latency_ms: a random latency between
    count: Annotated[int, Field(ge=1, le=1_000_000, strict=True)] | None = None  # next N calls
    share: Annotated[float, Field(gt=0, le=1, strict=True)] | None = (
        None  # that share of them; None: all
    )
    id: int = field(default=0, init=False)
    applied: int = field(default=0, init=False)

    __pydantic_config__ = {"extra": "forbid"}

    def __post_init__(self) -> None:
        # what one field's type cannot say ("field: reason", as the input errors read)
        if self.latency_max_ms is not None and self.latency_max_ms < self.latency_ms:
            raise ValueError("latency_max_ms: is less than latency_ms")
        if self.kind is FaultKind.LATENCY and not (self.latency_ms or self.latency_max_ms):
            raise ValueError("latency_ms: a latency fault needs latency_ms > 0")

    def matches(self, dienst: str, insz: str | None) -> bool:
        return (self.service in (None, dienst)) and (self.insz in (None, insz))

    def delay(self) -> float:
        """Seconds to wait."""
        if self.latency_max_ms is None:
            return self.latency_ms / 1000
        return random.uniform(self.latency_ms, self.latency_max_ms) / 1000

    def as_json(self) -> dict:
        return dump(Fault, self)


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._slot = threading.Lock()
        self._next_id = 1

    @property
    def active(self) -> bool:
        return bool(self._faults)

    def add(self, data: object) -> Fault:
        fault = fault_from_json(data)
        with self._slot:
            fault.id, self._next_id = self._next_id, self._next_id + 1
            self._faults.append(fault)
        return fault

    def all(self) -> list[Fault]:
        with self._slot:
            return list(self._faults)

    def remove(self, id_: int) -> bool:
        with self._slot:
            before = len(self._faults)
            self._faults = [s for s in self._faults if s.id != id_]
            return len(self._faults) < before

    def clear(self) -> None:
        with self._slot:
            self._faults = []

    def pick(self, dienst: str, insz: str | None) -> tuple[float, FaultKind | None]:
        """For one call: the latency to add and the failure to produce (or None).

        Counts are used up here, so a fault "for the next 2 calls" hits exactly two.
        """
        with self._slot:
            delay, fault, self._faults = pick_fault(self._faults, dienst, insz)
        return delay, fault


def pick_fault(
    items: list[Fault], dienst: str, insz: str | None
) -> tuple[float, FaultKind | None, list[Fault]]:
    """The faults' decision for one call, on a list the caller holds exclusively (a lock,
    or a store's write transaction): the latency, the failure (or None), and the faults
    that remain, their counts used up (``applied`` and ``count`` change in place)."""
    delay, fault = 0.0, None
    for s in items:
        if not s.matches(dienst, insz):
            continue
        if s.kind is not FaultKind.LATENCY and fault is not None:
            continue
        if s.share is not None and random.random() >= s.share:
            continue
        s.applied += 1
        if s.count is not None:
            s.count -= 1
        # Any kind waits its latency_ms first (a slow 99996, as a busy platform gives):
        # on a failure it was kept and shown, and never applied.
        delay += s.delay()
        if s.kind is not FaultKind.LATENCY:
            fault = s.kind
    return delay, fault, [s for s in items if s.count is None or s.count > 0]


def fault_from_json(data: object) -> Fault:
    """A fault from the admin API's JSON, checked (:class:`InputError` names the field)."""
    return build(Fault, data)
