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

log = logging.getLogger(__name__)

STOP_WAIT = 30.0  # seconds a stop waits for a reload in progress


class FixtureWatcher:
    def __init__(
        self,
        runtime: Runtime,
        folders: list[Path],
        loader: Callable[[], tuple[Mapping[str, Persona], bool]] | None = None,
        interval: float = 0.5,
        seen: str | None = None,
        first_to_say: Callable[[str], bool] | None = None,
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
        self.fingerprint = new
        try:
            personas, changed_here = self.load()
        except FixtureError as error:
            self.error = error.message
            (log.error if self.first_to_say(f"{new} {error.message}") else log.debug)(
                "persona files not reloaded, the previous ones stay: %s", self.error
            )
            return False
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
