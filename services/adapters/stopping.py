"""serve's start-up: a Ctrl+C or SIGTERM before the server runs is noted, not raised (and
a SIGHUP, which ended serve there, is noted and taken as a reload once the server runs).

Raised as KeyboardInterrupt while serve imports and loads, a Ctrl+C was a traceback, or
click's "Aborted!" (exit 1), or lost: a library's bare ``except:`` around an import took
it, and serve went on to serve (2 of 15 tries at 0.2 s). A SIGTERM killed serve outright
and left its temporary store. Noted, it is looked at where serve can stop cleanly
(:func:`stop_asked`), and serve exits 0 as it does once it serves; one noted after the last
look, while granian sets up, is passed to granian's own stop when its handlers are in place
(``server.py``). As serve ends, every later one is ignored (:func:`ignore_stops`). Only
``signal`` here: ``__main__`` imports this before the heavy modules.
"""

from __future__ import annotations

import signal

_asked: list[int] = []
_reload: list[int] = []


def _note(signum: int, _frame) -> None:
    _asked.append(signum)


def _note_reload(signum: int, _frame) -> None:
    _reload.append(signum)


def note_stops() -> None:
    """From now until the server installs its own: SIGINT and SIGTERM only note that a stop
    was asked, SIGHUP (by default the end of the process) that a reload was."""
    signal.signal(signal.SIGINT, _note)
    signal.signal(signal.SIGTERM, _note)
    if hasattr(signal, "SIGHUP"):  # not on Windows
        signal.signal(signal.SIGHUP, _note_reload)


def stop_asked() -> bool:
    return bool(_asked)


def reload_asked() -> bool:
    """Whether a SIGHUP was noted; once (the next look says no, until another)."""
    asked = bool(_reload)
    _reload.clear()
    return asked


def ignore_stops() -> None:
    """serve ends: a stop or a reload asked from now on changes nothing. Python's exit puts
    back the default action of each signal that had a handler of Python's, and one more
    Ctrl+C (pressed twice, or thrice) or SIGTERM there ended serve by that signal (exit 130
    in a shell, -2 to a supervisor) instead of its exit 0 (1 in 30 tries of three Ctrl+Cs
    0.2 s apart)."""
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):  # no SIGHUP on Windows
            signal.signal(getattr(signal, name), signal.SIG_IGN)
