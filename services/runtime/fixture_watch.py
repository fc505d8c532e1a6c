"""``serve --watch``: persona files added, changed or removed are picked up while it runs.

A thread in each worker polls the folders' file list (path, modification time, size) every
half second; on a change it loads every file again, checked as at start-up. A file that does
not load is reported (log and ``/health``) and the previous personas stay in force. Under
``serve`` the workers share one catalogue: the worker that imports a change says so, the
others take it without a word; a refusal is said by the first worker that finds it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from magda_kbi.domain.dossier import Persona
from magda_kbi.io.personas import FixtureError, fingerprint, load_personas
from magda_kbi.runtime.diensten import Runtime
from magda_kbi.runtime.store import one_line

log = logging.getLogger(__name__)

STOP_WAIT = 30.0  # seconds a stop waits for a reload in progress
# seconds before files the catalogue could not take (a full disk) are imported again: each
# try reads and checks them anew
RETRY_AFTER = 5.0


class FixtureWatcher:
    def __init__(
        self,
        runtime: Runtime,
        folders: list[Path],
        loader: Callable[[], tuple[Mapping[str, Persona], bool]] | None = None,
        interval: float = 0.5,
        seen: str | None = None,
        first_to_say: Callable[[str], bool] | None = None,
        store_errors: tuple[type[BaseException], ...] = (),
    ) -> None:
        self.runtime, self.folders, self.interval = runtime, folders, interval
        # whether this process says a refusal: under serve every worker finds it, one says it
        self.first_to_say = first_to_say or (lambda what: True)
        # how the personas are read again: from the files, or imported into a catalogue;
        # and whether this process changed them (another worker may have imported them)
        self.load = loader or (lambda: (load_personas(folders), True))
        # seen: the files' fingerprint of the personas loaded, when it was taken before now
        self.fingerprint = seen or fingerprint(folders)
        self.last_loaded: datetime | None = None
        self.error: str | None = None  # why the last change was not taken
        # what the loader's catalogue raises when it cannot take the files now (a full
        # disk): they are fine, and tried again
        self.store_errors = store_errors
        self._retry: tuple[str, float] | None = None  # (fingerprint, when) of such a try
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> FixtureWatcher:
        self._thread = threading.Thread(target=self._loop, name="magda-kbi-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ends the thread, after the reload it may be in (bounded): the stores are closed
        next, and a reload writes to the catalogue's. Closed under it, the reload failed
        ("the store ... is closed") at its next transaction (the one under way is waited
        for: store.Connection)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(STOP_WAIT)

    def check_for_changes(self) -> bool:
        """One look; True when the personas were reloaded."""
        new = fingerprint(self.folders)
        if new == self.fingerprint:
            return False
        if self._retry is not None and self._retry[0] == new and time.monotonic() < self._retry[1]:
            return False
        try:
            personas, changed_here = self.load()
        except FixtureError as error:
            self.fingerprint, self._retry = new, None  # the same files: the same refusal
            self.error = error.message
            (log.error if self.first_to_say(f"{new} {error.message}") else log.debug)(
                "persona files not reloaded, the previous ones stay: %s", self.error
            )
            return False
        except self.store_errors as error:
            # The files are fine; the catalogue cannot take them now. Taken as seen, the
            # change was lost for good (the disk had room again, the files stayed unread),
            # and the failure was a traceback. Tried again, said once.
            self._retry = (new, time.monotonic() + RETRY_AFTER)
            reason = f"the persona catalogue cannot take them now: {one_line(error)}"
            if reason != self.error:
                log.error("persona files not reloaded, the previous ones stay: %s", reason)
            self.error = reason
            return False
        self.fingerprint, self._retry = new, None
        # the refusal gone before the personas change: a request that sees the new ones saw
        # the old refusal in /health now and then (the test of --watch, once on 3.13)
        self.last_loaded, self.error = datetime.now(UTC), None
        self.runtime.reload(personas)
        # said once: each worker looks, one imports (the others find the catalogue in line)
        (log.warning if changed_here else log.debug)(
            "persona files reloaded: %d personas", len(personas)
        )
        return True

    def as_json(self) -> dict:
        return {
            "folders": [str(m) for m in self.folders],
            "last_reload": self.last_loaded.isoformat(timespec="seconds")
            if self.last_loaded
            else None,
            "error": self.error,
        }

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check_for_changes()
            except Exception:  # the watcher must outlive any surprise on disk
                log.exception("watching the persona files failed")
                time.sleep(self.interval)
