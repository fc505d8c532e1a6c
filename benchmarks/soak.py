#!/usr/bin/env python3
"""Soak test (not part of the test suite): N minutes at saturation over loopback.

Starts the emulator on its production server and drives it with ``wrk`` with a mix of
GeefDossierKBI, the advice over SOAP and the REST dossier route, in intervals. Per
interval it prints throughput and errors, and the resident memory (RSS) of the emulator's
processes; at the end errors in all (goal: 0) and RSS at start and end (goal: flat).

    python benchmarks/soak.py --minutes 10
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.soap import PATH_ADVIES, PATH_DOSSIER, advies_verzoek, dossier_verzoek  # noqa: E402

LUA = """
local paden = {"%(dossier_pad)s", "%(advies_pad)s", "/api/v1/dossiers/98630499724"}
local bodies = {}
local requests = {}
local counter = 0

init = function(args)
  for i, path in ipairs({"%(dossier)s", "%(advies)s"}) do
    local f = io.open(path, "rb")
    bodies[i] = f:read("*all")
    f:close()
  end
  local kop = {["Content-Type"] = "text/xml; charset=utf-8"}
  requests[1] = wrk.format("POST", paden[1], kop, bodies[1])
  requests[2] = wrk.format("POST", paden[2], kop, bodies[2])
  requests[3] = wrk.format("GET", paden[3])
end

request = function()
  counter = counter + 1
  return requests[(counter %% 3) + 1]
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes(root: int) -> list[int]:
    """The process and all its descendants (the server's workers)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, to_do = [], [root]
    while to_do:
        pid = to_do.pop()
        found.append(pid)
        to_do.extend(children.get(pid, []))
    return found


def rss_mb(root: int) -> float:
    total = 0
    for pid in processes(root):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--interval", type=int, default=30, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")

    work = Path(tempfile.mkdtemp(prefix="magda-soak-"))
    (work / "dossier.xml").write_bytes(dossier_verzoek("98630499724", referte="soak"))
    (work / "advies.xml").write_bytes(advies_verzoek("73680599786", "2024-01-01", referte="soak"))
    (work / "mix.lua").write_text(
        LUA
        % {
            "dossier_pad": PATH_DOSSIER,
            "advies_pad": PATH_ADVIES,
            "dossier": work / "dossier.xml",
            "advies": work / "advies.xml",
        }
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "magda_kbi", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                requests.get(f"{url}/health", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        rss_start = rss_mb(server.pid)
        print(
            f"RSS at start: {rss_start:.1f} MB; {args.connections} connections; mix of "
            "GeefDossierKBI, GeefAutomatischAdvies and REST dossier\n"
        )
        print("| minute | requests/s | errors | RSS MB |")
        print("|---|---|---|---|")
        end = time.monotonic() + args.minutes * 60
        begin = time.monotonic()
        errors_total, measurements = 0, []
        while time.monotonic() < end:
            duration = max(1, min(args.interval, int(end - time.monotonic())))
            out = subprocess.run(
                [
                    "wrk",
                    "-t1",
                    f"-c{args.connections}",
                    f"-d{duration}s",
                    "-s",
                    str(work / "mix.lua"),
                    url,
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
            non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            socket_errors = re.search(
                r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                r"timeout (\d+)",
                out,
            )
            errors = (int(non2xx.group(1)) if non2xx else 0) + (
                sum(map(int, socket_errors.groups())) if socket_errors else 0
            )
            errors_total += errors
            rss = rss_mb(server.pid)
            measurements.append(rps)
            minute = (time.monotonic() - begin) / 60
            print(f"| {minute:.1f} | {rps:,.0f} | {errors} | {rss:.1f} |", flush=True)
        rss_end = rss_mb(server.pid)
        print(
            f"\nerrors: {errors_total}; throughput first/last interval: {measurements[0]:,.0f} / "
            f"{measurements[-1]:,.0f} req/s; RSS start/end: {rss_start:.1f} / {rss_end:.1f} MB"
        )
    finally:
        server.terminate()
        server.wait(timeout=15)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
