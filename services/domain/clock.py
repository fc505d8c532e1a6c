"""The emulator's "today": the real date, or a fixed one (``--today`` / ``MAGDA_KBI_TODAY``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass
class Clock:
    vast: date | None = None

    def __post_init__(self) -> None:
        self.basis = self.vast  # what reset() returns to

    def reset(self) -> None:
        self.vast = self.basis

    def vandaag(self) -> date:
        return self.vast or date.today()

    def nu(self) -> datetime:
        """Today's date (fixed or real) with the real time of day, for Context Tijdstip."""
        return datetime.combine(self.vandaag(), datetime.now().time())
