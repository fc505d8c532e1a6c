"""magda_client as its own distribution (magda-kbi-client): built alone, installed in a fresh
virtualenv without the server stack, it calls the emulator."""

import os
import re
import subprocess
import sys
import sysconfig
import venv
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from .conftest import build_wheel, source_files

PROJECT = Path(__file__).resolve().parents[1]
# The client's wheel is built once, on one pytest-xdist worker (the server's may be built
# on the other meanwhile: each from its own copy of the checkout).
pytestmark = pytest.mark.xdist_group("client-wheel")
CONTRACT = PROJECT / "magda_client" / "contract"


def test_the_clients_contract_files_are_the_emulators():
    """The client ships its own copy of the contract: it must never drift from wsdl/."""
    kopieen = sorted(p.relative_to(CONTRACT) for p in CONTRACT.rglob("*.*sd*"))
    assert kopieen, "no contract files in magda_client/contract"
    for kopie in kopieen:
        assert (CONTRACT / kopie).read_bytes() == (PROJECT / "wsdl" / kopie).read_bytes(), kopie


@pytest.fixture(scope="module")
def client_wiel(tmp_path_factory) -> Path:
    return build_wheel(
        PROJECT / "magda_client", tmp_path_factory.mktemp("wiel"), "magda_kbi_client-*.whl"
    )


def test_the_client_wheel_holds_the_client_only(client_wiel):
    with zipfile.ZipFile(client_wiel) as wiel:
        namen = wiel.namelist()
        meta = wiel.read(next(n for n in namen if n.endswith("METADATA"))).decode()
    assert all(n.startswith(("magda_client/", "magda_kbi_client-")) for n in namen), namen
    assert "magda_client/contract/GeefDossierKBI-02.00.wsdl" in namen
    # PEP 561: mypy and pyright read the client's type hints in a consumer's project (without
    # the marker mypy said "missing library stubs or py.typed marker" and typed it Any)
    assert "magda_client/py.typed" in namen
    # exactly the client's files: nothing an earlier build left in magda_client/build
    verwacht = {
        f"magda_client/{naam}"
        for naam in source_files(PROJECT / "magda_client")
        if naam != "pyproject.toml"
    }
    assert {n for n in namen if n.startswith("magda_client/")} == verwacht
    require = {
        re.split(r"[ ;<>=!~\[]", regel.split(":", 1)[1].strip())[0].lower()
        for regel in meta.splitlines()
        if regel.startswith("Requires-Dist:") and "extra ==" not in regel
    }
    # urllib3: requests's own; tzdata: the platform's zone where the system has no database
    assert require == {"zeep", "lxml", "requests", "urllib3", "tzdata"}


def _required(wheel: Path) -> list[str]:
    """The distributions ``wheel`` requires here (no extras; markers evaluated)."""
    with zipfile.ZipFile(wheel) as wiel:
        meta = wiel.read(next(n for n in wiel.namelist() if n.endswith("METADATA"))).decode()
    eisen = [
        Requirement(r.split(":", 1)[1]) for r in meta.splitlines() if r.startswith("Requires-Dist:")
    ]
    return [e.name for e in eisen if e.marker is None or e.marker.evaluate({"extra": ""})]


def _afhankelijkheden(naam: str, gezien: set[str]) -> set[str]:
    """``naam`` and every distribution it needs (no extras), as installed here."""
    sleutel = naam.lower().replace("_", "-")
    if sleutel in gezien:
        return gezien
    gezien.add(sleutel)
    for eis in metadata.requires(naam) or []:
        if "extra ==" in eis:
            continue
        deel = re.split(r"[ ;<>=!~\[(]", eis.strip())[0]
        try:
            metadata.distribution(deel)
        except metadata.PackageNotFoundError:
            continue  # an environment marker that does not apply here
        _afhankelijkheden(deel, gezien)
    return gezien


def test_the_client_alone_calls_the_emulator(client_wiel, server, tmp_path):
    runtime = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, system_site_packages=False).create(runtime)
    python = runtime / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # The client's dependencies, as its wheel declares them, and only those, borrowed from
    # this interpreter (no network).
    deps = tmp_path / "deps"
    deps.mkdir()
    hier = Path(sysconfig.get_paths()["purelib"])
    for naam in set().union(*(_afhankelijkheden(n, set()) for n in _required(client_wiel))):
        dist = metadata.distribution(naam)
        for bestand in dist.files or []:
            top = bestand.parts[0]
            bron = hier / top
            if top.endswith((".dist-info", ".data")) or "__pycache__" in top:
                continue
            doel = deps / top
            if bron.exists() and not doel.exists():
                doel.symlink_to(bron)
    (site / "deps.pth").write_text(str(deps) + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(client_wiel),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    script = f"""
import importlib.util
for naam in ("magda_kbi", "spyne", "flask", "granian"):
    assert importlib.util.find_spec(naam) is None, naam + " is installed"
from magda_client import MagdaClient, MagdaError, DossierNietGevonden
client = MagdaClient({server.url!r}, afzender="zorgkas1.test.be", hoedanigheid="1")
dossier = client.geef_dossier_kbi("98630499724")
print(dossier.versie, dossier.contracten[0].type, dossier.telefoonnummers)
print(client.geef_automatisch_advies("73680599786", "2024-01-01").reden_code)
try:
    client.geef_dossier_kbi("86630100380")
except MagdaError as fout:
    print(type(fout).__name__, fout.code)
"""
    # and on a machine without a time zone database (Ubuntu's container images, distroless):
    # the client reads the platform's zone (Europe/Brussels) at import, which stopped it
    geen_zones = tmp_path / "no-zoneinfo"
    geen_zones.mkdir()
    proces = subprocess.run(
        [str(python), "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env={**os.environ, "PYTHONTZPATH": str(geen_zones)},
    )
    assert proces.returncode == 0, proces.stderr
    assert proces.stdout.splitlines() == [
        "02.00 IC013G ('0470 00 00 01',)",
        "INBREUK",
        "DossierNietGevonden 30001",
    ]
