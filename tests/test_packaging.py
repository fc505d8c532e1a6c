"""A non-editable ``pip install .`` works from any folder: WSDL, XSD and personas ship inside."""

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
import requests

from .conftest import Server
from .soap import PAD_ADVIES, advies_verzoek, post

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def geinstalleerd(tmp_path_factory):
    """A wheel built from this checkout, installed into a fresh virtualenv.

    The wheel is built as pip builds it (an isolated build environment with setuptools
    from the package index); the venv borrows the installed dependencies, and the package
    itself comes only from the wheel.
    """
    werk = tmp_path_factory.mktemp("installatie")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(werk / "dist"),
            str(PROJECT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next((werk / "dist").glob("magda_kbi_emulator-*.whl"))
    venv.EnvBuilder(with_pip=False).create(werk / "venv")
    python = werk / "venv/bin/python"
    # The dependencies are those of the running interpreter: its site-packages go on the
    # new venv's path (a plain path line does not run that folder's .pth files, so the
    # editable install of this checkout stays invisible there).
    eigen = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    buiten = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(eigen) / "_afhankelijkheden.pth").write_text("\n".join(sorted(buiten)) + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            "--force-reinstall",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elders = werk / "elders"
    elders.mkdir()
    return python, elders


def test_the_installed_package_is_the_wheel(geinstalleerd):
    python, elders = geinstalleerd
    pad = subprocess.run(
        [str(python), "-c", "import magda_kbi; print(magda_kbi.__file__)"],
        capture_output=True,
        text=True,
        cwd=elders,
        check=True,
    ).stdout
    assert str(python.parents[1]) in pad


def test_installed_cli_lists_personas_from_another_folder(geinstalleerd):
    python, elders = geinstalleerd
    magda_kbi = python.parent / "magda-kbi"
    proces = subprocess.run(
        [str(magda_kbi), "personas"], capture_output=True, text=True, cwd=elders, timeout=60
    )
    assert proces.returncode == 0, proces.stderr
    assert len(proces.stdout.splitlines()) >= 16


def test_installed_server_serves_personas_and_wsdl(geinstalleerd):
    python, elders = geinstalleerd
    server = Server(
        "--today", "2024-06-01", commando=(str(python.parent / "magda-kbi"),), cwd=elders
    )
    try:
        antwoord = post(server.url + PAD_ADVIES, advies_verzoek("73680599786", "2024-01-01"))
        assert antwoord.advies.findtext("Reden/Code") == "INBREUK"
        wsdl = requests.get(f"{server.url}{PAD_ADVIES}?wsdl", timeout=5)
        assert wsdl.status_code == 200 and b"GeefAutomatischAdvies" in wsdl.content
        xsd = requests.get(f"{server.url}/wsdl/xsd/GeefAutomatischAdvies.xsd", timeout=5)
        assert xsd.status_code == 200
    finally:
        server.stop()
