"""What the commands share: the refused-input exception, the group that hints at
mistyped commands, option types that name their environment variable, the options several
commands take, and the personas as the commands read them."""

from __future__ import annotations

import codecs
import difflib
import json
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from magda_kbi.adapters.admin_guard import TOKEN_ENV
from magda_kbi.domain.advies import TOEPASSINGEN, RuleSet, Terms
from magda_kbi.domain.clock import TODAY_RANGE, NoSuchDay, iso_date, today_from_text
from magda_kbi.domain.dossier import Persona
from magda_kbi.domain.insz import unformatted
from magda_kbi.io.checked_files import CACHE_DIR_ENV
from magda_kbi.io.formats import Unwritable
from magda_kbi.io.personas import (
    PERSONA_SUFFIXES,
    FixtureError,
    builtin_folder,
    file_refusal,
    stream_personas,
)
from magda_kbi.io.schemas import InputError
from magda_kbi.runtime.catalogue import StoreUnavailable

TODAY_ENV = "MAGDA_KBI_TODAY"
RULES_ENV = "MAGDA_KBI_RULES"
SIGN_PASSWORD_ENV = "MAGDA_KBI_SIGN_PASSWORD"  # client --sign-password: kept off the command line
ENV_PREFIX = "MAGDA_KBI_"
# what a user sets; the others of ENV_PREFIX are serve's to its workers, or the tests'
ENV_SETTINGS = (TODAY_ENV, RULES_ENV, TOKEN_ENV, CACHE_DIR_ENV, SIGN_PASSWORD_ENV)
COMMANDLINE = click.core.ParameterSource.COMMANDLINE


def json_text(data, **options) -> str:
    """JSON for standard output: UTF-8 text where the output is UTF-8, else with \\u escapes,
    valid JSON in any encoding (an ASCII or cp1252 output made a name such as Saïd's or a
    Polish one a UnicodeEncodeError and a traceback)."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"  # a StringIO: text
    return json.dumps(data, ensure_ascii=codecs.lookup(encoding).name != "utf-8", **options)


class Refused(click.ClickException):
    """Input the command refuses at run time: one line ``magda-kbi: ...``, exit 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"magda-kbi: {self.message}", err=True)


class Group(click.Group):
    """A bad consumers or persona file is refused input, said in one line; a command that is
    none gets hints. The command line's groups (export, insz, client) are of it too."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (InputError, FixtureError) as error:  # a consumers or a persona file
            raise Refused(file_refusal(error)) from None
        except Unwritable as error:  # an export's XML, what a store kept (--out: no file)
            raise Refused(str(error)) from None
        except StoreUnavailable as error:  # lost while an export read it: was a traceback
            raise Refused(f"--store: {error}") from None

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0] if args else ""
        unknown = name and not name.startswith("-") and self.get_command(ctx, name) is None
        if unknown and not ctx.resilient_parsing:
            # said here, not left to click: before 8.4 click said "No such command" and no
            # more (its NoSuchCommand and hints came with 8.4; one of 8.1-8.3 is often there)
            raise click.UsageError(self._no_such_command(ctx, name), ctx)
        return super().resolve_command(ctx, args)

    def _no_such_command(self, ctx: click.Context, name: str) -> str:
        typed = name.casefold()
        options = {o for p in self.get_params(ctx) for o in p.opts}
        if f"--{typed}" in options:  # 'magda-kbi help', 'magda-kbi version'
            hints = [f"--{typed}"]
        elif sum(c.isdigit() for c in name) >= 6 and re.fullmatch(r"[\d.\- ]+", name):
            # an INSZ where a command goes ('magda-kbi insz 98630499724'): what takes one
            hints = [f"{command} {name}" for command in self._taking_an_insz()]
        else:
            # a command of one of the groups: 'magda-kbi dossier' is 'client dossier'
            nested = [
                (group_name, n)
                for group_name, group in self.commands.items()
                if isinstance(group, click.Group)
                for n in group.commands
                if typed in n.split("-")
            ]
            hints = [f"{g} {n}" for g, n in nested if n == typed]
            if len(hints) != 1:  # before difflib's guess: 'gemeente' is no 'generate'
                hints = difflib.get_close_matches(name, self.commands)  # a typo: 'serv'
            if not hints:
                # 'export premie': a part of one command's name, which difflib's ratio over
                # the whole name ('verlaagde-premie') does not reach
                named = [n for n in self.commands if typed in n.split("-")]
                named = named or [f"{g} {n}" for g, n in nested]
                hints = named if len(named) == 1 else []
        message = f"No such command {name!r}."
        if len(hints) == 1:
            return f"{message} Did you mean {hints[0]!r}?"
        if hints:
            return f"{message} (Did you mean one of: {', '.join(map(repr, sorted(hints)))}?)"
        return message

    def _taking_an_insz(self) -> list[str]:
        """The commands below this group whose argument is an INSZ, by their path."""
        found = []
        for name, command in self.commands.items():
            if isinstance(command, Group):
                found += [f"{name} {below}" for below in command._taking_an_insz()]
            elif any(getattr(p, "callback", None) is insz_digits for p in command.params):
                found.append(name)
        return found


_DATE_LIKE = re.compile(r"\d{1,4}[-./]\d{1,2}[-./]\d{1,4}")


class DatumCommand(click.Command):
    """A command with a required --datum: one given as a second argument ('advies INSZ
    2024-01-01') is told it is an option, where click said only that --datum is missing."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)  # click's parser takes the list apart
        try:
            return super().parse_args(ctx, args)
        except click.MissingParameter as error:
            if error.param is not None and error.param.name == "datum":
                for before, token in zip(given, given[1:], strict=False):
                    if _DATE_LIKE.fullmatch(token) and not before.startswith("-"):
                        raise click.UsageError(
                            f"the date is an option: --datum {token}", ctx
                        ) from None
            raise


def insz_digits(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """An INSZ argument as digits: the printed form (73.68.05-997.86) is taken too."""
    return unformatted(value)


class _FromEnv(str):
    """An option's text that came from its environment variable, not the command line."""


class EnvOption(click.Option):
    def resolve_envvar_value(self, ctx: click.Context) -> str | None:
        value = super().resolve_envvar_value(ctx)
        return _FromEnv(value) if value else value


class _RenamedOption(click.Option):
    """An option named in English whose earlier, Dutch name (the last of its names) is still
    taken from scripts written for it, but no longer shown."""

    def _shown(self, method: Callable, ctx: click.Context | None):
        names = self.opts
        self.opts = names[:-1]
        try:
            return method(ctx)
        finally:
            self.opts = names

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        return self._shown(super().get_help_record, ctx)

    def get_error_hint(self, ctx: click.Context | None) -> str:
        return self._shown(super().get_error_hint, ctx)


class _Parsed(click.ParamType):
    """A value ``read`` from text; the error names the environment variable it came from."""

    def __init__(self, name: str, read: Callable[[str], object], what: str) -> None:
        self.name, self.read, self.what = name, read, what

    def get_metavar(self, param, ctx=None):  # ctx: click 8.2 on
        return self.name  # as written: click upper-cased it, and the rule sets were refused so

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            return self.read(value)
        except ValueError as error:
            source = f"{param.envvar}=" if isinstance(value, _FromEnv) else ""
            reason = f": {error.reason}" if isinstance(error, NoSuchDay) else ""  # 2024-02-30
            self.fail(f"{source}{value!r} is not {self.what}{reason}", param, ctx)


DATE_TYPE = _Parsed("YYYY-MM-DD", iso_date, "a date (YYYY-MM-DD)")
# advies and client advies: what the Criteria's Datum means (the peildatum follows from it)
DATUM_HELP = (
    "the Criteria's Datum: the day the right opens (the peildatum), or for VERLAAGDE_PREMIE"
    " a day of the premium year (peildatum: 1 January of the year before)"
)
RULE_SET_TYPE = _Parsed(
    "|".join(r.value for r in RuleSet),
    RuleSet,
    f"a rule set ({', '.join(r.value for r in RuleSet)})",
)


def no_empty(ctx: click.Context, param: click.Parameter, names: tuple[str, ...]) -> tuple:
    """A repeatable option's values; an empty one ("$NAME" unset) was taken without a word."""
    if any(not name.strip() for name in names):
        raise click.BadParameter("is empty (an unset variable?)", param=param)
    return names


class _Path(click.Path):
    """A file or folder; an empty one ("$DIR" with DIR unset) was the current folder: its
    persona files read, --out a traceback, --consumers "/tmp: Is a directory"."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.strip():
            self.fail("is empty (an unset variable?)", param, ctx)
        return super().convert(value, param, ctx)


PATH_TYPE = _Path(path_type=Path)
YEAR = click.IntRange(2000, 2100)  # the lists' years; a date past 9999 cannot be computed
# A term of months beyond ten years reaches past the year 9999 for some dossiers (a 500 for
# their advice); a negative one means nothing
TERM_MONTHS = click.IntRange(0, 120)


def combined(*options: Callable) -> Callable:
    """Several click options as one decorator (shared by several commands)."""

    def apply(function: Callable) -> Callable:
        for option in reversed(options):
            function = option(function)
        return function

    return apply


today_option = click.option(
    "--today",
    cls=EnvOption,
    type=_Parsed("YYYY-MM-DD", today_from_text, TODAY_RANGE),
    envvar=TODAY_ENV,
    help=f"fix the emulator's today, YYYY-MM-DD (env {TODAY_ENV}); default: the real date",
)


def _say_empty_folders(
    ctx: click.Context, param: click.Parameter, folders: tuple[Path, ...]
) -> tuple[Path, ...]:
    """A folder without persona files is taken (--watch may fill it), but said: a mistyped
    folder gave the built-in personas only, without a word."""
    for folder in folders:
        try:
            empty = folder.is_dir() and not any(
                p.suffix in PERSONA_SUFFIXES for p in folder.iterdir()
            )
        except OSError:  # unreadable: the loader says so
            continue
        if empty:
            print(
                f"magda-kbi: note: --fixtures {folder} holds no persona files"
                f" ({', '.join('*' + s for s in PERSONA_SUFFIXES)})",
                file=sys.stderr,
            )
    return folders


fixtures_option = click.option(
    "--fixtures",
    type=PATH_TYPE,
    multiple=True,
    metavar="DIR",
    callback=_say_empty_folders,
    help="an extra folder of persona files: *.yaml or *.yml, or *.jsonl from generate (repeatable)",
)
# click 8.2 on shows a case-insensitive Choice's values lower-cased; the wire's are upper
toepassing_option = click.option(
    "--toepassing",
    type=click.Choice(TOEPASSINGEN, case_sensitive=False),
    metavar=f"[{'|'.join(TOEPASSINGEN)}]",
    default="ZORGBUDGET",
    show_default=True,
)
rule_options = combined(
    click.option(
        "--rules",
        cls=EnvOption,
        type=RULE_SET_TYPE,
        envvar=RULES_ENV,
        default=RuleSet.PROTOCOL_V1.value,
        help=f"the rule set: {RuleSet.PROTOCOL_V1.value} (default: what the protocols agreed) "
        f"or {RuleSet.NA_ARREST_112_2023.value} (every advice OK, as after the Constitutional "
        f"Court's annulment); env {RULES_ENV}",
    ),
    click.option(
        "--registration-deadline",
        "--termijn-aanmelding",
        "termijn_aanmelding",
        cls=_RenamedOption,
        type=TERM_MONTHS,
        default=Terms.registration_months,
        metavar="MONTHS",
        help="months from the Doelgroep's begin to the Aanmelding (registration; default 3)",
    ),
    click.option(
        "--contract-deadline",
        "--termijn-contract",
        "termijn_contract",
        cls=_RenamedOption,
        type=TERM_MONTHS,
        default=Terms.contract_months,
        metavar="MONTHS",
        help="months from the Aanmelding (else the Doelgroep's begin) to the Contract (default 6)",
    ),
)
json_option = click.option("--json", "as_json", is_flag=True, help="print JSON")


def persona_source(
    no_builtin: bool,
    fixtures: tuple[Path, ...],
    store: str | None = None,
    keep: Callable[[str], bool] | None = None,
):
    """The personas one at a time: from the files, or streamed from a store's catalogue;
    from a catalogue with ``keep``, almost only those whose data as JSON it takes (see
    Catalogue.where_data). The files' are all read: each is checked."""
    if store is not None:
        if fixtures or no_builtin:
            raise click.UsageError(
                "--store reads the catalogue as it is: no --fixtures, --no-builtin"
            )
        from magda_kbi.runtime.catalogue import Catalogue
        from magda_kbi.runtime.store import NoStore, StoreError, open_store, shown_url

        try:
            # a read: a mistyped path made a database there (1 MB and a .change file), and
            # another program's database got the store's tables
            opened = open_store(store, existing=True)
            # read while the command runs (the personas stream from it), closed when it ends
            click.get_current_context().call_on_close(opened.close)
            catalogue = Catalogue(opened)
            empty = len(catalogue) == 0
        except NoStore as error:
            raise Refused(
                f"--store: {error} ('serve --store URL' imports the personas into a new one,"
                " 'generate --store URL' writes them)"
            ) from None
        except (StoreError, OSError, sqlite3.Error) as error:
            raise Refused(f"--store: {error}") from None
        if empty:  # a mistyped path would otherwise give an empty list without a word
            raise Refused(
                f"--store: {shown_url(store)} holds no personas ('serve --store URL' imports them, "
                "'generate --store URL' writes them)"
            )
        return catalogue.values() if keep is None else catalogue.where_data(keep)
    if no_builtin and not fixtures:  # the list of nobody, without a word
        raise click.UsageError(
            "--no-builtin leaves no personas: give their folders, --fixtures DIR"
        )
    from magda_kbi.io.personas import stream_personas

    return stream_personas([*([] if no_builtin else [builtin_folder()]), *fixtures], contract=False)


@contextmanager
def until_the_reader_leaves():
    """Output piped into ``head``: once the reader has what it wanted and closed the pipe,
    the rest is dropped and the command ends as it would have, exit 0 (click would say
    nothing and exit 1, failing a ``set -o pipefail`` script)."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        output_to_nowhere()


def output_to_nowhere() -> None:
    """What standard output's buffer still holds goes nowhere (its reader gone, its disk
    full): else the interpreter's last flush failed again ("Exception ignored", exit 120)."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@contextmanager
def persona_stream(fixtures: tuple[Path, ...]) -> Iterator[Iterator[Persona]]:
    """The built-in personas and those of ``fixtures`` one at a time, checked as serve checks
    them: a file whose exact content passed the XSD check before (generate's files, a
    folder serve imported) is not checked again; an INSZ twice is refused. One at a time:
    200,000 generated personas held at once took 979 MB."""
    from magda_kbi.io.checked_files import CheckedFiles

    with CheckedFiles() as checked:
        yield stream_personas([builtin_folder(), *fixtures], checked=checked)


def on_the_command_line(*names: str) -> list[str]:
    """The options of these parameters given on the command line (not from the environment
    or a default), for saying which ones do not go with the others."""
    ctx = click.get_current_context()
    return [
        param.opts[0]
        for param in ctx.command.params
        if param.name in names and ctx.get_parameter_source(param.name) is COMMANDLINE
    ]
