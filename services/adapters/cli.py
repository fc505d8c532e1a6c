"""``magda-kbi``: serve the emulator, list the personas, compute an advice locally.

The command line is click's (already installed with Flask): environment variables, types,
help and usage errors come from it. Exit codes: 0 done, 1 a negative answer (a number that
is no test number, MAGDA answering with an error), 2 refused input, 3 no answer at all.
"""

from __future__ import annotations

import codecs
import dataclasses
import difflib
import hashlib
import io
import ipaddress
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from magda_kbi import __version__
from magda_kbi.adapters import stopping
from magda_kbi.adapters.admin_guard import TOKEN_ENV, is_loopback
from magda_kbi.domain import lists
from magda_kbi.domain.advies import (
    TOEPASSINGEN,
    RuleSet,
    Terms,
    Toepassing,
    geef_advies,
)
from magda_kbi.domain.clock import (
    TODAY_RANGE,
    NoSuchDay,
    iso_date,
    real_today,
    today_from_text,
)
from magda_kbi.domain.consumers import Afnemers
from magda_kbi.domain.insz import (
    check_digits_reason,
    is_eleven_digits,
    modulo97_valid,
    shown,
    unformatted,
)
from magda_kbi.domain.municipalities import nis_hint
from magda_kbi.io import formats
from magda_kbi.io.checked_files import CACHE_DIR_ENV
from magda_kbi.io.personas import (
    PERSONA_SUFFIXES,
    FixtureError,
    builtin_folder,
    file_refusal,
    fingerprint,
    load_personas,
)
from magda_kbi.io.population import MAX_POPULATION
from magda_kbi.io.schemas import InputError, did_you_mean, nearest, text_xml_cannot_hold

if TYPE_CHECKING:  # the server's modules load when serve runs, not for every command
    from magda_kbi.adapters.app import Emulator, Settings
    from magda_kbi.domain.dossier import Persona

TODAY_ENV = "MAGDA_KBI_TODAY"
RULES_ENV = "MAGDA_KBI_RULES"


def main(argv: list[str] | None = None) -> int:
    """The console script (and ``python -m magda_kbi``): the exit code."""
    if isinstance(sys.stdout, io.TextIOWrapper):  # the human lines: a name the output
        sys.stdout.reconfigure(errors="backslashreplace")  # cannot encode is no traceback
    try:
        cli.main(args=argv, prog_name="magda-kbi")
    except SystemExit as end:
        return end.code if isinstance(end.code, int) else (0 if end.code is None else 1)
    return 0


def _json(data, **options) -> str:
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


class _Group(click.Group):
    """A bad consumers or persona file is refused input, said in one line."""

    group_class = type  # its subcommands' groups (export, insz, client) are of this class too

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (InputError, FixtureError) as error:  # a consumers or a persona file
            raise Refused(file_refusal(error)) from None

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
            if isinstance(command, _Group):
                found += [f"{name} {below}" for below in command._taking_an_insz()]
            elif any(getattr(p, "callback", None) is _insz_digits for p in command.params):
                found.append(name)
        return found


_DATE_LIKE = re.compile(r"\d{1,4}[-./]\d{1,2}[-./]\d{1,4}")


class _DatumCommand(click.Command):
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


def _insz_digits(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """An INSZ argument as digits: the printed form (73.68.05-997.86) is taken too."""
    return unformatted(value)


class _FromEnv(str):
    """An option's text that came from its environment variable, not the command line."""


class _EnvOption(click.Option):
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
RULE_SET_TYPE = _Parsed(
    "|".join(r.value for r in RuleSet),
    RuleSet,
    f"a rule set ({', '.join(r.value for r in RuleSet)})",
)


def _no_empty(ctx: click.Context, param: click.Parameter, names: tuple[str, ...]) -> tuple:
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
ADMIN_TOKEN_MIN = 16  # characters, for an admin API reachable from the network
YEAR = click.IntRange(2000, 2100)  # the lists' years; a date past 9999 cannot be computed
# A term of months beyond ten years reaches past the year 9999 for some dossiers (a 500 for
# their advice); a negative one means nothing
TERM_MONTHS = click.IntRange(0, 120)


def _options(*options: Callable) -> Callable:
    """Several click options as one decorator (shared by several commands)."""

    def apply(function: Callable) -> Callable:
        for option in reversed(options):
            function = option(function)
        return function

    return apply


today_option = click.option(
    "--today",
    cls=_EnvOption,
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
rule_options = _options(
    click.option(
        "--rules",
        cls=_EnvOption,
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


@click.group(
    cls=_Group,
    help="Emulator of the MAGDA services GeefDossierKBI (02.00, 01.00) and Automatisch advies "
    "(Kruispuntbank Inburgering), with test personas.",
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="magda-kbi", message="%(prog)s %(version)s")
def cli() -> None:
    _misspelt_settings(os.environ)


COMMANDLINE = click.core.ParameterSource.COMMANDLINE
ENV_PREFIX = "MAGDA_KBI_"
# what a user sets; the others of ENV_PREFIX are serve's to its workers, or the tests'
SIGN_PASSWORD_ENV = "MAGDA_KBI_SIGN_PASSWORD"  # client --sign-password: kept off the command line
ENV_SETTINGS = (TODAY_ENV, RULES_ENV, TOKEN_ENV, CACHE_DIR_ENV, SIGN_PASSWORD_ENV)


def _misspelt_settings(environ) -> None:
    """Notes a variable that looks like a misspelt setting: MAGDA_KBI_ADMIN_TOKN was read
    by nothing, and serve's admin API was open without a word. Names near no setting are
    left alone (a user's own MAGDA_KBI_URL, say)."""
    settings = [name.removeprefix(ENV_PREFIX) for name in ENV_SETTINGS]
    for name in sorted(environ):
        given = name.removeprefix(ENV_PREFIX)
        if name.startswith(ENV_PREFIX) and given not in settings:
            meant = nearest(given, settings)
            if meant is not None:
                click.echo(
                    f"magda-kbi: note: {name} is not read; did you mean {ENV_PREFIX}{meant}?",
                    err=True,
                )


@cli.command(
    short_help="start the emulator (granian)",
    help="Start the SOAP services, the generic MAGDA endpoint and /health with a production "
    "WSGI server.",
    epilog="Signals: SIGTERM or Ctrl+C answers the requests in flight, then exits 0; SIGHUP "
    "checks the persona, --consumers and --tls-* files again and restarts the workers on them "
    "(a file that does not load is refused in one line, and the workers go on).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="address to bind")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="port")
@today_option
@fixtures_option
@click.option(
    "--workers", type=click.IntRange(min=1), default=2, show_default=True, help="worker processes"
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    help="threads per worker for the application (default 1, the fastest; with --admin 2, "
    "since an injected latency fault holds a thread)",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=1024 * 1024,
    show_default=True,
    help="largest request body accepted, in bytes",
)
@click.option(
    "--admin",
    is_flag=True,
    help="enable the admin API (/admin: personas, clock, faults, journal); every worker "
    "shares the changes through the store",
)
@click.option(
    "--store",
    metavar="URL",
    help="where the workers share clock, faults, persona changes and journal: "
    "sqlite:///FILE keeps them across restarts and shares them with other serve processes "
    "on this machine, postgresql://USER@HOST:PORT/DB with serve processes anywhere "
    "(default: a fresh SQLite file for this run only)",
)
@click.option(
    "--admin-token",
    envvar=TOKEN_ENV,
    show_envvar=True,
    metavar="TOKEN",
    help="the admin API then needs 'Authorization: Bearer TOKEN'; required with --admin on "
    "a non-loopback --host",
)
@click.option(
    "--public-host",
    multiple=True,
    metavar="NAME",
    callback=_no_empty,
    help="a Host name the admin API answers to besides the loopback names (repeatable)",
)
@click.option(
    "--journal-size",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    metavar="N",
    help="calls kept in the journal",
)
@click.option(
    "--protocols",
    is_flag=True,
    help="enforce the data-sharing protocols: who may call what and see which fields",
)
@click.option(
    "--consumers",
    type=PATH_TYPE,
    metavar="FILE",
    help="a YAML file of consumers (afnemers), besides the built-in demo ones",
)
@click.option(
    "--audit-log",
    type=PATH_TYPE,
    metavar="FILE",
    help="append every call and protocol decision as a JSON line to FILE",
)
@click.option(
    "--proxy-headers",
    is_flag=True,
    help="behind a reverse proxy: the WSDL addresses follow X-Forwarded-Proto, "
    "X-Forwarded-Host and X-Forwarded-Prefix",
)
@click.option(
    "--watch",
    is_flag=True,
    help="pick up persona files added, changed or removed in the --fixtures folders while "
    "running (within a second; a file that does not load is reported and the previous "
    "personas stay)",
)
@click.option(
    "--verify-signatures",
    is_flag=True,
    help="every SOAP request must carry a WS-Security X.509 signature of its Body that "
    "verifies with the certificate it carries (needs xmlsec: the 'signing' extra)",
)
@click.option(
    "--tls-cert",
    type=PATH_TYPE,
    metavar="FILE",
    help="serve HTTPS with this PEM certificate (chain), as the platform does; with --tls-key",
)
@click.option("--tls-key", type=PATH_TYPE, metavar="FILE", help="the PEM private key of --tls-cert")
@click.option(
    "--tls-client-ca",
    type=PATH_TYPE,
    metavar="FILE",
    help="mutual TLS, as MAGDA asks of its consumers: only clients with a certificate signed "
    "by this PEM CA are served",
)
@rule_options
def serve(
    host: str,
    port: int,
    today: date | None,
    fixtures: tuple[Path, ...],
    workers: int,
    threads: int | None,
    max_bytes: int,
    admin: bool,
    store: str | None,
    admin_token: str | None,
    public_host: tuple[str, ...],
    journal_size: int,
    protocols: bool,
    consumers: Path | None,
    audit_log: Path | None,
    proxy_headers: bool,
    watch: bool,
    tls_cert: Path | None,
    tls_key: Path | None,
    tls_client_ca: Path | None,
    verify_signatures: bool,
    rules: RuleSet,
    termijn_aanmelding: int,
    termijn_contract: int,
) -> None:
    # Until the server's own handlers, a Ctrl+C or SIGTERM is noted and serve stops where it
    # can, exit 0, as it does later (stopping.py; __main__.py notes them from its start).
    stopping.note_stops()
    from magda_kbi.adapters.app import Settings
    from magda_kbi.adapters.server import Tls, serve_granian, tls_problem

    if stopping.stop_asked():
        return
    if verify_signatures:
        from magda_kbi.adapters.signatures import xmlsec_unavailable

        if unavailable := xmlsec_unavailable():
            raise Refused(unavailable)
    tls = None
    if tls_cert or tls_key or tls_client_ca:
        if not (tls_cert and tls_key):
            raise click.UsageError("HTTPS needs both --tls-cert and --tls-key")
        tls = Tls(tls_cert.resolve(), tls_key.resolve(), tls_client_ca and tls_client_ca.resolve())
        if problem := tls_problem(tls):
            raise Refused(problem)
    token = admin_token or None
    source = click.get_current_context().get_parameter_source("admin_token")
    if admin_token is not None and not admin_token.strip() and source is COMMANDLINE:
        # "--admin-token $TOKEN" with TOKEN unset left the admin API without one, unsaid
        raise click.BadParameter(
            "is empty: give the token, or leave the option out", param_hint="'--admin-token'"
        )
    if token and not admin and source is COMMANDLINE:
        # (from the environment it may be there for the pytest plugin: no note then)
        print("magda-kbi: note: --admin-token has no effect without --admin", file=sys.stderr)
    if public_host and not admin:  # the names the admin API answers to
        print("magda-kbi: note: --public-host has no effect without --admin", file=sys.stderr)
    if admin and not is_loopback(host) and token is None:
        raise Refused(
            f"--admin on {host} would let anyone who reaches this address change the "
            f"emulator: give --admin-token (or {TOKEN_ENV}), or bind to 127.0.0.1"
        )
    if admin and not is_loopback(host) and len(token or "") < ADMIN_TOKEN_MIN:
        raise Refused(  # what guards the emulator on a network must not be guessed
            f"--admin on {host}: the admin token must be at least {ADMIN_TOKEN_MIN} "
            "characters (a random one: python -c 'import secrets; "
            "print(secrets.token_urlsafe(24))')"
        )
    if audit_log:
        try:  # opened once here: a path that cannot be written made every call a 500
            with audit_log.resolve().open("a", encoding="utf-8"):
                pass
        except OSError as error:
            raise Refused(
                f"--audit-log: cannot write {audit_log.resolve()}: {error.strerror or error}"
            ) from None
    address, busy = _listen_address(host, port)
    if busy:
        raise Refused(f"cannot listen on {host}:{port}: {busy}")
    if token:
        os.environ[TOKEN_ENV] = token  # for the workers; never in the settings or the log
    temporary, catalogue, in_use, cleaned, cache = None, store, None, [], None
    run_lock = None
    try:
        if store is None:  # state for this run only, as before: a fresh store it removes at exit
            _remove_orphaned_stores()
            temporary = Path(tempfile.mkdtemp(prefix=f"{TEMPORARY_STORE_PREFIX}{os.getpid()}-"))
            run_lock = _run_lock(temporary)
            store = f"sqlite:///{temporary / 'state.db'}"
            cache = _cached_catalogue(fixtures)
            if cache is not None:
                in_use = _in_use(cache)  # held while this serve runs: never pruned meanwhile
                cleaned = prune_catalogues(cache.parent, keep=cache)
            catalogue = f"sqlite:///{cache or temporary / 'catalogue.db'}"
        try:
            from magda_kbi.runtime.store import StoreError, open_store, shown_url

            open_store(store).close()  # a bad URL, folder or server stops start-up here
        except (StoreError, OSError, sqlite3.Error) as error:
            raise Refused(f"--store: {error}") from None
        settings = Settings(
            today,
            list(fixtures),
            max_bytes,
            Terms(termijn_aanmelding, termijn_contract),
            rule_set=rules,
            admin=admin,
            journal_size=journal_size,
            protocols=protocols,
            consumers=consumers.resolve() if consumers else None,
            audit_log=audit_log.resolve() if audit_log else None,
            watch=watch,
            proxy_headers=proxy_headers,
            admin_token=token,
            public_hosts=list(public_host),
            store=store,
            catalogue=catalogue,
            verify_signatures=verify_signatures,
        )
        # Import and check the personas before the server starts: a bad file stops start-up, and
        # the workers find the catalogue up to date. They open the stores themselves.
        begin = time.monotonic()
        files_before = fingerprint([builtin_folder(), *fixtures])  # before: a change after is new
        try:
            emulator = _emulator_on_catalogue(settings, cache)
        except (StoreError, sqlite3.Error) as error:  # another serve importing the same files
            raise Refused(f"the persona catalogue {shown_url(catalogue)}: {error}") from None
        loaded = time.monotonic() - begin
        if stopping.stop_asked():
            return
        # 0.0.0.0 and :: are where it listens, no address to call: the loopback's are
        shown_host = _callable_host(host)
        # an IPv6 address stands in brackets in a URL (RFC 3986): http://::1:8080/ is none
        base = f"{'https' if tls else 'http'}://"
        base += f"{f'[{shown_host}]' if ':' in shown_host else shown_host}:{port}"
        # a kept store may add, change or remove personas (the admin API's): the parent does
        # not open it, /health counts what the workers serve
        kept = "" if temporary else " in files (the store may hold changes: /health counts them)"
        print(
            f"MAGDA KBI emulator {__version__}: {len(emulator.runtime.personas)} personas"
            f"{kept}, today = {today.isoformat() if today else 'the real date'}"
        )
        for service in emulator.diensten:
            if service.contract.path:
                name = f"{service.naam} {service.contract.major_version}"
                print(f"  {name:<28} {base}{service.contract.path}  (WSDL: ?wsdl)")
        print(f"  {'generic (Naam+Versie)':<28} {base}/api/Magda-02.00/soap/WebService")
        print(f"  {'REST':<28} {base}/api/v1/  (OpenAPI: {base}/api/v1/openapi.json)")
        print(f"  {'health':<28} {base}/health")
        print(f"  {'console':<28} {base}/console/")
        if shown_host != host:
            print(
                f"  listening on every address ({host}): from another machine, this one's name"
                " or address instead of " + shown_host
            )
        if rules is RuleSet.NA_ARREST_112_2023:
            print("  rules: after-ruling-112-2023 (every advice OK: the condition was annulled)")
        else:
            print(
                "  rules: protocol-v1 (--rules after-ruling-112-2023 answers as after the ruling)"
            )
        if protocols:
            count = len(list(emulator.runtime.afnemers))
            print(f"  protocols: ENFORCED ({count} known consumers; others are refused)")
        else:
            print("  protocols: off (every caller may call everything; --protocols enforces them)")
        if verify_signatures:
            print("  signatures: checked (a SOAP request without a signature that holds: Fault)")
        if audit_log:
            print(f"  audit log: {audit_log.resolve()}")
        if watch:
            print("  watching the persona folders for changes (--watch)")
        if admin:
            print(f"  {'admin':<28} {base}/admin/")
        if tls:
            print(
                f"  TLS: certificate {tls.certificate}; "
                + (
                    f"clients need a certificate signed by {tls.client_ca}"
                    if tls.client_ca
                    else "no client certificate asked (--tls-client-ca asks for one)"
                )
            )
        print(f"  store: {shown_url(store)}" + (" (this run only)" if temporary else ""))
        if catalogue != store:
            print(
                f"  personas: {shown_url(catalogue)} (ready in {loaded:.1f} s; files imported"
                " when changed)"
            )
        if cleaned:
            names = ", ".join(p.name for p in cleaned)
            print(f"  removed catalogues not served for {CATALOGUE_KEEP_DAYS} days: {names}")
        print(flush=True)
        if stopping.stop_asked():
            return
        # One thread per worker is the fastest. With --admin two: an injected latency holds its
        # thread, and other calls must go on meanwhile (measured: 2 threads 0.93-1.08x of the
        # throughput without admin, 5 threads 0.8-0.86x).
        serve_granian(
            settings, address, port, workers, threads or (2 if admin else 1), tls, files_before
        )
    finally:
        if in_use is not None:
            in_use.close()
        if run_lock is not None:
            run_lock.close()
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


def _cached_catalogue(fixtures: tuple[Path, ...]) -> Path | None:
    """The catalogue of these folders in the user's cache folder, kept between runs so that
    only changed files are imported again (one file per set of folders: serves with other
    --fixtures do not import over each other). None when the cache folder is not writable."""
    from magda_kbi.io.checked_files import cache_folder

    folders = "\0".join(str(p.resolve()) for p in (builtin_folder(), *fixtures))
    name = f"catalogue-{hashlib.sha256(folders.encode()).hexdigest()[:16]}.sqlite"
    try:
        cache_folder().mkdir(parents=True, exist_ok=True)
        if not os.access(cache_folder(), os.W_OK):
            return None
    except OSError:
        return None
    return cache_folder() / name


def _emulator_on_catalogue(settings: Settings, cache: Path | None) -> Emulator:
    """The emulator, its personas imported into the catalogue. One in the cache that SQLite
    cannot read (a disk full mid-write, a copy cut short) is the emulator's own, made from
    the persona files: made anew, once, saying so (a --store is the user's: refused)."""
    from magda_kbi.adapters.app import make_emulator
    from magda_kbi.runtime.store import StoreDamaged

    # for the import and the banner: the workers watch (serve watched too, importing and
    # logging each change once more)
    settings = dataclasses.replace(settings, store=None, watch=False)
    try:
        return make_emulator(settings)
    except (StoreDamaged, sqlite3.DatabaseError) as error:
        if cache is None or isinstance(error, sqlite3.OperationalError):  # locked, busy
            raise
        reason = error.reason if isinstance(error, StoreDamaged) else str(error)
        print(
            f"magda-kbi: note: the persona catalogue {cache} could not be read ({reason}): "
            "made anew from the persona files",
            file=sys.stderr,
        )
        _remove_catalogue(cache)
        return make_emulator(settings)


def _remove_catalogue(catalogue: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal", ".change"):  # .change: store.py
        Path(f"{catalogue}{suffix}").unlink(missing_ok=True)


# A catalogue is kept per set of --fixtures folders, and a million personas take ~700 MB:
# one no serve has used for this long is removed when a serve starts.
CATALOGUE_KEEP_DAYS = 30


def _in_use(catalogue: Path):
    """Marks a catalogue as served now: a shared lock on its ``.lock`` file for as long as
    the returned file is open (every serve of these folders holds one), and the lock file's
    time as the last use. None where the platform has no ``fcntl`` (nothing is pruned)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Linux or macOS
        return None
    slot = Path(f"{catalogue}.lock")
    try:
        file = slot.open("a")
        fcntl.flock(file, fcntl.LOCK_SH)
        os.utime(slot)
    except OSError:
        return None
    return file


def prune_catalogues(folder: Path, keep: Path, now: float | None = None) -> list[Path]:
    """Removes the catalogues in ``folder`` that no serve has used for
    :data:`CATALOGUE_KEEP_DAYS` days and that no serve holds now; the removed files."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover
        return []
    bound = (now if now is not None else time.time()) - CATALOGUE_KEEP_DAYS * 86400
    removed = []
    for catalogue in sorted(folder.glob("catalogue-*.sqlite")):
        if catalogue == keep:
            continue
        slot = Path(f"{catalogue}.lock")
        try:
            used = (slot if slot.exists() else catalogue).stat().st_mtime
            if used > bound:
                continue
            with slot.open("a") as file:
                try:  # a serve that holds it, however long it has run, keeps it
                    fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                _remove_catalogue(catalogue)
                slot.unlink(missing_ok=True)
        except OSError as error:  # another user's file, a race with another serve: kept
            print(f"  could not remove {catalogue.name}: {error}", file=sys.stderr)
            continue
        removed.append(catalogue)
    return removed


def _listen_address(host: str, port: int) -> tuple[str, str | None]:
    """The IP address to listen on for ``host`` (granian takes no names: ``localhost`` is
    127.0.0.1; IPv4 first), and why ``host:port`` cannot be listened on, or None.

    Bound without SO_REUSEPORT: a server that already listens there, even one that shares
    its port, makes this fail, so two emulators never split one port's requests. With
    SO_REUSEADDR, as the server binds: the connections a stopped serve closed (TIME_WAIT,
    FIN_WAIT, up to a minute) do not hold its port, only a listening socket does."""
    import errno
    import socket

    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        info = next((a for a in addresses if a[0] == socket.AF_INET), addresses[0])
        with socket.socket(info[0], socket.SOCK_STREAM) as probe_socket:
            probe_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe_socket.bind(info[4])
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            reason = f"{error.strerror} (is another emulator still running? --port N takes another)"
            return host, reason
        # a name that does not resolve, a port not allowed
        return host, str(error.strerror or error)
    return info[4][0], None


def _callable_host(host: str) -> str:
    """The loopback address of the family of an unspecified one (0.0.0.0, ::), which a
    client cannot call (it reaches nothing on Windows and macOS); any other host as given."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # a name, such as localhost
        return host
    if not address.is_unspecified:
        return host
    return "127.0.0.1" if address.version == 4 else "::1"


TEMPORARY_STORE_PREFIX = "magda-kbi-store-"  # then the pid of the serve that made it


def _remove_orphaned_stores() -> None:
    """A serve killed with kill -9 cannot remove its run's store folder: the next serve
    does, for every such folder whose serve no longer runs (a journal with bodies can
    take megabytes). A serve holds a lock in its folder (:func:`_run_lock`) while it or
    its workers run: a pid says nothing of a serve in another container that shares /tmp
    (its folder was removed from under it). A folder without a lock file is an older
    serve's: its pid decides."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Linux or macOS
        fcntl = None
    for folder in Path(tempfile.gettempdir()).glob(f"{TEMPORARY_STORE_PREFIX}*-*"):
        pid = folder.name[len(TEMPORARY_STORE_PREFIX) :].split("-", 1)[0]
        # ASCII digits that fit a pid: /tmp is anyone's, and '²' (int() refuses it) or a
        # 20-digit pid (os.kill: OverflowError) in a name stopped every serve's start
        if not (pid.isascii() and pid.isdigit() and len(pid) <= 9):
            continue
        if not (folder / "state.db").exists():
            continue
        lock = folder / RUN_LOCK
        if fcntl is not None and lock.exists():
            try:
                with lock.open("a") as handle:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    shutil.rmtree(folder, ignore_errors=True)
            except OSError:  # held: its serve runs; or another user's folder
                continue
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # another user's process: it lives
            continue


RUN_LOCK = "serve.lock"


def _run_lock(folder: Path):
    """Marks the run's store folder as in use: an exclusive lock on its lock file for as
    long as the returned file is open in serve or a worker (they inherit it). None where
    the platform has no ``fcntl``."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Linux or macOS
        return None
    handle = (folder / RUN_LOCK).open("a")
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


@cli.command(
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
    given = _on_the_command_line("rules", "termijn_aanmelding", "termijn_contract")
    if given and not check:  # a list does not apply the rules: they would be ignored
        raise click.UsageError(f"{', '.join(given)} only with --check")
    catalogue = _catalogue(fixtures)
    if check:
        # With --fixtures, those folders' personas only: the built-ins' answers are written
        # for protocol-v1 and the default terms, so under other rules or terms they differ
        # whatever the user's say (our tests check them).
        if fixtures:
            builtin = load_personas([builtin_folder()], contract=False)
            checked = [p for insz, p in catalogue.items() if insz not in builtin]
            whose = f"of the personas in {', '.join(map(str, fixtures))}"
        else:
            checked, whose = list(catalogue.values()), "of the built-in personas"
        _check_expected(checked, whose, rules, Terms(termijn_aanmelding, termijn_contract))
        return
    with _until_the_reader_leaves():
        _print_personas(catalogue, form)


def _print_personas(catalogue: dict[str, Persona], form: str | None) -> None:
    if form == "json":
        items = [
            {
                "insz": p.insz,
                "naam": p.naam,
                "scenario": p.scenario,
                "fout": p.fout,
                "in_kbi": p.dossier is not None,
            }
            for p in catalogue.values()
        ]
        print(_json(items, indent=2))
    elif form == "markdown":
        print(persona_table(catalogue.values()))
    else:
        for p in catalogue.values():
            print(f"{p.insz}  {p.naam:<22} {p.scenario}")


def _on_the_command_line(*names: str) -> list[str]:
    """The options of these parameters given on the command line (not from the environment
    or a default), for saying which ones do not go with the others."""
    ctx = click.get_current_context()
    return [
        param.opts[0]
        for param in ctx.command.params
        if param.name in names and ctx.get_parameter_source(param.name) is COMMANDLINE
    ]


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


def _catalogue(fixtures: tuple[Path, ...]) -> dict:
    """The personas, checked as serve checks them: a file whose exact content passed the XSD
    check before (generate's files, a folder serve imported) is not checked again."""
    from magda_kbi.io.checked_files import CheckedFiles

    return load_personas([builtin_folder(), *fixtures], checked=CheckedFiles())


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


@cli.command(
    cls=_DatumCommand,
    short_help="compute an advice locally (no server)",
    help="Apply the advice rule set to a persona.",
)
@click.argument("insz", callback=_insz_digits)
@click.option("--datum", required=True, type=DATE_TYPE, help="the date, YYYY-MM-DD")
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
        reason = f": {check_digits_reason(insz)}" if is_eleven_digits(insz) else ""
        raise Refused(
            f"{shown(insz, quote=False)} is not a valid INSZ (11 digits, modulo 97){reason}"
        )
    persona = _catalogue(fixtures).get(insz)
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

        print(_json(advies_json(insz, response)))
        return
    line = f"{insz} on {datum} ({toepassing}, peildatum {response.peildatum}): "
    line += response.resultaat.value
    if response.reden:
        line += f" - {response.reden.value}: {response.omschrijving}"
    print(f"{line}  [{response.uitleg}]")
    if persona is not None and persona.fout:
        print(f"note: through the server this persona always answers {persona.fout}")


@cli.group(
    short_help="make or check MAGDA test numbers (INSZ)",
    help="MAGDA test numbers: modulo-97 valid INSZ with month digits 61-72, which no real "
    "person has. Use them for your own personas.",
)
def insz() -> None:
    pass


@insz.command(
    "new", short_help="print new MAGDA test numbers", help="Print new MAGDA test numbers."
)
@click.option("--birth-date", type=DATE_TYPE, help="YYYY-MM-DD (default: random)")
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
    with _until_the_reader_leaves():
        print("\n".join(numbers))


@insz.command(
    "check",
    short_help="say whether a number is a MAGDA test number, and what is wrong if not",
    help="Say whether a number is a MAGDA test number, and what is wrong if not.",
)
@click.argument("number", metavar="NUMBER", callback=_insz_digits)
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


@cli.command(
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
    from magda_kbi.runtime.store import shown_url

    if (out is None) == (store is None):
        raise click.UsageError(
            "give --out DIR or --store URL" + (", not both" if out is not None else "")
        )
    files_only = _on_the_command_line("per_file", "force")
    if store is not None and files_only:  # they would be passed over without a word
        raise click.UsageError(
            f"{' and '.join(files_only)} only with --out (a store holds no files)"
        )
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
    with click.progressbar(
        generate_population(count, seed, taken=load_personas([builtin_folder()], contract=False)),
        length=count,
        label="generating personas",  # all that a log (no terminal) shows of the bar
        show_pos=True,
        file=sys.stderr,
    ) as bar:
        lines = sample_checked(bar)
        try:
            if out is not None:
                write_files(lines, out, per_file, CheckedFiles())
            else:
                from magda_kbi.runtime.catalogue import store_generated
                from magda_kbi.runtime.store import StoreError, open_store

                try:
                    target_store = open_store(store)
                except (StoreError, OSError, sqlite3.Error) as error:
                    raise Refused(f"--store: {error}") from None
                try:  # one seed, one population: its first N people whatever the count
                    store_generated(target_store, f"seed={seed}", lines)
                except FixtureError as error:  # another seed's population has this number
                    raise Refused(
                        f"--store {shown_url(store or '')}: {error.reason}; another --seed makes"
                        " other people"
                    ) from None
        except (InputError, OSError) as error:  # none of a broken run's output stays
            for half in population_files(out) if out is not None else ():
                half.unlink()  # (the store's write transaction rolled back itself)
            if isinstance(error, OSError):  # a full disk, a folder not writable
                where = (
                    f"--out: cannot write to {out}"
                    if out is not None
                    else f"--store {shown_url(store or '')}"
                )
                raise Refused(f"{where}: {error.strerror or error}") from None
            raise Refused(f"generated persona does not check: {error.message}") from None
    print(f"{count} personas written to {out or shown_url(store or '')}", file=sys.stderr)


@cli.group(
    short_help="the protocols' lists and the ABB export, streamed from the persona files",
    help="Lists and exports over the personas, read one at a time (memory stays flat). Writes "
    "to standard output unless --out is given.",
)
def export() -> None:
    pass


def export_options(*offered: str) -> Callable:
    return _options(
        click.option(
            "--format",
            "fmt",
            type=click.Choice(offered, case_sensitive=False),
            default=offered[0],
            show_default=True,
            help="output format",
        ),
        click.option(
            "--out",
            type=PATH_TYPE,
            metavar="FILE",
            help="write to this file, replaced once the list is whole (default: standard output)",
        ),
        click.option(
            "--no-builtin",
            is_flag=True,
            help="leave out the built-in personas (only --fixtures folders)",
        ),
        today_option,
        fixtures_option,
        click.option(
            "--store",
            metavar="URL",
            help="read the personas from this store's catalogue (what 'serve --store URL' "
            "serves, 'generate --store URL' wrote) instead of the files",
        ),
    )


def _source(no_builtin: bool, fixtures: tuple[Path, ...], store: str | None = None):
    """The personas one at a time: from the files, or streamed from a store's catalogue."""
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
            catalogue = Catalogue(open_store(store, existing=True))
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
        return catalogue.values()
    if no_builtin and not fixtures:  # the list of nobody, without a word
        raise click.UsageError(
            "--no-builtin leaves no personas: give their folders, --fixtures DIR"
        )
    from magda_kbi.io.personas import stream_personas

    return stream_personas([*([] if no_builtin else [builtin_folder()]), *fixtures], contract=False)


@contextmanager
def _until_the_reader_leaves():
    """Output piped into ``head``: once the reader has what it wanted and closed the pipe,
    the rest is dropped and the command ends as it would have, exit 0 (click would say
    nothing and exit 1, failing a ``set -o pipefail`` script)."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _write_out(out: Path | None, parts) -> None:
    """The parts to standard output, or to ``out`` whole or not at all: written beside it
    and renamed at the end, so a run that fails half-way (a bad persona file, a full disk)
    leaves no half list that looks like a whole one."""
    if out is None:
        # The bytes --out writes, whatever the console's encoding: UTF-8 (which the XML
        # declares and JSON must be; a Windows redirect was cp1252, an XML file no parser
        # read) and the parts' own line ends (Windows wrote CSV's \r\n as \r\r\n)
        binary = getattr(sys.stdout, "buffer", None)
        with _until_the_reader_leaves():
            sys.stdout.flush()
            for part in parts:
                if binary is None:  # a text stream only (a caller's StringIO)
                    sys.stdout.write(part)
                else:
                    binary.write(part.encode("utf-8"))
            (binary or sys.stdout).flush()
        return
    half = out.with_name(f".{out.name}.part")
    try:
        with half.open("w", encoding="utf-8", newline="") as stream:
            for part in parts:
                stream.write(part)
        half.replace(out)
    except OSError as error:
        half.unlink(missing_ok=True)
        raise Refused(f"--out: cannot write {out}: {error.strerror or error}") from None
    except BaseException:
        half.unlink(missing_ok=True)
        raise


def _not_empty(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An empty value gave an empty list (nobody is a member of ""), as if the zorgkas had
    no one to list; the REST route refuses it too."""
    if value is not None and not value.strip():
        raise click.BadParameter("is empty", param=param)
    if value is not None and (error := text_xml_cannot_hold(value, param.name or "")):
        raise click.BadParameter(error.reason, param=param)  # the XML list names it: a traceback
    return value


@export.command(
    "verlaagde-premie",
    short_help="the yearly reduced-premium list",
    help="INSZ of everyone under the obligation who does not satisfy it on 1 January of the "
    "year before the premium year (advice rule v1, Toepassing VERLAAGDE_PREMIE).",
)
@click.argument("year", type=YEAR)
@click.option(
    "--zorgkas",
    callback=_not_empty,
    help="only the members of this zorgkas (its identifier)",
)
@export_options("csv", "json", "xml")
@rule_options
def export_premie(
    year: int,
    zorgkas: str | None,
    fmt: str,
    out,
    no_builtin,
    today,
    fixtures,
    store,
    rules,
    termijn_aanmelding,
    termijn_contract,
) -> None:
    if zorgkas is not None:
        consumers = [a.zorgkas for a in Afnemers() if a.zorgkas]  # the demo consumers
        if not lists.zorgkas_known(zorgkas, _source(no_builtin, fixtures, store), consumers):
            known = lists.known_zorgkassen(_source(no_builtin, fixtures, store), consumers)
            raise Refused(
                f"unknown zorgkas {zorgkas!r}: no consumer's and nobody's membership (known: "
                f"{', '.join(known) or 'none'}){did_you_mean(zorgkas, known)}"
            )
    items = (
        {"insz": insz}
        for insz in lists.verlaagde_premie(
            _source(no_builtin, fixtures, store),
            year,
            today or real_today(),
            zorgkas=zorgkas,
            terms=Terms(termijn_aanmelding, termijn_contract),
            rule_set=rules,
        )
    )
    header = {"premiejaar": year, "peildatum": f"{year - 1}-01-01", "zorgkas": zorgkas}
    _write_out(out, formats.in_format(fmt, items, ["insz"], header, "VerlaagdePremie"))


def _municipality_list(name: str, help_text: str, make_list, fields, root: str) -> None:
    @export.command(
        name,
        short_help=help_text,
        help=f"{help_text[0].upper()}{help_text[1:]}. 'magda-kbi municipalities' lists the known"
        " NIS codes.",
    )
    @click.argument("nis")
    @click.option(
        "--year",
        type=YEAR,
        help="the list for this year: residents on 1 January of it (default: today)",
    )
    @export_options("csv", "json", "xml")
    def command(
        nis: str, year: int | None, fmt: str, out, no_builtin, today, fixtures, store
    ) -> None:
        vandaag = today or real_today()
        if year is not None:
            vandaag = min(vandaag, date(year, 1, 1))  # the KBI knows nothing of later
        if not lists.nis_known(nis, _source(no_builtin, fixtures, store)):
            raise Refused(
                f"unknown NIS code {nis!r}: no municipality of the register and nobody's "
                f"residence{nis_hint(nis)}; 'magda-kbi municipalities' lists the known ones"
            )
        header = {
            "nis": nis,
            **({"jaar": year} if year is not None else {}),
            "peildatum": vandaag.isoformat(),
        }
        items = make_list(_source(no_builtin, fixtures, store), nis, vandaag)
        _write_out(out, formats.in_format(fmt, items, fields, header, root))


_municipality_list(
    "gemeente",
    "residents of a municipality with their inburgering status",
    lists.gemeente,
    lists.GEMEENTE_VELDEN,
    "Inburgeraars",
)
_municipality_list(
    "participatie",
    "the participation-trajectory list of a municipality",
    lists.participatie,
    lists.PARTICIPATIE_VELDEN,
    "Participatietraject",
)


MAX_KEY_BYTES = 65_536  # a key longer than SHA-256's block (64 bytes) is hashed anyway


@export.command(
    "abb",
    short_help="the pseudonymised ABB monitoring export (CSV)",
    help="CSV with a keyed pseudonym (HMAC-SHA256 of the INSZ) and the ABB protocol's "
    "monitoring fields; no INSZ, name, birth date or address.",
)
@click.option(
    "--key-file",
    type=PATH_TYPE,
    required=True,
    help="the secret key (at least 32 bytes); it never leaves the file",
)
@export_options("csv")
def export_abb(key_file: Path, fmt: str, out, no_builtin, today, fixtures, store) -> None:
    try:
        with key_file.open("rb") as handle:  # a bounded read: /dev/urandom has no end
            key = handle.read(MAX_KEY_BYTES + 1)
    except OSError as error:
        raise Refused(f"cannot read the key file {key_file}: {error.strerror}") from None
    if len(key) > MAX_KEY_BYTES:
        raise Refused(
            f"the key file holds more than {MAX_KEY_BYTES:,} bytes: a key is a file of 32 or"
            " more random bytes that stays the same (not /dev/urandom itself: write"
            " 'head -c 32 /dev/urandom > FILE' once)"
        )
    if len(key) < 32:
        raise Refused(
            "the key file must hold at least 32 bytes (e.g. from 'head -c 32 /dev/urandom')"
        )
    items = lists.abb(_source(no_builtin, fixtures, store), key, today or real_today())
    _write_out(out, formats.csv_rows(items, list(lists.ABB_VELDEN)))


@cli.command(
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
        print(_json([a.as_json() for a in items], indent=2))
        return
    print(f"{'Afzender':<28} {'Hoedanigheid':<13} {'kind':<9} name")
    for a in items:
        detail = f" (NIS {a.nis})" if a.nis else f" (zorgkas {a.zorgkas})" if a.zorgkas else ""
        print(f"{a.afzender:<28} {a.hoedanigheid:<13} {a.soort.value:<9} {a.naam}{detail}")


@cli.command(
    short_help="list the municipalities (NIS code, name) the lists know",
    help="The Flemish municipalities the emulator knows (its register, as the population "
    "generator uses it) and any other municipality a persona lives in.",
)
@fixtures_option
@click.option("--no-builtin", is_flag=True, hidden=True)
@click.option("--store", metavar="URL", help="the personas of this store's catalogue")
def municipalities(fixtures: tuple[Path, ...], no_builtin: bool, store: str | None) -> None:
    for nis, name in sorted(
        lists.known_municipalities(_source(no_builtin, fixtures, store)).items()
    ):
        print(f"{nis}  {name}")


@cli.group(
    short_help="call a running emulator (or MAGDA) with the magda_client library",
    help="Ask a MAGDA endpoint, the emulator by default, and print the answer.",
)
def client() -> None:
    pass


client_options = _options(
    click.option(
        "--url",
        default="http://127.0.0.1:8080",
        show_default=True,
        help="base URL of the MAGDA services",
    ),
    click.option(
        "--afzender",
        default="magda-kbi.cli",
        show_default=True,
        help="Context Afzender/Identificatie",
    ),
    click.option("--hoedanigheid", default="1", show_default=True, help="Afzender/Hoedanigheid"),
    click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=10.0,
        show_default=True,
        help="seconds",
    ),
    click.option(
        "--cert",
        type=PATH_TYPE,
        metavar="FILE",
        help="client certificate for mutual TLS (PEM; its key in it, or --key)",
    ),
    click.option(
        "--key", type=PATH_TYPE, metavar="FILE", help="the client certificate's key (PEM)"
    ),
    click.option(
        "--ca",
        type=PATH_TYPE,
        metavar="FILE",
        help="CA bundle to check the server's certificate (default: the system's)",
    ),
    click.option(
        "--sign-key",
        type=PATH_TYPE,
        metavar="FILE",
        help="sign each request (WS-Security X.509) with this PEM key; with --sign-cert",
    ),
    click.option(
        "--sign-cert", type=PATH_TYPE, metavar="FILE", help="the PEM certificate of --sign-key"
    ),
    click.option(
        "--sign-password",
        envvar=SIGN_PASSWORD_ENV,
        metavar="TEXT",
        help="the password of an encrypted --sign-key (or MAGDA_KBI_SIGN_PASSWORD)",
    ),
    json_option,
)


@client.command(
    "dossier", short_help="GeefDossierKBI for one INSZ", help="GeefDossierKBI for one INSZ."
)
@click.argument("insz", callback=_insz_digits)
@click.option(
    "--versie",
    type=click.Choice(["02.00", "01.00"]),
    default="02.00",
    show_default=True,
    help="GeefDossierKBI version to ask (02.00 is the platform's current one)",
)
@click.option(
    "--mutaties-context",
    is_flag=True,
    help="send MutatiesContext true (the question follows a mutation notification)",
)
@client_options
def client_dossier(insz: str, versie: str, mutaties_context: bool, **options) -> None:
    _client_call(
        lambda c: c.geef_dossier_kbi(insz, mutaties_context=mutaties_context),
        _show_dossier,
        dossier_versie=versie,
        **options,
    )


@client.command(
    "advies",
    cls=_DatumCommand,
    short_help="Automatisch advies for one INSZ and date",
    help="Automatisch advies for one INSZ and date.",
)
@click.argument("insz", callback=_insz_digits)
@click.option("--datum", required=True, type=DATE_TYPE, help="YYYY-MM-DD")
@toepassing_option
@client_options
def client_advies(insz: str, datum: date, toepassing: str, **options) -> None:
    _client_call(
        lambda c: c.geef_automatisch_advies(insz, datum, toepassing), _show_advies, **options
    )


def _client_call(vraag, show, *, as_json: bool, **options) -> None:
    """Exit codes: 0 answered, 1 MAGDA answered with an error, 3 no usable answer."""
    from magda_client import MagdaClient, MagdaFout, MagdaTransportFout, Signing

    url, cert, key, ca = (options.pop(name) for name in ("url", "cert", "key", "ca"))
    sign_key, sign_cert, password = (
        options.pop(name) for name in ("sign_key", "sign_cert", "sign_password")
    )
    if key is not None and cert is None:
        raise click.UsageError("--key goes with --cert")
    if (sign_key is None) != (sign_cert is None):
        raise click.UsageError("signing needs both --sign-key and --sign-cert")
    if sign_key is not None:
        options["signing"] = Signing(str(sign_key), str(sign_cert), password or None)
    if cert is not None:
        options["cert"] = (str(cert), str(key)) if key is not None else str(cert)
    if ca is not None:
        options["verify"] = str(ca)
    try:
        client = MagdaClient(url, **options)
    except RuntimeError as error:  # signing without xmlsec
        raise Refused(str(error)) from None
    except ValueError as error:  # a URL, Afzender or file the client cannot work with
        message = str(error)
        for name, option in (
            ("base_url", "--url"),
            ("afzender", "--afzender"),
            ("cert", "--cert"),
            ("verify", "--ca"),
            ("signing", "--sign-key/--sign-cert"),
        ):
            if message.startswith(name):
                message = option + message[len(name) :]
        # the library's way out that this command does not have (it takes one --url)
        message = message.replace(", or this address in addresses", "")
        raise Refused(message) from None
    try:
        result = vraag(client)
    except MagdaFout as error:
        # the library refused the question itself (an INSZ that is none): MAGDA never saw it
        local = error.oorsprong == "CLIENT"
        if as_json:
            names = ("code", "type", "oorsprong", "diagnose", "referte")
            print(_json({"fout": {k: getattr(error, k) for k in names}}))
        elif local:
            raise Refused(f"not sent: {error.diagnose}") from None
        else:  # the Referte: what MAGDA's helpdesk (and the emulator's journal) finds it by
            said = f"MAGDA: {error.code or '-'} {error.diagnose} (Referte {error.referte})"
            print(said, file=sys.stderr)
            if error.code == "13001":
                print(
                    "magda-kbi: the emulator enforces protocols: say who asks with --afzender "
                    "and --hoedanigheid; 'magda-kbi consumers' lists the known consumers",
                    file=sys.stderr,
                )
        raise SystemExit(2 if local else 1) from None
    except MagdaTransportFout as error:
        # the library names its parameters (verify=, cert=); here they are options
        message = str(error).replace("verify=", "--ca").replace("cert=", "--cert/--key")
        if message.endswith(": Connection refused"):  # most often: no emulator started yet
            message += " (is the emulator running? 'magda-kbi serve' starts it; --url another)"
        print(f"magda-kbi: no answer: {message}", file=sys.stderr)
        raise SystemExit(3) from None
    print(_json(_as_json(result), indent=2) if as_json else show(result))


def _as_json(result) -> dict:

    data = {k: v for k, v in dataclasses.asdict(result).items() if k != "element"}
    for name in ("contract_ondertekend", "attest_behaald", "ok"):
        if hasattr(result, name):
            data[name] = getattr(result, name)
    return json.loads(json.dumps(data, default=str))


def _show_dossier(d) -> str:
    if d.beperkt:  # what the protocol hides is not shown as a fact
        hidden = "not disclosed to this consumer"
        return "\n".join(
            [
                f"{' '.join(d.voornamen)} {' '.join(d.achternamen)} ({d.insz}), born: {hidden}",
                f"doelgroep:  {hidden}",
                f"registered: {hidden}",
                f"contract:   {'signed' if d.contract_ondertekend else 'not signed'}",
                f"attest:     {'obtained' if d.attest_behaald else 'not obtained'}",
                f"infringements: {hidden}",
                f"trajectories: {hidden}",
                *_notes(d),
            ]
        )
    doelgroep = d.doelgroep
    lines = [
        f"{' '.join(d.voornamen)} {' '.join(d.achternamen)} ({d.insz}), "
        f"born {d.geboortedatum or '?'}",
        "doelgroep:  "
        + (
            f"{doelgroep.code} {doelgroep.type} since {doelgroep.begin}"
            + (f" until {doelgroep.einde}" if doelgroep.einde else "")
            + (" (exempt)" if doelgroep.vrijgesteld else "")
            if doelgroep
            else "-"
        ),
        f"registered: {d.datum_aanmelding or 'no'}",
        f"contract:   {'signed' if d.contract_ondertekend else 'not signed'}",
        f"attest:     {'obtained' if d.attest_behaald else 'not obtained'}",
        f"infringements: {len(d.open_inbreuken)} open, {len(d.inbreuken)} in all",
        f"trajectories: {', '.join(t.type or '?' for t in d.trajecten) or '-'}",
    ]
    if d.telefoonnummers or d.emails:  # 02.00
        lines.append(f"contact:    {', '.join((*(d.telefoonnummers or ()), *(d.emails or ())))}")
    return "\n".join([*lines, *_notes(d)])


def _show_advies(a) -> str:
    text = f"{a.insz} peildatum {a.peildatum}: {a.resultaat}"
    if not a.ok:
        text += f" - {a.reden_code}: {a.reden_omschrijving}"
    return "\n".join([text, *_notes(a)])


def _notes(answer) -> list[str]:
    """The WAARSCHUWING and INFORMATIE Uitzonderingen beside an answer: an OK under the
    ruling's rule set printed without the INFORMATIE that says why."""
    return [f"{u.type} {u.code}: {u.diagnose}" for u in answer.uitzonderingen]


if __name__ == "__main__":
    raise SystemExit(main())
