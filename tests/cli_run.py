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
    result, error = io.StringIO(), io.StringIO()
    with _runtime(env or {}), contextlib.redirect_stdout(result), contextlib.redirect_stderr(error):
        try:
            code = main(list(args))
        except SystemExit as end:  # usage errors, --help and the exit codes
            code = end.code if isinstance(end.code, int) else (0 if end.code is None else 1)
    return subprocess.CompletedProcess(args, code or 0, result.getvalue(), error.getvalue())


@contextlib.contextmanager
def _runtime(env: dict):
    previous = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def magda_kbi_process(*args: str, env: dict | None = None, timeout: float = 60):
    """The command as its own process: for ``serve`` and what needs a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "magda_kbi", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
