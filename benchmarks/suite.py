#!/usr/bin/env python3
"""Where the test suite's time goes: wall time, CPU time by kind of process and by test.

Runs ``python -m pytest`` (the README's test command; extra arguments are passed on) with a
``sitecustomize`` on ``PYTHONPATH`` that makes every Python process the suite starts note
its own CPU time, and its waited-for children's, as it exits. Then prints the CPU seconds
of each kind (the tests' own processes, ``serve`` with its workers, other commands, pip),
what is left for processes that noted nothing (PostgreSQL, Chromium, git; and Python killed
by a signal or started without the suite's environment, as some tests do), and the tests
that took the most CPU in the process that ran them (wall time under ``-n`` mostly says
which tests ran beside which). On a machine with C cores a suite that keeps them busy takes
at least its CPU seconds / C of wall time: that bound is printed too. Figures, no asserts.
For the run, the ``sitecustomize`` hides an interpreter's own (Debian's, say).

    python benchmarks/suite.py [--slowest 15] [pytest arguments...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
LOG_ENV = "MAGDA_KBI_SUITE_LOG"

# Runs in every Python process of the suite (sitecustomize is imported at start-up). A
# process that leaves by os._exit (a granian worker) notes nothing: serve, which waits for
# its workers, notes their time as its children's.
NOTE = f"""
import atexit, os, resource, sys

def _note():
    own = resource.getrusage(resource.RUSAGE_SELF)
    waited = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = {{
        "pid": os.getpid(),
        "argv": sys.argv[:3],
        "tests": "xdist" in sys.modules or "_pytest" in sys.modules,
        "cpu": own.ru_utime + own.ru_stime,
        "children": waited.ru_utime + waited.ru_stime,
    }}
    try:
        with open(os.environ[{LOG_ENV!r}], "a") as log:
            log.write(__import__("json").dumps(line) + "\\n")
    except (OSError, KeyError):
        pass

atexit.register(_note)
"""


# A plugin (``-p``) that notes each test's CPU time in the process that runs it (its
# setup, call and teardown; the threads it started in that process included).
PLUGIN = f"""
import json, os, time
import pytest

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    started = time.process_time()
    yield
    line = {{"test": item.nodeid, "cpu": time.process_time() - started}}
    with open(os.environ[{LOG_ENV!r}] + ".tests", "a") as log:
        log.write(json.dumps(line) + "\\n")
"""


def kind(line: dict) -> str:
    argv = " ".join(line["argv"])
    if re.search(r"(magda_kbi|magda-kbi|__main__\.py) serve\b", argv):
        return "magda-kbi serve (and its workers)"
    if "pip" in argv:
        return "pip (wheel builds, installs)"
    if line["tests"]:
        return "pytest (the suite's processes, consumers' runs)"
    if re.search(r"magda_kbi|magda-kbi|services/__main__\.py", argv):
        return "other magda-kbi commands"
    return "other Python (client examples, scripts)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--slowest", type=int, default=15, help="how many tests to list, most CPU first"
    )
    args, pytest_args = parser.parse_known_args()
    with tempfile.TemporaryDirectory(prefix="magda-kbi-suite-") as folder:
        Path(folder, "sitecustomize.py").write_text(NOTE)
        Path(folder, "magda_kbi_suite_cpu.py").write_text(PLUGIN)
        log = Path(folder, "processes.jsonl")
        path = os.pathsep.join(filter(None, [folder, os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": path, LOG_ENV: str(log)}
        command = [sys.executable, "-m", "pytest", "-q", "-p", "magda_kbi_suite_cpu"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        run = subprocess.run(
            [*command, *pytest_args], cwd=PROJECT, env=env, capture_output=True, text=True
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        lines = [json.loads(n) for n in log.read_text().splitlines()] if log.exists() else []
        tests_log = Path(f"{log}.tests")
        tests = (
            [json.loads(n) for n in tests_log.read_text().splitlines()]
            if tests_log.exists()
            else []
        )
    total = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    by_kind: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    python = 0.0
    for line in lines:
        spent = line["cpu"]
        if kind(line).startswith("magda-kbi serve"):
            spent += line["children"]  # its workers (forked, they note nothing themselves)
        by_kind[kind(line)][0] += 1
        by_kind[kind(line)][1] += spent
        python += spent
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else "(no output)"
    print(f"pytest: {summary}")
    print(f"wall {wall:.1f} s; CPU {total:.1f} s on {cores} cores (at least {total / cores:.1f} s)")
    print(f"{'processes':>9} {'CPU s':>7} {'share':>6}  kind")
    rows = sorted(by_kind.items(), key=lambda item: -item[1][1])
    rest = max(0, total - python)
    rows.append(
        ("not noted: PostgreSQL, Chromium, git; Python killed or without our env", [None, rest])
    )
    for name, (count, spent) in rows:
        shown = "" if count is None else count
        print(f"{shown:>9} {spent:7.1f} {100 * spent / total if total else 0:5.1f}%  {name}")
    in_tests = sum(t["cpu"] for t in tests)
    print(f"{len(tests)} tests, {in_tests:.1f} CPU s in the processes that ran them; by CPU:")
    for t in sorted(tests, key=lambda t: -t["cpu"])[: args.slowest]:
        print(f"  {t['cpu']:6.2f} s  {t['test']}")
    if run.returncode != 0:
        print(run.stdout[-3000:], run.stderr[-2000:], sep="\n")
        sys.exit(run.returncode)


if __name__ == "__main__":
    main()
