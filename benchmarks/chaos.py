"""A bounded chaos run: mixed load with admin changes, a ``kill -9`` of ``serve`` and a restart
in the middle; afterwards the journal, the audit log and the processes are checked.

    python benchmarks/chaos.py [--minutes 10] [--connections 8]

Loopback only; every request has a timeout and the loops stop by themselves. It prints
figures per phase and the checks: no worker outlives its killed ``serve``, the restart on
the same port works, no answer comes from a stale process, every call of the second run is
in the audit log once and in the journal, no token in either.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.processes import kinderen, levend, vrije_poort  # noqa: E402
from tests.soap import advies_verzoek, dossier_verzoek  # noqa: E402

TOKEN = "chaos-token-not-secret"
ADMIN = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
SOAP = {"Content-Type": "text/xml; charset=utf-8"}


def start(poort: int, audit: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "magda_kbi",
            "serve",
            "--port",
            str(poort),
            "--admin",
            "--admin-token",
            TOKEN,
            "--audit-log",
            str(audit),
            "--today",
            "2030-01-01",
            "--journal-size",
            "1000000",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(300):
        try:
            if requests.get(f"http://127.0.0.1:{poort}/health", timeout=1).ok:
                return process
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("serve did not start")


def verslag(teller: Counter, seconden: float) -> str:
    oproepen = sum(teller[k] for k in ("dossier", "advies", "rest", "admin"))
    errors = {k: v for k, v in teller.items() if k.startswith("error") or k == "not ok"}
    return f"{oproepen} calls in {seconden:.0f} s ({oproepen / seconden:,.0f}/s), failures {errors}"


def belast(url: str, einde: float, teller: Counter, slot: threading.Lock, beheer: bool):
    """One connection's loop: dossier 02.00, advice, REST dossier; or (``beheer``) admin
    changes of the clock whose effect the very next request must show."""
    sessie = requests.Session()
    n = 0
    while time.monotonic() < einde:
        n += 1
        kind = "admin" if beheer else ("dossier", "advies", "rest")[n % 3]
        try:
            if kind == "dossier":
                r = sessie.post(
                    f"{url}/GeefDossierKBIDienst-02.00/soap/WebService",
                    data=dossier_verzoek("98630499724", "02.00"),
                    headers=SOAP,
                    timeout=5,
                )
                goed = r.status_code == 200 and b"<KBIDossier>" in r.content
            elif kind == "advies":
                r = sessie.post(
                    f"{url}/GeefAutomatischAdviesDienst-01.00/soap/WebService",
                    data=advies_verzoek("80651126387", "2023-04-17"),
                    headers=SOAP,
                    timeout=5,
                )
                goed = r.status_code == 200 and b"<Code>GEEN_AANMELDING</Code>" in r.content
            elif kind == "rest":
                r = sessie.get(f"{url}/api/v1/dossiers/98630499724", timeout=5)
                goed = r.status_code == 200
            else:  # the clock to 2023-03-01 and back: the advice must follow at once
                sessie.put(
                    f"{url}/admin/clock", json={"today": "2023-03-01"}, headers=ADMIN, timeout=5
                ).raise_for_status()
                vroeg = sessie.get(
                    f"{url}/api/v1/advies/79652599875", params={"datum": "2023-06-01"}, timeout=5
                ).json()
                sessie.put(
                    f"{url}/admin/clock", json={"today": "2030-01-01"}, headers=ADMIN, timeout=5
                ).raise_for_status()
                laat = sessie.get(
                    f"{url}/api/v1/advies/79652599875", params={"datum": "2023-06-01"}, timeout=5
                ).json()
                goed = vroeg["resultaat"] == "NOK" and laat["resultaat"] == "OK"
                if not goed:
                    with slot:
                        teller["stale answer"] += 1
                time.sleep(0.05)  # the admin thread paces itself
        except requests.RequestException as error:
            goed = False
            with slot:
                teller[f"error {type(error).__name__}"] += 1
        with slot:
            teller[kind] += 1
            teller["ok" if goed else "not ok"] += 1


def fase(url: str, seconden: float, verbindingen: int) -> Counter:
    counter, slot = Counter(), threading.Lock()
    end = time.monotonic() + seconden
    draden = [
        threading.Thread(target=belast, args=(url, end, counter, slot, n == 0))
        for n in range(verbindingen + 1)  # one more: the admin changes
    ]
    for d in draden:
        d.start()
    for d in draden:
        d.join(seconden + 30)
    return counter


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    werk = Path(tempfile.mkdtemp(prefix="magda-chaos-"))
    audit = werk / "audit.jsonl"
    port = vrije_poort()
    url = f"http://127.0.0.1:{port}"
    helft = args.minutes * 60 / 2

    serve = start(port, audit)
    werkers = kinderen(serve.pid)
    first = fase(url, helft, args.connections)
    print(f"phase 1: {verslag(first, helft)}")

    os.kill(serve.pid, signal.SIGKILL)  # no SIGTERM: serve gets no chance to clean up
    serve.wait()
    gedood = time.monotonic()
    while time.monotonic() - gedood < 3 and levend(werkers):
        time.sleep(0.05)
    print(
        f"kill -9 of serve: {len(werkers)} workers, still running after "
        f"{time.monotonic() - gedood:.2f} s: {levend(werkers)}"
    )

    regels_voor = len(audit.read_text().splitlines())
    t = time.monotonic()
    serve = start(port, audit)
    print(f"restart on the same port: up in {time.monotonic() - t:.2f} s")
    gezond = requests.get(f"{url}/health", timeout=5).json()
    print(f"after the restart /health says today {gezond['today']} (expected 2030-01-01)")
    tweede = fase(url, helft, args.connections)
    print(f"phase 2: {verslag(tweede, helft)}")

    journal = requests.get(
        f"{url}/admin/journal", params={"kind": "all"}, headers=ADMIN, timeout=30
    ).json()["entries"]
    serve.send_signal(signal.SIGTERM)
    serve.wait(30)
    lines = [json.loads(r) for r in audit.read_text().splitlines()]
    tweede_run = lines[regels_voor:]
    print(f"audit log: {len(lines)} lines ({regels_voor} before the kill), every line JSON")
    print(
        f"second run: journal {len(journal)} entries, audit log {len(tweede_run)} lines, "
        f"equal: {len(journal) == len(tweede_run)}"
    )
    print(
        f"admin actions audited: {sum(r['kind'] == 'admin' for r in lines)}; "
        f"token in the audit log: {TOKEN in audit.read_text()}"
    )
    print(f"stale answers: {first['stale answer'] + tweede['stale answer']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
