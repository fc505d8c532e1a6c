#!/usr/bin/env python3
"""What an idle ``serve --admin`` costs, and what a journal read waits for then.

Starts ``serve --admin --workers N`` (its state in the store, serve's default), makes a few
calls, then measures over ``--seconds`` of nothing: the CPU time of each worker (from
/proc, Linux). Then the time of ``GET /admin/journal``: right after a call, and after the
workers were idle for 2 s (a worker that has seen nothing for a second looks less often).
With ``--watch-files N``, serve runs ``--watch`` over a folder of N persona files
(``generate --per-file 1``): each worker looks at them twice a second. Figures, no asserts.

    python benchmarks/idle.py [--workers 2] [--seconds 30] [--reads 20] [--watch-files N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from load import free_port, start, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.processes import children  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--reads", type=int, default=20, help="journal reads of each kind")
    parser.add_argument(
        "--watch-files", type=int, default=0, help="serve --watch over N persona files"
    )
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    magda_kbi = [sys.executable, "-m", "magda_kbi"]
    command = [*magda_kbi, "serve", "--admin", "--port", str(port), "--workers", str(args.workers)]
    folder = tempfile.TemporaryDirectory(prefix="magda-kbi-idle-")
    if args.watch_files:
        generate = ["generate", "--count", str(args.watch_files), "--per-file", "1"]
        subprocess.run([*magda_kbi, *generate, "--out", folder.name], check=True)
        command += ["--fixtures", folder.name, "--watch"]
    serve = start(command)
    try:
        wait_for(f"{url}/health")
        for _ in range(4 * args.workers):  # every worker has answered (and journaled) a call
            requests.get(f"{url}/api/v1/consumers", timeout=5)
        time.sleep(2)
        workers = children(serve.pid)
        before = {w: cpu_seconds(w) for w in workers}
        time.sleep(args.seconds)
        for w in workers:
            used = cpu_seconds(w) - before[w]
            print(
                f"worker {w}: {used:.2f} CPU-s in {args.seconds:g} s idle"
                f" ({100 * used / args.seconds:.2f}% of a core)"
            )

        def read() -> float:
            begin = time.perf_counter()
            requests.get(f"{url}/admin/journal", timeout=10).raise_for_status()
            return (time.perf_counter() - begin) * 1000

        busy, idle = [], []
        for _ in range(args.reads):
            requests.get(f"{url}/api/v1/consumers", timeout=5)
            busy.append(read())
        for _ in range(args.reads):
            time.sleep(2)
            idle.append(read())
        for name, times in (("right after a call", busy), ("after 2 s idle", idle)):
            print(
                f"GET /admin/journal {name}: median {statistics.median(times):.1f} ms,"
                f" max {max(times):.1f} ms ({args.reads} reads)"
            )
    finally:
        serve.terminate()
        serve.wait(timeout=30)
        folder.cleanup()


if __name__ == "__main__":
    main()
