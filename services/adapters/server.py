"""Runs the emulator under granian, the production WSGI server.

Why granian: a Rust HTTP server with worker processes, maintained, with wheels for Linux,
macOS and Windows (gunicorn does not run on Windows, where many consumers develop), and
it measured 1.6x gunicorn's throughput for this application on 2 cores (see
benchmarks/README.md). SIGTERM finishes the requests in flight and exits 0.

Each worker builds the application from the settings ``serve`` passes in the environment
(:data:`SETTINGS_ENV`); ``serve`` has already imported and checked the personas
into the catalogue, so a bad file stops start-up before any worker starts. SIGHUP to
``serve`` does those checks again (persona, consumers and TLS files) and then restarts the
workers (granian) on the files; files that no longer load are refused in one line, and the
running workers kept.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import logging
import multiprocessing.connection
import multiprocessing.process
import multiprocessing.util
import os
import signal
import sqlite3
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path

from magda_kbi.adapters import stopping
from magda_kbi.adapters.admin_guard import TOKEN_ENV
from magda_kbi.adapters.app import (
    BrokenOffReply,
    Emulator,
    Settings,
    Streamed,
    make_emulator,
    path_as_sent,
    settings_from_json,
    settings_to_json,
)
from magda_kbi.adapters.rest import PROCESS_KEY
from magda_kbi.io.personas import FixtureError, builtin_folder, file_refusal, fingerprint
from magda_kbi.io.schemas import InputError
from magda_kbi.runtime.faults import ConnectionDropped
from magda_kbi.runtime.store import StoreError

SETTINGS_ENV = "MAGDA_KBI_SETTINGS"
# the persona files' fingerprint, taken before serve imported them into the catalogue
IMPORTED_FILES_ENV = "MAGDA_KBI_IMPORTED_FILES"
# serve's pid: a worker reading its parent's pid itself could read it after serve's death
SERVE_PID_ENV = "MAGDA_KBI_SERVE_PID"
# serve --idle-timeout: after as long, a request body that has not all arrived is logged
IDLE_TIMEOUT_ENV = "MAGDA_KBI_IDLE_TIMEOUT"


def application() -> Emulator:
    """The factory each worker calls."""
    _stop_on_signal_while_starting()
    logging.getLogger("spyne").setLevel(logging.CRITICAL)  # expected Faults, not errors
    serve = int(os.environ[SERVE_PID_ENV])
    looks: list[Callable[[], None]] = []
    before_going = _stop_with_parent(serve, looks)
    settings = settings_from_json(os.environ[SETTINGS_ENV])
    try:
        # serve imported and checked the persona files just before it forked this worker
        emulator = make_emulator(settings, imported=os.environ[IMPORTED_FILES_ENV])
    except InputError as error:  # one clear line, not a traceback, then this worker stops
        logging.getLogger(__name__).error("worker not started: %s", file_refusal(error))
        raise SystemExit(2) from None
    emulator.rest.config[PROCESS_KEY] = serve  # /health names serve, not this worker
    # Its journal entries written, its replica signed off as it stops (a SIGHUP's restart,
    # serve's stop): granian's worker is a multiprocessing child, which ends with os._exit
    # after these finalizers, never running atexit. The entries since the last journal read
    # were lost from the store.
    multiprocessing.util.Finalize(None, emulator.close, exitpriority=10)
    before_going.append(lambda: before_exit(emulator))  # and when serve was killed
    _scrub_environment()
    # What start-up built (schemas, spyne, Flask, templates) lives as long as the worker: out
    # of the cyclic collector's sight, a full collection no longer walks it (measured: 64 ms
    # before, under 0.1 ms after).
    gc.collect()
    gc.freeze()
    bodies = BodyWatch(emulator, after=float(os.environ.get(IDLE_TIMEOUT_ENV, "30")))
    looks.append(bodies.look)
    return GcPacer(bodies)  # type: ignore[return-value]


def _stop_on_signal_while_starting() -> None:
    """A worker is forked with serve's own handlers for SIGTERM and SIGINT, which only set a
    flag in serve's server object, and granian installs the worker's handlers after this
    factory returned: a SIGTERM while the worker loads (about a second) was swallowed, the
    worker served on, and serve waited for it for ever (seen: ``serve`` stopped right after
    its first worker answered). Until granian's handlers replace these, SIGTERM stops the
    worker at once: it has nothing in flight yet. One that came before this ran is sent
    again by serve (:func:`signal_until_gone`). SIGINT is left to serve, here and once the
    worker serves (:func:`_leave_sigint_to_serve`). (Nor a look at the inherited handler's
    flag: a worker forked by a SIGHUP's restart after serve's SIGTERM then stopped on its
    own: exit 1.)"""

    def stop(signum: int, frame: object) -> None:
        # Not SystemExit: raised wherever the loading was, it could be caught (seen: the
        # worker served on)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _leave_sigint_to_serve()


def _leave_sigint_to_serve() -> None:
    """granian's WSGI worker installs a handler that stops it on SIGINT as on SIGTERM, when
    it starts serving. Ctrl+C sends SIGINT to serve and its workers at once: a worker that
    had stopped before serve asked counted as crashed, and serve exited 1 (once in CI, 1 in
    51 tries by hand). So SIGINT stays ignored in a serving worker too; serve stops it with
    SIGTERM. And its SIGTERM handler runs twice at most: serve sends SIGTERM again every
    second until the worker is gone (:func:`signal_until_gone`, for one that came before
    the worker served), and granian's worker took a third by blocking its main thread with
    the GIL held, so that a request still in flight never finished and serve waited for
    ever. Builds on granian 2.x's worker importing ``set_sync_signals`` from
    ``granian._signals`` when it starts (checked in granian 2.8.9)."""
    import granian._signals as granian_signals

    install = granian_signals.set_sync_signals

    def sigterm_only():
        event = install()
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        granian_handler = signal.getsignal(signal.SIGTERM)
        heard: list[int] = []

        def twice_at_most(signum: int, frame: object) -> None:
            if len(heard) < 2 and callable(granian_handler):
                heard.append(signum)
                granian_handler(signum, frame)

        signal.signal(signal.SIGTERM, twice_at_most)
        return event

    granian_signals.set_sync_signals = sigterm_only


def _scrub_environment() -> None:
    """granian starts every request's WSGI environ from a copy of the worker's process
    environment, taken after this factory returns: a variable named like a request header
    (``HTTP_AUTHORIZATION``, ``HTTP_X_MAGDA_AFZENDER``, ``CONTENT_TYPE``) would then stand in
    every request that does not send that header itself (seen: ``HTTP_AUTHORIZATION=Bearer
    <token>`` in serve's environment let an admin call without a token through, and an
    Afzender appeared in calls that named none), and the admin token would be in every
    environ. The worker has read what it needs of them by now."""
    for name in list(os.environ):
        if name.startswith("HTTP_") or name in ("CONTENT_TYPE", "CONTENT_LENGTH", TOKEN_ENV):
            del os.environ[name]


class GcPacer:
    """Keeps the cyclic collector's pauses short.

    What a worker caches while it serves (personas from the catalogue, reply templates,
    request shapes: some 100,000 objects after a few thousand random INSZs) made each full
    collection walk all of it: 120 ms, and the p99 of the advice for random INSZs 138-216 ms
    at 8 connections (125-207 ms with ``--admin``'s two threads, before they were paced
    too). Every ``every`` requests, at the start of one while no other is in flight, it
    collects what is garbage and freezes the rest: each object is walked about once. A
    pause grows with what the requests since the last one left (measured over random INSZs
    of a million personas: 2.6 ms every 300 requests, 0.28 ms every 50, 0.07 ms every 20):
    short and frequent pauses keep the queue behind them short (p99), at the same few
    microseconds a request. What is frozen is still freed by its reference count when a
    cache drops it; the cached values hold no cycles. A request in flight (until the server
    closed its reply: a streamed list runs on after the call returned) is never frozen: its
    cyclic garbage would be kept for ever. With several threads that are never all idle
    the collector runs as Python's own, unpaced."""

    def __init__(self, app: Emulator, every: int = 25) -> None:
        self.app, self.every, self._n = app, every, 0
        self._in_flight = 0  # requests in flight
        self._slot = threading.Lock()

    def __getattr__(self, name: str):
        return getattr(self.app, name)

    def __call__(self, environ: dict, start_response):
        with self._slot:
            self._n += 1
            if self._n >= self.every and not self._in_flight:
                self._n = 0
                gc.collect()
                gc.freeze()
            self._in_flight += 1
        try:
            response = self.app(environ, start_response)
        except BaseException:
            self._done()
            raise
        if response.__class__ is list or isinstance(response, BrokenOffReply):
            self._done()  # answered whole, or broken off: nothing of it runs on
            return response
        return Streamed(response, self._done)

    def _done(self) -> None:
        with self._slot:
            self._in_flight -= 1


class BodyWatch:
    """Logs a request whose body has not all arrived ``after`` seconds into its read.

    granian has no body read timeout (emmett-framework/granian#728): a client that sends
    less than its Content-Length says and keeps the connection open holds a worker thread
    until it closes, while it waits for the reply itself: both sides silent (a hand-written
    client whose Content-Length was counted before its body changed does it). The thread
    cannot be freed from here (the WSGI environ has no socket and no client port to find it
    by), but the one who started serve is told why, once when the wait passes ``after`` and
    once when it ends. The worker's watcher thread calls :meth:`look`; a request without a
    body is passed through as it is."""

    def __init__(self, app: Emulator, after: float) -> None:
        self.app, self.after = app, after
        # id -> [read since (monotonic), the request's environ, logged]: one entry a read in
        # progress. No lock: an insert and a delete are atomic under the GIL, and look()
        # copies the values in one C call (a lock would cost each request two acquires).
        self._reading: dict[int, list] = {}

    def __getattr__(self, name: str):
        return getattr(self.app, name)

    def __call__(self, environ: dict, start_response):
        if (environ.get("CONTENT_LENGTH") or "0") != "0" or "HTTP_TRANSFER_ENCODING" in environ:
            environ["wsgi.input"] = _WatchedInput(environ["wsgi.input"], self, environ)
        return self.app(environ, start_response)

    def ended(self, entry: list, how: str) -> None:
        """A read whose wait was logged has ended: that is logged too."""
        logging.getLogger(__name__).warning(
            "%s: the read of its body ended after %.0f s, with %s",
            _said(entry[1]),
            time.monotonic() - entry[0],
            how,
        )

    def look(self) -> None:
        now = time.monotonic()
        for entry in tuple(self._reading.values()):
            if not entry[2] and now - entry[0] >= self.after:
                entry[2] = True
                logging.getLogger(__name__).warning(
                    "%s: the body has not all arrived after %.0f s; a worker thread waits for"
                    " it until the client sends the rest or closes the connection (no request"
                    " body is timed out: see the README's Known limits)",
                    _said(entry[1]),
                    now - entry[0],
                )


def _said(environ: dict) -> str:
    """The request in one line of the log: control characters in its path escaped."""
    length = environ.get("CONTENT_LENGTH")
    announced = f"Content-Length: {length[:20]}" if length else "chunked"
    path = repr(path_as_sent(environ.get("PATH_INFO", ""))[:200])[1:-1]
    return f"{environ.get('REQUEST_METHOD')} {path} from {environ.get('REMOTE_ADDR')} ({announced})"


class _WatchedInput:
    """``wsgi.input`` (PEP 3333's four methods, as granian's own) whose ``read`` is timed for
    :class:`BodyWatch`: the one the emulator's readers call (its SOAP path, werkzeug's for
    REST and admin, which uses ``readinto`` where a stream has one: this one has not)."""

    __slots__ = ("_input", "_watch", "_environ")

    def __init__(self, stream, watch: BodyWatch, environ: dict) -> None:
        self._input, self._watch, self._environ = stream, watch, environ

    def read(self, *args) -> bytes:
        entry = [time.monotonic(), self._environ, False]  # since, what, logged
        reading = self._watch._reading
        reading[key := id(entry)] = entry
        try:
            data = self._input.read(*args)
        except BaseException:
            del reading[key]
            if entry[2]:
                self._watch.ended(entry, "an error")
            raise
        del reading[key]
        if entry[2]:
            self._watch.ended(entry, f"{len(data)} bytes")
        return data

    def readline(self, *args) -> bytes:
        return self._input.readline(*args)

    def readlines(self, *args) -> list[bytes]:
        return self._input.readlines(*args)

    def __iter__(self):
        return iter(self._input)


def before_exit(emulator: Emulator) -> None:
    """What a worker whose serve is gone does before ``os._exit``, while granian's threads
    may still run requests: the journal entries it holds written to the store. Not the
    emulator's close(): that waits for a ``--watch`` reload in progress (up to 30 s, where
    the worker must go within a second of serve) and closes the stores' connections under
    the requests still running; the exit closes them."""
    emulator.runtime.close()


def _stop_with_parent(
    parent: int, looks: list[Callable[[], None]], interval: float = 0.2
) -> list[Callable[[], None]]:
    """A worker whose ``serve`` died (kill -9) must not go on serving: it would keep the
    port and answer beside a new ``serve``. Within ``interval`` of the parent's death (the
    worker is then adopted by another process) the worker exits; at once when it was adopted
    before it came here (serve killed while the worker started). What the returned list
    holds is done first (:func:`before_exit`: the journal entries it holds written to the
    store, which a store kept across runs lost when the worker went by ``os._exit``). Until
    then, what ``looks`` holds is called every ``interval`` (:meth:`BodyWatch.look`)."""
    before_going: list[Callable[[], None]] = []

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
            for look in tuple(looks):
                try:
                    look()
                except Exception:  # noqa: BLE001 - the watch for serve's death goes on
                    log = logging.getLogger(__name__)
                    log.exception("%s failed: this worker calls it no more", look.__qualname__)
                    looks.remove(look)
        log = logging.getLogger(__name__)
        log.error("serve (pid %d) is gone: this worker stops", parent)
        for step in before_going:
            try:
                step()
            except Exception as error:  # noqa: BLE001 - it stops all the same, and says why
                log.error("while this worker stopped: %s", error)
        os._exit(3)

    threading.Thread(target=watch, name="magda-kbi-parent-watch", daemon=True).start()
    return before_going


def signal_until_gone(
    processes: Callable[[], list[multiprocessing.process.BaseProcess]],
    done: threading.Event,
    interval: float = 1.0,
) -> None:
    """SIGTERM again, every ``interval`` until ``done``, to each of ``processes``
    (``multiprocessing.Process``) still running. granian's worker takes its stop signal as a
    notification that only a serving worker hears: one that came while the worker was
    between its application and serving was lost, and serve waited for that worker for ever
    (seen in about one of seven Ctrl+Cs a second after start). A second signal stops it;
    the worker passes on no more than two (a third blocked granian's worker, see
    :func:`_leave_sigint_to_serve`). Never reaps: an ended process's
    sentinel is ready, and a pid is not reused before its process is reaped."""
    while not done.wait(interval):
        for process in processes():
            if not multiprocessing.connection.wait([process.sentinel], 0):
                with contextlib.suppress(ProcessLookupError):  # ended since: nothing to do
                    os.kill(process.pid, signal.SIGTERM)


@dataclasses.dataclass(frozen=True)
class Tls:
    """HTTPS for ``serve``: the emulator's certificate (chain) and key, and, for mutual TLS
    as MAGDA asks of its consumers, the CA that signs the client certificates it takes."""

    certificate: Path
    key: Path
    client_ca: Path | None = None


class _EncryptedKey(Exception):
    pass


def _no_password() -> str:
    raise _EncryptedKey  # asked only for an encrypted key (else OpenSSL prompts on the tty)


# What makes PEM of a binary file, for each option: certificates for the platform are often
# handed out as a PKCS#12 bundle (.p12, .pfx), or a certificate as DER (.cer, .der); OpenSSL
# said only "PEM lib" of either.
_FROM_PKCS12 = (
    "a PKCS#12 bundle (.p12, .pfx) gives its certificate with 'openssl pkcs12 -in FILE"
    " -nokeys -out server.crt' and its key with 'openssl pkcs12 -in FILE -nocerts -nodes"
    " -out server.key'"
)
_MAKE_PEM = {
    "--tls-cert": f"{_FROM_PKCS12}; a DER certificate (.cer, .der) becomes PEM with"
    " 'openssl x509 -inform der -in FILE -out server.crt'",
    "--tls-key": f"{_FROM_PKCS12}; a DER key becomes PEM with"
    " 'openssl pkey -inform der -in FILE -out server.key'",
    "--tls-client-ca": "a DER certificate (.cer, .der) becomes PEM with"
    " 'openssl x509 -inform der -in FILE -out ca.pem'",
}


def _der_hint(option: str, file: Path) -> str | None:
    """``option``'s file said to be binary (DER: its first byte an ASN.1 SEQUENCE, where PEM
    is text), with the openssl command that makes PEM of it; None for any other file."""
    try:
        with file.open("rb") as opened:
            if opened.read(1) != b"\x30":
                return None
    except OSError:  # gone since tls_problem opened it: OpenSSL's words then
        return None
    return f"{option}: {file} is a binary (DER) file, not PEM: {_MAKE_PEM[option]}"


def tls_problem(tls: Tls) -> str | None:
    """Why ``serve`` cannot serve HTTPS with these files, in one line, or None. Checked with
    OpenSSL before any worker starts: granian reads the files in each worker, where a bad
    one ended serve after a crash loop of its workers instead of saying which file."""
    for option, file in (
        ("--tls-cert", tls.certificate),
        ("--tls-key", tls.key),
        ("--tls-client-ca", tls.client_ca),
    ):
        try:
            if file is not None:
                file.open("rb").close()
        except OSError as error:
            return f"{option}: cannot read {file}: {error.strerror or error}"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(tls.certificate, tls.key, password=_no_password)
    except _EncryptedKey:
        return (
            f"--tls-key: {tls.key} is encrypted; give the key without its password"
            " (openssl pkey -in KEY -out KEY.plain)"
        )
    except ssl.SSLError as error:
        if error.reason == "KEY_VALUES_MISMATCH":
            return f"--tls-key: {tls.key} is not the key of the certificate {tls.certificate}"
        if hint := _der_hint("--tls-cert", tls.certificate) or _der_hint("--tls-key", tls.key):
            return hint
        reason = "" if error.reason in (None, "PEM_LIB") else f" ({error.reason})"
        return (
            f"--tls-cert {tls.certificate} and --tls-key {tls.key}: not a PEM certificate and"
            f" its PEM private key{reason}"
        )
    if tls.client_ca is not None:
        try:
            context.load_verify_locations(cafile=tls.client_ca)
        except ssl.SSLError as error:
            if hint := _der_hint("--tls-client-ca", tls.client_ca):
                return hint
            return (
                f"--tls-client-ca: {tls.client_ca} holds no PEM CA certificate"
                f" ({error.reason or error})"
            )
    return None


def reload_problem(settings: Settings, tls: Tls | None) -> str | None:
    """Why a SIGHUP's new workers would not start, in one line, or None: ``serve``'s checks
    at start-up, on the files as they are now (changed persona files are imported into the
    catalogue meanwhile, as at start-up, and the workers find it up to date)."""
    if tls is not None and (problem := tls_problem(tls)):
        return problem
    try:  # its stores closed before the workers are forked, refused or not
        make_emulator(dataclasses.replace(settings, store=None, watch=False)).close()
    except (InputError, FixtureError) as error:
        return file_refusal(error)
    except (StoreError, sqlite3.Error) as error:
        return f"the persona catalogue: {error}"
    return None


def _is_process(worker: object) -> bool:
    """A granian worker run as a process (not as a thread, as on free-threaded Python)."""
    return isinstance(getattr(worker, "inner", None), multiprocessing.process.BaseProcess)


class _MainLoopEvent(threading.Event):
    """What granian's main loop waits on: set by granian when a worker ended, and cleared by
    it before a restart. serve's signal handlers only set flags (``Server``): the wait looks
    at them (``asked()``) every ``STEP``, and a stop or a reload asked ends it as a set
    would. (Set by the handlers, it also missed stops two ways: the kernel may hand a signal
    sent to serve to another thread, granian's worker watchers waiting in waitpid, which
    Python only flags for the main thread, and in a wait without a timeout that thread never
    ran the handler; and a clear before a restart, a SIGHUP's or a dead worker's, undid a
    stop's set that came just before it.)"""

    # how soon a stop or reload asked is seen; measured: serve idle 0.2% of a core, a SIGTERM's
    # stop 0.07 s (0.2 s steps: 0.05% and 0.22 s)
    STEP = 0.05

    def __init__(self, asked: Callable[[], bool]) -> None:
        super().__init__()
        self.asked = asked

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = self.STEP if deadline is None else max(0.0, deadline - time.monotonic())
            step = min(self.STEP, left)
            if super().wait(step) or self.asked():
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False


@functools.cache
def granian_server() -> type:
    """serve's granian server class (granian imported when serve runs, not before): granian
    2.x's, with the files checked before a SIGHUP's restart, a stop noted at start-up taken
    over, and a main loop that never misses a stop."""
    from granian import Granian

    class Server(Granian):  # type: ignore[misc, valid-type]
        def __init__(
            self,
            *args,
            settings: Settings,
            tls: Tls | None,
            folders: list[Path],
            watch: FileWatch | None = None,
            **kwargs,
        ) -> None:
            super().__init__(*args, **kwargs)
            self.magda_settings, self.magda_tls, self.persona_folders = settings, tls, folders
            self.magda_watch = watch
            self.main_loop_interrupt = _MainLoopEvent(
                lambda: self.interrupt_signal or self.reload_signal
            )
            logging.getLogger("_granian").addFilter(
                self._no_exit_error_for_a_worker_that_ended_well
            )

        def _no_exit_error_for_a_worker_that_ended_well(self, record: logging.LogRecord) -> bool:
            # A stop sent to serve and its workers at once (systemd's default, kill -TERM
            # -PGID) ended workers before serve marked them as stopped by it: granian said
            # "Unexpected exit from worker-N" at every such stop, an error line for nothing.
            # A worker that ended well (exit 0: a stop reached it) is no error, whoever sent
            # the stop (serve's own flag may be set a moment after granian looks); one that
            # crashed or was killed is still said. Either is replaced unless serve stops.
            said = record.getMessage()
            if not said.startswith("Unexpected exit from worker-"):
                return True
            number = said.rpartition("-")[2]
            ended = [w for w in self.wrks if str(w.idx + 1) == number and _is_process(w)]
            return not (ended and all(w.inner.exitcode == 0 for w in ended))

        # granian's handlers set main_loop_interrupt, an Event, and so take its lock: a
        # handler that finds it held (by the code or handler it interrupted in the main
        # thread, or held when a worker was forked) waits for ever, and each later signal
        # nests another waiting handler. Seen in a worker forked just before Ctrl+C (it has
        # serve's handlers until it loads the application; serve sends it SIGTERM every
        # second): its main thread stuck in nested handlers, serve waiting for it (3 of some
        # 185 Ctrl+Cs at once). A flag takes no lock; the main loop's wait looks at the flags
        # every 0.05 s (_MainLoopEvent.STEP).
        def signal_handler_interrupt(self, *args, **kwargs) -> None:
            self.interrupt_signal = True

        def signal_handler_reload(self, *args, **kwargs) -> None:
            self.reload_signal = True

        # granian 2.x's own stop (its _stop_workers, wrks and each worker's inner process),
        # with the workers signalled again while it waits for them
        def _stop_workers(self) -> None:
            done = threading.Event()
            threading.Thread(
                target=signal_until_gone,
                args=(lambda: [w.inner for w in self.wrks if _is_process(w)], done),
                name="magda-kbi-stop-workers",
                daemon=True,
            ).start()
            try:
                super()._stop_workers()
            finally:
                done.set()
            if self.interrupt_signal:
                # A stop reaches the workers too (Ctrl+C and most supervisors signal the whole
                # process group): one that ended on it before serve marked it as stopped is
                # no failed worker, and serve exits 0, not 1
                self.interrupt_children.clear()

        def _reload(self, spawn_target, target_loader) -> None:
            # A SIGHUP's new workers read the files again (personas, consumers, TLS: edited
            # or renewed without a stop); files that no longer load would stop each new
            # worker and then serve, so the workers that run are kept instead, as they are
            fingerprint_ = fingerprint(self.persona_folders)
            problem = reload_problem(self.magda_settings, self.magda_tls)
            if self.interrupt_signal:  # a stop during the checks: no restart, the loop stops
                return
            if problem is None and self.magda_tls is not None:
                problem = self._tls_files_as_they_are_now(self.magda_tls)
            if problem is None:
                os.environ[IMPORTED_FILES_ENV] = fingerprint_
                super()._reload(spawn_target, target_loader)
            else:
                self.reload_signal = False
                self.main_loop_interrupt.clear()
                if self.magda_watch is not None:  # tried again once the persona files change
                    self.magda_watch.refused_with = fingerprint_
                logging.getLogger(__name__).error(
                    "SIGHUP refused, the workers go on as they are: %s", problem
                )

        def _tls_files_as_they_are_now(self, tls: Tls) -> str | None:
            # granian follows the files' links once, at its start: a Kubernetes Secret's
            # files link through '..data' to a folder each update replaces, and after one
            # every new worker panicked on the removed folder's files (serve exited)
            options = _granian_tls(tls)
            try:
                self.build_ssl_context(
                    options["ssl_cert"],
                    options["ssl_key"],
                    None,
                    options["ssl_protocol_min"],
                    options.get("ssl_ca"),
                    [],
                    options.get("ssl_client_verify", False),
                )
            except (OSError, ssl.SSLError) as error:  # changed again since they were checked
                return f"--tls-cert {tls.certificate} and --tls-key {tls.key}: {error}"
            return None

        def _spawn_workers(self, spawn_target, target_loader) -> None:
            # granian's handlers are in place now: a stop noted before them is its stop, and
            # a SIGHUP noted before them its reload (the files may have changed since serve
            # checked them)
            if stopping.stop_asked():
                self.signal_handler_interrupt()
            super()._spawn_workers(spawn_target, target_loader)
            if stopping.reload_asked() and not self.interrupt_signal:
                self.signal_handler_reload()

    return Server


def watched_files(settings: Settings, tls: Tls | None) -> list[Path]:
    """What ``serve --watch`` watches itself: the --consumers and --tls-* files (the workers
    watch the persona folders)."""
    if not settings.watch:
        return []
    found = [settings.consumers, *((tls.certificate, tls.key, tls.client_ca) if tls else ())]
    return [path for path in found if path is not None]


def file_state(files: list[Path]) -> list[tuple[int, int, int] | None]:
    """Each file's modification time, size and inode (its link followed: a Kubernetes
    volume swaps a link), None for one that cannot be read now."""
    state: list[tuple[int, int, int] | None] = []
    for path in files:
        try:
            found = path.stat()
        except OSError:
            state.append(None)
        else:
            state.append((found.st_mtime_ns, found.st_size, found.st_ino))
    return state


class FileWatch:
    """``serve --watch`` in serve itself: a change to the --consumers and --tls-* files is a
    SIGHUP to serve, so it is checked and taken, or refused with the workers going on, as
    ``kill -HUP`` is. A worker cannot take them alone: granian sets TLS at a worker's start,
    and a consumers file counts for every worker at once. The signal waits until the files
    are unchanged for one look: a renewal writes the certificate, then its key, and the
    certificate with the old key was refused. A refused SIGHUP (a persona file bad at that
    moment, say) is sent again once the persona files change: the change it was for is
    not lost when the workers' own watch takes the mended persona file."""

    def __init__(
        self, files: list[Path], taken: list, folders: list[Path], interval: float = 0.5
    ) -> None:
        self.files, self.seen, self.folders, self.interval = files, taken, folders, interval
        self.refused_with: str | None = None  # the persona files' fingerprint at a refusal

    def start(self) -> FileWatch:
        threading.Thread(target=self._loop, name="magda-kbi-watch-files", daemon=True).start()
        return self

    def _loop(self) -> None:
        last = self.seen
        while True:
            time.sleep(self.interval)
            now = file_state(self.files)
            refused_with = self.refused_with
            again = refused_with is not None and fingerprint(self.folders) != refused_with
            if (now != self.seen and now == last) or again:
                self.seen, self.refused_with = now, None
                os.kill(os.getpid(), signal.SIGHUP)
            last = now


def serve_granian(
    settings: Settings,
    host: str,
    port: int,
    workers: int,
    threads: int,
    tls: Tls | None,
    imported: str,
    watched: list | None = None,
    *,
    idle_timeout: int = 30,
) -> None:
    """``imported``: the persona files' fingerprint taken before ``serve`` imported them;
    ``watched``: the state of :func:`watched_files` taken before serve read them;
    ``idle_timeout``: seconds a connection may go without sending complete request headers."""
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings

    folders = [builtin_folder(), *settings.extra_fixtures]
    files, watch = watched_files(settings, tls), None
    if files and hasattr(signal, "SIGHUP"):  # none on Windows
        taken = watched if watched is not None else file_state(files)
        watch = FileWatch(files, taken, folders).start()

    os.environ[SETTINGS_ENV] = settings_to_json(settings)
    os.environ[IMPORTED_FILES_ENV] = imported
    os.environ[SERVE_PID_ENV] = str(os.getpid())
    os.environ[IDLE_TIMEOUT_ENV] = str(idle_timeout)
    # What start-up built stays for serve's life: out of the collector's sight, the forked
    # workers' collections do not touch (and so copy) its pages, and serve's exit does not
    # walk it (measured: a stop 0.168 -> 0.064 s, median of 8; serve with 2 workers 119 ->
    # 97 MB of PSS after 300 requests)
    gc.freeze()
    granian_server()(
        "magda_kbi.adapters.server:application",
        settings=settings,
        tls=tls,
        folders=folders,
        watch=watch,
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        # HTTP/1.1 only, as MAGDA's SOAP consumers speak it: in granian's HTTP/1-or-2 mode no
        # timer runs until a connection's first byte, so one that never sent any was held for
        # ever, and beyond granian's 1,024 connections at a time they stopped every answer
        # (measured: 1,500). HTTP/1.1's header timer runs from the connection's start.
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(header_read_timeout=idle_timeout * 1000),
        # A worker that dies (the OOM killer, a crash in a C library) is replaced, and the
        # other workers answer meanwhile; one that dies again within seconds of its start
        # (a consumers file made bad between a SIGHUP's check and the worker) stops serve,
        # exit 1.
        respawn_failed_workers=True,
        # A SIGHUP starts each new worker, waits this long, then stops its old one: granian's
        # 3.5 s made a restart of two workers take 7 s (and a SIGTERM meanwhile wait for it);
        # a worker serves about 0.4 s after its start (measured: 1.0 s, no error, no slower
        # answer during the restart)
        respawn_interval=1.0,
        log_level="warning",
        log_dictconfig=_LOG_TO_STDERR,
        **(_granian_tls(tls) if tls else {}),
    ).serve()


# granian's log lines (a worker that ended unasked, a crash loop) on standard error, as the
# emulator's own: on standard output, which has the banner only, they went where a program
# reading serve's output looked for it, and with that output closed (serve | head -3) each
# was a "--- Logging error ---" traceback instead.
_LOG_TO_STDERR = {
    "filters": {"drop": {"()": lambda: _an_injected_drop_in_one_line}},
    "handlers": {
        handler: {
            "class": "logging.StreamHandler",
            "formatter": form,
            "stream": "ext://sys.stderr",
            "filters": ["drop"],
        }
        for handler, form in (("console", "generic"), ("access", "access"))
    },
}


def _an_injected_drop_in_one_line(record: logging.LogRecord) -> bool:
    """A ``drop`` fault cuts the connection by raising into granian, which logged it as an
    error with the traceback in its message ("Application callable raised an exception"):
    in a contract test's server output that read as the emulator failing. What was asked
    for is said in one warning line instead; any other exception keeps its traceback."""
    said = record.getMessage().rstrip()
    if said.startswith("Application callable raised") and said.endswith(ConnectionDropped.SAID):
        record.msg, record.args = f"{ConnectionDropped.SAID} (a fault of kind drop)", ()
        record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
    return True


def _granian_tls(tls: Tls) -> dict:
    from granian.constants import SSLProtocols

    # TLS 1.2 as well as 1.3 (granian's default is 1.3 only): the platform takes 1.2, and so
    # do the Java and .NET stacks many consumers still run
    options = {
        "ssl_cert": tls.certificate,
        "ssl_key": tls.key,
        "ssl_protocol_min": SSLProtocols.tls12,
    }
    if tls.client_ca is not None:
        options |= {"ssl_ca": tls.client_ca, "ssl_client_verify": True}
    return options
