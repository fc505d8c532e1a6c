"""Runs the emulator under granian, the production WSGI server.

Why granian: a Rust HTTP server with worker processes, maintained, with wheels for Linux,
macOS and Windows (gunicorn does not run on Windows, where many consumers develop), and
it measured 1.6x gunicorn's throughput for this application on 2 cores (see
benchmarks/README.md). SIGTERM finishes the requests in flight and exits 0.

Each worker builds the application from the settings ``serve`` passes in the environment
(:data:`OMGEVING_INSTELLINGEN`); ``serve`` has already loaded and checked the personas
once, so a bad file stops start-up before any worker starts. SIGHUP to ``serve`` restarts
the workers (granian): they read the persona files again, and check them against the
contract when they changed since ``serve`` did.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time

from magda_kbi.adapters.app import (
    Emulator,
    Settings,
    maak_emulator,
    settings_from_json,
    settings_to_json,
)
from magda_kbi.io.personas import FixtureFout, ingebouwde_map, vingerafdruk

OMGEVING_INSTELLINGEN = "MAGDA_KBI_INSTELLINGEN"
OMGEVING_VINGERAFDRUK = "MAGDA_KBI_CHECKED_FILES"  # the persona files serve checked


def applicatie() -> Emulator:
    """The factory each worker calls."""
    logging.getLogger("spyne").setLevel(logging.CRITICAL)  # expected Faults, not errors
    _stop_met_ouder(os.getppid())
    settings = settings_from_json(os.environ[OMGEVING_INSTELLINGEN])
    mappen = [ingebouwde_map(), *settings.extra_fixtures]
    # The files serve checked need no second check; after a SIGHUP they may have changed.
    gecontroleerd = os.environ.get(OMGEVING_VINGERAFDRUK) == _hash(vingerafdruk(mappen))
    try:
        return maak_emulator(settings, gecontroleerd=gecontroleerd)
    except FixtureFout as fout:  # one clear line, not a traceback, then this worker stops
        logging.getLogger(__name__).error(
            "worker not started: invalid persona file %s: field %s: %s",
            fout.bestand,
            fout.veld,
            fout.reden,
        )
        raise SystemExit(2) from None


def _stop_met_ouder(ouder: int, interval: float = 0.2) -> None:
    """A worker whose ``serve`` died (kill -9) must not go on serving: it would keep the
    port and answer beside a new ``serve``. Within ``interval`` of the parent's death (the
    worker is then adopted by another process) the worker exits."""

    def wacht() -> None:
        while os.getppid() == ouder:
            time.sleep(interval)
        logging.getLogger(__name__).error("serve (pid %d) is gone: this worker stops", ouder)
        os._exit(3)

    threading.Thread(target=wacht, name="magda-kbi-parent-watch", daemon=True).start()


def _hash(afdruk: tuple) -> str:
    return hashlib.sha256(repr(afdruk).encode()).hexdigest()


def serveer(settings: Settings, host: str, port: int, workers: int, threads: int) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    os.environ[OMGEVING_INSTELLINGEN] = settings_to_json(settings)
    mappen = [ingebouwde_map(), *settings.extra_fixtures]
    os.environ[OMGEVING_VINGERAFDRUK] = _hash(vingerafdruk(mappen))
    Granian(
        "magda_kbi.adapters.server:applicatie",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        log_level="warning",
    ).serve()
