"""Starts the real emulator (``magda-kbi serve``, gunicorn) for the tests to call over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date

import pytest
import requests

from magda_kbi.personas import ingebouwde_map, laad_personas

# A "today" after every fact of every persona: the whole catalogue is known.
LAAT = date(2030, 1, 1)


def vrije_poort() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, *args: str, commando: tuple[str, ...] | None = None, cwd=None) -> None:
        self.poort = vrije_poort()
        self.url = f"http://127.0.0.1:{self.poort}"
        commando = commando or (sys.executable, "-m", "magda_kbi.cli")
        self.proces = subprocess.Popen(
            [*commando, "serve", "--port", str(self.poort), "--workers", "1", *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proces.poll() is not None:
                raise RuntimeError(f"emulator stopped: {self.proces.stdout.read()}")
            try:
                if requests.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("emulator did not start within 30 s")

    def stop(self) -> str:
        self.proces.terminate()
        try:
            uitvoer, _ = self.proces.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proces.kill()
            uitvoer, _ = self.proces.communicate()
        return uitvoer


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """The emulator with today fixed after all persona facts."""
    s = Server("--today", LAAT.isoformat())
    yield s
    s.stop()


@pytest.fixture(scope="session")
def catalogus():
    return laad_personas([ingebouwde_map()])
