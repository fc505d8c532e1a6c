#!/usr/bin/env python3
"""``serve --admin --workers 2`` against ``serve --workers 2``, side by side in one run.

Both keep their state in the store (serve's default: a fresh SQLite file); the admin one
also has the admin API on. GeefDossierKBI for the largest persona with wrk, after a warm-up,
alternating, best of ``--runs``; prints requests/s, p99 and the ratio. Figures, no asserts.

    python benchmarks/admin_workers.py [--duration 5] [--runs 3] [--connections 1,8,32]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from load import LARGEST, free_port, lua_script, start, wait_for, wrk

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.soap import PATH_DOSSIER, dossier_verzoek  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per run (default 5)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", default="1,8,32")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="magda-bench-"))
    lua = lua_script(work, "dossier", dossier_verzoek(LARGEST, referte="benchmark"))
    servers, processes = {}, []
    try:
        for name, extra in (("serve", []), ("serve --admin", ["--admin"])):
            port = free_port()
            command = [
                sys.executable,
                "-m",
                "magda_kbi",
                "serve",
                "--port",
                str(port),
            ]
            processes.append(start([*command, "--workers", "2", "--today", "2030-01-01", *extra]))
            servers[name] = f"http://127.0.0.1:{port}"
            wait_for(servers[name] + "/health")
        for url in servers.values():
            wrk(url + PATH_DOSSIER, 8, 5, lua)  # warm-up
        print(f"{'connections':>11} {'server':<15} {'requests/s':>11} {'p99':>9}")
        for connections in (int(v) for v in args.connections.split(",")):
            best = {}
            for _ in range(args.runs):
                for name, url in servers.items():
                    result = wrk(url + PATH_DOSSIER, connections, args.duration, lua)
                    if result["errors"]:
                        raise SystemExit(f"{name}: {result['errors']} non-2xx answers")
                    if result["rps"] > best.get(name, {"rps": 0})["rps"]:
                        best[name] = result
            for name, result in best.items():
                print(f"{connections:>11} {name:<15} {result['rps']:>11,.0f} {result['p99']:>9}")
            ratio = best["serve --admin"]["rps"] / best["serve"]["rps"]
            print(f"{connections:>11} {'admin / plain':<15} {ratio:>11.2f}x")
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)


if __name__ == "__main__":
    main()
