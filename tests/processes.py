"""Processes and ports on this machine, for the tests and the benchmarks (Linux: /proc)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path


def vrije_poort() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _toestand(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, or None when it is gone."""
    try:
        velden = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return velden[0], int(velden[1])


def kinderen(pid: int) -> list[int]:
    """The running child processes of ``pid``."""
    uit = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        toestand = _toestand(int(stat.parent.name))
        if toestand is not None and toestand[1] == pid and toestand[0] != "Z":
            uit.append(int(stat.parent.name))
    return uit


def levend(pids: list[int]) -> list[int]:
    """Those of ``pids`` that still run (a zombie serves nothing)."""
    return [p for p in pids if (t := _toestand(p)) is not None and t[0] != "Z"]


def within(seconds: float, condition: Callable[[], object]) -> bool:
    """Whether ``condition`` holds within ``seconds`` (asked every 0.1 s)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False
