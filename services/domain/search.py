"""How a person is found by a search (the console's): by INSZ, also as printed, by name and
by scenario, case and accents aside. The same text in memory and in a store's catalogue,
where it is kept beside each persona so that the store can narrow a search in SQL."""

from __future__ import annotations

import re
import unicodedata

from magda_kbi.domain.dossier import Persona
from magda_kbi.domain.insz import as_printed

# A search ignores case and accents ("said" finds Saïd, "emile" Émile): each letter without
# the combining marks Unicode's canonical decomposition gives it (NFD), in lower case. The
# ranges are the combining diacritical marks and their extended, supplement, symbol and
# half-mark blocks. Latin letters that decompose into no base and mark are written as a
# keyboard without them writes them ("yilmaz" finds Yılmaz, "sorensen" Sørensen).
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_PLAIN = str.maketrans(
    {"ı": "i", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "ŧ": "t", "ŀ": "l"}
    | {"æ": "ae", "œ": "oe", "ß": "ss", "þ": "th"}
)


def folded(text: str) -> str:
    """``text`` as a search compares it (see above); control characters are spaces (a
    scenario may hold one, and a store's text column cannot hold a NUL), and so is half a
    character (a surrogate: a persona refuses one, a store written before may hold one)."""
    if text.isascii() and text.isprintable():
        return text.lower()
    text = _CONTROLS.sub(" ", text)
    return _MARKS.sub("", unicodedata.normalize("NFD", text)).lower().translate(_PLAIN)


def name_of(persona: Persona) -> str:
    """First names, then surnames, from the dossier; the persona's naam without one."""
    if persona.dossier is not None:
        p = persona.dossier.personalia
        return " ".join((*p.voornamen, *p.achternamen))
    return persona.naam


def search_text(insz: str, name: str, scenario: str) -> str:
    """What a search looks in, folded: the INSZ also as a letter or an eID card prints it
    (73.68.05-997.86), the name and the scenario."""
    return folded(f"{insz} {as_printed(insz)} {name} {scenario}")


def persona_search_text(persona: Persona) -> str:
    return search_text(persona.insz, name_of(persona), persona.scenario)
