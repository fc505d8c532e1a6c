"""Runtime state in the SQLite store: the admin tests again, against a store-backed
emulator; then the real server with several workers, and two servers sharing one store."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import requests

from magda_kbi.adapters.app import Settings, make_emulator
from magda_kbi.adapters.pytest_plugin import MagdaEmulator, _Server
from magda_kbi.runtime.faults import FaultKind
from magda_kbi.runtime.store import SqliteStore, StoreError, open_store

from .cli_run import magda_kbi
from .conftest import Server, serve_on_a_tmpfs
from .processes import (
    a_uid_no_one_has,
    alive,
    as_another_user,
    children,
    fill,
    free_port,
    open_files,
    within,
)
from .soap import (
    PATH_ADVIES,
    PATH_DOSSIER_02,
    advies_verzoek,
    dossier_verzoek,
    post,
    wsgi_environ,
)
from .test_admin import *  # noqa: F403 - the same behaviour, state in the store


@pytest.fixture
def runtime_store(tmp_path) -> dict:
    return {"store": f"sqlite:///{tmp_path / 'state.db'}"}


@pytest.fixture(scope="module")
def magda_server(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'state.db'}"
    server = _Server(make_emulator(Settings(admin=True, store=url)))
    try:
        yield MagdaEmulator(server.url)
    finally:
        server.stop()


def dossier(url: str, insz: str = "73680599786") -> bytes:
    antwoord = requests.post(
        url + PATH_DOSSIER_02,
        data=dossier_verzoek(insz, "02.00"),
        headers={"Content-Type": "text/xml; charset=utf-8"},
        timeout=10,
    )
    return antwoord.content


JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def two_workers():
    s = Server("--admin", "--workers", "2", "--today", "2025-06-01")
    # /health answers as soon as one worker listens; the tests need both (on a busy machine
    # the second one starts later and the first would take every connection meanwhile).
    until = time.monotonic() + 30
    while time.monotonic() < until:
        dossier(s.url)
        journal = requests.get(f"{s.url}/admin/journal", timeout=5).json()["entries"]
        if len({e["replica"] for e in journal}) == 2:
            break
    requests.post(f"{s.url}/admin/reset", headers=JSON, timeout=5)
    yield s
    s.stop()


def test_admin_with_two_workers_every_change_holds_for_every_later_request(two_workers):
    url = two_workers.url
    requests.put(f"{url}/admin/clock", json={"today": "2024-02-03"}, headers=JSON, timeout=5)
    vandaag = {requests.get(f"{url}/health", timeout=5).json()["today"] for _ in range(30)}
    assert vandaag == {"2024-02-03"}
    requests.post(
        f"{url}/admin/faults", json={"kind": "99996", "count": 3}, headers=JSON, timeout=5
    )
    hit = [b"<Identificatie>99996</Identificatie>" in dossier(url) for _ in range(20)]
    assert hit == [True] * 3 + [False] * 17  # exactly 3, over both workers
    journal = requests.get(f"{url}/admin/journal", timeout=5).json()["entries"]
    assert len(journal) == 20  # every call of both workers, right after the calls returned
    assert len({e["replica"] for e in journal}) == 2
    assert requests.post(f"{url}/admin/reset", headers=JSON, timeout=5).status_code == 200
    assert requests.get(f"{url}/health", timeout=5).json()["today"] == "2025-06-01"
    assert requests.get(f"{url}/admin/journal", timeout=5).json()["entries"] == []


def test_a_persona_put_through_one_worker_is_served_by_all(two_workers):
    url = two_workers.url
    from .test_admin import NEW

    antwoord = requests.put(f"{url}/admin/personas/{NEW['insz']}", json=NEW, timeout=5)
    assert antwoord.status_code == 201
    for _ in range(20):
        assert b"Nadzialek" in dossier(url, NEW["insz"])
    requests.post(f"{url}/admin/reset", headers=JSON, timeout=5)
    for _ in range(10):
        assert b"<Identificatie>30001</Identificatie>" in dossier(url, NEW["insz"])


def a_change_an_older_replica_made_is_listed_last(url: str) -> None:
    """``url``: a new store. An emulator of store version 2 still running beside a newer one
    (replicas upgraded one by one) writes a persona change without its place (``added``):
    it is the latest change, listed last, in SQLite as in PostgreSQL (SQLite listed it
    first: its ORDER BY puts NULL first, PostgreSQL's last)."""
    from werkzeug.test import Client

    emulator = make_emulator(Settings(admin=True, store=url))
    try:
        client = Client(emulator)
        for insz in ("69611997144", "98652505064", "46670184179"):
            persona = {"insz": insz, "scenario": "added at runtime", "naam": "Ann Peeters"}
            answer = client.put(f"/admin/personas/{insz}", json=persona, headers=JSON)
            assert answer.status_code == 201
        store = emulator.runtime.store
        with store.write() as db:  # the row version 2's upsert leaves: no added
            db.execute("UPDATE persona SET added = NULL WHERE insz = '69611997144'")
            store.bump(db)
        listed = [p["insz"] for p in client.get("/admin/personas").get_json()]
        assert listed[-3:] == ["98652505064", "46670184179", "69611997144"]
    finally:
        emulator.close()


def test_a_change_an_older_replica_made_is_listed_last(tmp_path):
    a_change_an_older_replica_made_is_listed_last(f"sqlite:///{tmp_path / 'v2-beside.db'}")


def test_two_servers_share_one_store(tmp_path):
    store = f"sqlite:///{tmp_path / 'gedeeld.db'}"
    a = Server("--admin", "--store", store, "--today", "2025-06-01")
    b = Server("--admin", "--store", store, "--today", "2025-06-01")
    try:
        requests.put(f"{a.url}/admin/clock", json={"today": "2023-03-04"}, headers=JSON, timeout=5)
        assert requests.get(f"{b.url}/health", timeout=5).json()["today"] == "2023-03-04"
        dossier(a.url)
        dossier(b.url)
        for server in (a, b):  # each sees the calls of both
            journal = requests.get(f"{server.url}/admin/journal", timeout=5).json()["entries"]
            assert len(journal) == 2
    finally:
        a.stop()
        b.stop()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("mysql://x", "is no store URL"),
        ("sqlite:////nonexistent-folder/x.db", "no folder"),
    ],
)
def test_a_bad_store_stops_start_up_with_one_line(value, message):
    assert message in serve_refusal(value)


def test_a_store_file_sqlite_cannot_use_is_named_with_why(tmp_path):
    """serve, export and generate said only "--store: file is not a database" or "--store:
    unable to open database file": not which file (a store given in a config, a typo)."""
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database, some other program's file\n")
    with pytest.raises(StoreError) as refused:
        open_store(f"sqlite:///{notes}")
    assert str(refused.value) == f"cannot open the SQLite store {notes}: file is not a database"
    assert notes.read_text() == "not a database, some other program's file\n"  # untouched
    with pytest.raises(StoreError) as refused:
        open_store("sqlite:////proc/magda-kbi.db")  # a folder no file can be made in
    assert str(refused.value) == (
        "cannot open the SQLite store /proc/magda-kbi.db: unable to open database file"
    )


def test_a_new_store_file_opened_by_two_at_once_waits_for_the_other(tmp_path):
    """Two serves starting at once on a new store file (a shared --store, the cache's
    catalogue of the same files): one of them stopped with "database is locked", at once
    (SQLite's change to WAL does not wait as its other locks do). Now it waits while
    another connection writes the new file, then opens it."""
    import sqlite3
    import threading

    from magda_kbi.runtime.store import SCHEMA, SCHEMA_VERSION

    path = tmp_path / "store.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # the other serve makes the store: the file is new
    for statement in (s for s in SCHEMA.split(";") if s.strip()):
        other.execute(statement)
    other.execute("INSERT INTO store_version (id, n) VALUES (1, ?)", (SCHEMA_VERSION,))
    threading.Timer(0.5, lambda: other.execute("COMMIT")).start()
    begin = time.monotonic()
    store = open_store(f"sqlite:///{path}")
    assert time.monotonic() - begin >= 0.4  # it waited for the other's write
    with store.write() as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other.close()
    store.close()


def test_a_percent_encoded_store_path_is_told_it_is_read_as_written(tmp_path):
    """A URL's %20 for a space: "no folder .../my%20dir" said no more, with the folder there
    (the path is taken as written, so a '%' in a file name stays one)."""
    (tmp_path / "my dir").mkdir()
    with pytest.raises(StoreError) as error:
        open_store(f"sqlite:///{tmp_path}/my%20dir/state.db")
    assert str(error.value) == (
        f"no folder {tmp_path}/my%20dir for the store 'sqlite:///{tmp_path}/my%20dir/state.db'"
        f" (the path is read as written, not %-decoded: {tmp_path}/my dir is there)"
    )
    open_store(f"sqlite:///{tmp_path}/my dir/state.db").close()  # as written: taken


def test_a_folder_as_the_store_file_is_said(tmp_path):
    """SQLite said only "unable to open database file" (serve shows this message as the
    others above)."""
    with pytest.raises(StoreError) as error:
        open_store(f"sqlite:///{tmp_path}")
    assert str(error.value) == (
        f"{tmp_path} is a folder: give a file in it (sqlite:///{tmp_path / 'store.db'})"
    )


def test_a_device_or_a_pipe_as_the_store_file_is_refused_and_nothing_made_beside_it(tmp_path):
    """sqlite:////dev/null said "disk I/O error", and run as root it had made
    /dev/null-journal first. A FIFO stands in for the device."""
    import os

    fifo = tmp_path / "pijp"
    os.mkfifo(fifo)
    with pytest.raises(StoreError) as error:
        open_store(f"sqlite:///{fifo}")
    assert str(error.value) == f"{fifo} is no file (a device or a pipe): give a file"
    assert [p.name for p in tmp_path.iterdir()] == ["pijp"]


def serve_refusal(store: str) -> str:
    """``serve --store STORE`` refuses to start: exit 2 and no traceback; what it said."""
    result = subprocess.run(
        [sys.executable, "-m", "magda_kbi", "serve", "--port", str(free_port())]
        + ["--store", store],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    return result.stderr


def test_another_program_s_database_is_refused_and_left_as_it_was(tmp_path):
    """A SQLite file that holds another program's tables got the emulator's tables made in
    it (and was turned to WAL mode), by serve and generate alike."""
    foreign = tmp_path / "app.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE klant (id INTEGER PRIMARY KEY, naam TEXT)")
        db.execute("INSERT INTO klant VALUES (1, 'Janssens')")
    db.close()
    before = foreign.read_bytes()
    said = (
        f"sqlite:///{foreign} holds other tables (klant) and no emulator store: give a new "
        "SQLite file, or a database (a PostgreSQL schema) of its own"
    )
    assert said in serve_refusal(f"sqlite:///{foreign}")
    generated = magda_kbi("generate", "--count", "2", "--store", f"sqlite:///{foreign}")
    # said alone: "generating personas" came first, the store opened after the bar started
    assert (generated.returncode, generated.stderr) == (2, f"magda-kbi: --store: {said}\n")
    with pytest.raises(StoreError) as refused:
        open_store(f"sqlite:///{foreign}")
    assert str(refused.value) == said
    assert foreign.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db"]  # no -wal, no .change
    # an empty file is a new store's, as a missing one is
    (tmp_path / "empty.db").write_bytes(b"")
    open_store(f"sqlite:///{tmp_path / 'empty.db'}").close()


def test_the_run_s_store_folder_goes_and_a_killed_serve_s_too(tmp_path, monkeypatch):
    """serve removes its run's store at exit; one left by a serve killed with kill -9 is
    removed by the next serve, one of a serve that still runs is not. Nor one whose serve
    runs where its pid is not seen (another container sharing /tmp): it was removed from
    under it, as its pid looked dead here. A serve holds a lock in its folder now."""
    import fcntl

    ready = subprocess.Popen([sys.executable, "-c", "pass"])
    ready.wait()
    orphaned = tmp_path / f"magda-kbi-store-{ready.pid}-old"
    alive = tmp_path / f"magda-kbi-store-{os.getpid()}-live"
    elsewhere = tmp_path / f"magda-kbi-store-{ready.pid}-elsewhere"  # its pid: dead here
    # names no serve makes, in a /tmp anyone writes: each stopped every serve's start with a
    # traceback (int('²'): ValueError; os.kill of a pid past C's long: OverflowError)
    foreign = [tmp_path / f"magda-kbi-store-{pid}-x" for pid in ("\u00b2", "9" * 20)]
    for folder in (orphaned, alive, elsewhere, *foreign):
        folder.mkdir()
        (folder / "state.db").write_bytes(b"")
    (orphaned / "serve.lock").write_bytes(b"")  # a lock file no one holds: a killed serve's
    held = (elsewhere / "serve.lock").open("a")
    fcntl.flock(held, fcntl.LOCK_EX)  # as that serve holds it
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    try:
        s = Server("--today", "2025-06-01")
        try:
            assert not orphaned.exists()
            assert alive.exists() and elsewhere.exists()
            assert all(folder.exists() for folder in foreign)
            own = list(tmp_path.glob(f"magda-kbi-store-{s.process.pid}-*"))
            assert len(own) == 1 and (own[0] / "state.db").exists()
            other = (own[0] / "serve.lock").open("a")
            with other, pytest.raises(BlockingIOError):  # held while it runs
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            s.stop()
    finally:
        held.close()
    assert not own[0].exists()


def test_another_user_s_store_folder_is_left_alone(monkeypatch):
    """/tmp is everyone's: a store folder of another user's serve (root's, a colleague's)
    that this user may not look into stopped every serve of this user at its start, with a
    traceback (PermissionError, looking for the folder's state.db)."""
    import fcntl  # noqa: F401 - imported now: the other user cannot read this Python's files
    import importlib
    import shutil
    import tempfile

    serve_module = importlib.import_module("magda_kbi.adapters.cli.serve")
    base = Path(tempfile.mkdtemp(prefix="magda-kbi-test-"))  # not below pytest's 0700 folder
    try:
        base.chmod(0o755)
        theirs = base / "magda-kbi-store-1-x"  # pid 1: looks alive, if it were looked at
        theirs.mkdir(mode=0o700)
        (theirs / "state.db").write_bytes(b"")

        def prune() -> None:
            tempfile.tempdir = str(base)
            serve_module._remove_orphaned_stores()

        if os.geteuid() == 0:  # root may look anywhere: the job runs as a user who may not
            said = as_another_user(a_uid_no_one_has(), prune)
        else:  # a folder of one's own that one may not look into either
            theirs.chmod(0)
            monkeypatch.setattr(tempfile, "tempdir", str(base))
            try:
                said = ""
                serve_module._remove_orphaned_stores()
            finally:
                theirs.chmod(0o700)
        assert not said, said
        assert (theirs / "state.db").exists()
    finally:
        shutil.rmtree(base)


def test_an_export_reads_a_store_this_user_cannot_write_and_serve_is_told_why():
    """SQLite writes beside a store even to read it (its -wal and -shm): a store on a
    read-only file system, or in the folder of another user's serve, was refused to an
    export too (since 478a685 saying so, and to copy the file: unsafe while serve writes it).
    Now an export reads it where it is: one in use (a serve holding it, its -wal and -shm
    there) read-only, its reads consistent while serve writes; one that no process has open
    as it stands. serve and generate, which write, are told which folder is not writable;
    so is an export of a store of an older version (it would have to bring it up to date),
    and a new store there cannot be made."""
    import shutil
    import tempfile

    from magda_kbi.runtime.catalogue import Catalogue

    base = Path(tempfile.mkdtemp(prefix="magda-kbi-test-"))  # not below pytest's 0700 folder
    try:
        base.chmod(0o755)
        url = f"sqlite:///{base / 'theirs.db'}"
        assert magda_kbi("generate", "--count", "20", "--seed", "3", "--store", url).returncode == 0
        (base / "theirs.db").chmod(0o644)

        def by_a_user_who_may_not_write(job) -> str:
            """What ``job`` raised ("" if nothing), run by a user who may not write in
            ``base``: as root, another user (as_another_user imports nothing new: ``job``
            runs once as root first); else this user, ``base`` made read-only."""
            if os.geteuid() == 0:
                return as_another_user(a_uid_no_one_has(), job)
            base.chmod(0o555)
            (base / "theirs.db").chmod(0o444)
            try:
                job()
            except Exception as error:  # noqa: BLE001 - said as the traceback's last line
                return f"{type(error).__module__}.{type(error).__name__}: {error}"
            finally:
                base.chmod(0o755)
                (base / "theirs.db").chmod(0o644)
            return ""

        def export(count: int):
            def job() -> None:
                store = open_store(url, existing=True)
                try:
                    assert len(list(Catalogue(store).values())) == count
                finally:
                    store.close()

            return job

        export(20)()
        before = (base / "theirs.db").read_bytes()
        assert by_a_user_who_may_not_write(export(20)) == ""  # no process has it open
        assert (base / "theirs.db").read_bytes() == before
        assert sorted(p.name for p in base.iterdir()) == ["theirs.db", "theirs.db.change"]

        said = by_a_user_who_may_not_write(lambda: SqliteStore(url))  # serve's, generate's
        assert (
            f"magda_kbi.runtime.store.StoreError: cannot open the SQLite store {base / 'theirs.db'}"
            f": attempt to write a readonly database: {base} is not writable here (a read-only"
            " file system, or another user's); serve and generate write it, an export reads it"
            " only as it is (of this version, its -shm beside its -wal): copy the file, with"
            " its -wal file if there is one, into a folder of yours\n"
        ) in said + "\n"
        said = by_a_user_who_may_not_write(lambda: SqliteStore(f"sqlite:///{base / 'new.db'}"))
        assert (
            f"magda_kbi.runtime.store.StoreError: cannot make the SQLite store {base / 'new.db'}"
            f": {base} is not writable here (a read-only file system, or another user's)\n"
        ) in said + "\n"

        serving = SqliteStore(url)  # a serve holding it: its -wal and -shm beside it
        try:
            more = magda_kbi("generate", "--count", "5", "--seed", "4", "--store", url)
            assert more.returncode == 0, more.stderr
            assert (base / "theirs.db-wal").exists()
            assert by_a_user_who_may_not_write(export(25)) == ""
            with serving.write() as db:  # a store of an older version
                db.execute("UPDATE store_version SET n = 2")
            said = by_a_user_who_may_not_write(export(25))
            assert f"cannot open the SQLite store {base / 'theirs.db'}" in said
            assert "serve and generate write it, an export reads it only as it is" in said
        finally:
            serving.close()
    finally:
        shutil.rmtree(base)


def test_a_store_read_as_it_stood_that_a_serve_opens_meanwhile_is_said_not_misread(
    tmp_path, monkeypatch
):
    """A store that no process had open is read as it stands (SQLite's immutable read) by
    an export that may not write it; a serve that starts on it during the export may write
    the file under that read. The export's next read says so instead of reading on."""
    from magda_kbi.runtime import store as store_module
    from magda_kbi.runtime.catalogue import Catalogue, StoreUnavailable

    url = f"sqlite:///{tmp_path / 's.db'}"
    assert magda_kbi("generate", "--count", "20", "--seed", "3", "--store", url).returncode == 0
    # this user may not write there (tests/test_store.py and test_cli.py make that for real)
    monkeypatch.setattr(store_module, "writable_here", lambda path: False)
    reading = open_store(url, existing=True)
    try:
        catalogue = Catalogue(reading)
        assert len(list(catalogue.values())) == 20
        serving = SqliteStore(url)  # a serve starts on it
        try:
            with pytest.raises(StoreUnavailable) as said:
                list(catalogue.values())
            assert str(said.value) == (
                f"the SQLite store {tmp_path / 's.db'} was opened by another process while it"
                " was read as it stood: run this again (it then reads it as one in use)"
            )
        finally:
            serving.close()
    finally:
        reading.close()


# The first stores' tables (before the store had a version): the journal entry as one JSON
# text, no change_ack, and fault rows written while the fields had Dutch names.
VERSIE_1 = """
CREATE TABLE change (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
INSERT INTO change VALUES (1, 4);
CREATE TABLE clock (id INTEGER PRIMARY KEY CHECK (id = 1), changed INTEGER NOT NULL, today TEXT);
INSERT INTO clock VALUES (1, 1, '2024-02-03');
CREATE TABLE persona (insz TEXT PRIMARY KEY, data TEXT);
CREATE TABLE fault (id INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL);
CREATE TABLE journal (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT, insz TEXT,
    afzender TEXT, operation TEXT, time TEXT, entry TEXT NOT NULL, request BLOB, reply BLOB);
CREATE TABLE sync (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
INSERT INTO sync VALUES (1, 0);
CREATE TABLE replica (id TEXT PRIMARY KEY, heartbeat REAL NOT NULL, ack INTEGER NOT NULL);
INSERT INTO replica VALUES ('oud:1:abcd', 0, 0);
"""
OLD_FAULT = {"soort": "99996", "dienst": "GeefDossierKBI", "insz": None, "latentie_ms": 0,
                "latentie_max_ms": None, "aantal": 2, "aandeel": None, "toegepast": 1}  # fmt: skip
OLD_RULE = {"time": "2024-02-03T10:00:00.000+00:00", "kind": "call", "endpoint": "/x",
              "operation": "GeefAutomatischAdvies", "afzender": "kbi.test.zorgkas.be",
              "hoedanigheid": "1234", "insz": "98630499724", "referte": "r-1", "result": "OK",
              "status": 200, "latency_ms": 1.5, "rule": "rule 9: trajectory running"}  # fmt: skip


def version_of(path) -> int:
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT n FROM store_version").fetchone()[0]


def test_a_new_store_records_the_version_of_its_tables(tmp_path):
    SqliteStore(f"sqlite:///{tmp_path / 'nieuw.db'}").close()
    assert version_of(tmp_path / "nieuw.db") == 3


def test_a_table_or_index_missing_from_a_store_of_this_version_is_made(tmp_path):
    """A store of this version that has every table and index is opened without making any
    (a PostgreSQL role that may not create them serves it); one that lacks some (a table
    added to the schema since it was made) gets them."""
    import sqlite3

    path = tmp_path / "s.db"
    SqliteStore(f"sqlite:///{path}").close()
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("DROP INDEX catalogue_order")
        db.execute("DROP TABLE catalogue_refused")
    SqliteStore(f"sqlite:///{path}").close()
    with contextlib.closing(sqlite3.connect(path)) as db:
        made = db.execute(
            "SELECT type, name FROM sqlite_master WHERE name IN "
            "('catalogue_order', 'catalogue_refused') ORDER BY name"
        ).fetchall()
    assert made == [("index", "catalogue_order"), ("table", "catalogue_refused")]


def test_a_store_of_the_first_version_is_brought_up_to_date(tmp_path):
    """A store kept across an upgrade: its rows read as the emulator of today writes them."""
    import sqlite3

    path = tmp_path / "oud.db"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executescript(VERSIE_1)
        db.execute("INSERT INTO fault (data) VALUES (?)", (json.dumps(OLD_FAULT),))
        db.execute(
            "INSERT INTO journal (kind, insz, afzender, operation, time, entry, request, reply) "
            "VALUES ('call', '98630499724', 'kbi.test.zorgkas.be', 'GeefAutomatischAdvies', "
            "?, ?, ?, ?)",
            (OLD_RULE["time"], json.dumps(OLD_RULE), b"<verzoek/>", b"<antwoord/>"),
        )
        db.commit()
    app = make_emulator(Settings(admin=True, store=f"sqlite:///{path}"))
    assert version_of(path) == 3
    (fault,) = app.runtime.faults.all()
    assert (fault.kind, fault.service, fault.count, fault.applied) == (
        FaultKind.TE_VEEL_BEVRAGINGEN,
        "GeefDossierKBI",
        2,
        1,
    )
    assert app.runtime.clock.today() == date(2024, 2, 3)
    (regel,) = app.runtime.journal.read()
    assert {k: v for k, v in regel.as_json().items() if k not in ("id", "replica")} == OLD_RULE
    assert (regel.request, regel.reply) == (b"<verzoek/>", b"<antwoord/>")
    # and it works as a store of today: a call is journaled beside the old entry
    body = advies_verzoek("98630499724", "2024-01-01")
    b"".join(app(wsgi_environ(PATH_ADVIES, body), lambda *a: None))
    assert [r.result for r in app.runtime.journal.read()] == ["OK", "OK"]  # the fixture says OK
    app.close()
    SqliteStore(f"sqlite:///{path}").close()  # opened again: nothing more to do
    assert version_of(path) == 3


def test_a_store_of_a_newer_emulator_is_refused_with_one_line(tmp_path):
    import sqlite3

    path = tmp_path / "nieuwer.db"
    SqliteStore(f"sqlite:///{path}").close()
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("UPDATE store_version SET n = 4")
        db.commit()
    with pytest.raises(StoreError, match="has its tables in version 4; this emulator"):
        SqliteStore(f"sqlite:///{path}")
    message = serve_refusal(f"sqlite:///{path}")
    assert "knows versions up to 3: use the newer magda-kbi that wrote it" in message
    assert version_of(path) == 4  # left as it was


def test_a_forked_child_is_its_own_replica(tmp_path):
    """The replica id is kept per process (no system call per journaled call) and a forked
    worker still gets its own. Forked in a fresh single-threaded process: forking this test
    process (xdist's threads) could deadlock, and Python 3.12+ warns of it."""
    script = f"""
import json, os
from magda_kbi.runtime.store import SqliteStore
store = SqliteStore("sqlite:///{tmp_path / "state.db"}")
ouder = store.replica
lezen, schrijven = os.pipe()
kind = os.fork()
if kind == 0:
    os.write(schrijven, store.replica.encode())
    os._exit(0)
os.waitpid(kind, 0)
print(json.dumps([os.getpid(), ouder, kind, os.read(lezen, 200).decode(), store.replica]))
"""
    result = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    pid, older, kind, van_kind, afterwards = json.loads(result.stdout)
    assert older.split(":")[1] == str(pid)
    assert van_kind.split(":")[1] == str(kind)
    assert afterwards == older


def test_a_store_with_a_journal_takes_large_pages_a_catalogue_alone_small_ones(tmp_path):
    import sqlite3

    from magda_kbi.runtime.store import open_store

    open_store(f"sqlite:///{tmp_path / 'staat.db'}").close()
    open_store(f"sqlite:///{tmp_path / 'catalogus.db'}", catalogue_only=True).close()
    for naam, size in (("staat.db", 65536), ("catalogus.db", 4096)):
        with contextlib.closing(sqlite3.connect(tmp_path / naam)) as db:
            assert db.execute("PRAGMA page_size").fetchone()[0] == size


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://kbi:geheim@db.test:5432/kbi", "postgresql://kbi:***@db.test:5432/kbi"),
        ("postgres://u:p%40ss@h/db", "postgres://u:***@h/db"),
        ("postgresql://:geheim@h/db", "postgresql://:***@h/db"),
        (
            "postgresql://h/db?user=a&password=geheim&sslmode=require",
            "postgresql://h/db?user=a&password=***&sslmode=require",
        ),
        ("postgresql://kbi@h/db", "postgresql://kbi@h/db"),
        ("sqlite:////tmp/state.db", "sqlite:////tmp/state.db"),
        ("sqlite:///state.db", "sqlite:///state.db"),
        ("mysql://u:geheim@h/db", "mysql://u:***@h/db"),
    ],
)
def test_a_store_url_is_shown_without_its_password(url, shown):
    from magda_kbi.runtime.store import shown_url

    assert shown_url(url) == shown


def test_a_refused_store_url_is_shown_without_its_password():
    message = serve_refusal("mysql://u:geheim-wachtwoord@h/db")
    assert "geheim-wachtwoord" not in message and "'mysql://u:***@h/db' is no store URL" in message


def test_a_stored_persona_the_contract_now_refuses_is_served_and_said(tmp_path, caplog):
    """The admin API checks a persona against the contract of its day; a store kept across
    an upgrade may hold one the stricter contract refuses (a birth year in the 3000s, taken
    before the real DatumType's pattern). Served as stored, nothing dropped, and said."""
    import logging
    import sqlite3

    path = tmp_path / "oud.db"
    make_emulator(Settings(admin=True, store=f"sqlite:///{path}")).close()  # the store's tables
    old = {
        "insz": "80651338304",
        "scenario": "taken by an older emulator",
        "dossier": {"personalia": {"achternamen": ["Nadzialek"], "geboortedatum": "3000-05-13"}},
    }
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute(
            "INSERT INTO persona (insz, data) VALUES (?, ?)", ("80651338304", json.dumps(old))
        )
        db.execute("UPDATE change SET n = n + 1")
    with caplog.at_level(logging.WARNING, logger="magda_kbi.runtime.store"):
        app = make_emulator(Settings(admin=True, store=f"sqlite:///{path}"))
        body = dossier_verzoek("80651338304", "02.00")
        antwoord = b"".join(app(wsgi_environ(PATH_DOSSIER_02, body), lambda *a: None))
    app.close()
    assert b"<Geboortedatum>3000-05-13</Geboortedatum>" in antwoord
    (message,) = [r.getMessage() for r in caplog.records if "80651338304" in r.getMessage()]
    assert message.startswith("stored persona 80651338304 does not fit the KBI contract (02.00: ")
    assert "Geboortedatum" in message and "PUT /admin/personas/80651338304" in message


def test_the_journal_of_two_workers_reads_in_the_order_the_calls_came_in(tmp_path):
    """Each worker writes its entries when someone reads the journal, in its own batch: the
    ids followed the batches, so a call that came in first could be read last (a test of
    two calls in a row taking journal()[-1] as the second got the first). Also within one
    millisecond, as two calls on a kept local connection can be."""
    from datetime import UTC, datetime, timedelta

    from magda_kbi.runtime.journal import JournalEntry
    from magda_kbi.runtime.store import SharedJournal

    path = f"sqlite:///{tmp_path}/state.db"
    first, second = open_store(path), open_store(path)
    a, b = SharedJournal(first), SharedJournal(second)
    begin = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)

    def regel(n: int, na_us: int) -> JournalEntry:
        return JournalEntry(
            begin + timedelta(microseconds=na_us),
            f"/call/{n}",
            None,
            None,
            None,
            None,
            None,
            "OK",
            200,
            1.0,
        )

    try:
        b.write(regel(2, 300))  # 0.3 ms after the first call, on the other worker,
        b.flush()  # which writes first
        a.write(regel(1, 0))
        a.flush()
        a.write(regel(3, 900))
        a.flush()
        assert [r.endpoint for r in a.read()] == ["/call/1", "/call/2", "/call/3"]
        assert [r.number for r in a.read()] == [2, 1, 3]  # ids: the order of writing
    finally:
        first.close()
        second.close()


def test_a_worker_idle_for_a_while_still_gives_its_entries_to_a_read(tmp_path, monkeypatch):
    """A worker that has seen no call and no read for IDLE_AFTER looks at the sync number
    less often (an idle serve woke each worker 100 times a second): a read still waits for
    it and gets what it queued, whether it is idle or in use again."""
    from datetime import UTC, datetime

    from magda_kbi.runtime import store as store_module
    from magda_kbi.runtime.journal import JournalEntry
    from magda_kbi.runtime.store import SharedJournal

    monkeypatch.setattr(store_module, "IDLE_AFTER", 0.05)  # idle after 50 ms, not a second
    url = f"sqlite:///{tmp_path}/state.db"
    reader_store, idle_store = open_store(url), open_store(url)
    reader, idle = SharedJournal(reader_store), SharedJournal(idle_store)

    def call(path: str) -> JournalEntry:
        return JournalEntry(datetime.now(UTC), path, None, None, None, None, None, "OK", 200, 1.0)

    try:
        idle.write(call("/before-idle"))
        time.sleep(0.3)  # its writer is idle now: IDLE_INTERVAL between looks
        assert [r.endpoint for r in reader.read()] == ["/before-idle"]
        time.sleep(0.3)
        idle.write(call("/after-idle"))
        assert [r.endpoint for r in reader.read()] == ["/before-idle", "/after-idle"]
    finally:
        reader_store.close()
        idle_store.close()


def _open_files(path) -> int:
    """How many of this process's descriptors have ``path`` open."""
    return open_files().count(str(path))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files in /proc")
def test_a_stopped_emulator_leaves_its_store_file_closed_and_no_thread(tmp_path):
    """The plugin's server stopped: every connection its emulator made to the store file is
    closed, in whichever thread it was made, and its journal writer thread ended (they
    stayed open, and the thread kept writing its heartbeat, until the process ended)."""
    import threading

    path = tmp_path / "state.db"
    before = set(threading.enumerate())
    server = _Server(make_emulator(Settings(admin=True, store=f"sqlite:///{path}")))
    try:
        calls_on_threads_of_their_own(server.url)
        assert _open_files(path) >= 2  # the writer thread's and this thread's at least
    finally:
        server.stop()
    assert _open_files(path) == 0
    assert threads_left(before) == []


def calls_on_threads_of_their_own(url: str) -> None:
    """Admin calls that write to the store and read it, each on a thread of its own (the
    plugin's server starts one per request)."""
    for day in ("2024-01-01", "2024-01-02"):
        answer = requests.put(f"{url}/admin/clock", json={"today": day}, headers=JSON, timeout=10)
        assert answer.status_code == 200
    assert requests.get(f"{url}/admin/journal", timeout=10).status_code == 200


def threads_left(before: set) -> list[str]:
    """The emulator's threads started since ``before`` that still run."""
    import threading

    started = set(threading.enumerate()) - before
    return [t.name for t in started if t.is_alive() and t.name.startswith("magda-kbi")]


def a_write_under_way_when_the_store_closes_is_committed(url: str) -> None:
    """A transaction on another thread's connection is under way when the store closes (a
    journal write at a worker's stop, an admin call on the plugin's server): the close
    waits for it. It closed the connection under it, and its next statement failed
    (sqlite3's "Cannot operate on a closed database"): what it wrote was lost."""
    import threading

    store = open_store(url)
    begun, failed = threading.Event(), []

    def write() -> None:
        try:
            with store.write() as db:
                db.execute("INSERT INTO fault (data) VALUES ('first')")
                begun.set()
                time.sleep(0.3)  # the close comes now
                db.execute("INSERT INTO fault (data) VALUES ('second')")
        except Exception as error:
            failed.append(error)

    thread = threading.Thread(target=write)
    thread.start()
    assert begun.wait(10)
    store.close()
    thread.join()
    assert failed == []
    again = open_store(url)
    try:
        with again.read() as db:
            rows = db.execute("SELECT data FROM fault ORDER BY id").fetchall()
        assert [r[0] for r in rows] == ["first", "second"]
    finally:
        again.close()


def threads_using_a_closed_store_are_told_it_is_closed(url: str) -> None:
    """Threads reading and writing when the store closes then get the store's "closed",
    never the driver's error about a connection closed under them, nor a crash: with the
    close that closed every connection at once, this crashed Python (SIGSEGV in a COMMIT)
    and PostgreSQL's threads got "connection pointer is NULL"."""
    import threading

    store = open_store(url)
    ended: list[BaseException] = []

    def busy() -> None:
        try:
            while True:
                with store.write() as db:
                    db.execute("INSERT INTO fault (data) VALUES ('x')")
                with store.read() as db:
                    db.execute("SELECT COUNT(*) FROM fault").fetchone()
                store.db().execute("SELECT data FROM fault ORDER BY id DESC LIMIT 5").fetchall()
        except BaseException as error:
            ended.append(error)

    threads = [threading.Thread(target=busy) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    store.close()
    for thread in threads:
        thread.join(10)
    said = [f"{type(e).__name__}: {e}" for e in ended]
    assert len(said) == 4 and all(
        isinstance(e, StoreError) and str(e).endswith(" is closed") for e in ended
    ), said


def test_a_write_under_way_when_the_store_closes_is_committed(tmp_path):
    a_write_under_way_when_the_store_closes_is_committed(f"sqlite:///{tmp_path / 'state.db'}")


def test_threads_using_a_closed_store_are_told_it_is_closed(tmp_path):
    threads_using_a_closed_store_are_told_it_is_closed(f"sqlite:///{tmp_path / 'state.db'}")


def test_a_close_waits_for_a_long_use_a_bounded_time_and_says_so(tmp_path, monkeypatch, caplog):
    """A transaction that outlasts the wait (an export read in one, say) keeps its
    connection open until it ends, and closes it then; the close returns and says so."""
    import threading

    from magda_kbi.runtime import store as store_module

    monkeypatch.setattr(store_module, "CLOSE_WAIT", 0.2)
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    begun, release, failed, used = threading.Event(), threading.Event(), [], []

    def long_read() -> None:
        try:
            with store.read() as db:
                used.append(db)
                begun.set()
                release.wait(10)
                db.execute("SELECT COUNT(*) FROM fault").fetchone()
        except Exception as error:
            failed.append(error)
        try:
            store.db().execute("SELECT 1")
        except StoreError as error:
            failed.append(error)

    thread = threading.Thread(target=long_read, name="long-read")
    thread.start()
    assert begun.wait(10)
    started = time.monotonic()
    store.close()
    took = time.monotonic() - started
    release.set()
    thread.join(10)
    assert 0.15 < took < 2
    assert [str(e).rsplit(" ", 2)[-2:] for e in failed] == [["is", "closed"]]
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        used[0].conn.execute("SELECT 1")  # closed as its transaction ended
    assert (
        "thread long-read was still using its connection after 0.2 s: it is closed as that"
        " use ends" in caplog.text
    )


def test_a_request_to_a_stopped_emulator_gets_a_503(tmp_path):
    """A server that stops after the emulator (the plugin's, with a request still coming)
    called into its closed stores: "mmap closed or invalid" out of the application, a 500
    and a traceback in the log."""
    from werkzeug.test import Client

    emulator = make_emulator(Settings(admin=True, store=f"sqlite:///{tmp_path / 'state.db'}"))
    client = Client(emulator)
    emulator.close()
    for method, path, body in (
        ("GET", "/health", None),
        ("GET", "/api/v1/dossiers/98630499724", None),
        ("POST", PATH_DOSSIER_02, dossier_verzoek("98630499724", "02.00")),
    ):
        answer = client.open(path, method=method, data=body, content_type="text/xml")
        assert (answer.status_code, answer.headers["Retry-After"], answer.data) == (
            503,
            "1",
            b"the emulator has stopped\n",
        )


def test_a_request_under_way_as_the_store_closes_is_answered_or_gets_a_503(tmp_path, caplog):
    """The store closed after the request began: what the worker holds still answers, a
    change that needs the store is a 503 that says why (it was a ValueError out of the
    application: the store's change signal read from its closed map)."""
    from werkzeug.test import Client

    emulator = make_emulator(Settings(admin=True, store=f"sqlite:///{tmp_path / 'state.db'}"))
    try:
        client = Client(emulator)
        emulator.runtime.store.close()
        assert client.get("/api/v1/dossiers/98630499724").status_code == 200
        answer = client.put("/admin/clock", json={"today": "2024-01-01"})
        assert answer.status_code == 503
        assert answer.json["code"] == "STORE_UNAVAILABLE"
        assert answer.json["diagnose"] == (
            f"the emulator is stopping: the store sqlite:///{tmp_path / 'state.db'} is closed"
        )
        assert "cannot be reached" not in caplog.text  # not lost: it stops
    finally:
        emulator.close()


def test_a_thread_s_connection_is_closed_once_the_thread_ended(tmp_path):
    """A server that starts a thread per request made a connection per request, left to the
    garbage collector when its thread ended; the store closes them itself."""
    import threading

    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    made = []
    thread = threading.Thread(target=lambda: made.append(store.db()))
    thread.start()
    thread.join()
    try:
        made[0].execute("SELECT 1")  # still open: the thread ended a moment ago
        other = threading.Thread(target=store.db)  # the next thread's connection
        other.start()
        other.join()
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            made[0].conn.execute("SELECT 1")  # SQLite's own connection
        with pytest.raises(StoreError, match="is closed"):
            made[0].execute("SELECT 1")
    finally:
        store.close()
    with pytest.raises(StoreError, match="is closed"):
        store.db()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files in /proc")
def test_an_emulator_refused_while_it_is_built_leaves_no_store_open(tmp_path):
    """A bad consumers file found after the catalogue was opened (serve's check at a SIGHUP
    builds one): the catalogue is closed with the refusal, not left to the collector."""
    from magda_kbi.io.schemas import InputError

    catalogue = tmp_path / "catalogue.db"
    consumers = tmp_path / "afnemers.yaml"
    consumers.write_text("afnemers: [{afzender: x}]\n")
    with pytest.raises(InputError):
        make_emulator(Settings(catalogue=f"sqlite:///{catalogue}", consumers=consumers))
    assert catalogue.exists()  # it was opened
    assert _open_files(catalogue) == 0


def test_calls_answered_before_a_sighup_or_a_stop_reach_the_store(tmp_path):
    """A worker keeps its journal entries until someone reads the journal. One replaced by a
    SIGHUP, or stopped with serve, wrote them nowhere: the calls since the last read were
    gone from the store, kept across runs (only an audit log had them). A worker writes what
    it holds as it stops."""
    import signal

    url = f"sqlite:///{tmp_path / 'state.db'}"
    server = Server("--admin", "--workers", "2", "--store", url)
    try:
        advice_calls(server, 4)
        workers = children(server.process.pid)
        server.process.send_signal(signal.SIGHUP)
        # not read before the old workers are gone: a read makes every worker write its own
        assert within(30, lambda: not alive(workers))
        journal = requests.get(f"{server.url}/admin/journal", timeout=10).json()["entries"]
        assert len(journal) == 4
        advice_calls(server, 3)
    finally:
        server.stop()
    assert journaled_calls(url) == 7


def test_calls_answered_before_serve_was_killed_reach_the_store(tmp_path):
    """A worker whose serve is killed (kill -9) stops on its own, by ``os._exit``: the calls
    it answered since the last journal read were lost from a store kept across runs. It
    writes them before it goes."""
    assert calls_kept_when_serve_is_killed(f"sqlite:///{tmp_path / 'state.db'}", 5) == 5


def calls_kept_when_serve_is_killed(url: str, n: int) -> int:
    """``n`` calls to a serve with the store ``url``, serve killed, its workers gone: the
    calls the store's journal holds."""
    import signal

    server = Server("--workers", "2", "--store", url)
    try:
        advice_calls(server, n)
        workers = children(server.process.pid)
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=5)
        assert within(5, lambda: not alive(workers))
    finally:
        server.stop()
    return journaled_calls(url)


@pytest.mark.parametrize("room_at_stop", [False, True], ids=["full at stop", "room at stop"])
def test_a_full_disk_is_said_in_the_log_and_health_and_the_calls_wait_for_room(
    tmp_path, room_at_stop
):
    """A SQLite store on a full disk: the calls were answered and their journal entries
    waited (as they should), but the log said nothing, ``/health`` said ok and an admin
    change's 503 said the store "cannot be reached". serve runs in a mount namespace of
    its own on a tmpfs of 8 MB, which the test fills through /proc/PID/root. A worker that
    stops while it cannot write says how many entries it could not (it said nothing); one
    whose disk has room again as it stops writes them, though no write succeeded since."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    url = f"sqlite:///{folder / 'state.db'}"
    server = serve_on_a_tmpfs(folder, "--admin", "--store", url, "--today", "2025-06-01")
    full = "the store cannot be written: database or disk is full"
    try:
        seen_from_here = Path(f"/proc/{server.process.pid}/root{folder}")
        fill(seen_from_here / "filler")
        assert list(folder.iterdir()) == []  # the tmpfs is serve's own

        for _ in range(40):  # 13 KB of reply each: more than any room the WAL has left
            answer = post(server.url + PATH_DOSSIER_02, dossier_verzoek("98630499724", "02.00"))
            assert (answer.status, answer.codes()) == (200, [])
        for path, method in (("/admin/journal", "GET"), ("/admin/clock", "PUT")):
            refused = requests.request(
                method, server.url + path, json={"today": "2025-07-01"}, timeout=10
            )
            assert (refused.status_code, refused.json()) == (
                503,
                {"code": "STORE_UNAVAILABLE", "diagnose": full},
            )
        health = requests.get(f"{server.url}/health", timeout=10).json()
        assert (health["status"], health["reason"]) == ("degraded", full)

        (seen_from_here / "filler").unlink()
        assert within(10, lambda: requests.get(f"{server.url}/health").json()["status"] == "ok")
        journal = requests.get(f"{server.url}/admin/journal", timeout=10)
        assert journal.status_code == 200
        assert [e["operation"] for e in journal.json()["entries"]] == ["GeefDossierKBI"] * 40

        fill(seen_from_here / "filler")  # full again, and stopped so: what waits is counted
        for _ in range(3):
            answer = post(server.url + PATH_DOSSIER_02, dossier_verzoek("98630499724", "02.00"))
            assert (answer.status, answer.codes()) == (200, [])
        assert within(10, lambda: requests.get(f"{server.url}/health").json().get("reason"))
        if room_at_stop:
            (seen_from_here / "filler").unlink()
    finally:
        output = server.stop()
    said = [line for line in output.splitlines() if line.startswith(("the store ", "journal "))]
    worker = re.search(r"\(worker (\d+)\)", said[0] if said else "")
    assert worker, output
    cannot = (
        f"the store {url} cannot be written (worker {worker[1]}): database or disk is full; "
        "the calls are answered, their journal entries wait in memory, admin changes are "
        "refused"
    )
    again = f"the store {url} can be written again (worker {worker[1]})"
    last = again if room_at_stop else f"journal entries not written: 3 ({full})"
    assert said == [cannot, again, cannot, last], output


def test_a_sighup_on_a_full_disk_starts_workers_that_serve(tmp_path):
    """The new workers of a SIGHUP on a full disk failed as they registered in the store (a
    traceback each), and serve, every worker failing alike, stopped: a renewed certificate
    or a changed consumers file under --watch stopped the emulator. They serve now, and
    register once the disk has room."""
    import signal

    folder = tmp_path / "small-disk"
    folder.mkdir()
    url = f"sqlite:///{folder / 'state.db'}"
    server = serve_on_a_tmpfs(folder, "--admin", "--store", url, "--today", "2025-06-01")
    try:
        filler = Path(f"/proc/{server.process.pid}/root{folder}") / "filler"
        fill(filler)
        old = children(server.process.pid)
        server.process.send_signal(signal.SIGHUP)
        assert within(30, lambda: not alive(old)), server.output()
        assert server.process.poll() is None, server.output()
        answer = post(server.url + PATH_DOSSIER_02, dossier_verzoek("98630499724", "02.00"))
        assert (answer.status, answer.codes()) == (200, [])
        health = requests.get(f"{server.url}/health", timeout=10).json()
        assert health["status"] == "degraded", health  # the new worker's own registration
        filler.unlink()
        assert within(10, lambda: requests.get(f"{server.url}/health").json()["status"] == "ok")
        journal = requests.get(f"{server.url}/admin/journal", timeout=10).json()["entries"]
        assert [entry["operation"] for entry in journal] == ["GeefDossierKBI"]
    finally:
        output = server.stop()
    assert "Traceback" not in output, output


def test_a_write_on_a_full_disk_fails_with_its_own_error_not_the_rollback_s(tmp_path):
    """SQLite ends a transaction itself when the disk is full; the ROLLBACK after the error
    then failed too, and its "cannot rollback - no transaction is active" was raised in the
    error's place: a SIGHUP refused on a full disk said only that. The file is made full
    here by SQLite's own bound on its pages (max_page_count)."""
    store = SqliteStore(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        db = store.db()
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages + 1}")
        with pytest.raises(sqlite3.OperationalError) as full, store.write() as write:
            for n in range(10):
                write.execute(
                    "INSERT INTO journal (kind, time, request, reply) VALUES ('call', ?, ?, '')",
                    (str(n), "x" * 200_000),
                )
        assert str(full.value) == "database or disk is full"
        assert store.unwritten == "the store cannot be written: database or disk is full"
        db.execute(f"PRAGMA max_page_count = {pages + 1000}")
        with store.write() as write:  # the connection goes on: no transaction left open
            write.execute("UPDATE clock SET changed = 0")
        assert store.unwritten is None
    finally:
        store.close()


def advice_calls(server: Server, n: int) -> None:
    for _ in range(n):
        assert requests.get(f"{server.url}/api/v1/advies/98630499724", timeout=10).ok


def journaled_calls(url: str) -> int:
    """The calls the store's journal holds."""
    store = open_store(url, existing=True)
    try:
        with store.read() as db:
            return db.execute("SELECT COUNT(*) FROM journal WHERE kind = 'call'").fetchone()[0]
    finally:
        store.close()
