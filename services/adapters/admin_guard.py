"""Who may use the admin API: a bearer token, a Host allow-list, no simple cross-origin calls.

The admin API changes what every consumer of the emulator gets (personas, clock, faults), so
it is guarded at the WSGI layer, before Flask:

- ``Host`` must be a loopback name or one given with ``--public-host`` (421 otherwise): a web
  page on another name that resolves to this machine (DNS rebinding) gets nothing;
- with a token (``--admin-token`` or ``MAGDA_KBI_ADMIN_TOKEN``), ``Authorization: Bearer``
  must carry it (401 otherwise; compared in constant time);
- a POST, PUT or PATCH must say ``Content-Type`` JSON or YAML (415 otherwise), which no
  simple cross-origin request can; a DELETE needs none (from a page elsewhere it is never a
  simple request: the browser asks first, and is never told yes); a foreign ``Origin`` is
  refused (403);
- a body with a ``Content-Encoding`` (gzip, ...) is refused (415): none is decompressed.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from urllib.parse import urlsplit

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
TOKEN_ENV = "MAGDA_KBI_ADMIN_TOKEN"
BODY_TYPES = frozenset(
    {"application/json", "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"}
)
CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The changing methods that must say a JSON or YAML Content-Type: a POST is what a form or a
# simple fetch() from another site sends, and neither can say one; a PUT or PATCH carries a
# body whose type must be said anyway. A DELETE carries none, and from another site needs
# the browser's preflight first, which the emulator never answers yes.
TYPED_CHANGING = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True)
class Refusal:
    status: str
    code: str
    diagnose: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class AdminGuard:
    token: str | None = None
    public_hosts: frozenset[str] = field(default_factory=frozenset)

    @property
    def hosts(self) -> frozenset[str]:
        return LOOPBACK | {h.lower() for h in self.public_hosts}

    def check(self, environ: dict) -> Refusal | None:
        """None when the call may go on; otherwise why not."""
        host = host_name(environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "")
        if host not in self.hosts:
            return Refusal(
                "421 Misdirected Request",
                "HOST_NOT_ALLOWED",
                f"the admin API answers to {', '.join(sorted(self.hosts))}, not {host!r}: "
                "start the emulator with --public-host NAME to add a name",
            )
        if self.token is not None:
            given = environ.get("HTTP_AUTHORIZATION", "")
            schema, _, value = given.partition(" ")
            if schema.lower() != "bearer" or not hmac.compare_digest(
                value.strip().encode(), self.token.encode()
            ):
                return Refusal(
                    "401 Unauthorized",
                    "ADMIN_TOKEN_REQUIRED",
                    "the admin API needs 'Authorization: Bearer <token>' with the token the "
                    "emulator was started with",
                    (("WWW-Authenticate", 'Bearer realm="magda-kbi admin"'),),
                )
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and host_name(urlsplit(origin).netloc) not in self.hosts:
            return Refusal(
                "403 Forbidden",
                "FOREIGN_ORIGIN",
                f"a call from a page on {origin!r} may not use the admin API",
            )
        method = environ.get("REQUEST_METHOD", "GET")
        if method in CHANGING:
            encoding = unsupported_content_encoding(environ)
            if encoding is not None:
                return Refusal(
                    "415 Unsupported Media Type",
                    "CONTENT_ENCODING_UNSUPPORTED",
                    f"Content-Encoding {encoding!r} is not supported: send the body uncompressed",
                )
            kind = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
            if kind not in BODY_TYPES and method in TYPED_CHANGING:
                return Refusal(
                    "415 Unsupported Media Type",
                    "CONTENT_TYPE_REQUIRED",
                    "a POST, PUT or PATCH to the admin API must say Content-Type "
                    "application/json or application/yaml (also without a body)",
                )
        return None


def unsupported_content_encoding(environ: dict) -> str | None:
    """The request's Content-Encoding when it is one the emulator does not decode (any but
    identity): no body is decompressed here, so none may pass for plain text."""
    encoding = environ.get("HTTP_CONTENT_ENCODING")
    if encoding is None:  # nearly every request: the SOAP hot path asks too
        return None
    encoding = encoding.strip()
    return None if encoding.lower() in ("", "identity") else encoding


def host_name(host: str) -> str:
    """``127.0.0.1:8080`` -> ``127.0.0.1``; ``[::1]:8080`` -> ``::1``; lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        return host.split(":", 1)[0]
    return host


def is_loopback(host: str) -> bool:
    return host_name(host) in LOOPBACK or host_name(host).startswith("127.")
