"""The store in PostgreSQL (psycopg 3): several ``serve`` processes, on one machine or
several, share clock, faults, persona changes and journal.

The same tables and SQL as the SQLite store (``magda_kbi.runtime.store``); what differs is how a
worker learns of a change. There is no file to map across machines, so each worker holds a
LISTEN connection: a change or a journal sync is a NOTIFY, its thread updates the numbers
the requests read (no query per request) and acknowledges a change in the replica table.
An admin call that changed something returns only when every live worker acknowledged it
(bounded, 3 s), so the change holds for every request that starts after it returned, on
every replica. Write transactions serialise on the change row (SELECT ... FOR UPDATE).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid

from magda_kbi.runtime.store import (
    CATALOGUE_SCHEMA,
    DEAD_AFTER,
    SYNC_TIMEOUT,
    VERSION_TABLE,
    Connection,
    Store,
    StoreError,
    _Transaction,
    close_quietly,
    one_line,
    shown_url,
)

CHANNEL = "magda_kbi"
# how long close() waits for the LISTEN thread to see its stop (it answers in milliseconds)
LISTEN_STOP_WAIT = 2.0
# How long a connection waits on a network that no longer answers (a partition, not a
# crash: nothing resets the connection). The OS's defaults are two hours of silence
# before the first keepalive probe, so the LISTEN connection, idle while it waits, missed
# every change unnoticed, and a query waited some fifteen minutes of retransmissions.
# Probes after 10 s of silence, every 5 s; what goes unanswered for 30 s fails. A
# parameter the URL sets is kept.
NETWORK_DEFAULTS = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,  # milliseconds
}
# UTF8 holds any text; SQL_ASCII keeps the UTF-8 bytes it is given as they are (no check,
# no conversion), which is all the store asks of it. Any other encoding refuses some names.
USABLE_ENCODINGS = ("UTF8", "SQL_ASCII")
# SQLite's schema in PostgreSQL's words: identity ids, bytea bodies, double precision.
SCHEMA = [
    "CREATE TABLE IF NOT EXISTS change (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL)",
    "INSERT INTO change VALUES (1, 0) ON CONFLICT DO NOTHING",
    "CREATE TABLE IF NOT EXISTS clock (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "changed INTEGER NOT NULL, today TEXT)",
    "INSERT INTO clock VALUES (1, 0, NULL) ON CONFLICT DO NOTHING",
    "CREATE TABLE IF NOT EXISTS persona (insz TEXT PRIMARY KEY, data TEXT, added BIGINT)",
    "CREATE TABLE IF NOT EXISTS fault (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
    "data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS journal (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
    "kind TEXT, insz TEXT, afzender TEXT, operation TEXT, time TEXT, endpoint TEXT, "
    "hoedanigheid TEXT, referte TEXT, result TEXT, status INTEGER, "
    "latency_ms DOUBLE PRECISION, extra TEXT, request BYTEA, reply BYTEA)",
    "CREATE TABLE IF NOT EXISTS sync (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL)",
    "INSERT INTO sync VALUES (1, 0) ON CONFLICT DO NOTHING",
    "CREATE TABLE IF NOT EXISTS replica (id TEXT PRIMARY KEY, "
    "heartbeat DOUBLE PRECISION NOT NULL, ack BIGINT NOT NULL, "
    "change_ack BIGINT NOT NULL DEFAULT 0)",
    *CATALOGUE_SCHEMA,
    VERSION_TABLE,
]


class _Db(Connection):
    """A psycopg connection that takes the ``?`` placeholders the shared SQL uses."""

    def __init__(self, conn, store: PostgresStore, losses: int = 0) -> None:
        super().__init__(conn, store)
        self.changed_to: int | None = None  # the change number this transaction made
        self.losses = losses  # the store's count of lost servers when this was connected

    def sql(self, sql: str) -> str:
        return sql.replace("?", "%s")

    def executemany(self, sql: str, rows) -> None:
        self.enter()
        try:
            with self.conn.cursor() as cursor:
                cursor.executemany(self.sql(sql), rows)
        finally:
            self.leave()


class _Write(_Transaction):
    """A write transaction that, once committed, waits until the other replicas saw its
    change (outside its use of the connection: a close need not wait for the replicas)."""

    def __init__(self, store: PostgresStore, db: _Db, proves: bool = True) -> None:
        super().__init__(db, "BEGIN", store, proves)
        self.pg = store

    def __enter__(self) -> _Db:
        db = super().__enter__()
        try:
            db.execute("SELECT n FROM change WHERE id = 1 FOR UPDATE")  # one writer at a time
        except BaseException as error:
            with contextlib.suppress(self.pg.Error):  # a lost server: its error is said
                _Transaction.__exit__(self, type(error), error)
            raise
        db.changed_to = None
        return db

    def __exit__(self, exc_type, error=None, _=None) -> None:
        super().__exit__(exc_type, error)
        if exc_type is None and self.db.changed_to is not None:
            self.pg.wait_for_replicas(self.db.changed_to)


def _unusable(db, url: str, writes: bool = False) -> str | None:
    """Why this database cannot hold a store, before anything is made in it; or None.
    ``writes``: a server that takes no writes is refused too (serve's, generate's start)."""
    if writes and db.execute("SHOW transaction_read_only").fetchone()[0] == "on":
        # a standby (a failover's old primary) or default_transaction_read_only: serve's
        # workers failed at their first write, a traceback each, and serve after them
        return (
            f"the PostgreSQL server of {shown_url(url)!r} takes no writes (read-only: a "
            "standby, or default_transaction_read_only): serve and generate need one that "
            "does, the primary"
        )
    encoding = db.execute("SHOW server_encoding").fetchone()[0]
    if encoding not in USABLE_ENCODINGS:
        return (
            f"the PostgreSQL database of {shown_url(url)!r} is in {encoding}, which cannot "
            "hold every name a persona may have (Łukasz, Nguyễn): the store needs UTF8 "
            "(CREATE DATABASE name ENCODING 'UTF8' TEMPLATE template0)"
        )
    if db.execute("SELECT current_schema()").fetchone()[0] is None:  # was a traceback
        search_path = db.execute("SHOW search_path").fetchone()[0]
        return (
            f"the PostgreSQL store {shown_url(url)!r} has no schema for its tables: the "
            f"search_path ({search_path}) names none that exists (CREATE SCHEMA name, or "
            "another search_path)"
        )
    return None


def _said(error: Exception) -> str:
    """The server's words, without the statement it quotes."""
    return getattr(getattr(error, "diag", None), "message_primary", None) or one_line(error)


def _not_permitted(url: str, error: Exception, existing: bool) -> str:
    """What a role that may not change the store's tables is told."""
    said = f"the PostgreSQL store {shown_url(url)!r} refused this role: {_said(error)}: "
    if existing:
        return said + (
            "an export needs SELECT on the store's tables (GRANT SELECT ON ALL TABLES IN "
            "SCHEMA ...) and a store of this emulator's version (an older one is brought up to "
            "date once by serve --store URL, with the role that owns its tables)"
        )
    return said + WRITERS


WRITERS = (
    "serve and generate write the store: give the role that made it, or one granted "
    "SELECT, INSERT, UPDATE and DELETE on its tables (GRANT ... ON ALL TABLES IN SCHEMA ...); "
    "a new store needs a role that may create tables in its schema, one of an older version "
    "the role that owns its tables (an export reads with SELECT alone)"
)


def _relations(db, where: str, parameters: tuple = ()) -> set[str]:
    """The names of the relations in the store's schema that ``where`` takes."""
    return {
        r[0]
        for r in db.execute(
            "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
            f"ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND {where}",
            parameters,
        )
    }


class PostgresStore(Store):
    def __init__(self, url: str, *, existing: bool = False, refuse_read_only: bool = False) -> None:
        try:
            import psycopg
        except ImportError:
            raise StoreError(
                "a PostgreSQL store needs psycopg: pip install 'magda-kbi-emulator[postgresql]'"
            ) from None
        self._psycopg = psycopg
        # what a lost server raises: the driver's errors, and ours when reconnecting fails
        self.Error = (psycopg.Error, StoreError)  # type: ignore[assignment]
        # what says the server takes no writes now: its disk full, its resources spent, or
        # read-only (a standby after a failover). A lost connection is the LISTEN thread's
        # problem (and a heartbeat proves a server back, not a disk with room again).
        errors = psycopg.errors
        self.Unwritable = (  # type: ignore[assignment]
            errors.DiskFull,
            errors.InsufficientResources,
            errors.OutOfMemory,
            errors.ConfigurationLimitExceeded,
            errors.IoError,
            errors.ReadOnlySqlTransaction,
        )
        self._problem: str | None = None  # why the LISTEN connection is down, or None
        # How often the LISTEN connection was lost: a thread's connection made before the
        # last loss is made anew (unused during the loss, it looked alive, and failed once
        # the server was back)
        self._losses = 0
        self.url = url
        self._tag = uuid.uuid4().hex[:4]
        self._local = threading.local()
        self._made, self._made_slot = [], threading.Lock()
        self._listener: threading.Thread | None = None
        self._change = 0
        self._sync = 0
        self._listener_pid: int | None = None  # the process whose LISTEN thread runs
        self._start_slot = threading.Lock()
        db = self.db()
        if unusable := _unusable(db, url, writes=refuse_read_only):
            self.close()
            raise StoreError(unusable)
        db.execute("BEGIN")
        try:
            db.execute("SELECT pg_advisory_xact_lock(4242)")  # two workers creating at once
            self.bring_up_to_date(db, SCHEMA, existing=existing)
        except BaseException as error:
            # a session the server ended (a failover, pg_terminate_backend) fails its
            # ROLLBACK too: "the connection is closed" was raised, a traceback, in place of why
            with contextlib.suppress(psycopg.Error):
                db.execute("ROLLBACK")
            lost = bool(db.conn.closed)
            self.close()  # refused: nothing of it stays open
            if isinstance(error, psycopg.errors.InsufficientPrivilege):  # was a traceback
                raise StoreError(_not_permitted(url, error, existing)) from None
            if isinstance(error, psycopg.OperationalError) and lost:
                raise StoreError(
                    f"the PostgreSQL store {shown_url(url)!r} ended the session while it was"
                    f" opened: {_said(error)}"
                ) from None
            if isinstance(error, psycopg.Error):  # whatever else the server refused: one line
                raise StoreError(
                    f"the PostgreSQL store {shown_url(url)!r} refused it: {_said(error)}"
                ) from None
            raise
        db.execute("COMMIT")
        self._read_numbers(db)

    def tables(self, db) -> set[str]:
        # pg_class, not information_schema.tables, which lists only the tables the role has
        # a privilege on: a role not granted SELECT was told there was no store
        return _relations(db, "c.relkind IN ('r', 'p', 'v', 'm', 'f')")

    def indexes(self, db) -> set[str]:
        return _relations(db, "c.relkind IN ('i', 'I')")

    def may_write(self, db, tables: set[str]) -> None:
        # has_table_privilege with a list asks for any one of them: each is asked alone
        lacking = sorted(
            _relations(
                db,
                "c.relname = ANY(?) AND NOT (has_table_privilege(c.oid, 'SELECT') "
                "AND has_table_privilege(c.oid, 'INSERT') "
                "AND has_table_privilege(c.oid, 'UPDATE') "
                "AND has_table_privilege(c.oid, 'DELETE'))",
                (sorted(tables),),
            )
        )
        if lacking:
            shown = ", ".join(lacking[:3]) + (", ..." if len(lacking) > 3 else "")
            raise StoreError(
                f"the PostgreSQL store {shown_url(self.url)!r} refused this role: it may not "
                f"change the table{'s' if len(lacking) > 1 else ''} {shown}: {WRITERS}"
            )

    def columns(self, db, table: str) -> set[str]:
        return {
            r[0]
            for r in db.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = ?",
                (table,),
            )
        }

    def _connect(self):
        try:
            given = self._psycopg.conninfo.conninfo_to_dict(self.url)
            return self._psycopg.connect(
                self.url,
                autocommit=True,
                **{k: v for k, v in NETWORK_DEFAULTS.items() if k not in given},
                # text as UTF-8 whatever the database's encoding: in SQL_ASCII (initdb's in
                # the C locale) psycopg gave bytes, and a second serve took the store's
                # tables for another program's (a traceback)
                client_encoding="utf8",
            )
        except self._psycopg.Error as error:
            raise StoreError(  # libpq adds its hint on a line of its own: one line here
                f"cannot reach the PostgreSQL store {shown_url(self.url)!r}: {one_line(error)}"
            ) from None

    def db(self) -> _Db:
        if self.closed:
            raise self._closed_error()
        db = getattr(self._local, "db", None)
        losses = self._losses
        if db is None or db.conn.closed or db.conn.broken or db.losses != losses:
            if db is not None:  # a lost server: connect again
                self._forget(db)
                db.close()
            db = _Db(self._connect(), self, losses)
            self._remember(db)
            self._local.db = db
        return db

    def close(self) -> None:
        """Also ends this process's LISTEN thread, before its connections are closed (they
        were closed first, so one could go under its acknowledgement of a change): told
        on its own channel (it waits for a notification), or it sees the store closed when
        it tries to connect again."""
        listener = self._listener
        if listener is not None and listener.is_alive() and not self.closed:
            with contextlib.suppress(self._psycopg.Error, StoreError):
                self.db().execute("SELECT pg_notify(?, ?)", (CHANNEL, f"stop:{self.replica}"))
        self.closed = True  # a listener reconnecting stops
        if listener is not None and listener is not threading.current_thread():
            listener.join(LISTEN_STOP_WAIT)
        super().close()

    def problem(self) -> str | None:
        return self._problem or self.unwritten

    def write(self, *, heartbeat: bool = False) -> _Write:
        return _Write(self, self.db(), proves=not heartbeat)

    def read(self):
        return _Transaction(self.db(), "BEGIN ISOLATION LEVEL REPEATABLE READ")

    def change_number(self) -> int:
        return self._change

    def sync_number(self) -> int:
        return self._sync

    def bump(self, db: _Db) -> None:
        n = db.execute("UPDATE change SET n = n + 1 RETURNING n").fetchone()[0]
        db.execute("SELECT pg_notify(?, ?)", (CHANNEL, f"change:{n}"))  # sent at commit
        db.changed_to = n
        self._change = max(self._change, n)

    def ask_sync(self) -> int:
        with self.write() as db:
            n = db.execute("UPDATE sync SET n = n + 1 RETURNING n").fetchone()[0]
            db.execute("SELECT pg_notify(?, ?)", (CHANNEL, f"sync:{n}"))
        self._sync = max(self._sync, n)
        return n

    def _read_numbers(self, db: _Db) -> None:
        self._change = max(self._change, db.execute("SELECT n FROM change").fetchone()[0])
        self._sync = max(self._sync, db.execute("SELECT n FROM sync").fetchone()[0])

    # -- the worker's LISTEN thread -----------------------------------------------------

    def start(self) -> None:
        with self._start_slot:
            if self._listener_pid == os.getpid():
                return
            done = threading.Event()
            self._listener = threading.Thread(
                target=self._listen, args=(done,), name="magda-kbi-listen", daemon=True
            )
            self._listener.start()
            done.wait(10)
            self._listener_pid = os.getpid()

    def _listen(self, done: threading.Event) -> None:
        while not self.closed:
            try:
                conn = self._connect()
                try:
                    self._listen_on(conn, done)
                finally:  # closed however it ends (not psycopg's "with": no rollback to log)
                    close_quietly(conn, self._psycopg.Error)
                return  # told to stop
            except (self._psycopg.Error, StoreError) as error:
                if self.closed:
                    return
                self._losses += 1
                # (not "{one_line(error) or error!r}": !r took the whole expression, and the
                # reason was a repr, quotes and backslashes)
                self._problem = f"PostgreSQL cannot be reached: {one_line(error) or repr(error)}"
                done.set()
                time.sleep(0.5)  # the server restarted or the network broke: again

    def _listen_on(self, conn, done: threading.Event) -> None:
        """Until told to stop on the channel (returns) or the connection fails (raises)."""
        conn.execute(f"LISTEN {CHANNEL}")
        self._read_numbers(_Db(conn, self))  # what changed before LISTEN took effect
        self._problem = None
        done.set()
        for message in conn.notifies():
            kind, _, value = message.payload.partition(":")
            if kind == "change":
                self._change = max(self._change, int(value))
                # on this thread's other connection: the LISTEN one is busy
                self.db().execute(
                    "UPDATE replica SET change_ack = GREATEST(change_ack, ?) WHERE id = ?",
                    (int(value), self.replica),
                )
            elif kind == "sync":
                self._sync = max(self._sync, int(value))
            elif kind == "stop" and value == self.replica:  # close(): this store's own
                return

    def wait_for_replicas(self, n: int) -> None:
        """Until every live worker (heartbeat within 2 s) acknowledged change ``n``."""
        end = time.monotonic() + SYNC_TIMEOUT
        while time.monotonic() < end:
            waiting = (
                self.db()
                .execute(
                    "SELECT COUNT(*) FROM replica WHERE heartbeat > ? AND change_ack < ? "
                    "AND id != ?",
                    (time.time() - DEAD_AFTER, n, self.replica),
                )
                .fetchone()[0]
            )
            if not waiting:
                return
            time.sleep(0.002)
