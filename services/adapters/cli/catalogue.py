"""What the emulator knows, listed: ``personas`` (and ``--check`` of their expected
answers), ``consumers``, ``municipalities``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from magda_kbi.adapters.cli.common import (
    PATH_TYPE,
    fixtures_option,
    json_option,
    json_text,
    on_the_command_line,
    persona_source,
    persona_stream,
    rule_options,
    until_the_reader_leaves,
)
from magda_kbi.domain import lists
from magda_kbi.domain.advies import RuleSet, Terms, Toepassing, geef_advies
from magda_kbi.domain.municipalities import GEMEENTEN
from magda_kbi.io.personas import builtin_folder, load_personas, summary
from magda_kbi.runtime.catalogue import naming_a_municipality_outside

if TYPE_CHECKING:  # for type hints only
    from collections.abc import Iterable

    from magda_kbi.domain.dossier import Persona


@click.command(
    short_help="list the test personas", help="The persona catalogue: INSZ, name, scenario."
)
@click.option("--json", "form", flag_value="json", help="print a JSON list")
@click.option(
    "--markdown",
    "form",
    flag_value="markdown",
    help="print the README's persona table (with expected answers)",
)
@click.option(
    "--check",
    is_flag=True,
    help="compare the expected answers (verwacht) of the --fixtures folders' personas (without "
    "--fixtures: the built-in ones) with the rule set, every fact of the dossier known; exit 1 "
    "when one differs",
)
@fixtures_option
@rule_options
def personas(
    form: str | None,
    check: bool,
    fixtures: tuple[Path, ...],
    rules: RuleSet,
    termijn_aanmelding: int,
    termijn_contract: int,
) -> None:
    if check and form:
        raise click.UsageError("--check prints its own report: leave out --json and --markdown")
    given = on_the_command_line("rules", "termijn_aanmelding", "termijn_contract")
    if given and not check:  # a list does not apply the rules: they would be ignored
        raise click.UsageError(f"{', '.join(given)} only with --check")
    with persona_stream(fixtures) as catalogue:
        if check:
            # With --fixtures, those folders' personas only: the built-ins' answers are
            # written for protocol-v1 and the default terms, so under other rules or terms
            # they differ whatever the user's say (our tests check them).
            if fixtures:
                builtin = load_personas([builtin_folder()], contract=False)
                checked: Iterable[Persona] = (p for p in catalogue if p.insz not in builtin)
                whose = f"of the personas in {', '.join(map(str, fixtures))}"
            else:
                checked, whose = catalogue, "of the built-in personas"
            _check_expected(checked, whose, rules, Terms(termijn_aanmelding, termijn_contract))
            return
        with until_the_reader_leaves():
            _print_personas(catalogue, form)


def _print_personas(catalogue: Iterable[Persona], form: str | None) -> None:
    """As they are read (a persona file found bad ends the list there, exit 2, as an export
    to standard output does); the Markdown table, sorted, once all are read."""
    if form == "json":
        # json.dumps(the whole list, indent=2), written an item at a time
        before = "["
        for p in catalogue:
            item = json_text(summary(p), indent=2)
            print(before, "\n  ", item.replace("\n", "\n  "), sep="", end="")
            before = ","
        print("[]" if before == "[" else "\n]")
    elif form == "markdown":
        print(persona_table(catalogue))
    else:
        for p in catalogue:
            print(f"{p.insz}  {p.naam:<22} {p.scenario}")


def _check_expected(personas, whose: str, rules: RuleSet, terms: Terms) -> None:
    """A persona file's ``verwacht`` against the rules: written by hand, it was checked for
    the built-in personas only (by our tests), so a user's mistaken one went unnoticed."""
    seen = differences = 0
    for p in personas:
        for v in p.verwacht:
            seen += 1
            response = geef_advies(p.dossier, v.datum, Toepassing(v.toepassing), terms, None, rules)
            reason = response.reden.value if response.reden else None
            if (response.resultaat.value, reason) != (v.resultaat, v.reden):
                differences += 1
                expected = " ".join(filter(None, (v.resultaat, v.reden)))
                received = " ".join(filter(None, (response.resultaat.value, reason)))
                print(
                    f"{p.insz} on {v.datum} ({v.toepassing}): expected {expected}, "
                    f"the rules give {received} [{response.uitleg}]"
                )
    answers = "expected answer" if seen == 1 else "expected answers"
    print(f"{seen} {answers} {whose} checked against {rules.value}: {differences} differ")
    if differences:
        raise SystemExit(1)


def persona_table(personas) -> str:
    """The persona table of the README: INSZ, name, scenario, expected answers on key dates."""
    lines = ["| INSZ | Name | Scenario | Expected advice (date: answer) |", "|---|---|---|---|"]
    for p in sorted(personas, key=lambda p: p.insz):
        if p.fout:
            expected = f"always {'Uitzondering 99996' if p.fout == '99996' else 'a SOAP Fault'}"
        else:
            expected = "<br>".join(
                f"{v.datum}: {v.resultaat}{' ' + v.reden if v.reden else ''}"
                + (" (premium)" if v.toepassing == "VERLAAGDE_PREMIE" else "")
                for v in p.verwacht
            )
        kbi = "" if p.dossier is not None else " (not in KBI)"
        lines.append(f"| `{p.insz}` | {_cell(p.naam)}{kbi} | {_cell(p.scenario)} | {expected} |")
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Text as one Markdown table cell: a | or a line break in a scenario ended the row, and
    markup in it was rendered."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "<br>".join(text.replace("|", "\\|").splitlines())


@click.command(
    short_help="list the known consumers (Afzender, Hoedanigheid, kind) for --protocols",
    help="The consumers the protocols know: the built-in demo ones and those of --consumers "
    "FILE. A caller is its Afzender/Identificatie with its Hoedanigheid.",
)
@click.option(
    "--consumers", "consumers_file", type=PATH_TYPE, metavar="FILE", help="a YAML file of consumers"
)
@json_option
def consumers(consumers_file: Path | None, as_json: bool) -> None:
    from magda_kbi.domain.consumers import DEMO, Afnemers
    from magda_kbi.io.consumer_file import load_consumers

    # as serve knows them: one of the file with a demo consumer's Afzender and
    # Hoedanigheid takes its place
    items = list(Afnemers([*DEMO, *(load_consumers(consumers_file) if consumers_file else [])]))
    if as_json:
        print(json_text([a.as_json() for a in items], indent=2))
        return
    print(f"{'Afzender':<28} {'Hoedanigheid':<13} {'kind':<9} name")
    for a in items:
        detail = f" (NIS {a.nis})" if a.nis else f" (zorgkas {a.zorgkas})" if a.zorgkas else ""
        print(f"{a.afzender:<28} {a.hoedanigheid:<13} {a.soort.value:<9} {a.naam}{detail}")


@click.command(
    short_help="list the municipalities (NIS code, name) the lists know",
    help="The Flemish municipalities the emulator knows (its register, as the population "
    "generator uses it) and any other municipality a persona lives in.",
)
@fixtures_option
@click.option("--no-builtin", is_flag=True, hidden=True)
@click.option("--store", metavar="URL", help="the personas of this store's catalogue")
def municipalities(fixtures: tuple[Path, ...], no_builtin: bool, store: str | None) -> None:
    # from a catalogue, only those who live outside the register are built (see where_data)
    outside = naming_a_municipality_outside(dict(GEMEENTEN))
    for nis, name in sorted(
        lists.known_municipalities(persona_source(no_builtin, fixtures, store, outside)).items()
    ):
        print(f"{nis}  {name}")
