#!/usr/bin/env python3
"""The persona catalogue at scale: a generated population of N personas served by `serve`.

Prints: the time `generate` takes (once; cached in ``benchmarks/.cache/``), the first
`serve` start (the import into the catalogue) until /health answers, a later start, the
RSS of each worker, and the advice for a random generated INSZ at 8 connections (wrk:
requests/s, p50, p99), then the workers' RSS again. Prints; asserts nothing.

    python benchmarks/catalogue.py                  # 1,000,000 personas
    python benchmarks/catalogue.py --count 100000 --duration 10
    python benchmarks/catalogue.py --keep --runs 5  # the catalogue as it is; five load runs
    python benchmarks/catalogue.py --keep --admin   # serve --admin: two threads a worker
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # noqa: E402 - the wrk runner of benchmarks/load.py

from tests.soap import advies_verzoek  # noqa: E402

CACHE = Path(__file__).resolve().parent / ".cache"
PLACEHOLDER = "99999999999"  # stands for the INSZ in the request body


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(
    population: Path, env: dict, workers: int, admin: bool = False
) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    begin = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "magda_kbi", "serve", "--port", str(port)]
        + ["--workers", str(workers), "--fixtures", str(population)]
        + (["--admin"] if admin else []),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    while True:
        if process.poll() is not None:
            raise SystemExit(f"serve stopped: {process.stdout.read()}")
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url, time.perf_counter() - begin
        except requests.ConnectionError:
            time.sleep(0.05)


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def workers_of(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        children.extend(int(k) for k in text)
    return children


def inszs(population: Path, count: int) -> list[str]:
    found = []
    pattern = re.compile(r'"insz": "(\d{11})"')
    for file in sorted(population.glob("*.jsonl")):
        with file.open(encoding="utf-8") as f:
            found.extend(pattern.search(line).group(1) for line in f)
    return random.Random(1).sample(found, min(count, len(found)))


def lua(folder: Path, numbers: list[str]) -> Path:
    before, after = advies_verzoek(PLACEHOLDER, "2025-06-01").decode().split(PLACEHOLDER)
    script = folder / "advies.lua"
    table = ",".join(f'"{n}"' for n in numbers)
    script.write_text(
        f"local inszs = {{{table}}}\n"
        f"local voor = [==[{before}]==]\n"
        f"local na = [==[{after}]==]\n"
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "text/xml; charset=utf-8"\n'
        "math.randomseed(7)\n"
        "request = function()\n"
        "  return wrk.format(nil, nil, nil, voor .. inszs[math.random(#inszs)] .. na)\n"
        "end\n"
    )
    return script


def wrk(url: str, script: Path, connections: int, duration: int) -> str:
    r = load.wrk(url, connections, duration, script)
    return f"{r['rps']:,.0f} requests/s, p50 {r['p50']}, p99 {r['p99']}, non-2xx {r['errors']}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--duration", type=int, default=10, help="seconds of wrk (after 5 s warm-up)"
    )
    parser.add_argument("--runs", type=int, default=1, help="load runs, one after the other")
    parser.add_argument("--admin", action="store_true", help="serve --admin (two threads a worker)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the catalogue: no first start (import) measured"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    base = CACHE / f"catalogue-{args.count}"
    population, kbi = base / "population", base / "kbi-cache"
    env = {**os.environ, "MAGDA_KBI_CACHE_DIR": str(kbi)}
    if not (base / ".klaar").exists():
        shutil.rmtree(base, ignore_errors=True)
        begin = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "magda_kbi", "generate", "--count", str(args.count)]
            + ["--out", str(population)],
            env=env,
            check=True,
            stderr=subprocess.DEVNULL,
        )
        print(f"generate {args.count:,}: {time.perf_counter() - begin:.1f} s")
        (base / ".klaar").touch()
    print(f"{args.count:,} personas, serve --workers {args.workers}" + " --admin" * args.admin)
    if not args.keep:
        for old in kbi.glob("catalogue-*"):
            old.unlink()  # the first start imports everything
        process, url, duration = start(population, env, args.workers)
        print(f"first start (import into the catalogue) until /health: {duration:.1f} s")
        stop(process)
    process, url, duration = start(population, env, args.workers, args.admin)
    try:
        print(f"a later start until /health: {duration:.1f} s")
        workers = workers_of(process.pid)
        print("worker RSS after start: " + ", ".join(f"{rss_mb(w):.0f} MB" for w in workers))
        with tempfile.TemporaryDirectory() as work:
            script = lua(Path(work), inszs(population, 100_000))
            address = f"{url}/GeefAutomatischAdviesDienst-01.00/soap/WebService"
            wrk(address, script, 8, 5)
            for _ in range(args.runs):
                outcome = wrk(address, script, args.connections, args.duration)
                print(f"advice, random INSZ, {args.connections} connections: {outcome}")
        print("worker RSS after the load: " + ", ".join(f"{rss_mb(w):.0f} MB" for w in workers))
    finally:
        stop(process)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
