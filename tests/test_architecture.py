"""The layers of ARCHITECTURE.md, enforced: every module of ``services/`` belongs to one
layer, imports only point down (or stay in the layer), and the domain does no I/O (no XML,
HTTP, YAML, database or file libraries)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[1] / "services"

# Bottom to top. A module may import its own layer and the layers before it.
LAYERS: dict[str, set[str]] = {
    "domain": {
        "dossier",
        "advies",
        "timeline",
        "insz",
        "klok",
        "afnemers",
        "protocollen",
        "gemeenten",
        "lijsten",
    },
    "wire": {"wire"},
    "io": {"personas", "checked_files", "consumer_file", "populatie", "uitvoer", "json_vorm"},
    "services": {
        "diensten",
        "sjablonen",
        "storingen",
        "journaal",
        "store",
        "store_postgresql",
        "fixture_watch",
        "wsgi_sleutels",
    },
    "adapters": {
        "__init__",
        "app",
        "soap",
        "rest",
        "rest_api",
        "rest_admin",
        "openapi",
        "console",
        "admin_guard",
        "cli",
        "server",
        "pytest_plugin",
        "compat",
    },
}
RANK = {naam: n for n, laag in enumerate(LAYERS.values()) for naam in laag}
LAYER_OF = {naam: laag for laag, namen in LAYERS.items() for naam in namen}
# What the pure domain must never import (it takes values, it reads no input).
NOT_IN_DOMAIN = {
    "lxml",
    "flask",
    "werkzeug",
    "yaml",
    "json",
    "sqlite3",
    "psycopg",
    "requests",
    "socket",
    "spyne",
    "zeep",
    "granian",
    "io",
    "os",
    "pathlib",
}


def top_module(pad: Path) -> str:
    """The module's name below ``magda_kbi`` at the top level (``wire`` for wire/*)."""
    return pad.relative_to(SERVICES).parts[0].removesuffix(".py")


def imports(pad: Path) -> list[tuple[str, int]]:
    """(what, line): top-level names of ``magda_kbi`` imported relatively, and absolute
    imports as ``abs:<package>``."""
    gevonden = []
    pakket = list(pad.relative_to(SERVICES).parent.parts)
    for knoop in ast.walk(ast.parse(pad.read_text(encoding="utf-8"))):
        if isinstance(knoop, ast.ImportFrom) and knoop.level:
            basis = pakket[: len(pakket) - (knoop.level - 1)] if knoop.level > 1 else pakket
            delen = basis + (knoop.module.split(".") if knoop.module else [])
            if delen:
                gevonden.append((delen[0], knoop.lineno))
            else:  # from . import x
                gevonden += [(alias.name, knoop.lineno) for alias in knoop.names]
        elif isinstance(knoop, ast.ImportFrom):
            gevonden.append((f"abs:{knoop.module.split('.')[0]}", knoop.lineno))
        elif isinstance(knoop, ast.Import):
            gevonden += [(f"abs:{a.name.split('.')[0]}", knoop.lineno) for a in knoop.names]
    return gevonden


def modules() -> list[Path]:
    return sorted(p for p in SERVICES.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_has_a_layer():
    zonder = sorted({top_module(p) for p in modules()} - set(LAYER_OF))
    assert zonder == [], f"give these a layer in tests/test_architecture.py: {zonder}"


def test_imports_only_point_down():
    omhoog = []
    for pad in modules():
        eigen = top_module(pad)
        for doel, regel in imports(pad):
            if doel.startswith("abs:") or doel == "__version__":
                continue
            if RANK[doel] > RANK[eigen]:
                omhoog.append(
                    f"{pad.relative_to(SERVICES)}:{regel} ({LAYER_OF[eigen]}) imports "
                    f"{doel} ({LAYER_OF[doel]})"
                )
    assert omhoog == []


def test_the_domain_does_no_io():
    gevonden = []
    for pad in modules():
        if LAYER_OF[top_module(pad)] != "domain":
            continue
        for doel, regel in imports(pad):
            if doel.startswith("abs:") and doel[4:] in NOT_IN_DOMAIN:
                gevonden.append(f"{pad.relative_to(SERVICES)}:{regel} imports {doel[4:]}")
    assert gevonden == []


def test_the_checker_sees_an_upward_import(tmp_path, monkeypatch):
    """The import test can fail: a domain module importing the wire layer is reported."""
    kopie = tmp_path / "services"
    (kopie / "wire").mkdir(parents=True)
    (kopie / "wire" / "xml.py").write_text("", encoding="utf-8")
    (kopie / "dossier.py").write_text("from .wire import xml  # noqa\n", encoding="utf-8")
    monkeypatch.setitem(globals(), "SERVICES", kopie)
    with pytest.raises(AssertionError, match=r"dossier.py:1 \(domain\) imports wire"):
        test_imports_only_point_down()
