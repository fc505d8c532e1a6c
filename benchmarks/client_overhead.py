#!/usr/bin/env python3
"""Prints magda_client's construction time and per-call overhead against a local emulator.

Not a test: it measures and prints. It starts ``magda-kbi serve`` on a free port (or
uses ``--url``), then times:

- building a ``MagdaClient`` (both WSDLs parsed by zeep), median of ``--constructions``;
- ``--calls`` warm advice calls over loopback (client + HTTP + server);
- the client's own share of such a call: the same call with the HTTP round trip replaced
  by a canned copy of the server's reply (zeep builds the request, lxml reads the reply).

    python benchmarks/client_overhead.py --calls 1000
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import requests

from magda_client import MagdaClient

ADVIES_PATH = "/GeefAutomatischAdviesDienst-01.00/soap/WebService"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_emulator() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "magda_kbi",
            "serve",
            "--port",
            str(port),
            "--today",
            "2030-01-01",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(f"{url}/health", timeout=1)
            return process, url
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the emulator did not start")


def times(n: int, function: Callable[[], object]) -> list[float]:
    measured = []
    for _ in range(n):
        start = time.perf_counter()
        function()
        measured.append(time.perf_counter() - start)
    return measured


def summary(measured: list[float]) -> str:
    p99 = statistics.quantiles(measured, n=100)[98] if len(measured) >= 2 else measured[0]
    return f"median {statistics.median(measured) * 1000:.3f} ms, p99 {p99 * 1000:.3f} ms"


class CannedSession:
    """Stands in for the HTTP round trip: the server's reply, with the Referte echoed."""

    def __init__(self, template: bytes) -> None:
        self.template = template

    def post(self, url, data=None, **kwargs):
        referte = data.split(b"<Referte>", 1)[1].split(b"</Referte>", 1)[0]
        response = requests.Response()
        response.status_code = 200
        response._content = self.template.replace(b"@REFERTE@", referte)
        return response


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an already running emulator (default: start one)")
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--constructions", type=int, default=20)
    args = parser.parse_args()

    process, url = (None, args.url) if args.url else start_emulator()
    try:

        def new_client() -> MagdaClient:
            return MagdaClient(url, afzender="benchmark.be", hoedanigheid="1")

        first = times(1, new_client)
        construction = times(args.constructions, new_client)
        client = new_client()

        def ask() -> None:
            client.geef_automatisch_advies("73680599786", "2024-01-01")

        times(50, ask)  # warm up: connection pool, caches
        over_http = times(args.calls, ask)

        # One real reply, with its Referte made a placeholder, for the canned round trip.
        recorded: list[bytes] = []
        real_post = client.session.post

        def record(*a, **kw):
            response = real_post(*a, **kw)
            referte = kw["data"].split(b"<Referte>", 1)[1].split(b"</Referte>", 1)[0]
            recorded.append(response.content.replace(referte, b"@REFERTE@"))
            return response

        client.session.post = record
        ask()
        client.session.post = CannedSession(recorded[0]).post
        times(50, ask)
        without_network = times(args.calls, ask)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=15)

    print(
        f"client construction: first {first[0] * 1000:.1f} ms, then "
        f"median of {args.constructions} {statistics.median(construction) * 1000:.1f} ms"
    )
    print(f"advice call over loopback ({args.calls} calls): {summary(over_http)}")
    print(
        f"client-side overhead per call ({args.calls} calls, no network): "
        f"{summary(without_network)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
