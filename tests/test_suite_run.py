"""The suite's own settings (pyproject.toml): a test that crashes its worker or hangs ends
the run, naming the test, where xdist 3.8 under ``--dist loadgroup`` waited for ever."""

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]

TESTS = """\
import os
import signal
import time


def test_passes():
    pass


def test_crashes():
    os.kill(os.getpid(), signal.SIGSEGV)


def test_hangs():
    time.sleep(300)
"""


def test_a_crashed_worker_and_a_hung_test_end_the_run_and_are_named(tmp_path):
    (tmp_path / "test_native.py").write_text(TESTS)
    # the suite's own bound on a test's time, shortened here to 2 s; without the plugins
    # these tests do not use (half the run's CPU time)
    options = ["-p", "no:cacheprovider", "-n", "2", "-o", "faulthandler_timeout=2"]
    for plugin in ("schemathesis", "hypothesispytest", "anyio", "magda_kbi"):
        options += ["-p", f"no:{plugin}"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(PROJECT / "pyproject.toml"), *options]
        + ["--rootdir", str(tmp_path), "test_native.py"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert "crashed while running 'test_native.py::test_crashes'" in output
    assert "crashed while running 'test_native.py::test_hangs'" in output
    assert "Fatal Python error: Segmentation fault" in output  # the crash's stacks
    assert "Timeout (0:00:02)!" in output  # the hung test's stacks
    assert "2 failed, 1 passed" in output


def test_a_run_leaves_no_cache_folder_behind(tmp_path):
    """The suite's cache folder (tests/conftest.py) was made by every process of a run and
    removed by none: a run on 3 workers left 4 in the temporary folder."""
    from .processes import a_pytest_run_of_its_own

    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = a_pytest_run_of_its_own(TMPDIR=str(temporary))
    del env["MAGDA_KBI_CACHE_DIR"]
    test = "tests/test_insz.py::test_born_from_2000_uses_the_2_prefix"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "-q", test],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT,
        env=env,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
    assert sorted(p.name for p in temporary.glob("magda-kbi-cache-*")) == []


def test_every_collected_test_has_an_id_of_its_own(request):
    """xdist schedules tests by id and runs one test of an id: under pytest 9.2 the 26
    schemathesis tests of test_openapi.py (one per API operation) shared two ids, and 24 of
    them never ran, with the run green."""
    from collections import Counter

    # what this run collected: the whole suite on every xdist worker
    counted = Counter(item.nodeid for item in request.session.items)
    assert sorted(i for i, n in counted.items() if n > 1) == []
