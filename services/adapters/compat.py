"""Make spyne 2.14.0 (its latest release) import on Python 3.11, 3.12 and 3.13, quietly.

spyne bundles an old ``six`` whose ``six.moves`` is served by a meta-path importer
that only has ``find_module``/``load_module``; Python 3.12 no longer calls those, so
``import spyne.util.six.moves`` fails, and 3.11 warns (ImportWarning) on every import that
reaches it. We add a finder with ``find_spec`` that serves ``spyne.util.six.moves[.X]``
from the maintained ``six`` package's ``six.moves[.X]``, and take spyne's importer off
``sys.meta_path`` once spyne is in. spyne imports ``cgi``: deprecated on 3.11 and 3.12
(a DeprecationWarning), removed in 3.13, where the ``legacy-cgi`` distribution provides
it. :func:`import_spyne` does all of it; a user's test run sees no warning of ours.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
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


def install() -> None:
    """Insert the finder once, ahead of spyne's own importer."""
    if any(isinstance(finder, SixMovesAliasFinder) for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, SixMovesAliasFinder())


def import_spyne() -> None:
    """Imports what the emulator uses of spyne, without a warning reaching the caller."""
    install()
    with warnings.catch_warnings():
        # cgi's DeprecationWarning (3.11, 3.12) and the legacy importer's ImportWarning
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", ImportWarning)
        importlib.import_module("spyne")
        importlib.import_module("spyne.protocol.soap")
        importlib.import_module("spyne.server.wsgi")
    # Our finder serves spyne.util.six.moves; spyne's own importer only warns (3.11).
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "_SixMetaPathImporter"]
