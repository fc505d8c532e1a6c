"""Computed here, with no server: ``advies`` for a persona, ``insz`` test numbers, a
``generate``d population."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from datetime import date
from pathlib import Path

import click

from magda_kbi.adapters.cli.common import (
    DATE_TYPE,
    DATUM_HELP,
    PATH_TYPE,
    DatumCommand,
    Group,
    Refused,
    fixtures_option,
    insz_digits,
    json_option,
    json_text,
    on_the_command_line,
    persona_stream,
    rule_options,
    today_option,
    toepassing_option,
    until_the_reader_leaves,
)
from magda_kbi.domain.advies import RuleSet, Terms, Toepassing, geef_advies
from magda_kbi.domain.clock import real_today
from magda_kbi.domain.insz import (
    check_digits_reason,
    first_zero_hint,
    is_eleven_digits,
    modulo97_valid,
    shown,
)
from magda_kbi.io.personas import FixtureError, builtin_folder, load_personas
from magda_kbi.io.population import MAX_POPULATION
from magda_kbi.io.schemas import InputError


@click.command(
    cls=DatumCommand,
    short_help="compute an advice locally (no server)",
    help="Apply the advice rule set to a persona.",
)
@click.argument("insz", callback=insz_digits)
@click.option("--datum", required=True, type=DATE_TYPE, help=DATUM_HELP)
@toepassing_option
@json_option
@today_option
@fixtures_option
@rule_options
def advies(
    insz: str,
    datum: date,
    toepassing: str,
    as_json: bool,
    today: date | None,
    fixtures: tuple[Path, ...],
    rules: RuleSet,
    termijn_aanmelding: int,
    termijn_contract: int,
) -> None:
    if not modulo97_valid(insz):
        eleven = is_eleven_digits(insz)
        reason = f": {check_digits_reason(insz)}" if eleven else first_zero_hint(insz)
        raise Refused(
            f"{shown(insz, quote=False)} is not a valid INSZ (11 digits, modulo 97){reason}"
        )
    persona = None
    with persona_stream(fixtures) as personas:
        for read in personas:  # every one: the files are checked as serve checks them
            if read.insz == insz:
                persona = read
    response = geef_advies(
        persona.dossier if persona else None,
        datum,
        Toepassing(toepassing),
        Terms(termijn_aanmelding, termijn_contract),
        rule_set=rules,
        vandaag=today or real_today(),
    )
    if as_json:  # as the REST face gives it
        from magda_kbi.io.json_output import advies_json

        print(json_text(advies_json(insz, response)))
        return
    line = f"{insz} on {datum} ({toepassing}, peildatum {response.peildatum}): "
    line += response.resultaat.value
    if response.reden:
        line += f" - {response.reden.value}: {response.omschrijving}"
    print(f"{line}  [{response.uitleg}]")
    if persona is not None and persona.fout:
        print(f"note: through the server this persona always answers {persona.fout}")


@click.group(
    cls=Group,
    short_help="make or check MAGDA test numbers (INSZ)",
    help="MAGDA test numbers: modulo-97 valid INSZ with month digits 61-72, which no real "
    "person has. Use them for your own personas.",
)
def insz() -> None:
    pass


@insz.command(
    "new", short_help="print new MAGDA test numbers", help="Print new MAGDA test numbers."
)
@click.option(
    "--birth-date", type=DATE_TYPE, help="the birth date the number holds (default: random)"
)
@click.option(
    "--sex",
    type=click.Choice(["M", "F"], case_sensitive=False),
    metavar="[M|F]",  # click 8.2 on shows [m|f]
    help="M (odd sequence) or F (even), in any case",
)
@click.option(
    "--count",
    type=click.IntRange(1, 100_000),
    default=1,
    show_default=True,
    help="how many different numbers",
)
def insz_new(birth_date: date | None, sex: str | None, count: int) -> None:
    from magda_kbi.domain.insz import new_test_numbers

    taken = load_personas([builtin_folder()], contract=False)  # never a built-in persona's
    try:
        numbers = new_test_numbers(count, birth_date, sex, taken=taken)
    except ValueError as error:
        raise Refused(str(error)) from None
    with until_the_reader_leaves():
        print("\n".join(numbers))


@insz.command(
    "check",
    short_help="say whether a number is a MAGDA test number, and what is wrong if not",
    help="Say whether a number is a MAGDA test number, and what is wrong if not.",
)
@click.argument("number", metavar="NUMBER", callback=insz_digits)
def insz_check(number: str) -> None:
    """Exit 0 for a MAGDA test number, 1 otherwise (with what is wrong and a suggestion)."""
    from magda_kbi.domain.insz import nearest_test_number, why_not_a_test_number

    reason = why_not_a_test_number(number)
    if reason is None:
        print(f"{number}: a valid MAGDA test number")
        return
    print(f"{shown(number, quote=False)}: not a MAGDA test number: {reason}")
    closest = nearest_test_number(number)
    if closest:
        print(f"nearest test number: {closest}")
    raise SystemExit(1)


@click.command(
    short_help="write a synthetic population of personas",
    help="Write N consistent personas (valid test numbers, dated facts over all rule branches, "
    "residences in real Flemish municipalities) as JSON Lines files that 'serve --fixtures DIR' "
    "and 'export --fixtures DIR' read, or straight into a store's persona catalogue that "
    "'serve --store URL' serves.",
)
@click.option(
    "--count",
    type=click.IntRange(1, MAX_POPULATION),
    required=True,
    help=f"how many personas (at most {MAX_POPULATION:,})",
)
@click.option("--seed", type=int, default=1, help="the same seed, the same people")
@click.option("--out", type=PATH_TYPE, metavar="DIR", help="the folder to write to")
@click.option(
    "--store",
    metavar="URL",
    help="write into this store's persona catalogue (sqlite:///FILE or postgresql://...); "
    "the same seed again replaces the people it made, whatever the count",
)
@click.option(
    "--per-file",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="personas per file in --out",
)
@click.option("--force", is_flag=True, help="replace population files already in --out")
def generate(
    count: int, seed: int, out: Path | None, store: str | None, per_file: int, force: bool
) -> None:
    from magda_kbi.io.checked_files import CheckedFiles
    from magda_kbi.io.population import (
        generate_population,
        population_files,
        sample_checked,
        write_files,
    )
    from magda_kbi.runtime.store import one_line, shown_url

    if (out is None) == (store is None):
        raise click.UsageError(
            "give --out DIR or --store URL" + (", not both" if out is not None else "")
        )
    files_only = on_the_command_line("per_file", "force")
    if store is not None and files_only:  # they would be passed over without a word
        raise click.UsageError(
            f"{' and '.join(files_only)} only with --out (a store holds no files)"
        )
    made_out = out is not None and not out.exists()  # removed again if a failure leaves it empty
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            # mkdir says "File exists" of a file there: that it is no folder is the point
            reason = "a file is there" if out.is_file() else error.strerror or error
            raise Refused(f"--out: cannot make the folder {out}: {reason}") from None
        existing = population_files(out)
        if existing and not force:
            raise Refused(
                f"{out} already holds {len(existing)} population file(s) "
                f"({existing[0].name}, ...); --force replaces them"
            )
        for old in existing:  # with --force: none of an earlier, larger population stays
            old.unlink()
    target_store, failures = None, (InputError, OSError)
    if store is not None:  # refused before the bar starts, not after "generating personas"
        from magda_kbi.runtime.catalogue import store_errors
        from magda_kbi.runtime.store import StoreError, open_store

        try:
            target_store = open_store(store, refuse_read_only=True)
        except (StoreError, OSError, sqlite3.Error) as error:
            raise Refused(f"--store: {error}") from None
        failures = (*failures, *store_errors(target_store))  # a full disk half-way
    try:
        with click.progressbar(
            generate_population(
                count, seed, taken=load_personas([builtin_folder()], contract=False)
            ),
            length=count,
            label="generating personas",  # all that a log (no terminal) shows of the bar
            show_pos=True,
            file=sys.stderr,
        ) as bar:
            lines = sample_checked(bar)
            try:
                if target_store is None:
                    with CheckedFiles() as checked:
                        write_files(lines, out, per_file, checked)
                else:
                    from magda_kbi.runtime.catalogue import store_generated

                    try:  # one seed, one population: its first N people whatever the count
                        store_generated(target_store, f"seed={seed}", lines)
                    except FixtureError as error:  # another seed's population has it
                        raise Refused(
                            f"--store {shown_url(store or '')}: {error.reason}; another --seed"
                            " makes other people"
                        ) from None
            except failures as error:  # none of a broken run's output stays
                for half in population_files(out) if out is not None else ():
                    half.unlink()  # (the store's write transaction rolled back itself)
                if made_out and out is not None:
                    with contextlib.suppress(OSError):  # only if empty: nothing else goes
                        out.rmdir()
                if isinstance(error, InputError):
                    raise Refused(f"generated persona does not check: {error.message}") from None
                # a full disk, a folder not writable (a traceback from a store's disk)
                where = (
                    f"--out: cannot write to {out}"
                    if out is not None
                    else f"--store {shown_url(store or '')}"
                )
                reason = error.strerror if isinstance(error, OSError) else None
                raise Refused(f"{where}: {reason or one_line(error)}") from None
    finally:
        if target_store is not None:
            target_store.close()
    print(f"{count} personas written to {out or shown_url(store or '')}", file=sys.stderr)
