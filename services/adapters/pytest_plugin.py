"""pytest plugin: a MAGDA KBI emulator for your tests, in-process, reset between tests.

Installed with the package (entry point ``pytest11``), it offers the fixture ``magda``::

    def test_my_zorgkas_refuses_nok(magda):
        insz = magda.new_insz()
        magda.persona({"insz": insz, "scenario": "open infringement", "dossier": {...}})
        magda.today("2024-06-01")
        my_app.check(magda.url, insz)
        assert magda.journal(insz=insz)[0]["afzender"] == "mijn.zorgkas.be"

The emulator starts once per test session on a free port (``magda.url``); before the first
test and after each one, personas, clock, faults and journal go back to their start
values. Options:
``--magda-today YYYY-MM-DD``, ``--magda-fixtures DIR`` (repeatable), and
``--magda-url URL`` to use an emulator you started yourself with ``serve --admin`` (one
pytest-xdist worker at most: each resets it). Under pytest-xdist each worker starts its own.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests

from magda_kbi.adapters.admin_guard import TOKEN_ENV
from magda_kbi.domain.clock import TODAY_RANGE, NoSuchDay, iso_date, today_from_text
from magda_kbi.runtime.wsgi_keys import SOCKET_KEY


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("magda-kbi", "MAGDA KBI emulator")
    group.addoption(
        "--magda-today",
        default=None,
        metavar="YYYY-MM-DD",
        help="the emulator's fixed today (default: the real date)",
    )
    group.addoption(
        "--magda-fixtures",
        action="append",
        default=[],
        metavar="DIR",
        help="an extra folder of persona YAML files (repeatable)",
    )
    group.addoption(
        "--magda-url",
        default=None,
        metavar="URL",
        help="use a running emulator (started with --admin) instead of one in-process",
    )
    group.addoption(
        "--magda-verify-signatures",
        action="store_true",
        help="the emulator checks every SOAP request's WS-Security signature, as "
        "serve --verify-signatures (needs xmlsec)",
    )
    group.addoption(
        "--magda-admin-token",
        default=None,
        metavar="TOKEN",
        help=f"the admin token of the emulator at --magda-url (default: env {TOKEN_ENV})",
    )


def pytest_configure(config: pytest.Config) -> None:
    """A bad option stops the run with one line before any test (it was each test's error,
    with a traceback; under pytest-xdist, each worker's). Checked once, not per worker."""
    today = config.getoption("--magda-today", None)
    if today:
        try:
            today_from_text(today)
        except ValueError as error:  # 2024-02-30: which number is wrong, as serve --today says
            reason = f": {error.reason}" if isinstance(error, NoSuchDay) else ""
            raise pytest.UsageError(
                f"--magda-today: {today!r} is not {TODAY_RANGE}{reason}"
            ) from None
    if hasattr(config, "workerinput"):  # an xdist worker: its controller checked
        return
    url = config.getoption("--magda-url", None)
    if url and (config.getoption("numprocesses", None) or 0) > 1:
        # Each xdist worker resets the one emulator after each of its tests, in the middle
        # of the other workers' tests: their personas, faults and clock gone (seen: a fault
        # set, another worker's test ended, the call answered without it)
        raise pytest.UsageError(
            "--magda-url with pytest-xdist's workers: they would reset that one emulator in"
            " the middle of each other's tests. Run them one at a time (-n 0), or leave"
            " --magda-url out: each worker then starts an emulator of its own"
        )
    if config.getoption("--magda-verify-signatures", False):
        if url:  # that emulator checks them or not as it was started
            raise pytest.UsageError(
                "--magda-verify-signatures with --magda-url: start that emulator with"
                " serve --verify-signatures instead"
            )
        from magda_kbi.adapters.signatures import xmlsec_unavailable

        if unavailable := xmlsec_unavailable():
            raise pytest.UsageError(
                unavailable.replace("--verify-signatures", "--magda-verify-signatures")
            )
    if url:
        reason = _emulator_error(url, _token(config))
        if reason:
            raise pytest.UsageError(f"--magda-url: {reason}")
    folders = config.getoption("--magda-fixtures", None)
    if any(not folder.strip() for folder in folders or ()):  # it read the current folder
        raise pytest.UsageError("--magda-fixtures: is empty (an unset variable?)")
    if folders and not url:
        from magda_kbi.io.checked_files import CheckedFiles
        from magda_kbi.io.personas import (
            FixtureError,
            builtin_folder,
            file_refusal,
            load_personas,
        )

        try:  # as the emulator will load them (the checked-files record makes it once)
            with CheckedFiles() as checked:
                load_personas([builtin_folder(), *map(Path, folders)], checked=checked)
        except FixtureError as error:
            raise pytest.UsageError(f"--magda-fixtures: {file_refusal(error)}") from None


def _token(config: pytest.Config) -> str | None:
    return config.getoption("--magda-admin-token") or os.environ.get(TOKEN_ENV)


def _emulator_error(url: str, token: str | None) -> str | None:
    """Why the emulator at ``url`` cannot serve the tests (no answer, no admin API), or None."""
    if not url.startswith(("http://", "https://")):  # requests: "No connection adapters..."
        return f"{url!r} is no http:// or https:// address (say http://localhost:8080)"
    try:
        MagdaEmulator(url, token).journal()  # reads only: the session's reset changes it
    except requests.RequestException as error:
        return f"the emulator at {url} does not answer: {error}"
    except AssertionError as error:  # the admin API refused: off, or another token
        return str(error)
    return None


class _Session(requests.Session):
    """The admin API's session (``magda.session`` too): the emulator on this machine is
    called directly, not through an HTTP_PROXY elsewhere, which cannot reach it (every
    test failed at its first reset with a ProxyError)."""

    def request(self, method, url, *args, **kwargs):
        if kwargs.get("proxies") is None:
            # imported here: the plugin loads in every pytest run, zeep with the client
            from magda_client.client import no_proxy_for_this_machine

            kwargs["proxies"] = no_proxy_for_this_machine(url, self)
        return super().request(method, url, *args, **kwargs)


class MagdaEmulator:
    """The running emulator and a small helper around its admin API."""

    timeout: float = 10  # seconds per admin call: a hung emulator fails the test, not CI

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.dossier_url = f"{self.url}/GeefDossierKBIDienst-02.00/soap/WebService"
        self.dossier_url_01 = f"{self.url}/GeefDossierKBIDienst-01.00/soap/WebService"
        self.advies_url = f"{self.url}/GeefAutomatischAdviesDienst-01.00/soap/WebService"
        self.session = _Session()
        # The admin API wants a JSON or YAML content type on whatever changes state (no
        # simple cross-origin request can send one), and the token when it has one.
        self.session.headers["Content-Type"] = "application/json"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def persona(self, persona: dict | str, insz: str | None = None) -> dict:
        """Adds or replaces a persona: a dict in the fixture shape, or the YAML text."""
        if isinstance(persona, dict):
            insz = insz or persona.get("insz")
            response = self.session.put(
                f"{self.url}/admin/personas/{insz}", json=persona, timeout=self.timeout
            )
        else:
            if insz is None:
                raise ValueError("with YAML text, give the insz as well")
            response = self.session.put(
                f"{self.url}/admin/personas/{insz}",
                data=persona.encode(),
                headers={"Content-Type": "application/yaml"},
                timeout=self.timeout,
            )
        return self._json(response)

    def remove_persona(self, insz: str) -> None:
        self._json(self.session.delete(f"{self.url}/admin/personas/{insz}", timeout=self.timeout))

    def today(self, day: date | str | None) -> None:
        """Fixes the emulator's today (None: the real date)."""
        value = day.isoformat() if isinstance(day, date) else day
        self._json(
            self.session.put(f"{self.url}/admin/clock", json={"today": value}, timeout=self.timeout)
        )

    def fault(self, kind: str, **options) -> dict:
        """Injects a fault: kind latency|99996|99995|99994|soap_fault|http_500|http_503|drop,
        with service, insz, latency_ms, latency_max_ms, count, share as in the admin API."""
        return self._json(
            self.session.post(
                f"{self.url}/admin/faults", json={"kind": kind, **options}, timeout=self.timeout
            )
        )

    def journal(self, **filters: str) -> list[dict]:
        """Recorded calls, oldest first; filters insz, afzender, operation, since, and kind
        (call, the default; admin; all), as GET /admin/journal takes them."""
        response = self.session.get(
            f"{self.url}/admin/journal", params=filters, timeout=self.timeout
        )
        return self._json(response)["entries"]

    # The first release's Dutch names: kept for one release, deprecated.
    def verwijder_persona(self, insz: str) -> None:
        _deprecated("verwijder_persona()", "remove_persona()")
        self.remove_persona(insz)

    def vandaag(self, day: date | str | None) -> None:
        _deprecated("vandaag()", "today()")
        self.today(day)

    def storing(self, kind: str, **options) -> dict:
        _deprecated("storing()", "fault()")
        return self.fault(kind, **options)

    def journaal(self, **filters: str) -> list[dict]:
        _deprecated("journaal()", "journal()")
        return self.journal(**filters)

    @property
    def sessie(self) -> requests.Session:
        _deprecated("sessie", "session")
        return self.session

    def reset(self) -> None:
        self._json(self.session.post(f"{self.url}/admin/reset", timeout=self.timeout))

    def new_insz(self, birth_date: date | str | None = None, sex: str | None = None) -> str:
        """A MAGDA test number no persona of the emulator has yet (``sex`` ``M`` or ``F``).

        Each number drawn is looked up alone, until one is nobody's: the list of every
        persona took over 90 s per call from an emulator of 200,000 generated ones."""
        from magda_kbi.domain.insz import new_test_numbers

        if isinstance(birth_date, str):
            birth_date = iso_date(birth_date)
        if isinstance(sex, str):  # in any case, as the command line's --sex
            sex = sex.upper()
        taken: set[str] = set()
        while True:  # ends: a birth date's numbers run out (ValueError), as they did before
            insz = new_test_numbers(1, birth_date, sex, taken=taken)[0]
            answer = self.session.get(f"{self.url}/admin/personas/{insz}", timeout=self.timeout)
            if answer.status_code == 404 and _code(answer) == "UNKNOWN_PERSONA":
                return insz
            self._json(answer)  # any other error (the admin API off) is said
            taken.add(insz)

    @staticmethod
    def _json(response: requests.Response):
        if response.status_code >= 400:
            raise AssertionError(
                f"MAGDA emulator admin API: {response.request.method} {response.url} -> "
                f"{response.status_code} {response.text}"
            )
        return response.json() if response.content else None


def _code(response: requests.Response) -> str | None:
    """The ``code`` of an admin API error, if the body is one."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"magda.{old} is deprecated: use magda.{new}", DeprecationWarning, stacklevel=3)


class _Server:
    """The emulator on a threaded werkzeug server in this process."""

    def __init__(self, wsgi) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Handler(WSGIRequestHandler):
            def make_environ(self):
                environ = super().make_environ()
                environ[SOCKET_KEY] = self.connection  # lets a "drop" fault cut the connection
                return environ

            def log_request(self, *args, **kwargs):
                pass

            def log_error(self, *args, **kwargs):
                pass

        self.wsgi = wsgi
        self.server = make_server("127.0.0.1", 0, wsgi, threaded=True, request_handler=Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        # shutdown() waits for the loop's next poll: 0.05 s instead of the default 0.5 s
        # at the end of every test session
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        close = getattr(self.wsgi, "close", None)
        if close is not None:  # the emulator's threads, files and stores
            close()


@pytest.fixture(scope="session")
def magda_server(request: pytest.FixtureRequest) -> Iterator[MagdaEmulator]:
    """The emulator for the whole session (prefer ``magda``, which also resets)."""
    url = request.config.getoption("--magda-url")
    if url:  # someone else's emulator: whatever an earlier run left there goes first
        token = _token(request.config)
        emulator = MagdaEmulator(url, token)
        try:
            emulator.reset()
        except (requests.RequestException, AssertionError):  # gone since pytest_configure
            pytest.fail(f"--magda-url: {_emulator_error(url, token)}", pytrace=False)
        yield emulator
        return
    from magda_kbi.adapters import compat
    from magda_kbi.adapters.app import Settings, make_emulator
    from magda_kbi.io.personas import FixtureError, file_refusal

    # spyne quietly imported here, in the tests' thread: the emulator would import it at its
    # first request for spyne, in the server's thread, and the warnings filters it sets
    # for that while are the whole process's (a test's own filters could be undone)
    compat.import_spyne()
    today = request.config.getoption("--magda-today")
    settings = Settings(
        today=today_from_text(today) if today else None,
        extra_fixtures=[Path(p) for p in request.config.getoption("--magda-fixtures")],
        admin=True,
        verify_signatures=request.config.getoption("--magda-verify-signatures"),
    )
    try:
        emulator = make_emulator(settings)
    except FixtureError as error:  # changed since pytest_configure checked it
        pytest.fail(f"--magda-fixtures: {file_refusal(error)}", pytrace=False)
    server = _Server(emulator)
    try:
        yield MagdaEmulator(server.url)
    finally:
        server.stop()


@pytest.fixture
def magda(magda_server: MagdaEmulator) -> Iterator[MagdaEmulator]:
    """The emulator, back to its start values after the test."""
    yield magda_server
    magda_server.reset()
