"""What loading one persona with its checks costs: the fields, then the dossier rendered in
01.00 and 02.00 and validated against our XSDs (``persona_from_data``, as start-up, the admin
API and a persona file's first import do it). In-process, from the parsed YAML.

    python benchmarks/persona_load.py [--rounds 20]

Prints the best of five runs per set, in ms a persona: the built-in personas, and the
dossier of tests/test_contract_bounds.py, which fills every field the contract has.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from magda_kbi.io.personas import (  # noqa: E402
    builtin_folder,
    persona_files,
    persona_from_data,
    read_yaml,
)
from tests.test_contract_bounds import CONTACT, DOSSIER, persona  # noqa: E402


def best_ms(items: list, rounds: int) -> float:
    best = float("inf")
    for _ in range(5):
        begin = time.perf_counter()
        for _ in range(rounds):
            for data in items:
                persona_from_data(data)
        best = min(best, (time.perf_counter() - begin) / rounds / len(items))
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    files = persona_files(builtin_folder())
    built_in = [read_yaml(p.read_text(encoding="utf-8")) for p in files]
    sets = {
        f"built-in ({len(built_in)})": built_in,
        "every field (test_contract_bounds)": [persona(DOSSIER, CONTACT)],
    }
    print(f"{'personas':<36} {'ms a persona':>12}")
    for name, items in sets.items():
        print(f"{name:<36} {best_ms(items, args.rounds):>12.3f}")


if __name__ == "__main__":
    main()
