"""The emulator's "today": the real date, or a fixed one (``--today`` / ``MAGDA_KBI_TODAY``)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

# MAGDA's clock is Belgium's: the real date and the replies' time of day are Brussels's,
# whatever the machine's zone (a CI runner on UTC was a day behind the platform from 23:00
# UTC to midnight, 22:00 in summer: the facts of the platform's today unknown, the replies
# dated the day before).
PLATFORM_ZONE = ZoneInfo("Europe/Brussels")

# A fixed today lies in this century's 2000-2100 (as the lists' years): the KBI and its
# condition are of this century, and the console's timeline walks every day from 2022 to a
# year after today (today 2500: five seconds a page; 9999-12-31: past the calendar's end).
FIRST_TODAY, LAST_TODAY = date(2000, 1, 1), date(2100, 12, 31)
TODAY_RANGE = f"a date from {FIRST_TODAY} to {LAST_TODAY} (YYYY-MM-DD)"


_YYYY_MM_DD = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class NoSuchDay(ValueError):
    """``YYYY-MM-DD`` that the calendar does not have (2024-02-30); ``reason`` says which of
    its numbers is wrong, in Python's words ("day is out of range for month")."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"{text!r} is not a date (YYYY-MM-DD): {reason}")
        self.reason = reason


def iso_date(text: str) -> date:
    """A date written ``YYYY-MM-DD``, as every input says and the contract's xs:date has it;
    ValueError otherwise. ``date.fromisoformat`` alone also takes ``20240101`` and the week
    date ``2024-W01-1`` (Python 3.11+), which a consumer would then send to MAGDA in vain."""
    if not _YYYY_MM_DD.fullmatch(text):
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError as error:  # 2024-02-30: say which of its numbers is wrong
        raise NoSuchDay(text, str(error)) from None


def today_from_text(text: str) -> date:
    """A fixed today from ``YYYY-MM-DD``; ValueError outside :data:`TODAY_RANGE`."""
    day = iso_date(text)
    if not FIRST_TODAY <= day <= LAST_TODAY:
        raise ValueError(f"{text!r} is not {TODAY_RANGE}")
    return day


# The real date as last looked up, and for which second: (seconds since the epoch, date)
_seen: tuple[int, date] = (-1, date.min)


def real_today() -> date:
    """The platform's date now (Brussels), looked up once a second: it cost 0.8 us, on every
    request."""
    global _seen
    second = int(time.time())
    kept = _seen
    if kept[0] != second:  # a tuple, replaced whole: safe with threads
        kept = _seen = (second, datetime.fromtimestamp(second, PLATFORM_ZONE).date())
    return kept[1]


@dataclass
class Clock:
    fixed: date | None = None  # None: the real date

    def __post_init__(self) -> None:
        if self.fixed is not None and not FIRST_TODAY <= self.fixed <= LAST_TODAY:
            raise ValueError(f"{self.fixed.isoformat()!r} is not {TODAY_RANGE}")
        self.base_day = self.fixed  # what reset() returns to

    def reset(self) -> None:
        self.fixed = self.base_day

    def today(self) -> date:
        return self.fixed or real_today()

    def now(self) -> datetime:
        """Today's date (fixed or real) with the platform's time of day, for Context
        Tijdstip."""
        return datetime.combine(self.today(), datetime.now(PLATFORM_ZONE).time())
