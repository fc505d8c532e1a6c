"""Fuzzing the request parsers and handlers with hypothesis, in-process, bounded in time.

Properties, for any bytes sent to a SOAP endpoint and any path and query on the REST
routes: the emulator answers (no exception escapes), never with a traceback, and never
with a 5xx other than a SOAP Fault (SOAP 1.1 sends Faults with HTTP 500); REST never 5xx.
And for any change to a real reply, bytes or structure, the client answers or raises one of
its own errors (a MagdaError), nothing else.

The suite runs a short form. Longer, by hand (without the suite's 10 minutes a test):

    MAGDA_FUZZ_EXAMPLES=20000 pytest -o faulthandler_timeout=0 tests/test_fuzz.py
"""

import contextlib
import copy
import io
import os
import re
from datetime import date
from functools import cache
from urllib.parse import quote, urlsplit

import requests
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from lxml import etree
from requests.adapters import BaseAdapter
from urllib3.response import HTTPResponse

from magda_client import DossierNietGevonden, MagdaClient, MagdaError
from magda_kbi.adapters.app import Settings, make_emulator
from magda_kbi.domain.advies import TOEPASSINGEN
from magda_kbi.wire.shape import matched, pattern, shape, valid_values

from . import reference
from .soap import (
    DOSSIER,
    NS_SOAP,
    PATH_ADVIES,
    PATH_DOSSIER,
    PATH_GENERIC,
    advies_verzoek,
    dossier_verzoek,
    in_envelope,
)
from .xsd_instances import Instances

EXAMPLES = int(os.environ.get("MAGDA_FUZZ_EXAMPLES", "150"))
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
EMULATORS = [make_emulator(Settings(today=date(2030, 1, 1), direct=d)) for d in (True, False)]
VALID = [
    dossier_verzoek("98630499724"),
    advies_verzoek("73680599786", "2024-01-01"),
    advies_verzoek("80651239522", "2023-06-01", "VERLAAGDE_PREMIE"),
]


def call(
    app,
    method: str,
    path: str,
    body: bytes = b"",
    query: str = "",
    kind: str = "text/xml; charset=utf-8",
) -> tuple[int, bytes]:
    status = []
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": kind,
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


SOAP_FAULT_PERSONA = b"(testpersona 90651205785 geeft altijd een SOAP Fault)"


def check_soap(status: int, antwoord: bytes) -> None:
    assert b"Traceback" not in antwoord
    if status >= 500:
        assert status == 500
        envelope = etree.fromstring(antwoord)
        assert envelope.find(f"{{{NS_SOAP}}}Body/{{{NS_SOAP}}}Fault/faultstring") is not None
        # a Server fault is the emulator failing: broken input is the client's (Client); but
        # for the persona whose every question gets the platform's SOAP Fault
        code = envelope.findtext(f"{{{NS_SOAP}}}Body/{{{NS_SOAP}}}Fault/faultcode")
        assert code != "soap11env:Server" or SOAP_FAULT_PERSONA in antwoord, antwoord
    elif status == 200:
        envelope = etree.fromstring(antwoord)
        assert envelope.find(f"{{{NS_SOAP}}}Body/*/Repliek/Context") is not None
    else:
        assert 400 <= status < 500


@st.composite
def mutated(draw, bodies=VALID) -> bytes:
    """A valid request (or one of ``bodies``) with random byte edits: replace, insert,
    delete, cut."""
    body = bytearray(draw(st.sampled_from(bodies)))
    for _ in range(draw(st.integers(1, 8))):
        place = draw(st.integers(0, len(body) - 1))
        kind = draw(st.sampled_from(["vervang", "voeg-in", "wis", "knip"]))
        if kind == "vervang":
            body[place] = draw(st.integers(0, 255))
        elif kind == "voeg-in":
            body[place:place] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "wis" and len(body) > 1:
            del body[place]
        elif kind == "knip":
            del body[place:]
            if not body:
                body = bytearray(b"<")
    return bytes(body)


@st.composite
def other_values(draw) -> bytes:
    """A well-formed request whose INSZ, Datum and Toepassing are arbitrary text."""
    text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
    insz, datum, toepassing = draw(text), draw(text), draw(text)

    def xml(value: str) -> str:
        return value.replace("&", "&amp;").replace("<", "&lt;").replace("]]>", "")

    try:
        return advies_verzoek(xml(insz), xml(datum), xml(toepassing) or None)
    except UnicodeEncodeError:
        return advies_verzoek("x", "y")


@SETTINGS
@given(
    body=st.one_of(mutated(), other_values(), st.binary(max_size=300)),
    path=st.sampled_from([PATH_DOSSIER, PATH_ADVIES, PATH_GENERIC]),
    emulator=st.sampled_from(EMULATORS),
)
def test_soap_never_crashes(body, path, emulator):
    status, antwoord = call(emulator, "POST", path, body)
    check_soap(status, antwoord)


@SETTINGS
@given(
    # a person's INSZ, or eleven digits, on any day: arbitrary text above is refused at the
    # XSD or the INSZ, and never reached the decision, the advice or the dossier's reply
    insz=st.sampled_from(sorted(EMULATORS[0].runtime.personas)) | st.from_regex(r"\A\d{11}\Z"),
    datum=st.dates().map(date.isoformat),
    toepassing=st.sampled_from(sorted(TOEPASSINGEN)) | st.none(),
    vraag=st.sampled_from(["advies", "01.00", "02.00"]),
    generic=st.booleans(),
    emulator=st.sampled_from(EMULATORS),
)
def test_soap_never_crashes_for_a_person_on_any_day(
    insz, datum, toepassing, vraag, generic, emulator
):
    if vraag == "advies":
        body, path = advies_verzoek(insz, datum, toepassing), PATH_ADVIES
    else:
        body, path = dossier_verzoek(insz, vraag), DOSSIER[vraag][1]
    status, antwoord = call(emulator, "POST", PATH_GENERIC if generic else path, body)
    event(f"HTTP {status}, {'Uitzondering' if b'<Uitzondering>' in antwoord else 'answer'}")
    check_soap(status, antwoord)


# The platform's failures a REST client gets for the error personas (and only for them)
PLATFORM_FAILURES = {"90651105718": 503, "90651205785": 502}  # 99996, a SOAP Fault


@SETTINGS
@given(
    # a person's INSZ and a real date as well: arbitrary text alone was refused at the path
    # or the date and never reached the decision and the advice
    segment=st.text(max_size=40) | st.sampled_from(sorted(EMULATORS[0].runtime.personas)),
    datum=st.text(max_size=20) | st.dates().map(date.isoformat),
    toepassing=st.text(max_size=20) | st.sampled_from(sorted(TOEPASSINGEN)),
    route=st.sampled_from(["/api/v1/advies/", "/api/v1/dossiers/"]),
)
def test_rest_never_5xx(segment, datum, toepassing, route):
    query = f"datum={quote(datum)}&toepassing={quote(toepassing)}" if "advies" in route else ""
    status, antwoord = call(EMULATORS[0], "GET", route + quote(segment, safe=""), query=query)
    event(f"HTTP {status}")
    assert status < 500 or status == PLATFORM_FAILURES.get(segment), antwoord
    assert b"Traceback" not in antwoord


# A learnt shape's pattern (wire/shape.py) against the shape and its values' check: the
# bodies are the learnt ones with hole values replaced (often still of their type) or with
# bytes changed anywhere.
VALUE = st.binary(max_size=40) | st.text(alphabet="0123456789-:.aZ_ <&", max_size=40).map(
    str.encode
)
OF_THE_TYPE = {  # values of each hole's type, and some just outside it
    b"Referte": st.from_regex(rb"\A[A-Za-z0-9._:\-]{1,37}\Z"),
    b"Datum": st.dates().map(lambda d: d.isoformat().encode())
    | st.from_regex(rb"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
    b"Tijd": st.from_regex(rb"\A[0-2][0-9]:[0-5][0-9](:[0-5][0-9](\.[0-9]{2,3})?)?\Z"),
    b"INSZ": st.from_regex(rb"\A[0-9]{10,12}\Z"),
}
VALUES_RE = re.compile(rb"<(Referte|Datum|Tijd|INSZ)>([^<]*)")


@SETTINGS
@given(st.sampled_from(VALID), st.data())
def test_a_pattern_takes_exactly_what_the_shape_and_its_values_take(learned, data):
    body = learned
    for _ in range(data.draw(st.integers(0, 3))):
        if data.draw(st.integers(0, 3)):  # a value in a hole's place (3 times in 4)
            places = [(m.group(1), *m.span(2)) for m in VALUES_RE.finditer(body)]
            kind, begin, einde = data.draw(st.sampled_from(places))
            body = body[:begin] + data.draw(OF_THE_TYPE[kind] | VALUE) + body[einde:]
        else:  # any bytes anywhere
            begin = data.draw(st.integers(0, len(body)))
            einde = data.draw(st.integers(begin, min(len(body), begin + 8)))
            body = body[:begin] + data.draw(st.binary(max_size=8)) + body[einde:]
    found = shape(body)
    same = found is not None and found.key == shape(learned).key and valid_values(found)
    event(f"of the learnt shape, with valid values: {same}")
    values = matched(pattern(learned), body)
    assert (values is not None) is same
    if same:
        assert values == (tuple(found.refertes), found.inszs[0])


# -- the client, reading any reply ------------------------------------------------------


class Replies(BaseAdapter):
    """The client's transport: the emulator answers in-process, or, once ``reply`` is set,
    that reply comes back, with the Referte it echoed (``referte``) made the request's."""

    def __init__(self) -> None:
        super().__init__()
        self.reply: tuple[int, bytes, bytes] | None = None  # status, body, its referte
        self.seen: list[tuple[str, bytes]] = []

    def send(self, request, **kwargs):
        sent = request.body if isinstance(request.body, bytes) else request.body.encode()
        path = urlsplit(request.url).path
        if self.reply is None:
            status, body = call(EMULATORS[0], "POST", path, sent)
            self.seen.append((path, body))
        else:
            status, body, referte = self.reply
            body = body.replace(referte, re.search(rb"<Referte>([^<]+)<", sent).group(1))
        response = requests.Response()
        response.status_code, response.url, response.request = status, request.url, request
        response.headers["Content-Type"] = "text/xml; charset=utf-8"
        response.raw = HTTPResponse(body=io.BytesIO(body), preload_content=False, status=status)
        return response

    def close(self) -> None:
        pass


@cache
def clients() -> tuple[Replies, dict[str, MagdaClient], list[tuple[str, bytes, bytes]]]:
    """The transport, a client per GeefDossierKBI version, and real replies to mutate: of
    both versions for a full dossier, a minor's and 30001, and an OK and a NOK advice."""
    transport = Replies()
    session = requests.Session()
    session.mount("http://", transport)
    versions = {
        v: MagdaClient(
            "http://emulator",
            afzender="a",
            hoedanigheid="1",
            session=session,
            retries=0,
            dossier_versie=v,
        )
        for v in ("01.00", "02.00")
    }
    for client in versions.values():
        for insz in ("98630499724", "06721400144", "86630100380"):
            with contextlib.suppress(DossierNietGevonden):
                client.geef_dossier_kbi(insz)
    for insz in ("98630499724", "73680599786"):
        versions["02.00"].geef_automatisch_advies(insz, "2024-01-01")
    ours = re.compile(rb"<Ontvanger>.*?<Referte>([^<]+)<", re.S)  # the consumer's, echoed
    replies = [(path, body, ours.search(body).group(1)) for path, body in transport.seen]
    return transport, versions, replies


@st.composite
def other_structure(draw, body: bytes) -> bytes:
    """A reply with a value changed (most often), or elements removed, emptied, doubled or
    renamed."""
    root = etree.fromstring(body)
    for _ in range(draw(st.integers(1, 3))):
        elements = list(root.iter())[1:]
        change = draw(
            st.sampled_from(["text", "text", "text", "remove", "empty", "double", "rename"])
        )
        if change == "text":  # a value: a date, a code, a number... given another text
            element = draw(st.sampled_from([e for e in elements if len(e) == 0] or elements))
            texts = ["", " ", "x", "NOK", "2024-13-45", "-1", "99999999999", "true", "é"]
            element.text = draw(st.sampled_from(texts))
            continue
        element = draw(st.sampled_from(elements))
        parent = element.getparent()
        if change == "remove":
            parent.remove(element)
        elif change == "empty":
            element[:] = []
            element.text = None
        elif change == "double":
            parent.insert(parent.index(element), copy.deepcopy(element))
        else:
            element.tag = draw(st.sampled_from(["X", "Code", "Datum", "Referte", "INSZ"]))
        if len(root) == 0:
            break
    return etree.tostring(root)


@SETTINGS
@given(data=st.data())
def test_the_client_raises_only_its_own_errors_whatever_the_reply(data):
    """A reply with its bytes or its structure changed, with HTTP 200 or 500: the client
    answers, or raises a MagdaError (README: one root for every error it raises)."""
    transport, versions, replies = clients()
    path, body, referte = data.draw(st.sampled_from(replies))
    changed = data.draw(mutated([body]) | other_structure(body))
    transport.reply = (data.draw(st.sampled_from([200, 200, 500])), changed, referte)
    try:
        if "Advies" in path:
            answer = versions["02.00"].geef_automatisch_advies("73680599786", "2024-01-01")
        else:
            answer = versions[path.split("-")[1][:5]].geef_dossier_kbi("98630499724")
        event(f"answered ({type(answer).__name__})")
    except MagdaError as error:
        event(type(error).__name__)


@cache
def real_replies(versie: str, workdir: str) -> tuple[Instances, etree.XMLSchema]:
    reference.require(versie)
    schema = reference.real_schema(workdir, versie)  # the WebService GeefDossierKBIResponse
    return Instances(reference.xsd_folder(versie), more=1), schema


@settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_the_client_reads_any_reply_the_real_response_xsd_takes(tmp_path_factory, data):
    """Pointed at the real platform, the client gets replies the emulator never sends: every
    optional element, repetition and value the real response XSD takes (a DatumType of
    "0000-00-00", codes, names of any script). It answers with each contract, infringement,
    trajectory and name the reply holds: nothing raised, nothing lost."""
    transport, versions, _ = clients()
    versie = data.draw(st.sampled_from(["01.00", "02.00"]), label="versie")
    instances, schema = real_replies(versie, str(tmp_path_factory.getbasetemp()))
    dossier_pad = "Repliek/Antwoorden/Antwoord/Inhoud/KBIDossier"
    fixed = {
        "Repliek/Context/Naam": "GeefDossierKBI",
        "Repliek/Context/Versie": f"{versie}.0000",
        "Repliek/Context/Bericht/Type": "ANTWOORD",
        "Repliek/Context/Bericht/Ontvanger/Referte": "REFERTE-X",
        "Repliek/Antwoorden/Antwoord/Referte": "REFERTE-X",
        f"{dossier_pad}/Personalia/INSZ": "98630499724",
    }
    geen = {"Repliek/Uitzonderingen": 0, "Repliek/Antwoorden/Antwoord/Uitzonderingen": 0}
    repliek = instances.draw(data.draw, DOSSIER[versie][0], "GeefDossierKBIResponse", fixed, geen)
    assume(schema.validate(repliek))
    transport.reply = (200, in_envelope(repliek), b"REFERTE-X")
    dossier = versions[versie].geef_dossier_kbi("98630499724")
    kbi = repliek.find(dossier_pad)
    assert dossier.insz == "98630499724"
    assert dossier.versie == versie
    for read_back, path in [
        (dossier.contracten, "Contracten/Contract"),
        (dossier.inbreuken, "Inbreuken/Inbreuk"),
        (dossier.trajecten, "Trajecten/Traject"),
    ]:
        assert len(read_back) == len(kbi.findall(path)), path
    for read_back, path in [
        (dossier.voornamen, "Personalia/Naam/Voornamen/Voornaam"),
        (dossier.achternamen, "Personalia/Naam/Achternamen/Achternaam"),
    ]:
        assert read_back == tuple(t.strip() for t in kbi.xpath(f"{path}/text()") if t.strip()), path
