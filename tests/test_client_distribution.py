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
    duplicates = sorted(p.relative_to(CONTRACT) for p in CONTRACT.rglob("*.*sd*"))
    assert duplicates, "no contract files in magda_client/contract"
    for duplicate in duplicates:
        assert (CONTRACT / duplicate).read_bytes() == (PROJECT / "wsdl" / duplicate).read_bytes(), (
            duplicate
        )


@pytest.fixture(scope="module")
def client_wheel(tmp_path_factory) -> Path:
    return build_wheel(
        PROJECT / "magda_client", tmp_path_factory.mktemp("wiel"), "magda_kbi_client-*.whl"
    )


def test_the_client_wheel_holds_the_client_only(client_wheel):
    with zipfile.ZipFile(client_wheel) as archive:
        names = archive.namelist()
        meta = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert all(n.startswith(("magda_client/", "magda_kbi_client-")) for n in names), names
    assert "magda_client/contract/GeefDossierKBI-02.00.wsdl" in names
    # PEP 561: mypy and pyright read the client's type hints in a consumer's project (without
    # the marker mypy said "missing library stubs or py.typed marker" and typed it Any)
    assert "magda_client/py.typed" in names
    # exactly the client's files: nothing an earlier build left in magda_client/build
    expected = {
        f"magda_client/{naam}"
        for naam in source_files(PROJECT / "magda_client")
        if naam != "pyproject.toml"
    }
    assert {n for n in names if n.startswith("magda_client/")} == expected
    require = {
        re.split(r"[ ;<>=!~\[]", regel.split(":", 1)[1].strip())[0].lower()
        for regel in meta.splitlines()
        if regel.startswith("Requires-Dist:") and "extra ==" not in regel
    }
    # urllib3: requests's own; tzdata: the platform's zone where the system has no database
    assert require == {"zeep", "lxml", "requests", "urllib3", "tzdata"}


def _required(wheel: Path) -> list[str]:
    """The distributions ``wheel`` requires here (no extras; markers evaluated)."""
    with zipfile.ZipFile(wheel) as archive:
        meta = archive.read(next(n for n in archive.namelist() if n.endswith("METADATA"))).decode()
    requirements = [
        Requirement(r.split(":", 1)[1]) for r in meta.splitlines() if r.startswith("Requires-Dist:")
    ]
    return [e.name for e in requirements if e.marker is None or e.marker.evaluate({"extra": ""})]


def _dependencies(naam: str, seen: set[str]) -> set[str]:
    """``naam`` and every distribution it needs (no extras), as installed here."""
    key = naam.lower().replace("_", "-")
    if key in seen:
        return seen
    seen.add(key)
    for requirement in metadata.requires(naam) or []:
        if "extra ==" in requirement:
            continue
        part = re.split(r"[ ;<>=!~\[(]", requirement.strip())[0]
        try:
            metadata.distribution(part)
        except metadata.PackageNotFoundError:
            continue  # an environment marker that does not apply here
        _dependencies(part, seen)
    return seen


def test_the_client_alone_calls_the_emulator(client_wheel, server, tmp_path):
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
    here = Path(sysconfig.get_paths()["purelib"])
    for naam in set().union(*(_dependencies(n, set()) for n in _required(client_wheel))):
        dist = metadata.distribution(naam)
        for file in dist.files or []:
            top = file.parts[0]
            source = here / top
            if top.endswith((".dist-info", ".data")) or "__pycache__" in top:
                continue
            target = deps / top
            if source.exists() and not target.exists():
                target.symlink_to(source)
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
            str(client_wheel),
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
    no_zones = tmp_path / "no-zoneinfo"
    no_zones.mkdir()
    process = subprocess.run(
        [str(python), "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env={**os.environ, "PYTHONTZPATH": str(no_zones)},
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout.splitlines() == [
        "02.00 IC013G ('0470 00 00 01',)",
        "INBREUK",
        "DossierNietGevonden 30001",
    ]
