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

from tests.processes import alive, children, free_port  # noqa: E402
from tests.soap import advies_verzoek, dossier_verzoek  # noqa: E402

TOKEN = "chaos-token-not-secret"
ADMIN = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
SOAP = {"Content-Type": "text/xml; charset=utf-8"}


def start(port: int, audit: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "magda_kbi",
            "serve",
            "--port",
            str(port),
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
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).ok:
                return process
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("serve did not start")


def report(counter: Counter, seconds: float) -> str:
    calls = sum(counter[k] for k in ("dossier", "advies", "rest", "admin"))
    errors = {k: v for k, v in counter.items() if k.startswith("error") or k == "not ok"}
    return f"{calls} calls in {seconds:.0f} s ({calls / seconds:,.0f}/s), failures {errors}"


def drive(url: str, end: float, counter: Counter, lock: threading.Lock, admin: bool):
    """One connection's loop: dossier 02.00, advice, REST dossier; or (``admin``) admin
    changes of the clock whose effect the very next request must show."""
    session = requests.Session()
    n = 0
    while time.monotonic() < end:
        n += 1
        kind = "admin" if admin else ("dossier", "advies", "rest")[n % 3]
        try:
            if kind == "dossier":
                r = session.post(
                    f"{url}/GeefDossierKBIDienst-02.00/soap/WebService",
                    data=dossier_verzoek("98630499724", "02.00"),
                    headers=SOAP,
                    timeout=5,
                )
                ok = r.status_code == 200 and b"<KBIDossier>" in r.content
            elif kind == "advies":
                r = session.post(
                    f"{url}/GeefAutomatischAdviesDienst-01.00/soap/WebService",
                    data=advies_verzoek("80651126387", "2023-04-17"),
                    headers=SOAP,
                    timeout=5,
                )
                ok = r.status_code == 200 and b"<Code>GEEN_AANMELDING</Code>" in r.content
            elif kind == "rest":
                r = session.get(f"{url}/api/v1/dossiers/98630499724", timeout=5)
                ok = r.status_code == 200
            else:  # the clock to 2023-03-01 and back: the advice must follow at once
                session.put(
                    f"{url}/admin/clock", json={"today": "2023-03-01"}, headers=ADMIN, timeout=5
                ).raise_for_status()
                early = session.get(
                    f"{url}/api/v1/advies/79652599875", params={"datum": "2023-06-01"}, timeout=5
                ).json()
                session.put(
                    f"{url}/admin/clock", json={"today": "2030-01-01"}, headers=ADMIN, timeout=5
                ).raise_for_status()
                late = session.get(
                    f"{url}/api/v1/advies/79652599875", params={"datum": "2023-06-01"}, timeout=5
                ).json()
                ok = early["resultaat"] == "NOK" and late["resultaat"] == "OK"
                if not ok:
                    with lock:
                        counter["stale answer"] += 1
                time.sleep(0.05)  # the admin thread paces itself
        except requests.RequestException as error:
            ok = False
            with lock:
                counter[f"error {type(error).__name__}"] += 1
        with lock:
            counter[kind] += 1
            counter["ok" if ok else "not ok"] += 1


def phase(url: str, seconds: float, connections: int) -> Counter:
    counter, lock = Counter(), threading.Lock()
    end = time.monotonic() + seconds
    threads = [
        threading.Thread(target=drive, args=(url, end, counter, lock, n == 0))
        for n in range(connections + 1)  # one more: the admin changes
    ]
    for d in threads:
        d.start()
    for d in threads:
        d.join(seconds + 30)
    return counter


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="magda-chaos-"))
    audit = work / "audit.jsonl"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    half = args.minutes * 60 / 2

    serve = start(port, audit)
    workers = children(serve.pid)
    first = phase(url, half, args.connections)
    print(f"phase 1: {report(first, half)}")

    os.kill(serve.pid, signal.SIGKILL)  # no SIGTERM: serve gets no chance to clean up
    serve.wait()
    killed = time.monotonic()
    while time.monotonic() - killed < 3 and alive(workers):
        time.sleep(0.05)
    print(
        f"kill -9 of serve: {len(workers)} workers, still running after "
        f"{time.monotonic() - killed:.2f} s: {alive(workers)}"
    )

    lines_before = len(audit.read_text().splitlines())
    t = time.monotonic()
    serve = start(port, audit)
    print(f"restart on the same port: up in {time.monotonic() - t:.2f} s")
    health = requests.get(f"{url}/health", timeout=5).json()
    print(f"after the restart /health says today {health['today']} (expected 2030-01-01)")
    second = phase(url, half, args.connections)
    print(f"phase 2: {report(second, half)}")

    journal = requests.get(
        f"{url}/admin/journal", params={"kind": "all"}, headers=ADMIN, timeout=30
    ).json()["entries"]
    serve.send_signal(signal.SIGTERM)
    serve.wait(30)
    lines = [json.loads(r) for r in audit.read_text().splitlines()]
    second_run = lines[lines_before:]
    print(f"audit log: {len(lines)} lines ({lines_before} before the kill), every line JSON")
    print(
        f"second run: journal {len(journal)} entries, audit log {len(second_run)} lines, "
        f"equal: {len(journal) == len(second_run)}"
    )
    print(
        f"admin actions audited: {sum(r['kind'] == 'admin' for r in lines)}; "
        f"token in the audit log: {TOKEN in audit.read_text()}"
    )
    print(f"stale answers: {first['stale answer'] + second['stale answer']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
