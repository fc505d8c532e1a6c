"""The journal: every SOAP and REST call, kept in memory within a fixed bound.

Tests use it to verify what their application actually sent (Afzender, Hoedanigheid,
INSZ, Referte) and what it got back. The oldest entries fall off when it is full, so a
long run cannot grow without limit.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass
class Aantekening:
    """What one call leaves in the journal; the layers fill in what they learn."""

    endpoint: str
    operatie: str | None = None
    afzender: str | None = None
    hoedanigheid: str | None = None
    insz: str | None = None
    referte: str | None = None
    resultaat: str | None = None
    extra: dict = field(default_factory=dict)
    soort: str = "call"  # "call" (SOAP, REST) or "admin" (an admin action)
    status: int | None = None  # set when no HTTP status reached the client (0: dropped)


@dataclass(frozen=True)
class Regel:
    tijd: datetime
    endpoint: str
    operatie: str | None
    afzender: str | None
    hoedanigheid: str | None
    insz: str | None
    referte: str | None
    resultaat: str | None
    status: int
    latentie_ms: float
    extra: dict = field(default_factory=dict)
    soort: str = "call"

    def als_json(self) -> dict:
        return {
            "time": self.tijd.isoformat(timespec="milliseconds"),
            "kind": self.soort,
            "endpoint": self.endpoint,
            "operation": self.operatie,
            "afzender": self.afzender,
            "hoedanigheid": self.hoedanigheid,
            "insz": self.insz,
            "referte": self.referte,
            "result": self.resultaat,
            "status": self.status,
            "latency_ms": round(self.latentie_ms, 3),
            **self.extra,
        }


class Journaal:
    """``audit`` names a file that gets every entry too, as a JSON line (append-only,
    flushed per entry), so the decisions outlive the process."""

    def __init__(self, grootte: int = 1000, audit: Path | None = None) -> None:
        if grootte < 1:
            raise ValueError("the journal size must be at least 1")
        self.grootte = grootte
        self.audit = audit
        self._regels: deque[Regel] = deque(maxlen=grootte)
        self._slot = threading.Lock()
        self._auditbestand = None

    def schrijf(self, regel: Regel) -> None:
        with self._slot:
            self._regels.append(regel)
            if self.audit is not None:
                if self._auditbestand is None:  # opened in the process that writes
                    self._auditbestand = self.audit.open("a", encoding="utf-8")
                self._auditbestand.write(json.dumps(regel.als_json(), ensure_ascii=False) + "\n")
                self._auditbestand.flush()

    def lees(
        self,
        *,
        insz: str | None = None,
        afzender: str | None = None,
        operatie: str | None = None,
        sinds: datetime | None = None,
        soort: str | None = "call",
    ) -> list[Regel]:
        """The entries that match; ``soort`` ``call`` (default), ``admin`` or None (all)."""
        with self._slot:
            regels = list(self._regels)
        return [
            r
            for r in regels
            if (insz is None or r.insz == insz)
            and (afzender is None or r.afzender == afzender)
            and (operatie is None or r.operatie == operatie)
            and (sinds is None or r.tijd >= sinds)
            and (soort is None or r.soort == soort)
        ]

    def wis(self) -> None:
        with self._slot:
            self._regels.clear()

    def __len__(self) -> int:
        return len(self._regels)
