"""Runtime state in a store that every worker shares: the clock, the faults, the admin
API's persona changes and the journal, in SQLite (standard library, WAL mode).

Why: with state in one process's memory, ``serve --admin`` had to run one worker, and the
journal of ``serve`` was split over its workers. With the store, every worker of one
``serve`` (and several ``serve`` processes on one machine, ``--store sqlite:///FILE``)
answers from the same state. ``magda_kbi.runtime.store_postgresql`` does the same in PostgreSQL,
for replicas on several machines.

The hot path makes one store round trip: each request reads the change number (one row;
4 microseconds measured) and a worker reloads clock, faults and persona changes only when
it moved. So a change made through any worker's admin API is in force for every request
that starts after the admin call returned. A fault's ``count`` is used up inside a write
transaction: ``count: N`` fires exactly N times over all workers.

The journal stays in each worker's memory until someone reads it: the reader raises a sync
number, every live worker's thread (looking every 10 ms) writes its entries to the store
and acknowledges, and the reader waits for that (bounded), so a call that returned is in
the journal it reads. A worker that stops heart-beating for 2 s no longer counts.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import mmap
import os
import re
import socket
import sqlite3
import threading
import time
import urllib.parse
import uuid
from collections import deque
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from magda_kbi import __version__
from magda_kbi.domain.clock import Clock
from magda_kbi.domain.dossier import Persona
from magda_kbi.io.json_output import persona_json
from magda_kbi.io.personas import data_search_text, persona_from_data
from magda_kbi.runtime.diensten import Runtime
from magda_kbi.runtime.faults import Fault, FaultKind, fault_from_json, pick_fault
from magda_kbi.runtime.journal import BODY_MAX, AuditLog, JournalEntry, came_in
from magda_kbi.wire.dossier_kbi import contract_error

FLUSH_INTERVAL = 0.01  # seconds between a worker's looks at the sync number while in use
# ... and once it has seen no call and no journal read for IDLE_AFTER seconds: an idle serve
# woke each worker 100 times a second, 0.85% of a core each (benchmarks/idle.py); a read then
# waits up to IDLE_INTERVAL for such a worker
IDLE_INTERVAL = 0.05
IDLE_AFTER = 1.0
# how long a journal's close() waits for its writer thread (at most one flush under way)
WRITER_STOP_WAIT = 5.0
# how long a store's close() waits for the statements and transactions under way on other
# threads' connections (all of them together); one still in use then closes as it ends
CLOSE_WAIT = 5.0
HEARTBEAT_INTERVAL = 0.5
DEAD_AFTER = 2.0  # a worker silent this long no longer holds up a journal read
SYNC_TIMEOUT = 3.0

# The store's tables carry a version, so that a store kept across an upgrade is brought up
# to date and one written by a newer emulator is refused rather than misread.
#   1: the first stores (no version recorded): replica rows may lack change_ack (added for
#      PostgreSQL), the journal may keep each entry as one JSON text (the very first SQLite
#      stores), fault rows may have Dutch field names (soort, aantal, ...)
#   2: the version recorded; the journal in columns; every fault row in English
#   3: the catalogue keeps each persona's search text (domain/search.py) beside its JSON;
#      the admin API's persona changes keep the order they were first made in (added)
SCHEMA_VERSION = 3
VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS store_version (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "n INTEGER NOT NULL)"
)
# What the console's search looks in, folded as the search is (domain/search.py): the store
# finds a search in it (Store.holds; no case or accent left to the dialects).
# Files are imported again when that code changes, generated personas are not: a change to
# what a search text holds needs a version that makes them anew, as _to_version_3 does.
SEARCH_COLUMN = "search TEXT NOT NULL DEFAULT ''"
# The persona catalogue (runtime/catalogue.py): the files' personas as JSON, and per file
# what it was when imported; both dialects read these statements as they are.
CATALOGUE_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS catalogue_file (path TEXT PRIMARY KEY, "
    "position BIGINT NOT NULL, mtime_ns BIGINT NOT NULL, size BIGINT NOT NULL, "
    "sha256 TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS catalogue (insz TEXT PRIMARY KEY, path TEXT NOT NULL, "
    f"n INTEGER NOT NULL, data TEXT NOT NULL, {SEARCH_COLUMN})",
    "CREATE INDEX IF NOT EXISTS catalogue_order ON catalogue (path, n)",
    "CREATE TABLE IF NOT EXISTS catalogue_version (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "n BIGINT NOT NULL, stamp TEXT NOT NULL)",
    "INSERT INTO catalogue_version VALUES (1, 0, '') ON CONFLICT DO NOTHING",
    # the refusals of changed files that a worker said (serve --watch: said once, not by each)
    "CREATE TABLE IF NOT EXISTS catalogue_refused (what TEXT PRIMARY KEY, "
    "at DOUBLE PRECISION NOT NULL)",
]
_JOURNAL_TABLE = (
    "CREATE TABLE IF NOT EXISTS journal ("
    "id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT, insz TEXT, afzender TEXT, "
    "operation TEXT, time TEXT, endpoint TEXT, hoedanigheid TEXT, referte TEXT, result TEXT, "
    "status INTEGER, latency_ms REAL, extra TEXT, request BLOB, reply BLOB)"
)
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS change (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
INSERT OR IGNORE INTO change VALUES (1, 0);
CREATE TABLE IF NOT EXISTS clock (
    id INTEGER PRIMARY KEY CHECK (id = 1), changed INTEGER NOT NULL, today TEXT);
INSERT OR IGNORE INTO clock VALUES (1, 0, NULL);
CREATE TABLE IF NOT EXISTS persona (insz TEXT PRIMARY KEY, data TEXT, added BIGINT);
CREATE TABLE IF NOT EXISTS fault (id INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL);
{_JOURNAL_TABLE};
CREATE TABLE IF NOT EXISTS sync (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
INSERT OR IGNORE INTO sync VALUES (1, 0);
CREATE TABLE IF NOT EXISTS replica (id TEXT PRIMARY KEY, heartbeat REAL NOT NULL,
    ack INTEGER NOT NULL, change_ack INTEGER NOT NULL DEFAULT 0);
""" + "".join(f"{statement};\n" for statement in (*CATALOGUE_SCHEMA, VERSION_TABLE))
# Both dialects (SQLite 3.35+, PostgreSQL): upserts with ON CONFLICT, ids with RETURNING.
# A persona change keeps its place (added) when it is made again: the admin list gives the
# personas added in the order they were first added, as an emulator without a store does
# (PostgreSQL, read without an order, gave a replaced one last).
PERSONA_UPSERT = (
    "INSERT INTO persona (insz, data, added) "
    "VALUES (?, ?, (SELECT COALESCE(MAX(added), 0) + 1 FROM persona)) ON CONFLICT (insz) "
    "DO UPDATE SET data = excluded.data"
)
# A worker's heartbeat: also the change number it has seen (its LISTEN thread acknowledges
# changes in between; both only grow).
REPLICA_UPSERT = (
    "INSERT INTO replica (id, heartbeat, ack, change_ack) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET heartbeat = excluded.heartbeat, ack = excluded.ack, "
    "change_ack = excluded.change_ack"
)


log = logging.getLogger(__name__)


class StoreError(ValueError):
    """A store URL that cannot be used."""


class StoreClosed(StoreError):
    """The store was closed (its emulator stops) while something still used it."""


class NoStore(StoreError):
    """``open_store(url, existing=True)``: the URL names no store of ours (no such file, or
    a database without its tables). Nothing was made there."""


# what a schema's statements make, by kind
_MADE = {
    kind: re.compile(rf"CREATE {kind} IF NOT EXISTS (\w+)", re.IGNORECASE)
    for kind in ("TABLE", "INDEX")
}


def holds_a_store(tables: set[str]) -> bool:
    """A database whose tables are a store's: versioned, or as the first ones were."""
    return bool(tables & {"store_version", "change"})


class StoreDamaged(StoreError):
    """A store file SQLite cannot read as a database: damaged, or another program's."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot open the SQLite store {path}: {reason}")
        self.path, self.reason = path, reason


def shown_url(url: str) -> str:
    """A store URL as it may be printed (banner, errors, CI logs): a password in it, as
    PostgreSQL takes one (``USER:PASSWORD@`` or ``?password=``), becomes ``***``."""
    try:
        part = urlsplit(url)
    except ValueError:  # not even a URL: nothing to find in it
        return url
    new = part
    if part.password is not None:
        user, _, host = part.netloc.rpartition("@")
        new = new._replace(netloc=f"{user.split(':', 1)[0]}:***@{host}")
    if "password=" in part.query.lower():
        fields = (field.partition("=") for field in part.query.split("&"))
        new = new._replace(
            query="&".join(
                f"{name}=***" if name.lower() == "password" else name + equals + value
                for name, equals, value in fields
            )
        )
    return url if new is part else urlunsplit(new)


def sqlite_path(url: str) -> Path:
    """``sqlite:///relative/file.db`` or ``sqlite:////absolute/file.db`` (SQLAlchemy's
    spelling: the path is what follows the third slash)."""
    if not url.startswith("sqlite:///") or len(url) == len("sqlite:///"):
        raise StoreError(
            f"{shown_url(url)!r} is no store URL: use sqlite:///FILE (one machine) or "
            "postgresql://USER@HOST:PORT/DATABASE (several)"
        )
    return Path(url[len("sqlite:///") :])


def open_store(
    url: str,
    *,
    catalogue_only: bool = False,
    existing: bool = False,
    refuse_read_only: bool = False,
) -> Store:
    """The store a URL names: ``sqlite:///FILE`` or ``postgresql://...``. ``catalogue_only``:
    a store that holds only the persona catalogue (no journal): a new SQLite file then
    takes small pages. ``existing``: to read one that is there (:class:`NoStore` if not),
    never to make one (nor its tables in another program's database). ``refuse_read_only``:
    a PostgreSQL server that takes no writes is refused (at serve's or generate's start; a
    worker started later serves from it, degraded, as its running workers do)."""
    if url.startswith(("postgresql://", "postgres://")):
        from magda_kbi.runtime.store_postgresql import PostgresStore

        return PostgresStore(url, existing=existing, refuse_read_only=refuse_read_only)
    page_size = CATALOGUE_PAGE_SIZE if catalogue_only else JOURNAL_PAGE_SIZE
    return SqliteStore(url, page_size, existing=existing)


# A new SQLite file's page size. Large pages for a store with a journal: a journal row with
# its bodies (about 5 KB) then takes one page, not three (measured: 34 -> 17 microseconds a
# row). Small ones for a catalogue alone: a persona looked up by INSZ reads a few pages of
# the index and one of the row (100,000 generated personas, 28,000 random lookups past the
# LRU, five alternated runs: median 77-100 us with 4 KB pages, 99-162 us with 64 KB).
JOURNAL_PAGE_SIZE = 65536
CATALOGUE_PAGE_SIZE = 4096


# This process's id, kept up to date in a forked child: asked on every call (the journal's
# replica, a worker forked after its store was made), where os.getpid() and the host name
# are system calls (measured: 3% of a request's time under load).
_PID = [os.getpid()]
if hasattr(os, "register_at_fork"):  # not on Windows, which starts its processes afresh
    os.register_at_fork(after_in_child=lambda: _PID.__setitem__(0, os.getpid()))


# a store's problem changed by one thread at a time, so that each change is said once
_SAYING = threading.Lock()


def one_line(error: BaseException) -> str:
    """An error's message with its lines (and tabs) folded into one (libpq's has several)."""
    return " ".join(str(error).split())


def like_escaped(text: str) -> str:
    """``text`` as a LIKE pattern with ``ESCAPE '!'`` that matches it alone."""
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


class Store:
    """What the shared clock, faults, journal and environment need of a store. SQL is
    written with ``?`` placeholders, upserts and RETURNING, which both dialects read."""

    Error: type[Exception] = sqlite3.Error
    # A write that fails with one of these (a full disk, an I/O error, a lock held past the
    # timeout) says the store cannot take writes now, until one does
    Unwritable: type[Exception] | tuple[type[Exception], ...] = sqlite3.OperationalError
    _tag: str
    _replica: tuple[int, str] = (-1, "")  # (for which process, the id)
    unwritten: str | None = None  # why this worker's last write failed, until one succeeds
    serving = False  # a worker's store (SharedRuntime): its write problems are logged

    @property
    def replica(self) -> str:
        """This worker's id in the journal and the replica table (a forked child has its own)."""
        pid, replica = self._replica
        if pid != _PID[0]:
            replica = f"{socket.gethostname()}:{_PID[0]}:{self._tag}"
            self._replica = (_PID[0], replica)
        return replica

    def holds(self, text: str) -> tuple[str, str]:
        """The condition that a catalogue row's search text holds ``text`` (a substring, no
        wildcard), with its parameter. LIKE, as it scans faster: over 300,000 rows the query
        took 73 ms where SQLite's instr took 90; the console's search page 109-143 ms where
        PostgreSQL's strpos made it 209-221."""
        return "search LIKE ? ESCAPE '!'", f"%{like_escaped(text)}%"

    def start(self) -> None:
        """In the worker process, before it serves: whatever must run beside it."""

    def tables(self, db) -> set[str]:  # pragma: no cover - each store has its own
        raise NotImplementedError

    def indexes(self, db) -> set[str]:  # pragma: no cover
        raise NotImplementedError

    def may_write(self, db, tables: set[str]) -> None:
        """Refuses (:class:`StoreError`) a role that may not change these tables of a store
        it did not make (PostgreSQL); a SQLite file has no roles."""

    def columns(self, db, table: str) -> set[str]:  # pragma: no cover
        raise NotImplementedError

    def bring_up_to_date(self, db, schema: list[str], *, existing: bool = False) -> None:
        """In the transaction that opens the store: a new store gets ``schema`` and today's
        version; an older one its migrations, one version at a time, then ``schema`` (the
        tables added since); one of this version only what it lacks of ``schema``, nothing
        when it has every table and index (its role need only change rows:
        :meth:`may_write`); a newer one is refused (:class:`StoreError`). ``existing``: a
        database without a store's tables is refused (:class:`NoStore`), not made one."""
        tables = self.tables(db)
        if existing and not holds_a_store(tables):
            raise NoStore(f"{shown_url(self.url)} holds no emulator store")
        if tables and not holds_a_store(tables):  # another program's: its tables stay its own
            raise _foreign(shown_url(self.url), tables)
        if "store_version" in tables:
            row = db.execute("SELECT n FROM store_version").fetchone()
            version = row[0] if row else 1
        else:
            version = 1 if "change" in tables else SCHEMA_VERSION  # ours, unversioned: 1
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store {shown_url(self.url)!r} has its tables in version {version}; this "
                f"emulator ({__version__}) knows versions up to {SCHEMA_VERSION}: use the newer "
                "magda-kbi that wrote it, or another store"
            )
        if existing and version == SCHEMA_VERSION:
            # only read (an export): its tables are there, and a role that may only read
            # them (PostgreSQL's SELECT) can; CREATE ... IF NOT EXISTS needed more
            return
        made = {kind: set(_MADE[kind].findall(";".join(schema))) for kind in _MADE}
        if (
            version == SCHEMA_VERSION
            and made["TABLE"] <= tables
            and made["INDEX"] <= self.indexes(db)
        ):
            # nothing to make: a role that may change the rows but not make tables (serve
            # beside a store another role made) opens it. A table or index added to the
            # schema is still made in the stores of this version that lack it.
            self.may_write(db, made["TABLE"])
            return
        for step in range(version, SCHEMA_VERSION):
            MIGRATIONS[step](self, db)
        for statement in schema:
            db.execute(statement)
        db.execute(
            "INSERT INTO store_version (id, n) VALUES (1, ?) "
            "ON CONFLICT (id) DO UPDATE SET n = excluded.n",
            (SCHEMA_VERSION,),
        )

    def problem(self) -> str | None:
        """Why the store cannot be reached or written now (``/health`` says ``degraded``),
        or None."""
        return self.unwritten

    def write_failed(self, error: BaseException | None) -> None:
        """A write transaction failed: with an error that says the store takes no writes,
        that is its problem until a write succeeds, said once in the log. On a full disk
        the calls were answered, their journal entries waited and admin changes answered
        503, while the log said nothing and ``/health`` said ok."""
        if not isinstance(error, self.Unwritable):
            return
        reason = f"the store cannot be written: {one_line(error)}"
        with _SAYING:  # two threads failing at once (the writer's, a request's): said once
            said, self.unwritten = self.unwritten, reason
        if reason != said and self.serving:  # a command says its own refusal
            log.warning(
                "the store %s cannot be written (worker %d): %s; the calls are answered, "
                "their journal entries wait in memory, admin changes are refused",
                shown_url(self.url),
                _PID[0],
                one_line(error),
            )

    def written(self) -> None:
        """A write that needed room (not a heartbeat, which rewrites one row) succeeded."""
        if self.unwritten is None:
            return
        with _SAYING:
            said, self.unwritten = self.unwritten, None
        if said is not None and self.serving:
            log.warning(
                "the store %s can be written again (worker %d)", shown_url(self.url), _PID[0]
            )

    def read(self):
        """``with store.read() as db:`` one consistent read."""
        return _Transaction(self.db(), "BEGIN")

    def db(self):  # pragma: no cover - each store has its own
        raise NotImplementedError

    def write(self, *, heartbeat: bool = False):  # pragma: no cover
        raise NotImplementedError

    def change_number(self) -> int:  # pragma: no cover
        raise NotImplementedError

    def sync_number(self) -> int:  # pragma: no cover
        raise NotImplementedError

    def ask_sync(self) -> int:  # pragma: no cover
        raise NotImplementedError

    def bump(self, db) -> None:  # pragma: no cover
        raise NotImplementedError

    # Every connection made, with its process and thread. A thread's connection is its own:
    # it was left to the garbage collector when the thread ended (a connection per request
    # under a server that starts a thread per request), and close() closed the calling
    # thread's only. One made before a fork is the parent's: a child never closes it
    # (PostgreSQL's would end for the parent too; SQLite's last close tidies the WAL).
    _made: list[tuple[int, threading.Thread, Any]]
    _made_slot: threading.Lock
    closed = False

    def _remember(self, db) -> None:
        """A new connection of this thread's; the connections of threads that ended are
        closed (the ones made from now on are checked only against the live threads)."""
        with self._made_slot:
            ours = [m for m in self._made if m[0] == _PID[0]]  # a forked child forgets
            ended = [m for m in ours if not m[1].is_alive()]
            self._made = [m for m in ours if m[1].is_alive()]
            self._made.append((_PID[0], threading.current_thread(), db))
        for _, _, old in ended:
            old.close()  # a Connection: quiet whatever state it is in

    def _forget(self, db) -> None:
        with self._made_slot:
            self._made = [m for m in self._made if m[2] is not db]

    def _closed_error(self) -> StoreError:
        return StoreClosed(f"the store {shown_url(self.url)} is closed")

    def close(self) -> None:
        """Closes every connection it made, in any thread (the store is not used afterwards:
        a use raises :class:`StoreError`). Another thread's statement or transaction under
        way ends first (CLOSE_WAIT at most, for all of them)."""
        self.closed = True
        with self._made_slot:
            made, self._made = self._made, []
        deadline = time.monotonic() + CLOSE_WAIT
        me = threading.current_thread()
        for pid, thread, db in made:
            if pid != _PID[0]:
                continue
            wait = None if thread is me else max(0.0, deadline - time.monotonic())
            if not db.close(wait):
                log.warning(
                    "the store %s: thread %s was still using its connection after %g s:"
                    " it is closed as that use ends",
                    shown_url(self.url),
                    thread.name,
                    CLOSE_WAIT,
                )


def close_quietly(db, errors) -> None:
    """A connection closed whatever state it is in (a lost server's is broken already)."""
    with contextlib.suppress(errors):
        db.close()


class Rows(list):
    """A statement's rows, read whole while its connection was in use, and its rowcount."""

    rowcount = -1

    def fetchone(self):
        return self[0] if self else None

    def fetchall(self) -> list:
        return self

    def fetchmany(self, size: int) -> list:
        return self[:size]


class Connection:
    """A thread's connection to a store, which another thread may close (Store.close(), a
    serve worker's stop). Each statement, with the reading of its rows, is a use, and so is
    a transaction as a whole; a close from another thread waits for the uses under way.
    Closed under them, SQLite's connection crashed Python (SIGSEGV in a COMMIT: four
    threads writing while the store closed, tests/test_store.py), libpq's failed with
    "connection pointer is NULL", and a transaction cut so lost what it wrote."""

    def __init__(self, conn, store: Store) -> None:
        self.conn = conn
        self._store = store
        self._users = 0
        self._shut = False
        self._left = False  # the close stopped waiting: the last use closes it
        self._turn = threading.Condition(threading.Lock())

    def sql(self, sql: str) -> str:
        return sql

    def enter(self) -> None:
        with self._turn:
            # once closing, no new use; a transaction under way goes on to its end
            if self._shut and not self._users:
                raise self._store._closed_error()
            self._users += 1

    def leave(self) -> None:
        with self._turn:
            self._users -= 1
            if self._shut and not self._users:  # a close waits for it, or left it to us
                self._turn.notify_all()
                if self._left:
                    self._close()

    def execute(self, sql: str, params=()) -> Rows:
        self.enter()
        try:
            cursor = self.conn.execute(self.sql(sql), params)
            rows = Rows(cursor.fetchall() if cursor.description else ())
            rows.rowcount = cursor.rowcount
            return rows
        finally:
            self.leave()

    def executemany(self, sql: str, rows) -> None:
        self.enter()
        try:
            self.conn.executemany(self.sql(sql), rows)
        finally:
            self.leave()

    def close(self, wait: float | None = None) -> bool:
        """Closed at once (``wait`` None: by its own thread, or one that ended), or once no
        use is under way, waiting ``wait`` seconds at most: False when it was still in use
        (then the use under way closes it as it ends; a new one raises "closed")."""
        with self._turn:
            self._shut = True
            if wait is not None and not self._turn.wait_for(lambda: not self._users, wait):
                self._left = True
                return False
            self._close()
        return True

    def _close(self) -> None:
        with contextlib.suppress(self._store.Error):
            self.conn.close()


def _to_wal(db: Connection, timeout: float = 10) -> None:
    """WAL mode, waiting as the connection's other locks do: on a new file that another
    connection is writing (two serves starting at once on it) SQLite answers "database is
    locked" at once, without its busy timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_tables(db: sqlite3.Connection | Connection) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _foreign(url: str, tables: set[str]) -> StoreError:
    """A database of another program: the emulator makes no tables of its own beside its."""
    shown = ", ".join(sorted(tables)[:3]) + (", ..." if len(tables) > 3 else "")
    return StoreError(
        f"{url} holds other tables ({shown}) and no emulator store: give a new SQLite file, "
        "or a database (a PostgreSQL schema) of its own"
    )


def _look_first(path: Path, url: str, existing: bool) -> None:
    """A store file looked at read-only, before a store's own connection opens it: that one
    makes a missing file, and turns another program's database to WAL mode. ``existing``:
    it must be there and hold a store; else it is new, empty or a store, not another
    program's database."""
    if not path.is_file() or (not existing and path.stat().st_size == 0):
        if existing:
            raise NoStore(f"there is no store file {path}")
        return
    try:
        db = sqlite3.connect(_reading_uri(path), uri=True)
        try:
            tables = _sqlite_tables(db)
        finally:
            db.close()
    except sqlite3.DatabaseError as error:
        raise _not_writable(path, error) or StoreDamaged(path, str(error)) from None
    if existing and not holds_a_store(tables):
        raise NoStore(f"{url} holds no emulator store")
    if tables and not holds_a_store(tables):
        raise _foreign(url, tables)


def writable_here(path: Path) -> bool:
    """Whether this user may write the store file and beside it (SQLite's -wal and -shm)."""
    return os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def _wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def _reading_uri(path: Path) -> str:
    """How a store file is opened to be read. Where this user may not write (a read-only
    file system, the folder of another user's serve): a store in use, its -wal beside it,
    with mode=ro, whose reads hold while serve writes (SQLite reads the -shm it may not
    write); one that no process has open (no -wal: all of it is in the file, and SQLite
    opens a WAL store read-only only beside its -wal) as immutable, as it stands."""
    uri = path.resolve().as_uri()
    if writable_here(path) or _wal(path).exists():
        return uri + "?mode=ro"
    return uri + "?immutable=1"


def _not_writable(path: Path, error: sqlite3.DatabaseError) -> StoreError | None:
    """What SQLite's "unable to open database file" or "attempt to write a readonly
    database" meant, when the store file or its folder is read-only or another user's:
    serve and generate write it; an export could not read it as it is (an older version's
    tables, or a -wal without its -shm)."""
    if not isinstance(error, sqlite3.OperationalError):
        return None
    for place in (path.parent, path):
        if place.exists() and not os.access(place, os.W_OK):
            why = f"{place} is not writable here (a read-only file system, or another user's)"
            if not path.exists():  # serve or generate making it
                return StoreError(f"cannot make the SQLite store {path}: {why}")
            return StoreError(
                f"cannot open the SQLite store {path}: {error}: {why}; serve and generate "
                "write it, an export reads it only as it is (of this version, its -shm beside "
                "its -wal): copy the file, with its -wal file if there is one, into a folder "
                "of yours"
            )
    return None


class SqliteStore(Store):
    """One store file; a connection per thread (sqlite3 connections are not shared)."""

    # what a store that cannot be used raises: SQLite's errors, and "closed" (a request
    # still under way as a worker or the plugin's server stops: a 503, not a 500)
    Error = (sqlite3.Error, StoreError)  # type: ignore[assignment]

    def __init__(
        self, url: str, page_size: int = JOURNAL_PAGE_SIZE, *, existing: bool = False
    ) -> None:
        self.page_size = page_size  # taken by a new file only
        self.path = sqlite_path(url)
        if not self.path.parent.is_dir():
            reason = f"no folder {self.path.parent} for the store {url!r}"
            decoded = Path(urllib.parse.unquote(str(self.path.parent)))
            if decoded != self.path.parent and decoded.is_dir():  # 'my%20dir' for 'my dir'
                reason += f" (the path is read as written, not %-decoded: {decoded} is there)"
            raise StoreError(reason)
        if self.path.is_dir():  # SQLite said only "unable to open database file"
            raise StoreError(
                f"{self.path} is a folder: give a file in it (sqlite:///{self.path / 'store.db'})"
            )
        if self.path.exists() and not self.path.is_file():
            # /dev/null: SQLite said "disk I/O error" after making /dev/null-journal, its
            # change signal file /dev/null.change beside it
            raise StoreError(f"{self.path} is no file (a device or a pipe): give a file")
        _look_first(self.path, url, existing)
        # host and process, and which store object: two emulators in one process (tests)
        # are two replicas too
        self._tag = uuid.uuid4().hex[:4]
        self._local = threading.local()
        self._made, self._made_slot = [], threading.Lock()
        self.url = url
        # An export's store that this user may not write is read where it is, as it is
        # (_reading_uri): it was refused, and the advice to copy a store in use was unsafe
        read_only = existing and not writable_here(self.path)
        self._reading = _reading_uri(self.path) if read_only else None
        try:
            schema = [o for o in SCHEMA.split(";") if o.strip()]
            with self.read() if read_only else self.write() as db:
                self.bring_up_to_date(db, schema, existing=existing)
        except BaseException as error:
            Store.close(self)  # refused: nothing of it stays open (no signal map yet)
            if isinstance(error, sqlite3.OperationalError):  # SQLite's words name no file
                raise _not_writable(self.path, error) or StoreError(
                    f"cannot open the SQLite store {self.path}: {error}"
                ) from None
            if isinstance(error, sqlite3.DatabaseError):
                raise StoreDamaged(self.path, str(error)) from None
            raise
        if read_only:  # no change signal: nothing here writes, and none is written
            self._signal_map = mmap.mmap(-1, 16)
            return
        # The change signal: the change number, also in 8 bytes of a file every process
        # maps. Reading it costs a fraction of a microsecond; a query for the same number
        # cost 5 to 25 microseconds a request (measured), 3-15% of one.
        signal_file = self.path.with_name(self.path.name + ".change")
        fd = os.open(signal_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < 16:
                os.ftruncate(fd, 16)
            self._signal_map = mmap.mmap(fd, 16)  # the change number, then the sync number
        finally:
            os.close(fd)
        with self.write() as db:
            self._send(db)
            self._signal_map[8:16] = (
                db.execute("SELECT n FROM sync").fetchone()[0].to_bytes(8, "little")
            )

    def holds(self, text: str) -> tuple[str, str]:
        if len(text) > 10_000:  # SQLite refuses a LIKE pattern of over 50,000 bytes
            return "instr(search, ?) > 0", text
        return super().holds(text)

    def tables(self, db) -> set[str]:
        return _sqlite_tables(db)

    def indexes(self, db) -> set[str]:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}

    def columns(self, db, table: str) -> set[str]:
        return {r[1] for r in db.execute(f"PRAGMA table_info({table})")}

    def db(self) -> Connection:
        if self.closed:
            raise self._closed_error()
        if self._reading and self._reading.endswith("immutable=1") and _wal(self.path).exists():
            # Read as it stood, the store is now open elsewhere (a serve started on it):
            # its writes may reach the file at a checkpoint, under this read
            raise StoreError(
                f"the SQLite store {self.path} was opened by another process while it was "
                "read as it stood: run this again (it then reads it as one in use)"
            )
        db = getattr(self._local, "db", None)
        if db is None:
            # used in its own thread only; closed by another once that one ended (close())
            target = self._reading or self.path
            db = Connection(
                sqlite3.connect(
                    target,
                    isolation_level=None,
                    timeout=10,
                    check_same_thread=False,
                    uri=self._reading is not None,
                ),
                self,
            )
            self._remember(db)
            if self._reading is not None:
                self._local.db = db
                return db
            db.execute(f"PRAGMA page_size = {int(self.page_size)}")  # see JOURNAL_PAGE_SIZE
            _to_wal(db)
            # Test state, not records: no fsync (a crash of the machine may lose or damage
            # the file; the default store lives for one run anyway).
            db.execute("PRAGMA synchronous=OFF")
            self._local.db = db
        return db

    def write(self, *, heartbeat: bool = False) -> _Transaction:
        """``with store.write() as db:`` one write transaction (BEGIN IMMEDIATE: the writer
        lock at once, so a read-modify-write cannot interleave with another worker's)."""
        return _Transaction(self.db(), store=self, proves=not heartbeat)

    def change_number(self) -> int:
        """The change signal (see above); the store's own number when reloading."""
        try:
            return int.from_bytes(self._signal_map[:8], "little")
        except ValueError:  # the map is closed with the store
            raise self._closed_error() from None

    def sync_number(self) -> int:
        """What the journal's writer threads look at every 10 ms (no query)."""
        try:
            return int.from_bytes(self._signal_map[8:16], "little")
        except ValueError:
            raise self._closed_error() from None

    def ask_sync(self) -> int:
        """Raises the sync number: every worker writes its journal entries and acknowledges."""
        with self.write() as db:
            db.execute("UPDATE sync SET n = n + 1")
            n = db.execute("SELECT n FROM sync").fetchone()[0]
            self._signal_map[8:16] = n.to_bytes(8, "little")
        return n

    def bump(self, db: Connection) -> None:
        """Inside a write transaction: one more change. The signal is written before the
        commit, under the writer lock, so signals follow the commits' order; a reader that
        sees it early reloads and finds the old number, and looks again next request."""
        db.execute("UPDATE change SET n = n + 1")
        self._send(db)

    def close(self) -> None:
        super().close()
        self._signal_map.close()

    def _send(self, db: Connection) -> None:
        n = db.execute("SELECT n FROM change").fetchone()[0]
        self._signal_map[:8] = n.to_bytes(8, "little")


class _Transaction:
    """One use of the connection from BEGIN to COMMIT (see Connection). A write transaction
    tells its ``store`` how it ended (Store.write_failed, Store.written); a heartbeat's
    success proves nothing (``proves``): it rewrites one row, in room the file already has."""

    def __init__(
        self,
        db: Connection,
        begin: str = "BEGIN IMMEDIATE",
        store: Store | None = None,
        proves: bool = True,
    ) -> None:
        self.db, self.begin, self.store, self.proves = db, begin, store, proves

    def __enter__(self):
        self.db.enter()
        try:
            self.db.execute(self.begin)
        except BaseException as error:
            self.db.leave()
            self._failed(error)
            raise
        return self.db

    def __exit__(self, exc_type, error=None, _=None) -> None:
        try:
            if exc_type is None:
                self.db.execute("COMMIT")
            else:
                self._roll_back()
        except BaseException as failed:
            self._roll_back()  # SQLite's advice after a COMMIT that failed (a full disk)
            self._failed(failed)
            raise
        finally:
            self.db.leave()
        if exc_type is not None:
            self._failed(error)
        elif self.store is not None and self.proves:
            self.store.written()

    def _roll_back(self) -> None:
        """After an error, which says why: a ROLLBACK that fails too is not raised in its
        place. On a full disk SQLite may end the transaction itself, and "cannot rollback -
        no transaction is active" was all a refused SIGHUP said; or not, and the next BEGIN
        on the connection would fail."""
        with contextlib.suppress(Exception):
            self.db.execute("ROLLBACK")

    def _failed(self, error: BaseException | None) -> None:
        if self.store is not None:
            self.store.write_failed(error)


# -- clock --------------------------------------------------------------------------------


class SharedClock(Clock):
    """The clock as the admin API set it in the store; the start-up value (``--today``)
    while nobody changed it. Read from the worker's copy, refreshed on a change."""

    def __init__(self, store: Store, base: date | None) -> None:
        self.store = store
        self.base_day = base
        self._fixed = base

    @property
    def fixed(self) -> date | None:  # type: ignore[override]
        return self._fixed

    @fixed.setter
    def fixed(self, value: date | None) -> None:
        with self.store.write() as db:
            db.execute(
                "UPDATE clock SET changed = 1, today = ?",
                (value.isoformat() if value else None,),
            )
            self.store.bump(db)
        self._fixed = value

    def reset(self) -> None:
        with self.store.write() as db:
            db.execute("UPDATE clock SET changed = 0, today = NULL")
            self.store.bump(db)
        self._fixed = self.base_day

    def read(self, db) -> None:
        changed, today = db.execute("SELECT changed, today FROM clock").fetchone()
        if not changed:
            self._fixed = self.base_day
        else:
            self._fixed = date.fromisoformat(today) if today else None


# -- faults -------------------------------------------------------------------------------


def storable(text: str | None) -> str | None:
    """A request's text as a store's text column can hold it: PostgreSQL refuses a NUL
    character, which a path (``/api/v1/dossiers/%00``) or a header can carry. One in a
    journal entry failed its batch, and every batch after it, for good: the journal could
    no longer be read (503) and the calls piled up in the worker. Written as U+FFFD, the
    character that stands for one that cannot be shown; a filter asks for it so too."""
    return text.replace("\x00", "\ufffd") if text is not None and "\x00" in text else text


def _fault_from_row(id_: int, text: str) -> Fault:
    data = json.loads(text)
    applied = data.pop("applied", 0)
    fault = Fault(**{**data, "kind": FaultKind(data["kind"])})
    fault.id, fault.applied = id_, applied
    return fault


def _to_version_2(store: Store, db) -> None:
    """1 -> 2: the replica table's change_ack where it lacks it; the journal's first form
    (the entry as one JSON text) in columns; fault rows in English."""
    tables = store.tables(db)
    if "replica" in tables and "change_ack" not in store.columns(db, "replica"):
        db.execute("ALTER TABLE replica ADD COLUMN change_ack BIGINT NOT NULL DEFAULT 0")
    if "journal" in tables and "endpoint" not in store.columns(db, "journal"):
        _journal_into_columns(db)  # (only SQLite stores ever had it)
    if "fault" in tables:
        for id_, text in db.execute("SELECT id, data FROM fault").fetchall():
            data = json.loads(text)
            if "soort" in data:  # written before the fields had English names
                english = {_OLD_NAMES.get(k, k): v for k, v in data.items()}
                db.execute("UPDATE fault SET data = ? WHERE id = ?", (json.dumps(english), id_))


def _journal_into_columns(db) -> None:
    rows = db.execute(
        "SELECT id, kind, insz, afzender, operation, time, entry, request, reply FROM journal"
    ).fetchall()
    db.execute("DROP TABLE journal")
    db.execute(_JOURNAL_TABLE)
    columns = ("endpoint", "hoedanigheid", "referte", "result", "status", "latency_ms")
    own = {"kind", "insz", "afzender", "operation", "time", *columns}
    for id_, kind, insz, afzender, operation, when, text, verzoek, response in rows:
        entry = json.loads(text)
        extra = {k: v for k, v in entry.items() if k not in own}
        db.execute(
            "INSERT INTO journal (id, kind, insz, afzender, operation, time, endpoint, "
            "hoedanigheid, referte, result, status, latency_ms, extra, request, reply) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (id_, kind, insz, afzender, operation, when, *(entry.get(k) for k in columns),
             json.dumps(extra, ensure_ascii=False), verzoek, response),
        )  # fmt: skip


def _to_version_3(store: Store, db) -> None:
    """2 -> 3: the persona changes' order, as they were read until now; the catalogue's
    search text, made from each persona's JSON (the personas ``generate --store`` made have
    no file to be imported from again)."""
    tables = store.tables(db)
    if "persona" in tables and "added" not in store.columns(db, "persona"):
        db.execute("ALTER TABLE persona ADD COLUMN added BIGINT")
        # the statement version 2 read them with, so the same order (SQLite's table order:
        # "SELECT insz" alone reads its primary key's index, in INSZ order)
        changes = db.execute("SELECT insz, data FROM persona").fetchall()
        numbered = [(n, insz) for n, (insz, _) in enumerate(changes, 1)]
        db.executemany("UPDATE persona SET added = ? WHERE insz = ?", numbered)
    if "catalogue" not in tables or "search" in store.columns(db, "catalogue"):
        return
    db.execute(f"ALTER TABLE catalogue ADD COLUMN {SEARCH_COLUMN}")
    last = ""
    while True:  # a batch at a time, in INSZ order: a million personas never held at once
        rows = db.execute(
            "SELECT insz, data FROM catalogue WHERE insz > ? ORDER BY insz LIMIT 2000", (last,)
        ).fetchall()
        if not rows:
            return
        db.executemany(
            "UPDATE catalogue SET search = ? WHERE insz = ?",
            [(data_search_text(json.loads(data)), insz) for insz, data in rows],
        )
        last = rows[-1][0]


MIGRATIONS = {1: _to_version_2, 2: _to_version_3}  # version n -> n + 1

_OLD_NAMES = {
    "soort": "kind",
    "dienst": "service",
    "latentie_ms": "latency_ms",
    "latentie_max_ms": "latency_max_ms",
    "aantal": "count",
    "aandeel": "share",
    "toegepast": "applied",
}


def _fault_text(s: Fault) -> str:
    data = s.as_json()
    del data["id"]
    return json.dumps(data)


class SharedFaults:
    """The same interface as :class:`magda_kbi.runtime.faults.Faults`, in the store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._count = 0  # how many faults the store held at the last refresh

    @property
    def active(self) -> bool:
        return self._count > 0

    def add(self, data: object) -> Fault:
        fault = fault_from_json(data)  # the same checks, the same errors
        with self.store.write() as db:
            fault.id = db.execute(
                "INSERT INTO fault (data) VALUES (?) RETURNING id", (_fault_text(fault),)
            ).fetchone()[0]
            self.store.bump(db)
        self._count += 1
        return fault

    def all(self) -> list[Fault]:
        rows = self.store.db().execute("SELECT id, data FROM fault ORDER BY id").fetchall()
        return [_fault_from_row(i, t) for i, t in rows]

    def remove(self, id_: int) -> bool:
        with self.store.write() as db:
            removed = db.execute("DELETE FROM fault WHERE id = ?", (id_,)).rowcount
            if removed:
                self.store.bump(db)
        return bool(removed)

    def clear(self) -> None:
        with self.store.write() as db:
            db.execute("DELETE FROM fault")
            self.store.bump(db)
        self._count = 0

    def pick(self, dienst: str, insz: str | None) -> tuple[float, FaultKind | None]:
        """As :meth:`Faults.pick`, in one write transaction over all workers. Without the
        store no fault applies (a count could not be used up on every replica)."""
        try:
            return self._pick(dienst, insz)
        except self.store.Error as error:
            log.warning("faults not applied, the store cannot be reached: %s", error)
            return 0.0, None

    def _pick(self, service: str, insz: str | None) -> tuple[float, FaultKind | None]:
        with self.store.write() as db:
            # in the order they were added, as in memory: without ORDER BY, PostgreSQL gave
            # a row updated since (a count used up) after the others
            rows = db.execute("SELECT id, data FROM fault ORDER BY id")
            items = [_fault_from_row(i, t) for i, t in rows]
            delay, fault, over = pick_fault(items, service, insz)
            kept = {s.id for s in over}
            for s in items:
                if s.id not in kept:
                    db.execute("DELETE FROM fault WHERE id = ?", (s.id,))
                elif s.applied:
                    db.execute("UPDATE fault SET data = ? WHERE id = ?", (_fault_text(s), s.id))
            if len(over) != len(items):
                self.store.bump(db)  # a fault used up: the others must stop applying it
        self._count = len(over)
        return delay, fault

    def read(self, db) -> None:
        self._count = db.execute("SELECT COUNT(*) FROM fault").fetchone()[0]


# -- journal ------------------------------------------------------------------------------


class SharedJournal:
    """The same interface as :class:`magda_kbi.runtime.journal.Journal`; entries carry the id of
    the worker that wrote them (``replica``)."""

    def __init__(self, store: Store, capacity: int = 1000, audit: Path | None = None):
        if capacity < 1:
            raise ValueError("the journal size must be at least 1")
        self.store, self.capacity, self.audit = store, capacity, audit
        # Entries wait here until someone reads the journal (then every worker writes its
        # own): the store costs nothing per call. Writing each call cost 20-30% of the
        # throughput at 8 and 32 connections (measured), most of it the bodies.
        self._queue: deque[JournalEntry] = deque(maxlen=capacity)
        self.audit_log = AuditLog(audit) if audit is not None else None
        self._pid: int | None = None  # the process whose writer thread runs
        self._since_bound = 0  # entries written since the bound was last applied
        self._calls = 0  # entries queued in this process, ever: the writer's sign of use
        self._start_slot = threading.Lock()
        self._flush_slot = threading.Lock()
        self._writer_thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> None:
        """Registers this worker (so a reader waits for it from now on) and starts its
        writer thread; again in a forked child, which has no thread of its own."""
        with self._start_slot:
            if self._pid == os.getpid():
                return
            try:
                with self.store.write() as db:
                    asked = db.execute("SELECT n FROM sync").fetchone()[0]
                    db.execute(
                        REPLICA_UPSERT,
                        (self.store.replica, time.time(), asked, self.store.change_number()),
                    )
            except self.store.Unwritable:
                # (said by the store) A worker that starts on a full disk (a SIGHUP's, one
                # replacing a dead one) serves, and its heartbeats register it once they
                # can: its failure stopped serve, every worker being refused alike.
                pass
            self._writer_thread = threading.Thread(
                target=self._writer, name="magda-kbi-journal", daemon=True
            )
            self._writer_thread.start()
            if self._pid is None:
                atexit.register(self._sign_off)
            self._pid = os.getpid()

    def write(self, entry: JournalEntry) -> None:
        entry.extra["replica"] = self.store.replica
        if self.audit_log is not None:
            self.audit_log.write(entry)
        self._queue.append(entry)
        self._calls += 1
        if self._pid != _PID[0]:
            self.start()

    def _writer(self) -> None:
        confirmed, heartbeat = -1, 0.0
        calls, used = self._calls, time.monotonic()
        while not self.store.closed:  # a store closed under it ends it too (tests do that)
            if calls != self._calls:
                calls, used = self._calls, time.monotonic()
            try:
                asked = self.store.sync_number()
                if asked != confirmed:  # someone reads the journal: write what is queued
                    self.flush()
                    used = time.monotonic()
                now = time.time()
                if asked != confirmed or now - heartbeat > HEARTBEAT_INTERVAL:
                    heartbeat = now  # tried: a store that fails is tried again at this pace
                    if self.store.unwritten is not None:
                        self.flush()  # what waits says whether the store takes writes again
                    with self.store.write(heartbeat=True) as db:
                        db.execute(
                            REPLICA_UPSERT,
                            (self.store.replica, now, asked, self.store.change_number()),
                        )
                    confirmed = asked
            except self.store.Error:
                pass  # busy beyond the timeout, disk full: again; closed meanwhile: it ends
            idle = time.monotonic() - used > IDLE_AFTER
            if self._stop.wait(IDLE_INTERVAL if idle else FLUSH_INTERVAL):
                return

    def flush(self) -> None:
        """Writes what this worker queued, in one transaction, and keeps the bound (in
        steps: deleting per batch cost more than the inserts)."""
        # One flush at a time in a process: a reader's own flush must not return while the
        # writer thread still holds entries it took from the queue (they would be missed).
        with self._flush_slot:
            self._flush()

    def _flush(self) -> None:
        # Taken from the queue only once written: if the store is lost, they wait for it.
        taken = list(self._queue)
        rows = []
        for r in taken:
            rows.append(
                (
                    r.kind,
                    storable(r.insz),
                    storable(r.afzender),
                    r.operation,
                    r.time.isoformat(timespec="microseconds"),  # two calls in a millisecond
                    storable(r.endpoint),
                    storable(r.hoedanigheid),
                    storable(r.referte),
                    r.result,
                    r.status,
                    r.latency_ms,
                    json.dumps(r.extra, ensure_ascii=False) if r.extra else None,
                    r.request[:BODY_MAX],
                    r.reply[:BODY_MAX],
                )
            )
        if not rows:
            return
        with self.store.write() as db:
            db.executemany(
                "INSERT INTO journal (kind, insz, afzender, operation, time, endpoint, "
                "hoedanigheid, referte, result, status, latency_ms, extra, request, reply) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._since_bound += len(rows)
            if self._since_bound > max(self.capacity // 10, 50):
                db.execute(
                    "DELETE FROM journal WHERE id <= (SELECT MAX(id) FROM journal) - ?",
                    (self.capacity,),
                )
                self._since_bound = 0
        written = {id(r) for r in taken}
        while self._queue and id(self._queue[0]) in written:
            self._queue.popleft()

    def close(self) -> None:
        """This worker's last entries written and its replica row gone (readers stop
        waiting for it); its writer thread ended. Before the store is closed."""
        self._stop.set()
        writer = self._writer_thread
        if writer is not None and writer.is_alive():
            writer.join(WRITER_STOP_WAIT)
        problem = self.store.problem()
        if problem is None or problem == self.store.unwritten:
            # a write failed before (a full disk): tried, it may take them now, or fails at
            # once; a lost PostgreSQL server is not waited for
            self._sign_off()
        if self._queue and self.store.problem() is not None:
            log.warning(
                "journal entries not written: %d (%s)", len(self._queue), self.store.problem()
            )
        if self.audit_log is not None:
            self.audit_log.close()

    def _sign_off(self) -> None:
        if self.store.closed:  # closed before (the atexit call after close())
            return
        try:
            self.flush()
            with self.store.write() as db:
                db.execute("DELETE FROM replica WHERE id = ?", (self.store.replica,))
        except self.store.Error:
            pass

    def sync(self) -> None:
        """Until every live worker wrote what it queued before this call (bounded)."""
        target = self.store.ask_sync()
        self.flush()
        end = time.monotonic() + SYNC_TIMEOUT
        while time.monotonic() < end:
            alive = time.time() - DEAD_AFTER
            waiting = (
                self.store.db()
                .execute(
                    "SELECT COUNT(*) FROM replica WHERE heartbeat > ? AND ack < ? AND id != ?",
                    (alive, target, self.store.replica),
                )
                .fetchone()[0]
            )
            if not waiting:
                return
            time.sleep(0.002)

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
        self.sync()
        conditions, values = ["id > ?", WITHIN_BOUND], [after, self.capacity]
        for column, value in (
            ("insz", insz),
            ("afzender", afzender),
            ("operation", operation),
            ("kind", kind),
        ):
            if value is not None:
                conditions.append(f"{column} = ?")
                values.append(storable(value))
        rows = self.store.db().execute(
            f"SELECT {COLUMNS} FROM journal WHERE " + " AND ".join(conditions) + " ORDER BY id",
            values,
        )
        lines = [_line_from(*row) for row in rows]
        # In the order the calls came in: each worker writes its entries in a batch of its
        # own, so the ids follow the batches (a call could be read before an earlier one).
        return sorted((r for r in lines if since is None or r.time >= since), key=came_in)

    def entry(self, number: int) -> JournalEntry | None:
        row = (
            self.store.db()
            .execute(
                f"SELECT {COLUMNS} FROM journal WHERE id = ? AND {WITHIN_BOUND}",
                (number, self.capacity),
            )
            .fetchone()
        )
        return _line_from(*row) if row else None

    def clear(self) -> None:
        self.sync()
        with self.store.write() as db:
            db.execute("DELETE FROM journal")

    def __len__(self) -> int:
        return (
            self.store.db()
            .execute(f"SELECT COUNT(*) FROM journal WHERE {WITHIN_BOUND}", (self.capacity,))
            .fetchone()[0]
        )


# The journal's bound: the rows past it are deleted in steps, and never read.
WITHIN_BOUND = "id > (SELECT MAX(id) FROM journal) - ?"
COLUMNS = (
    "id, time, endpoint, operation, afzender, hoedanigheid, insz, referte, result, status, "
    "latency_ms, extra, kind, request, reply"
)


def _line_from(
    number, when, endpoint, operation, afzender, hoedanigheid, insz, referte, result,
    status, latency_ms, extra, kind, request, reply,
) -> JournalEntry:  # fmt: skip
    return JournalEntry(
        time=datetime.fromisoformat(when),
        endpoint=endpoint,
        operation=operation,
        afzender=afzender,
        hoedanigheid=hoedanigheid,
        insz=insz,
        referte=referte,
        result=result,
        status=status,
        latency_ms=latency_ms,
        extra=json.loads(extra) if extra else {},
        kind=kind,
        request=request or b"",
        reply=reply or b"",
        number=number,
    )


# -- the environment ----------------------------------------------------------------------


class SharedRuntime(Runtime):
    """An :class:`Runtime` whose runtime state lives in the store: the persona files'
    personas are each worker's own (read at start), the admin API's changes the store's."""

    def __init__(
        self,
        personas: dict[str, Persona],
        store: Store,
        *,
        today: date | None = None,
        journal_size: int = 1000,
        audit: Path | None = None,
        **kwargs,
    ) -> None:
        super().__init__(
            personas,
            clock=SharedClock(store, today),
            faults=SharedFaults(store),
            journal=SharedJournal(store, journal_size, audit),
            **kwargs,
        )
        self.store = store
        store.serving = True
        self._seen_change = -1
        self._built: dict[tuple[str, str], Persona] = {}  # (insz, JSON): parsed once
        self._catalogue_version = -1
        self.store.start()
        self.refresh()
        self.journal.start()

    def refresh(self) -> None:
        """Per request: one read of the change number; a reload when it moved. Without the
        store the worker answers from what it has, and reloads when the store is back."""
        try:
            if self.store.change_number() != self._seen_change:
                self._reload()
        except StoreClosed:  # a request under way as the emulator stops: nothing to say
            pass
        except self.store.Error as error:
            log.warning("state not reloaded, the store cannot be reached: %s", error)

    def _reload(self) -> None:
        with self._slot, self.store.read() as db:  # one consistent read of number and state
            self._read(db)

    def _read(self, db) -> None:
        self._seen_change = db.execute("SELECT n FROM change").fetchone()[0]
        self.clock.read(db)
        self.faults.read(db)
        changes: dict[str, Persona | None] = {}
        # a change without its place (added) is an older replica's (store version 2, still
        # running beside this one): the latest, so last, as PostgreSQL put it (SQLite: first)
        rows = db.execute("SELECT insz, data FROM persona ORDER BY added IS NULL, added, insz")
        for insz, text in rows:
            changes[insz] = self._persona(insz, text) if text is not None else None
        self._changes = changes
        version = db.execute("SELECT n FROM catalogue_version").fetchone()[0]
        if version != self._catalogue_version:  # the files were imported again
            self._catalogue_version = version
            forget = getattr(self.base_personas, "forget", None)
            if forget is not None:
                forget()
        self._show_personas()

    def _persona(self, insz: str, text: str) -> Persona:
        key = (insz, text)
        persona = self._built.get(key)
        if persona is None:  # set_persona fills this for its own worker: no second check
            persona = persona_from_data(json.loads(text), contract=False)
            self._built[key] = persona
            # The admin API checked it against the contract of its day: a store kept across
            # an upgrade may hold what the contract now refuses. Served as stored (nothing
            # dropped), said once per worker.
            if persona.dossier is not None and (
                deviation := contract_error(persona.dossier, persona.gegevens.contact)
            ):
                log.warning(
                    "stored persona %s does not fit the KBI contract (%s: %s); served as"
                    " stored: PUT /admin/personas/%s a corrected one, or DELETE it",
                    insz,
                    *deviation,
                    insz,
                )
        return persona

    def set_persona(self, persona: Persona) -> bool:
        existed = persona.insz in self.personas
        text = json.dumps(persona_json(persona), ensure_ascii=False)
        self._built[(persona.insz, text)] = persona
        with self.store.write() as db:
            db.execute(PERSONA_UPSERT, (persona.insz, text))
            self.store.bump(db)
        self.refresh()
        return existed

    def remove_persona(self, insz: str) -> bool:
        if insz not in self.personas:
            return False
        with self.store.write() as db:
            db.execute(PERSONA_UPSERT, (insz, None))
            self.store.bump(db)
        self.refresh()
        return True

    def reload(self, base: Mapping[str, Persona]) -> None:
        with self._slot:
            self.base_personas = base
        self._reload()

    def close(self) -> None:
        """The journal signed off, then the store closed (its connections, its threads)."""
        self.journal.close()
        self.store.close()

    def reset(self) -> None:
        self.journal.sync()
        with self.store.write() as db:
            db.execute("DELETE FROM persona")
            db.execute("DELETE FROM fault")
            db.execute("DELETE FROM journal")
            db.execute("UPDATE clock SET changed = 0, today = NULL")
            self.store.bump(db)
        self.refresh()
