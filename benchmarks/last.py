#!/usr/bin/env python3
"""Load benchmark: the emulator on its production server against WireMock and canned bytes.

Starts, on this machine and over loopback:

- the emulator (``magda-kbi serve``: granian, its default workers and threads);
- a WireMock 3 standalone stub serving the *same reply bytes* for GeefDossierKBI, matched
  with an XPath on the INSZ (the jar comes from the npm package ``wiremock``; Java 17+);
- "canned bytes": the same reply from a trivial WSGI app on the same server (the ceiling);

then drives each with ``wrk`` (Debian package ``wrk``) at 1, 8 and 32 connections and prints
requests/s and p50/p99 latency: GeefDossierKBI for the largest persona on all three, and
on the emulator also the advice and the REST dossier route. It prints figures; it asserts
nothing.

    python benchmarks/last.py                 # 10 s per run
    python benchmarks/last.py --duur 5 --zonder-wiremock
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

HIER = Path(__file__).resolve().parent
sys.path.insert(0, str(HIER.parent))
from tests.soap import PAD_ADVIES, PAD_DOSSIER, advies_verzoek, dossier_verzoek  # noqa: E402

GROOTSTE = "98630499724"  # the persona with the largest dossier
WIREMOCK_VERSIE = "3.13.2"
CACHE = HIER / ".cache"


def vrije_poort() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wacht_op(url: str, methode: str = "GET", seconden: float = 60) -> None:
    einde = time.monotonic() + seconden
    while time.monotonic() < einde:
        try:
            requests.request(methode, url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def start(commando: list[str], **kw) -> subprocess.Popen:
    return subprocess.Popen(commando, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


def wiremock_jar(opgegeven: str | None) -> Path:
    if opgegeven:
        return Path(opgegeven)
    jar = CACHE / f"node_modules/wiremock/build/wiremock-standalone-{WIREMOCK_VERSIE}.jar"
    if not jar.exists():
        print(f"installing wiremock@{WIREMOCK_VERSIE} from the npm registry into {CACHE}")
        subprocess.run(
            ["npm", "install", "--silent", "--prefix", str(CACHE), f"wiremock@{WIREMOCK_VERSIE}"],
            check=True,
        )
    return jar


def wrk(url: str, verbindingen: int, duur: int, lua: Path) -> dict:
    uit = subprocess.run(
        ["wrk", "-t1", f"-c{verbindingen}", f"-d{duur}s", "--latency", "-s", str(lua), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def getal(patroon: str) -> str:
        gevonden = re.search(patroon, uit)
        return gevonden.group(1) if gevonden else "?"

    fouten = re.search(r"Non-2xx or 3xx responses: (\d+)", uit)
    socketfouten = re.search(r"Socket errors: (.*)", uit)
    return {
        "rps": float(getal(r"Requests/sec:\s+([\d.]+)")),
        "p50": getal(r"\n\s+50%\s+(\S+)"),
        "p99": getal(r"\n\s+99%\s+(\S+)"),
        "fouten": (int(fouten.group(1)) if fouten else 0),
        "socket": socketfouten.group(1) if socketfouten else "",
    }


def lua_script(map_: Path, naam: str, body: bytes | None) -> Path:
    script = map_ / f"{naam}.lua"
    if body is None:
        script.write_text('wrk.method = "GET"\n')
        return script
    (map_ / f"{naam}.xml").write_bytes(body)
    script.write_text(
        'wrk.method = "POST"\n'
        f'local f = io.open("{map_ / (naam + ".xml")}", "rb")\n'
        "wrk.body = f:read('*all')\nf:close()\n"
        'wrk.headers["Content-Type"] = "text/xml; charset=utf-8"\n'
    )
    return script


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duur", type=int, default=10, help="seconds per run (default 10)")
    parser.add_argument("--verbindingen", default="1,8,32", help="default 1,8,32")
    parser.add_argument("--wiremock-jar", help="a WireMock standalone jar (default: from npm)")
    parser.add_argument("--zonder-wiremock", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    verbindingen = [int(v) for v in args.verbindingen.split(",")]

    werk = Path(tempfile.mkdtemp(prefix="magda-bench-"))
    processen: list[subprocess.Popen] = []
    try:
        poort = vrije_poort()
        ons = f"http://127.0.0.1:{poort}"
        processen.append(
            start(
                [
                    sys.executable,
                    "-m",
                    "magda_kbi",
                    "serve",
                    "--port",
                    str(poort),
                    "--today",
                    "2030-01-01",
                ]
            )
        )
        wacht_op(f"{ons}/health")
        dossier_body = dossier_verzoek(GROOTSTE, referte="benchmark")
        advies_body = advies_verzoek("73680599786", "2024-01-01", referte="benchmark")
        antwoord = requests.post(
            ons + PAD_DOSSIER, data=dossier_body, headers={"Content-Type": "text/xml"}, timeout=5
        ).content
        (werk / "antwoord.xml").write_bytes(antwoord)

        canned_poort = vrije_poort()
        processen.append(
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
                    str(canned_poort),
                    "--log-level",
                    "warning",
                    "--working-dir",
                    str(HIER),
                    "canned:app",
                ],
                env={**os.environ, "CANNED_ANTWOORD": str(werk / "antwoord.xml")},
            )
        )
        canned = f"http://127.0.0.1:{canned_poort}"
        wacht_op(canned + PAD_DOSSIER, "POST")

        doelen = [
            ("emulator", "GeefDossierKBI", ons + PAD_DOSSIER, dossier_body),
            ("canned bytes", "GeefDossierKBI", canned + PAD_DOSSIER, dossier_body),
        ]
        if not args.zonder_wiremock:
            jar = wiremock_jar(args.wiremock_jar)
            wm_poort = vrije_poort()
            (werk / "wm/mappings").mkdir(parents=True)
            (werk / "wm/mappings/dossier.json").write_text(
                json.dumps(
                    {
                        "request": {
                            "method": "POST",
                            "urlPath": PAD_DOSSIER,
                            "bodyPatterns": [{"matchesXPath": f"//INSZ[text()='{GROOTSTE}']"}],
                        },
                        "response": {
                            "status": 200,
                            "body": antwoord.decode("utf-8"),
                            "headers": {"Content-Type": "text/xml; charset=utf-8"},
                        },
                    }
                )
            )
            processen.append(
                start(
                    [
                        "java",
                        "-jar",
                        str(jar),
                        "--port",
                        str(wm_poort),
                        "--root-dir",
                        str(werk / "wm"),
                        "--disable-request-logging",
                        "--no-request-journal",
                        "--container-threads",
                        "16",
                    ]
                )
            )
            wiremock = f"http://127.0.0.1:{wm_poort}"
            wacht_op(f"{wiremock}/__admin/mappings")
            doelen.insert(
                1,
                (
                    "WireMock " + WIREMOCK_VERSIE,
                    "GeefDossierKBI",
                    wiremock + PAD_DOSSIER,
                    dossier_body,
                ),
            )
        doelen += [
            ("emulator", "GeefAutomatischAdvies", ons + PAD_ADVIES, advies_body),
            ("emulator", "REST dossier", f"{ons}/api/v1/dossiers/{GROOTSTE}", None),
        ]

        print(
            f"reply: {len(antwoord)} bytes; {args.duur} s per run; wrk 1 thread; "
            f"{os.cpu_count()} cores\n"
        )
        print("| server | call | connections | requests/s | p50 | p99 | errors |")
        print("|---|---|---|---|---|---|---|")
        for i, (server, oproep, url, body) in enumerate(doelen):
            lua = lua_script(werk, f"doel{i}", body)
            wrk(url, 8, min(3, args.duur), lua)  # warm up (the JVM needs it most)
            for c in verbindingen:
                r = wrk(url, c, args.duur, lua)
                fouten = r["fouten"] + (1 if r["socket"] else 0)
                print(
                    f"| {server} | {oproep} | {c} | {r['rps']:,.0f} | {r['p50']} | {r['p99']} | "
                    f"{fouten if fouten else 0}{' ' + r['socket'] if r['socket'] else ''} |",
                    flush=True,
                )
    finally:
        for proces in processen:
            proces.terminate()
        for proces in processen:
            try:
                proces.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proces.kill()
        shutil.rmtree(werk, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
