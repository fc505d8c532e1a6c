"""Which persona files were already checked against the KBI contract, by their content.

The XSD check is most of the time it takes to load personas (measured: 20,000 generated
personas in 11.4 s with it, 2.1 s without). A file whose exact bytes passed the check,
against the exact same contract files and checking code, need not be checked again at the
next start: this cache remembers the SHA-256 of (checks, file) pairs that passed (see
:func:`checks_hash`), in a small SQLite file
in the user's cache folder (``$MAGDA_KBI_CACHE_DIR``, else ``$XDG_CACHE_HOME/magda-kbi``,
else ``~/.cache/magda-kbi``). Every other check of a persona still runs at every load.
A cache that cannot be opened or written is only slower: every file is checked.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from functools import cache
from pathlib import Path

from magda_kbi.wire.xml import read_contract_files

log = logging.getLogger(__name__)


CACHE_DIR_ENV = "MAGDA_KBI_CACHE_DIR"
NO_CACHE_HINT = (
    f" (every persona file is checked again at each start; set {CACHE_DIR_ENV} to a folder"
    " you can write)"
)


def cache_folder() -> Path:
    """The user's cache folder; OSError where none can be named, which every caller takes as
    no cache: no HOME and no entry in the user database (a container run under a uid of its
    own) stopped every command with Path.home()'s RuntimeError."""
    own = os.environ.get(CACHE_DIR_ENV)
    if own:
        return Path(own)
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):  # a relative one is no cache (the XDG spec):
        # taken, it made a cache below each folder a command was run in
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError as error:  # "Could not determine home directory."
            raise OSError(f"{error} (set HOME or {CACHE_DIR_ENV})") from None
    return Path(base) / "magda-kbi"


# The layers whose code decides whether a persona passes: the domain's checks, the wire's
# builders of the reply the XSD check validates, the readers of the files.
CHECKING_LAYERS = ("domain", "wire", "io")


def checking_sources() -> list[Path]:
    package = Path(__file__).resolve().parent.parent
    return sorted(path for layer in CHECKING_LAYERS for path in (package / layer).glob("*.py"))


@cache
def checks_hash() -> bytes:
    """What a persona's check depends on besides the persona: the contract files and the
    source of the code that checks. A new check (a development checkout pulled, the version
    unchanged) so checks every file again, where the contract alone let files that passed
    the old check through unchecked. About 1 ms (250 KB of source) once per process."""
    h = hashlib.sha256()
    for name, content in read_contract_files().items():
        h.update(name.encode() + b"\0" + content + b"\0")
    for path in checking_sources():
        h.update(f"{path.parent.name}/{path.name}".encode() + b"\0" + path.read_bytes() + b"\0")
    return h.digest()


class CheckedFiles:
    def __init__(self, path: Path | None = None) -> None:
        self.path: Path | None = path  # None: in the cache folder, named when first opened
        self._db: sqlite3.Connection | None = None
        self._off = False  # could not be opened: behave as an empty cache

    def __enter__(self) -> CheckedFiles:
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def close(self) -> None:
        """Closes the record (opened at the first look; a later look opens it again): left
        to the garbage collector, Python 3.13 warns of it, an error where warnings are."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def key(self, content: bytes) -> str:
        return self.hasher(content).hexdigest()

    @staticmethod
    def hasher(content: bytes = b""):
        """The key's hash so far: ``update`` it with more content, then ``hexdigest``."""
        hasher = hashlib.sha256(checks_hash())
        hasher.update(content)  # not contract_hash() + content: a copy of a whole file
        return hasher

    def _open(self) -> sqlite3.Connection | None:
        if self._db is None and not self._off:
            try:
                self.path = self.path or cache_folder() / "checked-files.sqlite"
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, timeout=5, isolation_level=None)
                self._db.execute("CREATE TABLE IF NOT EXISTS checked (key TEXT PRIMARY KEY)")
            except (OSError, sqlite3.Error) as error:
                where = f" at {self.path}" if self.path else ""
                # what it costs and the way out (a HOME that cannot be written: a
                # container's /nonexistent), unless the error says it already
                hint = "" if CACHE_DIR_ENV in str(error) else NO_CACHE_HINT
                log.warning("no cache of checked persona files%s: %s%s", where, error, hint)
                self._off = True
                self.close()  # opened, then refused (not a database): not used
        return self._db

    def known(self, key: str) -> bool:
        db = self._open()
        if db is None:
            return False
        try:
            return db.execute("SELECT 1 FROM checked WHERE key = ?", (key,)).fetchone() is not None
        except sqlite3.Error:
            return False

    def add(self, key: str) -> None:
        db = self._open()
        if db is None:
            return
        try:
            db.execute("INSERT OR IGNORE INTO checked VALUES (?)", (key,))
        except sqlite3.Error as error:  # read-only, full: the next start checks again
            log.warning("cannot record a checked persona file in %s: %s", self.path, error)
