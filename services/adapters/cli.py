"""``magda-kbi``: serve the emulator, list the personas, compute an advice locally."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sqlite3
import sys
import tempfile
from datetime import date
from pathlib import Path

from magda_kbi import __version__
from magda_kbi.adapters.admin_guard import TOKEN_ENV, is_loopback
from magda_kbi.domain import lists
from magda_kbi.domain.advies import (
    REGELS,
    TOEPASSINGEN,
    Regelset,
    Termijnen,
    Toepassing,
    geef_advies,
)
from magda_kbi.domain.insz import modulo97_geldig
from magda_kbi.io import formats
from magda_kbi.io.personas import FixtureFout, PersonaFout, ingebouwde_map, laad_personas

OMGEVING_VANDAAG = "MAGDA_KBI_TODAY"
OMGEVING_REGELS = "MAGDA_KBI_RULES"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if hasattr(args, "today") and args.today is None:
            # read here, not when the parser is built: a bad value must not break --help
            args.today = _vandaag_uit_omgeving()
        if hasattr(args, "rules"):
            args.rules = Regelset(args.rules) if args.rules else _regelset_uit_omgeving()
    except ValueError as fout:
        print(f"magda-kbi: {fout}", file=sys.stderr)
        return 2
    try:
        return args.functie(args)
    except PersonaFout as fout:  # a consumers file
        print(
            f"magda-kbi: invalid consumers file: field {fout.veld}: {fout.reden}", file=sys.stderr
        )
        return 2
    except FixtureFout as fout:
        print(
            f"magda-kbi: invalid persona file {fout.bestand}: field {fout.veld}: {fout.reden}",
            file=sys.stderr,
        )
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="magda-kbi",
        description="Emulator of the MAGDA services GeefDossierKBI (02.00, 01.00) and "
        "Automatisch advies (Kruispuntbank Inburgering), with test personas.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="start the emulator (granian)",
        description="Start the SOAP services, the generic MAGDA "
        "endpoint and /health with a production WSGI server.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    _vandaag_optie(serve)
    _fixtures_optie(serve)
    serve.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    serve.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads per worker for the application (default 1, the fastest; with --admin 2, "
        "since an injected latency fault holds a thread)",
    )
    serve.add_argument(
        "--max-bytes",
        type=int,
        default=1024 * 1024,
        help="largest request body accepted, in bytes (default 1048576)",
    )
    serve.add_argument(
        "--admin",
        action="store_true",
        help="enable the admin API (/admin: personas, clock, faults, journal); every worker "
        "shares the changes through the store",
    )
    serve.add_argument(
        "--store",
        default=None,
        metavar="URL",
        help="where the workers share clock, faults, persona changes and journal: "
        "sqlite:///FILE keeps them across restarts and shares them with other serve processes "
        "on this machine, postgresql://USER@HOST:PORT/DB with serve processes anywhere "
        "(default: a fresh SQLite file for this run only)",
    )
    serve.add_argument(
        "--admin-token",
        default=None,
        metavar="TOKEN",
        help="the admin API then needs 'Authorization: Bearer TOKEN' (or env "
        "MAGDA_KBI_ADMIN_TOKEN); required with --admin on a non-loopback --host",
    )
    serve.add_argument(
        "--public-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host name the admin API answers to besides the loopback names (repeatable)",
    )
    serve.add_argument(
        "--journal-size",
        type=int,
        default=1000,
        metavar="N",
        help="calls kept in the in-memory journal (default 1000)",
    )
    serve.add_argument(
        "--protocols",
        action="store_true",
        help="enforce the data-sharing protocols: who may call what and see which fields",
    )
    serve.add_argument(
        "--consumers",
        type=Path,
        metavar="FILE",
        help="a YAML file of consumers (afnemers), besides the built-in demo ones",
    )
    serve.add_argument(
        "--audit-log",
        type=Path,
        metavar="FILE",
        help="append every call and protocol decision as a JSON line to FILE",
    )
    serve.add_argument(
        "--proxy-headers",
        action="store_true",
        help="behind a reverse proxy: the WSDL addresses follow X-Forwarded-Proto, "
        "X-Forwarded-Host and X-Forwarded-Prefix",
    )
    serve.add_argument(
        "--watch",
        action="store_true",
        help="pick up persona files added, changed or removed in the --fixtures folders while "
        "running (within a second; a file that does not load is reported and the previous "
        "personas stay)",
    )
    _termijn_opties(serve)
    serve.set_defaults(functie=_serve)

    personas = commands.add_parser(
        "personas",
        help="list the test personas",
        description="The persona catalogue: INSZ, name, scenario.",
    )
    formaat = personas.add_mutually_exclusive_group()
    formaat.add_argument("--json", action="store_true", help="print a JSON list")
    formaat.add_argument(
        "--markdown",
        action="store_true",
        help="print the README's persona table (with expected answers)",
    )
    _fixtures_optie(personas)
    personas.set_defaults(functie=_personas)

    advies = commands.add_parser(
        "advies",
        help="compute an advice locally (no server)",
        description="Apply the advice rule set v1 to a persona.",
    )
    advies.add_argument("insz", help="the INSZ (11 digits)")
    advies.add_argument("--datum", required=True, type=_datum, help="the date, YYYY-MM-DD")
    advies.add_argument("--toepassing", default="ZORGBUDGET", choices=TOEPASSINGEN)
    advies.add_argument("--json", action="store_true", help="print JSON")
    _vandaag_optie(advies)
    _fixtures_optie(advies)
    _termijn_opties(advies)
    advies.set_defaults(functie=_advies)

    insz = commands.add_parser(
        "insz",
        help="make or check MAGDA test numbers (INSZ)",
        description="MAGDA test numbers: modulo-97 valid INSZ with month digits 61-72, which "
        "no real person has. Use them for your own personas.",
    )
    insz_vragen = insz.add_subparsers(required=True, metavar="ACTION")
    nieuw = insz_vragen.add_parser(
        "new", help="print new test numbers", description="Print new MAGDA test numbers."
    )
    nieuw.add_argument("--birth-date", type=_datum, help="YYYY-MM-DD (default: random)")
    nieuw.add_argument("--sex", choices=["M", "F"], help="M (odd sequence) or F (even)")
    nieuw.add_argument("--count", type=int, default=1, help="how many (default 1)")
    nieuw.set_defaults(functie=_insz_new)
    controle = insz_vragen.add_parser(
        "check",
        help="say whether a number is a MAGDA test number, and what is wrong",
        description="Say whether a number is a MAGDA test number, and what is wrong if not.",
    )
    controle.add_argument("nummer")
    controle.set_defaults(functie=_insz_check)

    genereer = commands.add_parser(
        "generate",
        help="write a synthetic population of personas",
        description="Write N consistent personas (valid test numbers, dated facts over all "
        "rule branches, residences in real Flemish municipalities) as JSON Lines files that "
        "'serve --fixtures DIR' and 'export --fixtures DIR' read.",
    )
    genereer.add_argument("--count", type=int, required=True, help="how many personas")
    genereer.add_argument("--seed", type=int, default=1, help="the same seed, the same people")
    genereer.add_argument("--out", type=Path, required=True, help="the folder to write to")
    genereer.add_argument("--per-file", type=int, default=10_000, help="personas per file")
    genereer.add_argument(
        "--force", action="store_true", help="replace population files already in --out"
    )
    genereer.set_defaults(functie=_genereer)

    export = commands.add_parser(
        "export",
        help="the protocols' lists and the ABB export, streamed from the persona files",
        description="Lists and exports over the personas, read one at a time (memory stays "
        "flat). Writes to standard output unless --out is given.",
    )
    exports = export.add_subparsers(required=True, metavar="LIJST")
    premie = exports.add_parser(
        "verlaagde-premie",
        help="the yearly reduced-premium list",
        description="INSZ of everyone under the obligation who does "
        "not satisfy it on 1 January of the year before the premium "
        "year (advice rule v1, Toepassing VERLAAGDE_PREMIE).",
    )
    premie.add_argument("jaar", type=int, help="the premium year")
    premie.add_argument("--zorgkas", help="only the members of this zorgkas (its identifier)")
    _export_opties(premie, ("csv", "json", "xml"))
    _termijn_opties(premie)
    premie.set_defaults(functie=_export_premie)
    for naam, hulp in (
        ("gemeente", "residents of a municipality with their inburgering status"),
        ("participatie", "the participation-trajectory list of a municipality"),
    ):
        lijst = exports.add_parser(
            naam,
            help=hulp,
            description=hulp + ". 'magda-kbi municipalities' lists the known NIS codes.",
        )
        lijst.add_argument("nis", help="the municipality's NIS code")
        lijst.add_argument(
            "--year",
            type=int,
            help="the list for this year: residents on 1 January of it (default: today)",
        )
        _export_opties(lijst, ("csv", "json", "xml"))
        lijst.set_defaults(functie=_export_gemeente, lijst=naam)
    afnemers = commands.add_parser(
        "consumers",
        help="list the known consumers (Afzender, Hoedanigheid, kind) for --protocols",
        description="The consumers the protocols know: the built-in demo ones and those of "
        "--consumers FILE. A caller is its Afzender/Identificatie with its Hoedanigheid.",
    )
    afnemers.add_argument("--consumers", type=Path, help="a YAML file of consumers")
    afnemers.add_argument("--json", action="store_true", help="print JSON")
    afnemers.set_defaults(functie=_consumers)
    gemeenten = commands.add_parser(
        "municipalities",
        help="list the municipalities (NIS code, name) the lists know",
        description="The Flemish municipalities the emulator knows (its register, as the "
        "population generator uses it) and any other municipality a persona lives in.",
    )
    _fixtures_optie(gemeenten)
    gemeenten.add_argument("--no-builtin", action="store_true", help=argparse.SUPPRESS)
    gemeenten.set_defaults(functie=_municipalities)
    abb = exports.add_parser(
        "abb",
        help="the pseudonymised ABB monitoring export (CSV)",
        description="CSV with a keyed pseudonym (HMAC-SHA256 of the INSZ) "
        "and the ABB protocol's monitoring fields; no INSZ, name, birth "
        "date or address.",
    )
    abb.add_argument(
        "--key-file",
        type=Path,
        required=True,
        help="the secret key (at least 32 bytes); it never leaves the file",
    )
    _export_opties(abb, ("csv",))
    abb.set_defaults(functie=_export_abb)

    client = commands.add_parser(
        "client",
        help="call a running emulator (or MAGDA) with the magda_client library",
        description="Ask a MAGDA endpoint, the emulator by default, and print the answer.",
    )
    vragen = client.add_subparsers(required=True, metavar="VRAAG")
    dossier = vragen.add_parser(
        "dossier", help="GeefDossierKBI for one INSZ", description="GeefDossierKBI for one INSZ."
    )
    dossier.add_argument("insz")
    dossier.add_argument(
        "--versie",
        choices=["02.00", "01.00"],
        default="02.00",
        help="GeefDossierKBI version to ask (default 02.00, the platform's current one)",
    )
    dossier.add_argument(
        "--mutaties-context",
        action="store_true",
        help="send MutatiesContext true (the question follows a mutation notification)",
    )
    _client_opties(dossier)
    dossier.set_defaults(functie=_client_dossier)
    advies_vraag = vragen.add_parser(
        "advies",
        help="Automatisch advies for one INSZ and date",
        description="Automatisch advies for one INSZ and date.",
    )
    advies_vraag.add_argument("insz")
    advies_vraag.add_argument("--datum", required=True, type=_datum, help="YYYY-MM-DD")
    advies_vraag.add_argument("--toepassing", default="ZORGBUDGET", choices=TOEPASSINGEN)
    _client_opties(advies_vraag)
    advies_vraag.set_defaults(functie=_client_advies)
    return parser


def _export_opties(parser: argparse.ArgumentParser, formaten: tuple[str, ...]) -> None:
    parser.add_argument(
        "--format",
        choices=formaten,
        default=formaten[0],
        help=f"output format (default {formaten[0]})",
    )
    parser.add_argument("--out", type=Path, help="write to this file (default: standard output)")
    parser.add_argument(
        "--no-builtin",
        action="store_true",
        help="leave out the built-in personas (only --fixtures folders)",
    )
    _vandaag_optie(parser)
    _fixtures_optie(parser)


def _client_opties(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        default="http://127.0.0.1:8080",
        help="base URL of the MAGDA services (default http://127.0.0.1:8080)",
    )
    parser.add_argument(
        "--afzender",
        default="magda-kbi.cli",
        help="Context Afzender/Identificatie (default magda-kbi.cli)",
    )
    parser.add_argument("--hoedanigheid", default="1", help="Afzender/Hoedanigheid (default 1)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def _vandaag_optie(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--today",
        type=_datum,
        default=None,
        help=f"fix the emulator's today, YYYY-MM-DD (env {OMGEVING_VANDAAG}); "
        "default: the real date",
    )


def _fixtures_optie(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fixtures",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="an extra folder of persona files: *.yaml, or *.jsonl from generate (repeatable)",
    )


def _termijn_opties(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules",
        choices=[r.value for r in Regelset],
        default=None,
        help=f"the rule set: {Regelset.PROTOCOL_V1.value} (default: what the protocols agreed) "
        f"or {Regelset.NA_ARREST_112_2023.value} (every advice OK, as after the Constitutional "
        f"Court's annulment); env {OMGEVING_REGELS}",
    )
    parser.add_argument(
        "--termijn-aanmelding",
        type=int,
        default=Termijnen.aanmelding_maanden,
        metavar="MAANDEN",
        help="registration term in months (default 3)",
    )
    parser.add_argument(
        "--termijn-contract",
        type=int,
        default=Termijnen.contract_maanden,
        metavar="MAANDEN",
        help="contract term in months (default 6)",
    )


def _termijnen(args: argparse.Namespace) -> Termijnen:
    return Termijnen(args.termijn_aanmelding, args.termijn_contract)


def _regelset_uit_omgeving() -> Regelset:
    waarde = os.environ.get(OMGEVING_REGELS) or Regelset.PROTOCOL_V1.value
    try:
        return Regelset(waarde)
    except ValueError:
        bekend = ", ".join(r.value for r in Regelset)
        raise ValueError(f"{OMGEVING_REGELS}={waarde!r} is not a rule set ({bekend})") from None


def _datum(tekst: str) -> date:
    try:
        return date.fromisoformat(tekst)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{tekst!r} is not a date (YYYY-MM-DD)") from None


def _poort_bezet(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (another server has it), or None.

    Bound without SO_REUSEPORT: a server that already listens there, even one that shares
    its port, makes this fail, so two emulators never split one port's requests."""
    import socket

    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(info[0], socket.SOCK_STREAM) as proef:
            proef.bind(info[4])
    except OSError as fout:
        return f"{fout.strerror or fout} (is another emulator still running?)"
    return None


def _vandaag_uit_omgeving() -> date | None:
    waarde = os.environ.get(OMGEVING_VANDAAG)
    if not waarde:
        return None
    try:
        return date.fromisoformat(waarde)
    except ValueError:
        raise ValueError(f"{OMGEVING_VANDAAG}={waarde!r} is not a date (YYYY-MM-DD)") from None


TIJDELIJK_PREFIX = "magda-kbi-store-"  # then the pid of the serve that made it


def _ruim_verweesde_stores() -> None:
    """A serve killed with kill -9 cannot remove its run's store folder: the next serve
    does, for every such folder whose serve no longer runs (a journal with bodies can
    take megabytes)."""
    for map_ in Path(tempfile.gettempdir()).glob(f"{TIJDELIJK_PREFIX}*-*"):
        pid = map_.name[len(TIJDELIJK_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or not (map_ / "state.db").exists():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(map_, ignore_errors=True)
        except OSError:  # another user's process: it lives
            continue


def _serve(args: argparse.Namespace) -> int:
    from magda_kbi.adapters.app import Settings, maak_emulator
    from magda_kbi.adapters.server import serveer

    # Load and check the personas before the server starts: a bad file stops start-up.
    if args.journal_size < 1:
        print("magda-kbi: --journal-size must be at least 1", file=sys.stderr)
        return 2
    token = args.admin_token or os.environ.get(TOKEN_ENV) or None
    if args.admin and not is_loopback(args.host) and token is None:
        print(
            f"magda-kbi: --admin on {args.host} would let anyone who reaches this address "
            "change the emulator: give --admin-token (or MAGDA_KBI_ADMIN_TOKEN), or bind to "
            "127.0.0.1",
            file=sys.stderr,
        )
        return 2
    bezet = _poort_bezet(args.host, args.port)
    if bezet:
        print(f"magda-kbi: cannot listen on {args.host}:{args.port}: {bezet}", file=sys.stderr)
        return 2
    if token:
        os.environ[TOKEN_ENV] = token  # for the workers; never in the settings or the log
    store, tijdelijk = args.store, None
    if store is None:  # state for this run only, as before: a fresh store it removes at exit
        _ruim_verweesde_stores()
        tijdelijk = Path(tempfile.mkdtemp(prefix=f"{TIJDELIJK_PREFIX}{os.getpid()}-"))
        store = f"sqlite:///{tijdelijk / 'state.db'}"
    try:
        from magda_kbi.runtime.store import StoreError, open_store

        open_store(store).close()  # a bad URL, folder or server stops start-up here
    except (StoreError, OSError, sqlite3.Error) as fout:
        print(f"magda-kbi: --store: {fout}", file=sys.stderr)
        return 2
    settings = Settings(
        args.today,
        args.fixtures,
        args.max_bytes,
        _termijnen(args),
        regelset=args.rules,
        admin=args.admin,
        journaal_grootte=args.journal_size,
        protocollen=args.protocols,
        afnemers=args.consumers.resolve() if args.consumers else None,
        audit_log=args.audit_log.resolve() if args.audit_log else None,
        watch=args.watch,
        proxy_headers=args.proxy_headers,
        admin_token=token,
        public_hosts=args.public_host,
        store=store,
    )
    # for the banner and the check: the workers open the store themselves
    emulator = maak_emulator(dataclasses.replace(settings, store=None))
    basis = f"http://{args.host}:{args.port}"
    vandaag = args.today.isoformat() if args.today else "the real date"
    print(
        f"MAGDA KBI emulator {__version__}: {len(emulator.runtime.personas)} personas, "
        f"today = {vandaag}"
    )
    for dienst in emulator.diensten:
        if dienst.contract.pad:
            naam = f"{dienst.naam} {dienst.contract.hoofdversie}"
            print(f"  {naam:<28} {basis}{dienst.contract.pad}  (WSDL: ?wsdl)")
    print(f"  {'generic (Naam+Versie)':<28} {basis}/api/Magda-02.00/soap/WebService")
    print(f"  {'REST':<28} {basis}/api/v1/  (OpenAPI: {basis}/api/v1/openapi.json)")
    print(f"  {'health':<28} {basis}/health")
    print(f"  {'console':<28} {basis}/console/")
    if args.rules is Regelset.NA_ARREST_112_2023:
        print("  rules: after-ruling-112-2023 (every advice OK: the condition was annulled)")
    else:
        print("  rules: protocol-v1 (--rules after-ruling-112-2023 answers as after the ruling)")
    if args.protocols:
        aantal = len(list(emulator.runtime.afnemers))
        print(f"  protocols: ENFORCED ({aantal} known consumers; others are refused)")
    else:
        print("  protocols: off (every caller may call everything; --protocols enforces them)")
    if args.audit_log:
        print(f"  audit log: {args.audit_log.resolve()}")
    if args.watch:
        print("  watching the persona folders for changes (--watch)")
    if args.admin:
        print(f"  {'admin':<28} {basis}/admin/")
    print(f"  store: {store}" + (" (this run only)" if tijdelijk else ""))
    print(flush=True)
    # One thread per worker is the fastest. With --admin two: an injected latency holds its
    # thread, and other calls must go on meanwhile (measured: 2 threads 0.93-1.08x of the
    # throughput without admin, 5 threads 0.8-0.86x).
    threads = args.threads or (2 if args.admin else 1)
    try:
        serveer(settings, args.host, args.port, args.workers, threads)
    finally:
        if tijdelijk is not None:
            shutil.rmtree(tijdelijk, ignore_errors=True)
    return 0


def _personas(args: argparse.Namespace) -> int:
    catalogus = laad_personas([ingebouwde_map(), *args.fixtures])
    if args.json:
        lijst = [
            {
                "insz": p.insz,
                "naam": p.naam,
                "scenario": p.scenario,
                "fout": p.fout,
                "in_kbi": p.dossier is not None,
            }
            for p in catalogus.values()
        ]
        print(json.dumps(lijst, ensure_ascii=False, indent=2))
        return 0
    if args.markdown:
        print(persona_tabel(catalogus.values()))
        return 0
    for p in catalogus.values():
        print(f"{p.insz}  {p.naam:<22} {p.scenario}")
    return 0


def persona_tabel(personas) -> str:
    """The persona table of the README: INSZ, name, scenario, expected answers on key dates."""
    regels = ["| INSZ | Name | Scenario | Expected advice (date: answer) |", "|---|---|---|---|"]
    for p in sorted(personas, key=lambda p: p.insz):
        if p.fout:
            verwacht = f"always {'Uitzondering 99996' if p.fout == '99996' else 'a SOAP Fault'}"
        else:
            verwacht = "<br>".join(
                f"{v.datum}: {v.resultaat}{' ' + v.reden if v.reden else ''}"
                + (" (premium)" if v.toepassing == "VERLAAGDE_PREMIE" else "")
                for v in p.verwacht
            )
        kbi = "" if p.dossier is not None else " (not in KBI)"
        regels.append(f"| `{p.insz}` | {p.naam}{kbi} | {p.scenario} | {verwacht} |")
    return "\n".join(regels)


def _insz_new(args: argparse.Namespace) -> int:
    from magda_kbi.domain.insz import nieuwe_testnummers

    if not 1 <= args.count <= 100_000:
        print("magda-kbi: --count runs from 1 to 100000", file=sys.stderr)
        return 2
    bezet = laad_personas([ingebouwde_map()], contract=False)  # never a built-in persona's
    try:
        nummers = nieuwe_testnummers(args.count, args.birth_date, args.sex, bezet=bezet)
    except ValueError as fout:
        print(f"magda-kbi: {fout}", file=sys.stderr)
        return 2
    print("\n".join(nummers))
    return 0


def _insz_check(args: argparse.Namespace) -> int:
    """Exit 0 for a MAGDA test number, 1 otherwise (with what is wrong and a suggestion)."""
    from magda_kbi.domain.insz import dichtste_testnummer, waarom_geen_testnummer

    reden = waarom_geen_testnummer(args.nummer)
    if reden is None:
        print(f"{args.nummer}: a valid MAGDA test number")
        return 0
    print(f"{args.nummer}: not a MAGDA test number: {reden}")
    dichtste = dichtste_testnummer(args.nummer)
    if dichtste:
        print(f"nearest test number: {dichtste}")
    return 1


def _advies(args: argparse.Namespace) -> int:
    if not modulo97_geldig(args.insz):
        print(f"magda-kbi: {args.insz} is not a valid INSZ (11 digits, modulo 97)", file=sys.stderr)
        return 2
    catalogus = laad_personas([ingebouwde_map(), *args.fixtures])
    persona = catalogus.get(args.insz)
    dossier = persona.dossier if persona else None
    advies = geef_advies(
        dossier,
        args.datum,
        Toepassing(args.toepassing),
        _termijnen(args),
        regelset=args.rules,
        vandaag=args.today or date.today(),
    )
    if args.json:
        print(
            json.dumps(
                {
                    "insz": args.insz,
                    "peildatum": advies.peildatum.isoformat(),
                    "resultaat": advies.resultaat.value,
                    "reden": advies.reden.value if advies.reden else None,
                    "omschrijving": advies.omschrijving,
                    "rule": {"number": advies.regel, "text": REGELS[advies.regel]},
                },
                ensure_ascii=False,
            )
        )
        return 0
    regel = f"{args.insz} on {args.datum} ({args.toepassing}, peildatum {advies.peildatum}): "
    regel += advies.resultaat.value
    if advies.reden:
        regel += f" - {advies.reden.value}: {advies.omschrijving}"
    print(f"{regel}  [{advies.uitleg}]")
    if persona is not None and persona.fout:
        print(f"note: through the server this persona always answers {persona.fout}")
    return 0


def _genereer(args: argparse.Namespace) -> int:
    from magda_kbi.io.population import genereer

    if args.count < 1 or args.per_file < 1:
        print("magda-kbi: --count and --per-file must be at least 1", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    bestaand = sorted(args.out.glob("populatie-*.jsonl"))
    if bestaand and not args.force:
        print(
            f"magda-kbi: {args.out} already holds {len(bestaand)} population file(s) "
            f"({bestaand[0].name}, ...); --force replaces them",
            file=sys.stderr,
        )
        return 2
    for oud in bestaand:  # with --force: none of an earlier, larger population stays behind
        oud.unlink()
    bestand, geschreven = None, 0
    voortgang = Progress(args.count)
    try:
        for persona in genereer(args.count, args.seed):
            if geschreven % args.per_file == 0:
                if bestand is not None:
                    bestand.close()
                nummer = geschreven // args.per_file + 1
                bestand = (args.out / f"populatie-{nummer:05d}.jsonl").open("w", encoding="utf-8")
            bestand.write(json.dumps(persona, ensure_ascii=False) + "\n")
            geschreven += 1
            voortgang.stap()
    finally:
        if bestand is not None:
            bestand.close()
        voortgang.klaar()
    print(f"{geschreven} personas written to {args.out}", file=sys.stderr)
    return 0


class Progress:
    """A progress bar on standard error."""

    def __init__(self, totaal: int) -> None:
        self.totaal, self.gedaan, self.getoond = totaal, 0, -1
        self.terminal = sys.stderr.isatty()  # a log file gets a line per 10 % instead

    def stap(self) -> None:
        self.gedaan += 1
        procent = self.gedaan * 100 // self.totaal
        if procent != self.getoond and (self.terminal or procent % 10 == 0):
            self.getoond = procent
            balk = "#" * (procent // 2)
            print(
                f"\r[{balk:<50}] {procent:3d}% {self.gedaan}/{self.totaal}",
                end="" if self.terminal else "\n",
                file=sys.stderr,
                flush=True,
            )

    def klaar(self) -> None:
        if self.terminal:
            print(file=sys.stderr)


def _bron(args: argparse.Namespace):
    from magda_kbi.io.personas import stroom

    mappen = ([] if args.no_builtin else [ingebouwde_map()]) + list(args.fixtures)
    return stroom(mappen, contract=False)


def _schrijf_uit(args: argparse.Namespace, delen) -> int:
    uit = args.out.open("w", encoding="utf-8", newline="") if args.out else sys.stdout
    try:
        for deel in delen:
            uit.write(deel)
        uit.flush()
    except BrokenPipeError:  # e.g. piped into head: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        if args.out:
            uit.close()
    return 0


def _export_premie(args: argparse.Namespace) -> int:
    from magda_kbi.domain import lists

    vandaag = args.today or date.today()
    items = (
        {"insz": insz}
        for insz in lists.verlaagde_premie(
            _bron(args),
            args.jaar,
            vandaag,
            zorgkas=args.zorgkas,
            termijnen=_termijnen(args),
            regelset=args.rules,
        )
    )
    kop = {"premiejaar": args.jaar, "peildatum": f"{args.jaar - 1}-01-01", "zorgkas": args.zorgkas}
    return _schrijf_uit(
        args, formats.in_formaat(args.format, items, ["insz"], kop, "VerlaagdePremie")
    )


def _consumers(args: argparse.Namespace) -> int:
    from magda_kbi.domain.consumers import DEMO
    from magda_kbi.io.consumer_file import laad_afnemers

    lijst = [*DEMO, *(laad_afnemers(args.consumers) if args.consumers else [])]
    if args.json:
        print(json.dumps([a.als_json() for a in lijst], ensure_ascii=False, indent=2))
        return 0
    print(f"{'Afzender':<28} {'Hoedanigheid':<13} {'kind':<9} name")
    for a in lijst:
        detail = f" (NIS {a.nis})" if a.nis else f" (zorgkas {a.zorgkas})" if a.zorgkas else ""
        print(f"{a.afzender:<28} {a.hoedanigheid:<13} {a.soort.value:<9} {a.naam}{detail}")
    return 0


def _municipalities(args: argparse.Namespace) -> int:
    for nis, naam in sorted(lists.bekende_gemeenten(_bron(args)).items()):
        print(f"{nis}  {naam}")
    return 0


def _export_gemeente(args: argparse.Namespace) -> int:
    vandaag = args.today or date.today()
    if args.year is not None:
        if not 2000 <= args.year <= 2100:
            print("magda-kbi: --year runs from 2000 to 2100", file=sys.stderr)
            return 2
        vandaag = min(vandaag, date(args.year, 1, 1))  # the KBI knows nothing of later
    if not lists.nis_bekend(args.nis, _bron(args)):
        print(
            f"magda-kbi: unknown NIS code {args.nis!r}: no municipality of the register and "
            "nobody's residence; 'magda-kbi municipalities' lists the known ones",
            file=sys.stderr,
        )
        return 2
    if args.lijst == "gemeente":
        items, velden, wortel = (
            lists.gemeente(_bron(args), args.nis, vandaag),
            lists.GEMEENTE_VELDEN,
            "Inburgeraars",
        )
    else:
        items, velden, wortel = (
            lists.participatie(_bron(args), args.nis, vandaag),
            lists.PARTICIPATIE_VELDEN,
            "Participatietraject",
        )
    kop = {"nis": args.nis, "peildatum": vandaag.isoformat()}
    if args.year is not None:
        kop = {"nis": args.nis, "jaar": args.year, "peildatum": vandaag.isoformat()}
    return _schrijf_uit(args, formats.in_formaat(args.format, items, velden, kop, wortel))


def _export_abb(args: argparse.Namespace) -> int:
    try:
        sleutel = args.key_file.read_bytes()
    except OSError as fout:
        print(f"magda-kbi: cannot read the key file: {fout.strerror}", file=sys.stderr)
        return 2
    if len(sleutel) < 32:
        print(
            "magda-kbi: the key file must hold at least 32 bytes (e.g. from "
            "'head -c 32 /dev/urandom')",
            file=sys.stderr,
        )
        return 2
    items = lists.abb(_bron(args), sleutel, args.today or date.today())
    return _schrijf_uit(args, formats.csv_rijen(items, list(lists.ABB_VELDEN)))


def _client_dossier(args: argparse.Namespace) -> int:
    return _client_vraag(
        args,
        lambda c: c.geef_dossier_kbi(args.insz, mutaties_context=args.mutaties_context),
        _toon_dossier,
        dossier_versie=args.versie,
    )


def _client_advies(args: argparse.Namespace) -> int:
    return _client_vraag(
        args,
        lambda c: c.geef_automatisch_advies(args.insz, args.datum, args.toepassing),
        _toon_advies,
    )


def _client_vraag(args: argparse.Namespace, vraag, toon, **opties) -> int:
    """Exit codes: 0 answered, 1 MAGDA answered with an error, 3 no usable answer."""
    from magda_client import MagdaClient, MagdaFout, MagdaTransportFout

    try:
        client = MagdaClient(
            args.url,
            afzender=args.afzender,
            hoedanigheid=args.hoedanigheid,
            timeout=args.timeout,
            **opties,
        )
        resultaat = vraag(client)
    except MagdaFout as fout:
        if args.json:
            print(
                json.dumps(
                    {
                        "fout": {
                            "code": fout.code,
                            "type": fout.type,
                            "oorsprong": fout.oorsprong,
                            "diagnose": fout.diagnose,
                        }
                    },
                    ensure_ascii=False,
                )
            )
        else:
            print(f"MAGDA: {fout.code or '-'} {fout.diagnose}", file=sys.stderr)
            if fout.code == "13001":
                print(
                    "magda-kbi: the emulator enforces protocols: say who asks with --afzender "
                    "and --hoedanigheid; 'magda-kbi consumers' lists the known consumers",
                    file=sys.stderr,
                )
        return 1
    except MagdaTransportFout as fout:
        print(f"magda-kbi: no answer: {fout}", file=sys.stderr)
        return 3
    if args.json:
        print(json.dumps(_als_json(resultaat), ensure_ascii=False, indent=2))
    else:
        print(toon(resultaat))
    return 0


def _als_json(resultaat) -> dict:
    import dataclasses

    data = {k: v for k, v in dataclasses.asdict(resultaat).items() if k != "element"}
    for naam in ("contract_ondertekend", "attest_behaald", "ok"):
        if hasattr(resultaat, naam):
            data[naam] = getattr(resultaat, naam)
    return json.loads(json.dumps(data, default=str))


def _toon_dossier(d) -> str:
    if d.beperkt:  # what the protocol hides is not shown as a fact
        verborgen = "not disclosed to this consumer"
        return "\n".join(
            [
                f"{' '.join(d.voornamen)} {' '.join(d.achternamen)} ({d.insz}), born: {verborgen}",
                f"doelgroep:  {verborgen}",
                f"registered: {verborgen}",
                f"contract:   {'signed' if d.contract_ondertekend else 'not signed'}",
                f"attest:     {'obtained' if d.attest_behaald else 'not obtained'}",
                f"infringements: {verborgen}",
                f"trajectories: {verborgen}",
            ]
        )
    doelgroep = d.doelgroep
    regels = [
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
        regels.append(f"contact:    {', '.join((*(d.telefoonnummers or ()), *(d.emails or ())))}")
    return "\n".join(regels)


def _toon_advies(a) -> str:
    tekst = f"{a.insz} peildatum {a.peildatum}: {a.resultaat}"
    if not a.ok:
        tekst += f" - {a.reden_code}: {a.reden_omschrijving}"
    return tekst


if __name__ == "__main__":
    raise SystemExit(main())
