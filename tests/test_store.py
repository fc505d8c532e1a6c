"""Runtime state in the SQLite store: the admin tests again, against a store-backed
emulator; then the real server with several workers, and two servers sharing one store."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests

from magda_kbi.adapters.app import Settings, maak_emulator
from magda_kbi.adapters.pytest_plugin import MagdaEmulator, _Server

from .conftest import Server
from .processen import vrije_poort
from .soap import PAD_DOSSIER_02, dossier_verzoek
from .test_admin import *  # noqa: F403 - the same behaviour, state in the store


@pytest.fixture
def runtime_store(tmp_path) -> dict:
    return {"store": f"sqlite:///{tmp_path / 'state.db'}"}


@pytest.fixture(scope="module")
def magda_server(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'state.db'}"
    server = _Server(maak_emulator(Settings(admin=True, store=url)))
    try:
        yield MagdaEmulator(server.url)
    finally:
        server.stop()


def dossier(url: str, insz: str = "73680599786") -> bytes:
    antwoord = requests.post(
        url + PAD_DOSSIER_02,
        data=dossier_verzoek(insz, "02.00"),
        headers={"Content-Type": "text/xml; charset=utf-8"},
        timeout=10,
    )
    return antwoord.content


JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def twee_workers():
    s = Server("--admin", "--workers", "2", "--today", "2025-06-01")
    # /health answers as soon as one worker listens; the tests need both (on a busy machine
    # the second one starts later and the first would take every connection meanwhile).
    tot = time.monotonic() + 30
    while time.monotonic() < tot:
        dossier(s.url)
        journal = requests.get(f"{s.url}/admin/journal", timeout=5).json()["entries"]
        if len({e["replica"] for e in journal}) == 2:
            break
    requests.post(f"{s.url}/admin/reset", headers=JSON, timeout=5)
    yield s
    s.stop()


def test_admin_with_two_workers_every_change_holds_for_every_later_request(twee_workers):
    url = twee_workers.url
    requests.put(f"{url}/admin/clock", json={"today": "2024-02-03"}, headers=JSON, timeout=5)
    vandaag = {requests.get(f"{url}/health", timeout=5).json()["today"] for _ in range(30)}
    assert vandaag == {"2024-02-03"}
    requests.post(
        f"{url}/admin/faults", json={"kind": "99996", "count": 3}, headers=JSON, timeout=5
    )
    geraakt = [b"<Identificatie>99996</Identificatie>" in dossier(url) for _ in range(20)]
    assert geraakt == [True] * 3 + [False] * 17  # exactly 3, over both workers
    journal = requests.get(f"{url}/admin/journal", timeout=5).json()["entries"]
    assert len(journal) == 20  # every call of both workers, right after the calls returned
    assert len({e["replica"] for e in journal}) == 2
    assert requests.post(f"{url}/admin/reset", headers=JSON, timeout=5).status_code == 200
    assert requests.get(f"{url}/health", timeout=5).json()["today"] == "2025-06-01"
    assert requests.get(f"{url}/admin/journal", timeout=5).json()["entries"] == []


def test_a_persona_put_through_one_worker_is_served_by_all(twee_workers):
    url = twee_workers.url
    from .test_admin import NIEUW

    antwoord = requests.put(f"{url}/admin/personas/{NIEUW['insz']}", json=NIEUW, timeout=5)
    assert antwoord.status_code == 201
    for _ in range(20):
        assert b"Nadzialek" in dossier(url, NIEUW["insz"])
    requests.post(f"{url}/admin/reset", headers=JSON, timeout=5)
    for _ in range(10):
        assert b"<Identificatie>30001</Identificatie>" in dossier(url, NIEUW["insz"])


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
    ("waarde", "melding"),
    [
        ("mysql://x", "is no store URL"),
        ("sqlite:////nonexistent-folder/x.db", "no folder"),
    ],
)
def test_a_bad_store_stops_start_up_with_one_line(waarde, melding):
    uit = subprocess.run(
        [sys.executable, "-m", "magda_kbi", "serve", "--port", str(vrije_poort())]
        + ["--store", waarde],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert uit.returncode == 2
    assert melding in uit.stderr
    assert "Traceback" not in uit.stderr


def test_the_run_s_store_folder_goes_and_a_killed_serve_s_too(tmp_path, monkeypatch):
    """serve removes its run's store at exit; one left by a serve killed with kill -9 is
    removed by the next serve, one of a serve that still runs is not."""
    klaar = subprocess.Popen([sys.executable, "-c", "pass"])
    klaar.wait()
    verweesd = tmp_path / f"magda-kbi-store-{klaar.pid}-old"
    levend = tmp_path / f"magda-kbi-store-{os.getpid()}-live"
    for map_ in (verweesd, levend):
        map_.mkdir()
        (map_ / "state.db").write_bytes(b"")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    s = Server("--today", "2025-06-01")
    try:
        assert not verweesd.exists()
        assert levend.exists()
        eigen = list(tmp_path.glob(f"magda-kbi-store-{s.proces.pid}-*"))
        assert len(eigen) == 1 and (eigen[0] / "state.db").exists()
    finally:
        s.stop()
    assert not eigen[0].exists()


def test_a_fault_row_of_the_previous_version_is_still_read(tmp_path):
    """Rows written when the fault's fields had Dutch names (a store kept across an upgrade)."""
    import json

    from magda_kbi.runtime.faults import FaultKind
    from magda_kbi.runtime.store import SharedFaults, SqliteStore

    store = SqliteStore(f"sqlite:///{tmp_path / 'oud.db'}")
    oud = {"soort": "99996", "dienst": "GeefDossierKBI", "insz": None, "latentie_ms": 0,
           "latentie_max_ms": None, "aantal": 2, "aandeel": None, "toegepast": 1}  # fmt: skip
    with store.write() as db:
        db.execute("INSERT INTO fault (data) VALUES (?)", (json.dumps(oud),))
    (fault,) = SharedFaults(store).lijst()
    assert (fault.kind, fault.service, fault.count, fault.applied) == (
        FaultKind.TE_VEEL_BEVRAGINGEN,
        "GeefDossierKBI",
        2,
        1,
    )
    assert (
        SharedFaults(store).kies("GeefDossierKBI", "98630499724")[1]
        is FaultKind.TE_VEEL_BEVRAGINGEN
    )
