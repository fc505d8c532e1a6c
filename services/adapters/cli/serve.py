"""``magda-kbi serve``: the checks before start-up, the run's store and persona catalogue
(kept between runs in the cache folder), the banner, then granian."""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from magda_kbi import __version__
from magda_kbi.adapters import stopping
from magda_kbi.adapters.admin_guard import TOKEN_ENV, host_name, is_loopback
from magda_kbi.adapters.cli.common import (
    COMMANDLINE,
    PATH_TYPE,
    Refused,
    fixtures_option,
    no_empty,
    rule_options,
    today_option,
)
from magda_kbi.domain.advies import RuleSet, Terms
from magda_kbi.io.checked_files import CACHE_DIR_ENV
from magda_kbi.io.personas import builtin_folder, fingerprint

if TYPE_CHECKING:  # the server's modules load when serve runs, not for every command
    from magda_kbi.adapters.app import Emulator, Settings
    from magda_kbi.adapters.server import Tls


ADMIN_TOKEN_MIN = 16  # characters, for an admin API reachable from the network


def _host_names(ctx: click.Context, param: click.Parameter, names: tuple[str, ...]) -> tuple:
    """Names as the Host header carries them, which the admin API compares without the
    port: a URL (http://magda.test), a port (magda.test:8080) or a path never matched, and
    every admin call got a 421."""
    for name in no_empty(ctx, param, names):
        _host_alone(ctx, param, name)
    return names


_ORIGIN = re.compile(r"https?://[^/?#\s]+", re.IGNORECASE)


def _origins(ctx: click.Context, param: click.Parameter, origins: tuple[str, ...]) -> tuple:
    """Origins as a browser's Origin header says them: one with a path or a slash at the
    end (http://localhost:3000/, as copied from the address bar) never matched, and the
    page was refused without a word; in lower case, as the browser writes them."""
    for origin in origins:
        if origin != "*" and not _ORIGIN.fullmatch(origin):
            raise click.BadParameter(
                f"{origin!r} is no origin: scheme://host[:port] without a path or a slash at"
                " the end (http://localhost:3000), as a browser's Origin header says it, or *"
            )
    return tuple(origin.lower() for origin in origins)


def _host_alone(ctx: click.Context, param: click.Parameter, name: str) -> str:
    """A host name or address as such: written as in a URL (``[::1]``, ``127.0.0.1:8080``,
    ``http://...``) ``--host`` said only "cannot listen on ...: Name or service not known"."""
    from urllib.parse import urlsplit

    if not name.strip():
        said = "is empty (an unset variable?)"
    elif "://" in name:
        said = f"is a URL: give its host name, {urlsplit(name).hostname or '...'}"
    elif "/" in name or any(c.isspace() for c in name):
        said = "is no host name (no path, no spaces)"
    elif host_name(name) != name.strip().lower():
        said = f"has a port or brackets: give the name alone, {host_name(name)}"
    else:
        return name
    raise click.BadParameter(f"{name!r} {said}" if name.strip() else said, ctx=ctx, param=param)


@click.command(
    short_help="start the emulator (granian)",
    help="Start the SOAP services, the generic MAGDA endpoint and /health with a production "
    "WSGI server.",
    epilog="Signals: SIGTERM or Ctrl+C answers the requests in flight, then exits 0; SIGHUP "
    "checks the persona, --consumers and --tls-* files again and restarts the workers on them "
    "(a file that does not load is refused in one line, and the workers go on).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    callback=_host_alone,
    help="address or host name to listen on (::1, not [::1]; the port is --port)",
)
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
    "--idle-timeout",
    type=click.IntRange(1, 3600),
    default=30,
    show_default=True,
    metavar="SECONDS",
    help="a connection is closed when it sends no complete request headers for this long, "
    "from its start or between its requests, and a request body that has not all arrived "
    "after as long is logged; behind a load balancer, set it above the balancer's own idle "
    "timeout (AWS ALB: 60)",
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
    callback=_host_names,
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
    "--cors-origin",
    multiple=True,
    metavar="ORIGIN",
    callback=_origins,
    help="a web page on this origin (http://localhost:3000, as a browser's Origin header "
    "says it; * for any) may read the REST API /api/v1/ (repeatable)",
)
@click.option(
    "--watch",
    is_flag=True,
    help="pick up persona files added, changed or removed in the --fixtures folders while "
    "running (within a second; a file that does not load is reported and the previous "
    "personas stay); a changed --consumers or --tls-* file restarts the workers on it, as "
    "a SIGHUP does",
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
    idle_timeout: int,
    admin: bool,
    store: str | None,
    admin_token: str | None,
    public_host: tuple[str, ...],
    journal_size: int,
    protocols: bool,
    consumers: Path | None,
    audit_log: Path | None,
    proxy_headers: bool,
    cors_origin: tuple[str, ...],
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
    from magda_kbi.adapters.server import (
        Tls,
        file_state,
        serve_granian,
        tls_problem,
        watched_files,
    )

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
        tls = Tls(
            _absolute(tls_cert), _absolute(tls_key), tls_client_ca and _absolute(tls_client_ca)
        )
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
        audit_log = _absolute(audit_log)
        try:  # opened once here: a path that cannot be written made every call a 500
            with audit_log.open("a", encoding="utf-8"):
                pass
        except OSError as error:
            raise Refused(
                f"--audit-log: cannot write {audit_log}: {error.strerror or error}"
            ) from None
    if consumers:
        consumers = _absolute(consumers)
        if consumers.is_relative_to("/proc") or str(consumers).startswith(("/dev/std", "/dev/fd/")):
            # /dev/stdin was the pipe's '/proc/N/fd/pipe:[...]': "cannot read it"
            raise Refused(
                f"--consumers {consumers}: serve reads the file in every worker and again at a "
                "SIGHUP, which its input or a pipe cannot give: write it to a file"
            )
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
            from magda_kbi.runtime.store import StoreError, one_line, open_store, shown_url

            # a bad URL, folder or server stops start-up here; so does a read-only one
            open_store(store, refuse_read_only=True).close()
        except (StoreError, OSError, sqlite3.Error) as error:
            if temporary is None:
                raise Refused(f"--store: {error}") from None
            # no --store was given: it was this run's own, in the temporary folder
            raise Refused(
                f"the run's store in the temporary folder (TMPDIR, or --store URL to have it "
                f"elsewhere): {error}"
            ) from None
        settings = Settings(
            today,
            list(fixtures),
            max_bytes,
            Terms(termijn_aanmelding, termijn_contract),
            rule_set=rules,
            admin=admin,
            journal_size=journal_size,
            protocols=protocols,
            consumers=consumers,
            audit_log=audit_log,
            watch=watch,
            proxy_headers=proxy_headers,
            cors_origins=list(cors_origin),
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
        watched = file_state(watched_files(settings, tls))
        try:
            emulator = _emulator_on_catalogue(settings, cache)
        except (StoreError, sqlite3.Error) as error:
            if cache is None or temporary is None:  # a --store's, or the run's own
                raise Refused(f"the persona catalogue {shown_url(catalogue)}: {error}") from None
            # The cache is a saving, never a reason not to serve: its disk full, or another
            # serve importing the same files for longer than SQLite waits, refused the start
            print(
                f"magda-kbi: note: the persona catalogue {cache} cannot be used now"
                f" ({one_line(error)}): this run imports the personas into its own store"
                f" ({CACHE_DIR_ENV} names another cache folder)",
                file=sys.stderr,
            )
            catalogue = f"sqlite:///{temporary / 'catalogue.db'}"
            settings = dataclasses.replace(settings, catalogue=catalogue)
            try:
                emulator = _emulator_on_catalogue(settings, None)
            except (StoreError, sqlite3.Error) as again:
                raise Refused(f"the persona catalogue {shown_url(catalogue)}: {again}") from None
        loaded = time.monotonic() - begin
        if stopping.stop_asked():
            return
        banner = _banner(
            emulator, settings, host, port, tls, run_only=temporary is not None, loaded=loaded
        )
        emulator.close()  # the workers open their own: none of its connections is forked
        if cleaned:
            names = ", ".join(p.name for p in cleaned)
            banner.append(
                f"  removed catalogues not served for {CATALOGUE_KEEP_DAYS} days: {names}"
            )
        print("\n".join(banner))
        print(flush=True)
        if stopping.stop_asked():
            return
        # One thread per worker is the fastest. With --admin two: an injected latency holds its
        # thread, and other calls must go on meanwhile (measured: 2 threads 0.93-1.08x of the
        # throughput without admin, 5 threads 0.8-0.86x).
        serve_granian(
            settings,
            address,
            port,
            workers,
            threads or (2 if admin else 1),
            tls,
            files_before,
            watched,
            idle_timeout=idle_timeout,
        )
    finally:
        if in_use is not None:
            in_use.close()
        if run_lock is not None:
            run_lock.close()
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


def _banner(
    emulator: Emulator,
    settings: Settings,
    host: str,
    port: int,
    tls: Tls | None,
    *,
    run_only: bool,
    loaded: float,
) -> list[str]:
    """What serve prints before it serves: where to call it, the settings that change its
    answers, where its state is."""
    from magda_kbi.runtime.store import shown_url

    # 0.0.0.0 and :: are where it listens, no address to call: the loopback's are
    shown_host = _callable_host(host)
    # an IPv6 address stands in brackets in a URL (RFC 3986): http://::1:8080/ is none
    base = f"{'https' if tls else 'http'}://"
    base += f"{f'[{shown_host}]' if ':' in shown_host else shown_host}:{port}"
    # a kept store may add, change or remove personas (the admin API's): the parent does
    # not open it, /health counts what the workers serve
    kept = "" if run_only else " in files (the store may hold changes: /health counts them)"
    today = settings.today.isoformat() if settings.today else "the real date"
    lines = [
        f"MAGDA KBI emulator {__version__}: {len(emulator.runtime.personas)} personas"
        f"{kept}, today = {today}"
    ]
    for service in emulator.diensten:
        if service.contract.path:
            name = f"{service.naam} {service.contract.major_version}"
            lines.append(f"  {name:<28} {base}{service.contract.path}  (WSDL: ?wsdl)")
    lines += [
        f"  {'generic (Naam+Versie)':<28} {base}/api/Magda-02.00/soap/WebService",
        f"  {'REST':<28} {base}/api/v1/  (OpenAPI: {base}/api/v1/openapi.json)",
        f"  {'health':<28} {base}/health",
        f"  {'console':<28} {base}/console/",
    ]
    if shown_host != host:
        lines.append(
            f"  listening on every address ({host}): from another machine, this one's name"
            " or address instead of " + shown_host
        )
    if settings.rule_set is RuleSet.NA_ARREST_112_2023:
        lines.append("  rules: after-ruling-112-2023 (every advice OK: the condition was annulled)")
    else:
        lines.append(
            "  rules: protocol-v1 (--rules after-ruling-112-2023 answers as after the ruling)"
        )
    if settings.protocols:
        count = len(list(emulator.runtime.afnemers))
        lines.append(f"  protocols: ENFORCED ({count} known consumers; others are refused)")
    else:
        lines.append(
            "  protocols: off (every caller may call everything; --protocols enforces them)"
        )
    if settings.verify_signatures:
        lines.append("  signatures: checked (a SOAP request without a signature that holds: Fault)")
    if settings.audit_log:
        lines.append(f"  audit log: {settings.audit_log}")
    if settings.cors_origins:
        lines.append(f"  REST readable by web pages of: {', '.join(settings.cors_origins)}")
    if settings.watch:
        lines.append("  watching the persona folders for changes (--watch)")
    if settings.admin:
        lines.append(f"  {'admin':<28} {base}/admin/")
    if tls:
        lines.append(
            f"  TLS: certificate {tls.certificate}; "
            + (
                f"clients need a certificate signed by {tls.client_ca}"
                if tls.client_ca
                else "no client certificate asked (--tls-client-ca asks for one)"
            )
        )
    store, catalogue = settings.store or "", settings.catalogue or ""
    lines.append(f"  store: {shown_url(store)}" + (" (this run only)" if run_only else ""))
    if catalogue != store:
        lines.append(
            f"  personas: {shown_url(catalogue)} (ready in {loaded:.1f} s; files imported"
            " when changed)"
        )
    return lines


def _absolute(path: Path) -> Path:
    """Absolute, its links not followed: serve reads the file again at a SIGHUP, and it must
    be what the path names then. Resolved at the start, a Kubernetes Secret's or ConfigMap's
    file (a link through ``..data`` to a folder each update replaces) named the removed
    folder after an update: the SIGHUP was refused. And /dev/stdout resolved to a pipe's
    '/proc/N/fd/pipe:[...]', which is no path (serve's output piped, as in a container)."""
    return Path(os.path.abspath(path))


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
        if error.errno == errno.EACCES and 0 < port < 1024:
            return host, (
                f"{error.strerror} (a port below 1024 needs root or CAP_NET_BIND_SERVICE:"
                " --port 8080, with a proxy in front for port 80 or 443)"
            )
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
        lock = folder / RUN_LOCK
        try:
            if not (folder / "state.db").exists():
                continue
            locked = fcntl is not None and lock.exists()
        except OSError:  # another user's folder, not to be looked into (nor removed)
            continue
        if locked:
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
