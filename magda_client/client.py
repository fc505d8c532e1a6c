"""``MagdaClient``: one zeep client for the emulator and the real MAGDA platform.

zeep builds and sends the request from our WSDL (shipped as package data, parsed once per
client) through a ``requests`` session that carries timeouts, client certificates and,
optionally, a WS-Security signature. The reply is read with lxml, leniently, into typed
results or typed errors (:mod:`magda_client.errors`).
"""

from __future__ import annotations

import importlib.util
import ipaddress
import logging
import math
import os
import random
import re
import ssl
import time
import urllib.parse
import uuid
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Self
from zoneinfo import ZoneInfo

import requests
import urllib3
import zeep
from lxml import etree
from zeep.transports import Transport

from .errors import MagdaError, MagdaTransportFout, OngeldigVerzoek, TeVeelBevragingen
from .reply import MAX_REPLY_BYTES, read_repliek
from .results import Advies, KbiDossier, read_advies, read_dossier

# ZORGBUDGET is the zorgbudget voor zwaar zorgbehoevenden, the one budget with the
# inburgering condition (its longer name says so); the other two never carry it.
TOEPASSINGEN = (
    "ZORGBUDGET",
    "ZORGBUDGET_ZWAAR_ZORGBEHOEVENDEN",
    "VERLAAGDE_PREMIE",
    "ZORGBUDGET_OUDEREN",
    "BASISONDERSTEUNINGSBUDGET",
)
# A request's Tijdstip is the platform's local time, as its replies' (no zone on the wire):
# a consumer on UTC (a container, a CI runner) sent times an hour or two off
PLATFORM_ZONE = ZoneInfo("Europe/Brussels")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Service:
    name: str  # Context/Naam
    version: str  # Context/Versie
    path: str
    namespace: str
    wsdl: str

    @property
    def major_version(self) -> str:
        return self.version[:5]


DOSSIER_VERSIONS = {
    "01.00": _Service(
        "GeefDossierKBI",
        "01.00.0000",
        "GeefDossierKBIDienst-01.00/soap/WebService",
        "http://webservice.GeefDossierKBI-01.00.kbi-01.00.vip.vlaanderen.be",
        "GeefDossierKBI-01.00.wsdl",
    ),
    "02.00": _Service(
        "GeefDossierKBI",
        "02.00.0000",
        "GeefDossierKBIDienst-02.00/soap/WebService",
        "http://webservice.GeefDossierKBI-02.00.kbi-02.00.vip.vlaanderen.be",
        "GeefDossierKBI-02.00.wsdl",
    ),
}
ADVIES = _Service(
    "GeefAutomatischAdvies",
    "01.00.0000",
    "GeefAutomatischAdviesDienst-01.00/soap/WebService",
    "http://webservice.GeefAutomatischAdvies-01.00.kbi-01.00.vip.vlaanderen.be",
    "GeefAutomatischAdvies-01.00.wsdl",
)


@dataclass(frozen=True)
class _Http:
    """A reply as it came over HTTP, read within the size limit and the timeout."""

    status_code: int
    content: bytes
    location: str | None


def no_proxy_for_this_machine(url: str, session: requests.Session) -> dict | None:
    """Per-request ``proxies`` that keep an address on this machine (127.0.0.1, ::1,
    localhost: the emulator) from a proxy elsewhere, or None to leave the choice to
    requests. A corporate HTTP_PROXY sent every call to the emulator to the proxy, which
    cannot reach this machine's loopback (NO_PROXY=localhost does not cover 127.0.0.1):
    every call failed there. A proxy on this machine (a debugging proxy) is still used, and
    so are the proxies a session names itself."""
    if session.proxies or not session.trust_env or not _on_this_machine(url):
        return None
    if not any(n.lower() in _PROXY_VARIABLES for n in os.environ):  # the usual case
        return None  # (requests' own look at the environment below took 170 us a call)
    proxy = requests.utils.select_proxy(url, requests.utils.get_environ_proxies(url))
    if not proxy or _on_this_machine(proxy if "://" in proxy else f"http://{proxy}"):
        return None
    return {"http": None, "https": None, "all": None}  # None: no proxy, whatever the environment


_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy"})


def _contract_folder() -> Path:
    """The WSDL and XSD shipped with the client, from the import spec of their package:
    importlib.resources gave no folder where the package was loaded through an import hook
    without a resource reader (pytest 6 loads every package of a plugin's distribution
    through its assertion rewriting: the client found no WSDL under the emulator's plugin)."""
    spec = importlib.util.find_spec("magda_client.contract")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("no folder magda_client/contract: reinstall magda-kbi-client")
    return Path(spec.submodule_search_locations[0])


def _on_this_machine(url: str) -> bool:
    host = (urllib.parse.urlsplit(url).hostname or "").rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):  # RFC 6761: always loopback
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Transport(Transport):
    """zeep's transport, reading the reply within bounds and passing the session's
    ``verify`` and ``cert`` on every request (and for the emulator on this machine, no
    proxy from the environment: :func:`no_proxy_for_this_machine`).

    requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE from the environment override a
    Session's ``verify`` (psf/requests#3829, open): on such a machine the CA given for
    MAGDA would silently be ignored. A per-request value is not overridden.

    A redirect is not followed: requests would resend a SOAP POST as a GET (301, 302), or
    send the question and the client certificate to another host (307, 308).
    """

    def post(self, address, message, headers):
        deadline = time.monotonic() + self.operation_timeout  # for both tries together
        try:
            return self._post(address, message, headers, deadline)
        except requests.ConnectionError as error:
            if not _dropped_before_reply(error) or time.monotonic() >= deadline:
                raise
            # A kept connection the server closed as the request went out (an idle timeout,
            # a restart): nothing came back, so the same message goes once more on a new
            # connection, as Java's HttpURLConnection resends a POST. These are questions
            # (Geef...): asked twice, answered the same.
            log.debug("POST %s: the connection closed before any reply; once more", address)
            return self._post(address, message, headers, deadline)

    def _post(self, address, message, headers, deadline: float):
        log.debug("POST %s", address)
        with self.session.post(
            address,
            data=message,
            headers=headers,
            timeout=max(deadline - time.monotonic(), 0.001),
            verify=self.session.verify,
            cert=self.session.cert,
            proxies=no_proxy_for_this_machine(address, self.session),
            allow_redirects=False,
            stream=True,
        ) as response:
            body = _read_bounded(response, address, deadline, self.operation_timeout)
            return _Http(response.status_code, body, response.headers.get("Location"))


def _read_bounded(
    response: requests.Response, address: str, deadline: float, timeout: float
) -> bytes:
    """The body, at most MAX_REPLY_BYTES bytes (decompressed) and in ``timeout`` seconds from
    the request: requests' own timeout is per read, so a reply that trickles in, or one
    without end, would otherwise be waited for and held in memory for ever."""
    if response._content is not False:  # already read: by a response hook of the session
        if len(response.content) > MAX_REPLY_BYTES:
            raise _too_large(address, response.status_code)
        return response.content
    length = response.headers.get("Content-Length", "")
    # isdigit alone takes other digits (a header's byte 0xB2 is '²'), which int() refuses
    if length.isascii() and length.isdigit() and int(length) > MAX_REPLY_BYTES:
        raise _too_large(address, response.status_code)
    parts, received = [], 0
    try:
        # read1: what has arrived, at most 64 KiB decompressed (iter_content would wait
        # for 64 KiB or the end)
        while part := response.raw.read1(64 * 1024, decode_content=True):
            received += len(part)
            if received > MAX_REPLY_BYTES:
                raise _too_large(address, response.status_code)
            if time.monotonic() > deadline:
                raise MagdaTransportFout(
                    f"timeout: the reply from {address} took longer than {timeout} s",
                    status=response.status_code,
                )
            parts.append(part)
    except (urllib3.exceptions.HTTPError, OSError) as error:
        raise MagdaTransportFout(
            f"the reply from {address} broke off after {received} bytes: {error}",
            status=response.status_code,
        ) from None
    return b"".join(parts)


def _too_large(address: str, status: int) -> MagdaTransportFout:
    return MagdaTransportFout(
        f"the reply from {address} is larger than {MAX_REPLY_BYTES} bytes", status=status
    )


@dataclass(frozen=True)
class Signing:
    """WS-Security X.509 signing of every request (needs the ``signing`` extra: xmlsec).

    ``key`` and ``certificate`` are PEM files; ``password`` unlocks the key.
    """

    key: Path | str
    certificate: Path | str
    password: str | None = None

    def plugin(self):
        try:
            import xmlsec
            from zeep.wsse.signature import Signature
        except ImportError as error:  # zeep imports xmlsec lazily
            raise RuntimeError(
                "signing needs xmlsec: pip install 'magda-kbi-client[signing]' (or the"
                " emulator's 'magda-kbi-emulator[signing]', which has the client inside)"
            ) from error
        except Exception as error:  # xmlsec's InternalError: its libxml2 is not lxml's
            reason = error.args[-1] if error.args and isinstance(error.args[-1], str) else error
            raise RuntimeError(
                f"signing cannot use xmlsec: {reason} (lxml here is built with libxml2"
                f" {'.'.join(map(str, etree.LIBXML_VERSION))}, xmlsec must be built with the"
                " same: pip install -U lxml xmlsec)"
            ) from None
        # Loaded once here: zeep loads them at every call, where a bad key was an
        # xmlsec.Error (no MagdaError) and an encrypted one without its password made
        # OpenSSL ask for a pass phrase on the terminal, at every call.
        try:
            key = Path(self.key).read_bytes()
            certificate = Path(self.certificate).read_bytes()
        except OSError as error:
            raise ValueError(f"signing: cannot read {error.filename!r}: {error.strerror}") from None
        if self.password is None and b"ENCRYPTED" in key:
            raise ValueError(f"signing: the key {str(self.key)!r} is encrypted: give its password")
        try:
            pem = xmlsec.constants.KeyDataFormatPem
            xmlsec.Key.from_memory(key, pem, self.password).load_cert_from_memory(certificate, pem)
        except xmlsec.Error as error:
            reason = _der_hint(self.key) or _der_hint(self.certificate)
            raise ValueError(
                f"signing: cannot use the key {str(self.key)!r} with the certificate"
                f" {str(self.certificate)!r} (PEM files; the password if the key has one):"
                f" {reason or _xmlsec_reason(error)}"
            ) from None
        plugin = Signature(str(self.key), str(self.certificate), self.password)
        _check_pair(plugin, self)
        return plugin


class Ondertekening(Signing):
    """Deprecated, kept for one release: :class:`Signing` (``key``, ``certificate``,
    ``password``), the first release's Dutch name and fields."""

    def __init__(
        self, sleutel: Path | str, certificaat: Path | str, wachtwoord: str | None = None
    ) -> None:
        warnings.warn(
            "magda_client.Ondertekening(sleutel, certificaat, wachtwoord) is deprecated:"
            " use magda_client.Signing(key, certificate, password)",
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__(sleutel, certificaat, wachtwoord)


NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def _check_pair(plugin, signing: Signing) -> None:
    """Signs an empty envelope and checks it with the certificate (about 5 ms, once): a key
    that does not belong to its certificate signed every request without a word, and only
    the platform's refusal said something was wrong."""
    import xmlsec
    from zeep.wsse.signature import SignatureVerificationFailed, verify_envelope

    envelope = etree.Element(f"{{{NS_SOAP}}}Envelope")
    etree.SubElement(envelope, f"{{{NS_SOAP}}}Header")
    etree.SubElement(envelope, f"{{{NS_SOAP}}}Body")
    key, certificate = str(signing.key), str(signing.certificate)
    try:
        signed, _ = plugin.apply(envelope, {})
    except xmlsec.Error as error:  # at every call, outside MagdaError
        raise ValueError(
            f"signing: cannot sign with the key {key!r} (zeep signs RSA-SHA1: an RSA key"
            f" is needed): {_xmlsec_reason(error)}"
        ) from None
    try:
        verify_envelope(signed, certificate)
    except SignatureVerificationFailed:
        raise ValueError(
            f"signing: the key {key!r} is not the key of the certificate {certificate!r}:"
            " every signature would be refused"
        ) from None


class MagdaClient:
    """Calls GeefDossierKBI and Automatisch advies on ``base_url``.

    ``dossier_versie`` is the GeefDossierKBI version asked: ``"02.00"`` (the platform's
    current version, the default) or ``"01.00"``. The service paths follow MAGDA's layout
    (``{base_url}/GeefDossierKBIDienst-02.00/soap/WebService``); ``addresses`` overrides them
    per service (keys ``"GeefDossierKBI"`` and ``"GeefAutomatischAdvies"``, full URLs).
    A ``99996`` or ``99995`` answer is retried ``retries`` times with exponential backoff
    (``backoff`` seconds, doubled per try, capped at ``max_backoff``) and full jitter
    before :class:`TeVeelBevragingen` is raised.
    """

    def __init__(
        self,
        base_url: str,
        *,
        afzender: str,
        hoedanigheid: str,
        timeout: float = 10.0,
        cert: str | tuple[str, str] | None = None,
        verify: bool | str = True,
        signing: Signing | None = None,
        retries: int = 3,
        backoff: float = 0.2,
        max_backoff: float = 5.0,
        addresses: Mapping[str, str] | None = None,
        session: requests.Session | None = None,
        dossier_versie: str = "02.00",
        adressen: Mapping[str, str] | None = None,  # deprecated: addresses
    ) -> None:
        if adressen is not None:  # the first release's name, kept for one release
            warnings.warn(
                "MagdaClient(adressen=...) is deprecated: use addresses=",
                DeprecationWarning,
                stacklevel=2,
            )
            if addresses is not None:
                raise ValueError("give addresses only (adressen is its deprecated name)")
            addresses = adressen
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"retries must be a whole number, 0 or more, not {retries!r}")
        _seconds("timeout", timeout, more_than_0=True)
        _seconds("backoff", backoff)
        _seconds("max_backoff", max_backoff)
        if dossier_versie not in DOSSIER_VERSIONS:
            raise ValueError(
                f"dossier_versie must be one of {', '.join(DOSSIER_VERSIONS)},"
                f" not {dossier_versie!r}"
            )
        if not isinstance(afzender, str) or not afzender.strip():
            raise ValueError(
                "afzender must be your MAGDA Identificatie (e.g. 'mijn.zorgkas.be'),"
                f" not {afzender!r}"
            )
        if not isinstance(hoedanigheid, str):
            raise ValueError(f"hoedanigheid must be text (e.g. '1234'), not {hoedanigheid!r}")
        self.dossier = DOSSIER_VERSIONS[dossier_versie]
        self.afzender, self.hoedanigheid = afzender, hoedanigheid
        self.retries, self.backoff, self.max_backoff = retries, backoff, max_backoff
        self.timeout = timeout
        _check_tls_files(cert, verify)
        self._own_session = session is None  # a session given is the giver's to close
        self.session = session or requests.Session()
        self.session.cert = cert
        self.session.verify = verify
        transport = _Transport(session=self.session, timeout=timeout, operation_timeout=timeout)
        wsse = signing.plugin() if signing else None
        addresses = dict(addresses or {})
        self._services = {}
        for service in (self.dossier, ADVIES):
            wsdl = _contract_folder() / service.wsdl
            client = zeep.Client(str(wsdl), transport=transport, wsse=wsse)
            client.settings.raw_response = True  # the reply is read leniently by us
            if service.name in addresses:
                address = _http_url(addresses.pop(service.name), f"addresses[{service.name!r}]")
            else:
                address = f"{_root_url(base_url)}/{service.path}"
            binding = f"{{{service.namespace}}}{service.name}Binding"
            self._services[service.name] = client.create_service(binding, address)
        if addresses:
            raise ValueError(f"unknown services in addresses: {', '.join(addresses)}")
        self._sleep = time.sleep

    def close(self) -> None:
        """Closes the connections this client opened (not those of a ``session`` given)."""
        if self._own_session:
            self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def geef_dossier_kbi(self, insz: str, *, mutaties_context: bool = False) -> KbiDossier:
        """One person's dossier. ``mutaties_context``: True when the question follows a
        mutation notification (the contract's ``Inhoud/MutatiesContext``)."""
        insz = _check_insz(insz)
        if not isinstance(mutaties_context, bool):  # zeep sent "false" and 0 as false, "ja" true
            raise OngeldigVerzoek(
                f"MutatiesContext: {mutaties_context!r} is geen boolean (True of False)",
                oorsprong="CLIENT",
            )
        content = {"MutatiesContext": mutaties_context, "INSZ": insz}
        element, uitzonderingen, referte = self._ask(self.dossier, content, "KBIDossier")
        return read_dossier(element, insz, uitzonderingen, self.dossier.major_version, referte)

    def geef_automatisch_advies(
        self, insz: str, datum: date | str, toepassing: str = "ZORGBUDGET"
    ) -> Advies:
        insz = _check_insz(insz)
        given = datum
        if isinstance(datum, datetime):  # the day it falls on
            datum = datum.date()
        try:
            datum = date.fromisoformat(datum) if isinstance(datum, str) else datum
        except ValueError:
            datum = None
        if not isinstance(datum, date):
            raise OngeldigVerzoek(
                f"Datum: {given!r} is geen datum (JJJJ-MM-DD)", oorsprong="CLIENT"
            )
        if toepassing not in TOEPASSINGEN:
            raise OngeldigVerzoek(
                f"Toepassing: {toepassing!r} is niet één van {TOEPASSINGEN}", oorsprong="CLIENT"
            )
        criteria = {"INSZ": insz, "Datum": datum, "Toepassing": toepassing}
        element, uitzonderingen, referte = self._ask(ADVIES, {"Criteria": criteria}, "Advies")
        return read_advies(element, insz, uitzonderingen, referte)

    def _ask(self, service: _Service, vraag: dict, content: str):
        """``vraag`` is the Vraag's Inhoud; ``content`` the element the answer holds."""
        attempt = 0
        while True:
            try:
                return self._once(service, vraag, content)
            except TeVeelBevragingen:
                if attempt >= self.retries:
                    raise
                ceiling = min(self.max_backoff, self.backoff * 2**attempt)
                self._sleep(random.uniform(0, ceiling))
                attempt += 1

    def _once(self, service: _Service, vraag: dict, content: str):
        referte = str(uuid.uuid4())  # fresh per call: MAGDA echoes it
        try:
            element, uitzonderingen = self._send(service, vraag, content, referte)
        except MagdaError as error:
            error.referte = referte  # the call that failed: MAGDA's helpdesk finds it by it
            raise
        return element, uitzonderingen, referte

    def _send(self, service: _Service, vraag: dict, content: str, referte: str):
        now = datetime.now(PLATFORM_ZONE)
        verzoek = {
            "Context": {
                "Naam": service.name,
                "Versie": service.version,
                "Bericht": {
                    "Type": "VRAAG",
                    "Tijdstip": {
                        "Datum": now.date().isoformat(),  # DatumType is a string, as in MAGDA
                        "Tijd": now.strftime("%H:%M:%S.") + f"{now.microsecond // 1000:03d}",
                    },
                    "Afzender": {
                        "Identificatie": self.afzender,
                        "Referte": referte,
                        "Hoedanigheid": self.hoedanigheid,
                    },
                },
            },
            "Vragen": {"Vraag": {"Referte": referte, "Inhoud": vraag}},
        }
        operation = getattr(self._services[service.name], service.name)
        try:
            response = operation(Verzoek=verzoek)
        except requests.Timeout as error:
            # requests' text names urllib3's pool and what was left of the deadline
            # ("read timeout=0.9999856"): said here as the client's own timeout
            waited = "no connection" if isinstance(error, requests.ConnectTimeout) else "no answer"
            where = f" at {error.request.url}" if error.request is not None else ""
            raise MagdaTransportFout(
                f"timeout calling {service.name}{where}: {waited} within {self.timeout:g} s"
            ) from None
        except requests.RequestException as error:
            raise MagdaTransportFout(_transport_reason(service.name, error)) from None
        if 300 <= response.status_code < 400:
            raise MagdaTransportFout(
                f"HTTP {response.status_code}: {service.name} redirects to {response.location};"
                " not followed (a MAGDA request is not resent elsewhere unasked): if that is"
                " the service, use that address",
                status=response.status_code,
            )
        return read_repliek(response.status_code, response.content, referte, content)


def _dropped_before_reply(raised: requests.ConnectionError) -> bool:
    """Whether the server closed the connection before any byte of a reply (requests wraps
    urllib3's ProtocolError around it): not a refused connection, nor a timeout (the reply
    is read later, in _read_bounded)."""
    pending: list[object] = [raised]
    while pending:
        error = pending.pop()
        # http.client's RemoteDisconnected is a ConnectionResetError; a pipe broken while
        # the request was sent is the same closed connection
        if isinstance(error, ConnectionResetError | BrokenPipeError):
            return True
        if isinstance(error, BaseException):
            pending.extend(error.args)
    return False


# What OpenSSL says when an https:// address answers in plain HTTP (3.0: the first;
# later versions: the others), and the start of a TLS alert record (type 21, version 3.x)
# that an http:// request gets back from a TLS port, as http.client shows it.
_PLAIN_HTTP = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG")
_TLS_ANSWER = "BadStatusLine('\\x15\\x03"
_SSL_SOURCE_LINE = re.compile(r" \(_ssl\.c:\d+\)$")


def _transport_reason(name: str, error: requests.RequestException) -> str:
    text = str(error)
    os_error = _os_error(error)
    reason = os_error.strerror if os_error is not None else None
    if isinstance(error, requests.exceptions.SSLError):
        # OpenSSL's words ('[SSL: WRONG_VERSION_NUMBER] wrong version number'), not requests'
        # text around them: urllib3's pool and retry reprs and the C file's line
        detail = _SSL_SOURCE_LINE.sub("", reason) if reason else text
        if any(code in text for code in _PLAIN_HTTP):
            return f"{name} does not speak TLS at this address (http://, not https://?): {detail}"
        # reachable: the TLS handshake failed
        return (
            f"TLS with {name} failed (check verify=, the CA bundle, and cert=, the client"
            f" certificate): {detail}"
        )
    if _TLS_ANSWER in text:
        return f"{name} answers with TLS at this address: use https://, not http://"
    if reason is not None and error.request is not None:
        # requests' text wraps it in urllib3's pool and retry reprs, ~300 characters
        url = error.request.url
        if isinstance(os_error, ConnectionResetError) and url.startswith("http://"):
            # a TLS port sends its alert and closes, the rest of the call unread: the kernel
            # then resets the connection, and the alert is lost with it now and then
            reason += " (if the port speaks TLS, use https://: it resets a plain call now and then)"
        return f"{name} not reachable at {url}: {reason}"
    return f"{name} not reachable: {text}"


def _os_error(raised: BaseException) -> OSError | None:
    """The operating system's error under requests' and urllib3's wrappers (its strerror:
    'Connection refused', 'Name or service not known'), if there is one."""
    pending: list[object] = [raised]
    while pending:
        error = pending.pop()
        if isinstance(error, OSError) and error.strerror:
            return error
        if isinstance(error, BaseException):
            pending.extend((*error.args, error.__cause__, getattr(error, "reason", None)))
    return None


def _http_url(url: str, name: str) -> str:
    """Checked when the client is made: requests would only say so at the first call (a port
    of letters or above 65535 was "no answer ... Failed to parse", as if the platform were
    down; an unclosed "[" a bare "Invalid IPv6 URL" that named no setting)."""
    why = ""
    try:
        parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
        _ = parts and parts.port  # urlsplit reads the port only when asked
    except ValueError as error:
        parts, why = None, f" ({error})"
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} must be an http:// or https:// URL, not {url!r}{why}")
    return url


def _xmlsec_reason(error: Exception) -> str:
    """xmlsec's words: its errors are (code, words), printed as a tuple ("(1, 'cannot load
    key')")."""
    words = [str(a) for a in error.args if not isinstance(a, int)]
    return "; ".join(words) or str(error)


class _EncryptedKey(Exception):
    pass


def _no_password() -> str:
    raise _EncryptedKey  # asked only for an encrypted key (else OpenSSL prompts on the tty)


def _der_hint(path, pem: str = "client.crt") -> str | None:
    """What to do with a certificate file in DER (binary, its first byte an ASN.1 SEQUENCE)
    where requests takes PEM: a PKCS#12 bundle (.p12, .pfx), as certificates for the platform
    are often handed out, or a DER certificate (.cer, .der), made into ``pem``. None for any
    other file."""
    try:
        with open(path, "rb") as file:
            if file.read(1) != b"\x30":
                return None
    except (OSError, TypeError):
        return None
    return (
        "a binary (DER) file, not PEM: a PKCS#12 bundle (.p12, .pfx) becomes one PEM file with"
        " 'openssl pkcs12 -in FILE -out client.pem -nodes', a DER certificate (.cer, .der) with"
        f" 'openssl x509 -inform der -in FILE -out {pem}'"
    )


def _check_tls_files(cert, verify) -> None:
    """The client certificate and CA bundle loaded once when the client is made: requests
    loads them at the first call, where a missing file was a bare OSError (no MagdaError)
    and a wrong one "not reachable: ... PEM lib"."""
    if cert is not None:
        if isinstance(cert, str | os.PathLike):
            certificate, key = cert, None
        elif isinstance(cert, tuple | list) and len(cert) == 2:
            certificate, key = cert
        else:
            raise ValueError(f"cert must be a PEM file or (CERT_FILE, KEY_FILE), not {cert!r}")
        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(
                certificate, key, password=_no_password
            )
        except _EncryptedKey:
            raise ValueError(
                f"cert: the private key of {cert!r} is encrypted; requests can only use an"
                " unencrypted key (openssl pkey -in KEY -out KEY.plain)"
            ) from None
        except (OSError, TypeError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            if isinstance(error, ssl.SSLError) and error.reason in (None, "PEM_LIB"):
                reason = _der_hint(certificate) or (
                    "no PEM certificate with its private key (a key in a file of its own:"
                    " cert=(CERT_FILE, KEY_FILE))"
                )
            raise ValueError(
                f"cert: cannot use {cert!r} as the client certificate: {reason}"
            ) from None
    if isinstance(verify, str | os.PathLike):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        try:
            if os.path.isdir(verify):
                context.load_verify_locations(capath=verify)
            else:
                context.load_verify_locations(cafile=verify)
        except OSError as error:
            reason = error.strerror if not isinstance(error, ssl.SSLError) else error
            if isinstance(error, ssl.SSLError):
                reason = _der_hint(verify, "ca.pem") or reason
            raise ValueError(f"verify: cannot use {verify!r} as the CA bundle: {reason}") from None


def _seconds(name: str, value: object, *, more_than_0: bool = False) -> None:
    """Checked when the client is made: a string or None was a TypeError of a comparison,
    an infinite timeout an OverflowError at the first call, a negative backoff taken."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number of seconds, not {value!r}")
    if more_than_0 and value <= 0:
        raise ValueError(f"{name} must be more than 0 seconds, not {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be 0 seconds or more, not {value!r}")


def _root_url(base_url: str) -> str:
    parts = urllib.parse.urlsplit(_http_url(base_url, "base_url"))
    if parts.path.rstrip("/").endswith("/soap/WebService"):  # each service is under the root
        raise ValueError(
            f"base_url is the platform's root, not a service's address ({base_url!r}): give"
            " the part before /<Dienst>-<versie>/soap/WebService, or this address in addresses"
        )
    if parts.query or parts.fragment:
        # the services' paths went after it, into the query: '...?x=1/GeefDossierKBI...'
        raise ValueError(
            f"base_url is the platform's root, without a query or fragment ({base_url!r}):"
            " each service's path is added to it"
        )
    return base_url.rstrip("/")


def modulo97_valid(insz: str) -> bool:
    """Eleven ASCII digits whose last two are 97 minus the first nine modulo 97 (with a
    ``2`` in front of the nine for people born from 2000 on). The client's own check: it
    imports nothing of the emulator."""
    if len(insz) != 11 or not (insz.isascii() and insz.isdigit()):
        return False
    base, check = int(insz[:9]), int(insz[9:])
    return check in (97 - base % 97, 97 - (2_000_000_000 + base) % 97)


# The INSZ as printed on the eID and in the national register's letters: 73.68.05-997.86
PRINTED_INSZ = re.compile(r"(\d\d)\.(\d\d)\.(\d\d)-(\d\d\d)\.(\d\d)")


def _check_insz(insz: str) -> str:
    """The eleven digits MAGDA takes, from them or from the printed form."""
    given = insz
    insz = str(insz).strip()
    if printed := PRINTED_INSZ.fullmatch(insz):
        insz = "".join(printed.groups())
    if not modulo97_valid(insz):
        hint = ""
        if isinstance(given, int) and len(insz) < 11:  # born in 2000-2009: 06721400144
            hint = f": als getal verliest het zijn eerste 0, geef het als tekst ('{insz:0>11}')"
        elif len(insz) == 10 and modulo97_valid(f"0{insz}"):  # a spreadsheet's column
            hint = f": een rekenblad laat een eerste 0 vallen; bedoelt u '0{insz}'?"
        raise OngeldigVerzoek(
            f"INSZ: {insz!r} is geen geldig INSZ (11 cijfers, controle modulo 97){hint}",
            oorsprong="CLIENT",
        )
    return insz
