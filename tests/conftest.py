"""Starts the real emulator (``magda-kbi serve``, granian) for the tests to call over HTTP."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import venv
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests

from magda_kbi.io.personas import builtin_folder, load_personas

from .processes import abort_with_stacks, free_port, in_a_mount_of_its_own, no_mount_here

# The cache of checked persona files goes to a folder of this run, not the user's
# (servers started by the tests inherit it, and so do pytest-xdist's workers), removed when
# the run ends: every run left one behind in the temporary folder (4.8 MB; 885 of them here
# by the end of a day), and each worker an empty one besides.
if not os.environ.get("MAGDA_KBI_CACHE_DIR"):
    os.environ["MAGDA_KBI_CACHE_DIR"] = tempfile.mkdtemp(prefix="magda-kbi-cache-")
    atexit.register(shutil.rmtree, os.environ["MAGDA_KBI_CACHE_DIR"], ignore_errors=True)

# Every server the suite calls is on this machine: never through a proxy the environment
# names (a corporate one cannot reach it; every call failed with a ProxyError). The tests
# of how the client and the plugin choose a proxy set their own NO_PROXY.
for _name in ("NO_PROXY", "no_proxy"):
    os.environ[_name] = ",".join(
        filter(None, [os.environ.get(_name), "localhost", "127.0.0.1", "127.0.0.0/8", "::1"])
    )

# The suite starts about a hundred Python processes (its xdist workers, servers, CLI runs,
# consumers' pytest runs). Where PYTHONDONTWRITEBYTECODE is set (this machine sets it),
# each of them compiled the package and its test modules again: about 45 of the suite's
# 260 CPU seconds. The bytecode goes where Python puts it by default (__pycache__ folders,
# which git ignores).
if sys.dont_write_bytecode:
    sys.dont_write_bytecode = False
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: half as many workers again as cores. About a fifth of the suite's time
    is spent waiting (servers starting, signals, latency faults), and a worker more than
    cores fills it: on this 2-core machine -n 2 took 105 s and 106 s, -n 3 97 s, 96 s and
    102 s, -n 4 105 s (the whole suite, one after the other)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) + max(1, (cores or 1) // 2)


# A "today" after every fact of every persona: the whole catalogue is known.
LATE = date(2030, 1, 1)


class Server:
    def __init__(
        self,
        *args: str,
        command: tuple[str, ...] | None = None,
        cwd=None,
        env=None,
        tls: dict | None = None,
        port: int | None = None,
        address: str = "127.0.0.1",
    ) -> None:
        # tls: serve speaks HTTPS (its --tls-* options are in args); what requests needs to
        # reach it (verify, cert)
        self.tls = tls or {}
        self._port = port  # this port, not a free one
        self._address = address  # where the tests reach it (as in a URL: [::1])
        # A port found free can be taken before serve binds it (an outgoing connection's
        # source port, another test's server): serve then refuses it, and a new one is tried.
        for _ in range(3):
            if self._start(args, command, cwd, env):
                return
        raise RuntimeError(f"emulator stopped: {''.join(self._output)}")

    def _start(self, args, command, cwd, env) -> bool:
        self.port = self._port or free_port()
        self.url = f"{'https' if self.tls else 'http'}://{self._address}:{self.port}"
        command = command or (sys.executable, "-m", "magda_kbi")
        self.process = subprocess.Popen(
            [*command, "serve", "--port", str(self.port), "--workers", "1", *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            # PYTHONFAULTHANDLER: a hang's stacks (stop())
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1", **(env or {})},
        )
        # Read the output as it comes: a server that logs much (a traceback per call) would
        # otherwise block on a full pipe and look like a hang instead of an error.
        self._output: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._reader.join(timeout=5)
                self.process.stdout.close()
                if "cannot listen on" in "".join(self._output):
                    return False
                raise RuntimeError(f"emulator stopped: {''.join(self._output)}")
            try:  # this server's health: another emulator may answer on a port taken meanwhile
                healthy = requests.get(f"{self.url}/health", timeout=1, **self.tls)
                if healthy.status_code == 200 and healthy.json().get("pid") == self.process.pid:
                    return True
            except (requests.RequestException, ValueError):  # not up yet, or not an emulator
                pass
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("emulator did not start within 30 s")

    def _read(self) -> None:
        for line in self.process.stdout:
            self._output.append(line)

    def output(self) -> str:
        """What the server has written so far (standard output and error)."""
        return "".join(self._output)

    def stop(self) -> str:
        """Stops the server; its whole output. One that does not stop within 15 s fails the
        test, with the stacks of serve and its workers (before, it was killed unseen)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
            hung = False
        except subprocess.TimeoutExpired:
            hung = True
            abort_with_stacks(self.process.pid)
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)
        self.process.stdout.close()  # else an unclosed pipe per server (ResourceWarning)
        if hung:
            raise AssertionError(f"serve did not stop within 15 s:\n{''.join(self._output)}")
        return "".join(self._output)


def serve_on_a_tmpfs(
    folder: Path, *args: str, size: str = "8m", env=None, full: bool = False
) -> Server:
    """serve in a mount namespace of its own, where ``folder`` is a tmpfs of ``size`` (a
    disk that :func:`tests.processes.fill` fills, through ``/proc/PID/root``, as seen by
    serve: ``Path(f"/proc/{server.process.pid}/root{folder}")``), or that is ``full`` when
    serve starts; a skip where no such mount can be made."""
    mount = f'mount -t tmpfs -o size={size} tmpfs "$1"'
    if full:  # cat ends at "No space left on device"
        mount += ' && { cat /dev/zero > "$1/filler" 2>/dev/null; true; }'
    tmpfs = in_a_mount_of_its_own(mount, folder)
    try:
        return Server(*args, command=(*tmpfs, sys.executable, "-m", "magda_kbi"), env=env)
    except RuntimeError as stopped:
        no_mount_here(str(stopped).removeprefix("emulator stopped: "))
        raise


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """The emulator with today fixed after all persona facts."""
    s = Server("--today", LATE.isoformat())
    yield s
    s.stop()


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster for the session (skips, saying how to install it)."""
    from .postgres import Cluster

    cluster = Cluster()
    yield cluster
    cluster.stop()


@pytest.fixture
def runtime_store() -> dict:
    """Settings for an emulator a test builds itself: none, state in memory; test_store.py
    runs the same tests with a SQLite store."""
    return {}


@pytest.fixture(scope="session")
def builtin_personas():
    return load_personas([builtin_folder()])


PROJECT = Path(__file__).resolve().parents[1]


def build_wheel(source: Path, target: Path, pattern: str) -> Path:
    """The wheel of the project at ``source``, built as pip builds it, into ``target``: from a
    copy of what a fresh clone holds. Built in the checkout itself, it took along whatever
    an earlier build had left in the checkout's ``build/`` (setuptools never clears it):
    seen: 54 files of a layout removed long before."""
    copy_ = clean_copy(source, target / "source")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(target), str(copy_)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if build.returncode != 0:  # say why: a bare CalledProcessError hid pip's own words
        why = f"{build.stdout}{build.stderr}"
        pytest.fail(f"pip wheel {source} failed ({build.returncode}):\n{why}")
    (wheel_,) = target.glob(pattern)
    return wheel_


def source_files(source: Path) -> list[str]:
    """The files of ``source`` that git would commit (tracked or new, not ignored), relative
    to it; outside a git checkout, all but build output and caches."""
    try:
        names = subprocess.run(
            ["git", "-C", str(source), "ls-files", "-z", "-co", "--exclude-standard"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split("\0")
    except (OSError, subprocess.CalledProcessError):
        names = [
            str(p.relative_to(source))
            for p in source.rglob("*")
            if not any(
                d in ("build", "dist", "__pycache__") or d.startswith(".") or d.endswith("-info")
                for d in p.relative_to(source).parts
            )
        ]
    return [n for n in names if n and (source / n).is_file()]  # a file deleted since is not


def clean_copy(source: Path, target: Path) -> Path:
    """A copy of what a fresh clone of ``source`` would hold."""
    for name in source_files(source):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, target / name)
    return target


@pytest.fixture(scope="session")
def server_wheel(tmp_path_factory) -> Path:
    """The wheel of this checkout, built as pip builds it (an isolated build environment
    with setuptools from the package index)."""
    return build_wheel(PROJECT, tmp_path_factory.mktemp("dist"), "magda_kbi_emulator-*.whl")


@pytest.fixture(scope="session")
def installed(tmp_path_factory, server_wheel):
    """The wheel of this checkout installed into a fresh virtualenv: the venv borrows the
    installed dependencies, and the package itself comes only from the wheel."""
    work = tmp_path_factory.mktemp("installatie")
    wheel = server_wheel
    venv.EnvBuilder(with_pip=False).create(work / "venv")
    python = work / "venv/bin/python"
    # The dependencies are those of the running interpreter: its site-packages go on the
    # new venv's path (a plain path line does not run that folder's .pth files, so the
    # editable install of this checkout stays invisible there).
    own = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    outside = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(own) / "_afhankelijkheden.pth").write_text("\n".join(sorted(outside)) + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            "--force-reinstall",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = work / "elders"
    elsewhere.mkdir()
    return python, elsewhere
