"""A request's shape: its bytes with the values that change from call to call taken out.

A consumer sends the same question again and again with new Refertes and a new Context
Tijdstip. Two requests with the same shape parse to the same tree except for those values,
so when one of them was parsed, validated against the XSD and checked, the other needs
none of that again, provided each value it carries is valid for its type. That is what
:func:`shape` and :func:`valid_values` decide; the proof, step by step:

- Only a body without ``<!`` (comment, CDATA, DOCTYPE) and without ``<?`` after its first
  byte (a processing instruction; the XML declaration is allowed) has a shape: then every
  ``<Referte>`` or ``<Tijdstip>`` in the bytes is a start tag (``<`` cannot stand in an
  attribute value), so the values taken out are element texts, found in document order.
- The values are replaced by a NUL byte, which no XML document contains: equal shapes mean
  equal bytes everywhere else, the same elements, attributes, namespaces and order.
- In every request XSD of ours (all from ``Generiek.xsd``), ``Referte`` is ``ReferteType``
  (a string of 1 to 36 characters) and ``Tijdstip`` holds ``DatumType`` (``xs:date``,
  ``YYYY-MM-DD``) and ``TijdType`` (``hh:mm[:ss[.mmm]]``). A value is accepted only when it
  is of that type, and from a narrower alphabet than the type allows (no whitespace, no
  entity), so that it reads back as written.

So a request whose shape is known, with valid values, is valid exactly as the request that
taught the shape was. :class:`~magda_kbi.adapters.app.Emulator` keeps the shapes that
were answered from a reply template.
"""

from __future__ import annotations

import re
from datetime import date

_WAARDEN = re.compile(
    rb"<Referte>([^<]*)</Referte>|<Tijdstip>(\s*)<Datum>([^<]*)</Datum>(\s*)<Tijd>([^<]*)</Tijd>"
)
_REFERTE = re.compile(rb"[A-Za-z0-9._:\-]{1,36}")
_DATUM = re.compile(rb"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIJD = re.compile(rb"[0-2][0-9]:[0-5][0-9](:[0-5][0-9](\.[0-9]{3})?)?")
HOLE = b"\x00"  # never in an XML document


def shape(body: bytes) -> tuple[bytes, list[bytes], list[bytes]] | None:
    """(shape, the Referte values in document order, the Tijdstips' Datum and Tijd values),
    or None for a body that has no shape (a comment, CDATA, a DOCTYPE, a PI, a NUL)."""
    if b"<!" in body or body.find(b"<?", 1) != -1 or HOLE in body:
        return None
    refertes: list[bytes] = []
    tijdstip: list[bytes] = []

    def eruit(gevonden: re.Match) -> bytes:
        if gevonden.group(1) is not None:
            refertes.append(gevonden.group(1))
            return b"<Referte>" + HOLE + b"</Referte>"
        tijdstip.extend((gevonden.group(3), gevonden.group(5)))
        return (
            b"<Tijdstip>" + gevonden.group(2) + b"<Datum>" + HOLE + b"</Datum>"
            + gevonden.group(4) + b"<Tijd>" + HOLE + b"</Tijd>"
        )  # fmt: skip

    return _WAARDEN.sub(eruit, body), refertes, tijdstip


def valid_values(refertes: list[bytes], tijdstip: list[bytes]) -> bool:
    """Every value of the type its element has in our request XSDs (see the module)."""
    if not all(_REFERTE.fullmatch(r) for r in refertes):
        return False
    for datum, tijd in zip(tijdstip[::2], tijdstip[1::2], strict=True):
        if not (_DATUM.fullmatch(datum) and _TIJD.fullmatch(tijd)):
            return False
        try:
            date.fromisoformat(datum.decode("ascii"))  # xs:date: a day of the calendar
        except ValueError:
            return False
    return True
