"""Streaming writers for the lists and exports: JSON, CSV and XML, one item at a time."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from lxml import etree


def in_format(
    formaat: str, items: Iterable[dict], velden: list[str], kop: dict, wortel: str
) -> Iterator[str]:
    """``formaat`` csv, xml or json: the list as text, piece by piece."""
    if formaat == "csv":
        return csv_rows(items, velden)
    if formaat == "xml":
        return xml_list(items, wortel, "Persoon", {k: v for k, v in kop.items() if v})
    return json_list(items, kop, "items")


def json_list(items: Iterable, kop: dict | None = None, sleutel: str = "items") -> Iterator[str]:
    """A JSON document written piece by piece: ``[...]``, or ``{**kop, sleutel: [...]}``."""
    if kop is not None:
        yield json.dumps(kop, ensure_ascii=False)[:-1] + f', "{sleutel}": ['
    else:
        yield "["
    for i, item in enumerate(items):
        yield ("," if i else "") + "\n" + json.dumps(item, ensure_ascii=False)
    yield "\n]}\n" if kop is not None else "\n]\n"


def csv_rows(items: Iterable[dict], velden: list[str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=velden, extrasaction="raise")
    writer.writeheader()
    for item in items:
        writer.writerow({k: _csv_value(v) for k, v in item.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def xml_list(items: Iterable[dict], wortel: str, element: str, attributen: dict) -> Iterator[str]:
    yield "<?xml version='1.0' encoding='UTF-8'?>\n"
    header = etree.tostring(
        etree.Element(wortel, {k: str(v) for k, v in attributen.items()}), encoding="unicode"
    )
    yield header[:-2] + ">\n"  # <Wortel a="b"/> -> <Wortel a="b">
    for item in items:
        el = etree.Element(element)
        for name, value in item.items():
            if value is None:
                continue
            etree.SubElement(el, name).text = _csv_value(value)
        yield "  " + etree.tostring(el, encoding="unicode") + "\n"
    yield f"</{wortel}>\n"


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return str(value)
