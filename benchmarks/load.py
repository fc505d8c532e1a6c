#!/usr/bin/env python3
"""Load benchmark: the emulator on its production server against WireMock and canned bytes.

Starts, on this machine and over loopback:

- the emulator (``magda-kbi serve``: granian, its default workers and threads);
- a WireMock 3 standalone stub serving the *same reply bytes* for GeefDossierKBI, matched
  with an XPath on the INSZ (the jar comes from the npm package ``wiremock``; Java 17+);
- "canned bytes": the same reply from a trivial WSGI app on the same server (the ceiling);

then drives each with ``wrk`` (Debian package ``wrk``) at 1, 8 and 32 connections and prints
requests/s and p50/p99 latency: GeefDossierKBI for the largest persona on all three, and
on the emulator also 02.00, the advice and the REST dossier route. It prints figures and
their ratios; it asserts nothing.

The protocol (issue 15): each server first gets a warm-up (10 s; the JVM needs it most),
then the runs alternate between the servers, round after round, and each figure is the best
of its rounds: on a shared machine the ratios within one run are what counts.

    python benchmarks/load.py                          # warm-up 10 s, 5 s runs, best of 3
    python benchmarks/load.py --duration 2 --rounds 1 --warmup 2 --no-wiremock   # quick
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from tests.soap import (  # noqa: E402
    PATH_ADVIES,
    PATH_DOSSIER,
    PATH_DOSSIER_02,
    advies_verzoek,
    dossier_verzoek,
)

LARGEST = "98630499724"  # the persona with the largest dossier
WIREMOCK_VERSION = "3.13.2"
CACHE = HERE / ".cache"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, method: str = "GET", seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            requests.request(method, url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def start(command: list[str], **kw) -> subprocess.Popen:
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


def wiremock_jar(given: str | None) -> Path:
    if given:
        return Path(given)
    jar = CACHE / f"node_modules/wiremock/build/wiremock-standalone-{WIREMOCK_VERSION}.jar"
    if not jar.exists():
        print(f"installing wiremock@{WIREMOCK_VERSION} from the npm registry into {CACHE}")
        subprocess.run(
            ["npm", "install", "--silent", "--prefix", str(CACHE), f"wiremock@{WIREMOCK_VERSION}"],
            check=True,
        )
    return jar


def wrk(url: str, connections: int, duration: int, lua: Path) -> dict:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(lua), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def getal(pattern: str) -> str:
        found = re.search(pattern, out)
        return found.group(1) if found else "?"

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(getal(r"Requests/sec:\s+([\d.]+)")),
        "p50": getal(r"\n\s+50%\s+(\S+)"),
        "p99": getal(r"\n\s+99%\s+(\S+)"),
        "errors": (int(errors.group(1)) if errors else 0),
        "socket": socket_errors.group(1) if socket_errors else "",
    }


def lua_script(folder: Path, name: str, body: bytes | None) -> Path:
    script = folder / f"{name}.lua"
    if body is None:
        script.write_text('wrk.method = "GET"\n')
        return script
    (folder / f"{name}.xml").write_bytes(body)
    script.write_text(
        'wrk.method = "POST"\n'
        f'local f = io.open("{folder / (name + ".xml")}", "rb")\n'
        "wrk.body = f:read('*all')\nf:close()\n"
        'wrk.headers["Content-Type"] = "text/xml; charset=utf-8"\n'
    )
    return script


def print_ratios(targets, best, connections) -> None:
    """The ratios issue 15 sets its goals in, within this one run."""
    index = {(server.split(" ")[0], call): i for i, (server, call, _, _) in enumerate(targets)}
    ours = index[("emulator", "GeefDossierKBI")]
    pairs = [
        ("01.00 / WireMock", ours, index.get(("WireMock", "GeefDossierKBI"))),
        (
            "02.00 / WireMock",
            index[("emulator", "GeefDossierKBI 02.00")],
            index.get(("WireMock", "GeefDossierKBI")),
        ),
        ("01.00 / canned bytes", ours, index[("canned", "GeefDossierKBI")]),
        ("advice / 01.00", index[("emulator", "GeefAutomatischAdvies")], ours),
        ("REST dossier / 01.00", index[("emulator", "REST dossier")], ours),
    ]
    print("\n| ratio | " + " | ".join(f"{c} conn." for c in connections) + " |")
    print("|---|" + "---|" * len(connections))
    for name, counter, denominator in pairs:
        if denominator is None:
            continue
        cells = [
            f"{best[(counter, c)]['rps'] / best[(denominator, c)]['rps']:.2f}x" for c in connections
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per run (default 5)")
    parser.add_argument("--warmup", type=int, default=10, help="seconds per server (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; best of them (default 3)")
    parser.add_argument("--connections", default="1,8,32", help="default 1,8,32")
    parser.add_argument("--wiremock-jar", help="a WireMock standalone jar (default: from npm)")
    parser.add_argument("--no-wiremock", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    connections = [int(v) for v in args.connections.split(",")]

    work = Path(tempfile.mkdtemp(prefix="magda-bench-"))
    processes: list[subprocess.Popen] = []
    try:
        port = free_port()
        ours = f"http://127.0.0.1:{port}"
        processes.append(
            start(
                [
                    sys.executable,
                    "-m",
                    "magda_kbi",
                    "serve",
                    "--port",
                    str(port),
                    "--today",
                    "2030-01-01",
                ]
            )
        )
        wait_for(f"{ours}/health")
        dossier_body = dossier_verzoek(LARGEST, referte="benchmark")
        advies_body = advies_verzoek("73680599786", "2024-01-01", referte="benchmark")
        response = requests.post(
            ours + PATH_DOSSIER, data=dossier_body, headers={"Content-Type": "text/xml"}, timeout=5
        ).content
        (work / "reply.xml").write_bytes(response)

        canned_port = free_port()
        processes.append(
            start(
                [
                    sys.executable,
                    "-m",
                    "granian",
                    "--interface",
                    "wsgi",
                    "--workers",
                    "2",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(canned_port),
                    "--log-level",
                    "warning",
                    "--working-dir",
                    str(HERE),
                    "canned:app",
                ],
                env={**os.environ, "CANNED_REPLY": str(work / "reply.xml")},
            )
        )
        canned = f"http://127.0.0.1:{canned_port}"
        wait_for(canned + PATH_DOSSIER, "POST")

        targets = [
            ("emulator", "GeefDossierKBI", ours + PATH_DOSSIER, dossier_body),
            ("canned bytes", "GeefDossierKBI", canned + PATH_DOSSIER, dossier_body),
        ]
        if not args.no_wiremock:
            jar = wiremock_jar(args.wiremock_jar)
            wm_port = free_port()
            (work / "wm/mappings").mkdir(parents=True)
            (work / "wm/mappings/dossier.json").write_text(
                json.dumps(
                    {
                        "request": {
                            "method": "POST",
                            "urlPath": PATH_DOSSIER,
                            "bodyPatterns": [{"matchesXPath": f"//INSZ[text()='{LARGEST}']"}],
                        },
                        "response": {
                            "status": 200,
                            "body": response.decode("utf-8"),
                            "headers": {"Content-Type": "text/xml; charset=utf-8"},
                        },
                    }
                )
            )
            processes.append(
                start(
                    [
                        "java",
                        "-jar",
                        str(jar),
                        "--port",
                        str(wm_port),
                        "--root-dir",
                        str(work / "wm"),
                        "--disable-request-logging",
                        "--no-request-journal",
                        "--container-threads",
                        "16",
                    ]
                )
            )
            wiremock = f"http://127.0.0.1:{wm_port}"
            wait_for(f"{wiremock}/__admin/mappings")
            targets.insert(
                1,
                (
                    "WireMock " + WIREMOCK_VERSION,
                    "GeefDossierKBI",
                    wiremock + PATH_DOSSIER,
                    dossier_body,
                ),
            )
        dossier_02 = dossier_verzoek(LARGEST, "02.00", referte="benchmark")
        targets += [
            ("emulator", "GeefDossierKBI 02.00", ours + PATH_DOSSIER_02, dossier_02),
            ("emulator", "GeefAutomatischAdvies", ours + PATH_ADVIES, advies_body),
            ("emulator", "REST dossier", f"{ours}/api/v1/dossiers/{LARGEST}", None),
        ]

        print(
            f"reply: {len(response)} bytes; warm-up {args.warmup} s per server; {args.duration} s "
            f"per run, best of {args.rounds} alternating rounds; wrk 1 thread; "
            f"{os.cpu_count()} cores\n",
            flush=True,
        )
        scripts = [lua_script(work, f"doel{i}", body) for i, (*_, body) in enumerate(targets)]
        for (_, _, url, _), lua in zip(targets, scripts, strict=True):
            wrk(url, 8, args.warmup, lua)
        best: dict[tuple[int, int], dict] = {}
        for _ in range(args.rounds):
            for c in connections:
                for i, ((_, _, url, _), lua) in enumerate(zip(targets, scripts, strict=True)):
                    r = wrk(url, c, args.duration, lua)
                    if (i, c) not in best or r["rps"] > best[(i, c)]["rps"]:
                        best[(i, c)] = r
        print("| server | call | connections | requests/s | p50 | p99 | errors |")
        print("|---|---|---|---|---|---|---|")
        for i, (server, call, _, _) in enumerate(targets):
            for c in connections:
                r = best[(i, c)]
                errors = r["errors"] + (1 if r["socket"] else 0)
                print(
                    f"| {server} | {call} | {c} | {r['rps']:,.0f} | {r['p50']} | {r['p99']} | "
                    f"{errors if errors else 0}{' ' + r['socket'] if r['socket'] else ''} |"
                )
        print_ratios(targets, best, connections)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
