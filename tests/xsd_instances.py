"""Instances of an element of an XSD set, drawn with hypothesis: every optional element,
repetition, choice and value its types allow, for a message the way another client may build
it. Values follow their enumeration, pattern or XML Schema type; what a pattern or a facet
lets through loosely is for the caller to filter by validating the instance against the
schema itself (a drawn instance is a candidate, the schema's word is final)."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path

from hypothesis import strategies as st
from lxml import etree

XS_NS = "http://www.w3.org/2001/XMLSchema"
XS = f"{{{XS_NS}}}"
# texts lxml can hold: no control characters, no surrogates
TEXT = st.characters(min_codepoint=0x20, max_codepoint=0x2FFF, exclude_categories=("Cc", "Cs"))
# xs:boolean and xs:date collapse whitespace: " true " is true
BOOLEANS = st.sampled_from(["true", "false", "1", "0", " true ", "\n0\n"])
DATES = st.dates(date(1900, 1, 1), date(2100, 12, 31))
COLLAPSED = st.sampled_from(["{}", "{}", " {}", "\n {}\t"])


def _xml_text(text: str) -> bool:
    return all(c in "\t\n\r" or (c.isprintable() and c not in "\ufffe\uffff") for c in text)


def _below(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name


@cache
def _matching(pattern: str) -> st.SearchStrategy[str] | None:
    """Texts an XSD pattern takes, drawn by Python's ``re`` (None: not a pattern it reads).
    ASCII letters and digits: libxml2 knows fewer scripts' than Python; ``\\p{L}`` stands in
    a character class wherever these XSDs write it."""
    python = pattern.replace(r"\p{N}", r"\d").replace(r"\p{L}", "a-zA-Z")
    try:
        return st.from_regex(re.compile(python, re.ASCII), fullmatch=True).filter(_xml_text)
    except re.error:
        return None


@cache
def texts(least: int, most: int) -> st.SearchStrategy[str]:
    """Texts an element can hold, of ``least`` to ``most`` characters."""
    return st.text(TEXT, min_size=least, max_size=most)


@cache
def _one_of(values: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(values)


@cache
def _integers(least: int, most: int) -> st.SearchStrategy[int]:
    # cached: hypothesis checks each strategy made, and a message makes hundreds
    return st.integers(least, most)


class XsdSet:
    """The global types and elements of a set of XSD files, by (namespace, name)."""

    def __init__(self, paths: list[Path]) -> None:
        self.types: dict[tuple[str | None, str], etree._Element] = {}
        self.elements: dict[tuple[str | None, str], etree._Element] = {}
        for path in paths:
            root = etree.parse(str(path)).getroot()
            namespace = root.get("targetNamespace")
            for node in root:
                if node.tag in (XS + "complexType", XS + "simpleType"):
                    self.types[(namespace, node.get("name"))] = node
                elif node.tag == XS + "element":
                    self.elements[(namespace, node.get("name"))] = node

    @staticmethod
    def _qname(node: etree._Element, value: str) -> tuple[str | None, str]:
        """A QName written in ``node`` (``xs:string``) as (namespace, local name)."""
        prefix, _, local = value.rpartition(":")
        return node.nsmap.get(prefix or None), local


class Instances(XsdSet):
    """Instances of the global elements of the XSD files below ``folder``."""

    def __init__(self, folder: Path, more: int = 2) -> None:
        """``more``: each repetition up to this many beyond its least (an unbounded one too;
        a reply's deep nesting multiplies it)."""
        super().__init__(sorted(folder.rglob("*.xsd")))
        self.more = more

    def draw(
        self,
        draw,
        namespace: str,
        name: str,
        fixed: dict[str, str | st.SearchStrategy[str]],
        most: dict[str, int] | None = None,
    ) -> etree._Element:
        """An instance of the global element ``{namespace}name``. ``fixed``: by path below
        the element (``Verzoek/Context/Naam``), its text or the texts to draw it from, each
        such element present; ``most``: by path, how often an element may occur at most."""
        self._draw, self._fixed, self._most = draw, fixed, most or {}
        return self._element(self.elements[(namespace, name)], None, "", namespace)

    def _element(self, node, parent, path: str, namespace: str | None = None) -> etree._Element:
        if node.get("ref"):  # a global element: in its own namespace
            key = self._qname(node, node.get("ref"))
            node, namespace = self.elements[key], key[0]
        name = node.get("name")
        tag = f"{{{namespace}}}{name}" if namespace else name  # local elements: unqualified
        element = etree.Element(tag) if parent is None else etree.SubElement(parent, tag)
        path = "" if parent is None else _below(path, name)
        type_ = node.find(XS + "complexType")
        if type_ is None:
            type_ = node.find(XS + "simpleType")
        if path in self._fixed:
            text = self._fixed[path]
            element.text = text if isinstance(text, str) else self._draw(text)
        elif type_ is not None:
            self._content(type_, element, path)
        else:
            self._content(self._qname(node, node.get("type", "xs:string")), element, path)
        return element

    def _content(self, type_, element, path: str) -> None:
        """``type_``: a type's node, or its (namespace, name)."""
        if isinstance(type_, tuple):
            if type_[0] == XS_NS:
                element.text = self._builtin(type_[1], {})
                return
            type_ = self.types[type_]
        if type_.tag == XS + "simpleType":
            element.text = self._simple(type_)
            return
        for part in type_:
            if part.tag in (XS + "sequence", XS + "choice", XS + "all"):
                self._group(part, element, path)
            elif part.tag in (XS + "complexContent", XS + "simpleContent"):
                (derived,) = part.iterchildren(XS + "restriction", XS + "extension")
                base = self._qname(derived, derived.get("base"))
                if part.tag == XS + "simpleContent" and derived.tag == XS + "restriction":
                    element.text = self._simple(derived)
                elif derived.tag == XS + "extension":
                    self._content(base, element, path)
                    self._content(derived, element, path)
                else:  # a complex restriction says its whole content again
                    self._content(derived, element, path)

    def _times(self, node, path: str = "", needed: bool = False) -> int:
        least = int(node.get("minOccurs", "1"))
        most = node.get("maxOccurs", "1")
        most = least + self.more if most == "unbounded" else min(int(most), least + self.more)
        most = min(most, self._most.get(path, most))
        least = max(least, int(needed and most > 0))
        return least if least >= most else self._draw(_integers(least, most))

    def _group(self, group, element, path: str) -> None:
        for _ in range(self._times(group)):
            parts = [n for n in group if isinstance(n.tag, str) and n.tag != XS + "annotation"]
            if group.tag == XS + "choice":
                parts = [parts[self._draw(_integers(0, len(parts) - 1))]]
            for part in parts:
                if part.tag == XS + "element":
                    name = part.get("name") or self._qname(part, part.get("ref"))[1]
                    below = _below(path, name)
                    needed = any(f == below or f.startswith(below + "/") for f in self._fixed)
                    for _ in range(self._times(part, below, needed)):
                        self._element(part, element, path)
                elif part.tag in (XS + "sequence", XS + "choice"):
                    self._group(part, element, path)
                # xs:any: nothing (none is drawn)

    def _simple(self, type_) -> str:
        restriction = type_ if type_.tag == XS + "restriction" else type_.find(XS + "restriction")
        if restriction is None:  # a list or a union: text, which validation then sorts
            return self._draw(texts(0, 8))
        facets: dict[str, list[str]] = {}
        for facet in restriction.iterchildren(etree.Element):  # not its comments
            facets.setdefault(etree.QName(facet).localname, []).append(facet.get("value"))
        if "enumeration" in facets:
            return self._draw(_one_of(tuple(facets["enumeration"])))
        base = self._qname(restriction, restriction.get("base"))
        if base in ((XS_NS, "date"), (XS_NS, "boolean")):  # a pattern's digits are no date
            return self._builtin(base[1], facets)
        matching = _matching(facets["pattern"][0]) if "pattern" in facets else None
        if matching is not None:
            return self._draw(matching)
        if base[0] == XS_NS:
            return self._builtin(base[1], facets)
        return self._simple(self.types[base])

    def _builtin(self, name: str, facets: dict[str, list[str]]) -> str:
        if name == "boolean":
            return self._draw(BOOLEANS)
        if name == "date":
            return self._draw(COLLAPSED).format(self._draw(DATES).isoformat())
        if name in ("int", "integer", "long", "short", "positiveInteger", "nonNegativeInteger"):
            return str(self._draw(_integers(1, 99999)))
        least = int((facets.get("minLength") or facets.get("length") or ["0"])[0])
        most = int((facets.get("maxLength") or facets.get("length") or ["12"])[0])
        return self._draw(texts(least, min(most, least + 12)))
