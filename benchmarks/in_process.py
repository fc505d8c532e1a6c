"""Per-request cost of the SOAP services in-process: the WSGI application called directly,
no server, no network. Prints the median and p99 per request of each call.

    python benchmarks/in_process.py [--calls 20000]

What it measures is the emulator's own work for one request (body read, parse, XSD
validation, checks, template fill, journal), the figure the speed work is steered by.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from magda_kbi.adapters.app import Settings, make_emulator  # noqa: E402
from tests.soap import (  # noqa: E402
    NS_DOSSIER_SERVICE,
    PATH_ADVIES,
    PATH_DOSSIER,
    PATH_DOSSIER_02,
    PATH_GENERIC,
    advies_verzoek,
    dossier_verzoek,
    wsgi_environ,
)

LARGEST = "98630499724"  # the largest dossier of the catalogue


def measure(app, path: str, body: bytes, count: int) -> tuple[float, float]:
    """(median, p99) in microseconds per request, after a warm-up."""

    def start_response(status, headers, exc_info=None):
        assert status.startswith("200"), status

    for _ in range(200):
        b"".join(app(wsgi_environ(path, body), start_response))
    times = []
    for _ in range(count):
        e = wsgi_environ(path, body)
        begin = time.perf_counter()
        b"".join(app(e, start_response))
        times.append((time.perf_counter() - begin) * 1e6)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument(
        "--store", action="store_true", help="state in a SQLite store, as serve keeps it"
    )
    args = parser.parse_args()
    store = None
    if args.store:
        store = f"sqlite:///{tempfile.mkdtemp(prefix='magda-bench-')}/state.db"
    app = make_emulator(Settings(today=date(2030, 1, 1), store=store))
    cases = [
        ("GeefDossierKBI 01.00", PATH_DOSSIER, dossier_verzoek(LARGEST, "01.00", referte="b")),
        ("GeefDossierKBI 02.00", PATH_DOSSIER_02, dossier_verzoek(LARGEST, "02.00", referte="b")),
        (
            "GeefDossierKBI 02.00 (Service ns, generic)",
            PATH_GENERIC,
            dossier_verzoek(LARGEST, "02.00", namespace=NS_DOSSIER_SERVICE["02.00"]),
        ),
        ("GeefAutomatischAdvies", PATH_ADVIES, advies_verzoek("73680599786", "2024-01-01")),
    ]
    where = "SQLite store" if store else "memory"
    print(f"| call | median per request | p99 | ({args.calls} calls, in-process, {where}) |")
    print("|---|---|---|---|")
    for name, path, body in cases:
        median, p99 = measure(app, path, body, args.calls)
        print(f"| {name} | {median:.1f} µs | {p99:.1f} µs | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
