"""The layers of ARCHITECTURE.md, enforced: every module of ``services/`` (installed as
``magda_kbi``) lives in one layer's folder, imports only point down (or stay in the layer),
and the domain does no I/O (no XML, HTTP, YAML, database or file libraries)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[1] / "services"

# Bottom to top: the folders of services/. A module may import its own layer and the
# layers before it; ``magda_kbi/__init__.py`` holds only the version, which all may read,
# and ``__main__.py`` (``python -m magda_kbi``) stands above every layer.
LAYERS = ("domain", "wire", "io", "runtime", "adapters")
RANK = {layer: n for n, layer in enumerate(LAYERS)}
ENTRY = {"__init__.py", "__main__.py"}
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


def layer_of(path: Path) -> str | None:
    """The layer folder a module is in (None for one outside every layer)."""
    parts = path.relative_to(SERVICES).parts
    return parts[0] if len(parts) > 1 and parts[0] in RANK else None


def rank_of(path: Path) -> int | None:
    if path.parent == SERVICES and path.name in ENTRY:
        return len(LAYERS)
    layer = layer_of(path)
    return None if layer is None else RANK[layer]


def imports(path: Path) -> list[tuple[str, int]]:
    """(what, line) for every import: ``magda_kbi.<...>`` for the package's own modules
    (relative imports resolved), ``abs:<package>`` for anything else."""
    found = []
    package = ["magda_kbi", *path.relative_to(SERVICES).parent.parts]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)]
            if node.module:
                found.append((".".join([*base, node.module]), node.lineno))
            else:  # from . import x
                found += [(".".join([*base, alias.name]), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.module == "magda_kbi":  # from magda_kbi import x
                found += [(f"magda_kbi.{alias.name}", node.lineno) for alias in node.names]
            else:
                found.append((own_or_abs(node.module), node.lineno))
        elif isinstance(node, ast.Import):
            found += [(own_or_abs(alias.name), node.lineno) for alias in node.names]
    return found


def own_or_abs(module: str) -> str:
    return module if module.split(".")[0] == "magda_kbi" else f"abs:{module.split('.')[0]}"


def modules() -> list[Path]:
    return sorted(p for p in SERVICES.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_is_in_a_layer_folder():
    outside = [str(p.relative_to(SERVICES)) for p in modules() if rank_of(p) is None]
    assert outside == [], f"move these into one of {LAYERS}: {outside}"


def test_imports_only_point_down():
    upward = []
    for path in modules():
        own, rank = layer_of(path), rank_of(path)
        for target, line in imports(path):
            if target.startswith("abs:") or target == "magda_kbi.__version__":
                continue
            layer = target.split(".")[1]
            if rank is None or layer not in RANK or RANK[layer] > rank:
                upward.append(
                    f"{path.relative_to(SERVICES)}:{line} ({own}) imports {target} ({layer})"
                )
    assert upward == []


def test_the_domain_does_no_io():
    found = []
    for path in modules():
        if layer_of(path) != "domain":
            continue
        for target, line in imports(path):
            if target.startswith("abs:") and target[4:] in NOT_IN_DOMAIN:
                found.append(f"{path.relative_to(SERVICES)}:{line} imports {target[4:]}")
    assert found == []


def test_the_checker_sees_an_upward_import(tmp_path, monkeypatch):
    """The import test can fail: a domain module importing the wire layer is reported."""
    copy = tmp_path / "services"
    for folder in ("wire", "domain"):
        (copy / folder).mkdir(parents=True)
    (copy / "wire" / "xml.py").write_text("", encoding="utf-8")
    (copy / "domain" / "dossier.py").write_text("from ..wire import xml  # noqa\n", "utf-8")
    monkeypatch.setitem(globals(), "SERVICES", copy)
    with pytest.raises(AssertionError, match=r"dossier.py:1 \(domain\) imports magda_kbi"):
        test_imports_only_point_down()


def test_the_checker_sees_a_module_outside_the_layers(tmp_path, monkeypatch):
    copy = tmp_path / "services"
    copy.mkdir()
    (copy / "__init__.py").write_text("", encoding="utf-8")
    (copy / "loose.py").write_text("", encoding="utf-8")
    monkeypatch.setitem(globals(), "SERVICES", copy)
    with pytest.raises(AssertionError, match="loose.py"):
        test_every_module_is_in_a_layer_folder()
