"""Runs the emulator under granian, the production WSGI server.

Why granian: a Rust HTTP server with worker processes, maintained, with wheels for Linux,
macOS and Windows (gunicorn does not run on Windows, where many consumers develop), and
it measured 1.6x gunicorn's throughput for this application on 2 cores (see
benchmarks/README.md). SIGTERM finishes the requests in flight and exits 0.

Each worker builds the application from the settings ``serve`` passes in the environment
(:data:`OMGEVING_INSTELLINGEN`); ``serve`` has already loaded and checked the personas
once, so a bad file stops start-up before any worker starts.
"""

from __future__ import annotations

import logging
import os

from .app import Emulator, Instellingen, instellingen_als_json, instellingen_uit_json, maak_emulator

OMGEVING_INSTELLINGEN = "MAGDA_KBI_INSTELLINGEN"


def applicatie() -> Emulator:
    """The factory each worker calls."""
    logging.getLogger("spyne").setLevel(logging.CRITICAL)  # expected Faults, not errors
    return maak_emulator(
        instellingen_uit_json(os.environ[OMGEVING_INSTELLINGEN]), gecontroleerd=True
    )


def serveer(instellingen: Instellingen, host: str, port: int, workers: int, threads: int) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    os.environ[OMGEVING_INSTELLINGEN] = instellingen_als_json(instellingen)
    Granian(
        "magda_kbi.server:applicatie",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        log_level="warning",
    ).serve()
