"""A throwaway PostgreSQL cluster for the store tests: Debian's ``postgresql`` binaries,
initdb and pg_ctl as a non-root user (PostgreSQL refuses root), on loopback, no fsync."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from .processes import free_port

INSTALL = "apt-get install postgresql (Debian); .ci/run does this itself"


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


PREFIX = "magda-kbi-pg-"


def stop_orphans() -> list[Path]:
    """Stops and removes the clusters whose test process is gone: one killed (a hung test's
    faulthandler exit, a Ctrl-C, a CI job cancelled) never ran its teardown, and its server
    ran on. A folder without its owner yet is one being made: left alone."""
    stopped = []
    for folder in Path(tempfile.gettempdir()).glob(PREFIX + "*"):
        try:
            owner = int((folder / "owner").read_text())
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue
        _stop(folder)
        stopped.append(folder)
    return stopped


def _as_postgres() -> list[str]:
    """PostgreSQL will not run as root: as its own user."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _stop(folder: Path) -> None:
    """Stops the cluster in ``folder`` as a crash would and removes it."""
    command = [*_as_postgres(), _bin("pg_ctl") or "pg_ctl", "-D", str(folder / "data")]
    subprocess.run([*command, "-m", "immediate", "stop"], capture_output=True, timeout=60)
    shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class Cluster:
    def __init__(self) -> None:
        initdb, self.pg_ctl = _bin("initdb"), _bin("pg_ctl")
        if initdb is None or self.pg_ctl is None:
            pytest.skip(f"PostgreSQL is not installed: {INSTALL}")
        try:
            import psycopg  # noqa: F401
        except ImportError:
            pytest.skip("psycopg is not installed: pip install -e '.[test]'")
        stop_orphans()
        self.folder = Path(tempfile.mkdtemp(prefix=PREFIX))
        (self.folder / "owner").write_text(str(os.getpid()))
        self.as_user = _as_postgres()
        if self.as_user:
            shutil.chown(self.folder, "postgres")
        self.port = free_port()
        data = self.folder / "data"
        self._run(initdb, "-D", str(data), "-U", "magda", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.resume()
        self.url = f"postgresql://magda@127.0.0.1:{self.port}/postgres"

    def resume(self) -> None:
        """Starts the server (again, after :meth:`pause`), on the same port and data."""
        options = (
            f"-k {self.folder} -h 127.0.0.1 -p {self.port} -c fsync=off -c max_connections=200"
        )
        data = str(self.folder / "data")
        self._run(
            self.pg_ctl, "-D", data, "-o", options, "-l", str(self.folder / "log"), "-w", "start"
        )

    def pause(self) -> None:
        """Stops the server as a crash would (its data stays): the store is lost."""
        self._run(self.pg_ctl, "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")

    def _run(self, *command: str) -> None:
        subprocess.run([*self.as_user, *command], check=True, capture_output=True, timeout=120)

    def database(self) -> str:
        """A fresh, empty database: its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql://magda@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        _stop(self.folder)
