"""Make spyne 2.14.0 (its latest release) import on Python 3.12 and 3.13.

spyne bundles an old ``six`` whose ``six.moves`` is served by a meta-path importer
that only has ``find_module``/``load_module``; Python 3.12 no longer calls those, so
``import spyne.util.six.moves`` fails. We add a finder with ``find_spec`` that serves
``spyne.util.six.moves[.X]`` from the maintained ``six`` package's ``six.moves[.X]``.
On 3.13 spyne also needs ``cgi``, which the ``legacy-cgi`` distribution provides
(a dependency only there). Call :func:`install` before importing spyne.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

ALIASED_PREFIX = "spyne.util.six.moves"
TARGET_PREFIX = "six.moves"


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        # The target module was executed when six.moves imported it.
        return None


class SixMovesAliasFinder(importlib.abc.MetaPathFinder):
    """Serves ``spyne.util.six.moves`` and its submodules from ``six.moves``."""

    def find_spec(self, fullname, path=None, target=None):  # noqa: ANN001 - finder protocol
        if fullname != ALIASED_PREFIX and not fullname.startswith(ALIASED_PREFIX + "."):
            return None
        target_name = TARGET_PREFIX + fullname[len(ALIASED_PREFIX) :]
        is_package = fullname == ALIASED_PREFIX
        spec = importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(target_name), is_package=is_package
        )
        if is_package:
            spec.submodule_search_locations = []
        return spec


def needed() -> bool:
    return sys.version_info >= (3, 12)


def install() -> None:
    """Insert the finder once, ahead of spyne's own (ignored) importer; no-op on 3.11."""
    if not needed():
        return
    if any(isinstance(finder, SixMovesAliasFinder) for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, SixMovesAliasFinder())
