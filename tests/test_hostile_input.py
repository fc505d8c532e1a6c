"""Hostile and broken input: a MAGDA-style Uitzondering or a SOAP Fault, never a crash.

Each case is sent to every SOAP endpoint; the answer must be clear, quick, free of
traceback text, and the server must answer the next good request correctly.
"""

import hashlib
import re
import time

import pytest
import requests
from lxml import etree

from magda_kbi.io.personas import builtin_folder

from .soap import (
    NS_ADVIES,
    NS_DOSSIER,
    NS_SOAP,
    PATH_ADVIES,
    PATH_DOSSIER,
    PATH_GENERIC,
    advies_verzoek,
    both_paths,
    dossier_inhoud,
    dossier_verzoek,
    post,
    verzoek,
    wsgi_environ,
)

GOOD = dossier_verzoek("98630499724")


def envelope(inside: str, prolog: str = "") -> bytes:
    return (
        f'{prolog}<soapenv:Envelope xmlns:soapenv="{NS_SOAP}"><soapenv:Body>{inside}'
        "</soapenv:Body></soapenv:Envelope>"
    ).encode()


def with_insz(insz: str) -> bytes:
    return dossier_verzoek(insz)


XXE = (
    '<?xml version="1.0"?><!DOCTYPE e [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    + GOOD.decode().replace("98630499724", "&xxe;")
)
PARAMETER_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE e [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>'
    + GOOD.decode()
)
LAUGH = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
    + GOOD.decode().replace("98630499724", "&lol9;")
)
QUADRATIC = (
    f'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "{"a" * 50_000}">]>'
    + GOOD.decode().replace("98630499724", "&a;" * 1_000)
)
DTD_ONLY = '<?xml version="1.0"?><!DOCTYPE Envelope SYSTEM "http://127.0.0.1:9/soap.dtd">' + (
    GOOD.decode()
)
DEEP = envelope("<a>" * 10_000 + "</a>" * 10_000)
SOAP12 = GOOD.replace(NS_SOAP.encode(), b"http://www.w3.org/2003/05/soap-envelope")

CASES = {
    "xxe": XXE.encode(),
    "parameter-entiteit": PARAMETER_ENTITY.encode(),
    "billion-laughs": LAUGH.encode(),
    "kwadratisch": QUADRATIC.encode(),
    "dtd": DTD_ONLY.encode(),
    "geen-xml": b"dit is geen XML",
    "json": b'{"INSZ": "98630499724"}',
    "leeg": b"",
    "witruimte": b" \r\n\t ",
    "afgekapt": GOOD[: len(GOOD) // 2],
    "diep-genest": DEEP,
    "soap-1.2": SOAP12,
    "verkeerde-namespace": GOOD.replace(NS_DOSSIER.encode(), b"urn:verkeerd"),
    "verkeerde-operatie": envelope(
        '<web:GeefPersoon xmlns:web="urn:x"><Verzoek/></web:GeefPersoon>'
    ),
    "geen-body": f'<soapenv:Envelope xmlns:soapenv="{NS_SOAP}"/>'.encode(),
    "geen-verzoek": envelope(f'<web:GeefDossierKBI xmlns:web="{NS_DOSSIER}"/>'),
    "geen-context": verzoek(
        "GeefDossierKBI", NS_DOSSIER, dossier_inhoud("98630499724"), context=""
    ),
    "context-zonder-afzender": verzoek(
        "GeefDossierKBI",
        NS_DOSSIER,
        dossier_inhoud("98630499724"),
        context="<Context><Naam>GeefDossierKBI</Naam><Versie>01.00.0000</Versie></Context>",
    ),
    "dubbele-context": GOOD.replace(
        b"<Vragen>", GOOD[GOOD.index(b"<Context>") : GOOD.index(b"<Vragen>")] + b"<Vragen>"
    ),
    "insz-te-kort": with_insz("9863049972"),
    "insz-te-lang": with_insz("986304997240"),
    "insz-controlegetal": with_insz("98630499725"),
    "insz-niet-ascii": with_insz("٩٨٦٣٠٤٩٩٧٢٤"),
    "insz-leeg": with_insz(""),
    "insz-injectie": with_insz("<![CDATA[98630499724' or '1'='1]]>"),
}

ADVICE_CASES = {
    "datum-geen-datum": advies_verzoek("98630499724", "morgen"),
    "datum-30-februari": advies_verzoek("98630499724", "2024-02-30"),
    "datum-buiten-bereik": advies_verzoek("98630499724", "99999-01-01"),
    "datum-jaar-nul": advies_verzoek("98630499724", "0000-01-01"),
    "datum-met-tijd": advies_verzoek("98630499724", "2024-01-01T10:00:00"),
    "onbekende-toepassing": advies_verzoek("98630499724", "2024-01-01", "KINDERBIJSLAG"),
    "datum-jaar-tienduizend": advies_verzoek("98630499724", "10000-01-01"),
    "advies-zonder-datum": verzoek(
        "GeefAutomatischAdvies", NS_ADVIES, "<Criteria><INSZ>98630499724</INSZ></Criteria>"
    ),
}


def fixtures_hash() -> str:
    h = hashlib.sha256()
    for path in sorted(builtin_folder().glob("*.yaml")):
        h.update(path.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module", autouse=True)
def fixtures_stay_unchanged():
    before = fixtures_hash()
    yield
    assert fixtures_hash() == before


def check(server, path: str, body: bytes, content_type="text/xml; charset=utf-8"):
    start = time.monotonic()
    antwoord = post(server.url + path, body, content_type=content_type)
    duration = time.monotonic() - start
    assert duration < 1.0, f"{duration:.2f}s"
    text = antwoord.body.decode("utf-8", "replace")
    assert "Traceback" not in text and 'File "' not in text
    assert "root:" not in text  # nothing of /etc/passwd
    if antwoord.status == 200:
        uitzonderingen = antwoord.uitzonderingen()
        assert uitzonderingen, text
        assert all(t == "FOUT" and d for _, t, d in uitzonderingen)
    else:
        assert 400 <= antwoord.status < 600
        if antwoord.root is not None:
            assert antwoord.fault, text
    good = post(server.url + PATH_DOSSIER, GOOD)
    assert good.dossier is not None and good.dossier.findtext("Personalia/INSZ") == "98630499724"
    return antwoord


@pytest.mark.parametrize("path", [PATH_DOSSIER, PATH_ADVIES, PATH_GENERIC])
@pytest.mark.parametrize("naam", sorted(CASES))
def test_hostile_input_on_every_endpoint(server, path, naam):
    check(server, path, CASES[naam])


@pytest.mark.parametrize("naam", sorted(ADVICE_CASES))
def test_bad_advice_criteria(server, naam):
    for path in (PATH_ADVIES, PATH_GENERIC):
        antwoord = check(server, path, ADVICE_CASES[naam])
        assert antwoord.status == 200
        (code, _, diagnose), *_ = antwoord.uitzonderingen()
        assert code in {"40001", "40003"}
        assert "Criteria" in diagnose


@pytest.mark.parametrize(
    ("naam", "code", "field"),
    [
        ("insz-te-kort", "40002", "Inhoud/INSZ"),
        ("insz-controlegetal", "40002", "Inhoud/INSZ"),
        ("insz-niet-ascii", "40002", "Inhoud/INSZ"),
        ("geen-context", "40001", "Verzoek"),
        ("context-zonder-afzender", "40001", "Context"),
        ("dubbele-context", "40001", "Verzoek"),
    ],
)
def test_magda_errors_have_stable_codes_and_name_the_field(server, naam, code, field):
    antwoord = check(server, PATH_DOSSIER, CASES[naam])
    assert antwoord.status == 200
    (received, _, diagnose), *_ = antwoord.uitzonderingen()
    assert received == code
    assert field in diagnose


@pytest.mark.parametrize(
    ("insz", "diagnose"),
    [
        # The contract's INSZType takes any eleven Unicode digits (\p{N}{11}, length 11): the
        # INSZ check after it says what is wrong, not a pattern the contract does not have
        ("٩٨٦٣٠٤٩٩٧٢٤", "Inhoud/INSZ: ٩٨٦٣٠٤٩٩٧٢٤ is geen geldig INSZ (elf cijfers 0-9)"),
        ("Ⅻ8630499724", "Inhoud/INSZ: Ⅻ8630499724 is geen geldig INSZ (elf cijfers 0-9)"),
        (
            "9863049972",
            "Verzoek/Vragen/Vraag/Inhoud/INSZ: element 'INSZ': de waarde is 10 tekens lang,"
            " verwacht: precies 11",
        ),
        (
            "9863049972a",
            "Verzoek/Vragen/Vraag/Inhoud/INSZ: element 'INSZ': de waarde '9863049972a'"
            " voldoet niet aan het patroon '\\p{N}{11}'",
        ),
        ("98630499725", "Inhoud/INSZ: 98630499725 is geen geldig INSZ (controle modulo 97)"),
    ],
)
def test_an_insz_is_refused_for_what_is_wrong_with_it(server, insz, diagnose):
    for path in (PATH_DOSSIER, PATH_GENERIC):
        assert check(server, path, with_insz(insz)).uitzonderingen() == [
            ("40002", "FOUT", diagnose)
        ]
    advies = check(server, PATH_ADVIES, advies_verzoek(insz, "2024-01-01"))
    assert advies.uitzonderingen() == [
        ("40002", "FOUT", diagnose.replace("Inhoud/INSZ", "Inhoud/Criteria/INSZ"))
    ]


@pytest.mark.parametrize(
    ("body", "diagnose"),
    [
        (
            GOOD.replace(b">1234</Hoedanigheid>", b">" + b"9" * 25 + b"</Hoedanigheid>"),
            "Verzoek/Context/Bericht/Afzender/Hoedanigheid: element 'Hoedanigheid': de waarde"
            " is 25 tekens lang, langer dan het maximum van 24",
        ),
        (
            re.sub(rb"<Vraag><Referte>[^<]*</Referte>", b"<Vraag><Referte></Referte>", GOOD),
            "Verzoek/Vragen/Vraag/Referte: element 'Referte': de waarde is 0 tekens lang,"
            " korter dan het minimum van 1",
        ),
    ],
    ids=["too-long", "empty"],
)
def test_length_errors_are_said_in_dutch(server, body, diagnose):
    """The XSD's length limits (Referte 1-36, NaamKortType at most 24): libxml2's English
    was passed on, marked as untranslated."""
    assert check(server, PATH_DOSSIER, body).uitzonderingen() == [("40001", "FOUT", diagnose)]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", "het is leeg, regel 1, kolom 1"),
        (b'{"insz": 1}', "het begint niet met een element ('<'), regel 1, kolom 1"),
        (b"<a>\n<b>", "het houdt op in element 'b' (geopend op regel 2), regel 2, kolom 4"),
        (
            b"<a><b></a>",
            "de eindtag 'a' sluit element 'b' (geopend op regel 1) niet, regel 1, kolom 11",
        ),
        (b"<a/><b/>", "na het einde van het document staat nog inhoud, regel 1, kolom 5"),
        (b"<a>R&D</a>", "een losse & (schrijf &amp;), regel 1, kolom 7"),
        (b"<a>&eacute;</a>", "entiteit &eacute; is niet gedefinieerd, regel 1, kolom 12"),
        (b"<a b=1/>", "een attribuutwaarde staat niet tussen aanhalingstekens, regel 1, kolom 6"),
        (b"<a b='1' b='2'/>", "attribuut 'b' staat twee keer in één element, regel 1, kolom 15"),
        (
            b"<a>caf\xe9</a>",  # Latin-1 without saying so
            "bytes die geen tekens zijn in de tekenset (UTF-8, tenzij de XML-declaratie of"
            " Content-Type een andere noemt), regel 1, kolom 7",
        ),
        (
            b"<web:a/>",
            "namespaceprefix 'web' van element 'a' is niet gedeclareerd, regel 1, kolom 7",
        ),
        # one not translated: libxml2's words, marked as such
        (b"<a>&#0;</a>", "xmlParseCharRef: invalid xmlChar value 0, regel 1, kolom 8 (libxml2)"),
    ],
)
def test_a_request_that_is_no_xml_is_told_why_in_dutch(body, error):
    """The faultstring said it in Dutch and then libxml2's English: "Het verzoek is geen
    geldige XML: Extra content at the end of the document, line 1, column 5"."""
    from magda_kbi.wire.envelope import read_envelope

    assert read_envelope(body) == ("Client", f"Het verzoek is geen geldige XML: {error}")


def test_libxml2_s_older_words_are_said_in_dutch_too():
    """libxml2 before 2.13 (the lxml 5.0 the package takes) names bytes that are no UTF-8 in
    other words: they stood in the faultstring in English, marked (libxml2)."""
    from magda_kbi.wire.envelope import _dutch

    older = "Input is not proper UTF-8, indicate encoding !\nBytes: 0xE9 0x3C 0x2F 0x61"
    assert _dutch(f"{older}, line 1, column 7") == (
        "bytes die geen tekens zijn in de tekenset (UTF-8, tenzij de XML-declaratie of"
        " Content-Type een andere noemt), regel 1, kolom 7"
    )


def test_datum_errors_name_the_field(server):
    antwoord = check(server, PATH_ADVIES, ADVICE_CASES["datum-30-februari"])
    assert antwoord.codes() == ["40003"]


def test_a_service_refuses_another_services_message(server):
    antwoord = check(server, PATH_DOSSIER, advies_verzoek("98630499724", "2024-01-01"))
    assert antwoord.status >= 400 and antwoord.fault
    expected = "wordt hier niet aangeboden; verwacht GeefDossierKBI 01.00.0000"
    name_error = GOOD.replace(b"<Naam>GeefDossierKBI</Naam>", b"<Naam>GeefPersoon</Naam>")
    assert check(server, PATH_DOSSIER, name_error).uitzonderingen() == [
        ("40004", "FOUT", f"Context/Naam 'GeefPersoon' Versie '01.00.0000' {expected}")
    ]
    versie_fout = GOOD.replace(b"01.00.0000", b"02.00.0000")
    assert check(server, PATH_DOSSIER, versie_fout).uitzonderingen() == [
        ("40004", "FOUT", f"Context/Naam 'GeefDossierKBI' Versie '02.00.0000' {expected}")
    ]
    # an empty Naam fits the XSD; it was said as "Context/Naam None"
    empty = GOOD.replace(b"<Naam>GeefDossierKBI</Naam>", b"<Naam></Naam>")
    assert check(server, PATH_DOSSIER, empty).uitzonderingen() == [
        ("40004", "FOUT", f"Context/Naam '' Versie '01.00.0000' {expected}")
    ]
    # the version as people say it, '01.00': the XSD's pattern, and what this service is
    short = GOOD.replace(b"<Versie>01.00.0000</Versie>", b"<Versie>01.00</Versie>")
    assert check(server, PATH_DOSSIER, short).uitzonderingen() == [
        (
            "40001",
            "FOUT",
            "Verzoek/Context/Versie: element 'Versie': de waarde '01.00' voldoet niet aan het"
            " patroon '[0-9]{2}\\.[0-9]{2}\\.[0-9]{4}'; verwacht GeefDossierKBI 01.00.0000",
        )
    ]


def test_generic_endpoint_with_unknown_service(server):
    name_error = GOOD.replace(b"<Naam>GeefDossierKBI</Naam>", b"<Naam>GeefPersoon</Naam>")
    antwoord = check(server, PATH_GENERIC, name_error)
    assert antwoord.status == 500 and "GeefPersoon" in antwoord.fault


def test_entities_are_never_expanded(server):
    antwoord = check(server, PATH_DOSSIER, CASES["xxe"])
    assert "DTD" in (antwoord.fault or "") or antwoord.codes()


def test_a_body_over_the_limit_is_refused(server):
    large = GOOD.replace(b"<Vragen>", b"<!--" + b"x" * (10 * 1024 * 1024) + b"--><Vragen>")
    for path in (PATH_DOSSIER, PATH_GENERIC):
        antwoord = check(server, path, large)
        assert antwoord.status in (413, 500)


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/soap+xml"])
def test_content_type_lies(server, content_type):
    check(server, PATH_DOSSIER, GOOD.replace(b"98630499724", b"98630499725"), content_type)


def test_get_without_wsdl(server):
    r = requests.get(server.url + PATH_DOSSIER, timeout=5)
    assert 400 <= r.status_code < 500
    assert "Traceback" not in r.text


@pytest.mark.parametrize("method", ["PUT", "DELETE", "OPTIONS"])
def test_another_verb_gets_a_405_that_says_what_is_allowed(server, method):
    """HTTP asks a 405 to carry Allow; spyne's had none."""
    r = requests.request(method, server.url + PATH_DOSSIER, timeout=5)
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD, POST"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (GOOD.replace(b"kbi.test.zorgkas.be", b"\x80\x81"), "text/xml; charset=utf-8"),
        (GOOD.replace(b"kbi.test.zorgkas.be", b"\xe4"), "text/xml; charset=bogus-charset"),
        (b"\xff\xfe<\x00?\x00", "text/xml; charset=utf-16"),
    ],
    ids=["not-utf-8", "unknown-charset", "broken-utf-16"],  # stable names: pytest-xdist
)
def test_bodies_that_do_not_decode(server, body, content_type):
    antwoord = check(server, PATH_DOSSIER, body, content_type)
    assert antwoord.status in (400, 500) and antwoord.fault


def test_a_wrong_charset_on_a_valid_body_is_read_as_xml(server):
    """The XML itself says its encoding; a nonsense HTTP charset does not spoil it."""
    antwoord = check(
        server,
        PATH_DOSSIER,
        GOOD.replace(b"98630499724", b"98630499725"),
        "text/xml; charset=bogus-charset",
    )
    assert antwoord.codes() == ["40002"]


REST_CASES = [
    ("GET", "/api/v1/dossiers/" + "9" * 10_000, None),
    ("GET", "/api/v1/dossiers/%00%01", None),
    ("GET", "/api/v1/dossiers/٩٨٦٣٠٤٩٩٧٢٤", None),
    ("GET", "/api/v1/advies/98630499724?datum=" + "2" * 5_000, None),
    ("GET", "/api/v1/advies/98630499724?datum=2024-01-01&datum=2025-01-01", None),
    ("GET", "/api/v1/advies/98630499724?toepassing=%27%20OR%201=1", None),
    ("PUT", "/admin/personas/80651338304", b"{" * 200_000),
    ("PUT", "/admin/personas/80651338304", b"[" * 200_000 + b"]" * 200_000),
    ("PUT", "/admin/personas/80651338304", b'{"insz": "' + b"x" * (2 * 1024 * 1024) + b'"}'),
    (
        "PUT",
        "/admin/personas/80651338304",
        b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        b"insz: '80651338304'\nscenario: x\ndossier: {personalia: {achternamen: *d}}\n",
    ),
    # Python reads no integer of more than 4,300 digits: it was a 500 and a traceback
    (
        "PUT",
        "/admin/personas/80651338304",
        b'{"insz": "80651338304", "scenario": "x", "naam": "A", "x": ' + b"9" * 5000 + b"}",
    ),
    ("PUT", "/admin/clock", b'{"today": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    ("POST", "/admin/faults", b'{"kind": "latency", "latency_ms": 1e999}'),
    ("POST", "/admin/faults", b"\xff\xfe\x00"),
]


# Short ids: pytest puts the running test's id in the environment (PYTEST_CURRENT_TEST), and a
# 400 KB id made every subprocess started during the test fail with E2BIG ("Argument list
# too long"): PostgreSQL's initdb, when its fixture came up at that moment.
@pytest.mark.parametrize(
    ("method", "path", "body"), REST_CASES, ids=[f"case{n}" for n in range(len(REST_CASES))]
)
def test_hostile_rest_and_admin_input(magda, method, path, body):
    start = time.monotonic()
    r = requests.request(
        method,
        magda.url + path,
        data=body,
        timeout=5,
        headers={"Content-Type": "application/json"} if body else {},
    )
    assert time.monotonic() - start < 1.0
    assert 400 <= r.status_code < 500, r.text[:200]
    assert "Traceback" not in r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert (
        requests.get(f"{magda.url}/api/v1/advies/73680599786?datum=2024-01-01", timeout=5).json()[
            "resultaat"
        ]
        == "NOK"
    )


@pytest.mark.parametrize("datum", ["0001-01-01", "0001-12-31", "9999-12-31"])
@pytest.mark.parametrize("toepassing", ["ZORGBUDGET", "VERLAAGDE_PREMIE"])
def test_extreme_but_valid_dates_are_answered(server, magda, datum, toepassing):
    antwoord = post(server.url + PATH_ADVIES, advies_verzoek("98630499724", datum, toepassing))
    assert antwoord.status == 200 and antwoord.advies is not None, antwoord.body
    r = requests.get(
        f"{magda.url}/api/v1/advies/98630499724",
        params={"datum": datum, "toepassing": toepassing},
        timeout=5,
    )
    assert r.status_code == 200
    assert r.json()["resultaat"] == antwoord.advies.findtext("Resultaat")


@pytest.mark.parametrize("depth", [100_000, 1_000_000])
def test_deeply_nested_yaml_is_refused_not_a_crash(depth):
    """libyaml's C parser crashed the process at some 40,000 levels of flow nesting; such a
    text goes to the pure-Python parser, whose RecursionError is a clear refusal."""
    from magda_kbi.io.personas import read_yaml
    from magda_kbi.io.schemas import InputError

    for text in ("[" * depth, "{a: " * depth):
        with pytest.raises(InputError, match="nested too deeply"):
            read_yaml(text)


SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
NO_BODY = ("soap11env:Client", "Verwacht een SOAP 1.1 Envelope met een Body")


def _operation_(verzoek: bytes) -> bytes:
    """The operation element of a request, as written in it."""
    body = etree.fromstring(verzoek).find(f"{{{NS_SOAP}}}Body/*")
    return etree.tostring(body)


# Two questions in one Body: the second was passed over without a word, the first answered.
TWO_OPERATIONS = envelope(
    (_operation_(GOOD) + _operation_(advies_verzoek("98630499724", "2024-01-01"))).decode()
)


@pytest.mark.parametrize(
    ("body", "fault"),
    [
        (
            SOAP12,
            (
                "soap11env:VersionMismatch",
                f"Verwacht een SOAP 1.1 Envelope (namespace {SOAP11}): SOAP 1.2 wordt niet"
                " ondersteund",
            ),
        ),
        (
            GOOD.replace(NS_SOAP.encode(), b"urn:soap"),
            (
                "soap11env:VersionMismatch",
                f"Verwacht een SOAP 1.1 Envelope (namespace {SOAP11}), niet namespace 'urn:soap'",
            ),
        ),
        (f'<soapenv:Envelope xmlns:soapenv="{NS_SOAP}"/>'.encode(), NO_BODY),
        (envelope(""), NO_BODY),
        (envelope("<!-- niets -->"), NO_BODY),
        (
            f'<s:Envelope xmlns:s="{NS_SOAP}"><s:Header/></s:Envelope>'.encode(),
            NO_BODY,
        ),
        (b"<Verzoek/>", NO_BODY),
        (
            TWO_OPERATIONS,
            (
                "soap11env:Client",
                "De Body bevat 2 elementen (GeefDossierKBI, GeefAutomatischAdvies): één verzoek"
                " per bericht",
            ),
        ),
        (
            b"<a>",
            (
                "soap11env:Client",
                "Het verzoek is geen geldige XML: het houdt op in element 'a' (geopend op regel"
                " 1), regel 1, kolom 4",
            ),
        ),
    ],
    ids=[
        "soap-1.2",
        "other-namespace",
        "no-body",
        "empty-body",
        "comment-body",
        "header-only",
        "no-envelope",
        "two-operations",
        "not-xml",
    ],
)
def test_no_soap_1_1_request_gets_one_fault_on_every_endpoint(body, fault):
    """spyne answered these on a service's own address in English, each its own way (an
    empty Body even as "Interne fout": a traceback in the log), the generic endpoint in
    Dutch; a SOAP 1.2 Envelope is SOAP 1.1's VersionMismatch (4.4.1)."""
    from werkzeug.test import Client

    from magda_kbi.adapters.app import make_emulator

    client = Client(make_emulator())
    for path in (PATH_DOSSIER, PATH_ADVIES, PATH_GENERIC):
        antwoord = client.post(path, data=body, content_type="text/xml; charset=utf-8")
        assert antwoord.status_code == 500, path
        read_back = etree.fromstring(antwoord.data).find(f"{{{NS_SOAP}}}Body/{{{NS_SOAP}}}Fault")
        assert (read_back.findtext("faultcode"), read_back.findtext("faultstring")) == fault, path


def test_a_service_s_address_names_the_operation_it_takes():
    from werkzeug.test import Client

    from magda_kbi.adapters.app import make_emulator

    antwoord = Client(make_emulator()).post(
        PATH_DOSSIER, data=advies_verzoek("98630499724", "2024-01-01"), content_type="text/xml"
    )
    fault = etree.fromstring(antwoord.data).find(f"{{{NS_SOAP}}}Body/{{{NS_SOAP}}}Fault")
    assert antwoord.status_code == 500 and fault.findtext("faultcode") == "soap11env:Client"
    assert fault.findtext("faultstring") == (
        f"Dit adres is GeefDossierKBI 01.00.0000: verwacht {{{NS_DOSSIER}}}GeefDossierKBI in de"
        f" Body, niet {{{NS_ADVIES}}}GeefAutomatischAdvies"
    )


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "spyne"])
def test_a_post_without_content_type_is_answered_as_any_other(direct):
    """Any Content-Type is taken (the body decides); spyne refused none at all with a 405
    "Method Not Allowed" to a POST, whose Allow header then named POST."""
    from magda_kbi.adapters.app import Settings, make_emulator

    environ = wsgi_environ(PATH_DOSSIER, GOOD)
    del environ["CONTENT_TYPE"]
    status = []
    emulator = make_emulator(Settings(direct=direct))
    antwoord = b"".join(emulator(environ, lambda s, h, e=None: status.append(s)))
    assert status == ["200 OK"]
    assert b"<INSZ>98630499724</INSZ>" in antwoord and b"<KBIDossier>" in antwoord


@pytest.mark.parametrize("app", both_paths(), ids=["direct", "spyne"])
def test_any_soapaction_or_none_is_taken(app):
    """The body decides, not the SOAPAction header: the real WSDLs' values are not published,
    and one checked against our guess would refuse a client built from them."""
    status: list[str] = []
    for action in (None, '""', '"Elders"', "GeefAutomatischAdvies"):
        environ = wsgi_environ(PATH_DOSSIER, GOOD)
        if action is not None:
            environ["HTTP_SOAPACTION"] = action
        status.clear()
        antwoord = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
        assert status == ["200 OK"], action
        assert b"<INSZ>98630499724</INSZ>" in antwoord and b"<KBIDossier>" in antwoord


@pytest.mark.parametrize(
    ("context", "diagnose"),
    [
        ("", "Verzoek/Context/Naam en Versie ontbreken"),
        ("<Context><Naam>GeefDossierKBI</Naam></Context>", "Verzoek/Context/Versie ontbreekt"),
    ],
    ids=["no-context", "no-versie"],
)
def test_the_generic_endpoint_says_what_the_context_lacks(context, diagnose):
    """It said "Geen dienst voor Context/Naam None Versie None"."""
    from werkzeug.test import Client

    from magda_kbi.adapters.app import make_emulator

    body = verzoek("GeefDossierKBI", NS_DOSSIER, dossier_inhoud("98630499724"), context=context)
    antwoord = Client(make_emulator()).post(PATH_GENERIC, data=body, content_type="text/xml")
    fault = etree.fromstring(antwoord.data).find(f"{{{NS_SOAP}}}Body/{{{NS_SOAP}}}Fault")
    assert antwoord.status_code == 500 and fault.findtext("faultcode") == "soap11env:Client"
    assert fault.findtext("faultstring") == (
        f"{diagnose}: dit adres kiest de dienst op Context/Naam en Versie; aangeboden:"
        " GeefDossierKBI 01.00.0000, GeefDossierKBI 02.00.0000, GeefAutomatischAdvies 01.00.0000"
    )


@pytest.mark.parametrize("direct", [True, False])
def test_the_generic_endpoint_says_which_element_its_context_s_service_takes(direct):
    """02.00's element with Versie 01.00.0000 (half an upgrade) got spyne's English
    "Requested resource '{...}GeefDossierKBI' not found", where a service's own address
    says what it expects."""
    from werkzeug.test import Client

    from magda_kbi.adapters.app import Settings, make_emulator

    ns_02 = "http://webservice.GeefDossierKBI-02.00.kbi-02.00.vip.vlaanderen.be"
    body = verzoek("GeefDossierKBI", ns_02, dossier_inhoud("98630499724"), versie="01.00.0000")
    client = Client(make_emulator(Settings(direct=direct)))
    antwoord = client.post(PATH_GENERIC, data=body, content_type="text/xml")
    fault = etree.fromstring(antwoord.data).find(f"{{{NS_SOAP}}}Body/{{{NS_SOAP}}}Fault")
    assert antwoord.status_code == 500 and fault.findtext("faultcode") == "soap11env:Client"
    assert fault.findtext("faultstring") == (
        "Context/Naam 'GeefDossierKBI' Versie '01.00.0000' is GeefDossierKBI 01.00.0000:"
        " verwacht {http://webservice.GeefDossierKBI-01.00.kbi-01.00.vip.vlaanderen.be}"
        "GeefDossierKBI of {http://service.geefdossierkbidienst.inburgering.vip.vlaanderen.be}"
        f"GeefDossierKBI in de Body, niet {{{ns_02}}}GeefDossierKBI"
    )


def test_a_latin_1_body_that_says_so_in_its_content_type_is_read():
    """No XML declaration, ``charset=iso-8859-1`` and Latin-1 bytes: answered (spyne read
    the HTTP charset; the envelope's own reading must too)."""
    from werkzeug.test import Client

    from magda_kbi.adapters.app import make_emulator

    body = GOOD.replace(b"</Hoedanigheid>", "</Hoedanigheid><!-- café -->".encode("latin-1"))
    client = Client(make_emulator())
    for path in (PATH_DOSSIER, PATH_GENERIC):
        antwoord = client.post(path, data=body, content_type="text/xml; charset=iso-8859-1")
        assert antwoord.status_code == 200, antwoord.data
        assert b"<INSZ>98630499724</INSZ>" in antwoord.data
    without = client.post(PATH_DOSSIER, data=body, content_type="text/xml")  # UTF-8, not
    assert without.status_code == 500 and b"geen geldige XML" in without.data


def test_a_key_given_twice_in_an_admin_body_is_refused_not_the_last_taken(magda):
    """JSON and YAML took the last of two values of one key without a word."""
    persona = '{"insz": "80651338304", "scenario": "een", "naam": "A B", "scenario": "twee"}'
    r = requests.put(
        f"{magda.url}/admin/personas/80651338304",
        data=persona,
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert (r.status_code, r.json()["diagnose"]) == (
        422,
        "not valid JSON: the key 'scenario' twice in one object",
    )
    r = requests.put(
        f"{magda.url}/admin/personas/80651338304",
        data='insz: "80651338304"\nscenario: een\nnaam: A B\nscenario: twee\n',
        headers={"Content-Type": "application/yaml"},
        timeout=5,
    )
    assert r.status_code == 422
    assert r.json()["diagnose"].startswith("not valid YAML: the key 'scenario' twice")
    r = requests.put(
        f"{magda.url}/admin/clock",
        data='{"today": "2024-06-01", "today": "2025-01-01"}',
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert (r.status_code, r.json()["diagnose"]) == (
        422,
        "expected a JSON object: not valid JSON: the key 'today' twice in one object",
    )
    assert requests.get(f"{magda.url}/admin/clock", timeout=5).json()["fixed"] is False


def test_a_content_length_of_other_digits_is_refused():
    """werkzeug's server hands the header on as read (its byte 0xB2 as '²', a digit to
    str.isdigit, not to int()): it was a ValueError out of the application."""
    from magda_kbi.adapters.app import Settings, make_emulator

    environ = wsgi_environ(PATH_DOSSIER, GOOD)
    environ["CONTENT_LENGTH"] = "\xb2"
    status = []
    body = b"".join(make_emulator(Settings())(environ, lambda s, h, *_: status.append(s)))
    assert status == ["400 Bad Request"]
    assert b"<faultstring>Ongeldige Content-Length</faultstring>" in body


def test_yaml_aliases_that_multiply_are_refused_not_expanded(magda):
    """300 courses, each an alias of one with 300 lessons, each an alias of one: 2.7 KB of
    YAML that were 90,000 lessons (3.6 s, 250 MB; 6 KB made 490,000: 21 s, 1.3 GB in the
    worker, then in every worker from the store). Refused as the text is read; a persona's
    anchors used a few times load as before (98630499724's offices and centre)."""
    lesson = "&l {datum: 2023-02-06, aanvang_uur: '18:30'}"
    lessons = f"&ls [{lesson}{', *l' * 299}]"
    course = "&c {id: fc3ee1aa-ad51-41ce-8703-f4e03e64da68, datum_inschrijving: 2023-01-02"
    course += f", lesmomenten: {lessons}}}"
    text = (
        'insz: "80651338304"\nscenario: aliases\ndossier:\n'
        "  personalia: {achternamen: [A]}\n"
        f"  vormingsactiviteiten:\n    nt2_cursussen: [{course}{', *c' * 299}]\n"
    )
    r = requests.put(
        f"{magda.url}/admin/personas/80651338304",
        data=text.encode(),
        headers={"Content-Type": "application/yaml"},
        timeout=10,
    )
    assert (r.status_code, r.json()["diagnose"]) == (
        422,
        f"its aliases (*name) make it more than {len(text) + 10_000:,} values, from"
        f" {len(text):,} characters: a persona needs an anchor's values a few times, not"
        " nested lists of them",
    )
    assert requests.get(f"{magda.url}/admin/personas/80651338304", timeout=5).status_code == 404
    full = requests.get(f"{magda.url}/admin/personas/98630499724", timeout=5).json()
    assert full["dossier"]["vormingsactiviteiten"]["nt2_cursussen"][0]["centrum"]["naam"] == (
        "CVO Leuven"
    )


def test_a_json_admin_body_may_start_with_a_byte_order_mark(magda):
    """Windows tools write one; get_json took it, and so does the reader that replaced it."""
    r = requests.put(
        f"{magda.url}/admin/clock",
        data=b'\xef\xbb\xbf{"today": "2024-06-01"}',
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert (r.status_code, r.json()) == (200, {"today": "2024-06-01", "fixed": True})
