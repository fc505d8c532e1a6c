"""The emulator's "today": the real date, or a fixed one (``--today`` / ``MAGDA_KBI_TODAY``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass
class Clock:
    fixed: date | None = None  # None: the real date

    def __post_init__(self) -> None:
        self.basis = self.fixed  # what reset() returns to

    def reset(self) -> None:
        self.fixed = self.basis

    def today(self) -> date:
        return self.fixed or date.today()

    def now(self) -> datetime:
        """Today's date (fixed or real) with the real time of day, for Context Tijdstip."""
        return datetime.combine(self.today(), datetime.now().time())
