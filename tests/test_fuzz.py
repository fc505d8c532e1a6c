"""Fuzzing the request parsers and handlers with hypothesis, in-process, bounded in time.

Properties, for any bytes sent to a SOAP endpoint and any path and query on the REST
routes: the emulator answers (no exception escapes), never with a traceback, and never
with a 5xx other than a SOAP Fault (SOAP 1.1 sends Faults with HTTP 500); REST never 5xx.

The suite runs a short form. Longer, by hand:

    MAGDA_FUZZ_VOORBEELDEN=20000 pytest tests/test_fuzz.py
"""

import io
import os
from datetime import date
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from magda_kbi.adapters.app import Settings, make_emulator

from .soap import (
    NS_SOAP,
    PAD_ADVIES,
    PAD_DOSSIER,
    PAD_GENERIEK,
    advies_verzoek,
    dossier_verzoek,
)

VOORBEELDEN = int(os.environ.get("MAGDA_FUZZ_VOORBEELDEN", "150"))
INSTELLING = settings(
    max_examples=VOORBEELDEN, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
EMULATORS = [make_emulator(Settings(today=date(2030, 1, 1), direct=d)) for d in (True, False)]
GELDIG = [
    dossier_verzoek("98630499724"),
    advies_verzoek("73680599786", "2024-01-01"),
    advies_verzoek("80651239522", "2023-06-01", "VERLAAGDE_PREMIE"),
]


def roep(
    app,
    methode: str,
    pad: str,
    body: bytes = b"",
    query: str = "",
    soort: str = "text/xml; charset=utf-8",
) -> tuple[int, bytes]:
    status = []
    environ = {
        "REQUEST_METHOD": methode,
        "PATH_INFO": pad,
        "QUERY_STRING": query,
        "CONTENT_TYPE": soort,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    antwoord = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    return int(status[0].split()[0]), antwoord


def controleer_soap(status: int, antwoord: bytes) -> None:
    assert b"Traceback" not in antwoord
    if status >= 500:
        assert status == 500
        envelope = etree.fromstring(antwoord)
        assert envelope.find(f"{{{NS_SOAP}}}Body/{{{NS_SOAP}}}Fault/faultstring") is not None
    elif status == 200:
        envelope = etree.fromstring(antwoord)
        assert envelope.find(f"{{{NS_SOAP}}}Body/*/Repliek/Context") is not None
    else:
        assert 400 <= status < 500


@st.composite
def gemuteerd(draw) -> bytes:
    """A valid request with random byte edits: replace, insert, delete, cut."""
    body = bytearray(draw(st.sampled_from(GELDIG)))
    for _ in range(draw(st.integers(1, 8))):
        plek = draw(st.integers(0, len(body) - 1))
        soort = draw(st.sampled_from(["vervang", "voeg-in", "wis", "knip"]))
        if soort == "vervang":
            body[plek] = draw(st.integers(0, 255))
        elif soort == "voeg-in":
            body[plek:plek] = draw(st.binary(min_size=1, max_size=8))
        elif soort == "wis" and len(body) > 1:
            del body[plek]
        elif soort == "knip":
            del body[plek:]
            if not body:
                body = bytearray(b"<")
    return bytes(body)


@st.composite
def andere_waarden(draw) -> bytes:
    """A well-formed request whose INSZ, Datum and Toepassing are arbitrary text."""
    tekst = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
    insz, datum, toepassing = draw(tekst), draw(tekst), draw(tekst)

    def xml(waarde: str) -> str:
        return waarde.replace("&", "&amp;").replace("<", "&lt;").replace("]]>", "")

    try:
        return advies_verzoek(xml(insz), xml(datum), xml(toepassing) or None)
    except UnicodeEncodeError:
        return advies_verzoek("x", "y")


@INSTELLING
@given(
    body=st.one_of(gemuteerd(), andere_waarden(), st.binary(max_size=300)),
    pad=st.sampled_from([PAD_DOSSIER, PAD_ADVIES, PAD_GENERIEK]),
    emulator=st.sampled_from(EMULATORS),
)
def test_soap_never_crashes(body, pad, emulator):
    status, antwoord = roep(emulator, "POST", pad, body)
    controleer_soap(status, antwoord)


@INSTELLING
@given(
    segment=st.text(max_size=40),
    datum=st.text(max_size=20),
    toepassing=st.text(max_size=20),
    route=st.sampled_from(["/api/v1/advies/", "/api/v1/dossiers/"]),
)
def test_rest_never_5xx(segment, datum, toepassing, route):
    query = f"datum={quote(datum)}&toepassing={quote(toepassing)}"
    status, antwoord = roep(EMULATORS[0], "GET", route + quote(segment, safe=""), query=query)
    assert status < 500, antwoord
    assert b"Traceback" not in antwoord
