"""A SIGHUP restart of serve's workers under load: how long until every worker is new, the
slowest answer meanwhile, and the failed requests: of a client that opens a connection per
request (there should be none), of one that keeps its connection (HTTP/1.1 keep-alive,
as zeep and a requests session do: a request sent as its old worker closes the connection
gets no answer), and of magda_client's MagdaClient, which keeps its connection too and
sends such a request once more.

    python benchmarks/reload.py [--workers 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import http.client
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.processes import children, free_port  # noqa: E402


def worker_pids(pid: int) -> set[int]:
    return set(children(pid))


def one_round(workers: int) -> tuple[float, float, int, int, int, int, int, int]:
    port = free_port()
    serve = subprocess.Popen(
        [sys.executable, "-m", "magda_kbi", "serve", "--port", str(port)]
        + ["--workers", str(workers)],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while len(worker_pids(serve.pid)) < workers or not answers(port):
            if serve.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"serve did not start (exit {serve.poll()})")
            time.sleep(0.05)
        stop = threading.Event()
        latencies: list[float] = []
        failed = [0]

        def load() -> None:
            while not stop.is_set():
                begin = time.perf_counter()
                if not answers(port, "/api/v1/advies/73680599786"):
                    failed[0] += 1
                latencies.append(time.perf_counter() - begin)

        kept = [0, 0]  # failed, requests

        def load_kept() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            while not stop.is_set():
                kept[1] += 1
                try:
                    connection.request("GET", "/api/v1/advies/73680599786")
                    response = connection.getresponse()
                    response.read()
                    if response.status != 200:
                        kept[0] += 1
                except OSError:  # closed under it: counted, and a new connection
                    kept[0] += 1
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.close()

        client = [0, 0]  # failed, calls

        def load_client() -> None:
            from magda_client import MagdaClient, MagdaError

            magda = MagdaClient(f"http://127.0.0.1:{port}", afzender="reload", hoedanigheid="1")
            while not stop.is_set():
                client[1] += 1
                try:
                    magda.geef_automatisch_advies("73680599786", "2024-01-01")
                except MagdaError:
                    client[0] += 1

        threads = [
            threading.Thread(target=load),
            threading.Thread(target=load_kept),
            threading.Thread(target=load_client),
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        old = worker_pids(serve.pid)
        begin = time.monotonic()
        serve.send_signal(signal.SIGHUP)
        while worker_pids(serve.pid) & old or len(worker_pids(serve.pid)) < workers:
            time.sleep(0.01)
        duration = time.monotonic() - begin
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join()
        return duration, max(latencies), failed[0], len(latencies), *kept, *client
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(30)


def answers(port: int, path: str = "/health") -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path)
        ok = connection.getresponse().status == 200
        connection.close()
        return ok
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(
        "| round | workers | restart | slowest answer meanwhile | failed / requests, new"
        " connections | failed / requests, kept connection | failed / calls, MagdaClient |"
    )
    print("|---|---|---|---|---|---|---|")
    for n in range(1, args.rounds + 1):
        duration, slowest, failed, total, failed_kept, total_kept, failed_client, total_client = (
            one_round(args.workers)
        )
        figures = (
            f"{duration:.2f} s | {slowest * 1000:.0f} ms | {failed} / {total}"
            f" | {failed_kept} / {total_kept} | {failed_client} / {total_client}"
        )
        print(f"| {n} | {args.workers} | {figures} |")


if __name__ == "__main__":
    main()
