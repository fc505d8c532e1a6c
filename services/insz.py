"""INSZ (Belgian social-security number) checks: format, modulo 97, MAGDA test numbers."""

from __future__ import annotations

import re

_ELF_CIJFERS = re.compile(r"[0-9]{11}")


def is_elf_cijfers(insz: str) -> bool:
    """Exactly eleven ASCII digits (``str.isdigit`` would accept other scripts' digits)."""
    return _ELF_CIJFERS.fullmatch(insz) is not None


def modulo97_geldig(insz: str) -> bool:
    """The check digits are 97 minus the first nine digits modulo 97.

    People born from 2000 on have a ``2`` prefixed to the nine digits before the
    calculation; a number is valid when either variant matches.
    """
    if not is_elf_cijfers(insz):
        return False
    basis, controle = int(insz[:9]), int(insz[9:])
    return controle in (97 - basis % 97, 97 - (2_000_000_000 + basis) % 97)


def is_testnummer(insz: str) -> bool:
    """A MAGDA TST-number: modulo-97 valid with month digits 61-72 (month + 60).

    No real person ever has such a number, so a persona can never address one.
    """
    return modulo97_geldig(insz) and 61 <= int(insz[2:4]) <= 72
