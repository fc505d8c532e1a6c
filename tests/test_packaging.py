"""A non-editable ``pip install .`` works from any folder: WSDL, XSD and personas ship inside."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import requests

from .conftest import Server, source_files
from .processes import a_pytest_run_of_its_own
from .soap import PATH_ADVIES, advies_verzoek, post

PROJECT = Path(__file__).resolve().parents[1]
# The wheel is built once, on one pytest-xdist worker.
pytestmark = pytest.mark.xdist_group("wheel")


# Where each package of the wheel comes from in the checkout (pyproject.toml's package-dir)
SOURCES = {
    "services/": "magda_kbi/",
    "wsdl/": "magda_kbi/wsdl/",
    "fixtures/": "magda_kbi/fixtures/",
    "magda_client/": "magda_client/",
}


def test_the_wheel_holds_exactly_the_checkouts_packages(server_wheel):
    """Every module and data file of the packages, and nothing else: not a module left
    behind by an earlier build, nor a new subpackage missing from pyproject.toml's list."""
    expected = {
        SOURCES[folder] + naam.removeprefix(folder)
        for naam in source_files(PROJECT)
        for folder in SOURCES
        if naam.startswith(folder) and not naam.endswith((".md", ".toml"))
    }
    with zipfile.ZipFile(server_wheel) as archive:
        inhoud = {n for n in archive.namelist() if ".dist-info/" not in n}
    assert "magda_kbi/adapters/cli/serve.py" in expected
    assert inhoud - expected == set(), "in the wheel, not in the checkout"
    assert expected - inhoud == set(), "in the checkout, not in the wheel"


def test_the_installed_package_is_the_wheel(installed):
    python, elsewhere = installed
    path = subprocess.run(
        [str(python), "-c", "import magda_kbi; print(magda_kbi.__file__)"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        check=True,
    ).stdout
    assert str(python.parents[1]) in path


def test_installed_cli_lists_personas_from_another_folder(installed):
    python, elsewhere = installed
    magda_kbi = python.parent / "magda-kbi"
    process = subprocess.run(
        [str(magda_kbi), "personas"], capture_output=True, text=True, cwd=elsewhere, timeout=60
    )
    assert process.returncode == 0, process.stderr
    assert len(process.stdout.splitlines()) >= 16


def test_the_wheel_needs_tzdata_wherever_it_is_installed(server_wheel):
    """The platform's zone is read at import: on a machine without a zone database (many
    container images, not only Windows) every command stopped with ZoneInfoNotFoundError."""
    with zipfile.ZipFile(server_wheel) as archive:
        meta = archive.read(next(n for n in archive.namelist() if n.endswith("METADATA"))).decode()
    assert "Requires-Dist: tzdata>=2024.1" in meta.splitlines()


def test_installed_server_serves_personas_and_wsdl(installed, tmp_path):
    python, elsewhere = installed
    (tmp_path / "no-zoneinfo").mkdir()  # and where the system has no time zone database
    server = Server(
        "--today",
        "2024-06-01",
        command=(str(python.parent / "magda-kbi"),),
        cwd=elsewhere,
        env={"PYTHONTZPATH": str(tmp_path / "no-zoneinfo")},
    )
    try:
        antwoord = post(server.url + PATH_ADVIES, advies_verzoek("73680599786", "2024-01-01"))
        assert antwoord.advies.findtext("Reden/Code") == "INBREUK"
        wsdl = requests.get(f"{server.url}{PATH_ADVIES}?wsdl", timeout=5)
        assert wsdl.status_code == 200 and b"GeefAutomatischAdvies" in wsdl.content
        xsd = requests.get(f"{server.url}/wsdl/xsd/GeefAutomatischAdvies-01.00.xsd", timeout=5)
        assert xsd.status_code == 200
        # the console's templates and static files ship in the wheel too
        get_page = requests.get(f"{server.url}/console/personas/73680599786", timeout=10)
        assert get_page.status_code == 200 and b'data-toepassing="ZORGBUDGET"' in get_page.content
        js = requests.get(f"{server.url}/console/static/console.js", timeout=5)
        assert js.status_code == 200 and b"magdaConsole" in js.content
    finally:
        server.stop()


def test_the_pytest_plugin_works_with_only_the_package_installed(installed, tmp_path):
    python, _ = installed
    example = PROJECT / "client_examples/test_contract_with_emulator.py"
    (tmp_path / example.name).write_text(example.read_text(encoding="utf-8"))
    process = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", example.name],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert process.returncode == 0, process.stdout + process.stderr
    assert "3 passed" in process.stdout


# The newest pytest, which the test extra cannot take (schemathesis reads what 9.2 removed:
# pyproject.toml): a consumer installing pytest today gets it, so the plugin runs under it.
NEWEST_PYTEST = "9.2.0"


def test_the_pytest_plugin_works_under_the_newest_pytest(installed, tmp_path):
    python, _ = installed
    ahead = tmp_path / "newest"  # on PYTHONPATH: before the pytest the venv borrows
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(ahead)]
        + [f"pytest=={NEWEST_PYTEST}"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    example = PROJECT / "client_examples/test_contract_with_emulator.py"
    (tmp_path / example.name).write_text(example.read_text(encoding="utf-8"))
    process = subprocess.run(
        [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-W", "error", example.name],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        env=a_pytest_run_of_its_own(PYTHONPATH=str(ahead)),
    )
    assert process.returncode == 0, process.stdout + process.stderr
    assert f"pytest-{NEWEST_PYTEST}" in process.stdout and "3 passed" in process.stdout


# An import hook whose loader has no resource reader, as pytest 6's assertion rewriting,
# which loads a plugin's whole package (ours: the pytest plugin) through itself.
HOOKED = """
import importlib.abc, sys

class Loader(importlib.abc.Loader):
    def __init__(self, inner):
        self.inner = inner
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        self.inner.exec_module(module)

class Hook(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] not in ("magda_kbi", "magda_client"):
            return None
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    spec.loader = Loader(spec.loader)
                    return spec
        return None

sys.meta_path.insert(0, Hook())
from magda_kbi.io.personas import builtin_folder, load_personas
from magda_kbi.wire.xml import wsdl_folder
print(len(load_personas([builtin_folder()])), sorted(p.name for p in wsdl_folder().glob("*.wsdl")))
from magda_client import MagdaClient
MagdaClient("http://127.0.0.1:9", afzender="a.test", hoedanigheid="1")  # reads its WSDL
print("client made")
"""


def test_the_contract_and_personas_are_found_through_an_import_hook():
    """Under pytest 6 the plugin's emulator found no personas ("invalid persona folder
    <...CompatibilityFiles.OrphanPath object ...>: no such folder"), nor contract files, nor
    the client its WSDL: importlib.resources gave no folder for a package loaded through
    such a hook."""
    process = subprocess.run(
        [sys.executable, "-c", HOOKED], capture_output=True, text=True, cwd=PROJECT, timeout=60
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout == (
        "23 ['GeefAutomatischAdvies-01.00.wsdl', 'GeefDossierKBI-01.00.wsdl',"
        " 'GeefDossierKBI-02.00.wsdl']\nclient made\n"
    )
