"""The ``magda-kbi`` command line, run as a user runs it."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
import requests

from .cli_run import magda_kbi, magda_kbi_process
from .processes import free_port, in_a_mount_of_its_own, no_mount_here


@pytest.mark.parametrize("command", [(), ("serve",), ("personas",), ("advies",)])
def test_every_command_has_help(command):
    # the bare command as its own process: python -m magda_kbi works as the console script
    process = magda_kbi(*command, "--help") if command else magda_kbi_process("--help")
    assert process.returncode == 0 and "Usage: magda-kbi" in process.stdout


def test_argument_names_are_english():
    """Machinery in English (the language rule): insz check's argument showed as NUMMER."""
    assert (
        "Usage: magda-kbi insz check [OPTIONS] NUMBER\n"
        in magda_kbi("insz", "check", "--help").stdout
    )


def test_rule_sets_and_toepassingen_are_shown_as_they_are_written():
    """click showed the rule sets upper-cased (PROTOCOL-V1|AFTER-RULING-112-2023), and
    refused them so: "'PROTOCOL-V1' is not a rule set"; the Toepassingen, MAGDA's upper-case
    codes, lower-cased."""
    for command in (("serve",), ("advies",), ("personas",), ("export", "verlaagde-premie")):
        text = " ".join(magda_kbi(*command, "--help").stdout.split())
        assert "--rules protocol-v1|after-ruling-112-2023 the rule set:" in text, command
    for command in (("advies",), ("client", "advies")):  # click 8.2 on: lower-cased
        text = magda_kbi(*command, "--help").stdout
        assert "--toepassing [ZORGBUDGET_ZWAAR_ZORGBEHOEVENDEN|VERLAAGDE_PREMIE|" in text, command
    assert "--sex [M|F]" in magda_kbi("insz", "new", "--help").stdout


def test_serves_help_says_what_its_signals_do():
    """An operator looks in --help for how to reload; it said nothing of signals."""
    text = " ".join(magda_kbi("serve", "--help").stdout.split())
    assert "SIGTERM or Ctrl+C answers the requests in flight, then exits 0;" in text
    assert (
        "SIGHUP checks the persona, --consumers and --tls-* files again and restarts the workers"
        " on them (a file that does not load is refused in one line, and the workers go on)"
    ) in text


def test_the_client_says_a_question_it_refused_itself_was_not_sent():
    """An INSZ that is none never reaches MAGDA (the client library refuses it), but the
    command said "MAGDA: - INSZ: ..." and exit 1, as if MAGDA had answered."""
    process = magda_kbi("client", "dossier", "98630499725", "--url", "http://127.0.0.1:1")
    assert (process.returncode, process.stdout) == (2, "")
    assert process.stderr == (
        "magda-kbi: not sent: INSZ: '98630499725' is geen geldig INSZ (11 cijfers, controle"
        " modulo 97)\n"
    )
    in_json = magda_kbi(
        "client", "advies", "98630499725", "--datum", "2024-01-01", "--url", "http://127.0.0.1:1",
        "--json",
    )  # fmt: skip
    assert in_json.returncode == 2
    assert json.loads(in_json.stdout)["fout"]["oorsprong"] == "CLIENT"


def test_personas_json(builtin_personas):
    process = magda_kbi("personas", "--json")
    assert process.returncode == 0
    listing = json.loads(process.stdout)
    assert {p["insz"] for p in listing} == set(builtin_personas)
    for p in listing:
        assert {"insz", "naam", "scenario", "fout"} <= set(p)
        assert p["fout"] in (None, "99996", "SOAP_FAULT")
    assert sorted(p["fout"] for p in listing if p["fout"]) == ["99996", "SOAP_FAULT"]


def test_personas_table():
    process = magda_kbi("personas")
    assert "98630499724  Saïd Daoud" in process.stdout


def test_personas_are_listed_as_they_are_read(tmp_path):
    """One at a time (200,000 generated personas held at once took 979 MB): the list goes
    out as the files are read, and a bad file after the first ones ends it there, exit 2,
    as an export to standard output does. The JSON is json.dumps(list, indent=2)'s."""
    (tmp_path / "a.yaml").write_text(
        'insz: "80651338304"\nscenario: not in the KBI\nnaam: Ann Test\n', encoding="utf-8"
    )
    in_json = magda_kbi("personas", "--json", "--fixtures", str(tmp_path))
    assert in_json.returncode == 0, in_json.stderr
    listing = json.loads(in_json.stdout)
    assert listing[-1] == {
        "insz": "80651338304",
        "naam": "Ann Test",
        "scenario": "not in the KBI",
        "fout": None,
        "in_kbi": False,
    }
    assert in_json.stdout == json.dumps(listing, indent=2, ensure_ascii=False) + "\n"
    (tmp_path / "b.yaml").write_text("insz: [\n", encoding="utf-8")
    process = magda_kbi("personas", "--fixtures", str(tmp_path))
    assert process.returncode == 2
    assert "98630499724  Saïd Daoud" in process.stdout  # the built-in ones come first
    assert process.stdout.endswith("80651338304  Ann Test               not in the KBI\n")
    assert process.stderr.startswith(
        f"magda-kbi: invalid persona file {tmp_path / 'b.yaml'}: not valid YAML"
    )


def test_personas_check_compares_expected_answers_with_the_rules(tmp_path):
    """A persona file's verwacht was checked for the built-in personas only, by our tests."""
    error = (
        'insz: "80651338304"\n'
        "scenario: registered, no contract\n"
        "dossier:\n"
        "  personalia: {achternamen: [Nadzialek], voornamen: [Boris], geboortedatum: 1980-05-13,"
        " geslacht: 1}\n"
        "  doelgroepen: [{code: JA, type: PLICHT, subtype: DOELGROEP,"
        " periode: {begin: 2024-01-08}}]\n"
        "  aanmelding: {datum_aanmelding: 2024-02-01, type: HA}\n"
        "verwacht:\n"
        "  - {datum: 2024-09-01, resultaat: NOK, reden: GEEN_CONTRACT}\n"
        "  - {datum: 2024-03-01, resultaat: NOK, reden: GEEN_CONTRACT}\n"  # within the 6 months
    )
    (tmp_path / "p.yaml").write_text(error, encoding="utf-8")
    process = magda_kbi("personas", "--check", "--fixtures", str(tmp_path))
    assert process.returncode == 1, process.stderr
    assert process.stdout.splitlines()[0] == (
        "80651338304 on 2024-03-01 (ZORGBUDGET): expected NOK GEEN_CONTRACT, the rules give OK"
        " [rule 9: trajectory running]"  # domain.md: within the contract term, rule 9
    )
    assert process.stdout.splitlines()[-1].endswith("against protocol-v1: 1 differ")
    builtin_only = magda_kbi("personas", "--check")
    assert builtin_only.returncode == 0
    assert builtin_only.stdout.endswith("against protocol-v1: 0 differ\n")
    # after the ruling every advice is OK: a NOK expected differs
    after = magda_kbi("personas", "--check", "--rules", "after-ruling-112-2023")
    assert after.returncode == 1 and "the rules give OK [rule 0:" in after.stdout
    assert magda_kbi("personas", "--check", "--json").returncode == 2
    # the rules without --check would be ignored: said (from the environment they are not)
    without = magda_kbi("personas", "--rules", "after-ruling-112-2023")
    assert without.returncode == 2 and "--rules only with --check" in without.stderr
    environment = magda_kbi("personas", env={"MAGDA_KBI_RULES": "after-ruling-112-2023"})
    assert environment.returncode == 0


def test_personas_check_with_fixtures_checks_those_personas_only(tmp_path):
    """The built-in personas' answers are written for protocol-v1 and the default terms: a
    user checking their own personas against the ruling got the built-ins' 21 differences
    and exit 1 whatever they wrote."""
    na_arrest = (
        'insz: "80651338304"\n'
        "scenario: never registered, OK after the ruling\n"
        "dossier:\n"
        "  personalia: {achternamen: [Nadzialek]}\n"
        "  doelgroepen: [{code: JA, type: PLICHT, periode: {begin: 2023-01-02}}]\n"
        "verwacht:\n"
        "  - {datum: 2024-09-01, resultaat: OK}\n"
    )
    (tmp_path / "p.yaml").write_text(na_arrest, encoding="utf-8")
    process = magda_kbi(
        "personas", "--check", "--fixtures", str(tmp_path), "--rules", "after-ruling-112-2023"
    )
    assert process.returncode == 0, process.stdout
    assert process.stdout == (
        f"1 expected answer of the personas in {tmp_path} checked against"
        " after-ruling-112-2023: 0 differ\n"
    )
    # a folder whose personas have none: said, not the built-ins' count
    (tmp_path / "p.yaml").write_text(na_arrest.split("verwacht")[0], encoding="utf-8")
    geen = magda_kbi("personas", "--check", "--fixtures", str(tmp_path))
    assert geen.returncode == 0
    assert geen.stdout.startswith("0 expected answers of the personas in ")
    builtin = magda_kbi("personas", "--check")
    assert builtin.stdout.startswith("66 expected answers of the built-in personas checked")


def test_a_command_named_by_a_part_of_its_name_is_told_the_whole():
    """'export premie' got "No such command 'premie'." and no more: difflib's ratio over
    'verlaagde-premie' is too low to suggest it."""
    process = magda_kbi("export", "premie", "2024")
    assert process.returncode == 2
    assert process.stderr.endswith(
        "Error: No such command 'premie'. Did you mean 'verlaagde-premie'?\n"
    )
    assert magda_kbi("serv").stderr.endswith(  # click's own hint stays
        "Error: No such command 'serv'. Did you mean 'serve'?\n"
    )
    assert magda_kbi("nothing").stderr.endswith("Error: No such command 'nothing'.\n")


def test_a_command_of_a_group_named_alone_is_told_its_group():
    """'magda-kbi dossier X' said only "No such command 'dossier'", and 'gemeente' was told
    difflib's 'generate': the commands are 'client dossier' and 'export gemeente'."""
    told = {
        ("dossier", "98630499724"): "client dossier",
        ("abb",): "export abb",
        ("gemeente", "44021"): "export gemeente",
        ("participatie", "44021"): "export participatie",
        ("premie", "2024"): "export verlaagde-premie",
        ("check", "98630499724"): "insz check",
    }
    for args, meant in told.items():
        process = magda_kbi(*args)
        assert process.returncode == 2
        assert process.stderr.endswith(
            f"Error: No such command '{args[0]}'. Did you mean '{meant}'?\n"
        ), args
    # click's own hint for a typo stays
    assert magda_kbi("advies2").stderr.endswith("Did you mean 'advies'?\n")


def test_advies_locally():
    process = magda_kbi("advies", "73680599786", "--datum", "2024-01-01")
    assert process.returncode == 0
    assert "NOK - INBREUK" in process.stdout
    assert "[rule 6: an infringement that was not remedied]" in process.stdout
    process = magda_kbi(
        "advies",
        "80651239522",
        "--datum",
        "2023-05-01",
        "--toepassing",
        "VERLAAGDE_PREMIE",
        "--json",
    )
    antwoord = json.loads(process.stdout)
    assert antwoord["peildatum"] == "2022-01-01"
    assert (antwoord["resultaat"], antwoord["reden"]["code"]) == ("NOK", "GEEN_AANMELDING")
    # an error persona: the rule's answer, and what the server answers it instead
    process = magda_kbi("advies", "90651105718", "--datum", "2024-01-01")
    assert (
        process.stdout.splitlines()[-1]
        == "note: through the server this persona always answers 99996"
    )


def test_advies_uses_today_for_what_the_kbi_knows():
    # remedied on 2023-05-15: unknown when today is 2023-03-01
    args = ("advies", "79652599875", "--datum", "2023-06-01", "--json")
    assert json.loads(magda_kbi(*args).stdout)["resultaat"] == "OK"
    early = magda_kbi(*args, env={"MAGDA_KBI_TODAY": "2023-03-01"})
    assert json.loads(early.stdout)["reden"]["code"] == "INBREUK"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("serve", "--workers", "0"), "'--workers': 0 is not in the range x>=1"),
        (("serve", "--threads", "0"), "'--threads': 0 is not in the range x>=1"),
        (("serve", "--max-bytes", "-5"), "'--max-bytes': -5 is not in the range x>=1"),
        (("serve", "--idle-timeout", "0"), "'--idle-timeout': 0 is not in the range 1<=x<=3600"),
        (("serve", "--port", "0"), "'--port': 0 is not in the range 1<=x<=65535"),
        # a million months reached past the year 9999: a 500 for some dossiers' advice
        (("serve", "--registration-deadline", "1000000"), "0<=x<=120"),
        (("serve", "--contract-deadline", "-1"), "0<=x<=120"),
        (("export", "verlaagde-premie", "99999"), "'YEAR': 99999 is not in the range"),
        (("client", "dossier", "98630499724", "--timeout", "0"), "'--timeout': 0.0 is not"),
    ],
)
def test_numbers_out_of_range_are_refused(args, message):
    """Each was accepted: serve started with no worker or no thread and never answered, a
    year or a timeout out of range ended in a traceback."""
    # serve as a process: one that starts fails by the timeout instead of hanging the test
    serve = args[0] == "serve"
    process = magda_kbi_process(*args, timeout=20) if serve else magda_kbi(*args)
    assert process.returncode == 2 and message in process.stderr, process.stderr


def test_bad_input_is_a_clear_error():
    process = magda_kbi("advies", "98630499725", "--datum", "2024-01-01")
    assert process.returncode == 2 and "not a valid INSZ" in process.stderr
    process = magda_kbi("advies", "98630499724", "--datum", "gisteren")
    assert process.returncode == 2 and "not a date" in process.stderr
    # a bad MAGDA_KBI_TODAY is reported by what uses it, not by --help
    process = magda_kbi_process(
        "serve", "--port", str(free_port()), env={"MAGDA_KBI_TODAY": "morgen"}
    )
    assert process.returncode == 2
    assert "MAGDA_KBI_TODAY='morgen' is not a date from 2000-01-01 to 2100-12-31" in process.stderr
    for args in (("--help",), ("serve", "--help"), ("personas",)):
        assert magda_kbi(*args, env={"MAGDA_KBI_TODAY": "morgen"}).returncode == 0, args
    for process in (magda_kbi("advies", "98630499725", "--datum", "x"), magda_kbi("nope")):
        assert "Traceback" not in process.stderr


def test_a_date_given_as_a_second_argument_is_told_it_is_the_datum_option():
    """'advies INSZ 2024-01-01' said only "Missing option '--datum'", as if no date was
    given; a date after an option is that option's value, and gets no such hint."""
    for command in (("advies",), ("client", "advies")):
        for date_text in ("2024-01-01", "1.1.2024"):
            process = magda_kbi(*command, "98630499724", date_text)
            assert process.returncode == 2 and process.stdout == ""
            assert process.stderr.endswith(
                f"Error: the date is an option: --datum {date_text}\n"
            ), process.stderr
    process = magda_kbi("advies", "98630499724", "--today", "2024-01-01")
    assert process.stderr.endswith("Error: Missing option '--datum'.\n"), process.stderr


def test_serve_prints_where_it_listens(server):
    from .conftest import Server

    s = Server("--today", "2024-01-01")
    output = s.stop()
    assert f"{s.url}/GeefDossierKBIDienst-01.00/soap/WebService" in output
    assert f"{s.url}/api/Magda-02.00/soap/WebService" in output
    assert "today = 2024-01-01" in output
    assert s.process.returncode == 0  # SIGTERM: a graceful stop


def test_readme_persona_table_matches_the_catalogue(builtin_personas):
    from pathlib import Path

    from magda_kbi.adapters.cli import persona_table

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- personas:start -->\n", 1)[1].split("\n<!-- personas:end -->")[0]
    assert table == persona_table(builtin_personas.values()), "run: magda-kbi personas --markdown"
    # the introduction's count too (it said 22 when there were 23)
    assert f"**{len(builtin_personas)} test personas**" in readme


def test_serve_admin_prints_the_admin_url_and_its_store(builtin_personas):
    from .conftest import Server

    s = Server("--admin", "--journal-size", "10")
    try:
        assert requests.get(f"{s.url}/admin/journal", timeout=5).json()["capacity"] == 10
        assert requests.get(f"{s.url}/health", timeout=5).json()["admin"] is True
    finally:
        output = s.stop()
    assert f"{s.url}/admin/" in output
    assert "store: sqlite:///" in output and "(this run only)" in output
    assert f"{s.url}/console/" in output
    # a fresh store holds no changes
    assert f"{len(builtin_personas)} personas, today = " in output


def test_serve_with_a_kept_store_says_its_count_is_of_the_files(tmp_path, builtin_personas):
    """A kept store may hold the admin API's personas, which the banner's count (made before
    the workers open the store) does not know: it says so, and where the full count is."""
    from .conftest import Server

    s = Server("--store", f"sqlite:///{tmp_path / 'kept.db'}")
    output = s.stop()
    assert (
        f"{len(builtin_personas)} personas in files (the store may hold changes: /health counts"
        " them)" in output
    )


def test_insz_new_and_check():
    process = magda_kbi("insz", "new", "--birth-date", "1990-05-13", "--sex", "F", "--count", "3")
    numbers = process.stdout.split()
    assert process.returncode == 0 and len(set(numbers)) == 3
    assert all(n.startswith("906513") and int(n[6:9]) % 2 == 0 for n in numbers)
    good = magda_kbi("insz", "check", numbers[0])
    assert good.returncode == 0 and "a valid MAGDA test number" in good.stdout
    error = magda_kbi("insz", "check", "85672012345")
    assert error.returncode == 1
    assert "the check digits are 45" in error.stdout
    assert "nearest test number: 85672012376" in error.stdout


def test_codes_on_the_command_line_take_any_case():
    """A person types ``--toepassing verlaagde_premie`` or ``--sex f``: taken, as the code."""
    advies = magda_kbi(
        "advies", "73680599786", "--datum", "2024-01-01", "--toepassing", "verlaagde_premie"
    )
    assert advies.returncode == 0, advies.stderr
    assert "(VERLAAGDE_PREMIE, peildatum 2023-01-01)" in advies.stdout
    number = magda_kbi("insz", "new", "--sex", "f", "--birth-date", "1990-01-01").stdout.strip()
    assert int(number[6:9]) % 2 == 0  # even: a woman's sequence number
    listing = magda_kbi("export", "verlaagde-premie", "2024", "--format", "JSON")
    assert listing.returncode == 0 and listing.stdout.startswith('{"premiejaar": 2024')


def test_exports_check_their_arguments(tmp_path):
    process = magda_kbi("export", "gemeente", "99999")
    assert process.returncode == 2 and process.stdout == ""
    assert "unknown NIS code '99999'" in process.stderr
    assert "'magda-kbi municipalities' lists the known ones" in process.stderr
    gemeenten = magda_kbi("municipalities").stdout.splitlines()
    assert "24055  Kortenberg" in gemeenten and "44021  Gent" in gemeenten
    # a municipality given by its name is told its code
    process = magda_kbi("export", "participatie", "gent")
    assert process.returncode == 2
    assert "residence; Gent's NIS code is 44021; 'magda-kbi municipalities'" in process.stderr


def test_municipality_lists_take_a_year():
    # 79652599875 and 86630100182 move to Kortenberg in 2024: not on the 2023 list
    all_pages = magda_kbi("export", "gemeente", "24055", "--today", "2030-01-01").stdout
    j2023 = magda_kbi("export", "gemeente", "24055", "--year", "2023", "--today", "2030-01-01")
    assert j2023.returncode == 0
    assert "79652599875" in all_pages and "86630100182" in all_pages
    assert "79652599875" not in j2023.stdout and "86630100182" not in j2023.stdout
    assert "98630499724" in j2023.stdout
    header = magda_kbi(
        "export",
        "gemeente",
        "24055",
        "--year",
        "2023",
        "--format",
        "json",
        "--today",
        "2030-01-01",
    ).stdout
    assert json.loads(header)["peildatum"] == "2023-01-01" and json.loads(header)["jaar"] == 2023


def test_the_premium_export_honours_the_terms():
    # 80651239522: NOK GEEN_AANMELDING for premium year 2023 with the 3-month term
    args = ("export", "verlaagde-premie", "2023", "--today", "2030-01-01")
    assert "80651239522" in magda_kbi(*args).stdout
    longer = ("--registration-deadline", "36", "--contract-deadline", "36")  # both 3 years
    assert "80651239522" not in magda_kbi(*args, *longer).stdout


def test_the_terms_have_english_names_and_still_take_their_dutch_ones():
    """Machinery in English, as the rest of the command line: --termijn-aanmelding and
    --termijn-contract are --registration-deadline and --contract-deadline; a script written
    for the old names still works, and the help and the errors show the new ones."""
    args = ("export", "verlaagde-premie", "2023", "--today", "2030-01-01")
    new = magda_kbi(*args, "--registration-deadline", "36", "--contract-deadline", "36")
    old = magda_kbi(*args, "--termijn-aanmelding", "36", "--termijn-contract", "36")
    assert new.returncode == 0 and old.stdout == new.stdout
    assert "80651239522" not in new.stdout
    for command in (("serve",), ("advies",), ("personas",), ("export", "verlaagde-premie")):
        helper = magda_kbi(*command, "--help").stdout
        assert "--registration-deadline" in helper and "--contract-deadline" in helper
        assert "termijn" not in helper, command
    error = magda_kbi("advies", "98630499724", "--datum", "2024-01-01", "--termijn-contract", "x")
    assert error.returncode == 2 and "Invalid value for '--contract-deadline'" in error.stderr
    error = magda_kbi("personas", "--termijn-aanmelding", "4")
    assert error.returncode == 2 and "--registration-deadline only with --check" in error.stderr


def test_generate_into_a_folder_that_cannot_be_made_says_so(tmp_path):
    (tmp_path / "bestand").write_text("")
    process = magda_kbi("generate", "--count", "2", "--out", str(tmp_path / "bestand" / "map"))
    assert process.returncode == 2, process.stderr  # it was a traceback (FileExistsError)
    assert "--out: cannot make the folder" in process.stderr
    # a file where the folder would be was said as "File exists"
    process = magda_kbi("generate", "--count", "2", "--out", str(tmp_path / "bestand"))
    assert (process.returncode, process.stderr) == (
        2,
        f"magda-kbi: --out: cannot make the folder {tmp_path / 'bestand'}: a file is there\n",
    )


def test_insz_new_refuses_a_birth_year_an_insz_cannot_hold():
    process = magda_kbi("insz", "new", "--birth-date", "1800-01-01")
    assert process.returncode == 2 and "from 1900 to 2099, not 1800" in process.stderr
    assert process.stdout == ""


@pytest.mark.parametrize("target", ["--out", "--store"])
def test_generate_on_a_disk_that_fills_says_so_and_leaves_nothing(tmp_path, target):
    """A disk that fills as generate writes: --store was a traceback (sqlite3's "database
    or disk is full"), and --out left the folder it had made, empty. The disk is a tmpfs of
    2 MB in a mount namespace of the command's own; what is left there is listed before it
    goes."""
    folder = tmp_path / "small"
    folder.mkdir()
    tmpfs = in_a_mount_of_its_own('mount -t tmpfs -o size=2m tmpfs "$1"', folder)
    where = {"--out": str(folder / "population"), "--store": f"sqlite:///{folder / 's.db'}"}
    generate = ("generate", "--count", "5000", "--seed", "1", target, where[target])
    then_list = '"$@"; code=$?; echo left: $(ls -A "$FOLDER") >&2; exit $code'
    process = subprocess.run(
        [*tmpfs, "sh", "-c", then_list, "sh", sys.executable, "-m", "magda_kbi", *generate],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FOLDER": str(folder)},
    )
    no_mount_here(process.stderr)
    said = {
        "--out": f"--out: cannot write to {where['--out']}: No space left on device",
        "--store": f"--store {where['--store']}: database or disk is full",
    }
    # (the store's file stays: a store, empty of the people it could not take)
    left = {"--out": "left:", "--store": "left: s.db s.db-shm s.db-wal s.db.change"}
    assert (process.returncode, process.stderr) == (
        2,
        f"generating personas\nmagda-kbi: {said[target]}\n{left[target]}\n",
    )


def test_generate_says_which_of_out_and_store_to_give(tmp_path):
    geen = magda_kbi("generate", "--count", "1")
    assert geen.returncode == 2 and "Error: give --out DIR or --store URL\n" in geen.stderr
    both = magda_kbi(
        "generate", "--count", "1", "--out", str(tmp_path), "--store", f"sqlite:///{tmp_path}/s.db"
    )
    assert both.returncode == 2  # it said "give --out DIR or --store URL" to one who gave both
    assert "Error: give --out DIR or --store URL, not both\n" in both.stderr
    assert list(tmp_path.iterdir()) == []
    # what only a folder of files takes was passed over without a word
    store = ("--store", f"sqlite:///{tmp_path}/s.db")
    loose = magda_kbi("generate", "--count", "1", *store, "--per-file", "3", "--force")
    assert loose.returncode == 2
    assert (
        "Error: --per-file and --force only with --out (a store holds no files)\n" in loose.stderr
    )
    assert list(tmp_path.iterdir()) == []


def test_generate_does_not_overwrite_without_force(tmp_path):
    first_ = magda_kbi("generate", "--count", "3", "--out", str(tmp_path))
    assert first_.returncode == 0
    # Not a terminal (a CI log): the progress bar's label alone, which must say what runs;
    # it was the bare word "personas"
    assert first_.stderr == f"generating personas\n3 personas written to {tmp_path}\n"
    first = (tmp_path / "population-00001.jsonl").read_text()
    second = magda_kbi("generate", "--count", "2", "--seed", "9", "--out", str(tmp_path))
    assert second.returncode == 2 and "--force replaces them" in second.stderr
    assert (tmp_path / "population-00001.jsonl").read_text() == first
    args = ("generate", "--count", "2", "--seed", "9", "--out", str(tmp_path), "--force")
    assert magda_kbi(*args).returncode == 0
    assert len((tmp_path / "population-00001.jsonl").read_text().splitlines()) == 2


def test_generate_replaces_the_files_it_wrote_under_their_earlier_name_only_with_force(tmp_path):
    # until 2026-11-30 they were populatie-*.jsonl: a --force that left them kept an earlier
    # population beside the new one, and serve --fixtures read both
    (tmp_path / "populatie-00001.jsonl").write_text("{}\n")
    args = ("generate", "--count", "2", "--out", str(tmp_path))
    loose = magda_kbi(*args)
    assert loose.returncode == 2
    assert f"{tmp_path} already holds 1 population file(s) (populatie-00001.jsonl" in loose.stderr
    assert magda_kbi(*args, "--force").returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["population-00001.jsonl"]


def test_the_client_shows_what_a_protocol_hides_as_not_disclosed():
    from tests.conftest import Server

    server = Server("--protocols", "--today", "2030-01-01")
    try:
        gemeente = magda_kbi(
            "client",
            "dossier",
            "98630499724",
            "--url",
            server.url,
            "--afzender",
            "gemeente.kortenberg.be",
            "--hoedanigheid",
            "GEMEENTE",
        )
        assert gemeente.returncode == 0, gemeente.stderr
        assert "born: not disclosed to this consumer" in gemeente.stdout
        assert "registered: not disclosed to this consumer" in gemeente.stdout
        assert "infringements: not disclosed to this consumer" in gemeente.stdout
        assert "contract:   signed" in gemeente.stdout
        foreign = magda_kbi("client", "dossier", "98630499724", "--url", server.url)
        assert foreign.returncode == 1
        assert "13001" in foreign.stderr and "'magda-kbi consumers'" in foreign.stderr
        assert "--afzender and --hoedanigheid" in foreign.stderr
    finally:
        server.stop()
    volledig = magda_kbi("client", "dossier", "98630499724", "--url", "http://127.0.0.1:9")
    assert volledig.returncode == 3  # nothing listens there: no answer at all
    assert volledig.stderr == (
        "magda-kbi: no answer: GeefDossierKBI not reachable at http://127.0.0.1:9"
        "/GeefDossierKBIDienst-02.00/soap/WebService: Connection refused (is the emulator"
        " running? 'magda-kbi serve' starts it; --url another)\n"
    )
    # --json: standard output holds what came back; with nothing back, it stays empty
    in_json = magda_kbi(
        "client", "dossier", "98630499724", "--url", "http://127.0.0.1:9", "--json"
    )  # fmt: skip
    assert (in_json.returncode, in_json.stdout, in_json.stderr) == (
        3,
        "",
        volledig.stderr,
    )


def test_consumers_are_listed():
    regels = magda_kbi("consumers").stdout.splitlines()
    assert any(r.split()[:3] == ["gemeente.kortenberg.be", "GEMEENTE", "GEMEENTE"] for r in regels)
    data = json.loads(magda_kbi("consumers", "--json").stdout)
    assert {
        "afzender": "zorgkas1.test.be",
        "hoedanigheid": "ZORGKAS",
        "soort": "ZORGKAS",
        "naam": "Demo-zorgkas 1",
        "nis": None,
        "zorgkas": "ZK01",
    } in data


def test_the_rule_set_after_the_ruling_from_the_command_line():
    args = ("advies", "73680599786", "--datum", "2024-01-01")
    assert "[rule 6:" in magda_kbi(*args).stdout
    after = magda_kbi(*args, "--rules", "after-ruling-112-2023").stdout
    assert "OK  [rule 0: the condition was annulled by the Constitutional Court" in after
    runtime = magda_kbi(*args, env={"MAGDA_KBI_RULES": "after-ruling-112-2023"}).stdout
    assert "[rule 0:" in runtime
    error = magda_kbi(*args, env={"MAGDA_KBI_RULES": "2023"})
    assert error.returncode == 2 and "MAGDA_KBI_RULES='2023' is not a rule set" in error.stderr
    premie = ("export", "verlaagde-premie", "2023", "--today", "2030-01-01")
    assert "80651239522" in magda_kbi(*premie).stdout
    assert magda_kbi(*premie, "--rules", "after-ruling-112-2023").stdout.split() == ["insz"]


def test_a_tab_in_a_persona_file_is_named_as_a_tab(tmp_path):
    """PyYAML's "found character that cannot start any token" did not say it was a tab
    (an editor's indentation)."""
    from magda_kbi.io.personas import FixtureError, load_personas

    folder = tmp_path / "personas"
    folder.mkdir()
    (folder / "tab.yaml").write_text(
        'insz: "80651338304"\nscenario: x\ndossier:\n\tpersonalia:\n\t\tachternamen: [A]\n'
    )
    with pytest.raises(FixtureError) as error:
        load_personas([folder], contract=False)
    assert error.value.message == (
        f"{folder / 'tab.yaml'}: not valid YAML: a tab at line 4, column 1"
        " (YAML indents with spaces)"
    )


def test_a_file_that_cannot_be_read_as_a_whole_is_named_without_a_field(tmp_path):
    folder = tmp_path / "personas"
    folder.mkdir()
    (folder / "latin.yaml").write_bytes('insz: "80651338304"\nscenario: café\n'.encode("latin-1"))
    process = magda_kbi("personas", "--fixtures", str(folder))
    assert process.returncode == 2
    assert process.stderr == (
        f"magda-kbi: invalid persona file {folder / 'latin.yaml'}: not UTF-8 text: byte 0xE9 at"
        " line 2 (save the file as UTF-8)\n"
    )
    # a population file read a line at a time (the exports, serve's import) was a traceback
    (folder / "latin.yaml").unlink()
    (folder / "latin.jsonl").write_bytes(
        b'{"insz": "80651338304", "scenario": "ok", "naam": "x"}\n'
        + '{"insz": "80651439361", "scenario": "café", "naam": "x"}\n'.encode("latin-1")
    )
    result = tmp_path / "lijst.csv"
    process = magda_kbi(
        "export", "gemeente", "24055", "--fixtures", str(folder), "--out", str(result)
    )
    assert process.returncode == 2 and not result.exists()
    assert process.stderr == (
        f"magda-kbi: invalid persona file {folder / 'latin.jsonl'}: not UTF-8 text: byte 0xE9 at"
        " line 2 (save the file as UTF-8)\n"
    )
    process = magda_kbi("consumers", "--consumers", str(tmp_path / "weg.yaml"))
    assert process.returncode == 2
    assert process.stderr == (
        f"magda-kbi: invalid consumers file {tmp_path / 'weg.yaml'}: cannot read it:"
        " No such file or directory\n"
    )


def test_an_insz_as_printed_on_the_eid_is_taken_by_every_command(server):
    process = magda_kbi("insz", "check", "73.68.05-997.86")
    assert (process.returncode, process.stdout) == (0, "73680599786: a valid MAGDA test number\n")
    process = magda_kbi("advies", "73.68.05-997.86", "--datum", "2024-01-01", "--json")
    assert json.loads(process.stdout)["reden"]["code"] == "INBREUK"
    process = magda_kbi("client", "dossier", "73.68.05-997.86", "--url", server.url, "--json")
    assert json.loads(process.stdout)["insz"] == "73680599786"
    process = magda_kbi("advies", "73.68.05-997.87", "--datum", "2024-01-01")
    assert (process.returncode, process.stderr) == (
        2,
        "magda-kbi: 73680599787 is not a valid INSZ (11 digits, modulo 97): the check digits"
        " are 87; modulo 97 asks for 86 (born before 2000) or 18 (born from 2000 on)\n",
    )


def test_advies_json_is_the_rest_faces_json(server):
    expected = {
        "insz": "73680599786",
        "peildatum": "2024-01-01",
        "resultaat": "NOK",
        "reden": {
            "code": "INBREUK",
            "omschrijving": "Er is een inbreuk op de inburgeringsplicht vastgesteld die niet"
            " is rechtgezet",
        },
        "rule": {"number": 6, "text": "an infringement that was not remedied"},
    }
    process = magda_kbi("advies", "73680599786", "--datum", "2024-01-01", "--json")
    assert json.loads(process.stdout) == expected
    rest = requests.get(
        f"{server.url}/api/v1/advies/73680599786", params={"datum": "2024-01-01"}, timeout=10
    )
    assert rest.json() == expected


def test_a_date_option_takes_yyyy_mm_dd_only():
    """--datum, --birth-date and --today said YYYY-MM-DD and took 20240101 and the week date
    2024-W01-1 too (date.fromisoformat, Python 3.11+)."""
    for args, message in [
        (("advies", "73680599786", "--datum", "20240101"), "'20240101' is not a date (YYYY-MM-DD)"),
        (
            ("advies", "73680599786", "--datum", "2024-01-01", "--today", "2024-W01-1"),
            "'2024-W01-1' is not a date from 2000-01-01 to 2100-12-31 (YYYY-MM-DD)",
        ),
        (("insz", "new", "--birth-date", "1990W011"), "'1990W011' is not a date (YYYY-MM-DD)"),
    ]:
        process = magda_kbi(*args)
        assert (process.returncode, process.stdout) == (2, ""), args
        assert message in process.stderr


def test_a_date_the_calendar_does_not_have_is_told_which_number_is_wrong():
    """2024-02-30 was told "is not a date (YYYY-MM-DD)", which it has the form of."""
    process = magda_kbi("advies", "73680599786", "--datum", "2024-02-30")
    assert process.returncode == 2
    assert process.stderr.endswith(
        "Invalid value for '--datum': '2024-02-30' is not a date (YYYY-MM-DD): day is out of"
        " range for month\n"
    )
    process = magda_kbi(  # not a leap year
        "advies", "73680599786", "--datum", "2024-01-01", env={"MAGDA_KBI_TODAY": "2023-02-29"}
    )
    assert process.stderr.endswith(
        "MAGDA_KBI_TODAY='2023-02-29' is not a date from 2000-01-01 to 2100-12-31 (YYYY-MM-DD):"
        " day is out of range for month\n"
    )


def test_today_is_refused_outside_2000_to_2100():
    process = magda_kbi("advies", "73680599786", "--datum", "2024-01-01", "--today", "9999-12-31")
    assert process.returncode == 2
    assert "'9999-12-31' is not a date from 2000-01-01 to 2100-12-31" in process.stderr
    process = magda_kbi(
        "advies", "73680599786", "--datum", "2024-01-01", env={"MAGDA_KBI_TODAY": "1999-12-31"}
    )
    assert process.returncode == 2
    assert "MAGDA_KBI_TODAY='1999-12-31' is not a date from 2000-01-01" in process.stderr


@pytest.mark.parametrize("waar", ["missing-folder/audit.jsonl", "."])
def test_an_audit_log_that_cannot_be_written_stops_serve_at_start(tmp_path, waar):
    """It started, then answered every call with a 500 and a traceback."""
    path = tmp_path / waar
    process = magda_kbi_process(
        "serve", "--port", str(free_port()), "--audit-log", str(path), timeout=30
    )
    assert process.returncode == 2
    assert process.stderr.startswith(f"magda-kbi: --audit-log: cannot write {path.resolve()}: ")


def test_consumers_from_serve_s_input_or_a_pipe_are_refused_as_such(tmp_path):
    """serve reads --consumers in every worker and again at a SIGHUP: /dev/stdin from a pipe
    was refused as '/proc/N/fd/pipe:[...]: cannot read it: No such file or directory'."""
    afnemers = tmp_path / "afnemers.yaml"
    afnemers.write_text('afnemers:\n  - {afzender: a.be, hoedanigheid: "1", soort: VSB, naam: A}\n')
    for path in ("/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"):
        process = subprocess.run(
            [sys.executable, "-m", "magda_kbi", "serve", "--port", str(free_port())]
            + ["--consumers", path],
            input=afnemers.read_text(),  # a pipe
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert (process.returncode, process.stdout) == (2, "")
        assert process.stderr == (
            f"magda-kbi: --consumers {path}: serve reads the file in every worker and again at a"
            " SIGHUP, which its input or a pipe cannot give: write it to a file\n"
        )


def test_the_client_command_says_which_option_the_client_cannot_use():
    process = magda_kbi("client", "dossier", "98630499724", "--url", "127.0.0.1:8080")
    assert (process.returncode, process.stderr) == (
        2,
        "magda-kbi: --url must be an http:// or https:// URL, not '127.0.0.1:8080'\n",
    )
    # the library's "or this address in addresses": the command has no such option
    dienst = "http://127.0.0.1:8080/GeefDossierKBIDienst-02.00/soap/WebService"
    process = magda_kbi("client", "dossier", "98630499724", "--url", dienst)
    assert (process.returncode, process.stderr) == (
        2,
        f"magda-kbi: --url is the platform's root, not a service's address ('{dienst}'):"
        " give the part before /<Dienst>-<versie>/soap/WebService\n",
    )
    process = magda_kbi(
        "client", "advies", "98630499724", "--datum", "2024-01-01", "--afzender", ""
    )
    assert process.returncode == 2
    assert process.stderr.startswith("magda-kbi: --afzender must be your MAGDA Identificatie")
    # a port of letters: not sent (2), where it was "no answer ... Failed to parse" (3)
    process = magda_kbi("client", "dossier", "98630499724", "--url", "http://127.0.0.1:abc")
    assert (process.returncode, process.stderr) == (
        2,
        "magda-kbi: --url must be an http:// or https:// URL, not 'http://127.0.0.1:abc'"
        " (Port could not be cast to integer value as 'abc')\n",
    )


def test_serve_takes_a_host_name_such_as_localhost():
    """granian takes IP addresses only: --host localhost was a ValueError traceback."""
    from .conftest import Server

    s = Server("--host", "localhost")
    try:
        antwoord = requests.get(f"http://localhost:{s.port}/health", timeout=10)
        assert antwoord.json()["status"] == "ok"
    finally:
        output = s.stop()
    assert f"http://localhost:{s.port}/GeefDossierKBIDienst-02.00/soap/WebService" in output
    assert s.process.returncode == 0


def test_serve_on_every_address_prints_urls_that_can_be_called():
    """--host 0.0.0.0 printed http://0.0.0.0:PORT/..., an address to listen on: a client
    cannot call it (on Windows and macOS it reaches nothing)."""
    from .conftest import Server

    s = Server("--host", "0.0.0.0")
    try:
        output = "".join(s._output)
    finally:
        s.stop()
    address = f"http://127.0.0.1:{s.port}/GeefDossierKBIDienst-02.00/soap/WebService"
    assert f"  GeefDossierKBI 02.00         {address}  (WSDL: ?wsdl)" in output
    assert "0.0.0.0:" not in output
    assert (
        "  listening on every address (0.0.0.0): from another machine, this one's name or"
        " address instead of 127.0.0.1\n"
    ) in output


def test_serve_on_an_ipv6_address_prints_urls_that_can_be_called():
    """The banner said http://::1:8080/..., which no client takes as a URL."""
    import socket

    from .conftest import Server

    try:
        with socket.socket(socket.AF_INET6) as trial:
            trial.bind(("::1", 0))
    except OSError as error:
        pytest.skip(f"no IPv6 loopback on this machine: {error}")
    s = Server("--host", "::1", address="[::1]")
    try:
        output = "".join(s._output)
        address = f"http://[::1]:{s.port}/GeefDossierKBIDienst-02.00/soap/WebService"
        assert f"  GeefDossierKBI 02.00         {address}  (WSDL: ?wsdl)" in output
        wsdl = requests.get(f"{address}?wsdl", timeout=10)
        assert f'location="{address}"' in wsdl.text
    finally:
        s.stop()


def test_a_fixtures_folder_without_persona_files_is_said(tmp_path):
    (tmp_path / "notities.txt").write_text("geen persona")
    process = magda_kbi("personas", "--fixtures", str(tmp_path))
    assert process.returncode == 0  # taken: serve --watch may fill it
    assert process.stderr == (
        f"magda-kbi: note: --fixtures {tmp_path} holds no persona files (*.yaml, *.yml, *.jsonl)\n"
    )
    assert len(process.stdout.splitlines()) == 23


def test_a_consumer_given_twice_is_refused_and_one_like_a_demo_consumer_replaces_it(tmp_path):
    file = tmp_path / "afnemers.yaml"
    file.write_text(
        "afnemers:\n"
        '  - {afzender: a.be, hoedanigheid: "1", soort: VSB, naam: A}\n'
        '  - {afzender: a.be, hoedanigheid: "1", soort: AGII, naam: B}\n'
    )
    process = magda_kbi("consumers", "--consumers", str(file))
    assert (process.returncode, process.stderr) == (
        2,
        f"magda-kbi: invalid consumers file {file}: field afnemers[1]: a.be with"
        " Hoedanigheid 1 is afnemers[0] already\n",
    )
    file.write_text(
        "afnemers:\n"
        "  - {afzender: gemeente.kortenberg.be, hoedanigheid: GEMEENTE, soort: VSB, naam: Eigen}\n"
    )
    process = magda_kbi("consumers", "--consumers", str(file), "--json")
    kortenberg = [
        a for a in json.loads(process.stdout) if a["afzender"] == "gemeente.kortenberg.be"
    ]
    assert [(a["soort"], a["naam"]) for a in kortenberg] == [("VSB", "Eigen")]


@pytest.mark.parametrize(
    ("nis", "hint"),
    [("1", ""), ("240620", ""), ("٢٤٠٦٢", ""), ("gent", "; Gent's NIS code is 44021")],
)
def test_a_municipality_consumer_needs_a_five_digit_nis_code(tmp_path, nis, hint):
    """ "1" was taken: a municipality whose residents no persona could be."""
    file = tmp_path / "afnemers.yaml"
    file.write_text(
        "afnemers:\n"
        f'  - {{afzender: g.be, hoedanigheid: "1", soort: GEMEENTE, naam: G, nis: "{nis}"}}\n',
        encoding="utf-8",
    )
    process = magda_kbi("consumers", "--consumers", str(file))
    assert (process.returncode, process.stderr) == (
        2,
        f"magda-kbi: invalid consumers file {file}: field afnemers[0].nis: a GEMEENTE needs"
        f" its NIS code (5 digits){hint}\n",
    )


@pytest.mark.parametrize(
    ("afnemer", "diagnose"),
    [
        (
            'soort: ZORGKAS, naam: Z, zorgkas: ZK09, nis: "24055"',
            "field afnemers[0].nis: only a GEMEENTE has a NIS code, not a ZORGKAS",
        ),
        (
            'soort: GEMEENTE, naam: G, nis: "24055", zorgkas: ZK09',
            "field afnemers[0].zorgkas: only a ZORGKAS has a zorgkas, not a GEMEENTE",
        ),
        ("soort: VSB, naam: V, zorgkas: ZK09", "field afnemers[0].zorgkas: only a ZORGKAS has"),
    ],
)
def test_a_consumer_with_another_kind_s_field_is_refused(tmp_path, afnemer, diagnose):
    """It was taken and passed over: a zorgkas listed with a NIS code still got its members'
    list, whatever the NIS code meant to its author."""
    file = tmp_path / "afnemers.yaml"
    file.write_text(
        f'afnemers:\n  - {{afzender: a.be, hoedanigheid: "1", {afnemer}}}\n', encoding="utf-8"
    )
    process = magda_kbi("consumers", "--consumers", str(file))
    assert process.returncode == 2
    assert process.stderr.startswith(f"magda-kbi: invalid consumers file {file}: {diagnose}")


@pytest.mark.parametrize(
    ("afnemer", "diagnose"),
    [
        (
            "afzender: ' a.be ', hoedanigheid: '1', soort: VSB, naam: V",
            "field afnemers[0].afzender: ' a.be ' has spaces around it: a call's Afzender is read"
            " without them, so none would be this consumer's",
        ),
        (
            "afzender: a.be, hoedanigheid: '1 ', soort: VSB, naam: V",
            "field afnemers[0].hoedanigheid: '1 ' has spaces around it: a call's Hoedanigheid is"
            " read without them, so none would be this consumer's",
        ),
        (
            "afzender: a.be, hoedanigheid: '1', soort: ZORGKAS, naam: Z, zorgkas: ' ZK09'",
            "field afnemers[0].zorgkas: ' ZK09' has spaces around it: a persona's membership"
            " names it without them, so none would be this consumer's",
        ),
        ("afzender: '  ', hoedanigheid: '1', soort: VSB, naam: V", "field afnemers[0].afzender:"),
        ("afzender: a.be, hoedanigheid: '1', soort: VSB, naam: ' '", "field afnemers[0].naam:"),
    ],
)
def test_a_consumer_no_call_could_be_is_refused(tmp_path, afnemer, diagnose):
    """An Afzender or Hoedanigheid with spaces around it (or of spaces only) was taken and
    listed, and no call matched it: a call's are read without them, so every call of that
    consumer got 13001 "heeft geen protocol" while the list showed it."""
    file = tmp_path / "afnemers.yaml"
    file.write_text(f"afnemers:\n  - {{{afnemer}}}\n", encoding="utf-8")
    process = magda_kbi("consumers", "--consumers", str(file))
    assert process.returncode == 2
    assert process.stderr.startswith(f"magda-kbi: invalid consumers file {file}: {diagnose}")


def test_admin_options_without_admin_are_said():
    from .conftest import Server

    s = Server("--admin-token", "een-token-van-16-tekens", "--public-host", "magda.test")
    output = s.stop()
    assert "magda-kbi: note: --admin-token has no effect without --admin" in output
    assert "magda-kbi: note: --public-host has no effect without --admin" in output


def test_an_export_to_standard_output_is_the_file_out_writes(tmp_path):
    """Whatever the console's encoding: with a cp1252 stdout (a redirect on Windows) the XML
    said UTF-8 and held cp1252 bytes (Saïd's ï), a file no parser read, and Windows wrote
    CSV's line ends twice."""
    for format_ in ("xml", "csv", "json"):
        args = ("export", "gemeente", "24055", "--today", "2030-01-01", "--format", format_)
        file = tmp_path / f"lijst.{format_}"
        assert magda_kbi(*args, "--out", str(file)).returncode == 0
        process = subprocess.run(
            [sys.executable, "-m", "magda_kbi", *args],
            capture_output=True,
            timeout=60,
            env={**os.environ, "PYTHONIOENCODING": "cp1252"},
        )
        assert process.returncode == 0, process.stderr
        assert process.stdout == file.read_bytes()
        assert "Saïd".encode() in process.stdout


def on_a_read_only_mount(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """``magda-kbi ARGS`` in a mount namespace of its own, where ``folder`` is mounted
    read-only; a skip where no such mount can be made."""
    read_only = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1"'
    process = subprocess.run(
        [*in_a_mount_of_its_own(read_only, folder), sys.executable, "-m", "magda_kbi", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    no_mount_here(process.stderr)
    return process


def test_serve_without_a_store_on_a_full_temporary_folder_says_where_its_store_was(tmp_path):
    """Without --store, serve makes its run's store in the temporary folder; that folder
    full was refused as "--store: cannot open ...", an option the user never gave. serve
    runs in a mount namespace of its own, TMPDIR a tmpfs of 16 KB."""
    folder = tmp_path / "full"
    folder.mkdir()
    tmpfs = in_a_mount_of_its_own('mount -t tmpfs -o size=16k tmpfs "$1"', folder)
    process = subprocess.run(
        [*tmpfs, sys.executable, "-m", "magda_kbi", "serve", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TMPDIR": str(folder)},
    )
    no_mount_here(process.stderr)
    made = re.escape(str(folder / "magda-kbi-store-"))
    assert process.returncode == 2, process.stderr
    assert re.fullmatch(
        r"magda-kbi: the run's store in the temporary folder \(TMPDIR, or --store URL to have "
        rf"it elsewhere\): cannot open the SQLite store {made}[^/]+/state\.db: database or "
        r"disk is full\n",
        process.stderr,
    ), process.stderr


def test_out_on_a_read_only_file_system_is_refused_in_one_line(tmp_path):
    """On a read-only file system --out was a traceback: removing the half-written file,
    which was never made, failed too (EROFS) and hid the refusal. The export runs in a
    mount namespace of its own, where its folder is mounted read-only."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    out = folder / "lijst.csv"
    export = ("export", "verlaagde-premie", "2025", "--today", "2030-01-01", "--out", str(out))
    process = on_a_read_only_mount(folder, *export)
    assert (process.returncode, process.stderr) == (
        2,
        f"magda-kbi: --out: cannot write {out}: Read-only file system\n",
    )
    assert list(folder.iterdir()) == []


def test_an_export_reads_a_store_on_a_read_only_file_system(tmp_path):
    """A store on a read-only file system (a volume mounted read-only) was refused to an
    export, which only reads: SQLite could not make its -wal and -shm beside it. Now it is
    read as it stands, and gives what it gives where it can be written."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    url = f"sqlite:///{folder / 'store.db'}"
    assert magda_kbi("generate", "--count", "200", "--seed", "3", "--store", url).returncode == 0
    export = ("export", "verlaagde-premie", "2025", "--today", "2030-01-01", "--format", "json")
    export = (*export, "--store", url)
    writable = magda_kbi(*export)
    assert writable.returncode == 0 and len(writable.stdout.splitlines()) > 3, writable.stderr
    before = sorted(p.name for p in folder.iterdir())
    process = on_a_read_only_mount(folder, *export)
    assert (process.returncode, process.stderr) == (0, ""), process.stderr
    assert process.stdout == writable.stdout
    assert sorted(p.name for p in folder.iterdir()) == before


def test_a_store_lost_while_an_export_reads_it_is_said_in_one_line(tmp_path, monkeypatch):
    """A store that can no longer be read half-way through an export (PostgreSQL lost, or
    a store read as it stood that a serve opened meanwhile) ended the export with a
    traceback. Now it is one line, exit 2, and --out makes no file."""
    from magda_kbi.runtime import catalogue

    url = f"sqlite:///{tmp_path / 's.db'}"
    assert magda_kbi("generate", "--count", "50", "--seed", "3", "--store", url).returncode == 0
    values = catalogue.Catalogue.values

    def lost_after_five(self):
        for n, persona in enumerate(values(self)):
            if n == 5:
                raise catalogue.StoreUnavailable("PostgreSQL cannot be reached: gone")
            yield persona

    monkeypatch.setattr(catalogue.Catalogue, "values", lost_after_five)
    out = tmp_path / "lijst.csv"
    export = ("export", "verlaagde-premie", "2025", "--today", "2030-01-01", "--store", url)
    process = magda_kbi(*export, "--out", str(out))
    assert (process.returncode, process.stderr) == (
        2,
        "magda-kbi: --store: PostgreSQL cannot be reached: gone\n",
    )
    assert sorted(p.name for p in tmp_path.iterdir() if "lijst" in p.name) == []


def test_every_command_lists_the_same_way():
    """'insz --help' and 'client --help' listed sentences ("Print new MAGDA test
    numbers.") where every other list gives a phrase in lower case, without a full stop."""
    from magda_kbi.adapters.cli import cli

    listed = {}
    for group in (cli, *(c for c in cli.commands.values() if isinstance(c, click.Group))):
        for name, command in group.commands.items():
            listed[f"{group.name} {name}"] = command.get_short_help_str(limit=200)
    assert [f"{k}: {v}" for k, v in listed.items() if v.endswith(".")] == []
    # a MAGDA name (GeefDossierKBI, Automatisch advies) is the only capital start
    capitals = {k: v for k, v in listed.items() if v[:1].isupper()}
    assert capitals == {
        "client advies": "Automatisch advies for one INSZ and date",
        "client dossier": "GeefDossierKBI for one INSZ",
    }


def test_the_readme_s_command_line_names_every_option():
    """The README's synopsis had fallen behind (advies's --today, --fixtures and the
    deadlines, the client's --timeout): each command's options are in its lines there, the
    exports' in "Lists and exports"."""
    from magda_kbi.adapters.cli import cli

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    synopsis = readme.split("## Command line", 1)[1].split("```", 2)[1]
    listings = readme.split("## Lists and exports", 1)[1].split("\n## ", 1)[0]
    regels = re.split(r"^(?=magda-kbi )", synopsis, flags=re.M)

    def commands(group: click.Group, path: str):
        for naam, command in group.commands.items():
            if isinstance(command, click.Group):
                yield from commands(command, f"{path}{naam} ")
            else:
                yield f"{path}{naam}", command

    absent = {}
    for naam, command in commands(cli, ""):
        options = [
            p.opts[0]
            for p in command.params
            if isinstance(p, click.Option) and not p.hidden and p.opts[0] != "-h"
        ]
        if naam.startswith("export "):
            text = listings
        else:
            text = "".join(r for r in regels if re.match(rf"magda-kbi {naam}\b", r))
            assert text, naam
        absent[naam] = [o for o in options if not re.search(rf"{o}\b", text)]
    assert {naam: o for naam, o in absent.items() if o} == {}


def test_the_markdown_table_keeps_a_scenario_in_its_cell(tmp_path):
    """A | or a line break in a user's scenario ended the row; markup in it was rendered."""
    (tmp_path / "a.yaml").write_text(
        'insz: "80651338304"\nscenario: "A | B <b>x</b>\\nsecond line"\nnaam: Ann Lee\n',
        encoding="utf-8",
    )
    process = magda_kbi("personas", "--markdown", "--fixtures", str(tmp_path))
    (row,) = [r for r in process.stdout.splitlines() if "80651338304" in r]
    assert row == (
        "| `80651338304` | Ann Lee (not in KBI) | A \\| B &lt;b&gt;x&lt;/b&gt;<br>second line |  |"
    )


def test_an_output_that_cannot_encode_a_name_gets_no_traceback():
    """With an ASCII (or cp1252) standard output, Saïd's name was a UnicodeEncodeError and a
    traceback. The listing escapes what it cannot write; JSON is written with \\u escapes,
    still JSON (the exports write UTF-8 bytes, test above)."""

    def run_in(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "magda_kbi", *args],
            capture_output=True,
            text=True,
            encoding="ascii",
            timeout=60,
            env={**os.environ, "PYTHONIOENCODING": "ascii"},
        )

    listing = run_in("personas")
    assert listing.returncode == 0 and "Traceback" not in listing.stderr, listing.stderr
    assert "98630499724  Sa\\xefd Daoud" in listing.stdout
    in_json = run_in("personas", "--json")
    assert in_json.returncode == 0, in_json.stderr
    names = {p["insz"]: p["naam"] for p in json.loads(in_json.stdout)}
    assert names["98630499724"] == "Saïd Daoud"


def test_a_misspelt_setting_in_the_environment_is_noted():
    """MAGDA_KBI_ADMIN_TOKN was read by nothing: serve's admin API was open without a word.
    A name near no setting is someone else's and is left alone."""
    process = magda_kbi(
        "insz",
        "check",
        "73680599786",
        env={
            "MAGDA_KBI_ADMIN_TOKN": "geheim",
            "MAGDA_KBI_today": "2024-01-01",  # names are read as written
            "MAGDA_KBI_URL": "http://localhost:8080",
        },
    )
    assert process.returncode == 0
    assert process.stdout == "73680599786: a valid MAGDA test number\n"
    assert process.stderr == (
        "magda-kbi: note: MAGDA_KBI_ADMIN_TOKN is not read; did you mean MAGDA_KBI_ADMIN_TOKEN?\n"
        "magda-kbi: note: MAGDA_KBI_today is not read; did you mean MAGDA_KBI_TODAY?\n"
    )


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("personas", "--fixtures", ""), "--fixtures"),  # read the current folder's files
        (("export", "gemeente", "44021", "--out", ""), "--out"),  # a traceback (with_name)
        (("consumers", "--consumers", ""), "--consumers"),  # "/here: Is a directory"
    ],
)
def test_an_empty_path_is_refused_not_taken_as_the_current_folder(args, option):
    process = magda_kbi(*args)
    assert (process.returncode, process.stdout) == (2, "")
    assert process.stderr.endswith(
        f"Error: Invalid value for '{option}': is empty (an unset variable?)\n"
    )


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation gone, spaces hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("document", ["README.md", "ARCHITECTURE.md"])
def test_every_link_in_the_docs_leads_somewhere_and_the_contents_name_every_section(document):
    project = Path(__file__).resolve().parents[1]
    text = (project / document).read_text(encoding="utf-8")
    headings = re.findall(r"^#{1,4} (.+)$", text, flags=re.M)
    anchors = {_slug(h) for h in headings}
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith("#"):
            assert target[1:] in anchors, f"{document}: no heading for the link {target}"
        elif "://" not in target:
            assert (project / target.split("#", 1)[0]).exists(), f"{document}: no {target}"
    if document == "README.md":
        contents = re.search(r"^Contents: (.+?)\n\n", text, flags=re.M | re.S).group(1)
        sections = {_slug(h) for h in re.findall(r"^## (.+)$", text, flags=re.M)}
        assert set(re.findall(r"\]\(#([^)]+)\)", contents)) == sections


def test_an_insz_where_a_command_goes_is_told_the_commands_that_take_one():
    told = {
        ("insz", "98630499724"): "Did you mean 'check 98630499724'?",
        ("client", "73.68.05-997.86"): "(Did you mean one of: 'advies 73.68.05-997.86',"
        " 'dossier 73.68.05-997.86'?)",
        ("98630499724",): "(Did you mean one of: 'advies 98630499724', 'client advies"
        " 98630499724', 'client dossier 98630499724', 'insz check 98630499724'?)",
    }
    for args, hint in told.items():
        process = magda_kbi(*args)
        assert process.returncode == 2
        assert process.stderr.endswith(f"Error: No such command '{args[-1]}'. {hint}\n"), args


def test_the_oldest_click_the_package_takes_gives_the_same_usage_errors(tmp_path):
    """The command line caught click.NoSuchCommand, which came with click 8.4 while the
    package takes click from 8.1: on 8.1-8.3 every unknown command was an AttributeError's
    traceback."""
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    oldest = re.search(r'"click>=(\d+\.\d+)"', pyproject).group(1)
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(tmp_path),
         f"click=={oldest}.*"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    cases = [["serv"], ["dossier", "1"], ["export", "premie"], ["insz", "98630499724"]]
    script = (
        "import contextlib, io, json, sys\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "import click\n"
        "from magda_kbi.adapters.cli import main\n"
        "said = []\n"
        f"for args in {cases!r}:\n"
        "    err = io.StringIO()\n"
        "    with contextlib.redirect_stderr(err):\n"
        "        try:\n"
        "            code = main(args)\n"
        "        except SystemExit as end:\n"
        "            code = end.code\n"
        "    said.append([code, err.getvalue().splitlines()[-1]])\n"
        "print(json.dumps([click.__file__, said]))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    where, said = json.loads(run.stdout)
    assert where.startswith(str(tmp_path))  # that click, not the installed one
    assert said == [
        [2, "Error: No such command 'serv'. Did you mean 'serve'?"],
        [2, "Error: No such command 'dossier'. Did you mean 'client dossier'?"],
        [2, "Error: No such command 'premie'. Did you mean 'verlaagde-premie'?"],
        [2, "Error: No such command '98630499724'. Did you mean 'check 98630499724'?"],
    ]


def test_help_and_version_written_as_commands_are_told_the_options():
    """'magda-kbi version' was told difflib's 'personas'."""
    for args, hint in {
        ("help",): " Did you mean '--help'?",
        ("version",): " Did you mean '--version'?",
        ("export", "help"): " Did you mean '--help'?",
        ("export", "version"): "",  # the version is the whole command's option
    }.items():
        process = magda_kbi(*args)
        assert process.returncode == 2
        assert process.stderr.endswith(f"Error: No such command '{args[-1]}'.{hint}\n"), args


def test_serve_s_banner_says_every_setting_that_changes_answers_or_where_state_is():
    """The lines serve prints before it serves, for the settings a user must not miss (an
    enforced protocol, another rule set, a signature check); written out, not taken from
    the code."""
    import dataclasses
    from datetime import date

    from magda_kbi import __version__
    from magda_kbi.adapters.app import Settings, make_emulator
    from magda_kbi.adapters.cli.serve import _banner
    from magda_kbi.adapters.server import Tls
    from magda_kbi.domain.advies import RuleSet

    settings = Settings(
        today=date(2030, 1, 1),
        rule_set=RuleSet.NA_ARREST_112_2023,
        admin=True,
        protocols=True,
        audit_log=Path("/var/log/audit.jsonl"),
        watch=True,
        verify_signatures=True,
        store="sqlite:////tmp/state.db",
        catalogue="sqlite:////tmp/catalogue.db",
    )
    # (its personas in memory, no watcher thread: the banner only reads them)
    emulator = make_emulator(dataclasses.replace(settings, store=None, catalogue=None, watch=False))
    count = len(emulator.runtime.personas)
    tls = Tls(Path("/etc/emu/cert.pem"), Path("/etc/emu/key.pem"), Path("/etc/emu/ca.pem"))
    lines = _banner(emulator, settings, "0.0.0.0", 8443, tls, run_only=False, loaded=1.5)
    base = "https://127.0.0.1:8443"
    assert lines[0] == (
        f"MAGDA KBI emulator {__version__}: {count} personas in files (the store may hold"
        " changes: /health counts them), today = 2030-01-01"
    )
    assert lines[1:] == [
        f"  GeefDossierKBI 01.00         {base}/GeefDossierKBIDienst-01.00/soap/WebService"
        "  (WSDL: ?wsdl)",
        f"  GeefDossierKBI 02.00         {base}/GeefDossierKBIDienst-02.00/soap/WebService"
        "  (WSDL: ?wsdl)",
        f"  GeefAutomatischAdvies 01.00  {base}/GeefAutomatischAdviesDienst-01.00/soap/WebService"
        "  (WSDL: ?wsdl)",
        f"  generic (Naam+Versie)        {base}/api/Magda-02.00/soap/WebService",
        f"  REST                         {base}/api/v1/  (OpenAPI: {base}/api/v1/openapi.json)",
        f"  health                       {base}/health",
        f"  console                      {base}/console/",
        "  listening on every address (0.0.0.0): from another machine, this one's name or"
        " address instead of 127.0.0.1",
        "  rules: after-ruling-112-2023 (every advice OK: the condition was annulled)",
        "  protocols: ENFORCED (7 known consumers; others are refused)",
        "  signatures: checked (a SOAP request without a signature that holds: Fault)",
        "  audit log: /var/log/audit.jsonl",
        "  watching the persona folders for changes (--watch)",
        f"  admin                        {base}/admin/",
        "  TLS: certificate /etc/emu/cert.pem; clients need a certificate signed by"
        " /etc/emu/ca.pem",
        "  store: sqlite:////tmp/state.db",
        "  personas: sqlite:////tmp/catalogue.db (ready in 1.5 s; files imported when changed)",
    ]
    plain = Settings(store="sqlite:////tmp/run/state.db", catalogue="sqlite:////tmp/run/state.db")
    lines = _banner(emulator, plain, "::1", 8080, None, run_only=True, loaded=0.0)
    assert lines[0].endswith(f": {count} personas, today = the real date")
    assert (
        lines[4]
        == "  generic (Naam+Versie)        http://[::1]:8080/api/Magda-02.00/soap/WebService"
    )
    assert lines[8:] == [
        "  rules: protocol-v1 (--rules after-ruling-112-2023 answers as after the ruling)",
        "  protocols: off (every caller may call everything; --protocols enforces them)",
        "  store: sqlite:////tmp/run/state.db (this run only)",
    ]


def test_ten_digits_that_lost_their_first_0_are_told_the_insz():
    """An INSZ from a spreadsheet column of numbers: 06721400144 became 6721400144."""
    check = magda_kbi("insz", "check", "6721400144")
    assert (check.returncode, check.stdout) == (
        1,
        "6721400144: not a MAGDA test number: '6721400144' is not 11 digits; a spreadsheet"
        " drops a number's first 0: did you mean 06721400144?\n"
        "nearest test number: 06721400144\n",
    )
    advies = magda_kbi("advies", "6721400144", "--datum", "2024-01-01")
    assert advies.returncode == 2
    assert advies.stderr == (
        "magda-kbi: 6721400144 is not a valid INSZ (11 digits, modulo 97); a spreadsheet drops"
        " a number's first 0: did you mean 06721400144?\n"
    )


@pytest.mark.parametrize(
    ("host", "said"),
    [
        ("[::1]", "'[::1]' has a port or brackets: give the name alone, ::1"),
        (
            "127.0.0.1:8080",
            "'127.0.0.1:8080' has a port or brackets: give the name alone, 127.0.0.1",
        ),
        ("http://0.0.0.0", "'http://0.0.0.0' is a URL: give its host name, 0.0.0.0"),
        ("", "is empty (an unset variable?)"),
    ],
)
def test_a_host_written_as_a_url_writes_it_is_refused_with_the_address_alone(host, said):
    """These went to the socket as they were: "cannot listen on [::1]:8080: Name or service
    not known", which did not say that ::1 itself is fine. Parsed only: no server starts."""
    from magda_kbi.adapters.cli.serve import serve

    with pytest.raises(click.BadParameter) as refused:
        serve.make_context("serve", ["--host", host])
    assert refused.value.format_message() == f"Invalid value for '--host': {said}"
    for fine in ("::1", "0.0.0.0", "localhost", "LOCALHOST", "magda.test"):
        assert serve.make_context("serve", ["--host", fine]).params["host"] == fine


def test_a_port_below_1024_refused_to_a_user_says_why_and_what_to_take(monkeypatch):
    """Not root, serve --port 80 said only "cannot listen on 127.0.0.1:80: Permission
    denied". The socket's refusal is the kernel's (EACCES), played here: the suite runs as
    root, whom the kernel lets bind any port."""
    import errno
    import socket

    from magda_kbi.adapters.cli.serve import _listen_address

    def refuse(self, address):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(socket.socket, "bind", refuse)
    assert _listen_address("127.0.0.1", 80) == (
        "127.0.0.1",
        "Permission denied (a port below 1024 needs root or CAP_NET_BIND_SERVICE: --port 8080,"
        " with a proxy in front for port 80 or 443)",
    )
    assert _listen_address("127.0.0.1", 8081) == ("127.0.0.1", "Permission denied")
