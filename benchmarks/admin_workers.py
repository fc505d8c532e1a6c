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

from last import GROOTSTE, lua_script, start, vrije_poort, wacht_op, wrk

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.soap import PAD_DOSSIER, dossier_verzoek  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per run (default 5)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", default="1,8,32")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    werk = Path(tempfile.mkdtemp(prefix="magda-bench-"))
    lua = lua_script(werk, "dossier", dossier_verzoek(GROOTSTE, referte="benchmark"))
    servers, processes = {}, []
    try:
        for name, extra in (("serve", []), ("serve --admin", ["--admin"])):
            port = vrije_poort()
            commando = [
                sys.executable,
                "-m",
                "magda_kbi",
                "serve",
                "--port",
                str(port),
            ]
            processes.append(start([*commando, "--workers", "2", "--today", "2030-01-01", *extra]))
            servers[name] = f"http://127.0.0.1:{port}"
            wacht_op(servers[name] + "/health")
        for url in servers.values():
            wrk(url + PAD_DOSSIER, 8, 5, lua)  # warm-up
        print(f"{'connections':>11} {'server':<15} {'requests/s':>11} {'p99':>9}")
        for verbindingen in (int(v) for v in args.connections.split(",")):
            beste = {}
            for _ in range(args.runs):
                for name, url in servers.items():
                    uitslag = wrk(url + PAD_DOSSIER, verbindingen, args.duration, lua)
                    if uitslag["fouten"]:
                        raise SystemExit(f"{name}: {uitslag['fouten']} non-2xx answers")
                    if uitslag["rps"] > beste.get(name, {"rps": 0})["rps"]:
                        beste[name] = uitslag
            for name, uitslag in beste.items():
                print(f"{verbindingen:>11} {name:<15} {uitslag['rps']:>11,.0f} {uitslag['p99']:>9}")
            verhouding = beste["serve --admin"]["rps"] / beste["serve"]["rps"]
            print(f"{verbindingen:>11} {'admin / plain':<15} {verhouding:>11.2f}x")
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)


if __name__ == "__main__":
    main()
