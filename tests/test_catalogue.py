"""The persona catalogue in a store (runtime/catalogue.py): imported once, again only for
changed files, read per INSZ through a bounded LRU, streamed in file order; and ``serve``
keeping it between runs."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import sqlite3
import time
from pathlib import Path

import pytest
import requests

from magda_kbi.io import checked_files
from magda_kbi.io.personas import (
    FixtureError,
    builtin_folder,
    load_personas,
    persona_from_data,
)
from magda_kbi.runtime.catalogue import Catalogue, Overlay, import_files, store_generated
from magda_kbi.runtime.store import SqliteStore

from .conftest import Server
from .processes import open_files

ONE = {
    "insz": "80651338304",
    "scenario": "a persona of an extra file",
    "dossier": {
        "personalia": {"achternamen": ["Nadzialek"], "voornamen": ["Boris"]},
        "doelgroepen": [{"code": "JA", "type": "PLICHT", "periode": {"begin": "2023-01-02"}}],
    },
}
TWO = {"insz": "90651338320", "scenario": "not in the KBI", "naam": "Ann Test"}


def write_file(folder, naam: str, *personas: dict) -> None:
    folder.mkdir(exist_ok=True)
    (folder / naam).write_text("".join(json.dumps(p) + "\n" for p in personas), encoding="utf-8")


@pytest.fixture
def store(tmp_path):
    store = SqliteStore(f"sqlite:///{tmp_path / 'catalogue.db'}")
    yield store
    store.close()


@pytest.fixture
def extra(tmp_path):
    folder = tmp_path / "extra"
    write_file(folder, "a.jsonl", ONE)
    write_file(folder, "b.jsonl", TWO)
    return folder


def test_the_catalogue_holds_what_the_files_hold_in_their_order(store, extra):
    folders = [builtin_folder(), extra]
    builtin = len(list(builtin_folder().glob("*.yaml")))
    assert import_files(store, folders) == (builtin + 2, builtin + 2)
    builtin_personas = Catalogue(store)
    expected = load_personas(folders)
    assert len(builtin_personas) == len(expected) == builtin + 2
    assert list(builtin_personas) == list(expected)  # file order, then line order
    assert list(builtin_personas.values()) == list(expected.values())
    assert builtin_personas["80651338304"] == expected["80651338304"]
    assert builtin_personas.get("80651338304").dossier.personalia.achternamen == ("Nadzialek",)
    assert builtin_personas.get("85673003360") is None and "85673003360" not in builtin_personas
    with pytest.raises(KeyError):
        builtin_personas["85673003360"]


def test_a_change_another_worker_imported_meanwhile_is_not_imported_again(
    store, extra, tmp_path, monkeypatch
):
    """serve --watch: every worker sees a changed file and imports it. Each looked at the
    catalogue before its write transaction, so the last of them read and imported the file
    once more (a large population file once per worker), and both said they reloaded."""
    from magda_kbi.runtime import catalogue

    folders = [builtin_folder(), extra]
    import_files(store, folders)
    write_file(extra, "b.jsonl", {**TWO, "naam": "Ann Other"})
    read_back = []
    real = catalogue.read_persona_file
    monkeypatch.setattr(
        catalogue,
        "read_persona_file",
        lambda path, **kw: read_back.append(path) or real(path, **kw),
    )
    others = SqliteStore(f"sqlite:///{tmp_path / 'catalogue.db'}")  # another worker's
    writing = store.write

    def the_other_first():  # the other worker's transaction comes first
        assert import_files(others, folders) == (1, len(Catalogue(others)))
        return writing()

    monkeypatch.setattr(store, "write", the_other_first)
    assert import_files(store, folders) == (0, len(Catalogue(store)))
    assert read_back == [extra / "b.jsonl"]  # read by the other worker alone
    assert Catalogue(store)["90651338320"].naam == "Ann Other"
    others.close()


def test_only_changed_files_are_imported_again(store, extra):
    folders = [builtin_folder(), extra]
    import_files(store, folders)
    all_pages = len(Catalogue(store))
    assert import_files(store, folders) == (0, all_pages)  # nothing read: sizes and times agree
    os.utime(extra / "a.jsonl")  # touched, the same bytes
    assert import_files(store, folders) == (0, all_pages)
    write_file(extra, "b.jsonl", {**TWO, "naam": "Ann Other"})
    assert import_files(store, folders) == (1, all_pages)
    builtin_personas = Catalogue(store)
    assert builtin_personas["90651338320"].naam == "Ann Other"
    (extra / "b.jsonl").unlink()  # a removed file takes its personas along
    import_files(store, folders)
    assert "90651338320" not in Catalogue(store) and len(Catalogue(store)) == all_pages - 1


def test_a_folder_named_another_way_is_the_same_folder(store, extra, tmp_path, monkeypatch):
    """A relative path, or a link to the folder, reads the same files: nothing is imported
    again (at a million personas that would be a minute and a half)."""
    import_files(store, [builtin_folder(), extra])
    all_pages = len(Catalogue(store))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "link").symlink_to(extra, target_is_directory=True)
    for other in (extra.relative_to(tmp_path), tmp_path / "link", tmp_path / "link" / "."):
        assert import_files(store, [builtin_folder(), other]) == (0, all_pages)


def test_a_bad_file_changes_nothing(store, extra):
    folders = [builtin_folder(), extra]
    import_files(store, folders)
    before = list(Catalogue(store).values())
    (extra / "b.jsonl").write_text('{"insz": "90651338320", "scenario": 5}\n', encoding="utf-8")
    with pytest.raises(FixtureError) as info:
        import_files(store, folders)
    assert info.value.field == "scenario"
    write_file(extra, "c.jsonl", {**ONE, "scenario": "the same INSZ again"})
    (extra / "b.jsonl").unlink()
    with pytest.raises(FixtureError) as info:
        import_files(store, folders)
    assert "80651338304 is already defined in" in info.value.reason
    assert info.value.reason.endswith("a.jsonl")
    assert list(Catalogue(store).values()) == before
    # of several persons defined again, the first in the file's order is named (the
    # store gave any one of them: the lowest INSZ in SQLite, any in PostgreSQL)
    builtin = {"insz": "98630499724", "scenario": "a built-in's number", "naam": "X"}
    write_file(extra, "c.jsonl", builtin, {**ONE, "scenario": "again"})
    with pytest.raises(FixtureError) as info:
        import_files(store, folders)
    assert info.value.reason.startswith("98630499724 is already defined in")
    assert "-contract-lopend.yaml (a built-in persona" in info.value.reason


def test_a_file_changed_while_it_is_read_changes_nothing_and_is_not_recorded_checked(
    store, extra, tmp_path, monkeypatch
):
    """A file is read a line at a time as it is imported (not whole: 200,000 personas in one
    file took 660 MB), then hashed again: one that changed meanwhile is refused, the
    catalogue stays as it was, and neither content counts as checked against the contract."""
    from magda_kbi.runtime import catalogue

    folders = [builtin_folder(), extra]
    import_files(store, folders)
    before = list(Catalogue(store).values())
    write_file(extra, "b.jsonl", {**TWO, "naam": "Ann Other"})
    read = catalogue.read_persona_file

    def then_changed(path, **kw):
        yield from read(path, **kw)
        if path.name == "b.jsonl":  # as an editor saves it again while serve imports
            write_file(extra, "b.jsonl", {**TWO, "naam": "Ann Third"})

    monkeypatch.setattr(catalogue, "read_persona_file", then_changed)
    checked = checked_files.CheckedFiles(tmp_path / "checked.sqlite")
    with pytest.raises(FixtureError) as info:
        import_files(store, folders, checked=checked)
    assert (info.value.file, info.value.reason) == (
        str((extra / "b.jsonl").resolve()),
        "changed while it was being imported",
    )
    assert list(Catalogue(store).values()) == before
    for name in ("Ann Other", "Ann Third"):
        content = (json.dumps({**TWO, "naam": name}) + "\n").encode()
        assert not checked.known(checked.key(content))
    checked.close()


def test_a_line_with_a_raw_line_separator_inside_a_string_is_one_line(store, tmp_path):
    """JSON takes U+2028 and U+0085 raw inside a string; the catalogue (serve's import) and
    a load with the checked-files cache split lines at them too (splitlines), and refused
    the file as not valid JSON, while the lists read it."""
    folder = tmp_path / "extra"
    folder.mkdir()
    line = json.dumps({**TWO, "naam": "Ann\u2028Test\u0085"}, ensure_ascii=False)
    (folder / "u.jsonl").write_text(line + "\n", encoding="utf-8")
    import_files(store, [folder])
    assert Catalogue(store)["90651338320"].naam == "Ann\u2028Test\u0085"
    checked = checked_files.CheckedFiles(tmp_path / "checked.sqlite")
    assert load_personas([folder], checked=checked)["90651338320"].naam == "Ann\u2028Test\u0085"
    checked.close()


def test_a_new_contract_or_version_imports_everything_again(store, extra, monkeypatch):
    folders = [builtin_folder(), extra]
    import_files(store, folders)
    all_pages = len(Catalogue(store))
    monkeypatch.setattr(checked_files, "checks_hash", lambda: b"another contract")
    from magda_kbi.runtime import catalogue

    monkeypatch.setattr(catalogue, "checks_hash", lambda: b"another contract")
    assert import_files(store, folders) == (all_pages, all_pages)


def test_a_change_in_the_checking_code_imports_everything_again(
    store, extra, tmp_path, monkeypatch
):
    """A development checkout pulled with a new check, its version unchanged: the files
    imported under the old check are imported (and so checked) again."""
    folders = [builtin_folder(), extra]
    code = tmp_path / "io" / "checks.py"
    code.parent.mkdir()
    code.write_text("LIMIT = 48\n")
    monkeypatch.setattr(checked_files, "checking_sources", lambda: [code])
    checked_files.checks_hash.cache_clear()
    try:
        import_files(store, folders)
        all_pages = len(Catalogue(store))
        checked_files.checks_hash.cache_clear()  # the next start, the code unchanged
        assert import_files(store, folders) == (0, all_pages)
        code.write_text("LIMIT = 47\n")
        checked_files.checks_hash.cache_clear()  # the next start, with the new check
        assert import_files(store, folders) == (all_pages, all_pages)
    finally:
        checked_files.checks_hash.cache_clear()


def test_the_lru_is_bounded_and_streaming_keeps_nothing(store, extra):
    import_files(store, [builtin_folder(), extra])
    builtin_personas = Catalogue(store, capacity=3)
    for insz in list(builtin_personas)[:5]:
        assert builtin_personas.get(insz) is not None
    assert len(builtin_personas._lru) == 3
    builtin_personas.forget()
    assert sum(1 for _ in builtin_personas.values()) == len(builtin_personas)
    assert len(builtin_personas._lru) == 0


def test_generated_personas_stay_when_the_files_are_imported_again(store, extra):
    import_files(store, [builtin_folder()])
    store_generated(store, "seed-1", [(TWO["insz"], json.dumps(TWO), TWO)])
    with pytest.raises(FixtureError) as info:  # the file's 90651338320 is the generated one's
        import_files(store, [builtin_folder(), extra])
    assert info.value.reason == "90651338320 is already defined in generate:seed-1"
    (extra / "b.jsonl").unlink()
    import_files(store, [builtin_folder(), extra])
    builtin_personas = Catalogue(store)
    assert builtin_personas["90651338320"].naam == "Ann Test" and "80651338304" in builtin_personas
    assert list(builtin_personas)[-1] == "90651338320"  # after the files


def test_the_admin_changes_lie_on_top_as_a_merged_dict_would():
    base = {"a": "A", "b": "B", "c": "C"}

    class P(str):
        insz = property(lambda self: self.lower())

    base = {k: P(v) for k, v in base.items()}
    changes = {"b": None, "c": P("C"), "d": P("D")}
    together = {**base, **{k: v for k, v in changes.items() if v is not None}}
    del together["b"]
    view = Overlay(base, changes)
    assert list(view) == list(together) == ["a", "c", "d"]
    assert len(view) == 3 and "b" not in view and view.get("b") is None
    assert view["d"] == "D" and list(view.values()) == list(together.values())


def test_a_damaged_catalogue_in_the_cache_is_made_anew(tmp_path):
    """The cache's catalogue is the emulator's own, made from the persona files: one SQLite
    cannot read (a disk full mid-write, a copy cut short) stopped every serve of those
    files with "file is not a database" until the user found the file and removed it."""
    cache = tmp_path / "cache"
    env = {"MAGDA_KBI_CACHE_DIR": str(cache)}
    Server(env=env).stop()
    (catalogue,) = cache.glob("catalogue-*.sqlite")
    for suffix in ("-wal", "-shm"):
        Path(f"{catalogue}{suffix}").unlink(missing_ok=True)
    catalogue.write_bytes(b"cut short\n" * 100)
    server = Server(env=env)
    try:
        assert requests.get(f"{server.url}/health", timeout=5).json()["personas"] == 23
        dossier = requests.get(f"{server.url}/api/v1/dossiers/98630499724", timeout=5)
        assert dossier.status_code == 200
    finally:
        output = server.stop()
    assert (
        f"magda-kbi: note: the persona catalogue {catalogue} could not be read (file is not a"
        " database): made anew from the persona files"
    ) in output
    with contextlib.closing(sqlite3.connect(catalogue)) as db, db:
        assert db.execute("SELECT COUNT(*) FROM catalogue").fetchone()[0] == 23


def test_serve_keeps_the_catalogue_between_runs(tmp_path, extra):
    cache = tmp_path / "cache"
    cache.mkdir()
    forgotten = cache / "catalogue-0123456789abcdef.sqlite"  # other folders, served long ago
    forgotten.write_bytes(b"")
    long_ago = time.time() - 31 * 86400
    os.utime(forgotten, (long_ago, long_ago))
    env = {"MAGDA_KBI_CACHE_DIR": str(cache)}
    first = Server("--fixtures", str(extra), env=env)
    try:
        assert requests.get(f"{first.url}/health", timeout=5).json()["personas"] > 20
        (file,) = cache.glob("catalogue-*.sqlite")
        assert not _free(Path(f"{file}.lock"))  # held while it serves
        # serve only supervises: its own connection (the import, the banner) is closed
        # before its workers are forked, who open their own (it was held all along)
        assert [f for f in open_files(first.process.pid) if f.startswith(str(file))] == [
            f"{file}.lock"
        ]
    finally:
        result = first.stop()
    assert "personas: sqlite:///" in result and str(cache) in result
    assert f"removed catalogues not served for 30 days: {forgotten.name}" in result
    assert _free(Path(f"{file}.lock"))
    with (
        contextlib.closing(sqlite3.connect(file)) as db,
        db,
    ):  # a catalogue alone: small pages (store.py)
        assert db.execute("PRAGMA page_size").fetchone()[0] == 4096
    write_file(extra, "b.jsonl", {**TWO, "naam": "Ann Changed"})
    time.sleep(0.01)
    second = Server("--fixtures", str(extra), env=env)
    try:
        dossier = requests.get(f"{second.url}/api/v1/dossiers/80651338304", timeout=5)
        assert dossier.json()["personalia"]["achternamen"] == ["Nadzialek"]
        # the changed file was imported again (and only its persona is new)
        assert list(cache.glob("catalogue-*.sqlite")) == [file]
        assert stored(f"sqlite:///{file}")["90651338320"].naam == "Ann Changed"
    finally:
        second.stop()


def stored(url: str) -> dict:
    """The personas in the store at ``url``, read whole; the store closed again."""
    store = SqliteStore(url)
    try:
        return dict(Catalogue(store).items())
    finally:
        store.close()


def _free(slot: Path) -> bool:
    """Nobody holds the lock (a serve holds its catalogue's while it runs)."""
    import fcntl

    with slot.open("a") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def test_catalogues_unused_for_30_days_go_unless_a_serve_holds_them(tmp_path):
    from magda_kbi.adapters.cli.serve import _in_use, prune_catalogues

    now = time.time()
    old, yesterday = now - 31 * 86400, now - 86400

    def builtin_personas(naam: str, used: float) -> Path:
        path = tmp_path / f"catalogue-{naam}.sqlite"
        path.write_bytes(b"x")
        for part in ("-wal", ".change"):
            Path(f"{path}{part}").write_bytes(b"x")
        os.utime(path, (used, used))
        return path

    own, forgotten = builtin_personas("eigen", old), builtin_personas("vergeten", old)
    recent = builtin_personas("recent", yesterday)
    held = builtin_personas("vastgehouden", old)
    holder = _in_use(held)  # a serve of other folders, running for weeks
    os.utime(f"{held}.lock", (old, old))
    last_used = builtin_personas("laatst-gebruikt", old)  # its last serve started yesterday
    Path(f"{last_used}.lock").write_bytes(b"")
    os.utime(f"{last_used}.lock", (yesterday, yesterday))
    try:
        assert prune_catalogues(tmp_path, keep=own, now=now) == [forgotten]
    finally:
        holder.close()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("catalogue-vergeten")] == []
    assert all(p.exists() for p in (own, recent, held, last_used))
    assert prune_catalogues(tmp_path, keep=own, now=now) == [held]  # let go now


def test_generate_into_a_store_and_serve_it(tmp_path):
    from .cli_run import magda_kbi

    url = f"sqlite:///{tmp_path / 'gedeeld.db'}"
    process = magda_kbi("generate", "--count", "300", "--seed", "7", "--store", url)
    assert process.returncode == 0, process.stderr
    builtin_personas = stored(url)
    assert len(builtin_personas) == 300
    insz = next(p.insz for p in builtin_personas.values() if p.dossier is not None)
    server = Server("--store", url)
    try:  # the built-in personas imported beside the generated ones, both served
        assert requests.get(f"{server.url}/health", timeout=5).json()["personas"] > 300
        dossier = requests.get(f"{server.url}/api/v1/dossiers/{insz}", timeout=5)
        assert dossier.status_code == 200 and dossier.json()["insz"] == insz
    finally:
        server.stop()
    again = magda_kbi("generate", "--count", "300", "--seed", "7", "--store", url)
    assert again.returncode == 0 and len(stored(url)) > 300  # replaced, once


def test_generate_with_the_same_seed_replaces_its_people_whatever_the_count(tmp_path):
    """One seed makes the same first people whatever the count: 'generate --count 500' after
    '--count 300' (seed 1, the default) was refused ('invalid persona file
    generate:seed=1,count=500: ... already defined in generate:seed=1,count=300'), and a
    population could only grow in another store."""
    from .cli_run import magda_kbi

    url = f"sqlite:///{tmp_path / 'gedeeld.db'}"
    assert magda_kbi("generate", "--count", "300", "--store", url).returncode == 0
    with (
        contextlib.closing(sqlite3.connect(tmp_path / "gedeeld.db")) as db,
        db,
    ):  # as an earlier version named it
        for table in ("catalogue", "catalogue_file"):
            db.execute(f"UPDATE {table} SET path = 'generate:seed=1,count=300'")
    for number_of in (500, 50):
        process = magda_kbi("generate", "--count", str(number_of), "--store", url)
        assert process.returncode == 0, process.stderr
        assert len(stored(url)) == number_of
    # another seed whose people has one of this seed's numbers: said, and nothing changes
    with contextlib.closing(sqlite3.connect(tmp_path / "gedeeld.db")) as db, db:
        for table in ("catalogue", "catalogue_file"):
            db.execute(f"UPDATE {table} SET path = 'generate:seed=9'")
    process = magda_kbi("generate", "--count", "60", "--store", url)
    assert process.returncode == 2
    assert re.search(
        rf"\nmagda-kbi: --store {re.escape(url)}: [0-9]{{11}} is already defined in "
        r"generate:seed=9; another --seed makes other people\n$",
        process.stderr,
    ), process.stderr
    assert len(stored(url)) == 50


def test_generated_files_are_recorded_as_checked(tmp_path):
    from magda_kbi.io.checked_files import CheckedFiles

    from .cli_run import magda_kbi

    out = tmp_path / "populatie"
    assert (
        magda_kbi("generate", "--count", "250", "--per-file", "100", "--out", str(out)).returncode
        == 0
    )
    files = sorted(out.glob("*.jsonl"))
    assert len(files) == 3
    with CheckedFiles() as checked:
        assert all(checked.known(checked.key(b.read_bytes())) for b in files)


def test_a_generator_gone_wrong_leaves_nothing(tmp_path, monkeypatch):
    from magda_kbi.io import population

    from .cli_run import magda_kbi

    real = population.generate_population

    def broken(count, seed, taken=()):
        for n, data in enumerate(real(count, seed, taken)):
            yield {**data, "scenario": ""} if n == 150 else data

    monkeypatch.setattr(population, "generate_population", broken)
    out = tmp_path / "populatie"
    process = magda_kbi("generate", "--count", "200", "--per-file", "100", "--out", str(out))
    assert (
        process.returncode == 2
        and "generated persona does not check: field scenario" in process.stderr
    )
    assert list(out.glob("*.jsonl")) == []
    url = f"sqlite:///{tmp_path / 's.db'}"
    assert magda_kbi("generate", "--count", "200", "--store", url).returncode == 2
    assert len(stored(url)) == 0


def test_the_console_pages_and_searches_a_catalogue_as_it_does_memory(tmp_path):
    """The console over a catalogue in a store (never loaded whole) lists, pages, searches
    and filters as over the same personas in memory."""
    from datetime import date

    from lxml import html
    from werkzeug.test import Client

    from magda_kbi.adapters.app import Settings, make_emulator

    from .cli_run import magda_kbi

    population = tmp_path / "populatie"
    assert magda_kbi("generate", "--count", "180", "--out", str(population)).returncode == 0
    vandaag = date(2025, 6, 1)
    memory = Client(make_emulator(Settings(vandaag, [population])))
    url = f"sqlite:///{tmp_path / 'console.db'}"
    emulator = make_emulator(Settings(vandaag, [population], catalogue=url, store=url))
    saved = Client(emulator)

    def rows(client, address):
        antwoord = client.get(address)
        assert antwoord.status_code == 200
        return html.fromstring(antwoord.data).xpath("//tr[@data-insz]/@data-insz")

    for address in ("/console/", "/console/?page=2", "/console/?page=5"):
        assert rows(saved, address) == rows(memory, address), address
    # a page fetches its own rows (and one more, to know there is a next page), no others
    assert len(emulator.runtime.base_personas._lru) <= 3 * 51
    for address in (
        "/console/?result=NOK&page=2",
        "/console/?q=leonard+janssens",
        "/console/?q=73680599",
        "/console/?q=generated:+recht",
        "/console/?q=a%25_b",  # LIKE's wildcards are text here
        "/console/?q=sa%C3%AFd",  # not ASCII: not asked of the store, still found
    ):
        assert rows(saved, address) == rows(memory, address), address
    assert len(rows(saved, "/console/?page=2")) == 50


def console_rows(client, query: dict) -> list[str]:
    from lxml import html

    answer = client.get("/console/", query_string=query)
    assert answer.status_code == 200
    return html.fromstring(answer.data).xpath("//tr[@data-insz]/@data-insz")


def test_a_later_page_over_a_store_keeps_only_its_own_personas(tmp_path):
    """Page 3 of a search over a catalogue in a store builds the 50 personas it shows (and
    the next one, to know that a page follows), not the 100 of the pages before it: deep in
    a common word's results, a page built every persona before it. The result filter
    computes the advice of every persona it passes, and keeps none of them in the cache
    that serves the calls: it filled that cache with what it scanned (10,000 personas), a
    query per persona."""
    from datetime import date

    from werkzeug.test import Client

    from magda_kbi.adapters.app import Settings, make_emulator

    from .cli_run import magda_kbi

    population = tmp_path / "populatie"
    assert magda_kbi("generate", "--count", "180", "--out", str(population)).returncode == 0
    in_memory = Client(make_emulator(Settings(date(2025, 6, 1), [population])))
    url = f"sqlite:///{tmp_path / 'pages.db'}"
    emulator = make_emulator(Settings(date(2025, 6, 1), [population], catalogue=url, store=url))
    query = {"q": "generated", "page": "3"}  # each generated persona's scenario says it
    rows = console_rows(Client(emulator), query)
    assert len(rows) == 50 and rows == console_rows(in_memory, query)
    assert len(emulator.runtime.base_personas._lru) == 51

    emulator.runtime.base_personas.forget()  # the cache emptied
    assert console_rows(Client(emulator), {"result": "NOK", "page": "99"}) == []
    assert len(emulator.runtime.base_personas._lru) == 0
    for page in ("1", "2"):
        query = {"result": "NOK", "page": page}
        assert console_rows(Client(emulator), query) == console_rows(in_memory, query)


def test_a_search_in_a_store_sees_the_admin_api_s_changes(tmp_path, extra):
    """Over a catalogue in a store, a persona the admin API added is found, one it replaced
    is found by what it says now, one it removed is not found; by the search and by the
    result filter."""
    from werkzeug.test import Client

    from magda_kbi.adapters.app import Settings, make_emulator

    url = f"sqlite:///{tmp_path / 'changes.db'}"
    client = Client(make_emulator(Settings(None, [extra], admin=True, catalogue=url, store=url)))
    assert console_rows(client, {"q": "extra file"}) == ["80651338304"]
    assert console_rows(client, {"q": "ann test"}) == ["90651338320"]
    new = {**ONE, "insz": "85673003360", "scenario": "an extra file's neighbour"}
    assert client.put("/admin/personas/85673003360", json=new).status_code == 201
    other = {**ONE, "scenario": "replaced through the admin API"}
    assert client.put("/admin/personas/80651338304", json=other).status_code == 200
    header = {"Content-Type": "application/json"}  # as every call that changes something
    assert client.delete("/admin/personas/90651338320", headers=header).status_code == 204
    assert console_rows(client, {"q": "extra file"}) == ["85673003360"]
    assert console_rows(client, {"q": "admin api"}) == ["80651338304"]
    assert console_rows(client, {"q": "ann test"}) == []
    # the result filter as well: an open obligation without a registration is NOK
    nok = console_rows(client, {"result": "NOK"})
    assert {"85673003360", "80651338304"} <= set(nok)
    assert "90651338320" not in nok + console_rows(client, {"result": "OK"})


def test_the_admin_list_over_a_catalogue_streams_and_names_the_source(tmp_path, extra):
    from werkzeug.test import Client

    from magda_kbi.adapters.app import Settings, make_emulator

    url = f"sqlite:///{tmp_path / 'admin.db'}"
    client = Client(make_emulator(Settings(None, [extra], admin=True, catalogue=url, store=url)))
    new = {**ONE, "insz": "85673003360", "scenario": "put through the admin API"}
    header = {"Content-Type": "application/json"}
    assert client.put("/admin/personas/85673003360", json=new, headers=header).status_code == 201
    assert client.delete("/admin/personas/90651338320", headers=header).status_code == 204
    listing = {p["insz"]: p for p in client.get("/admin/personas").get_json()}
    assert listing["85673003360"]["source"] == "runtime"
    assert listing["80651338304"]["source"] == "fixture"  # from the catalogue
    assert "90651338320" not in listing
    assert len(listing) == len(stored(url))  # one added, one removed


def test_exports_stream_from_a_store_as_from_the_files(tmp_path):
    from .cli_run import magda_kbi

    population = tmp_path / "populatie"
    assert (
        magda_kbi("generate", "--count", "400", "--seed", "5", "--out", str(population)).returncode
        == 0
    )
    url = f"sqlite:///{tmp_path / 'export.db'}"
    assert magda_kbi("generate", "--count", "400", "--seed", "5", "--store", url).returncode == 0
    for args in (
        ("export", "verlaagde-premie", "2025"),
        ("export", "verlaagde-premie", "2025", "--zorgkas", "ZK03"),
        ("export", "gemeente", "24062", "--format", "json"),
        ("export", "participatie", "24062"),
    ):
        from_files = magda_kbi(
            *args, "--today", "2030-01-01", "--no-builtin", "--fixtures", str(population)
        )
        from_store = magda_kbi(*args, "--today", "2030-01-01", "--store", url)
        assert from_store.returncode == 0, from_store.stderr
        assert from_store.stdout == from_files.stdout and len(from_store.stdout) > 20, args
        # the store closed when the command ended (run in-process here: it stayed open)
        assert str(tmp_path / "export.db") not in open_files(), args
    # a zorgkas nobody knows: the known ones named alike (from the store, the first member
    # of each built: all were, to read their memberships)
    args = ("export", "verlaagde-premie", "2025", "--zorgkas", "ZK6", "--today", "2030-01-01")
    from_files = magda_kbi(*args, "--no-builtin", "--fixtures", str(population))
    from_store = magda_kbi(*args, "--store", url)
    assert (from_store.returncode, from_store.stdout) == (2, "")
    assert from_store.stderr == from_files.stderr
    assert from_store.stderr == (
        "magda-kbi: unknown zorgkas 'ZK6': no consumer's and nobody's membership (known: ZK01,"
        " ZK02, ZK03, ZK04, ZK05)\n"
    )
    error = magda_kbi(
        "export", "verlaagde-premie", "2025", "--store", url, "--fixtures", str(population)
    )
    assert error.returncode == 2 and "--store reads the catalogue as it is" in error.stderr
    from magda_kbi.runtime.store import open_store

    open_store(f"sqlite:///{tmp_path / 'leeg.db'}").close()  # a store, without personas
    empty = magda_kbi(
        "export", "verlaagde-premie", "2025", "--store", f"sqlite:///{tmp_path / 'leeg.db'}"
    )
    assert empty.returncode == 2 and empty.stdout == "" and "holds no personas" in empty.stderr
    # a mistyped path: reading it made a database of 1 MB (and its .change file) there
    for args in (("export", "verlaagde-premie", "2025"), ("municipalities",)):
        wrong = magda_kbi(*args, "--store", f"sqlite:///{tmp_path / 'exprot.db'}")
        assert (wrong.returncode, wrong.stdout) == (2, "")
        assert wrong.stderr == (
            f"magda-kbi: --store: there is no store file {tmp_path / 'exprot.db'} ('serve"
            " --store URL' imports the personas into a new one, 'generate --store URL' writes"
            " them)\n"
        )
        assert not list(tmp_path.glob("exprot*"))


def test_export_from_another_application_s_database_is_refused_and_leaves_it_as_it_was(
    tmp_path, monkeypatch
):
    """--store given the database of something else (a path mixed up): reading it added the
    store's tables to that file (and made a .change file beside it), then said it held no
    personas."""
    import sqlite3

    from .cli_run import magda_kbi

    another = tmp_path / "crm.db"
    with sqlite3.connect(another) as db:
        db.execute("CREATE TABLE klant (id INTEGER PRIMARY KEY, naam TEXT)")
    db.close()
    before = another.read_bytes()
    monkeypatch.chdir(tmp_path)
    for args in (("export", "verlaagde-premie", "2025"), ("municipalities",)):
        for url in (f"sqlite:///{another}", "sqlite:///crm.db"):  # absolute, relative
            result = magda_kbi(*args, "--store", url)
            assert (result.returncode, result.stdout) == (2, "")
            assert result.stderr == (
                f"magda-kbi: --store: {url} holds no emulator store ('serve --store URL'"
                " imports the personas into a new one, 'generate --store URL' writes them)\n"
            )
    assert another.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crm.db"]


def test_a_worker_reads_the_catalogue_serve_imported_and_a_watcher_takes_later_changes(tmp_path):
    """serve imports and checks the files, then starts its workers (at start-up and at each
    SIGHUP). A file changed in between stopped a worker when it was bad (and serve with
    it, after a SIGHUP): the worker now reads the catalogue as serve imported it; with
    --watch its first look takes what changed since serve's fingerprint."""
    from dataclasses import replace

    from magda_kbi.adapters.app import Settings, make_emulator
    from magda_kbi.io.personas import fingerprint

    extra = tmp_path / "extra"
    write_file(extra, "een.jsonl", ONE)
    url = f"sqlite:///{tmp_path / 'catalogue.db'}"
    settings = Settings(None, [extra], catalogue=url)
    snapshot = fingerprint([builtin_folder(), extra])
    make_emulator(settings).close()  # serve's import and check

    def achternamen(emulator) -> list[str]:
        return list(emulator.runtime.personas["80651338304"].dossier.personalia.achternamen)

    other = {**ONE, "dossier": {**ONE["dossier"], "personalia": {"achternamen": ["Anders"]}}}
    write_file(extra, "een.jsonl", other)
    worker = make_emulator(settings, imported=snapshot)
    assert achternamen(worker) == ["Nadzialek"]  # as serve imported it, until a SIGHUP
    viewer = make_emulator(replace(settings, watch=True), imported=snapshot)
    viewer.watcher.stop()
    assert achternamen(viewer) == ["Nadzialek"]
    assert viewer.watcher.check_for_changes() is True
    assert achternamen(viewer) == ["Anders"]

    (extra / "een.jsonl").write_text('{"insz": "80651338304", "onbekend": 1}\n', encoding="utf-8")
    with pytest.raises(FixtureError):
        make_emulator(settings)  # what serve's check at a SIGHUP says (and refuses)
    assert achternamen(make_emulator(settings, imported=snapshot)) == ["Anders"]


# Names as people write them: accents, a dotted capital I, and one typed in decomposed form
# (e + combining diaeresis, as macOS writes file names); a date and "oriëntatie" in a scenario.
ACCENTED = [
    {"insz": "69611997144", "scenario": "not in the KBI", "naam": "Émile Çelik"},
    {"insz": "53671440578", "scenario": "not in the KBI", "naam": "Zoe\u0308 Verhaegen"},
    {"insz": "98652505064", "scenario": "not in the KBI", "naam": "İlkay Öztürk"},
    {"insz": "46670184179", "scenario": "moved on 2024-11-07, oriëntatie", "naam": "Ann Peeters"},
    # letters without a decomposition, written as a keyboard without them writes them
    {"insz": "90632187847", "scenario": "not in the KBI", "naam": "Ayşe Yılmaz-Sørensen"},
    # control characters, a NUL among them, which a PostgreSQL text cannot hold: spaces
    {"insz": "80680188775", "scenario": "pasted\x00with\tcontrols", "naam": "Lotte Claes"},
    # a scenario longer than a search SQLite takes as a LIKE pattern (50,000 bytes)
    {"insz": "77670712307", "scenario": "long: " + "s" * 12_000, "naam": "Jan Wouters"},
]
# each search and the INSZs it finds, case and accents aside, an INSZ also as printed
SEARCHED = {
    "emile": ["69611997144"],
    "ÉMILE ÇELIK": ["69611997144"],
    "celik": ["69611997144"],
    "zoë": ["53671440578"],
    "ZOE": ["53671440578"],
    "ilkay oztürk": ["98652505064"],
    "francois": ["88612809777"],
    "ÖZTURK": ["98652505064"],
    "orientatie": ["46670184179"],
    "2024-11-07": ["46670184179"],
    "46.67.01-841.79": ["46670184179"],
    "01-841": ["46670184179"],
    "peeters ann": [],
    "ayse yilmaz-sorensen": ["90632187847"],
    "SØRENSEN": ["90632187847"],
    "ılmaz": ["90632187847"],
    "ocmw/cpas": ["88612809777"],
    "pasted with controls": ["80680188775"],
    "s" * 10_001: ["77670712307"],
    # over SQLite's bound for a LIKE pattern: a search of it was a 503, "the store cannot
    # be reached"
    "x" * 60_000: [],
    # a thousand words: asked of the store word by word, they were a 503 in SQLite (no more
    # than 1,000 terms in an expression); PostgreSQL takes no more than 65,535 parameters
    " ".join(["ann"] * 500 + [f"w{n}" for n in range(1000)]): [],
    "peeters " * 999 + "ann": [],
}
# as PHP's json_encode writes a line (and the file above, json.dumps): every letter past
# ASCII as \u, and / as \/
PHP = r'{"insz":"88612809777","scenario":"referred by the OCMW\/CPAS","naam":"Fran\u00e7ois"}'


def searches_ignore_case_and_accents(tmp_path: Path, store_url: str | None) -> None:
    """The console's search over GEACCENTUEERD, in memory or in the store at ``store_url``
    (which finds them in SQL, in the search text it keeps): each finds what GEZOCHT says."""
    from datetime import date

    from lxml import html
    from werkzeug.test import Client

    from magda_kbi.adapters.app import Settings, make_emulator

    folder = tmp_path / "geaccentueerd"
    write_file(folder, "a.jsonl", *ACCENTED)
    with (folder / "a.jsonl").open("a", encoding="utf-8") as file:
        file.write(PHP + "\n")
    where = {"catalogue": store_url, "store": store_url} if store_url else {}
    client = Client(make_emulator(Settings(date(2025, 6, 1), [folder], **where)))
    found = {}
    for search in SEARCHED:
        answer = client.get("/console/", query_string={"q": search})
        assert answer.status_code == 200
        found[search] = html.fromstring(answer.data).xpath("//tr[@data-insz]/@data-insz")
    assert found == SEARCHED


def test_a_search_ignores_case_and_accents_in_memory(tmp_path):
    searches_ignore_case_and_accents(tmp_path, None)


def test_a_search_ignores_case_and_accents_in_a_sqlite_store(tmp_path):
    searches_ignore_case_and_accents(tmp_path, f"sqlite:///{tmp_path / 'search.db'}")


# A catalogue as version 2 of the store kept it (no search text), and what version 3 makes of
# its rows: the INSZ, also as printed, the name and the scenario, folded (written out)
CATALOGUE_2 = (
    "CREATE TABLE catalogue (insz TEXT PRIMARY KEY, path TEXT NOT NULL, n INTEGER NOT NULL, "
    "data TEXT NOT NULL)"
)
SEARCH_TEXT_3 = {
    "90651338320": "90651338320 90.65.13-383.20 ann test not in the kbi",
    "69611997144": "69611997144 69.61.19-971.44 emile celik not in the kbi",
    "80651338304": "80651338304 80.65.13-383.04 boris nadzialek a persona of an extra file",
}


def a_version_2_store_is_brought_up_to_date(connect, store_of) -> None:
    """``connect()``: a DB-API connection to a store made anew, which becomes one of version 2
    with three personas in its catalogue and two admin changes; ``store_of()`` opens it as
    the emulator does. The changes keep the order they were read in (the order they were
    added, here)."""
    db = connect()
    try:
        db.execute("DROP TABLE catalogue")
        db.execute(CATALOGUE_2)
        db.execute("DROP TABLE persona")
        db.execute("CREATE TABLE persona (insz TEXT PRIMARY KEY, data TEXT)")
        for insz in ("98652505064", "46670184179"):
            db.execute("INSERT INTO persona (insz, data) VALUES (?, NULL)", (insz,))
        for n, persona in enumerate((TWO, ACCENTED[0], ONE)):
            db.execute(
                "INSERT INTO catalogue (insz, path, n, data) VALUES (?, 'oud.jsonl', ?, ?)",
                (persona["insz"], n, json.dumps(persona)),
            )
        db.execute("UPDATE store_version SET n = 2")
        db.commit()
    finally:
        db.close()
    store = store_of()
    try:
        rows = store.db().execute("SELECT insz, search FROM catalogue").fetchall()
        assert dict(rows) == SEARCH_TEXT_3
        changes = store.db().execute("SELECT insz, added FROM persona ORDER BY added").fetchall()
        assert [tuple(row) for row in changes] == [("98652505064", 1), ("46670184179", 2)]
        assert Catalogue(store).matching("emile") == {"69611997144"}
    finally:
        store.close()


def test_a_version_2_sqlite_store_is_brought_up_to_date(tmp_path):
    url = f"sqlite:///{tmp_path / 'v2.db'}"
    SqliteStore(url).close()
    a_version_2_store_is_brought_up_to_date(
        lambda: sqlite3.connect(tmp_path / "v2.db"), lambda: SqliteStore(url)
    )


def test_the_search_text_from_data_is_the_persona_s(tmp_path):
    """A catalogue makes a persona's search text from its data (a million in a migration,
    without making the personas); the console from the persona: the two must agree."""
    from magda_kbi.domain.search import persona_search_text
    from magda_kbi.io.personas import data_search_text, persona_from_data, read_json, read_yaml
    from magda_kbi.io.population import generate_population

    from .cli_run import magda_kbi

    population = tmp_path / "populatie"
    assert magda_kbi("generate", "--count", "300", "--out", str(population)).returncode == 0
    lines = [line for f in population.glob("*.jsonl") for line in f.read_text().split("\n")]
    data = [
        *(read_json(line) for line in lines if line.strip()),
        *(read_yaml(f.read_text(encoding="utf-8")) for f in builtin_folder().glob("*.yaml")),
        *ACCENTED,
        {**ONE, "scenario": "  spaces around  "},
        {**TWO, "dossier": None},
    ]
    data += [json.loads(json.dumps(p)) for p in generate_population(50, seed=9)]
    assert len(data) == 300 + 23 + 7 + 2 + 50
    for item in data:
        assert data_search_text(item) == persona_search_text(persona_from_data(item)), item


def test_a_file_whose_name_is_no_utf_8_is_imported_and_said(store, tmp_path):
    """A file from an old Windows share keeps its Latin-1 name (b'persona-\\xe9.yaml'). serve
    stopped with a traceback importing it ("surrogates not allowed": the store takes no
    such text), and its watcher likewise when it refused one and wrote so to the store."""
    import yaml

    from magda_kbi.runtime.catalogue import first_to_say

    folder = tmp_path / "share"
    folder.mkdir()
    name = os.fsdecode(b"persona-\xe9.yaml")  # as Python lists it: with a surrogate
    (folder / name).write_text(yaml.safe_dump(ONE), encoding="utf-8")
    assert import_files(store, [folder]) == (1, 1)
    assert Catalogue(store)["80651338304"].scenario == "a persona of an extra file"
    # refused, it is said with the byte written out, and the watcher's record takes that
    (folder / name).write_text("insz: '123'\n", encoding="utf-8")
    with pytest.raises(FixtureError) as refused:
        import_files(store, [folder])
    assert refused.value.file == f"{folder}/persona-\\xe9.yaml"
    assert first_to_say(store, refused.value.message)
    assert Catalogue(store)["80651338304"].scenario == "a persona of an extra file"


def _resident(insz: str, nis: str, naam: str, zorgkas: str) -> dict:
    """EEN's open obligation (NOK from 2023-04-03: no registration), living in ``nis`` and a
    member of ``zorgkas`` from the obligation's start."""
    return {
        **ONE,
        "insz": insz,
        "scenario": f"lives in {naam}",
        "gegevens": {
            "woonplaatsen": [{"nis": nis, "naam": naam, "begin": "2023-01-02"}],
            "lidmaatschappen": [{"zorgkas": zorgkas, "begin": "2023-01-02"}],
        },
    }


def test_a_zorgkas_s_list_and_404_from_a_catalogue_are_the_files_whatever_its_spelling(
    tmp_path,
):
    """The row tests read a zorgkas from the stored JSON: codes with a quote, a backslash,
    an accent (written as it is and as an escape), a space, markup, and queries that are a
    part of a code ('ZK0', 'K01') list and refuse as the files do, the 404's known ones too."""
    from datetime import date
    from urllib.parse import quote

    from werkzeug.test import Client

    from magda_kbi.adapters.app import Settings, make_emulator
    from magda_kbi.domain.insz import make_test_number

    codes = ["ZK07", 'ZK"7', "ZKé", "ZK\\9", "zk07", "ZK 7", "Ω", "ZK</x>", "ZK'7"]
    folder = tmp_path / "zorgkassen"
    folder.mkdir()
    lines = []
    for n, code in enumerate(codes * 2):
        insz = make_test_number(date(1990, 1, 1 + n), 1)
        persona = _resident(insz, "44021", "Gent", code)
        lines.append(json.dumps(persona, ensure_ascii=n % 2 == 0))
    (folder / "p.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = Settings(date(2025, 6, 1), [folder])
    files = Client(make_emulator(settings))
    url = f"sqlite:///{tmp_path / 'catalogue.db'}"
    catalogue = Client(make_emulator(dataclasses.replace(settings, catalogue=url)))
    for zorgkas in [*codes, "ZK0", "K07", "ZK", '"', "é", "ZK99"]:
        path = f"/api/v1/lijsten/verlaagde-premie/2025?zorgkas={quote(zorgkas)}"
        from_files = files.get(path)
        expected = (from_files.status_code, from_files.get_data())
        from_catalogue = catalogue.get(path)
        assert (from_catalogue.status_code, from_catalogue.get_data()) == expected, zorgkas
        assert expected[0] == (200 if zorgkas in codes else 404), zorgkas


def test_a_list_over_a_catalogue_builds_only_the_personas_that_name_its_nis_or_zorgkas(
    tmp_path, monkeypatch
):
    lists_build_only_whom_they_name(tmp_path, f"sqlite:///{tmp_path / 'lists.db'}", monkeypatch)


def lists_build_only_whom_they_name(tmp_path: Path, url: str, monkeypatch) -> None:
    """A municipality's list, and a zorgkas's premium list, over a catalogue in the store at
    ``url`` build only the personas whose stored data names the NIS code or the zorgkas (a
    list over 200,000 took 15 s building them all), yet miss nobody: not one whose file
    spells the code with JSON escapes, nor one the admin API moved in (at its place in the
    list). The municipalities beyond the register likewise: only those who live outside it
    are built, their code written as a string, a number or with escapes."""
    from datetime import date

    from werkzeug.test import Client

    import magda_kbi.runtime.catalogue as catalogue
    from magda_kbi.adapters.app import Settings, make_emulator
    from magda_kbi.domain.municipalities import GEMEENTEN

    gent, escaped_, antwerpen, later = "85630170932", "85630141634", "85630121541", "80651338304"
    brussel, schaarbeek, elsene = "87650556515", "87650527118", "87650598778"
    folder = tmp_path / "inwoners"
    folder.mkdir()
    escaped = json.dumps(_resident(escaped_, "44021", "Gent", "ZK07"))
    escaped = escaped.replace('"44021"', '"\\u0034\\u0034021"').replace('"ZK07"', '"ZK\\u00307"')
    (folder / "a.jsonl").write_text(
        "\n".join(
            [
                json.dumps(_resident(gent, "44021", "Gent", "ZK07")),
                escaped,
                json.dumps(_resident(antwerpen, "11002", "Antwerpen", "ZK08")),
                json.dumps(ONE),  # 80651338304: nowhere, no zorgkas
                json.dumps(_resident(brussel, "21004", "Brussel", "ZK08")),
                json.dumps(_resident(schaarbeek, "21015", "Schaarbeek", "ZK08")).replace(
                    '"21015"',
                    "21015",  # a number, as JSON writes one
                ),
                json.dumps(_resident(elsene, "21009", "Elsene", "ZK08")).replace(
                    '"21009"', '"\\u0032\\u0031009"'
                ),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    settings = Settings(date(2025, 6, 1), [folder], admin=True, catalogue=url, store=url)
    client = Client(make_emulator(settings))
    built: list[str] = []
    build = catalogue.persona_from_data

    def noted(data, **kwargs):
        built.append(data["insz"])
        return build(data, **kwargs)

    monkeypatch.setattr(catalogue, "persona_from_data", noted)

    def listed(path: str) -> list[str]:
        built.clear()
        answer = client.get(path)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return [row["insz"] for row in answer.get_json()["items"]]

    assert listed("/api/v1/lijsten/gemeente/44021") == [gent, escaped_]
    assert antwerpen not in built and later not in built and {gent, escaped_} <= set(built)
    assert listed("/api/v1/lijsten/verlaagde-premie/2025?zorgkas=ZK07") == [gent, escaped_]
    assert antwerpen not in built and later not in built
    assert listed("/api/v1/lijsten/verlaagde-premie/2025?zorgkas=ZK08") == [
        antwerpen,
        brussel,
        schaarbeek,
        elsene,
    ]
    assert gent not in built and later not in built

    def unknown_zorgkas(zorgkas: str) -> str:
        built.clear()
        answer = client.get(f"/api/v1/lijsten/verlaagde-premie/2025?zorgkas={zorgkas}")
        assert answer.status_code == 404
        return answer.get_json()["diagnose"]

    # the known zorgkassen named: of the others, the first member of each built (ZK01 and
    # ZK02 are the demo consumers'), a row with an escape too; none for holding 'ZK0' (in
    # 'ZK07'): every row did
    assert "(known: ZK01, ZK02, ZK07, ZK08)" in unknown_zorgkas("ZK0")
    assert {gent, antwerpen, escaped_, elsene} <= set(built)
    assert not {brussel, schaarbeek, later} & set(built)

    def beyond_the_register() -> dict[str, str]:
        built.clear()
        answer = client.get("/api/v1/municipalities")
        assert answer.status_code == 200
        register = dict(GEMEENTEN)
        return {m["nis"]: m["naam"] for m in answer.get_json() if m["nis"] not in register}

    assert beyond_the_register() == {
        "21004": "Brussel",
        "21009": "Elsene",
        "21015": "Schaarbeek",
        "52011": "Charleroi",  # a built-in persona's
    }
    assert {brussel, schaarbeek, elsene} <= set(built)
    assert not {gent, antwerpen, later} & set(built)
    # moved in through the admin API: listed at its place, the one that moved out not
    for insz, nis, naam in ((antwerpen, "44021", "Gent"), (gent, "11002", "Antwerpen")):
        moved = _resident(insz, nis, naam, "ZK07")
        assert client.put(f"/admin/personas/{insz}", json=moved).status_code == 200
    assert listed("/api/v1/lijsten/gemeente/44021") == [escaped_, antwerpen]
    assert listed("/api/v1/lijsten/gemeente/11002") == [gent]
    moved = _resident(later, "23098", "Drogenbos", "ZK06")  # out of the register, now
    assert client.put(f"/admin/personas/{later}", json=moved).status_code == 200
    assert beyond_the_register()["23098"] == "Drogenbos"
    assert unknown_zorgkas("ZK99").endswith("(known: ZK01, ZK02, ZK06, ZK07, ZK08)")
    assert listed("/api/v1/lijsten/verlaagde-premie/2025?zorgkas=ZK07") == [
        gent,
        escaped_,
        antwerpen,
    ]


def test_the_admin_list_read_from_a_catalogue_s_json_is_the_personas_list(
    tmp_path, extra, monkeypatch
):
    """``GET /admin/personas`` over a catalogue summarises each stored JSON without building
    its persona (21 s for 200,000 personas, 6 s now): the same list as the personas built
    from the same files give, with the admin API's changes in their places."""
    from werkzeug.test import Client

    from magda_kbi.adapters.app import Settings, make_emulator
    from magda_kbi.runtime import catalogue

    built: list[str] = []

    def noted(data, **kwargs):
        built.append(data["insz"])
        return persona_from_data(data, **kwargs)

    monkeypatch.setattr(catalogue, "persona_from_data", noted)

    doelgroep = ONE["dossier"]["doelgroepen"]
    write_file(
        extra,
        "c.jsonl",
        # a naam beside a dossier is the name; of the first names only the first (blank) one
        {**ONE, "insz": "46621772469", "naam": "Given Name"},
        {
            "insz": "56630940371",
            "scenario": "  padded, in error  ",
            "fout": "99996",
            "dossier": {
                "personalia": {"voornamen": [" ", "Jan"], "achternamen": ["de", "Smet"]},
                "doelgroepen": doelgroep,
            },
        },
    )
    (extra / "d.yaml").write_text(
        "insz: '81650962104'\nscenario: from YAML\nfout: SOAP_FAULT\nnaam: Élise Ünal\n",
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path / 'list.db'}"
    clients = [
        Client(make_emulator(Settings(None, [extra], admin=True, catalogue=url, store=url))),
        Client(make_emulator(Settings(None, [extra], admin=True))),  # built, in memory
    ]
    header = {"Content-Type": "application/json"}
    lists = []
    for client in clients:
        other = {**TWO, "scenario": "replaced", "naam": "Ann Anders"}
        assert client.put("/admin/personas/90651338320", json=other).status_code == 200
        assert client.delete("/admin/personas/80651338304", headers=header).status_code == 204
        new = {**TWO, "insz": "45680496743", "scenario": "added"}
        assert client.put("/admin/personas/45680496743", json=new).status_code == 201
        built.clear()
        lists.append(client.get("/admin/personas").get_json())
        if not lists[1:]:  # the catalogue's list
            assert built == []
    assert "80651338304" in stored(url)  # the catalogue holds what the list leaves out
    assert lists[0] == lists[1]
    builtin = load_personas([builtin_folder()])
    assert [row["insz"] for row in lists[0][: len(builtin)]] == list(builtin)
    own = lists[0][len(builtin) :]
    assert own == [
        {"insz": "90651338320", "naam": "Ann Anders", "scenario": "replaced", "fout": None,
         "in_kbi": False, "source": "runtime"},
        {"insz": "46621772469", "naam": "Given Name", "scenario": "a persona of an extra file",
         "fout": None, "in_kbi": True, "source": "fixture"},
        {"insz": "56630940371", "naam": "de Smet", "scenario": "padded, in error",
         "fout": "99996", "in_kbi": True, "source": "fixture"},
        {"insz": "81650962104", "naam": "Élise Ünal", "scenario": "from YAML",
         "fout": "SOAP_FAULT", "in_kbi": False, "source": "fixture"},
        {"insz": "45680496743", "naam": "Ann Test", "scenario": "added", "fout": None,
         "in_kbi": False, "source": "runtime"},
    ]  # fmt: skip
