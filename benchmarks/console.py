"""How long the console's pages take with a large generated population (in-process, the
WSGI application called directly: the server's own work for one page).

    python benchmarks/console.py [--count 100000] [--repeat 5]

Prints the median and the worst of ``--repeat`` renders per page: the persona list
(first page, a later page, a search, the NOK filter) and one persona with its timeline.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from werkzeug.test import Client

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from magda_kbi.adapters.app import Settings, make_emulator  # noqa: E402
from magda_kbi.io.personas import persona_from_data  # noqa: E402
from magda_kbi.io.population import generate_population  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    begin = time.perf_counter()
    emulator = make_emulator(Settings(date(2025, 6, 1)))
    # The generated personas were checked when generated; no XSD check per persona here.
    extra = {}
    for data in generate_population(args.count, 1, taken=emulator.runtime.personas):
        persona = persona_from_data(data, contract=False)
        extra[persona.insz] = persona
    emulator.runtime.personas = {**emulator.runtime.personas, **extra}
    loaded = time.perf_counter() - begin
    print(f"{len(emulator.runtime.personas)} personas loaded in {loaded:.1f} s")
    client = Client(emulator)
    one_persona = next(iter(extra))
    pages = {
        "list, first page": "/console/",
        "list, page 1000": "/console/?page=1000",
        "list, search 'amina'": "/console/?q=amina",
        "list, NOK today": "/console/?result=NOK",
        "list, NOK today, page 20": "/console/?result=NOK&page=20",
        "list, NOK today, page 21": "/console/?result=NOK&page=21",
        "list, NOK, past the last": "/console/?result=NOK&page=999999",
        "list, OK, past the last": "/console/?result=OK&page=999999",
        "persona with timeline": f"/console/personas/{one_persona}",
    }
    print(f"{'page':<28} {'median ms':>10} {'worst ms':>10}")
    for name, url in pages.items():
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(f"{name:<28} {statistics.median(times):>10.1f} {max(times):>10.1f}")


if __name__ == "__main__":
    main()
