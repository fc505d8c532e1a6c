"""What one GeefDossierKBI request costs with cold caches, step by step: in-process, each
step timed (thread CPU, median) once with warm caches and once after 32 MB were written
(every cache level flushed), as under load, where wrk, granian's threads and the other
worker share the caches. Prints a table.

    python benchmarks/cold_caches.py [--rounds 3]

The steps are the emulator's own private ones (the known-shape path of adapters/app.py and
runtime/diensten.py); this script follows them when they change.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from magda_kbi.adapters.app import BODY_KEY, Settings, make_emulator  # noqa: E402
from magda_kbi.runtime.decision import decide  # noqa: E402
from magda_kbi.wire.bericht import new_referte, time_now  # noqa: E402
from tests.soap import PATH_DOSSIER, dossier_verzoek, wsgi_environ  # noqa: E402

LARGEST = "98630499724"  # the largest dossier of the catalogue
THRASH = bytearray(32 * 1024 * 1024)
ONES = b"\x01" * (len(THRASH) // 64)


def median_us(step: Callable[[dict], object], body: bytes, calls: int, cold: bool) -> float:
    times = []
    for _ in range(calls):
        if cold:
            THRASH[::64] = ONES  # one write per cache line
        environ = wsgi_environ(PATH_DOSSIER, body)
        begin = time.thread_time_ns()
        step(environ)
        times.append((time.thread_time_ns() - begin) / 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    store = f"sqlite:///{tempfile.mkdtemp(prefix='magda-kbi-cold-')}/store.db"
    app = make_emulator(Settings(today=date(2030, 1, 1), store=store))
    body = dossier_verzoek(LARGEST, referte="benchmark")

    def start_response(status, headers, exc_info=None):
        assert status.startswith("200"), status

    def request(environ: dict) -> bytes:
        return b"".join(app(environ, start_response))

    for _ in range(300):  # the shape learnt, the template built, everything warm
        request(wsgi_environ(PATH_DOSSIER, body))
    known_env = wsgi_environ(PATH_DOSSIER, body)
    known_env[BODY_KEY] = body
    known = app.shapes.recognise(known_env, body)
    assert known is not None, "the request's shape was not learnt"
    service, parsed = known[0].dienst, known[0].request

    def canned(environ: dict) -> list[bytes]:
        environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/xml")])
        return [b"<x/>"]

    steps: list[tuple[str, Callable[[dict], object]]] = [
        ("the whole request", request),
        ("a canned reply (for scale)", canned),
        ("runtime.refresh (the store's change number)", lambda e: app.runtime.refresh()),
        ("read the body", app._read_body),
        (
            "recognise the shape (one pattern match)",
            lambda e: app.shapes.recognise(known_env, body),
        ),
        (
            "answer from the template (KnownShapes.answer)",
            lambda e: app.shapes.answer(e, *known),
        ),
        ("  decide", lambda e: decide(app.runtime, parsed.vraag)),
        ("  clock.today", lambda e: app.runtime.clock.today()),
        ("  the reply's time (time_now)", lambda e: time_now()),
        ("  the platform Referte", lambda e: new_referte()),
        (
            "  from_template (decide, find, fill, Call)",
            lambda e: service.from_template(parsed, "a", "b"),
        ),
        (
            "write the journal entry",
            lambda e: app._write_entry(
                known_env, "call", datetime.now(UTC), time.perf_counter(), 200, b"y" * 3600
            ),
        ),
    ]
    result: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in steps}
    for _ in range(args.rounds):
        for name, step in steps:
            warm = median_us(step, body, 2000, cold=False)
            cold = median_us(step, body, 300, cold=True)
            result[name].append((warm, cold))
    print(f"| step | warm, µs (median; best of {args.rounds}) | cold, µs | cold / warm |")
    print("|---|---|---|---|")
    for name, measurements in result.items():
        warm = min(w for w, _ in measurements)
        cold = min(k for _, k in measurements)
        print(f"| {name} | {warm:.1f} | {cold:.1f} | {cold / warm:.0f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
