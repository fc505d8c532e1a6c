"""The ``magda-kbi`` command, run in-process: ``main(argv)`` with its own stdout, stderr and
environment, answered as ``subprocess.run`` would (returncode, stdout, stderr).

Starting a Python process per command cost most of the suite's time (imports, personas,
schemas: about a second each); the command's behaviour is the same called directly. Only
``serve`` (a real server) and the packaging tests (the installed console script) still
start a process.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys

from magda_kbi.adapters.cli import main


def magda_kbi(*args: str, env: dict | None = None, **_) -> subprocess.CompletedProcess:
    # serve starts a server: that is run as a process (--help aside, which only prints)
    assert args[:1] != ("serve",) or "--help" in args, "run serve with magda_kbi_process"
    uit, fout = io.StringIO(), io.StringIO()
    with _runtime(env or {}), contextlib.redirect_stdout(uit), contextlib.redirect_stderr(fout):
        try:
            code = main(list(args))
        except SystemExit as einde:  # usage errors, --help and the exit codes
            code = einde.code if isinstance(einde.code, int) else (0 if einde.code is None else 1)
    return subprocess.CompletedProcess(args, code or 0, uit.getvalue(), fout.getvalue())


@contextlib.contextmanager
def _runtime(env: dict):
    vorige = {naam: os.environ.get(naam) for naam in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for naam, waarde in vorige.items():
            if waarde is None:
                os.environ.pop(naam, None)
            else:
                os.environ[naam] = waarde


def magda_kbi_process(*args: str, env: dict | None = None, timeout: float = 60):
    """The command as its own process: for ``serve`` and what needs a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "magda_kbi", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
