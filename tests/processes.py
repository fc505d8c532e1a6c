"""Processes and ports on this machine, for the tests and the benchmarks (Linux: /proc)."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_files(pid: int | str = "self") -> list[str]:
    """What a process (this one by default) has open: the paths its descriptors point to."""
    fds = f"/proc/{pid}/fd"
    found = []
    for fd in os.listdir(fds):
        with contextlib.suppress(OSError):  # closed meanwhile
            found.append(os.readlink(f"{fds}/{fd}"))
    return found


def _state(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def children(pid: int) -> list[int]:
    """The running child processes of ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        state = _state(int(stat.parent.name))
        if state is not None and state[1] == pid and state[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def alive(pids: list[int]) -> list[int]:
    """Those of ``pids`` that still run (a zombie serves nothing)."""
    return [p for p in pids if (t := _state(p)) is not None and t[0] != "Z"]


def within(seconds: float, condition: Callable[[], object]) -> bool:
    """Whether ``condition`` holds within ``seconds`` (asked every 0.1 s)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def a_pytest_run_of_its_own(**extra: str) -> dict[str, str]:
    """The environment for a pytest run a test starts, as a user's own run: without this
    run's PYTEST_* variables. Under xdist the inner run took PYTEST_XDIST_WORKER for its own
    and thought itself a worker (pytest-benchmark, where installed, then warned, and
    ``-W error`` made that an error)."""
    own = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return {**own, **extra}


def abort_with_stacks(pid: int) -> None:
    """SIGABRT to ``pid`` and then to each of its children, one after the other (they may
    write to one file): started with ``PYTHONFAULTHANDLER=1``, each writes the stacks of
    its threads to its standard error. For a server that hangs: where it waits."""
    import signal

    for process in [pid, *children(pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process, signal.SIGABRT)
        within(3, lambda process=process: not alive([process]))


def a_uid_no_one_has() -> int:
    """A user id with no entry in the user database, as a container's own uid."""
    import pwd

    uid = 20000
    while True:
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
        uid += 1


def as_another_user(uid: int, job: Callable[[], object], env: dict | None = None) -> str:
    """Runs ``job`` in a forked child under ``uid`` (needs root: its permissions are the
    kernel's, as that user's); its traceback, or "" when it went well. The child imports
    nothing new (the Python under /root is not that user's to read): what ``job`` needs is
    imported before."""
    import traceback
    import warnings

    read, write = os.pipe()
    with warnings.catch_warnings():  # fork beside xdist's threads: the child only runs job
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        said = ""
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            os.environ.clear()
            os.environ.update(env or {})
            job()
        except BaseException:  # noqa: BLE001 - whatever it was, told to the parent
            said = traceback.format_exc() or "failed"
        os.write(write, said.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as told:
        said = told.read().decode()
    os.waitpid(pid, 0)
    return said


def in_a_mount_of_its_own(mount: str, folder: Path) -> list[str]:
    """The start of a command that runs in a mount namespace of its own, after ``mount``
    (a shell command; ``$1`` is ``folder``) made its mount there; a skip where unshare is
    missing. The rest of the command follows: ``[*in_a_mount_of_its_own(...), program,
    ...]``; it runs in the same process (exec). Outside, the mount is not seen, but its
    files are, as ``/proc/PID/root/FOLDER/...``. A mount that fails ends the command with
    "mount: ..." or "unshare: ..." on standard error: :func:`no_mount_here` says so."""
    import shutil

    import pytest

    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("needs unshare (util-linux) for a mount of its own")
    flags = ["--mount"] if os.geteuid() == 0 else ["--mount", "--map-root-user"]
    return [unshare, *flags, "sh", "-c", f'{mount} && shift && exec "$@"', "sh", str(folder)]


def no_mount_here(stderr: str) -> None:
    """A skip when a command of :func:`in_a_mount_of_its_own` could not make its mount."""
    import pytest

    for line in stderr.splitlines():
        if line.startswith(("mount:", "unshare:")):
            pytest.skip(f"no mount of its own here: {line.strip()}")


def fill(path: Path) -> None:
    """``path`` written until its file system has no room left."""
    import errno

    import pytest

    filler = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        with pytest.raises(OSError) as no_room:
            while True:
                os.write(filler, bytes(1 << 16))
        assert no_room.value.errno == errno.ENOSPC
    finally:
        os.close(filler)
