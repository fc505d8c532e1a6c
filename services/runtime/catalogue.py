"""The persona catalogue in a store: imported once from the persona files, read per INSZ.

``serve`` imports the fixture folders into a catalogue (by default a SQLite file in the
user's cache folder, one per set of folders; with ``--store`` that store, so replicas share
it). A file is imported again only when its content changed: an unchanged size and
modification time skip it at once, an unchanged SHA-256 after that. The XSD check of a file
happens at its import (and not again for content that passed it before). A worker never
holds the catalogue: it looks a persona up by INSZ when a request needs it and keeps the
last ones it used in a bounded LRU; lists and pages stream from the store, a few thousand
rows at a time, so memory stays flat with a million personas.

Rows written by ``generate --store`` carry a path ``generate:...`` and stay when the files
are imported again (they come from no file).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from magda_kbi import __version__
from magda_kbi.domain.dossier import Persona
from magda_kbi.domain.search import persona_search_text
from magda_kbi.io.checked_files import CheckedFiles, checks_hash
from magda_kbi.io.personas import (
    FixtureError,
    already_defined,
    data_search_text,
    data_summary,
    path_text,
    persona_files,
    persona_from_data,
    read_persona_file,
    summary,
)

if TYPE_CHECKING:  # the store builds on the runtime, which uses the views below
    from magda_kbi.runtime.store import Store

BATCH = 2000  # rows per insert and per read while streaming
MANY_AT_ONCE = 500  # INSZs a query asks for (SQLite before 3.32 took 999 parameters at most)


class StoreUnavailable(RuntimeError):
    """The store cannot be reached now (PostgreSQL lost while running): a persona that is not
    cached cannot be looked up; the services answer MAGDA's 99994 for it."""


GENERATED = "generate:"  # the path of rows that come from no file


def first_to_say(store: Store, what: str) -> bool:
    """Whether this worker is the first to say ``what`` (a refusal of the files as they are
    now): every worker watches them and finds the same fault; one says it. A day later it
    may be said again; a store that cannot be asked lets it be said."""
    now = time.time()
    try:
        with store.write() as db:  # no change number: nobody reloads for it
            db.execute("DELETE FROM catalogue_refused WHERE at < ?", (now - 86400,))
            first = db.execute(
                "INSERT INTO catalogue_refused (what, at) VALUES (?, ?) ON CONFLICT DO NOTHING "
                "RETURNING what",
                (what, now),
            ).fetchone()
    except (*store_errors(store), OSError):
        return True
    return first is not None


def store_errors(store: Store) -> tuple[type[BaseException], ...]:
    """What ``store`` raises when it cannot be reached or written (a full disk, a lost
    server), as a tuple for ``except``."""
    return (*(store.Error if isinstance(store.Error, tuple) else (store.Error,)), StoreUnavailable)


def import_files(
    store: Store, folders: Iterable[Path], *, checked: CheckedFiles | None = None
) -> tuple[int, int]:
    """Brings the catalogue in line with the folders' files; (files imported or removed by
    this call, files in all). One write transaction: a file that does not load (or an INSZ
    defined twice) raises :class:`FixtureError` and leaves the catalogue as it was."""
    # A file is known by its real path: the same folder named another way (relative, through
    # a link) is not imported again.
    files = [path for folder in folders for path in persona_files(folder.resolve())]
    stamp = _import_stamp()
    with store.read() as db:
        old_stamp = db.execute("SELECT stamp FROM catalogue_version").fetchone()[0]
        known = {
            path: (mtime, size, sha, position)
            for path, mtime, size, sha, position in db.execute(
                "SELECT path, mtime_ns, size, sha256, position FROM catalogue_file "
                "WHERE path NOT LIKE ?",
                (GENERATED + "%",),
            )
            if old_stamp == stamp  # another contract, check or version: import all again
        }
    to_do: list[tuple[int, Path, str, str]] = []  # not the contents: a million personas
    to_update: list[tuple[int, int, str, int, str]] = []
    for position, path in enumerate(files):
        try:
            stat = path.stat()
        except OSError as error:
            raise FixtureError(str(path), "-", f"cannot read: {error.strerror}") from None
        old = known.get(path_text(path))
        if old and old[:2] == (stat.st_mtime_ns, stat.st_size):
            if old[3] != position:
                to_update.append(
                    (stat.st_mtime_ns, stat.st_size, old[2], position, path_text(path))
                )
            continue
        sha, checked_key = _hashes(path)
        if old and old[2] == sha:  # touched, not changed
            to_update.append((stat.st_mtime_ns, stat.st_size, sha, position, path_text(path)))
            continue
        to_do.append((position, path, sha, checked_key))
    gone = set(known) - {path_text(p) for p in files}
    if not (to_do or to_update or gone) and old_stamp == stamp:
        return 0, len(files)
    with store.write() as db:
        current = db.execute("SELECT stamp FROM catalogue_version").fetchone()[0]
        if old_stamp != stamp and current != stamp:
            db.execute("DELETE FROM catalogue WHERE path NOT LIKE ?", (GENERATED + "%",))
            db.execute("DELETE FROM catalogue_file WHERE path NOT LIKE ?", (GENERATED + "%",))
            db.execute("UPDATE catalogue_version SET stamp = ?", (stamp,))
        elif current == stamp:
            # Another worker may have brought the catalogue in line since the look above
            # (serve --watch: each sees the change): what it imported is not read again.
            now = dict(
                db.execute(
                    "SELECT path, sha256 FROM catalogue_file WHERE path NOT LIKE ?",
                    (GENERATED + "%",),
                ).fetchall()
            )
            to_do = [item for item in to_do if now.get(path_text(item[1])) != item[2]]
            gone &= now.keys()
        for path in gone | {path_text(p) for _, p, _, _ in to_do}:
            db.execute("DELETE FROM catalogue WHERE path = ?", (path,))
            db.execute("DELETE FROM catalogue_file WHERE path = ?", (path,))
        for row in to_update:
            db.execute(
                "UPDATE catalogue_file SET mtime_ns = ?, size = ?, sha256 = ?, position = ? "
                "WHERE path = ?",
                row,
            )
        for position, path, sha, checked_key in to_do:
            stat = path.stat()
            # Read as it is imported, a line at a time (a file of 200,000 generated personas
            # read whole took 660 MB, four times its size), then hashed again: a file changed
            # meanwhile leaves the catalogue as it was (this transaction is not committed).
            check = checked is None or not checked.known(checked_key)
            personas = read_persona_file(path, contract=check)
            rows = ((p.insz, text, persona_search_text(p)) for p, text in personas)
            _add(db, path_text(path), rows)
            if _hashes(path)[0] != sha:
                raise FixtureError(str(path), "-", "changed while it was being imported")
            if check and checked is not None:  # what was hashed is what passed
                checked.add(checked_key)
            db.execute(
                "INSERT INTO catalogue_file (path, position, mtime_ns, size, sha256) "
                "VALUES (?, ?, ?, ?, ?)",
                (path_text(path), position, stat.st_mtime_ns, stat.st_size, sha),
            )
        _new_version(db, store)
    return len(to_do) + len(gone), len(files)


def _hashes(path: Path) -> tuple[str, str]:
    """The file's SHA-256 and its key in the cache of checked files, read once in blocks."""
    own, checked_key = hashlib.sha256(), CheckedFiles.hasher()
    try:
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                own.update(block)
                checked_key.update(block)
    except OSError as error:
        raise FixtureError(str(path), "-", f"cannot read: {error.strerror}") from None
    return own.hexdigest(), checked_key.hexdigest()


def _import_stamp() -> str:
    """What a file's import depends on besides its content: the emulator's version, the
    contract its personas were checked against and the code that checked them."""
    return f"{__version__}:{checks_hash().hex()[:16]}"


def store_generated(store: Store, naam: str, personas: Iterable[tuple[str, str, dict]]) -> None:
    """Personas that come from no file (``generate --store``: INSZ, JSON, data), under
    ``generate:<naam>``; the same name again replaces them, and so it does what an earlier
    version stored under ``<naam>,count=N``."""
    path = GENERATED + naam
    with store.write() as db:
        for table in ("catalogue", "catalogue_file"):
            db.execute(f"DELETE FROM {table} WHERE path = ? OR path LIKE ?", (path, path + ",%"))
        _add(db, path, ((insz, text, data_search_text(data)) for insz, text, data in personas))
        db.execute(
            "INSERT INTO catalogue_file (path, position, mtime_ns, size, sha256) "
            "VALUES (?, (SELECT COALESCE(MAX(position), 0) + 1000000 FROM catalogue_file), "
            "0, 0, '')",
            (path,),
        )
        _new_version(db, store)


def _new_version(db, store: Store) -> None:
    """The catalogue changed: every worker drops the personas it cached from it."""
    db.execute("UPDATE catalogue_version SET n = n + 1")
    store.bump(db)


def _add(db, path: str, personas: Iterable[tuple[str, str, str]]) -> None:
    """Inserts one file's personas (INSZ, JSON, search text) in batches; an INSZ already in
    the catalogue (from another file, or twice in this one) is a :class:`FixtureError`
    naming both places."""
    seen: set[str] = set()
    rows: list[tuple[str, str, int, str, str]] = []
    for n, (insz, text, search) in enumerate(personas):
        if insz in seen:
            raise FixtureError(path, "insz", f"{insz} is defined twice in this file")
        seen.add(insz)
        rows.append((insz, path, n, text, search))
        if len(rows) >= BATCH:
            _write(db, rows)
            rows = []
    _write(db, rows)


def _write(db, rows: list[tuple[str, str, int, str, str]]) -> None:
    if not rows:
        return
    inszs = [r[0] for r in rows]
    places = ",".join("?" * len(inszs))
    known = dict(
        db.execute(f"SELECT insz, path FROM catalogue WHERE insz IN ({places})", inszs)  # noqa: S608
    )
    if known:  # the first in the file's order (PostgreSQL gave any one of them)
        insz = next(i for i in inszs if i in known)
        raise FixtureError(rows[0][1], "insz", already_defined(insz, known[insz]))
    db.executemany(
        "INSERT INTO catalogue (insz, path, n, data, search) VALUES (?, ?, ?, ?, ?)", rows
    )


class _ViaGet(Mapping[str, Persona]):
    """A read-only mapping whose ``get`` and ``values`` do the work (no dict behind it)."""

    def __getitem__(self, insz: str) -> Persona:
        persona = self.get(insz)
        if persona is None:
            raise KeyError(insz)
        return persona

    def items(self) -> Iterator[tuple[str, Persona]]:  # type: ignore[override]
        return ((p.insz, p) for p in self.values())


class Catalogue(_ViaGet):
    """The catalogue as a read-only mapping INSZ -> Persona, looked up in the store.

    ``get`` is the request path: the LRU, else one indexed query and the persona built from
    its JSON (no XSD check: it passed at import). Iterating streams in file order."""

    # 10,000: a worker's RSS stays under 150 MB with the LRU full (about 3 KB a persona;
    # measured 152 MB with 20,000 after 100,000 random INSZs of a million)
    def __init__(self, store: Store, capacity: int = 10_000) -> None:
        self.store, self.capacity = store, capacity
        self._lru: OrderedDict[str, Persona] = OrderedDict()
        self._slot = threading.Lock()
        self._count: int | None = None
        self.version = 0  # one more at every change (for what others derived from it)

    def forget(self) -> None:
        """The catalogue changed (an import): what was cached may be old."""
        with self._slot:
            self._lru.clear()
            self._count = None  # (the next count is read while the store answers)
            self.version += 1

    def get(self, insz: str, default=None):  # type: ignore[override]
        with self._slot:
            persona = self._lru.get(insz)
            if persona is not None:
                self._lru.move_to_end(insz)
                return persona
        if "\x00" in insz:  # no INSZ holds one, and PostgreSQL refuses it in a query (a 503)
            return default
        row = self._one("SELECT data FROM catalogue WHERE insz = ?", (insz,))
        if row is None:
            return default
        persona = persona_from_data(json.loads(row[0]), contract=False)
        with self._slot:
            self._lru[insz] = persona
            if len(self._lru) > self.capacity:
                self._lru.popitem(last=False)
        return persona

    def many(self, inszs: list[str]) -> dict[str, Persona]:
        """The personas of these INSZs that there are, a query per few hundred: those in the
        cache from it, the others built and not cached (a scan over every persona, such as the
        console's result filter, pushed out what the calls use, a query per persona)."""
        with self._slot:
            found = {i: p for i in inszs if (p := self._lru.get(i)) is not None}
        asked = [i for i in inszs if i not in found and "\x00" not in i]
        for start in range(0, len(asked), MANY_AT_ONCE):
            part = asked[start : start + MANY_AT_ONCE]
            marks = ", ".join("?" * len(part))
            sql = f"SELECT insz, data FROM catalogue WHERE insz IN ({marks})"  # noqa: S608
            for insz, text in self._all(sql, part):
                found[insz] = persona_from_data(json.loads(text), contract=False)
        return found

    def _one(self, sql: str, params: tuple | list = ()):
        """One row (or None)."""
        rows = self._all(sql, params, 1)
        return rows[0] if rows else None

    def _all(self, sql: str, params: tuple | list = (), how_many: int | None = None) -> list:
        """The rows, or :class:`StoreUnavailable` when the store cannot be reached."""
        try:
            cursor = self.store.db().execute(sql, params)
            return cursor.fetchmany(how_many) if how_many else cursor.fetchall()
        except self.store.Error as error:
            raise StoreUnavailable(str(error).strip() or type(error).__name__) from None

    def __contains__(self, insz: object) -> bool:
        if not isinstance(insz, str):
            return False
        with self._slot:
            if insz in self._lru:
                return True
        if "\x00" in insz:  # as in get
            return False
        return self._one("SELECT 1 FROM catalogue WHERE insz = ?", (insz,)) is not None

    def __len__(self) -> int:
        if self._count is None:
            self._count = self._one("SELECT COUNT(*) FROM catalogue")[0]
        return self._count

    def __iter__(self) -> Iterator[str]:
        return (insz for insz, _ in self._rows())

    def sorted_inszs(self) -> list[str]:
        """Every INSZ in order (the primary key's index: no persona is built)."""
        return [insz for (insz,) in self._all("SELECT insz FROM catalogue ORDER BY insz")]

    def matching(self, text: str) -> set[str]:
        """The INSZs whose search text (``domain.search``, kept beside the JSON) holds
        ``text``, folded as the search text is: the store checks each row and builds no
        persona. One scan of the table in no order (asked in INSZ order, a batch at a time,
        SQLite went through the key's index, a seek per row: 3 s for 300,000, not 0.09 s)."""
        condition, parameter = self.store.holds(text)
        sql = f"SELECT insz FROM catalogue WHERE {condition}"  # noqa: S608 - no input in it
        return {insz for (insz,) in self._all(sql, (parameter,))}

    def values(self) -> Iterator[Persona]:  # type: ignore[override]
        """Every persona, in file order, built as it is read (not kept: memory stays flat)."""
        return (persona_from_data(json.loads(text), contract=False) for _, text in self._rows())

    def summaries(self) -> Iterator[dict[str, Any]]:
        """Every persona as the admin API lists it (``io.personas.data_summary``), in file
        order, from the stored JSON: none is built."""
        return (data_summary(json.loads(text)) for _, text in self._rows())

    def where_data(
        self, keep: Callable[[str], bool], also: Container[str] = frozenset()
    ) -> Iterator[Persona]:
        """As :meth:`values`, but only the personas whose stored JSON ``keep`` takes (a row
        test such as :func:`naming`) or holds a backslash (JSON spells a character another
        way only with one, which a test on the text could miss), and those of ``also``. The
        rest are not built: a municipality's list over 200,000 personas took 15 s, nearly all
        of it building every persona to read its residence."""
        return (
            persona_from_data(json.loads(data), contract=False)
            for insz, data in self._rows()
            if "\\" in data or insz in also or keep(data)
        )

    def _rows(self) -> Iterator[tuple[str, str]]:
        """(INSZ, JSON) in file order, a batch per query (keyset paging: no cursor held open
        between batches, which PostgreSQL's driver would otherwise read whole)."""
        paths = [r[0] for r in self._all("SELECT path FROM catalogue_file ORDER BY position")]
        for path in paths:
            start = -1
            while True:
                rows = self._all(
                    "SELECT n, insz, data FROM catalogue WHERE path = ? AND n > ? "
                    "ORDER BY n LIMIT ?",
                    (path, start, BATCH),
                )
                for _, insz, text in rows:
                    yield insz, text
                if len(rows) < BATCH:
                    break
                start = rows[-1][0]


class Overlay(_ViaGet):
    """The base personas (the files' or a catalogue) with the admin API's changes on top
    (an INSZ mapped to None was removed). A new one is made for every change, never
    changed in place, so a request in flight keeps one consistent view."""

    def __init__(self, base: Mapping[str, Persona], changes: Mapping[str, Persona | None]):
        self.base, self.changes = base, dict(changes)
        self._count: int | None = None

    def get(self, insz: str, default=None):  # type: ignore[override]
        if insz in self.changes:
            persona = self.changes[insz]
            return default if persona is None else persona
        return self.base.get(insz, default)

    def __contains__(self, insz: object) -> bool:
        if insz in self.changes:
            return self.changes[insz] is not None  # type: ignore[index]
        return insz in self.base

    def __len__(self) -> int:
        if self._count is None:
            added = sum(1 for k in self._added())
            removed = sum(1 for k, p in self.changes.items() if p is None and k in self.base)
            self._count = len(self.base) + added - removed
        return self._count

    def _added(self) -> list[str]:
        return [k for k, p in self.changes.items() if p is not None and k not in self.base]

    def __iter__(self) -> Iterator[str]:
        return (p.insz for p in self.values())

    def values(self) -> Iterator[Persona]:  # type: ignore[override]
        return self._over(self.base.values())

    def where_data(self, keep: Callable[[str], bool]) -> Iterator[Persona]:
        """As the base narrows (see :meth:`Catalogue.where_data`), every changed persona
        kept: a replaced one, which ``keep`` might take now, stays at its place."""
        if isinstance(self.base, Catalogue):
            return self._over(self.base.where_data(keep, also=self.changes.keys()))
        return self.values()

    def _over(self, base: Iterable[Persona]) -> Iterator[Persona]:
        """As ``{**base, **changes}`` would order them: replaced in place, added last."""
        for persona in base:
            if persona.insz in self.changes:
                new = self.changes[persona.insz]
                if new is not None:
                    yield new
            else:
                yield persona
        for insz in self._added():
            yield self.changes[insz]  # type: ignore[misc]

    def summaries(self) -> Iterator[dict[str, Any]]:
        """As :meth:`Catalogue.summaries`, in the order of :meth:`values`: a changed persona
        summarised as it is now."""
        for row in summaries(self.base):
            if row["insz"] not in self.changes:
                yield row
            elif (new := self.changes[row["insz"]]) is not None:
                yield summary(new)
        for insz in self._added():
            yield summary(self.changes[insz])  # type: ignore[arg-type]

    def sorted_inszs(self) -> list[str]:
        removed = {k for k, p in self.changes.items() if p is None}
        base = sorted_inszs(self.base)
        return sorted({*(k for k in base if k not in removed), *self._added()})

    def many(self, inszs: list[str]) -> dict[str, Persona]:
        found = fetched_many(self.base, [i for i in inszs if i not in self.changes])
        changed = ((i, self.changes[i]) for i in inszs if i in self.changes)
        return found | {i: p for i, p in changed if p is not None}

    def matching(self, text: str) -> set[str]:
        """As the base's (a catalogue's), with the changes: removed or replaced ones left
        out there, those that hold ``text`` now put in."""
        base = self.base.matching(text) - self.changes.keys()  # type: ignore[attr-defined]
        changed = (
            i for i, p in self.changes.items() if p is not None and text in persona_search_text(p)
        )
        return base.union(changed)


def where_data(personas: Mapping[str, Persona], keep: Callable[[str], bool]) -> Iterable[Persona]:
    """At least every persona whose data as JSON ``keep`` takes, in the order of
    ``values()``: a catalogue (under its changes or not) builds almost no other (see
    :meth:`Catalogue.where_data`); any other mapping gives them all."""
    own = getattr(personas, "where_data", None)
    return own(keep) if own is not None else personas.values()


def summaries(personas: Mapping[str, Persona]) -> Iterator[dict[str, Any]]:
    """Every persona as the admin API lists it, in the order of ``values()``; from a
    catalogue's stored JSON, not built (see :meth:`Catalogue.summaries`)."""
    own = getattr(personas, "summaries", None)
    return own() if own is not None else (summary(p) for p in personas.values())


def naming(text: str) -> Callable[[str], bool]:
    """A row test for :func:`where_data`: the JSON holds ``text`` (a NIS code: five digits,
    as the data of whoever lives there holds it; a zorgkas is :func:`naming_zorgkas`'s)."""
    return lambda data: text in data


# A residence's NIS code as JSON writes it, a string or a number (a persona's data has the
# key "nis" nowhere else; were it elsewhere, that row would only be built in vain)
_NIS = re.compile(r'"nis"\s*:\s*"?([0-9]{5})')


def naming_a_municipality_outside(known: Container[str]) -> Callable[[str], bool]:
    """A row test for :func:`where_data`: the JSON names a residence's NIS code that is not
    in ``known`` (the register: only such a persona can add a municipality to it)."""
    return lambda data: any(nis not in known for nis in _NIS.findall(data))


# A membership's zorgkas as JSON writes it (the key is nowhere else in a persona's data, and
# a quote within the code is escaped: that row is built whatever its test says)
_ZORGKAS = re.compile(r'"zorgkas"\s*:\s*"([^"]*)"')


def naming_zorgkas(zorgkas: str) -> Callable[[str], bool]:
    """A row test for :func:`where_data`: the JSON names this zorgkas as a membership's, as
    its members' data does (:func:`naming` took every row holding the text: a misspelt
    'ZK0' built all 200,000 personas of a catalogue, each holding 'ZK0' in 'ZK01'...)."""
    return lambda data: zorgkas in _ZORGKAS.findall(data)


def naming_a_zorgkas_outside(known: Iterable[str]) -> Callable[[str], bool]:
    """A row test for :func:`where_data`: the JSON names a zorgkas that is neither in
    ``known`` nor in a row the test took before (only such a persona can add one to the
    zorgkassen a list names: after the first member of each, no other is built)."""
    seen = set(known)

    def new_zorgkas(data: str) -> bool:
        new = set(_ZORGKAS.findall(data)) - seen
        seen.update(new)
        return bool(new)

    return new_zorgkas


def version(personas: Mapping[str, Persona]) -> int:
    """Changes when a catalogue under these personas changed (the mapping stays the same)."""
    return getattr(getattr(personas, "base", personas), "version", 0)


def in_store(personas: Mapping[str, Persona]) -> bool:
    """Whether these personas live in a store (never to be loaded whole)."""
    return isinstance(getattr(personas, "base", personas), Catalogue)


def sorted_inszs(personas: Mapping[str, Persona]) -> list[str]:
    """The INSZs in order, without building every persona of a catalogue."""
    own = getattr(personas, "sorted_inszs", None)
    return own() if own is not None else sorted(personas)


def fetched_many(personas: Mapping[str, Persona], inszs: list[str]) -> dict[str, Persona]:
    """The personas of these INSZs that there are (from a store: see Catalogue.many)."""
    own = getattr(personas, "many", None)
    if own is not None:
        return own(inszs)
    return {i: p for i in inszs if (p := personas.get(i)) is not None}


def matching(personas: Mapping[str, Persona], text: str) -> set[str]:
    """The INSZs of personas in a store (:func:`in_store`) whose search text holds ``text``
    (folded)."""
    return personas.matching(text)  # type: ignore[attr-defined]
