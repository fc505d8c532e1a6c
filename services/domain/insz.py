"""INSZ (Belgian social-security number) checks: format, modulo 97, MAGDA test numbers."""

from __future__ import annotations

import random
import re
from collections.abc import Collection
from datetime import date, timedelta

_ELF_CIJFERS = re.compile(r"[0-9]{11}")
# As printed on the eID and in the national register's letters: 73.68.05-997.86
_GEDRUKT = re.compile(r"([0-9]{2})\.([0-9]{2})\.([0-9]{2})-([0-9]{3})\.([0-9]{2})")


def unformatted(insz: str) -> str:
    """The eleven digits of an INSZ written as printed (73.68.05-997.86); else as given."""
    gedrukt = _GEDRUKT.fullmatch(insz.strip())
    return "".join(gedrukt.groups()) if gedrukt else insz


def as_printed(insz: str) -> str:
    """Eleven digits as printed: 73.68.05-997.86."""
    return f"{insz[:2]}.{insz[2:4]}.{insz[4:6]}-{insz[6:9]}.{insz[9:]}"


SHOWN = 24  # characters of a would-be INSZ a message repeats


def shown(insz: str, *, quote: bool = True) -> str:
    """A would-be INSZ as a message repeats it: quoted unless ``quote`` is False, and cut
    after :data:`SHOWN` characters with its length said (an admin body's INSZ of a megabyte
    made a refusal of two, echoed twice)."""
    head = insz[:SHOWN]
    text = repr(head) if quote else head
    return text if len(insz) <= SHOWN else f"{text}... ({len(insz)} characters)"


def is_eleven_digits(insz: str) -> bool:
    """Exactly eleven ASCII digits (``str.isdigit`` would accept other scripts' digits)."""
    return _ELF_CIJFERS.fullmatch(insz) is not None


def modulo97_valid(insz: str) -> bool:
    """The check digits are 97 minus the first nine digits modulo 97.

    People born from 2000 on have a ``2`` prefixed to the nine digits before the
    calculation; a number is valid when either variant matches.
    """
    if not is_eleven_digits(insz):
        return False
    base, check = int(insz[:9]), int(insz[9:])
    return check in (97 - base % 97, 97 - (2_000_000_000 + base) % 97)


def is_test_number(insz: str) -> bool:
    """A MAGDA TST-number: modulo-97 valid with month digits 61-72 (month + 60).

    No real person ever has such a number, so a persona can never address one.
    """
    return modulo97_valid(insz) and 61 <= int(insz[2:4]) <= 72


def make_test_number(born: date, sequence: int) -> str:
    """A MAGDA test number: the birth date with the month + 60, a sequence number
    (odd for a man, even for a woman, as in the national register) and the check digits."""
    if not 1 <= sequence <= 998:
        raise ValueError("the sequence number runs from 1 to 998")
    if not 1900 <= born.year <= 2099:  # two year digits, and the check digits tell the century
        raise ValueError(f"an INSZ holds a birth year from 1900 to 2099, not {born.year}")
    base = f"{born.year % 100:02d}{born.month + 60:02d}{born.day:02d}{sequence:03d}"
    return base + _check_digits(base, born.year >= 2000)


def new_test_numbers(
    count: int = 1,
    birth_date: date | None = None,
    sex: str | None = None,
    rnd: random.Random | None = None,
    taken: Collection[str] = (),
) -> list[str]:
    """``count`` different test numbers, none of them in ``taken``; a random birth date
    (1940-2007) unless ``birth_date``, a random sex unless ``sex`` (``M`` or ``F``)."""
    if sex not in (None, "M", "F"):
        hint = " (F for a woman: V is Dutch)" if sex in ("V", "v") else ""
        raise ValueError(f"sex is M or F, not {sex!r}{hint}")
    if birth_date is not None:  # sequence numbers 001-998: 499 odd (men), 499 even (women)
        per_day = 499 if sex else 998
        if count > per_day:  # asking for more would search for ever (1,000 times count)
            raise ValueError(
                f"a birth date has {per_day} test numbers{' of one sex' if sex else ''}:"
                f" ask for at most {per_day}, or leave out the birth date"
            )
    rnd = rnd or random.Random()
    # In order, and looked up in constant time: a list's look-up made 50,000 take 13 s.
    numbers: dict[str, None] = {}
    for _ in range(count * 1000):  # bounded: a date has 499 numbers per sex
        if len(numbers) == count:
            return list(numbers)
        day = birth_date or date(1940, 1, 1) + timedelta(days=rnd.randrange(24_837))
        sequence = rnd.randrange(1, 999)
        if sex is not None and (sequence % 2 == 1) != (sex == "M"):
            sequence = sequence + 1 if sequence < 998 else sequence - 1
        number = make_test_number(day, sequence)
        if number not in taken:
            numbers[number] = None
    raise ValueError(f"no {count} free test numbers for that birth date and sex")


def with_first_zero(insz: str) -> str | None:
    """Ten digits with the 0 put back that a spreadsheet drops from the front of a number
    (the INSZs of people born from 2000 to 2009 begin with 0), when that makes an INSZ
    that passes modulo 97; else None."""
    restored = "0" + insz
    return restored if is_eleven_digits(restored) and modulo97_valid(restored) else None


def first_zero_hint(insz: str) -> str:
    """What a refusal of ``insz`` adds when :func:`with_first_zero` finds its INSZ; else ""."""
    restored = with_first_zero(insz)
    return f"; a spreadsheet drops a number's first 0: did you mean {restored}?" if restored else ""


def why_not_a_test_number(insz: str) -> str | None:
    """What is wrong with ``insz`` as a MAGDA test number, in words; None when it is one."""
    if not is_eleven_digits(insz):
        return f"{shown(insz)} is not 11 digits{first_zero_hint(insz)}"
    if not modulo97_valid(insz):
        return check_digits_reason(insz)
    if not 61 <= int(insz[2:4]) <= 72:
        return (
            f"the month digits are {insz[2:4]}: a real person's number could look like this; "
            "a MAGDA test number has month digits 61-72 (the birth month + 60)"
        )
    return None


def check_digits_reason(insz: str) -> str:
    """Which check digits eleven digits would need (a digit mistyped, most often)."""
    return (
        f"the check digits are {insz[9:]}; modulo 97 asks for "
        f"{_check_digits(insz[:9], False)} (born before 2000) or "
        f"{_check_digits(insz[:9], True)} (born from 2000 on)"
    )


def nearest_test_number(insz: str) -> str | None:
    """The test number closest to ``insz``: the same birth date and sequence with the month
    made a test month and the check digits put right; None when it is not 11 digits (or
    ten that lost their first 0: :func:`with_first_zero`)."""
    if not is_eleven_digits(insz):
        restored = with_first_zero(insz)
        return nearest_test_number(restored) if restored else None
    month = int(insz[2:4])
    if 1 <= month <= 12:
        month += 60
    elif not 61 <= month <= 72:
        return None
    base = f"{insz[:2]}{month:02d}{insz[4:9]}"
    born_after_2000 = modulo97_valid(insz) and insz[9:] == _check_digits(insz[:9], True)
    return base + _check_digits(base, born_after_2000)


def _check_digits(nine: str, after_2000: bool) -> str:
    number = int(nine) + (2_000_000_000 if after_2000 else 0)
    return f"{97 - number % 97:02d}"
