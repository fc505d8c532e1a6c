"""How long a PostgreSQL store takes to notice a network partition: the LISTEN connection
(idle while it waits: /health says "degraded" once it is noticed) and a query on a
connection made before the partition.

A partition is not a crash: nothing answers and nothing resets the connection. Here it is
loopback going down inside a network namespace of its own (``unshare --net``, root or
CAP_SYS_ADMIN; this machine's kernel has no netem to drop packets), with a throwaway
cluster of Debian's PostgreSQL (as the tests start one) inside it; nothing outside is
touched. ``--url-options '?keepalives_idle=7200&tcp_user_timeout=0'`` measures the OS's
defaults instead of the store's.

    python benchmarks/partition.py            # about 35 s
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSIDE = "MAGDA_KBI_PARTITION_INSIDE"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url-options", default="", help="appended to the store's URL")
    parser.add_argument("--give-up", type=float, default=300, help="seconds to wait at most")
    args = parser.parse_args()
    if os.environ.get(INSIDE) != "1":
        inner = f"ip link set lo up && exec {sys.executable} {' '.join(map(repr, sys.argv))}"
        code = subprocess.call(
            ["unshare", "--net", "sh", "-c", inner], env={**os.environ, INSIDE: "1"}
        )
        sys.exit(code)
    measure(args.url_options, args.give_up)


def measure(url_options: str, give_up: float) -> None:
    sys.path.insert(0, str(ROOT))
    from magda_kbi.runtime.store_postgresql import PostgresStore
    from tests.postgres import Cluster

    cluster = Cluster()
    try:
        store = PostgresStore(cluster.database() + url_options)
        store.start()
        query: dict[str, str] = {}
        made, go = threading.Event(), threading.Event()

        def request_thread() -> None:
            store.db()  # its connection, made before the partition and kept
            made.set()
            go.wait()
            start = time.monotonic()
            try:
                with store.write() as db:
                    db.execute("UPDATE clock SET changed = 0")
                query["answer"] = f"answered after {time.monotonic() - start:.1f} s"
            except store.Error as error:
                query["answer"] = f"{type(error).__name__} after {time.monotonic() - start:.1f} s"

        threading.Thread(target=request_thread, daemon=True).start()
        made.wait(30)
        assert store.problem() is None, store.problem()
        subprocess.run(["ip", "link", "set", "lo", "down"], check=True)
        start = time.monotonic()
        go.set()
        noticed = None
        while time.monotonic() - start < give_up and (noticed is None or "answer" not in query):
            if noticed is None and store.problem() is not None:
                noticed = time.monotonic() - start
            time.sleep(0.1)
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        print(
            "LISTEN connection:",
            f"noticed after {noticed:.1f} s ({store.problem()})"
            if noticed is not None
            else f"not noticed in {give_up:.0f} s",
        )
        print("query on a kept connection:", query.get("answer", f"waiting after {give_up:.0f} s"))
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
