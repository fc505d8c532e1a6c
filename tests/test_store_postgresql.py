"""The store in PostgreSQL: the admin tests again against a PostgreSQL-backed emulator,
then two real servers with two workers each sharing one database (replicas)."""

from __future__ import annotations

import os
import time

import pytest
import requests

from magda_kbi.adapters.app import Settings, make_emulator
from magda_kbi.adapters.pytest_plugin import MagdaEmulator, _Server

from .conftest import Server
from .test_admin import *  # noqa: F403 - the same behaviour, state in PostgreSQL
from .test_admin import NEW
from .test_store import (
    JSON,
    OLD_FAULT,
    a_change_an_older_replica_made_is_listed_last,
    a_write_under_way_when_the_store_closes_is_committed,
    calls_kept_when_serve_is_killed,
    calls_on_threads_of_their_own,
    dossier,
    serve_refusal,
    threads_left,
    threads_using_a_closed_store_are_told_it_is_closed,
)

# On one worker: one cluster (session fixture) and one set of servers for the module, not
# one on each xdist worker.
pytestmark = pytest.mark.xdist_group("postgresql")

# what Chromium sends for a page it navigates to
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def runtime_store(postgres) -> dict:
    return {"store": postgres.database()}


@pytest.fixture(scope="module")
def magda_server(postgres):
    server = _Server(make_emulator(Settings(admin=True, store=postgres.database())))
    try:
        yield MagdaEmulator(server.url)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def replicas(postgres):
    """Two serve processes, two workers each, one database: four replicas."""
    store = postgres.database()
    a = Server("--admin", "--workers", "2", "--store", store, "--today", "2025-06-01")
    b = Server("--admin", "--workers", "2", "--store", store, "--today", "2025-06-01")
    yield a, b
    a.stop()
    b.stop()


def test_a_change_through_one_replica_holds_on_every_replica_at_once(replicas):
    a, b = replicas
    for step, (who, another) in enumerate(((a, b), (b, a))):
        day = f"2024-02-0{step + 1}"
        antwoord = requests.put(
            f"{who.url}/admin/clock", json={"today": day}, headers=JSON, timeout=10
        )
        assert antwoord.status_code == 200
        # right after the admin call returned: every request on every replica
        for server in (another, who, another, who, another, who, another, who):
            assert requests.get(f"{server.url}/health", timeout=5).json()["today"] == day
    requests.post(f"{a.url}/admin/reset", headers=JSON, timeout=10)


def test_a_fault_count_is_shared_by_all_replicas(replicas):
    a, b = replicas
    requests.post(
        f"{a.url}/admin/faults", json={"kind": "99996", "count": 5}, headers=JSON, timeout=10
    )
    hit = [
        b"<Identificatie>99996</Identificatie>" in dossier(server.url)
        for _ in range(10)
        for server in (a, b)
    ]
    assert hit == [True] * 5 + [False] * 15
    journal = requests.get(f"{b.url}/admin/journal", timeout=10).json()["entries"]
    assert len(journal) == 20  # the calls of all four workers, from either replica
    assert len({e["replica"] for e in journal}) >= 2
    requests.post(f"{b.url}/admin/reset", headers=JSON, timeout=10)
    assert requests.get(f"{a.url}/admin/journal", timeout=10).json()["entries"] == []


def test_a_persona_put_on_one_replica_is_served_by_the_other(replicas):
    a, b = replicas
    antwoord = requests.put(f"{a.url}/admin/personas/{NEW['insz']}", json=NEW, timeout=10)
    assert antwoord.status_code == 201
    for _ in range(8):
        assert b"Nadzialek" in dossier(b.url, NEW["insz"])
    requests.delete(f"{b.url}/admin/personas/{NEW['insz']}", headers=JSON, timeout=10)
    for _ in range(8):
        assert b"<Identificatie>30001</Identificatie>" in dossier(a.url, NEW["insz"])
    requests.post(f"{a.url}/admin/reset", headers=JSON, timeout=10)


def test_an_unreachable_database_stops_start_up_with_one_line():
    from .processes import free_port

    pytest.importorskip("psycopg")
    message = serve_refusal(f"postgresql://nobody@127.0.0.1:{free_port()}/x")
    assert "cannot reach the PostgreSQL store" in message
    # libpq's hint ("Is the server running ...?") was a second line, with a tab
    assert "\n" not in message.strip() and "Is the server running" in message, message


def test_a_password_in_the_store_url_is_never_printed(postgres):
    """serve's banner and its refusals printed the URL whole: the password went to the
    terminal and into CI logs."""
    from .processes import free_port

    store = postgres.database().replace("//magda@", "//magda:geheim-wachtwoord@")
    s = Server("--store", store)
    output = s.stop()
    assert "geheim-wachtwoord" not in output
    assert f"store: postgresql://magda:***@127.0.0.1:{postgres.port}/" in output
    message = serve_refusal(f"postgresql://nobody:geheim-wachtwoord@127.0.0.1:{free_port()}/x")
    assert "geheim-wachtwoord" not in message
    assert "cannot reach the PostgreSQL store 'postgresql://nobody:***@127.0.0.1:" in message


def test_calls_answered_before_serve_was_killed_reach_postgresql(postgres):
    """As with SQLite (test_store): a worker whose serve was killed writes its entries."""
    assert calls_kept_when_serve_is_killed(postgres.database(), 5) == 5


def test_a_dead_replica_stops_counting(postgres):
    """kill -9 of one serve: the other's admin changes and journal reads still return (they
    wait for live replicas only; a silent one counts no longer after 2 s)."""
    store = postgres.database()
    a = Server("--admin", "--store", store, "--today", "2025-06-01")
    b = Server("--admin", "--store", store, "--today", "2025-06-01")
    try:
        dossier(b.url)
        b.process.kill()
        b.process.wait(timeout=10)
        antwoord = requests.put(
            f"{a.url}/admin/clock", json={"today": "2023-01-01"}, headers=JSON, timeout=15
        )
        assert antwoord.status_code == 200
        journal = requests.get(f"{a.url}/admin/journal", timeout=15)
        assert journal.status_code == 200
        assert requests.get(f"{a.url}/health", timeout=5).json()["today"] == "2023-01-01"
    finally:
        a.stop()
        b.stop()


def test_the_persona_catalogue_is_shared_and_generated_straight_into_it(postgres, tmp_path):
    """generate --store writes into PostgreSQL; two serves on that store serve those
    personas and each other's imported files, and the second start imports nothing."""
    from magda_kbi.runtime.catalogue import Catalogue
    from magda_kbi.runtime.store_postgresql import PostgresStore

    from .cli_run import magda_kbi
    from .test_catalogue import ONE, write_file

    store = postgres.database()
    assert magda_kbi("generate", "--count", "200", "--seed", "3", "--store", store).returncode == 0
    reader = PostgresStore(store)
    try:
        generated = next(p.insz for p in Catalogue(reader).values() if p.dossier)
    finally:
        reader.close()
    extra = tmp_path / "extra"
    write_file(extra, "a.jsonl", ONE)
    a = Server("--store", store, "--fixtures", str(extra))
    b = Server("--store", store, "--fixtures", str(extra))
    try:
        for server in (a, b):
            for insz in (generated, ONE["insz"]):
                r = requests.get(f"{server.url}/api/v1/dossiers/{insz}", timeout=10)
                assert r.status_code == 200 and r.json()["insz"] == insz
        reader = PostgresStore(store)
        try:
            assert len(Catalogue(reader)) > 200
        finally:
            reader.close()
    finally:
        a.stop()
        b.stop()


def test_after_a_lost_server_every_thread_s_connection_is_made_anew():
    """A request thread keeps its connection; one made before the server was lost and not
    used during the loss looked alive after it, and its next request failed (503) though
    the store was back (seen once in a full run: the admin call after the recovery)."""
    import threading

    from magda_kbi.runtime.store_postgresql import PostgresStore

    from .postgres import Cluster
    from .processes import within

    def write_file() -> None:
        with store.write() as db:
            db.execute("UPDATE clock SET changed = 0")

    cluster = Cluster()  # its own: this test stops it
    try:
        store = PostgresStore(cluster.database())
        store.start()  # its LISTEN thread: closed with the store at the end
        # a thread whose connection is made now, then kept (as granian's threads keep theirs)
        work = threading.Event()
        ready = threading.Event()
        errors: list[BaseException] = []

        def thread() -> None:
            write_file()
            ready.set()
            work.wait(60)
            try:
                write_file()
            except BaseException as error:  # handed to the test
                errors.append(error)
            ready.set()

        waiter = threading.Thread(target=thread)
        waiter.start()
        assert ready.wait(30)
        ready.clear()
        cluster.pause()
        assert within(10, lambda: store.problem() is not None)
        with pytest.raises(store.Error):  # lost: a write fails
            write_file()
        cluster.resume()
        assert within(20, lambda: store.problem() is None)
        work.set()
        assert ready.wait(30)
        waiter.join(timeout=30)
        assert errors == []
        store.close()
    finally:
        cluster.stop()


def test_a_lost_network_is_noticed_in_seconds_on_every_connection(postgres):
    """A network partition (a cable, a firewall: nothing answers, nothing resets) went
    unnoticed on the LISTEN connection, idle while it waits, for the OS's two hours before a
    keepalive probe: the replica missed every change and /health said ok; and a query on a
    request's connection waited some fifteen minutes of retransmissions. Every connection
    now probes after 10 s of silence and gives up on what goes unanswered for 30 s (the
    kernel's settings on its socket, read back); what the URL says is kept."""
    import socket

    from magda_kbi.runtime.store_postgresql import PostgresStore

    def probes(conn) -> tuple[int, ...]:
        s = socket.socket(fileno=os.dup(conn.fileno()))
        try:
            return (
                s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
                *(
                    s.getsockopt(socket.IPPROTO_TCP, option)
                    for option in (
                        socket.TCP_KEEPIDLE,
                        socket.TCP_KEEPINTVL,
                        socket.TCP_KEEPCNT,
                        socket.TCP_USER_TIMEOUT,
                    )
                ),
            )
        finally:
            s.close()

    url = postgres.database()
    store = PostgresStore(url)
    assert probes(store.db().conn) == (1, 10, 5, 3, 30_000)
    store.close()
    own = PostgresStore(f"{url}?keepalives_idle=60&tcp_user_timeout=0")
    assert probes(own.db().conn) == (1, 60, 5, 3, 0)
    own.close()


def test_a_server_that_turns_read_only_is_said_in_health_and_the_log_until_it_takes_writes():
    """A PostgreSQL server that takes no writes (a standby after a failover, a full disk):
    the admin call's 503 said "the store cannot be reached", /health said ok and the log
    nothing. Made read-only here for every session (ALTER SYSTEM, reloaded), on a cluster
    of the test's own."""
    import re
    import signal

    import psycopg

    from .cli_run import magda_kbi, magda_kbi_process
    from .postgres import Cluster
    from .processes import alive, children, free_port, within

    def read_only(on: bool) -> None:
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute(f"ALTER SYSTEM SET default_transaction_read_only = {on}")
            conn.execute("SELECT pg_reload_conf()")

    def health() -> dict:
        return requests.get(f"{server.url}/health", timeout=10).json()

    reason = "cannot execute SELECT FOR UPDATE in a read-only transaction"  # (a write's first)
    cluster = Cluster()
    try:
        url = cluster.database()
        server = Server("--admin", "--store", url, "--today", "2025-06-01")
        clock = f"{server.url}/admin/clock"
        try:
            read_only(True)
            assert within(10, lambda: health()["status"] == "degraded"), health()  # heartbeats
            assert health()["reason"] == f"the store cannot be written: {reason}"
            answer = requests.put(clock, json={"today": "2025-07-01"}, headers=JSON, timeout=20)
            assert (answer.status_code, answer.json()) == (
                503,
                {"code": "STORE_UNAVAILABLE", "diagnose": f"the store cannot be written: {reason}"},
            )
            # another serve on it is refused at start (its workers failed, a traceback each)
            refused = magda_kbi_process("serve", "--port", str(free_port()), "--store", url)
            assert (refused.returncode, refused.stderr) == (
                2,
                f"magda-kbi: --store: the PostgreSQL server of {url!r} takes no writes "
                "(read-only: a standby, or default_transaction_read_only): serve and generate "
                "need one that does, the primary\n",
            )
            exported = magda_kbi("export", "verlaagde-premie", "2025", "--store", url)
            assert exported.returncode == 0, exported.stderr  # an export only reads
            # the running serve's new workers (a SIGHUP's) serve from it, as the old ones did
            old = children(server.process.pid)
            server.process.send_signal(signal.SIGHUP)
            assert within(30, lambda: not alive(old)), server.output()
            answer = requests.get(f"{server.url}/api/v1/dossiers/98630499724", timeout=10)
            assert answer.status_code == 200 and server.process.poll() is None, server.output()
            assert within(10, lambda: health()["status"] == "degraded"), health()
            read_only(False)
            answer = requests.put(clock, json={"today": "2025-07-01"}, headers=JSON, timeout=20)
            assert answer.status_code == 200, answer.text
            assert health()["status"] == "ok"
        finally:
            output = server.stop()
    finally:
        cluster.stop()
    said = [line for line in output.splitlines() if line.startswith("the store ")]
    workers = re.findall(r"\(worker (\d+)\)", "\n".join(said))
    assert len(workers) == 3, output  # the first worker's, then its SIGHUP successor's
    assert said == [
        f"the store {url} cannot be written (worker {workers[0]}): {reason}; the calls are "
        "answered, their journal entries wait in memory, admin changes are refused",
        f"the store {url} cannot be written (worker {workers[1]}): {reason}; the calls are "
        "answered, their journal entries wait in memory, admin changes are refused",
        f"the store {url} can be written again (worker {workers[1]})",
    ], output


def test_postgresql_lost_while_running_and_back():
    """The server stops while serve runs: SOAP answers from what the workers have (a persona
    not cached: 99994), /health says degraded and why, admin calls answer 503; when it is
    back, everything works again and nothing journaled before or during the loss is lost."""
    from .postgres import Cluster
    from .soap import PATH_ADVIES, advies_verzoek

    def advies(insz: str) -> requests.Response:
        return requests.post(
            server.url + PATH_ADVIES,
            data=advies_verzoek(insz, "2024-01-01"),
            headers={"Content-Type": "text/xml"},
            timeout=10,
        )

    cluster = Cluster()  # its own: this test stops it
    try:
        store = cluster.database()
        server = Server("--admin", "--store", store, "--today", "2025-06-01")
        try:
            known = advies("73680599786")
            assert b"<Resultaat>NOK</Resultaat>" in known.content
            cluster.pause()
            for _ in range(20):  # the workers notice within a second or so
                health = requests.get(f"{server.url}/health", timeout=10).json()
                if health["status"] == "degraded":
                    break
                time.sleep(0.2)
            assert health["status"] == "degraded" and "PostgreSQL" in health["reason"]
            still = advies("73680599786")
            assert b"<Resultaat>NOK</Resultaat>" in still.content  # cached: answered as before
            unknown = advies("98630499724")
            assert b"<Identificatie>99994</Identificatie>" in unknown.content
            clock = requests.put(
                f"{server.url}/admin/clock", json={"today": "2023-01-01"}, headers=JSON, timeout=20
            )
            assert clock.status_code == 503 and clock.json()["code"] == "STORE_UNAVAILABLE"
            assert clock.headers["Retry-After"] == "1"
            # the libpq's words as they are: they were a Python repr (quotes, backslashes)
            lost = clock.json()["diagnose"]
            assert lost.startswith("PostgreSQL cannot be reached: "), lost
            assert lost[len("PostgreSQL cannot be reached: ")] != "'" and "\\" not in lost, lost
            listing = requests.get(f"{server.url}/api/v1/lijsten/verlaagde-premie/2024", timeout=20)
            assert listing.status_code == 503 and listing.json()["code"] == "STORE_UNAVAILABLE"
            assert listing.headers["Retry-After"] == "1"
            # streamed too: it was a 200 cut off after its "[" (requests: ChunkedEncodingError)
            all_pages = requests.get(f"{server.url}/admin/personas", timeout=20)
            assert all_pages.status_code == 503 and all_pages.json()["code"] == "STORE_UNAVAILABLE"
            # a browser on the console gets the console's page; its script's fetch, JSON
            get_page = requests.get(
                f"{server.url}/console/", headers={"Accept": BROWSER_ACCEPT}, timeout=20
            )
            assert get_page.status_code == 503 and get_page.headers["Retry-After"] == "1"
            assert get_page.headers["Content-Type"].startswith("text/html")
            assert '<p id="error">PostgreSQL cannot be reached: ' in get_page.text
            fetched = requests.get(f"{server.url}/console/", timeout=20)
            assert fetched.status_code == 503 and fetched.json()["code"] == "STORE_UNAVAILABLE"
            cluster.resume()
            for _ in range(50):
                if requests.get(f"{server.url}/health", timeout=10).json()["status"] == "ok":
                    break
                time.sleep(0.2)
            clock = requests.put(
                f"{server.url}/admin/clock", json={"today": "2023-01-01"}, headers=JSON, timeout=20
            )
            assert clock.status_code == 200
            inszs = [
                e["insz"]
                for e in requests.get(f"{server.url}/admin/journal", timeout=20).json()["entries"]
            ]
            assert inszs[:3] == ["73680599786", "73680599786", "98630499724"]
        finally:
            server.stop()
    finally:
        cluster.stop()


def test_export_from_a_database_without_a_store_is_refused_and_creates_nothing(postgres):
    """A read: --store given a database that holds no emulator store got the store's tables
    created in it before it was said to hold no personas."""
    import psycopg

    from .cli_run import magda_kbi

    url = postgres.database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE klant (id INTEGER PRIMARY KEY, naam TEXT)")
    for args in (("export", "verlaagde-premie", "2025"), ("municipalities",)):
        result = magda_kbi(*args, "--store", url)
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr.startswith("magda-kbi: --store: postgresql://")
        assert result.stderr.endswith(
            " holds no emulator store ('serve --store URL' imports the personas into a new one,"
            " 'generate --store URL' writes them)\n"
        )
    # nor do serve and generate make a store beside another program's tables (they did)
    said = (
        "holds other tables (klant) and no emulator store: give a new SQLite file, or a "
        "database (a PostgreSQL schema) of its own"
    )
    assert said in serve_refusal(url)
    result = magda_kbi("generate", "--count", "2", "--store", url)
    assert result.returncode == 2 and said in result.stderr
    with psycopg.connect(url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    assert tables == [("klant",)]


def test_a_session_ended_while_the_store_is_opened_is_said_in_one_line(postgres):
    """A failover (or pg_terminate_backend) while generate or serve opens its store: the
    ROLLBACK after the error failed too, and its "the connection is closed" was a traceback
    in place of why. The opening waits here on the lock that keeps two openings apart,
    which another session holds, until the server ends it."""
    import threading

    import psycopg

    from .cli_run import magda_kbi_process

    url = postgres.database()
    database = url.rsplit("/", 1)[1]
    ended = []

    def end_the_waiting_session() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            for _ in range(300):
                waiting = conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s"
                    " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
                    (database,),
                ).fetchall()
                if waiting:
                    conn.execute("SELECT pg_terminate_backend(%s)", waiting[0])
                    ended.append(waiting[0][0])
                    return
                time.sleep(0.1)

    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("BEGIN")
        holder.execute("SELECT pg_advisory_xact_lock(4242)")
        thread = threading.Thread(target=end_the_waiting_session)
        thread.start()
        result = magda_kbi_process("generate", "--count", "2", "--store", url)
        thread.join()
    assert len(ended) == 1
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"magda-kbi: --store: the PostgreSQL store 'postgresql://magda@127.0.0.1:{postgres.port}"
        f"/{database}' ended the session while it was opened: terminating connection due to"
        " administrator command\n"
    )


def a_store_and_a_role(postgres, name: str, privileges: str) -> tuple[str, str, str]:
    """A store generated by the cluster's owner, and a role of its own that may connect, use
    the schema (not create in it) and has ``privileges`` on its tables: (the store's URL,
    the role, the store's URL as that role)."""
    import uuid

    import psycopg

    from .cli_run import magda_kbi

    url = postgres.database()
    assert magda_kbi("generate", "--count", "60", "--seed", "3", "--store", url).returncode == 0
    role = f"{name}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"GRANT CONNECT ON DATABASE {url.rsplit('/', 1)[1]} TO {role}")
        conn.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        conn.execute(f"GRANT {privileges} ON ALL TABLES IN SCHEMA public TO {role}")
    return url, role, url.replace("magda@", f"{role}@")


def test_an_export_reads_with_a_role_that_may_only_read(postgres):
    """An export only reads, yet it ran the store's CREATE TABLE IF NOT EXISTS statements:
    with a role granted SELECT alone (the least an export needs) it stopped with a
    traceback (InsufficientPrivilege), and so did serve and generate. Now the export
    reads a store of this version; the others say what the role lacks, in one line."""
    import psycopg

    from .cli_run import magda_kbi

    url, role, reader = a_store_and_a_role(postgres, "reader", "SELECT")
    export = ("export", "verlaagde-premie", "2025", "--today", "2030-01-01")
    as_owner, as_reader = magda_kbi(*export, "--store", url), magda_kbi(*export, "--store", reader)
    assert as_reader.returncode == 0, as_reader.stderr
    assert as_reader.stdout == as_owner.stdout and len(as_owner.stdout.splitlines()) > 2
    refused = f"magda-kbi: --store: the PostgreSQL store '{reader}' refused this role: "
    said = (
        "it may not change the tables catalogue, catalogue_file, catalogue_refused, ...: "
        f"{WRITERS}\n"
    )
    assert serve_refusal(reader).endswith(refused + said)
    result = magda_kbi("generate", "--count", "2", "--store", reader)
    assert result.returncode == 2 and result.stderr.endswith(refused + said)
    needs = (
        ": an export needs SELECT on the store's tables (GRANT SELECT ON ALL TABLES IN SCHEMA "
        "...) and a store of this emulator's version (an older one is brought up to date once "
        "by serve --store URL, with the role that owns its tables)\n"
    )
    with psycopg.connect(url, autocommit=True) as conn:  # a role not granted SELECT
        conn.execute(f"CREATE ROLE {role}_x LOGIN")
        conn.execute(f"GRANT USAGE ON SCHEMA public TO {role}_x")
    result = magda_kbi(*export, "--store", url.replace("magda@", f"{role}_x@"))
    assert result.returncode == 2, result.stderr  # it was told the database held no store
    assert result.stderr == (
        f"magda-kbi: --store: the PostgreSQL store '{url.replace('magda@', f'{role}_x@')}' "
        f"refused this role: permission denied for table store_version{needs}"
    )
    with psycopg.connect(url, autocommit=True) as conn:  # a store of an older version
        conn.execute("UPDATE store_version SET n = 2")
    result = magda_kbi(*export, "--store", reader)
    assert (
        result.returncode == 2
        and result.stderr.startswith(refused)
        and result.stderr.endswith(needs)
    )


WRITERS = (
    "serve and generate write the store: give the role that made it, or one granted SELECT, "
    "INSERT, UPDATE and DELETE on its tables (GRANT ... ON ALL TABLES IN SCHEMA ...); a new "
    "store needs a role that may create tables in its schema, one of an older version the "
    "role that owns its tables (an export reads with SELECT alone)"
)


def test_serve_and_generate_with_a_role_that_may_change_a_store_another_role_made(postgres):
    """A store made by one role and served by another granted SELECT, INSERT, UPDATE and
    DELETE on its tables (a DBA's application role): serve and generate were refused,
    "permission denied for schema public" (or "must be owner of table catalogue" where the
    role may create tables: the schema's CREATE ... IF NOT EXISTS ran at every start).
    Now a store of this version that has every table is opened without making any; a role
    lacking a privilege on one of them is refused at start, naming it."""
    import psycopg

    from .cli_run import magda_kbi

    url, role, writer = a_store_and_a_role(postgres, "writer", "SELECT, INSERT, UPDATE, DELETE")
    generated = magda_kbi("generate", "--count", "20", "--seed", "4", "--store", writer)
    assert generated.returncode == 0, generated.stderr
    server = Server("--admin", "--store", writer, "--today", "2030-01-01")
    try:
        assert b"<Antwoord>" in dossier(server.url)
        put = requests.put(
            f"{server.url}/admin/clock", json={"today": "2031-05-06"}, headers=JSON, timeout=10
        )
        assert put.status_code == 200, put.text
        assert requests.delete(f"{server.url}/admin/journal", timeout=10).status_code == 204
    finally:
        server.stop()
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT today FROM clock").fetchone() == ("2031-05-06",)
        generated = "SELECT count(*) FROM catalogue WHERE path LIKE 'generate:%'"
        assert conn.execute(generated).fetchone()[0] == 80  # seed 3's 60, seed 4's 20
        conn.execute(f"REVOKE DELETE ON journal FROM {role}")
    assert serve_refusal(writer).endswith(
        f"magda-kbi: --store: the PostgreSQL store '{writer}' refused this role: it may not "
        f"change the table journal: {WRITERS}\n"
    )


def test_a_database_in_sql_ascii_holds_any_name_and_one_in_latin1_is_refused(postgres):
    """initdb in the C locale makes SQL_ASCII databases: psycopg read their text as bytes,
    and the second store opened on one (serve opens two) took its tables for another
    program's and stopped with a traceback. LATIN1 cannot hold every name: refused at once,
    saying what the store needs, instead of a failed write for the first Łukasz."""
    import uuid

    import psycopg

    from magda_kbi.runtime.store import StoreError
    from magda_kbi.runtime.store_postgresql import PostgresStore

    from .cli_run import magda_kbi

    def database(encoding: str) -> str:
        name = f"e_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(postgres.url, autocommit=True) as conn:
            conn.execute(
                f"CREATE DATABASE {name} ENCODING '{encoding}' LC_COLLATE 'C' LC_CTYPE 'C' "
                "TEMPLATE template0"
            )
        return postgres.url.rsplit("/", 1)[0] + "/" + name

    url = database("SQL_ASCII")
    assert magda_kbi("generate", "--count", "20", "--seed", "3", "--store", url).returncode == 0
    export = magda_kbi("export", "gemeente", "24062", "--today", "2030-01-01", "--store", url)
    assert export.returncode == 0, export.stderr
    persona = {"insz": "80651338304", "scenario": "Łukasz 😀", "naam": "Łukasz Żółć"}
    app = make_emulator(Settings(admin=True, store=url, catalogue=url))
    try:
        client = app.rest.test_client()
        assert client.put("/admin/personas/80651338304", json=persona).status_code == 201
    finally:
        app.close()
    app = make_emulator(Settings(admin=True, store=url, catalogue=url))  # opened again
    try:
        found = app.rest.test_client().get("/admin/personas/80651338304").get_json()
        assert {k: found[k] for k in persona} == persona
    finally:
        app.close()

    url = database("LATIN1")
    said = (
        f"the PostgreSQL database of '{url}' is in LATIN1, which cannot hold every name a "
        "persona may have (Łukasz, Nguyễn): the store needs UTF8 (CREATE DATABASE name "
        "ENCODING 'UTF8' TEMPLATE template0)"
    )
    with pytest.raises(StoreError) as refused:
        PostgresStore(url)
    assert str(refused.value) == said
    assert said in serve_refusal(url)
    with psycopg.connect(url, autocommit=True) as conn:  # nothing made there
        assert conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone() == (0,)


def test_a_store_in_a_schema_of_its_own_and_one_that_does_not_exist(postgres):
    """The tables go in the search_path's schema (libpq's options=-csearch_path=...); one
    naming no schema that exists stopped serve and generate with a traceback
    (InvalidSchemaName). Now it is refused in one line."""
    import psycopg

    from .cli_run import magda_kbi

    base = postgres.database()
    url = base + "?options=-csearch_path%3Demu"
    said = (
        f"the PostgreSQL store '{url}' has no schema for its tables: the search_path (emu) "
        "names none that exists (CREATE SCHEMA name, or another search_path)\n"
    )
    assert serve_refusal(url).endswith(said)
    result = magda_kbi("generate", "--count", "2", "--store", url)
    assert result.returncode == 2 and result.stderr.endswith(said)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA emu")
    assert magda_kbi("generate", "--count", "20", "--seed", "3", "--store", url).returncode == 0
    export = magda_kbi("export", "gemeente", "24062", "--today", "2030-01-01", "--store", url)
    assert export.returncode == 0, export.stderr
    with psycopg.connect(base, autocommit=True) as conn:
        schemas = conn.execute(
            "SELECT DISTINCT table_schema FROM information_schema.tables "
            "WHERE table_name = 'catalogue'"
        ).fetchall()
    assert schemas == [("emu",)]


def test_a_postgresql_store_is_versioned_brought_up_to_date_and_a_newer_one_refused(postgres):
    import json

    import psycopg

    from magda_kbi.runtime.faults import FaultKind
    from magda_kbi.runtime.store import StoreError
    from magda_kbi.runtime.store_postgresql import PostgresStore

    url = postgres.database()
    PostgresStore(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT n FROM store_version").fetchone()[0] == 3
        # as the first PostgreSQL stores were: no version recorded, fault rows in Dutch
        conn.execute("DROP TABLE store_version")
        conn.execute("INSERT INTO fault (data) VALUES (%s)", (json.dumps(OLD_FAULT),))
    app = make_emulator(Settings(admin=True, store=url))
    (fault,) = app.runtime.faults.all()
    app.close()
    assert (fault.kind, fault.service, fault.count, fault.applied) == (
        FaultKind.TE_VEEL_BEVRAGINGEN,
        "GeefDossierKBI",
        2,
        1,
    )
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT n FROM store_version").fetchone()[0] == 3
        conn.execute("UPDATE store_version SET n = 4")
    with pytest.raises(StoreError, match="has its tables in version 4; this emulator"):
        PostgresStore(url)
    with psycopg.connect(url, autocommit=True) as conn:  # refused, and left as it was
        assert conn.execute("SELECT n FROM store_version").fetchone()[0] == 4


def test_a_stopped_emulator_leaves_no_connection_and_no_thread(postgres):
    """The plugin's server stopped: every connection its emulator made is closed (the LISTEN
    one, the journal writer's, each request thread's) and its threads ended; they stayed
    until the process ended, each a server process on PostgreSQL's side."""
    import threading

    import psycopg

    store = postgres.database()
    before = set(threading.enumerate())
    server = _Server(make_emulator(Settings(admin=True, store=store)))
    with psycopg.connect(store, autocommit=True) as watcher:

        def others() -> int:
            return watcher.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()[0]

        try:
            calls_on_threads_of_their_own(server.url)
            assert others() >= 2  # LISTEN and the journal writer's at least
        finally:
            server.stop()
        end = time.monotonic() + 5  # a backend leaves pg_stat_activity once it has exited
        while others() and time.monotonic() < end:
            time.sleep(0.02)
        assert others() == 0
    assert threads_left(before) == []


FORKED = """
import os, sys, threading
from magda_kbi.runtime.store_postgresql import PostgresStore

store = PostgresStore(sys.argv[1])
store.db().execute("SELECT 1")  # the parent's connection, made before the fork
pid = os.fork()
if pid == 0:  # a worker forked after its store was made: its own connections, then closed
    thread = threading.Thread(target=lambda: store.db().execute("SELECT 1"))
    thread.start()
    thread.join()
    threading.Thread(target=store.db).start()  # ended threads' connections are closed here
    store.close()
    os._exit(0)
os.waitpid(pid, 0)
print(store.db().execute("SELECT 42").fetchone()[0])
store.close()
"""


def test_a_forked_child_closing_its_store_leaves_the_parent_s_connection_open(postgres):
    """A connection made before a fork is the parent's: closing it in the child (with its
    store, or as an ended thread's) would end it on the server for the parent too."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", FORKED, postgres.database()],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "42\n", "")


def test_a_worker_stopped_while_postgresql_is_lost_says_what_it_could_not_write(caplog):
    """A worker writes its journal entries as it stops; with the server lost it does not wait
    for it (on a partition each connection attempt waits up to 10 s) and says how many
    entries are not written."""
    import logging
    from datetime import UTC, datetime

    from magda_kbi.runtime.journal import JournalEntry
    from magda_kbi.runtime.store import SharedJournal
    from magda_kbi.runtime.store_postgresql import PostgresStore

    from .postgres import Cluster
    from .processes import within

    cluster = Cluster()  # its own: this test stops it
    try:
        store = PostgresStore(cluster.database())
        store.start()
        journal = SharedJournal(store)
        journal.start()
        cluster.pause()
        assert within(10, lambda: store.problem() is not None)
        # a call answered during the loss (one before it: written at once by a new writer)
        journal.write(
            JournalEntry(datetime.now(UTC), "/call", None, None, None, None, None, "OK", 200, 1.0)
        )
        with caplog.at_level(logging.WARNING, logger="magda_kbi.runtime.store"):
            journal.close()
        said = [r.getMessage() for r in caplog.records if r.name == "magda_kbi.runtime.store"]
        assert said == [f"journal entries not written: 1 ({store.problem()})"]
        store.close()
    finally:
        cluster.stop()


def test_a_search_ignores_case_and_accents_in_a_postgresql_store(postgres, tmp_path):
    """The store narrows a search in SQL (LIKE on the search text it keeps): its candidates
    must hold every persona the search then finds."""
    from .test_catalogue import searches_ignore_case_and_accents

    searches_ignore_case_and_accents(tmp_path, postgres.database())


def test_a_list_over_a_postgresql_catalogue_builds_only_whom_it_names(
    postgres, tmp_path, monkeypatch
):
    """As in SQLite: the rows are read from PostgreSQL, only those that name the NIS code or
    the zorgkas are built."""
    from .test_catalogue import lists_build_only_whom_they_name

    lists_build_only_whom_they_name(tmp_path, postgres.database(), monkeypatch)


def test_a_version_2_postgresql_store_is_brought_up_to_date(postgres):
    import psycopg

    from magda_kbi.runtime.store_postgresql import PostgresStore

    from .test_catalogue import a_version_2_store_is_brought_up_to_date

    class Qmark:  # the helper's SQL has SQLite's ? placeholders
        def __init__(self):
            self.conn = psycopg.connect(url)

        def execute(self, sql, params=()):
            return self.conn.execute(sql.replace("?", "%s"), params)

        def __getattr__(self, name):
            return getattr(self.conn, name)

    url = postgres.database()
    PostgresStore(url).close()
    a_version_2_store_is_brought_up_to_date(Qmark, lambda: PostgresStore(url))


def test_a_change_an_older_replica_made_is_listed_last_in_postgresql(postgres):
    a_change_an_older_replica_made_is_listed_last(postgres.database())


def test_a_cluster_whose_test_process_died_is_stopped_by_the_next_session(postgres):
    """A test process killed (a hung test's faulthandler exit, a cancelled CI job) never
    stopped its session's cluster: the server ran on until someone found it."""
    import subprocess
    import sys

    import psycopg

    from .postgres import Cluster, stop_orphans

    orphan = Cluster()
    try:
        gone = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()  # a process that has ended
        (orphan.folder / "owner").write_text(gone)
        psycopg.connect(orphan.url).close()  # running
        assert orphan.folder in stop_orphans()
        assert not orphan.folder.exists()
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(orphan.url, connect_timeout=5)
        # this session's, whose process lives, runs on
        assert postgres.folder.exists()
        psycopg.connect(postgres.url).close()
    finally:
        orphan.stop()


def test_a_closed_store_s_listener_ends_before_its_connections_are_closed(postgres, monkeypatch):
    """The LISTEN thread acknowledges each change on a connection of its own; close()
    closed that connection while the thread still ran: under an acknowledgement in
    progress, if one was."""
    from magda_kbi.runtime.store import Store
    from magda_kbi.runtime.store_postgresql import PostgresStore

    store = PostgresStore(postgres.database())
    store.start()
    listener = store._listener
    assert listener is not None and listener.is_alive()
    with store.write() as db:
        store.bump(db)  # a change for the listener to acknowledge
    alive_at_close = []
    close_connections = Store.close

    def recording(self) -> None:
        alive_at_close.append(listener.is_alive())
        close_connections(self)

    monkeypatch.setattr(Store, "close", recording)
    store.close()
    assert alive_at_close == [False]


def test_a_write_under_way_when_the_store_closes_is_committed(postgres):
    a_write_under_way_when_the_store_closes_is_committed(postgres.database())


def test_threads_using_a_closed_store_are_told_it_is_closed(postgres):
    threads_using_a_closed_store_are_told_it_is_closed(postgres.database())
