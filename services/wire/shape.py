"""A request's shape: its bytes with the values that change from call to call taken out.

A consumer sends the same question again and again with new Refertes and a new Context
Tijdstip, and the same question about one person after another (a yearly list, a load
test over a population): the INSZ. Two requests with the same shape parse to the same tree
except for those values,
so when one of them was parsed, validated against the XSD and checked, the other needs
none of that again, provided each value it carries is valid for its type. That is what
:func:`shape` and :func:`valid_values` decide; the proof, step by step:

- Only a body without ``<!`` (comment, CDATA, DOCTYPE) and without ``<?`` after its first
  byte (a processing instruction; the XML declaration is allowed) has a shape: then every
  ``<Referte>`` or ``<Tijdstip>`` in the bytes is a start tag (``<`` cannot stand in an
  attribute value), so the values taken out are element texts, found in document order.
- ``<INSZ>`` likewise (its value becomes a hole); the emulator keeps a shape only when the
  request it learnt from had exactly one INSZ element, the one its service reads, whose
  text was the one value taken out.
- The values are replaced by a NUL byte, which no XML document contains: equal shapes mean
  equal bytes everywhere else, the same elements, attributes, namespaces and order.
- In every request XSD of ours (all from ``Generiek.xsd``), ``Referte`` is ``ReferteType``
  (a string of 1 to 36 characters) and ``Tijdstip`` holds ``DatumType`` (as the real one,
  a pattern on a string: ``YYYY-MM-DD``, the year's first digit 0-2 or 9, the month's 0-1,
  the day's 0-3; no calendar check) and ``TijdType`` (``hh:mm[:ss[.mmm]]``). A value is
  accepted only when it is of that type, and from a narrower alphabet than the type allows
  (no whitespace, no entity, no "," where the real DatumType's first digit takes one), so
  that it reads back as written. ``INSZ`` is ``INSZType``, eleven digits of any script
  (``\\p{N}{11}``, an ``xs:string``: no whitespace collapsed); a hole takes 0-9 only (any
  other goes the long way, where the INSZ check refuses it). The modulo-97 check, done
  after validation on the long way, is done per call for a known shape too
  (:class:`~magda_kbi.adapters.app.Emulator`).

So a request whose shape is known, with valid values, is valid exactly as the request that
taught the shape was. :class:`~magda_kbi.adapters.app.Emulator` keeps the shapes that
were answered from a reply template, and tries the last few first as a :class:`Pattern`:
the learnt bytes literally with each hole its value's type, one match instead of a key
built, hashed and looked up and the values checked one by one.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# <Referte>v</Referte>, <Tijdstip> with its Datum and Tijd, <INSZ>v</INSZ>; the "<" taken
# out of the alternatives, so that each "<" of the body is tried once (3.7 -> 2.4 us a body)
_WAARDEN = re.compile(
    rb"<(?:Referte>([^<]*)</Referte"
    rb"|Tijdstip>(\s*)<Datum>([^<]*)</Datum>(\s*)<Tijd>([^<]*)</Tijd"
    rb"|INSZ>([^<]*)</INSZ)>"
)
# The values a hole may take (the narrowed XSD types above); a learnt shape's Pattern uses
# the same
_REFERTE_TYPE = rb"[A-Za-z0-9._:\-]{1,36}"
_DATUM_TYPE = rb"[0-29][0-9]{3}-[01][0-9]-[0-3][0-9]"  # the real pattern (its "," the long way)
_TIJD_TYPE = rb"[0-2][0-9]:[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{3})?)?"
_INSZ_TYPE = rb"[0-9]{11}"
_REFERTE, _DATUM, _TIJD, _INSZ = (
    re.compile(t) for t in (_REFERTE_TYPE, _DATUM_TYPE, _TIJD_TYPE, _INSZ_TYPE)
)
HOLE = b"\x00"  # never in an XML document


class Shape(NamedTuple):
    key: bytes  # the body with the values taken out
    refertes: list[bytes]  # the Referte values, in document order
    tijdstip: list[bytes]  # each Tijdstip's Datum and Tijd values
    inszs: list[bytes]  # the INSZ values


def shape(body: bytes) -> Shape | None:
    """The request's shape, or None for a body that has none (a comment, CDATA, a DOCTYPE,
    a processing instruction, a NUL)."""
    if b"<!" in body or body.find(b"<?", 1) != -1 or HOLE in body:
        return None
    refertes: list[bytes] = []
    tijdstip: list[bytes] = []
    inszs: list[bytes] = []

    def hole(match: re.Match) -> bytes:
        if match.group(1) is not None:
            refertes.append(match.group(1))
            return b"<Referte>" + HOLE + b"</Referte>"
        if match.group(6) is not None:
            inszs.append(match.group(6))
            return b"<INSZ>" + HOLE + b"</INSZ>"
        tijdstip.extend((match.group(3), match.group(5)))
        return (
            b"<Tijdstip>" + match.group(2) + b"<Datum>" + HOLE + b"</Datum>"
            + match.group(4) + b"<Tijd>" + HOLE + b"</Tijd>"
        )  # fmt: skip

    return Shape(_WAARDEN.sub(hole, body), refertes, tijdstip, inszs)


PROBE_INSZ = "00000000000"  # fails the modulo-97 check: never the INSZ of a learnt request


def probe(body: bytes) -> bytes:
    """The body with the n-th Referte value replaced by ``p<n>`` and each INSZ value by
    :data:`PROBE_INSZ`. Parsed, it shows which elements the holes are, whatever the bytes
    around them (a namespace in scope, an element written ``<INSZ >``): the proof that a
    shape's holes are the elements the emulator reads."""
    counter = iter(range(1 << 30))

    def mark(match: re.Match) -> bytes:
        if match.group(1) is not None:
            return b"<Referte>p%d</Referte>" % next(counter)
        if match.group(6) is not None:
            return b"<INSZ>" + PROBE_INSZ.encode("ascii") + b"</INSZ>"
        return match.group(0)

    return _WAARDEN.sub(mark, body)


def valid_values(match: Shape) -> bool:
    """Every value of the type its element has in our request XSDs (see the module)."""
    for referte in match.refertes:  # loops, not all(...): this runs on every call
        if _REFERTE.fullmatch(referte) is None:
            return False
    for insz in match.inszs:
        if _INSZ.fullmatch(insz) is None:
            return False
    tijdstip = match.tijdstip
    for datum, tijd in zip(tijdstip[::2], tijdstip[1::2], strict=True):
        if not (_DATUM.fullmatch(datum) and _TIJD.fullmatch(tijd)):
            return False
    return True


class Pattern(NamedTuple):
    """A shape as one expression: the bytes of the body it was learnt from as they are, each
    hole a group of its value's type. A body it matches in full is of that shape with values
    of their types (what :func:`shape` and :func:`valid_values` say together), found in one
    match: no key to build and hash."""

    regex: re.Pattern[bytes]
    # The groups read, in one call: the Referte values in document order, the INSZ (the
    # Tijdstip's Datum and Tijd are checked by the pattern alone)
    groups: tuple[int, ...]


def pattern(body: bytes) -> Pattern | None:
    """The pattern of a body's shape; None unless the body has a shape with exactly one
    Tijdstip and one INSZ (the only shapes the emulator keeps)."""
    if shape(body) is None:
        return None
    parts: list[bytes] = []
    refertes: list[int] = []
    tijdstip = False
    insz = group = einde = 0
    for match in _WAARDEN.finditer(body):
        parts.append(re.escape(body[einde : match.start()]))
        einde = match.end()
        if match.group(1) is not None:
            group += 1
            refertes.append(group)
            parts.append(b"<Referte>(" + _REFERTE_TYPE + b")</Referte>")
        elif match.group(6) is not None:
            if insz:
                return None
            group += 1
            insz = group
            parts.append(b"<INSZ>(" + _INSZ_TYPE + b")</INSZ>")
        else:
            if tijdstip:
                return None
            tijdstip = True
            parts += (
                b"<Tijdstip>", re.escape(match.group(2)), b"<Datum>", _DATUM_TYPE,
                b"</Datum>", re.escape(match.group(4)), b"<Tijd>", _TIJD_TYPE, b"</Tijd>",
            )  # fmt: skip
    parts.append(re.escape(body[einde:]))
    if not (tijdstip and insz):
        return None
    return Pattern(re.compile(b"".join(parts)), (*refertes, insz))


def matched(pattern: Pattern, body: bytes) -> tuple[tuple[bytes, ...], bytes] | None:
    """The Referte values and the INSZ of a body of this pattern with valid values, or None."""
    match = pattern.regex.fullmatch(body)
    if match is None:
        return None
    values = match.group(*pattern.groups)  # two groups or more (a Referte, the INSZ): a tuple
    return values[:-1], values[-1]
