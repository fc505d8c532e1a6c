#!/usr/bin/env python3
"""Time and peak memory of the yearly reduced-premium list over generated populations.

For each size (default 10k, 100k, 1M) it generates a population once (cached in
``benchmarks/.cache/``), then runs ``magda-kbi export verlaagde-premie`` over it in a
child process and prints the wall time and the child's peak RSS. Prints; asserts nothing.

    python benchmarks/lists.py
    python benchmarks/lists.py --sizes 10000,100000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"


MEASURE = (
    "import resource, sys\n"
    "from magda_kbi.adapters.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def export(args: list[str]) -> tuple[float, float, str]:
    """Runs ``magda-kbi`` with these arguments in a child: wall seconds, the child's own peak
    RSS in MB, and how many INSZ it wrote."""
    start = time.perf_counter()
    process = subprocess.run(
        [sys.executable, "-c", MEASURE, *args], capture_output=True, text=True, check=True
    )
    duration = time.perf_counter() - start
    peak = int(process.stderr.strip().splitlines()[-1]) / 1024
    return duration, peak, f"{len(process.stdout.splitlines()) - 1} INSZ"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--year", type=int, default=2025)
    args = parser.parse_args()
    print("| personas | generate | export verlaagde-premie | peak RSS of the export | result |")
    print("|---|---|---|---|---|")
    for size in (int(g) for g in args.sizes.split(",")):
        folder = CACHE / f"population-{size}"
        generated = "(cached)"
        if not (folder / ".klaar").exists():
            start = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "magda_kbi",
                    "generate",
                    "--count",
                    str(size),
                    "--seed",
                    "1",
                    "--out",
                    str(folder),
                ],
                check=True,
                stderr=subprocess.DEVNULL,
            )
            (folder / ".klaar").touch()
            generated = f"{time.perf_counter() - start:.1f} s"
        duration, peak, result = export(
            [
                "export",
                "verlaagde-premie",
                str(args.year),
                "--fixtures",
                str(folder),
                "--no-builtin",
                "--today",
                "2030-01-01",
            ]
        )
        print(
            f"| {size:,} | {generated} | {duration:.1f} s | {peak:.0f} MB | {result} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
