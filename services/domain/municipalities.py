"""The municipalities the emulator knows: a register of real Flemish ones (NIS code, name).

The population generator places people in them; the municipality lists accept their codes
(and any other code a persona lives in).
"""

from __future__ import annotations

# Real Flemish municipalities (NIS code, name), as in the MAGDA mock's persona data.
GEMEENTEN = (
    ("11002", "Antwerpen"),
    ("11035", "Ranst"),
    ("12021", "Lier"),
    ("12025", "Mechelen"),
    ("23025", "Grimbergen"),
    ("23088", "Vilvoorde"),
    ("24001", "Aarschot"),
    ("24055", "Kortenberg"),
    ("24062", "Leuven"),
    ("31005", "Brugge"),
    ("31043", "Knokke-Heist"),
    ("33011", "Ieper"),
    ("35002", "Bredene"),
    ("35013", "Oostende"),
    ("41002", "Aalst"),
    ("42006", "Dendermonde"),
    ("43005", "Eeklo"),
    ("44013", "Destelbergen"),
    ("44021", "Gent"),
    ("44040", "Melle"),
    ("44043", "Merelbeke"),
    ("45041", "Ronse"),
    ("46014", "Lokeren"),
    ("46021", "Sint-Niklaas"),
    ("71016", "Genk"),
    ("71022", "Hasselt"),
    ("72020", "Lommel"),
    ("73083", "Tongeren"),
)


def nis_hint(code: str) -> str:
    """ "; Gent's NIS code is 44021" when ``code`` is the name of a municipality of the
    register (any case), else nothing: a list asked for "Gent" says which code to give."""
    asked = code.strip().casefold()
    found = next(((nis, naam) for nis, naam in GEMEENTEN if naam.casefold() == asked), None)
    return f"; {found[1]}'s NIS code is {found[0]}" if found else ""


def name_in_register(nis: str) -> str | None:
    """The name the register gives the municipality of ``nis``, or None (not in it)."""
    return next((naam for code, naam in GEMEENTEN if code == nis), None)


def same_name(a: str, b: str) -> bool:
    """The same municipality's name, written with other case, spaces or hyphens
    ("Knokke Heist" for Knokke-Heist)."""
    return _letters(a) == _letters(b)


def _letters(name: str) -> str:
    return "".join(c for c in name.casefold() if c.isalnum())


def is_nis_code(code: str) -> bool:
    """Five ASCII digits, as every Belgian municipality's NIS code."""
    return len(code) == 5 and code.isascii() and code.isdigit()
