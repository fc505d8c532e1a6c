"""The production server (``magda-kbi serve``): faults that need a real server, and shutdown."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from magda_client import MagdaClient, MagdaTransportFout
from magda_kbi.adapters.app import Settings

from .conftest import Server
from .processes import abort_with_stacks, alive, children, free_port, within


@pytest.fixture(scope="module")
def admin_server():
    s = Server("--admin", "--today", "2030-01-01")
    yield s
    s.stop()


def client(url: str) -> MagdaClient:
    return MagdaClient(url, afzender="zorgkas.test.be", hoedanigheid="1", backoff=0)


def test_a_dropped_connection_under_the_production_server(admin_server):
    # every time: granian aborted before the headers went out in about one drop in six
    # (the client saw no response at all), which failed this test now and then
    for _ in range(20):
        requests.post(
            f"{admin_server.url}/admin/faults", json={"kind": "drop", "count": 1}, timeout=5
        )
        with pytest.raises(MagdaTransportFout, match="broke off after"):
            client(admin_server.url).geef_dossier_kbi("98630499724")
    requests.delete(f"{admin_server.url}/admin/journal", timeout=5)
    requests.post(f"{admin_server.url}/admin/faults", json={"kind": "drop", "count": 1}, timeout=5)
    with pytest.raises(MagdaTransportFout, match="broke off after"):
        client(admin_server.url).geef_dossier_kbi("98630499724")
    assert client(admin_server.url).geef_dossier_kbi("98630499724").insz == "98630499724"
    journal = requests.get(f"{admin_server.url}/admin/journal", timeout=5).json()["entries"]
    assert journal[0]["result"] == "FAULT drop"
    assert (journal[0]["status"], journal[0]["connection"]) == (0, "dropped")
    # the drops asked for are said, one line each, not as the emulator failing (granian
    # logged each as an error with its traceback)
    said = [line for line in admin_server.output().splitlines() if "dropped" in line]
    assert (
        said == ["[WARNING] injected fault: the connection is dropped (a fault of kind drop)"] * 21
    )
    assert "Traceback" not in admin_server.output()


def test_a_latency_fault_does_not_block_other_requests(admin_server):
    requests.post(
        f"{admin_server.url}/admin/faults",
        json={"kind": "latency", "latency_ms": 1500, "insz": "73680599786"},
        timeout=5,
    )
    slow = threading.Thread(target=lambda: client(admin_server.url).geef_dossier_kbi("73680599786"))
    slow.start()
    fast = client(admin_server.url)  # reading the WSDL is not part of what is timed
    time.sleep(0.2)
    start = time.monotonic()
    fast.geef_dossier_kbi("98630499724")
    assert time.monotonic() - start < 1.0  # the slow call holds 1.5 s
    slow.join()
    requests.delete(
        f"{admin_server.url}/admin/faults",
        headers={"Content-Type": "application/json"},
        timeout=5,
    )


@pytest.mark.parametrize("again", [0, 4], ids=["once", "again"])
def test_sigterm_finishes_requests_in_flight_and_exits_0(again):
    """A call in flight is answered before serve exits 0, whether the worker hears its stop
    once or again: serve signals a worker again every second until it is gone, and a
    supervisor may too. granian's worker took a third stop signal by blocking its main
    thread with the GIL held, so a request still in flight (a latency fault of a few
    seconds) never finished and serve waited for ever (by hand: 3 extra signals hung it, 0
    or 1 did not). The worker now passes on two at most."""
    s = Server("--admin")
    requests.post(f"{s.url}/admin/faults", json={"kind": "latency", "latency_ms": 2000}, timeout=5)
    (worker,) = children(s.process.pid)
    outcome = {}
    # made here: reading the WSDL (slow on a loaded machine) let the call start after the
    # stop below (once in CI: connection refused)
    caller = client(s.url)

    def call() -> None:
        try:
            outcome["dossier"] = caller.geef_dossier_kbi("98630499724")
        except Exception as error:  # noqa: BLE001 - reported below
            outcome["error"] = error

    thread = threading.Thread(target=call)
    thread.start()
    try:
        time.sleep(0.5)  # the call waits in the worker
        s.process.send_signal(signal.SIGTERM)
        for _ in range(again):  # as serve's and a supervisor's signals again
            time.sleep(0.1)
            os.kill(worker, signal.SIGTERM)
        thread.join(timeout=10)
        s.process.wait(timeout=10)
    finally:
        if s.process.poll() is None:
            s.process.kill()
            with contextlib.suppress(ProcessLookupError):  # gone already: the assertions say
                os.kill(worker, signal.SIGKILL)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["dossier"].insz == "98630499724"
    assert s.process.returncode == 0


@pytest.mark.parametrize("ctrl_c", [False, True], ids=["sigterm", "ctrl-c"])
@pytest.mark.parametrize("after", [0, 0.3])
def test_stopped_while_a_worker_still_starts_serve_exits_0(after, ctrl_c, tmp_path):
    """A worker forked by granian has serve's own signal handlers until it serves: a SIGTERM
    while it loads the application was swallowed, and serve then waited for it for ever;
    Ctrl+C (SIGINT to serve and its workers) hung most times in the first seconds."""
    port = free_port()
    # what serve and its workers said, for the assertions' messages: this failed once in
    # some hundred runs (Ctrl+C at once), and nothing then told why
    said = tmp_path / "serve.log"
    with said.open("w") as log:  # the child keeps its own copy
        process = subprocess.Popen(
            [sys.executable, "-m", "magda_kbi", "serve", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,  # its own process group, as a terminal's foreground job
            env={**os.environ, "PYTHONFAULTHANDLER": "1"},  # a hang's stacks: see stuck()
        )
    try:
        einde = time.monotonic() + 30
        while not children(process.pid):  # the first worker is forked: it now loads the app
            assert process.poll() is None and time.monotonic() < einde, "no worker started"
            time.sleep(0.005)
        time.sleep(after)  # at several points of the workers' start-up (each takes ~0.5 s)
        workers = children(process.pid)
        if ctrl_c:
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(timeout=20) == 0, said.read_text()
        except subprocess.TimeoutExpired:
            pytest.fail(stuck(process.pid, said))
        einde = time.monotonic() + 5
        while alive(workers) and time.monotonic() < einde:
            time.sleep(0.05)
        assert alive(workers) == [], said.read_text()
    finally:
        if process.poll() is None:
            for pid in children(process.pid):
                os.kill(pid, signal.SIGKILL)
            process.kill()
            process.wait()


def test_ctrl_c_pressed_again_and_again_serve_exits_0(tmp_path):
    """Ctrl+C after Ctrl+C from the moment a worker starts until serve is gone: Python's exit
    puts back the default action of a signal that had a handler of Python's, and one more
    Ctrl+C there ended serve by SIGINT (-2) instead of its exit 0."""
    said = tmp_path / "serve.log"
    with said.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "magda_kbi", "serve", "--port", str(free_port())],
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
            env={**os.environ, "PYTHONFAULTHANDLER": "1"},  # a hang's stacks: see stuck()
        )
    try:
        assert within(30, lambda: children(process.pid)), "no worker started"
        deadline = time.monotonic() + 20
        while process.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(ProcessLookupError):  # gone meanwhile
                os.killpg(process.pid, signal.SIGINT)
            time.sleep(0.001)
        if process.poll() is None:
            pytest.fail(stuck(process.pid, said))
        assert process.returncode == 0, said.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.parametrize("handler", ["signal_handler_interrupt", "signal_handler_reload"])
def test_serve_s_signal_handlers_take_no_lock(handler):
    """A handler runs in the main thread, between any two steps of what it interrupted, and
    a second signal's handler inside the first: one that takes a lock waits for ever when
    that lock is held already (by the code or handler it interrupted, or by a thread of
    serve that a forked worker does not have). granian's set an Event: a worker forked just
    before Ctrl+C, which has serve's handlers until it loads the application, hung in them
    (3 of some 185 Ctrl+Cs at once, stacks of nested handlers waiting for the Event's
    lock), and serve waited for that worker. The handlers only note what was asked; the
    main loop's wait sees it."""
    server = granian_server_not_started()
    with server.main_loop_interrupt._cond:  # held, as by what the signal interrupted
        run = threading.Thread(
            target=getattr(server, handler), args=(signal.SIGINT, None), daemon=True
        )
        run.start()
        run.join(timeout=5)
        assert not run.is_alive(), "the handler waits for the main loop's lock"
    assert server.main_loop_interrupt.wait(timeout=5)  # the main loop sees what was asked
    if handler == "signal_handler_interrupt":
        assert (server.interrupt_signal, server.reload_signal) == (True, False)
    else:
        assert (server.interrupt_signal, server.reload_signal) == (False, True)


@pytest.mark.parametrize("stop", ["group", "worker killed"])
def test_serve_s_log_lines_are_on_standard_error_and_a_stop_of_the_group_has_none(stop):
    """A stop sent to serve and its workers at once (systemd's default, kill -TERM -PGID)
    ended workers before serve marked them as stopped by it: granian said "Unexpected exit
    from worker-N" at every such stop, and on standard output, which is the banner's (with
    that output closed, each line was a "--- Logging error ---" traceback). A worker that
    did die is said, on standard error."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "magda_kbi", "serve", "--port", str(port), "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert within(30, lambda: serving(port)), process.poll()
        if stop == "worker killed":
            killed = children(process.pid)[0]
            os.kill(killed, signal.SIGKILL)
            # replaced: counted with the killed one gone, which may still run a moment after
            # the signal (counted then, the SIGTERM came before granian saw the death, and it
            # said nothing: seen once, in a run of the suite with the other cores busy)
            assert within(
                10, lambda: killed not in children(process.pid) and len(children(process.pid)) == 2
            )
            # within 10 s, not one call: with the cores busy, the call just after the
            # replacement is forked failed at once in 2 of 62 tries (one seen: a connection
            # reset), the next 10 ms later answered. Why granian resets it is not found.
            assert within(10, lambda: serving(port))
            process.send_signal(signal.SIGTERM)
        else:
            os.killpg(process.pid, signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0
    assert "[ERROR]" not in out and out.startswith("MAGDA KBI emulator")
    if stop == "worker killed":
        assert err.startswith("[ERROR] Unexpected exit from worker-"), err
    else:
        assert err == ""


def test_granian_s_unexpected_exit_line_is_said_for_a_worker_that_crashed_only():
    """granian's "Unexpected exit from worker-N" is left out for a worker that ended well
    (exit 0: a stop reached it, as the group's stop does before serve's own; serve's flag
    may be set a moment after granian looks); one that crashed or was killed is said."""
    import logging
    import multiprocessing
    import types

    def ended(code: int) -> multiprocessing.process.BaseProcess:
        # spawned: a fork from this multi-threaded test process warns on 3.12+
        process = multiprocessing.get_context("spawn").Process(target=os._exit, args=(code,))
        process.start()
        process.join()
        return process

    server = granian_server_not_started()
    server.wrks = [types.SimpleNamespace(idx=i, inner=ended(code)) for i, code in enumerate([0, 1])]
    granian_log = logging.getLogger("_granian")

    def said(line: str) -> bool:
        record = logging.LogRecord("_granian", logging.ERROR, __file__, 0, line, None, None)
        return granian_log.filter(record)

    try:
        assert not said("Unexpected exit from worker-1")  # exit 0: a stop reached it
        assert said("Unexpected exit from worker-2")  # exit 1: crashed
        assert said("Unexpected exit from worker-3")  # not one of its workers: said
        assert said("Worker crash loop detected, exiting")
    finally:
        granian_log.removeFilter(server._no_exit_error_for_a_worker_that_ended_well)


def granian_server_not_started():
    """serve's granian server, made as serve makes it (one worker), not serving."""
    from granian.constants import Interfaces

    from magda_kbi.adapters.server import granian_server

    return granian_server()(
        "magda_kbi.adapters.server:application",
        settings=Settings(),
        tls=None,
        folders=[],
        factory=True,
        interface=Interfaces.WSGI,
        workers=1,
    )


def serving(port: int) -> bool:
    """Whether an emulator answers /health on ``port``."""
    try:
        return requests.get(f"http://127.0.0.1:{port}/health", timeout=1).ok
    except requests.RequestException:
        return False


def stuck(pid: int, said: Path) -> str:
    """Where a serve that did not stop, and its workers, wait (``abort_with_stacks``), and
    what serve said before."""
    workers = children(pid)
    abort_with_stacks(pid)
    return f"serve (pid {pid}) and its workers {workers} did not stop:\n{said.read_text()}"


def catches(pid: int, signal_: int) -> bool:
    """Whether the process has a handler of its own for ``sein`` (``SigCgt`` in /proc)."""
    for regel in Path(f"/proc/{pid}/status").read_text().splitlines():
        if regel.startswith("SigCgt:"):
            return bool(int(regel.split()[1], 16) >> (signal_ - 1) & 1)
    return False


@pytest.mark.parametrize("signal_", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
@pytest.mark.parametrize("after", [0.2, 0.6])
def test_stopped_before_it_serves_serve_exits_0_quietly(after, signal_):
    """While serve imports and loads (before any worker), Ctrl+C was a KeyboardInterrupt
    traceback or click's "Aborted!" (exit 1), SIGTERM a death by signal; and the run's
    temporary store stayed behind."""
    import tempfile

    process = subprocess.Popen(
        [sys.executable, "-m", "magda_kbi", "serve", "--port", str(free_port())],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    begin = time.monotonic()
    try:
        # Not before serve's first line ran (its handlers: SIGTERM's is set after SIGINT's):
        # within Python's own start-up a signal is Python's, the documented limit (seen: a
        # SIGTERM at 0.2 s killed it, once in a run of the suite on 3.12, two tests at once)
        while not catches(process.pid, signal.SIGTERM):
            assert process.poll() is None and time.monotonic() < begin + 20
            time.sleep(0.002)
        time.sleep(max(0.0, after - (time.monotonic() - begin)))
        os.killpg(process.pid, signal_)  # Ctrl+C: the whole foreground job
        _, error = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert (process.returncode, error) == (0, "")
    assert not list(Path(tempfile.gettempdir()).glob(f"magda-kbi-store-{process.pid}-*"))


def test_sigterm_during_a_sighup_restart_exits_0():
    """serve's restart goes on after a SIGTERM (granian starts the new workers one by one):
    a worker started after the SIGTERM must stop as asked, not count as crashed."""
    s = Server("--workers", "2")
    try:
        s.process.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        s.process.send_signal(signal.SIGTERM)
        assert s.process.wait(timeout=30) == 0
    finally:
        if s.process.poll() is None:
            s.stop()


def _hears_only_a_second_sigterm(ready) -> None:
    heard = []

    def listen(signum, frame):
        heard.append(signum)
        if len(heard) == 2:
            os._exit(0)

    signal.signal(signal.SIGTERM, listen)
    ready.set()
    while True:
        time.sleep(0.01)


def test_a_worker_that_missed_its_stop_signal_gets_it_again():
    import multiprocessing

    from magda_kbi.adapters.server import signal_until_gone

    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    ready = context.Event()
    worker = context.Process(target=_hears_only_a_second_sigterm, args=(ready,), daemon=True)
    worker.start()
    assert ready.wait(10)
    worker.terminate()  # missed, as a granian worker between its application and serving
    done = threading.Event()
    threading.Thread(target=signal_until_gone, args=(lambda: [worker], done, 0.05)).start()
    try:
        worker.join(10)
        assert worker.exitcode == 0
    finally:
        done.set()
        if worker.is_alive():
            worker.kill()


def test_a_worker_that_dies_is_replaced():
    s = Server("--workers", "2")
    try:
        einde = time.monotonic() + 20
        while len(workers := children(s.process.pid)) < 2 and time.monotonic() < einde:
            time.sleep(0.05)
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        einde = time.monotonic() + 20
        while time.monotonic() < einde:
            now = children(s.process.pid)
            if len(now) == 2 and workers[0] not in now:
                break
            time.sleep(0.1)
        assert s.process.poll() is None, "serve stopped when one worker died"
        now = children(s.process.pid)
        assert workers[1] in now and workers[0] not in now and len(now) == 2
        for _ in range(20):  # both workers answer (each request goes to either)
            assert client(s.url).geef_dossier_kbi("98630499724").insz == "98630499724"
    finally:
        s.stop()


def test_a_worker_that_ends_on_the_stop_before_serve_marked_it_is_no_failure():
    """A SIGTERM to the whole process group (a supervisor, ``kill -- -PGID``; the suite saw
    it at start-up under load) reaches serve and its workers at once. A worker that ended on
    it before serve had marked it as stopped counted as a failed worker: "Unexpected exit
    from worker-1" and exit 1 (6 of 40 tries with two CPU hogs). Made certain here: serve is
    held (SIGSTOP) while its SIGTERM waits and one worker ends on its own."""
    s = Server("--workers", "2")
    try:
        einde = time.monotonic() + 20
        while len(workers := children(s.process.pid)) < 2 and time.monotonic() < einde:
            time.sleep(0.05)
        os.kill(s.process.pid, signal.SIGSTOP)
        os.kill(s.process.pid, signal.SIGTERM)
        os.kill(workers[0], signal.SIGTERM)
        einde = time.monotonic() + 20
        while workers[0] in alive(workers) and time.monotonic() < einde:
            time.sleep(0.01)  # a zombie (its parent held) counts as gone
        os.kill(s.process.pid, signal.SIGCONT)
        assert s.process.wait(timeout=30) == 0
    finally:
        s.stop()


def test_a_serving_worker_leaves_ctrl_c_to_serve():
    """Ctrl+C sends SIGINT to serve and its workers at once; a serving worker stopped on it
    by itself, and when it was gone before serve had asked, serve counted it as crashed and
    exited 1 (once in CI, 1 in 51 tries by hand). Sent to the worker alone, it now stays."""
    s = Server()
    try:
        (worker,) = children(s.process.pid)
        os.kill(worker, signal.SIGINT)
        time.sleep(1.5)  # a worker that stops on it is gone well within this
        assert children(s.process.pid) == [worker]
        assert client(s.url).geef_dossier_kbi("98630499724").insz == "98630499724"
    finally:
        s.stop()
    assert s.process.returncode == 0


def test_the_gc_pacer_collects_and_freezes_between_requests():
    import gc
    import weakref

    from magda_kbi.adapters.server import GcPacer

    seen = []

    def app(environ, start_response):
        seen.append(gc.get_freeze_count())
        return [b""]

    pacer = GcPacer(app, every=3)
    gc.unfreeze()
    try:
        for _ in range(7):
            pacer({}, None)
        # frozen before the 3rd and the 6th request, never while one runs
        assert [n > 0 for n in seen] == [False, False, True, True, True, True, True]

        class Node:
            pass

        node = Node()
        node.zelf = node  # garbage with a cycle, made before the next freeze
        still = weakref.ref(node)
        del node
        for _ in range(3):
            pacer({}, None)
        assert still() is None  # collected before the freeze, not kept frozen for ever
    finally:
        gc.unfreeze()


def test_the_gc_pacer_never_freezes_while_another_request_is_in_flight():
    """With several threads (``--admin``): a request still running, or a streamed reply not
    yet closed, is never frozen; the first request to start after them collects."""
    import gc
    import threading

    from magda_kbi.adapters.server import GcPacer

    inside, further = threading.Event(), threading.Event()

    def app(environ, start_response):
        if environ.get("wacht"):
            inside.set()
            further.wait(10)
        if environ.get("stroom"):
            return iter([b"a", b"b"])
        return [b""]

    pacer = GcPacer(app, every=1)
    gc.unfreeze()
    try:
        slow = threading.Thread(target=pacer, args=({"wacht": True}, None))
        slow.start()
        assert inside.wait(10)
        gc.unfreeze()  # what its own start froze
        for _ in range(3):
            pacer({}, None)  # another request runs meanwhile: no freeze
        assert gc.get_freeze_count() == 0
        further.set()
        slow.join(10)
        pacer({}, None)  # none in flight: collected and frozen
        assert gc.get_freeze_count() > 0
        gc.unfreeze()

        stream = pacer({"stroom": True}, None)
        gc.unfreeze()  # what its own start froze
        assert list(stream) == [b"a", b"b"]
        pacer({}, None)  # the streamed reply is not closed yet: still in flight
        assert gc.get_freeze_count() == 0
        stream.close()
        pacer({}, None)
        assert gc.get_freeze_count() > 0
    finally:
        further.set()
        gc.unfreeze()


def test_the_body_watch_names_a_read_that_waits_and_how_it_ended(caplog):
    """serve's BodyWatch in-process (tests/test_security.py has it over a socket, on the SOAP
    path): a REST body, which werkzeug reads through its own limit, is timed as well; a read
    that fails is said to have ended with an error; a read that ends is forgotten."""
    from magda_kbi.adapters.app import make_emulator
    from magda_kbi.adapters.server import BodyWatch

    watch = BodyWatch(make_emulator(Settings(admin=True)), after=0)
    arrived, go = threading.Event(), threading.Event()

    class Slow:  # granian's body (read, readline, readlines), whose read waits for go
        def __init__(self, data: bytes | None) -> None:
            self.data = data  # None: the client goes away

        def read(self, size: int = -1) -> bytes:
            arrived.set()
            assert go.wait(10)
            if self.data is None:
                raise OSError("the client went away")
            data, self.data = self.data, b""
            return data

    statuses = []
    for data in (b"{}", None):
        arrived.clear()
        go.clear()
        environ = {
            "REQUEST_METHOD": "PUT",
            "PATH_INFO": "/admin/personas/52680162936\n",  # a control character: escaped
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": "2",
            "HTTP_HOST": "localhost",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": Slow(data),
            "wsgi.input_terminated": True,  # as granian says: werkzeug then reads up to its cap
            "wsgi.url_scheme": "http",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
        }
        call = threading.Thread(
            target=lambda e=environ: b"".join(watch(e, lambda s, h, x=None: statuses.append(s)))
        )
        with caplog.at_level("WARNING", logger="magda_kbi.adapters.server"):
            call.start()
            assert arrived.wait(10)
            watch.look()
            watch.look()  # said once
            go.set()
            call.join(10)
    request = r"PUT /admin/personas/52680162936\\n from 127\.0\.0\.1 \(Content-Length: 2\)"
    said = [record.getMessage() for record in caplog.records]
    assert len(said) == 4, said
    assert re.match(f"{request}: the body has not all arrived after 0 s; a worker", said[0])
    assert re.fullmatch(f"{request}: the read of its body ended after 0 s, with 2 bytes", said[1])
    assert re.match(f"{request}: the body has not all arrived", said[2])
    assert re.fullmatch(f"{request}: the read of its body ended after 0 s, with an error", said[3])
    assert [s[:3] for s in statuses] == ["422", "400"]  # {} is no persona; the client gone
    assert watch._reading == {}


def test_the_tests_server_takes_another_port_when_its_port_was_taken(monkeypatch):
    """The suite's Server: a port found free and taken before serve binds it is refused by
    serve (exit 2), and another is tried (not an error of the test that wanted a server)."""
    import socket

    from . import conftest
    from .processes import free_port

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        ports = iter([taken, free_port()])
        monkeypatch.setattr(conftest, "free_port", lambda: next(ports))
        server = conftest.Server()
        try:
            assert server.port != taken
            assert requests.get(f"{server.url}/health", timeout=5).status_code == 200
        finally:
            server.stop()


def test_the_tests_server_is_not_fooled_by_another_emulator_on_its_port(monkeypatch, server):
    """Another emulator answering /health on the port found free is not this server: it
    waits for its own (which refuses the port) and tries another."""
    from . import conftest
    from .processes import free_port

    ports = iter([server.port, free_port()])
    monkeypatch.setattr(conftest, "free_port", lambda: next(ports))
    own = conftest.Server()
    try:
        assert own.port != server.port
        healthy = requests.get(f"{own.url}/health", timeout=5).json()
        assert healthy["pid"] == own.process.pid != server.process.pid
    finally:
        own.stop()


def test_a_signal_the_kernel_hands_to_another_thread_still_wakes_the_main_loop():
    """granian's main loop waited without a timeout for its signal handlers to set an event.
    A signal the kernel hands to another thread (a worker watcher in waitpid: a second signal
    goes to one while the main thread has the first pending) is only flagged for the main
    thread, which never ran its handler: serve ignored a SIGHUP and a SIGTERM sent together
    for good (seen in a full run; 2 of 2 tries with 20,000 personas). Here the main thread
    blocks SIGTERM, so that the kernel must hand it to the other thread."""
    script = """if True:
        import os, signal, threading, time
        from magda_kbi.adapters.server import _MainLoopEvent
        event = _MainLoopEvent(lambda: False)
        signal.signal(signal.SIGTERM, lambda *_: event.set())
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})

        def other():
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
            time.sleep(0.3)  # the main thread waits by now
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=other, daemon=True).start()
        event.wait()
        print("woken")
    """
    # a threading.Event here waits for ever (and takes no SIGTERM): killed at the timeout
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=10)
    assert (run.returncode, run.stdout, run.stderr) == (0, "woken\n", "")


def test_a_stop_that_a_restart_s_clear_undid_still_ends_the_main_loop_s_wait():
    """granian clears its loop's event before it restarts a dead worker (and a SIGHUP's
    workers): a SIGTERM that set it just before was undone, and serve waited for ever."""
    from magda_kbi.adapters.server import _MainLoopEvent

    stops: list[int] = []
    event = _MainLoopEvent(lambda: bool(stops))
    event.set()  # a SIGTERM's handler: the stop flag, then the event
    stops.append(signal.SIGTERM)
    event.clear()  # the restart's clear
    begin = time.monotonic()
    assert event.wait(5) and time.monotonic() - begin < 1
    assert not _MainLoopEvent(lambda: False).wait(0.3)  # nothing asked: a timeout is one


@pytest.mark.parametrize("files", ["load", "no longer load"])
def test_a_stop_during_a_sighup_s_checks_is_not_lost(monkeypatch, files):
    """serve checks the files before a SIGHUP's restart, then granian's restart (or our
    refusal) cleared the event that wakes its main loop: a SIGTERM in between was lost and
    serve never stopped (1 of 6 tries by hand, SIGTERM 10 ms after SIGHUP). Now a stop in
    the checks is a stop: no restart, and the loop's wait ends (a clear no longer undoes a
    stop)."""
    from magda_kbi.adapters import server as module

    server = granian_server_not_started()

    def checks(settings, tls):
        server.signal_handler_interrupt()  # what SIGTERM's handler does, in the middle
        return None if files == "load" else "a persona file no longer loads"

    monkeypatch.setattr(module, "reload_problem", checks)
    server.signal_handler_reload()  # the SIGHUP
    server._reload(None, None)  # as granian's loop calls it (no workers: none restarted)
    assert server.interrupt_signal
    assert server.main_loop_interrupt.wait(1)  # what granian's loop waits on, then stops


def test_a_sighup_while_serve_starts_is_its_reload_once_it_serves():
    """SIGHUP's default is the end of the process: one while serve imported and loaded (a
    reload asked right after a start, a terminal closed) ended it without a word, its
    temporary store left behind. Now it is noted and taken as a reload once the workers
    run: the files are checked again and serve goes on."""
    import tempfile

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "magda_kbi", "serve", "--port", str(port), "--workers", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    begin = time.monotonic()
    try:
        while not catches(process.pid, signal.SIGTERM):  # serve's first line ran
            assert process.poll() is None and time.monotonic() < begin + 20
            time.sleep(0.002)
        process.send_signal(signal.SIGHUP)
        assert within(20, lambda: serving(port)), process.poll()
        process.send_signal(signal.SIGTERM)
        _, error = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert (process.returncode, error) == (0, "")
    assert not list(Path(tempfile.gettempdir()).glob(f"magda-kbi-store-{process.pid}-*"))


def test_every_setting_but_the_admin_token_reaches_the_workers(monkeypatch):
    """serve hands its settings to the workers as JSON: a setting left out of it would be
    the default in every worker, without a word. The token travels in its own variable."""
    import dataclasses
    from datetime import date

    from magda_kbi.adapters.admin_guard import TOKEN_ENV
    from magda_kbi.adapters.app import Settings, settings_from_json, settings_to_json
    from magda_kbi.domain.advies import RuleSet, Terms

    given = Settings(
        today=date(2024, 2, 29),
        extra_fixtures=[Path("/personas één"), Path("relative/folder")],
        max_bytes=5000,
        terms=Terms(4, 7),
        rule_set=RuleSet.NA_ARREST_112_2023,
        admin=True,
        journal_size=3,
        direct=False,
        protocols=True,
        consumers=Path("/etc/consumers.yaml"),
        audit_log=Path("/var/log/audit.jsonl"),
        admin_token="a-token-of-twenty-chars",
        public_hosts=["emulator.test", "other.test"],
        watch=True,
        proxy_headers=True,
        cors_origins=["http://localhost:3000", "*"],
        store="sqlite:///state.db",
        catalogue="postgresql://magda@localhost:5432/kbi",
        verify_signatures=True,
    )
    default = Settings()
    unset = [
        f.name
        for f in dataclasses.fields(Settings)
        if getattr(given, f.name) == getattr(default, f.name)
    ]
    assert unset == [], "give every setting a value other than its default here"

    text = settings_to_json(given)
    assert "a-token-of-twenty-chars" not in text
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert settings_from_json(text) == dataclasses.replace(given, admin_token=None)
    monkeypatch.setenv(TOKEN_ENV, "the-workers-own-token")
    assert settings_from_json(text).admin_token == "the-workers-own-token"
