"""The request shapes the emulator answers from a template without parsing (wire/shape.py).

A request that was parsed, validated and answered from a template teaches its shape, when
its values are of the safe form and its holes are exactly its Referte elements and its one
INSZ; a later request of that shape with valid values is answered from the template again,
unparsed. Each answer is tested byte for byte against the long way (tests/test_shape.py).
"""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from lxml import etree

from magda_kbi.domain.insz import modulo97_valid
from magda_kbi.runtime.diensten import Dienst, Runtime, ValidRequest
from magda_kbi.runtime.reply_templates import PersonaCache
from magda_kbi.runtime.wsgi_keys import CALL_KEY
from magda_kbi.wire.shape import (
    PROBE_INSZ,
    Pattern,
    matched,
    pattern,
    probe,
    shape,
    valid_values,
)
from magda_kbi.wire.xml import NS_SOAP11, safe_parser

MAX_SHAPES = 4096  # request shapes kept (each about the size of a request)
RECENT_SHAPES = 4  # tried first, one pattern match each

log = logging.getLogger(__name__)


class Known(NamedTuple):
    """A request shape answered from a template, as the emulator keeps it."""

    path: str | None
    content_type: str | None
    pattern: Pattern
    dienst: Dienst
    request: ValidRequest  # the request it was learnt from, as read
    # Which of the request's Refertes (in document order) is the Afzender's (if it has
    # one) and which the Vraag's: indexes, not a dict of roles built per request
    afzender_at: int | None
    vraag_at: int


class KnownShapes:
    """The shapes learnt, by (path, Content-Type, shape); the few last answered from are
    tried first, as patterns."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.by_key: OrderedDict[tuple, Known] = OrderedDict()
        self.recent: list[Known] = []
        # Per known shape and INSZ the last decision (Dienst.decided), kept with its shape:
        # a shape dropped and another made in its place (the same id) finds none of it
        self.decisions = PersonaCache()

    def __len__(self) -> int:
        return len(self.by_key)

    def __iter__(self) -> Iterator[Known]:
        """The shapes kept, the oldest first."""
        return iter(list(self.by_key.values()))

    def learn(self, environ: dict, service: Dienst, body: bytes, parsed: ValidRequest) -> None:
        """Keeps the shape of a request that was parsed, validated and answered from a
        template, when its values are of the safe form of wire/shape.py and its holes are,
        parsed, exactly its Referte elements (Afzender's and Vraag's, once each) and the
        one INSZ element, the one its service reads."""
        found = shape(body)
        if (
            found is None
            or len(found.tijdstip) != 2
            or len(found.inszs) != 1
            or not valid_values(found)
        ):
            return
        try:  # once per shape, not per call: the probe's parse is the proof
            probed = etree.fromstring(probe(body), safe_parser())
        except etree.XMLSyntaxError:
            return
        elements = list(probed.iter("Referte"))
        roles = tuple(str(e.getparent().tag) for e in elements)
        inszs = list(probed.iter("INSZ"))
        operation = probed.find(f"{{{NS_SOAP11}}}Body/{service.operation_tag}")
        if (
            [e.text for e in elements] != [f"p{n}" for n in range(len(found.refertes))]
            or sorted(roles) not in (["Vraag"], ["Afzender", "Vraag"])
            or len(inszs) != 1
            or inszs[0].text != PROBE_INSZ
            or operation is None
            or operation.find(f"Verzoek/{service.contract.insz_path}") is not inszs[0]
        ):
            return
        shape_regex = pattern(body)
        if shape_regex is None:
            return
        if len(self.by_key) >= MAX_SHAPES:  # a bound: the oldest goes (all at once: 20 ms)
            with contextlib.suppress(KeyError):  # emptied by another thread meanwhile
                self.by_key.popitem(last=False)  # constant time, as in PersonaCache
        path, kind = environ.get("PATH_INFO"), environ.get("CONTENT_TYPE")
        afzender_at = roles.index("Afzender") if "Afzender" in roles else None
        known = Known(path, kind, shape_regex, service, parsed, afzender_at, roles.index("Vraag"))
        self.by_key[(path, kind, found.key)] = known
        self._first(known)

    def recognise(self, environ: dict, body: bytes) -> tuple[Known, Sequence[bytes], bytes] | None:
        """A request of a known shape with valid values: the shape, its Referte values and
        its INSZ. The last shapes answered from are tried first, each in one match; then
        the request's own shape is looked up."""
        path, kind = environ.get("PATH_INFO"), environ.get("CONTENT_TYPE")
        for known in self.recent:  # a copy is replaced, never changed: safe with threads
            if known.path == path and known.content_type == kind:
                values = matched(known.pattern, body)
                if values is not None:
                    return known, *values
        found = shape(body)
        if found is None:
            return None
        known = self.by_key.get((path, kind, found.key))
        if known is None or not valid_values(found):
            return None
        self._first(known)
        return known, found.refertes, found.inszs[0]  # one INSZ: it was learnt so

    def _first(self, known: Known) -> None:
        self.recent = [known, *(k for k in self.recent if k is not known)][:RECENT_SHAPES]

    def answer(
        self, environ: dict, known: Known, refertes: Sequence[bytes], insz_value: bytes
    ) -> bytes | None:
        """The reply to a request of a known shape with valid values, from the template
        without parsing or validating it again (the call noted in the environ); None sends
        it the usual way (so does an INSZ that fails the modulo-97 check: the usual way
        says why)."""
        service, parsed, afzender_at = known.dienst, known.request, known.afzender_at
        insz = insz_value.decode("ascii")
        today = self.runtime.clock.today()
        # The shape's last decision about this person, while it still holds, spares the
        # decision, the template's key and its lookup (a quarter of this path with cold
        # caches, as under load: benchmarks/README.md)
        key = (id(known), insz)
        decided = self.decisions.find(key, known)
        try:
            if decided is None or not service.still_holds(decided, insz, today):
                if insz != parsed.vraag.insz:  # another person than the one it was learnt from
                    if not modulo97_valid(insz):
                        return None
                    parsed = service.for_insz(parsed, insz)
                decided = service.decided(parsed, today)
                if decided is None:
                    return None
                self.decisions.keep(key, known, decided)
            response, environ[CALL_KEY] = service.fill(
                decided,
                None if afzender_at is None else refertes[afzender_at].decode("ascii"),
                refertes[known.vraag_at].decode("ascii"),
            )
        except Exception:  # never a crash: the usual path answers or reports it
            log.exception("unexpected error in the reply template of %s", service.naam)
            return None
        return response
