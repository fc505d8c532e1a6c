"""The cache of persona files that passed the KBI contract check: a file is checked once
per content, contract and checking code; any change in one checks it again; no cache, no
harm."""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import tracemalloc

import pytest

from magda_kbi.io import personas
from magda_kbi.io.checked_files import CheckedFiles, cache_folder, checks_hash
from magda_kbi.io.personas import builtin_folder, load_personas

from .processes import a_uid_no_one_has, as_another_user, open_files


@pytest.fixture
def count(monkeypatch):
    """How often the XSD check ran."""
    counter = {"n": 0}
    real = personas.contract_error

    def counted(*args, **kw):
        counter["n"] += 1
        return real(*args, **kw)

    monkeypatch.setattr(personas, "contract_error", counted)
    return counter


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "personas"
    target.mkdir()
    for naam in ("73680599786-inbreuk-open.yaml", "98630499724-contract-lopend.yaml"):
        shutil.copy(builtin_folder() / naam, target / naam)
    return target


@pytest.fixture
def record(tmp_path):
    """Records of checked files (by default ``cache.sqlite`` in the test's folder), each
    closed after the test (left open, Python 3.13 warns of each)."""
    made: list[CheckedFiles] = []

    def make(path=None) -> CheckedFiles:
        made.append(CheckedFiles(path or tmp_path / "cache.sqlite"))
        return made[-1]

    yield make
    for checked in made:
        checked.close()


def test_a_yaml_file_past_the_bound_is_refused_without_reading_it_all(folder, record):
    """A persona folder's .yaml of 300 MB (sparse here) was read whole to hash it, then
    refused for its size: now read to one byte past the 1 MiB bound."""
    with (folder / "99999999999-groot.yaml").open("wb") as large:
        large.truncate(300 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(personas.FixtureError) as refused:
            load_personas([folder], checked=record())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.value.reason == "file larger than 1048576 bytes"
    assert peak < 20 * 1024 * 1024, peak


def test_a_file_s_key_is_hashed_without_a_copy_of_the_file(record):
    """The key is sha256 of the checks' hash and the content, without joining them first:
    that copied a whole population file (50 MB here)."""
    inhoud = b"{}\n" * (25 * 1024 * 1024)
    cache = record()
    tracemalloc.start()
    try:
        key = cache.key(inhoud)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert key == hashlib.sha256(checks_hash() + inhoud).hexdigest()
    assert peak < 1024 * 1024, peak


def test_a_file_is_checked_once_per_content(folder, count, record):
    cache = record()
    first = load_personas([folder], checked=cache)
    assert count["n"] == 2
    second = load_personas([folder], checked=record())
    assert count["n"] == 2  # nothing checked again
    assert second == first
    file = folder / "73680599786-inbreuk-open.yaml"
    file.write_text(file.read_text() + "\n# changed\n")
    load_personas([folder], checked=record())
    assert count["n"] == 3  # the changed file only


def test_another_contract_checks_again(folder, count, monkeypatch, record):
    load_personas([folder], checked=record())
    from magda_kbi.io import checked_files

    monkeypatch.setattr(checked_files, "checks_hash", lambda: b"another contract")
    load_personas([folder], checked=record())
    assert count["n"] == 4


def test_the_checks_are_the_domain_wire_and_io_code():
    from magda_kbi.io import checked_files

    sources = {f"{p.parent.name}/{p.name}" for p in checked_files.checking_sources()}
    # where a persona's checks live: the domain's rules (a residence's name and code), the
    # reply the XSD check validates, the readers of the persona files
    assert {
        "domain/municipalities.py",
        "domain/insz.py",
        "wire/dossier_kbi.py",
        "wire/xml.py",
        "io/personas.py",
        "io/schemas.py",
    } <= sources
    assert not {s for s in sources if s.startswith(("adapters/", "runtime/"))}


def test_a_change_in_the_checking_code_checks_again(tmp_path, folder, count, monkeypatch, record):
    """A checkout pulled with a new check, the version unchanged: every file is checked
    again (the contract files alone let what passed the old check through)."""
    from magda_kbi.io import checked_files

    code = tmp_path / "domain" / "checks.py"
    code.parent.mkdir()
    code.write_text("LIMIT = 48\n")
    monkeypatch.setattr(checked_files, "checking_sources", lambda: [code])
    checked_files.checks_hash.cache_clear()
    try:
        load_personas([folder], checked=record())
        assert count["n"] == 2
        checked_files.checks_hash.cache_clear()  # the next start, the code unchanged
        load_personas([folder], checked=record())
        assert count["n"] == 2
        code.write_text("LIMIT = 47\n")
        checked_files.checks_hash.cache_clear()  # the next start, with the new check
        load_personas([folder], checked=record())
        assert count["n"] == 4
    finally:
        checked_files.checks_hash.cache_clear()


def test_a_file_that_fails_is_not_remembered(folder, count, record):
    broken_file = folder / "kapot.yaml"
    broken_file.write_text("insz: '80651126387'\nscenario: x\ndossier: [1]\n")
    cache = record()
    with pytest.raises(personas.FixtureError):
        load_personas([folder], checked=cache)
    assert not cache.known(cache.key(broken_file.read_bytes()))
    for good in folder.glob("[0-9]*.yaml"):  # the files before it passed: remembered
        assert cache.known(cache.key(good.read_bytes()))


def test_without_a_usable_cache_everything_is_checked(tmp_path, folder, count, record, caplog):
    no_folder = tmp_path / "een-bestand"
    no_folder.write_text("")
    cache = record(no_folder / "cache.sqlite")  # its folder is a file
    load_personas([folder], checked=cache)
    load_personas([folder], checked=cache)
    assert count["n"] == 4
    # what it costs and the way out (a container's HOME=/nonexistent said only the error)
    assert caplog.messages == [
        f"no cache of checked persona files at {no_folder / 'cache.sqlite'}: [Errno 17] File"
        f" exists: '{no_folder}' (every persona file is checked again at each start; set"
        " MAGDA_KBI_CACHE_DIR to a folder you can write)"
    ]


def test_the_personas_command_checks_a_folder_once(tmp_path, count):
    """It checked every persona against the XSD on every run: 75 s for a generated
    population of 100,000 whose files generate had recorded as checked (15 s now)."""
    from .cli_run import magda_kbi

    own = tmp_path / "eigen"
    own.mkdir()
    (own / "80651338304.yaml").write_text(
        'insz: "80651338304"\nscenario: Registered\ndossier:\n'
        "  personalia: {achternamen: [Nadzialek], voornamen: [Boris]}\n",
        encoding="utf-8",
    )
    environment = {"MAGDA_KBI_CACHE_DIR": str(tmp_path / "cache")}
    process = magda_kbi("personas", "--fixtures", str(own), env=environment)
    assert process.returncode == 0 and "80651338304  Boris Nadzialek" in process.stdout
    first = count["n"]
    assert first >= 1  # this file (and the built-ins, the first time)
    assert magda_kbi("personas", "--fixtures", str(own), env=environment).returncode == 0
    assert count["n"] == first  # known as checked: no second XSD pass


def test_every_connection_to_the_record_is_closed_after_its_load(tmp_path, monkeypatch):
    """The emulator, the personas listing and generate each open the record to load
    persona files, and left the connection to the garbage collector: on Python 3.13 that is
    a ResourceWarning, and a consumer's suite with every warning an error failed at its end
    though every test passed (tests/test_client_examples.py runs such suites)."""
    import sqlite3

    from magda_kbi.adapters.app import Settings, make_emulator

    from .cli_run import magda_kbi

    monkeypatch.setenv("MAGDA_KBI_CACHE_DIR", str(tmp_path / "cache"))
    opened: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def noted(*args, **kwargs):
        connection = connect(*args, **kwargs)
        opened.append(connection)
        return connection

    monkeypatch.setattr(sqlite3, "connect", noted)
    make_emulator(Settings())
    assert magda_kbi("personas").returncode == 0
    out = tmp_path / "population"
    assert magda_kbi("generate", "--count", "3", "--out", str(out)).returncode == 0
    assert len(opened) >= 3  # the record's, each time: the emulator holds no other database
    for connection in opened:
        with pytest.raises(sqlite3.ProgrammingError, match="closed database"):
            connection.execute("SELECT 1")


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files in /proc")
def test_a_record_that_is_no_database_is_passed_over_and_left_closed(tmp_path):
    """A record file damaged into something else: opened, refused by SQLite, then used as
    no record (everything is checked); the file was kept open as long as the record."""
    broken_file = tmp_path / "cache.sqlite"
    broken_file.write_bytes(b"not a database at all, " * 100)
    with CheckedFiles(broken_file) as cache:
        assert not cache.known(cache.key(b"x"))
        assert str(broken_file) not in open_files()


def test_a_relative_xdg_cache_home_is_ignored_as_the_xdg_spec_asks(monkeypatch, tmp_path):
    """XDG_CACHE_HOME=cache (relative) made a cache below whatever folder a command ran in;
    the XDG Base Directory spec has such a value ignored: HOME's .cache is taken."""
    monkeypatch.delenv("MAGDA_KBI_CACHE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "cache")
    assert cache_folder() == tmp_path / "home" / ".cache" / "magda-kbi"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_folder() == tmp_path / "xdg" / "magda-kbi"


def test_with_no_home_folder_there_is_no_cache_and_no_traceback():
    """No HOME and no entry in the user database (a container run under a uid of its own):
    Path.home() raised RuntimeError and every command stopped with it. Now there is no
    cache, as where the cache folder cannot be written: every file is checked."""
    if os.geteuid() != 0:
        pytest.skip("needs root: only root can become a user with no entry in the user database")
    serve_module = importlib.import_module("magda_kbi.adapters.cli.serve")
    key = CheckedFiles.hasher(b"a persona file").hexdigest()  # the checks' hash made now

    def job() -> None:
        with pytest.raises(OSError, match=r"home directory\. \(set HOME or MAGDA_KBI_CACHE_DIR\)"):
            cache_folder()
        with CheckedFiles() as cache:
            cache.add(key)
            assert not cache.known(key)
        assert serve_module._cached_catalogue(()) is None  # serve's catalogue: its run's store

    said = as_another_user(a_uid_no_one_has(), job)
    assert not said, said
