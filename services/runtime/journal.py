"""The journal: every SOAP and REST call, kept in memory within a fixed bound (``serve``
keeps it in its store instead: :class:`magda_kbi.runtime.store.SharedJournal`).

Tests use it to verify what their application actually sent (Afzender, Hoedanigheid,
INSZ, Referte) and what it got back. The oldest entries fall off when it is full, so a
long run cannot grow without limit.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

log = logging.getLogger(__name__)

NOTHING: Mapping[str, Any] = MappingProxyType({})


class Call(NamedTuple):
    """What a journal entry says of the call itself: who asks what about whom, and the
    result. Noted once, whole, by the layer that decides the answer (a service, a REST view,
    an injected fault, the admin guard); the HTTP layer adds what only it knows (time,
    status, latency, bodies) and writes the entry. Immutable: nothing fills it in later.
    (A NamedTuple: built on every call, at a third of a frozen dataclass's cost.)"""

    operation: str | None = None
    afzender: str | None = None
    hoedanigheid: str | None = None
    insz: str | None = None
    referte: str | None = None
    result: str | None = None
    extra: Mapping[str, Any] = NOTHING  # never changed: the entry gets its own copy
    status: int | None = None  # only when no HTTP status reached the client (0: dropped)

    def answered(self, result: str, extra: Mapping[str, Any] = NOTHING) -> Call:
        """This call with its result, and what decided it added to what the request said."""
        return self._replace(result=result, extra={**self.extra, **extra})


# What the journal keeps of each body: a MAGDA message is a few KB; a pasted file is not.
BODY_MAX = 32 * 1024


# Not frozen: built on every call, and a frozen dataclass's __init__ cost 3.4 us against 1.2
# with slots. Nothing changes an entry once written but the journal, which numbers it.
# app._write_entry builds it by position (a third of the cost by keyword): a new field goes
# last, or there too.
@dataclass(slots=True)
class JournalEntry:
    time: datetime
    endpoint: str
    operation: str | None
    afzender: str | None
    hoedanigheid: str | None
    insz: str | None
    referte: str | None
    result: str | None
    status: int
    latency_ms: float
    extra: dict = field(default_factory=dict)
    kind: str = "call"
    request: bytes = b""  # at most BODY_MAX bytes of each body (console: open a call)
    reply: bytes = b""
    number: int = 0  # given by the journal: 1, 2, 3... in the order of writing

    def as_json(self) -> dict:
        return {
            "id": self.number,
            "time": self.time.isoformat(timespec="milliseconds"),
            "kind": self.kind,
            "endpoint": self.endpoint,
            "operation": self.operation,
            "afzender": self.afzender,
            "hoedanigheid": self.hoedanigheid,
            "insz": self.insz,
            "referte": self.referte,
            "result": self.result,
            "status": self.status,
            "latency_ms": round(self.latency_ms, 3),
            **self.extra,
        }


def came_in(entry: JournalEntry) -> datetime:
    """The order in which the journal is read: when each call came in."""
    return entry.time


class AuditLog:
    """The audit log: every entry as a JSON line (no bodies), appended one by one; the file
    is opened in the process that writes (after a server's fork), and again when it was
    rotated or removed.

    A write that fails (a full disk, a folder gone) does not fail the call: the lines wait
    (the newest 100,000) and are written first once the file can be written again;
    meanwhile ``problem`` says why (``/health``: degraded). Each line goes in one
    ``write`` of its own (O_APPEND: the workers' lines do not mix); one the disk cut off
    half way is finished from where it stopped, so no line is written twice nor left
    broken (another worker's line may then come between its two parts)."""

    WAITING = 100_000

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problem: str | None = None
        self._fd: int | None = None
        self._waiting: deque[bytes] = deque()
        self._rest = b""  # what the disk did not take of a line begun in the file
        self._lost = 0
        self._slot = threading.Lock()

    def write(self, entry: JournalEntry) -> None:
        with self._slot:
            if len(self._waiting) == self.WAITING:
                self._waiting.popleft()
                self._lost += 1
            self._waiting.append((json.dumps(entry.as_json(), ensure_ascii=False) + "\n").encode())
            try:
                if self._fd is not None and self._moved(self._fd):
                    os.close(self._fd)
                    self._fd = None
                if self._fd is None:
                    self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
                self._write_all(self._fd, self._rest)
                while self._waiting:
                    self._write_all(self._fd, self._waiting.popleft())
            except OSError as error:
                if self._fd is not None:  # opened again at the next entry
                    with contextlib.suppress(OSError):
                        os.close(self._fd)
                    self._fd = None
                reason = f"audit log {self.path}: cannot write: {error.strerror or error}"
                if reason != self.problem:
                    log.error("%s (the entries wait in memory)", reason)
                self.problem = reason
                return
            if self._lost:
                log.error(
                    "audit log %s: %d entries lost while it could not be written",
                    self.path,
                    self._lost,
                )
                self._lost = 0
            self.problem = None

    def close(self) -> None:
        """The file closed; a later entry opens it again (its lines are not lost)."""
        with self._slot:
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._fd)
                self._fd = None

    def _moved(self, fd: int) -> bool:
        """The open file is no longer the one at the path: rotated (logrotate renames it, and
        may compress and remove it) or removed. The next lines go to a new file there, as
        with the standard library's WatchedFileHandler, not after the rotated ones."""
        try:
            on_path = os.stat(self.path)
        except FileNotFoundError:
            return True
        open_ = os.fstat(fd)
        return (on_path.st_dev, on_path.st_ino) != (open_.st_dev, open_.st_ino)

    def _write_all(self, fd: int, data: bytes) -> None:
        """Writes ``data`` whole, or raises with what the disk did not take of it in
        ``_rest``: written first, the next time."""
        self._rest = data
        while self._rest:
            self._rest = self._rest[os.write(fd, self._rest) :]


class Journal:
    """``audit`` names a file that gets every entry too, as a JSON line (append-only,
    flushed per entry), so the decisions outlive the process."""

    def __init__(self, capacity: int = 1000, audit: Path | None = None) -> None:
        if capacity < 1:
            raise ValueError("the journal size must be at least 1")
        self.capacity = capacity
        self.audit = audit
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)
        self._slot = threading.Lock()
        self.audit_log = AuditLog(audit) if audit is not None else None
        self._last = 0

    def write(self, entry: JournalEntry) -> None:
        with self._slot:
            self._last += 1
            # numbered under the lock, so ids follow the journal's order; the entry is
            # otherwise immutable once written
            entry.number = self._last
            self._entries.append(entry)
            if self.audit_log is not None:  # under the lock: the file keeps the journal's order
                self.audit_log.write(entry)

    def close(self) -> None:
        if self.audit_log is not None:
            self.audit_log.close()

    def read(
        self,
        *,
        insz: str | None = None,
        afzender: str | None = None,
        operation: str | None = None,
        since: datetime | None = None,
        kind: str | None = "call",
        after: int = 0,
    ) -> list[JournalEntry]:
        """The entries that match; ``kind`` ``call`` (default), ``admin`` or None (all);
        ``after``: only those with a higher id (a live view asks for what is new)."""
        with self._slot:
            lines = list(self._entries)
        found = [
            r
            for r in lines
            if r.number > after
            and (insz is None or r.insz == insz)
            and (afzender is None or r.afzender == afzender)
            and (operation is None or r.operation == operation)
            and (since is None or r.time >= since)
            and (kind is None or r.kind == kind)
        ]
        # in the order the calls came in: each is written when it is answered, and a call
        # answered on another thread may have come in before it
        return sorted(found, key=came_in)

    def entry(self, number: int) -> JournalEntry | None:
        """The entry with that id, while the journal still holds it."""
        with self._slot:
            return next((r for r in self._entries if r.number == number), None)

    def clear(self) -> None:
        with self._slot:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
