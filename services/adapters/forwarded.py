"""Where a client reached the emulator: its Host, or behind a reverse proxy (``serve
--proxy-headers``) the proxy's X-Forwarded-Proto, -Host and -Prefix. The WSDLs' addresses
and the console's links follow it, so both work under a path of a shared host
(https://gw.example/emu/ to serve's /)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# What may stand in an address the emulator writes (a Host header or a proxy's X-Forwarded-*
# are outside input: nothing that could break out of an XML attribute, and a prefix is a
# path, never '//elsewhere.example', which a redirect would send a browser to).
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
_PREFIX = re.compile(r"(/[A-Za-z0-9._~\-]+)*")


def forwarded_prefix(environ: dict) -> str:
    """The proxy's X-Forwarded-Prefix ('/emu'), '' without one or for one that is no path."""
    prefix = environ.get("HTTP_X_FORWARDED_PREFIX", "").split(",")[0].strip().rstrip("/")
    return prefix if _PREFIX.fullmatch(prefix) else ""


def origin(environ: dict, proxy_headers: bool = False) -> str:
    """``scheme://host[:port]`` a client reached the emulator at."""
    schema = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST", "")
    if proxy_headers:
        schema = environ.get("HTTP_X_FORWARDED_PROTO", schema).split(",")[0].strip()
        host = environ.get("HTTP_X_FORWARDED_HOST", host).split(",")[0].strip()
    if schema not in ("http", "https"):
        schema = environ.get("wsgi.url_scheme", "http")
    if not _HOST.fullmatch(host):
        host = f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    return f"{schema}://{host}"


def path_prefix(environ: dict, proxy_headers: bool = False) -> str:
    """The path the emulator is served under: behind a proxy with ``proxy_headers`` its
    X-Forwarded-Prefix, else ''."""
    return forwarded_prefix(environ) if proxy_headers else ""


def base_address(environ: dict, proxy_headers: bool = False) -> str:
    """The base URL a client reached the emulator at: :func:`origin`, and behind a proxy
    with ``proxy_headers`` its X-Forwarded-Prefix."""
    return origin(environ, proxy_headers) + path_prefix(environ, proxy_headers)


def mounted_at_forwarded_prefix(app: Callable) -> Callable:
    """``app`` (a WSGI application) told the proxy's prefix as its SCRIPT_NAME, as WSGI says
    where an application is mounted: Flask's url_for, redirects and request.script_root
    then carry it."""

    def mounted(environ: dict, start_response: Callable) -> Iterable[bytes]:
        prefix = forwarded_prefix(environ)
        if prefix:
            environ["SCRIPT_NAME"] = prefix + environ.get("SCRIPT_NAME", "")
        return app(environ, start_response)

    return mounted
