"""The runnable consumer scripts in client_examples/, smoke-tested against a live emulator."""

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import requests

PROJECT = Path(__file__).resolve().parents[1]
EXAMPLES = PROJECT / "client_examples"


def run_in(script: str, *args: str, input_: str | None = None):
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=input_,
    )


@pytest.mark.parametrize(
    "script", ["zorgkas_zorgbudget.py", "gemeente_dossier.py", "verlaagde_premie.py"]
)
def test_help(script):
    process = run_in(script, "--help")
    assert process.returncode == 0 and "usage:" in process.stdout


def test_zorgkas_zorgbudget(server, tmp_path):
    csv = tmp_path / "leden.csv"
    csv.write_text(
        "insz,datum\n73680599786,2024-01-01\n98630499724,2024-01-01\n"
        "86630100380,2024-06-01\n90651105718,2024-01-01\n",
        encoding="utf-8",
    )
    process = run_in("zorgkas_zorgbudget.py", str(csv), "--url", server.url)
    regels = process.stdout.splitlines()
    assert "73680599786  2024-01-01  NOK  INBREUK" in regels[1]
    assert regels[2].endswith("OK") and regels[3].endswith("OK")
    assert "FOUT 99996" in regels[4]
    assert process.returncode == 1  # MAGDA refused one question


def test_zorgkas_output_piped_into_head_ends_quietly(server):
    """``zorgkas_zorgbudget.py leden.csv | head``: once head has its lines and leaves, the
    script ended in a BrokenPipeError traceback on the next row."""
    rows = "".join("73680599786,2024-01-01\n" for _ in range(2000))
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "zorgkas_zorgbudget.py"), "-", "--url", server.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdin.write(f"insz,datum\n{rows}".encode())
    process.stdin.close()
    assert process.stdout.readline().startswith(b"INSZ")
    process.stdout.close()  # as head does after its lines
    assert process.wait(timeout=60) == 0
    assert process.stderr.read() == b""


def test_zorgkas_exits_non_zero_on_transport_errors(tmp_path):
    process = run_in(
        "zorgkas_zorgbudget.py",
        "-",
        "--url",
        "http://127.0.0.1:1",
        input_="insz,datum\n73680599786,2024-01-01\n",
    )
    assert process.returncode == 3 and "no answer" in process.stderr


def test_zorgkas_refuses_a_csv_without_the_columns():
    process = run_in("zorgkas_zorgbudget.py", "-", input_="nummer;dag\n1;2\n")
    assert process.returncode == 2 and "insz,datum" in process.stderr


def test_zorgkas_reads_a_members_file_as_a_spreadsheet_saves_it(server, tmp_path):
    """Excel's 'CSV UTF-8' starts with a BOM; a Belgian Excel separates with ';' and
    writes dates as 01/01/2024; an INSZ may be written as on the eID."""
    csv = tmp_path / "leden.csv"
    csv.write_bytes(
        b"\xef\xbb\xbfinsz;datum\r\n73.68.05-997.86;01/01/2024\r\n98630499724;2024-01-01\r\n"
        b"98630499724\r\n"
    )
    process = run_in("zorgkas_zorgbudget.py", str(csv), "--url", server.url)
    assert process.stdout.splitlines()[1:] == [
        "73680599786  2024-01-01  NOK  INBREUK: Er is een inbreuk op de inburgeringsplicht"
        " vastgesteld die niet is rechtgezet",
        "98630499724  2024-01-01  OK",
        "98630499724              FOUT -: Datum: '' is geen datum (JJJJ-MM-DD)",
    ]
    assert (process.returncode, process.stderr) == (1, "")


def test_zorgkas_says_why_it_cannot_read_a_file(tmp_path):
    gone = tmp_path / "weg.csv"
    process = run_in("zorgkas_zorgbudget.py", str(gone))
    assert process.returncode == 2
    assert process.stderr.endswith(f"error: cannot read {gone}: No such file or directory\n"), (
        process.stderr
    )
    assert "Traceback" not in process.stderr


def test_zorgkas_reads_the_windows_csv_excel_saves(server, tmp_path):
    """Excel's plain "CSV" is Windows-1252: a name in a column the script never reads made
    it refuse the file ("not UTF-8 text")."""
    ansi = tmp_path / "leden.csv"
    ansi.write_bytes("naam;insz;datum\r\nJosé Müller;73680599786;01/01/2024\r\n".encode("cp1252"))
    process = run_in("zorgkas_zorgbudget.py", str(ansi), "--url", server.url)
    assert process.returncode == 0, process.stderr
    assert process.stdout.splitlines()[1].startswith("73680599786  2024-01-01  NOK  INBREUK")
    assert "José" not in process.stdout and "Jos" not in process.stdout  # names are not printed


def test_verlaagde_premie_refuses_what_it_cannot_ask(tmp_path):
    process = run_in("verlaagde_premie.py", "0", "73680599786")
    assert process.returncode == 2 and "year: 0 is not a year from 2000 to 2100" in process.stderr
    gone = tmp_path / "weg.txt"
    process = run_in("verlaagde_premie.py", "2024", "--file", str(gone))
    assert process.returncode == 2
    assert process.stderr.endswith(f"error: cannot read {gone}: No such file or directory\n")


def test_verlaagde_premie_reads_a_members_file_with_a_bom(server, tmp_path):
    members = tmp_path / "leden.txt"
    members.write_bytes(b"\xef\xbb\xbf80651239522\r\n\r\n73.68.05-997.86\r\n")
    process = run_in("verlaagde_premie.py", "2023", "--file", str(members), "--url", server.url)
    assert process.stdout.splitlines()[1:] == [
        "  80651239522  NOK  GEEN_AANMELDING: no reduced premium for 2023",
        "  73680599786  OK   the inburgering condition does not bar a reduced premium",
    ]
    assert process.returncode == 0


def test_verlaagde_premie_reads_the_list_the_emulator_exports(server, tmp_path):
    """The yearly list as 'magda-kbi export verlaagde-premie' writes it (CSV, a header
    'insz') as the members file: its header was asked as an INSZ, "FOUT -: INSZ: 'insz' is
    geen geldig INSZ", and the run ended with exit 1."""
    from .cli_run import magda_kbi
    from .conftest import LATE

    listing = tmp_path / "verlaagde-premie-2023.csv"
    export = magda_kbi(
        "export", "verlaagde-premie", "2023", "--today", LATE.isoformat(), "--out", str(listing)
    )
    assert export.returncode == 0, export.stderr
    assert listing.read_text(encoding="utf-8").splitlines() == ["insz", "80651239522"]
    process = run_in("verlaagde_premie.py", "2023", "--file", str(listing), "--url", server.url)
    assert process.stdout.splitlines()[1:] == [
        "  80651239522  NOK  GEEN_AANMELDING: no reduced premium for 2023",
    ]
    assert process.returncode == 0


def test_gemeente_dossier(server):
    process = run_in("gemeente_dossier.py", "73680599786", "--url", server.url)
    assert process.returncode == 0
    assert "Leonard Janssens (73680599786)" in process.stdout
    assert "contract signed:    yes" in process.stdout
    assert "open infringements: 1" in process.stdout
    process = run_in("gemeente_dossier.py", "86630100380", "--url", server.url)
    assert process.returncode == 1 and "30001" in process.stdout
    # a digit mistyped: refused by the library, never sent (it said "MAGDA answered")
    process = run_in("gemeente_dossier.py", "98630499725", "--url", server.url)
    assert (process.returncode, process.stdout) == (2, "")
    assert process.stderr == (
        "not sent: INSZ: '98630499725' is geen geldig INSZ (11 cijfers, controle modulo 97)\n"
    )


def test_gemeente_dossier_under_a_municipality_s_protocol():
    """As a municipality (the platform always applies its protocol) the summary said
    'doelgroep: none' and 'open infringements: 0' of a person with an open infringement:
    what the protocol hides, shown as facts."""
    from magda_kbi.adapters.app import Settings, make_emulator
    from magda_kbi.adapters.pytest_plugin import _Server

    server = _Server(make_emulator(Settings(today=date(2030, 1, 1), protocols=True)))
    try:
        process = run_in(
            "gemeente_dossier.py",
            "73680599786",
            *("--url", server.url, "--afzender", "gemeente.kortenberg.be"),
            *("--hoedanigheid", "GEMEENTE"),
        )
    finally:
        server.stop()
    assert process.returncode == 0, process.stderr
    assert process.stdout.splitlines() == [
        "Leonard Janssens (73680599786)",
        "  doelgroep:          not disclosed to this consumer",
        "  contract signed:    yes",
        "  attest obtained:    no",
        "  open infringements: not disclosed to this consumer",
    ]


def test_verlaagde_premie(server):
    process = run_in(
        "verlaagde_premie.py", "2023", "80651239522", "73680599786", "--url", server.url
    )
    assert process.returncode == 0
    assert "80651239522  NOK  GEEN_AANMELDING" in process.stdout
    assert "73680599786  OK" in process.stdout
    process = run_in("verlaagde_premie.py", "2024", "80651239522", "--url", server.url)
    assert "80651239522  OK" in process.stdout


def test_client_benchmark_runs(server):
    process = subprocess.run(
        [
            sys.executable,
            str(PROJECT / "benchmarks/client_overhead.py"),
            "--url",
            server.url,
            "--calls",
            "5",
            "--constructions",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 0, process.stderr
    assert "client construction" in process.stdout and "no network" in process.stdout


def test_the_suite_benchmark_runs():
    """benchmarks/suite.py on one small test module, in one process: each test's CPU and the
    processes by kind (the suite's own pytest run, one process, among them)."""
    run = subprocess.run(
        [sys.executable, str(PROJECT / "benchmarks/suite.py"), "-n", "0", "tests/test_insz.py"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    # as many as pytest collects there (a number written here went stale with each new test)
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "--collect-only", "tests/test_insz.py"],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=120,
    ).stdout
    count = sum(line.startswith("tests/test_insz.py::") for line in collected.splitlines())
    assert count > 10, collected
    lines = run.stdout.splitlines()
    assert lines[0].startswith(f"pytest: {count} passed in ")
    assert re.fullmatch(r"\s+1 +\d+\.\d +\d+\.\d%  pytest \(.*\)", lines[3]), lines
    assert any(
        re.match(rf"{count} tests, \d+\.\d CPU s in the processes that ran them", n) for n in lines
    )
    assert sum("s  tests/test_insz.py::test_" in n for n in lines) == 15  # --slowest's default


def test_the_readme_client_example_runs(server):
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    example = readme.split("## Using the client", 1)[1].split("```python\n", 1)[1]
    example = example.split("```", 1)[0].replace("http://127.0.0.1:8080", server.url)
    process = subprocess.run(
        [sys.executable, "-c", example], capture_output=True, text=True, timeout=60
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout.splitlines() == ["NOK INBREUK", "PLICHT True False"]


def test_the_readme_plugin_example_runs(tmp_path):
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    example = readme.split("**The pytest plugin**", 1)[1].split("```python\n", 1)[1]
    (tmp_path / "test_readme_plugin.py").write_text(example.split("```", 1)[0])
    process = pytest_strict("test_readme_plugin.py", cwd=tmp_path)
    assert process.returncode == 0, process.stdout + process.stderr


def test_the_plugin_s_emulator_checks_signatures_when_asked(tmp_path):
    """--magda-verify-signatures: a consumer's CI tries its signing against the plugin's
    emulator, as against serve --verify-signatures; with --magda-url it is refused (that
    emulator checks them or not as it was started)."""
    (tmp_path / "test_signing.py").write_text(
        "import pytest\n"
        "from magda_client import MagdaClient, MagdaTransportFout\n\n"
        "def test_an_unsigned_call_is_refused(magda):\n"
        "    client = MagdaClient(magda.url, afzender='zorgkas.be', hoedanigheid='1')\n"
        "    with pytest.raises(MagdaTransportFout, match='wsse:InvalidSecurity'):\n"
        "        client.geef_automatisch_advies('73680599786', '2024-01-01')\n"
    )
    process = pytest_strict("--magda-verify-signatures", "test_signing.py", cwd=tmp_path)
    assert process.returncode == 0, process.stdout + process.stderr
    process = pytest_strict(
        "--magda-verify-signatures", "--magda-url", "http://127.0.0.1:1", cwd=tmp_path
    )
    assert process.returncode == 4  # a usage error, before any test
    assert "--magda-verify-signatures with --magda-url: start that emulator" in process.stderr
    (tmp_path / "conftest.py").write_text("import sys\nsys.modules['xmlsec'] = None\n")
    process = pytest_strict("--magda-verify-signatures", "test_signing.py", cwd=tmp_path)
    assert process.returncode == 4
    assert (
        "--magda-verify-signatures needs xmlsec: pip install 'magda-kbi-emulator[signing]'"
        in process.stderr
    )


def test_the_plugin_resets_a_running_emulator_before_the_first_test(tmp_path):
    """With --magda-url, what an earlier run left there must not reach the first test."""
    from magda_kbi.adapters.app import Settings, make_emulator
    from magda_kbi.adapters.pytest_plugin import MagdaEmulator, _Server

    server = _Server(make_emulator(Settings(admin=True)))
    try:
        previous = MagdaEmulator(server.url)
        previous.fault("99996")
        previous.today("2020-01-01")
        requests.get(f"{server.url}/api/v1/advies/98630499724", timeout=5)
        (tmp_path / "test_eerste.py").write_text(
            "def test_first(magda):\n"
            "    assert magda.journal() == []\n"
            "    assert magda.session.get(magda.url + '/admin/faults').json() == []\n"
        )
        # behind a proxy too: the plugin's calls and a test's own through magda.session
        process = pytest_strict(
            "--magda-url", server.url, "test_eerste.py", cwd=tmp_path, env=PROXY_ELSEWHERE
        )
        assert process.returncode == 0, process.stdout + process.stderr
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (  # which of its numbers is wrong, as serve --today says
            ("--magda-today", "2024-13-01"),
            "--magda-today: '2024-13-01' is not a date from 2000-01-01 to 2100-12-31"
            " (YYYY-MM-DD): month must be in 1..12",
        ),
        (("--magda-today", "9999-12-31"), "--magda-today: '9999-12-31' is not a date from"),
        (("--magda-fixtures", "weg"), "--magda-fixtures: invalid persona folder"),
        # it read the current folder's YAML files (docker-compose.yaml, say) as personas
        (("--magda-fixtures", ""), "--magda-fixtures: is empty (an unset variable?)"),
        (("--magda-url", "http://127.0.0.1:9"), "--magda-url: the emulator at http://127"),
        (  # requests said "No connection adapters were found for 'localhost:8080/admin/..."
            ("--magda-url", "localhost:8080"),
            "--magda-url: 'localhost:8080' is no http:// or https:// address (say"
            " http://localhost:8080)",
        ),
        # xdist's workers each reset the one emulator in the middle of the others' tests
        (
            ("-p", "xdist.plugin", "-n", "2", "--magda-url", "http://127.0.0.1:9"),
            "--magda-url with pytest-xdist's workers: they would reset that one emulator",
        ),
    ],
)
def test_a_bad_plugin_option_says_which_and_why(tmp_path, option, message):
    """Each was a bare exception in every test (ValueError: month must be in 1..12)."""
    (tmp_path / "test_x.py").write_text("def test_x(magda):\n    assert magda.url\n")
    process = pytest_strict(*option, "test_x.py", cwd=tmp_path)
    assert process.returncode != 0 and message in process.stdout + process.stderr


# A corporate proxy in the environment, which cannot reach this machine's loopback: the
# plugin's admin calls and the client went to it (every test failed with a ProxyError)
PROXY_ELSEWHERE = {
    "HTTP_PROXY": "http://proxy.invalid:3128",
    "HTTPS_PROXY": "http://proxy.invalid:3128",
    "NO_PROXY": "",  # tests/conftest.py's for the suite's own calls
    "no_proxy": "",
}


def test_the_example_contract_tests_run_with_every_warning_an_error_behind_a_proxy():
    process = pytest_strict(str(PROJECT / "client_examples"), cwd=PROJECT, env=PROXY_ELSEWHERE)
    assert process.returncode == 0, process.stdout + process.stderr


def pytest_strict(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """A user's pytest run in a subprocess, with every warning an error, as strict projects
    run (on Python 3.13 an unclosed sqlite3 connection of ours failed such a run after its
    last test had passed). A user's project has our plugin, not our pytest settings nor
    this machine's other plugins: our ``-n auto`` started two xdist workers for three tests,
    and autoloading every installed plugin (schemathesis, hypothesis, ...) took 3 s a run.
    So: our plugin only, by its entry point's name (the wheel test loads it by autoload in a
    clean venv)."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-o",
            "addopts=",
            "-p",
            "magda_kbi",
            "-p",
            "no:cacheprovider",
            "-W",
            "error",
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **(env or {})},
        timeout=180,
    )


@pytest.mark.parametrize(
    "script", ["zorgkas_zorgbudget.py", "gemeente_dossier.py", "verlaagde_premie.py"]
)
def test_a_url_without_its_scheme_is_one_line(script, tmp_path):
    args = {
        "zorgkas_zorgbudget.py": ["-"],
        "gemeente_dossier.py": ["98630499724"],
        "verlaagde_premie.py": ["2024", "98630499724"],
    }[script]
    process = run_in(script, *args, "--url", "127.0.0.1:8080", input_="insz,datum\n")
    assert process.returncode == 2
    assert process.stderr.endswith(
        "error: base_url must be an http:// or https:// URL, not '127.0.0.1:8080'\n"
    ), process.stderr


# one xdist worker: --magda-url with more is refused for that before the emulator is asked
@pytest.mark.parametrize("xdist", [(), ("-p", "xdist", "-n", "1")])
def test_an_emulator_without_its_admin_api_is_said_once_not_per_test(server, tmp_path, xdist):
    """It was each test's AssertionError with a traceback (under xdist, each worker's)."""
    (tmp_path / "test_x.py").write_text(
        "def test_a(magda):\n    assert magda.url\n\n\ndef test_b(magda):\n    assert magda.url\n"
    )
    process = pytest_strict(*xdist, "--magda-url", server.url, "test_x.py", cwd=tmp_path)
    output = process.stdout + process.stderr
    assert process.returncode == 4  # pytest's usage error, before any test
    assert output.count("the admin API is off: start the emulator with") == 1, output
    assert "AssertionError" not in output and "Traceback" not in output


def test_the_zorgkas_scripts_stop_at_a_refusal_of_the_caller(tmp_path):
    """13001 (no machtiging for this Afzender and Hoedanigheid) holds for every row: the
    scripts asked MAGDA once per row of the file all the same, each refused alike."""
    from magda_kbi.adapters.app import Settings, make_emulator
    from magda_kbi.adapters.pytest_plugin import _Server

    server = _Server(make_emulator(Settings(today=date(2030, 1, 1), protocols=True, admin=True)))
    file = tmp_path / "dossiers.csv"
    file.write_text("insz,datum\n73680599786,2024-01-01\n79611034583,2024-01-01\n")
    try:
        zorgbudget = run_in("zorgkas_zorgbudget.py", str(file), "--url", server.url)
        premie = run_in(
            "verlaagde_premie.py", "2024", "73680599786", "79611034583", "--url", server.url
        )
        asked = requests.get(f"{server.url}/admin/journal", timeout=5).json()["entries"]
    finally:
        server.stop()
    for process in (zorgbudget, premie):
        assert process.returncode == 1
        assert process.stderr.startswith(
            "stopped: MAGDA refuses every question of Afzender 'zorgkas.voorbeeld.be' with"
            " Hoedanigheid '1234' (13001): check --afzender and --hoedanigheid\n"
        ), process.stderr
    assert [e["insz"] for e in asked] == ["73680599786", "73680599786"]  # once each
