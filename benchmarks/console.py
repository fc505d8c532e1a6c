"""How long the console's pages take with a large generated population (in-process, the
WSGI application called directly: the server's own work for one page).

    python benchmarks/console.py [--count 100000] [--repeat 5]
    python benchmarks/console.py --store URL  # a store's catalogue, as `serve --store URL`

Prints the median and the worst of ``--repeat`` renders per page: the persona list
(first page, a later page, a search, the NOK filter) and one persona with its timeline.
With ``--store``, the personas ``magda-kbi generate --count N --store URL`` wrote there
(never loaded whole, as under ``serve``), with searches a page deep as well.
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
    parser.add_argument("--store", metavar="URL", help="a store generate --store wrote")
    args = parser.parse_args()

    begin = time.perf_counter()
    if args.store:
        emulator = make_emulator(Settings(date(2025, 6, 1), catalogue=args.store, store=args.store))
        one_persona = emulator.runtime.personas.sorted_inszs()[-1]
    else:
        emulator = make_emulator(Settings(date(2025, 6, 1)))
        # The generated personas were checked when generated; no XSD check per persona here.
        extra = {}
        for data in generate_population(args.count, 1, taken=emulator.runtime.personas):
            persona = persona_from_data(data, contract=False)
            extra[persona.insz] = persona
        emulator.runtime.personas = {**emulator.runtime.personas, **extra}
        one_persona = next(iter(extra))
    loaded = time.perf_counter() - begin
    print(f"{len(emulator.runtime.personas)} personas loaded in {loaded:.1f} s")
    client = Client(emulator)
    pages = {
        "list, first page": "/console/",
        "list, page 1000": "/console/?page=1000",
        "list, search 'amina'": "/console/?q=amina",
        **(
            {
                "list, search 'amina' page 20": "/console/?q=amina&page=20",
                "list, search 'a'": "/console/?q=a",
                "list, search 'a' page 50": "/console/?q=a&page=50",
                "list, search 'zz' (none)": "/console/?q=zz",
            }
            if args.store
            else {}
        ),
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
