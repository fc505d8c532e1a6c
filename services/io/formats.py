"""Streaming writers for the lists and exports: JSON, CSV and XML, one item at a time."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from lxml import etree

from magda_kbi.io.schemas import text_xml_cannot_hold


class Unwritable(ValueError):
    """An item of an XML list with text XML cannot hold: a persona a store kept from before
    such text was refused at input (it is checked there now). Said with the item's first
    value (its INSZ, or its name), not as lxml's ValueError and a traceback."""


def in_format(
    fmt: str, items: Iterable[dict], fields: list[str], header: dict, root: str
) -> Iterator[str]:
    """``fmt`` csv, xml or json: the list as text, piece by piece."""
    if fmt == "csv":
        return csv_rows(items, fields)
    if fmt == "xml":
        return xml_list(items, root, "Persoon", {k: v for k, v in header.items() if v})
    return json_list(items, header, "items")


def json_list(items: Iterable, header: dict | None = None, key: str = "items") -> Iterator[str]:
    """A JSON document written piece by piece: ``[...]``, or ``{**header, key: [...]}``."""
    if header is not None:
        yield json.dumps(header, ensure_ascii=False)[:-1] + f', "{key}": ['
    else:
        yield "["
    for i, item in enumerate(items):
        yield ("," if i else "") + "\n" + json.dumps(item, ensure_ascii=False)
    yield "\n]}\n" if header is not None else "\n]\n"


def csv_rows(items: Iterable[dict], fields: list[str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="raise")
    writer.writeheader()
    for item in items:
        writer.writerow({k: _csv_cell(v) for k, v in item.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def xml_list(items: Iterable[dict], root: str, element: str, attributes: dict) -> Iterator[str]:
    yield "<?xml version='1.0' encoding='UTF-8'?>\n"
    header = etree.tostring(
        etree.Element(root, {k: str(v) for k, v in attributes.items()}), encoding="unicode"
    )
    yield header[:-2] + ">\n"  # <Wortel a="b"/> -> <Wortel a="b">
    for item in items:
        el = etree.Element(element)
        for name, value in item.items():
            if value is None:
                continue
            text = _csv_value(value)
            try:
                etree.SubElement(el, name).text = text
            except ValueError:
                who = next(iter(item.values()), None)
                reason = text_xml_cannot_hold(text, name)
                raise Unwritable(
                    f"{element} {who!r}: {reason or name}: replace the persona (a store kept"
                    " it from before such text was refused)"
                ) from None
        yield "  " + etree.tostring(el, encoding="unicode") + "\n"
    yield f"</{root}>\n"


# A cell that starts like a formula is one when a spreadsheet opens the file (OWASP's "CSV
# injection"): a municipality's list holds names, and the admin API takes any name. Such a
# cell gets a leading apostrophe, which a spreadsheet shows as text; JSON and XML keep it
# as it is.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value) -> str:
    text = _csv_value(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return str(value)
