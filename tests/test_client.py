"""magda_client against the live emulator, the real-format samples and a misbehaving platform."""

import importlib
import json
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import date

import pytest
import requests

import magda_client
from magda_client import (
    Advies,
    DossierNietGevonden,
    KbiDossier,
    MagdaClient,
    MagdaFout,
    MagdaTransportFout,
    OngeldigVerzoek,
    TeVeelBevragingen,
)
from magda_kbi.domain.advies import Toepassing, geef_advies

from . import reference
from .conftest import LATE
from .magda_stub import MagdaStub


def make_client(url, **kw) -> MagdaClient:
    kw.setdefault("backoff", 0)
    return MagdaClient(url, afzender="kbi.test.zorgkas.be", hoedanigheid="1234", **kw)


class CallCounter:
    """Counts the HTTP requests a client's session sends."""

    def __init__(self, client: MagdaClient) -> None:
        self.aantal = 0
        client.session.hooks["response"].append(self)

    def __call__(self, response, *args, **kwargs):
        self.aantal += 1


@pytest.fixture(scope="module")
def client(server):
    return make_client(server.url)


@pytest.fixture
def stub():
    reference.require()
    s = MagdaStub()
    yield s
    s.stop()


def test_every_persona_advice_equals_the_rule_table(client, builtin_personas):
    for persona in builtin_personas.values():
        if persona.fout:
            continue
        for v in persona.verwacht:
            advies = client.geef_automatisch_advies(persona.insz, v.datum, v.toepassing)
            assert isinstance(advies, Advies)
            assert (advies.resultaat, advies.reden_code) == (v.resultaat, v.reden)
            assert advies.ok == (v.resultaat == "OK")
            assert (advies.reden_omschrijving is None) == advies.ok
        for day in (date(2022, 6, 1), date(2023, 6, 1), date(2025, 6, 1)):
            for toepassing in Toepassing:
                expected = geef_advies(
                    persona.dossier.as_of(LATE) if persona.dossier else None, day, toepassing
                )
                advies = client.geef_automatisch_advies(persona.insz, day, toepassing.value)
                assert advies.resultaat == expected.resultaat.value
                assert advies.peildatum == expected.peildatum


def test_every_persona_dossier_as_typed_result(client, builtin_personas):
    for persona in builtin_personas.values():
        if persona.fout or persona.dossier is None:
            continue
        d = persona.dossier
        dossier = client.geef_dossier_kbi(persona.insz)
        assert isinstance(dossier, KbiDossier)
        assert dossier.insz == persona.insz
        assert dossier.achternamen == d.personalia.achternamen
        assert dossier.voornamen == d.personalia.voornamen
        assert dossier.geboortedatum == d.personalia.geboortedatum
        current = d.huidige_doelgroep
        assert (dossier.doelgroep.code, dossier.doelgroep.type) == (current.code, current.type)
        assert dossier.doelgroep.begin == current.periode.begin
        assert dossier.doelgroep.vrijgesteld == (current.reden_vrijstelling is not None)
        assert dossier.contract_ondertekend == bool(d.contracten)
        assert dossier.attest_behaald == bool(d.attesten)
        assert len(dossier.inbreuken) == len(d.inbreuken)
        assert [i.rechtgezet for i in dossier.inbreuken] == [
            i.rechtzetting is not None for i in d.inbreuken
        ]
        assert [t.type for t in dossier.trajecten] == [t.type for t in d.trajecten]
        assert dossier.element.tag == "KBIDossier"
        with pytest.raises(AttributeError):
            dossier.insz = "x"  # immutable


def test_not_found(client):
    with pytest.raises(DossierNietGevonden) as info:
        client.geef_dossier_kbi("86630100380")
    assert (info.value.code, info.value.type, info.value.oorsprong) == ("30001", "FOUT", "MAGDA")


def test_99996_is_retried_a_bounded_number_of_times(server):
    client = make_client(server.url, retries=2)
    counter = CallCounter(client)
    with pytest.raises(TeVeelBevragingen) as info:
        client.geef_automatisch_advies("90651105718", "2024-01-01")
    assert info.value.code == "99996"
    assert counter.aantal == 3  # the first try and two retries


def test_no_retries_when_asked(server):
    client = make_client(server.url, retries=0)
    counter = CallCounter(client)
    with pytest.raises(TeVeelBevragingen):
        client.geef_dossier_kbi("90651105718")
    assert counter.aantal == 1


def test_backoff_is_exponential_bounded_and_jittered(server):
    client = make_client(server.url, retries=5, backoff=0.1, max_backoff=0.3)
    waits = []
    client._sleep = waits.append
    with pytest.raises(TeVeelBevragingen):
        client.geef_dossier_kbi("90651105718")
    ceilings = [0.1, 0.2, 0.3, 0.3, 0.3]
    assert len(waits) == 5
    assert all(0 <= w <= p for w, p in zip(waits, ceilings, strict=True))


def test_99996_then_success(stub):
    stub.too_many = 2
    client = make_client(stub.url, retries=3)
    dossier = client.geef_dossier_kbi("90722600260")
    assert dossier.insz == "90722600260"
    assert len(stub.verzoeken) == 3


def test_soap_fault_is_a_transport_error(client):
    with pytest.raises(MagdaTransportFout) as info:
        client.geef_dossier_kbi("90651205785")
    assert info.value.status == 500 and "SOAP Fault" in str(info.value)


@pytest.mark.parametrize(
    ("insz", "datum", "toepassing"),
    [
        ("98630499725", "2024-01-01", "ZORGBUDGET"),
        ("9863049972", "2024-01-01", "ZORGBUDGET"),
        ("98630499724", "2024-02-30", "ZORGBUDGET"),
        ("98630499724", "2024-01-01", "KINDERBIJSLAG"),
        ("98630499724", 20240101, "ZORGBUDGET"),  # an AttributeError from zeep
        ("98630499724", None, "ZORGBUDGET"),  # zeep's ValidationError, outside MagdaError
    ],
)
def test_input_is_validated_before_sending(client, insz, datum, toepassing):
    counter = CallCounter(client)
    with pytest.raises(OngeldigVerzoek) as info:
        client.geef_automatisch_advies(insz, datum, toepassing)
    assert info.value.oorsprong == "CLIENT"
    assert counter.aantal == 0


def test_a_service_at_the_wrong_address_is_a_transport_error(server):
    client = make_client(
        server.url,
        addresses={
            "GeefDossierKBI": f"{server.url}/GeefAutomatischAdviesDienst-01.00/soap/WebService"
        },
    )
    with pytest.raises(MagdaTransportFout, match="SOAP Fault"):
        client.geef_dossier_kbi("98630499724")


def test_magda_validation_errors_are_typed(stub):
    stub.antwoord = (
        200,
        (
            b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>'
            b'<w:GeefDossierKBIResponse xmlns:w="urn:w"><Repliek>'
            b"<Context><Naam>GeefDossierKBI</Naam></Context><Uitzonderingen><Uitzondering>"
            b"<Identificatie> 40002 </Identificatie>"
            b"<Oorsprong>MAGDA</Oorsprong><Type>FOUT</Type><Diagnose>Criteria/INSZ: ongeldig"
            b"</Diagnose></Uitzondering></Uitzonderingen></Repliek></w:GeefDossierKBIResponse>"
            b"</e:Body></e:Envelope>"
        ),
    )
    with pytest.raises(OngeldigVerzoek) as info:
        make_client(stub.url).geef_dossier_kbi("90722600260")
    assert (info.value.code, info.value.diagnose) == ("40002", "Criteria/INSZ: ongeldig")


def test_connection_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(MagdaTransportFout) as info:
        make_client(f"http://127.0.0.1:{port}").geef_dossier_kbi("98630499724")
    # the reason, not requests' wrapping of urllib3's pool and retries (~300 characters)
    assert str(info.value) == (
        f"GeefDossierKBI not reachable at http://127.0.0.1:{port}"
        "/GeefDossierKBIDienst-02.00/soap/WebService: Connection refused"
    )


def test_a_reset_of_a_plain_http_call_says_it_may_be_a_tls_port():
    """A TLS port answers a plain http:// call with an alert and closes, the rest of the
    call unread; the kernel then resets the connection, and the alert (which the client
    names: "use https://") is lost with it now and then: the reset said nothing of TLS."""
    import contextlib
    import struct

    with socket.socket() as listener:  # reads each call's first bytes, then resets
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def reset() -> None:
            with contextlib.suppress(OSError):  # the listener closed: the test is over
                while True:  # the client's transport tries again after a reset
                    connection, _ = listener.accept()
                    connection.settimeout(0.2)
                    with contextlib.suppress(TimeoutError):
                        while connection.recv(65536):  # the whole call: the client reads
                            pass
                    linger = struct.pack("ii", 1, 0)  # closed at once: a reset
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                    connection.close()

        threading.Thread(target=reset, daemon=True).start()
        with pytest.raises(MagdaTransportFout) as info:
            make_client(f"http://127.0.0.1:{port}").geef_dossier_kbi("98630499724")
    assert str(info.value) == (
        f"GeefDossierKBI not reachable at http://127.0.0.1:{port}"
        "/GeefDossierKBIDienst-02.00/soap/WebService: Connection reset by peer (if the port"
        " speaks TLS, use https://: it resets a plain call now and then)"
    )


def test_timeout():
    with socket.socket() as listener:  # accepts, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        connections = []
        threading.Thread(target=lambda: connections.append(listener.accept()), daemon=True).start()
        client = make_client(f"http://127.0.0.1:{port}", timeout=0.3)
        with pytest.raises(MagdaTransportFout) as info:
            client.geef_automatisch_advies("98630499724", "2024-01-01")
        # the client's own timeout, not what requests had left of it ("timeout=0.2999856")
        assert str(info.value) == (
            f"timeout calling GeefAutomatischAdvies at http://127.0.0.1:{port}"
            "/GeefAutomatischAdviesDienst-01.00/soap/WebService: no answer within 0.3 s"
        )


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, b"<niet-afgesloten", "unreadable reply"),
        (502, b"<html>Bad Gateway</html>", "no MAGDA Repliek in the reply"),
        (500, b"", "HTTP 500 without a SOAP reply; an empty body"),
    ],
)
def test_unusable_replies(stub, status, body, message):
    stub.antwoord = (status, body)
    with pytest.raises(MagdaTransportFout, match=message) as info:
        make_client(stub.url).geef_dossier_kbi("90722600260")
    assert "<string>" not in str(info.value)  # lxml's placeholder for a file name


def test_a_reply_that_is_no_soap_says_how_it_begins(stub):
    """A gateway's error page (nginx's 502, a maintenance page) said only "HTTP 502 without
    a readable SOAP reply: Opening and ending tag mismatch: hr line 5 and body...": the
    parser's complaint, not what the reply was. Its beginning is said now, whitespace
    folded and cut at 200 characters."""
    page = (
        b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
        b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
        b"</body>\r\n</html>\r\n" + b"<!-- padding -->" * 40
    )
    stub.antwoord = (502, page)
    with pytest.raises(MagdaTransportFout) as error:
        make_client(stub.url).geef_dossier_kbi("90722600260")
    assert str(error.value) == (
        "HTTP 502 without a SOAP reply; it begins: '<html> <head><title>502 Bad Gateway"
        "</title></head> <body> <center><h1>502 Bad Gateway</h1></center> <hr><center>nginx"
        "</center> </body> </html> <!-- padding --><!-- padding --><!-- padding --><!-- padd'"
        " (790 bytes)"
    )
    assert error.value.status == 502
    stub.antwoord = (503, b"<maintenance>back at 18:00</maintenance>")  # XML, no MAGDA reply
    with pytest.raises(MagdaTransportFout) as error:
        make_client(stub.url).geef_dossier_kbi("90722600260")
    assert str(error.value) == (
        "no MAGDA Repliek in the reply (HTTP 503); it begins: "
        "'<maintenance>back at 18:00</maintenance>' (40 bytes)"
    )


def test_an_answer_to_another_question_is_refused(stub):
    stub.referte = "andere-vraag"
    with pytest.raises(MagdaTransportFout, match="answers another question"):
        make_client(stub.url).geef_dossier_kbi("90722600260")


def test_warnings_are_exposed_not_raised(stub):
    stub.warning = True
    dossier = make_client(stub.url).geef_dossier_kbi("90722600260")
    assert [(u.code, u.type) for u in dossier.uitzonderingen] == [("30101", "WAARSCHUWING")]


def test_every_real_sample_reads_into_a_typed_result_or_error(stub):
    client = make_client(stub.url, retries=0)
    read_back = errors = 0
    for sample in sorted(reference.SAMPLES.glob("*.xml")):
        insz = sample.stem if sample.stem.isdigit() else "80651439361"
        from lxml import etree

        raw_ = etree.parse(str(sample)).getroot()
        dossier_el = raw_.find("Repliek/Antwoorden/Antwoord/Inhoud/KBIDossier")
        code = raw_.findtext("Repliek/Uitzonderingen/Uitzondering/Identificatie")
        if dossier_el is None:
            expected = {"30001": DossierNietGevonden, "99996": TeVeelBevragingen}[code]
            with pytest.raises(expected):
                client.geef_dossier_kbi(insz)
            errors += 1
            continue
        dossier = client.geef_dossier_kbi(insz)
        read_back += 1
        assert dossier.insz == insz
        assert dossier.achternamen == tuple(
            a.text.strip() for a in dossier_el.iterfind("Personalia/Naam/Achternamen/Achternaam")
        )
        if dossier_el.find("Doelgroep/Type") is not None:
            assert dossier.doelgroep.type == dossier_el.findtext("Doelgroep/Type").strip()
        assert len(dossier.contracten) == len(dossier_el.findall("Contracten/Contract"))
        assert len(dossier.inbreuken) == len(dossier_el.findall("Inbreuken/Inbreuk"))
        assert len(dossier.trajecten) == len(dossier_el.findall("Trajecten/Traject"))
        assert dossier.contract_ondertekend == bool(dossier.contracten)
        assert dossier.element.find("Personalia") is not None  # the raw element is kept
    assert (read_back, errors) == (17, 4)


def today_in_brussels() -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Europe/Brussels")).date().isoformat()


def test_the_client_sends_a_fresh_referte_and_the_context(stub):
    from lxml import etree

    client = make_client(stub.url)
    client.geef_dossier_kbi("90722600260")
    client.geef_dossier_kbi("90722600260")
    refertes = []
    for body in stub.verzoeken:
        verzoek = etree.fromstring(body).find(".//Verzoek")
        assert verzoek.findtext("Context/Naam") == "GeefDossierKBI"
        assert verzoek.findtext("Context/Bericht/Afzender/Identificatie") == "kbi.test.zorgkas.be"
        assert verzoek.findtext("Context/Bericht/Afzender/Hoedanigheid") == "1234"
        # the platform's date (Brussels), not this machine's: they differ for an hour or two
        # a night on a machine on UTC
        assert verzoek.findtext("Context/Bericht/Tijdstip/Datum") == today_in_brussels()
        refertes.append(verzoek.findtext("Vragen/Vraag/Referte"))
    assert len(set(refertes)) == 2


def test_service_addresses_can_be_overridden(server):
    client = make_client(
        "http://127.0.0.1:1",
        addresses={
            "GeefAutomatischAdvies": f"{server.url}/api/Magda-02.00/soap/WebService",
        },
    )
    assert client.geef_automatisch_advies("73680599786", "2024-01-01").reden_code == "INBREUK"
    with pytest.raises(ValueError, match="unknown services"):
        make_client(server.url, addresses={"GeefPersoon": "http://x"})


def test_the_first_release_s_dutch_names_still_work_and_say_their_new_names(server):
    """adressen, Ondertekening and the modules fouten and resultaten: kept for one release,
    each with a DeprecationWarning that names what replaces it."""
    advies_url = f"{server.url}/api/Magda-02.00/soap/WebService"
    with pytest.warns(DeprecationWarning, match="use addresses="):
        client = make_client("http://127.0.0.1:1", adressen={"GeefAutomatischAdvies": advies_url})
    assert client.geef_automatisch_advies("73680599786", "2024-01-01").reden_code == "INBREUK"
    with pytest.raises(ValueError, match="give addresses only"), pytest.warns(DeprecationWarning):
        make_client(server.url, adressen={}, addresses={})
    with pytest.warns(DeprecationWarning, match=r"use magda_client\.Signing\(key, certificate"):
        old = magda_client.Ondertekening("sign.key", "sign.crt", "geheim")
    assert (old.key, old.certificate, old.password) == ("sign.key", "sign.crt", "geheim")
    assert isinstance(old, magda_client.Signing)
    for module in ("fouten", "resultaten"):
        sys.modules.pop(f"magda_client.{module}", None)  # the warning comes at import
        with pytest.warns(DeprecationWarning, match=f"magda_client.{module} is deprecated"):
            old_module = importlib.import_module(f"magda_client.{module}")
    assert old_module.KbiDossier is magda_client.KbiDossier
    assert importlib.import_module("magda_client.fouten").MagdaFout is MagdaFout


def test_session_carries_client_certificate_and_verify(tmp_path):
    from . import certificates

    pairs = certificates.make(tmp_path)  # the files are loaded when the client is made
    cert = (str(pairs["client"].certificate), str(pairs["client"].key))
    ca = str(pairs["ca"].certificate)
    client = make_client("https://magda.example", cert=cert, verify=ca)
    assert client.session.cert == cert
    assert client.session.verify == ca


def test_magda_client_does_not_need_the_server_stack():
    code = (
        "import sys, magda_client\n"
        "assert not {'spyne', 'flask', 'granian'} & set(sys.modules), sorted(sys.modules)\n"
    )
    process = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert process.returncode == 0, process.stderr


def test_errors_share_a_base():
    for class_ in (DossierNietGevonden, TeVeelBevragingen, OngeldigVerzoek):
        assert issubclass(class_, MagdaFout)
    assert not issubclass(MagdaTransportFout, MagdaFout)


def test_cli_client_shows_the_uitzonderingen_of_an_answer():
    """Under the ruling's rule set the advice is OK with an INFORMATIE Uitzondering naming
    the ruling; 'magda-kbi client advies' printed the OK alone (--json had it)."""
    from magda_kbi.adapters.app import Settings, make_emulator
    from magda_kbi.adapters.pytest_plugin import _Server
    from magda_kbi.domain.advies import RuleSet

    from .cli_run import magda_kbi

    server = _Server(make_emulator(Settings(rule_set=RuleSet.NA_ARREST_112_2023)))
    try:
        process = magda_kbi(
            "client", "advies", "73680599786", "--datum", "2024-01-01", "--url", server.url
        )
    finally:
        server.stop()
    assert process.returncode == 0, process.stderr
    assert process.stdout.splitlines() == [
        "73680599786 peildatum 2024-01-01: OK",
        "INFORMATIE 40201: Grondwettelijk Hof, arrest nr. 112/2023 van 20 juli 2023 (BS 10"
        " november 2023): de inburgeringsvoorwaarde voor het zorgbudget en de verlaagde premie"
        " is vernietigd",
    ]


def test_cli_client(server):
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "magda_kbi",
            "client",
            "dossier",
            "79652599875",
            "--url",
            server.url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 0, process.stderr
    assert "Julie Janssens (79652599875)" in process.stdout
    assert "contract:   signed" in process.stdout
    import json

    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "magda_kbi",
            "client",
            "advies",
            "73680599786",
            "--datum",
            "2024-01-01",
            "--url",
            server.url,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    antwoord = json.loads(process.stdout)
    assert (antwoord["resultaat"], antwoord["reden_code"], antwoord["ok"]) == (
        "NOK",
        "INBREUK",
        False,
    )
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "magda_kbi",
            "client",
            "dossier",
            "86630100380",
            "--url",
            server.url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 1 and "30001" in process.stderr
    assert requests.get(f"{server.url}/health", timeout=5).ok


class RawServer:
    """Answers every connection with ``antwoord(server, socket)``: HTTP as a broken proxy
    speaks it. ``verzoek`` is the last request's body; ``verzonden`` counts the bytes the
    client took before it hung up."""

    def __init__(self, antwoord) -> None:
        self.antwoord, self.verzonden = antwoord, 0
        self.luisteraar = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.luisteraar.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.luisteraar.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(10)
                try:
                    self.verzoek = self._read_request(connection)
                    self.antwoord(self, connection)
                except OSError:
                    pass  # the client hung up: what the tests want to see

    @staticmethod
    def _read_request(connection: socket.socket) -> bytes:
        received = b""
        while b"\r\n\r\n" not in received:
            received += connection.recv(65536)
        header, _, body = received.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", header).group(1))
        while len(body) < length:
            body += connection.recv(65536)
        return body

    def send_raw(self, connection: socket.socket, data: bytes) -> None:
        connection.sendall(data)
        self.verzonden += len(data)


@pytest.fixture
def raw():
    servers = []

    def make(antwoord) -> RawServer:
        servers.append(RawServer(antwoord))
        return servers[-1]

    yield make
    for s in servers:
        s.luisteraar.close()


def test_an_endless_reply_is_cut_off_at_the_limit_not_read_into_memory(raw):
    mb = b"x" * 1024 * 1024

    def endless(server, connection):  # chunked, no Content-Length: 160 MB, 10x the limit
        server.send_raw(connection, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(160):
            server.send_raw(connection, b"100000\r\n" + mb + b"\r\n")
        server.send_raw(connection, b"0\r\n\r\n")

    server = raw(endless)
    with pytest.raises(MagdaTransportFout, match="larger than 16777216 bytes"):
        make_client(server.url).geef_dossier_kbi("98630499724")
    # read up to the limit, then hung up: what was sent beyond it is at most what the
    # kernel buffers (tcp_rmem and tcp_wmem, at most 36 MB here)
    assert server.verzonden < 64 * 1024 * 1024


def test_a_too_large_content_length_is_refused_before_the_body(raw):
    def announced(server, connection):  # says 100 MB, then sends nothing: waits
        server.send_raw(connection, b"HTTP/1.1 200 OK\r\nContent-Length: 104857600\r\n\r\n")
        while connection.recv(1):  # until the client hangs up
            pass

    server = raw(announced)
    client = make_client(server.url, timeout=5)
    with pytest.raises(MagdaTransportFout, match="larger than 16777216 bytes"):
        client.geef_dossier_kbi("98630499724")


def test_a_content_length_of_other_digits_is_a_transport_error_not_a_value_error(raw):
    """A header's byte 0xB2 reads as '²', a digit to str.isdigit and not to int(): it was a
    bare ValueError out of the client, past its MagdaError root."""

    def odd_digit(server, connection):
        server.send_raw(connection, b"HTTP/1.1 200 OK\r\nContent-Length: \xb2\r\n\r\n<x/>")
        connection.close()

    server = raw(odd_digit)
    with pytest.raises(MagdaTransportFout) as info:
        make_client(server.url).geef_dossier_kbi("98630499724")
    assert str(info.value) == (
        "no MAGDA Repliek in the reply (HTTP 200); it begins: '<x/>' (4 bytes)"
    )


def test_a_connection_closed_before_any_reply_is_tried_once_more(raw):
    """A kept connection the server closes as the request goes out (an idle timeout, a
    restart: one call in three serve restarts under keep-alive, benchmarks/reload.py) gave
    no answer; the same message goes once more on a new connection, and only once."""
    requests_seen = []

    def closed_first(server, connection):
        requests_seen.append(server.verzoek)
        if len(requests_seen) == 2:
            server.send_raw(connection, b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n<x/>")

    server = raw(closed_first)
    with pytest.raises(MagdaTransportFout) as info:  # the second try's reply, read
        make_client(server.url).geef_dossier_kbi("98630499724")
    assert str(info.value) == (
        "no MAGDA Repliek in the reply (HTTP 200); it begins: '<x/>' (4 bytes)"
    )
    assert len(requests_seen) == 2 and requests_seen[0] == requests_seen[1]  # the same message

    requests_seen.clear()
    always_closed = raw(lambda server, connection: requests_seen.append(server.verzoek))
    with pytest.raises(MagdaTransportFout) as info:
        make_client(always_closed.url).geef_dossier_kbi("98630499724")
    assert "Remote end closed connection without response" in str(info.value)
    assert len(requests_seen) == 2


def test_a_reply_that_trickles_in_times_out(raw):
    def trickle(server, connection):  # one byte every 0.1 s: never a 0.5 s silence
        server.send_raw(connection, b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(100):
            server.send_raw(connection, b"<")
            threading.Event().wait(0.1)

    server = raw(trickle)
    client = make_client(server.url, timeout=0.5)
    begin = time.monotonic()
    with pytest.raises(MagdaTransportFout, match="timeout"):
        client.geef_automatisch_advies("98630499724", "2024-01-01")
    assert time.monotonic() - begin < 3  # the trickle lasts 10 s


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_followed_and_names_where_it_points(raw, status):
    def refer(server, connection):
        server.send_raw(
            connection,
            b"HTTP/1.1 %d Moved\r\nLocation: https://magda.example/GeefDossierKBI\r\n"
            b"Content-Length: 0\r\n\r\n" % status,
        )

    server = raw(refer)
    with pytest.raises(MagdaTransportFout) as info:
        make_client(server.url).geef_dossier_kbi("98630499724")
    assert str(info.value) == (
        f"HTTP {status}: GeefDossierKBI redirects to https://magda.example/GeefDossierKBI;"
        " not followed (a MAGDA request is not resent elsewhere unasked): if that is the"
        " service, use that address"
    )
    assert info.value.status == status


def test_a_compressed_reply_counts_unpacked(raw, stub):
    """A reply that unpacks beyond the limit is refused, and no more than the limit is ever
    unpacked: urllib3 before 2.6 unpacked each chunk read whole (CVE-2025-66471), 64 MB at
    once here (urllib3 2.2, which pyproject took: a peak of 148 MB, 7 s of CPU)."""
    import gzip
    import tracemalloc

    bom = gzip.compress(b"<" * 64 * 1024 * 1024)  # 64 KB that unpack to 64 MB

    def packed(server, connection):
        server.send_raw(
            connection,
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s"
            % (len(bom), bom),
        )

    client = make_client(raw(packed).url)
    tracemalloc.start()
    try:
        with pytest.raises(MagdaTransportFout, match="larger than 16777216 bytes"):
            client.geef_dossier_kbi("98630499724")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 24 * 1024 * 1024, f"{peak} bytes at the peak"

    def normal(server, connection):  # a real reply, packed, reads as it does unpacked
        body = gzip.compress(stub.answer(server.verzoek)[1])
        server.send_raw(
            connection,
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s"
            % (len(body), body),
        )

    dossier = make_client(raw(normal).url).geef_dossier_kbi("98630499724")
    assert (dossier.voornamen, dossier.achternamen) == (("Test4885",), ("User4885",))


def test_a_session_hook_that_logs_the_reply_does_not_take_it_away(stub):
    client = make_client(stub.url)
    logged = []
    client.session.hooks["response"].append(lambda r, *a, **kw: logged.append(r.content))
    dossier = client.geef_dossier_kbi("98630499724")
    assert (dossier.voornamen, dossier.achternamen) == (("Test4885",), ("User4885",))
    assert b"<Achternaam>User4885</Achternaam>" in logged[0]


def test_the_insz_as_printed_on_the_eid_is_taken_and_sent_as_11_digits(stub):
    client = make_client(stub.url)
    dossier = client.geef_dossier_kbi(" 98.63.04-997.24 ")
    assert dossier.insz == "98630499724"
    assert b"<INSZ>98630499724</INSZ>" in stub.verzoeken[-1]
    for error in ("98.63.04-997.25", "98.6304-99724", "98 63 04 997 24", "98-63-04-997-24"):
        with pytest.raises(OngeldigVerzoek, match="geen geldig INSZ"):
            client.geef_dossier_kbi(error)
    assert len(stub.verzoeken) == 1


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"base_url": "127.0.0.1:8080"}, "base_url must be an http:// or https:// URL"),
        ({"base_url": ""}, "base_url must be an http:// or https:// URL"),
        ({"base_url": "ftp://magda.example"}, "base_url must be an http:// or https:// URL"),
        (
            {"base_url": "http://127.0.0.1:abc"},
            "base_url must be an http:// or https:// URL, not 'http://127.0.0.1:abc'"
            " (Port could not be cast to integer value as 'abc')",
        ),
        ({"base_url": "https://magda.example:65536"}, "(Port out of range 0-65535)"),
        (
            {"base_url": "http://[::1:8080"},
            "base_url must be an http:// or https:// URL, not 'http://[::1:8080'"
            " (Invalid IPv6 URL)",
        ),
        (
            {"base_url": "https://magda.example/GeefDossierKBIDienst-02.00/soap/WebService"},
            "base_url is the platform's root, not a service's address",
        ),
        (  # the WSDL's address: the services' paths went into its query, and it worked
            {"base_url": "http://127.0.0.1:8080/GeefDossierKBIDienst-02.00/soap/WebService?wsdl"},
            "base_url is the platform's root, not a service's address",
        ),
        (
            {"base_url": "https://magda.example/?omgeving=test"},
            "base_url is the platform's root, without a query or fragment"
            " ('https://magda.example/?omgeving=test'): each service's path is added to it",
        ),
        ({"base_url": "https://magda.example#top"}, "without a query or fragment"),
        (
            {"addresses": {"GeefAutomatischAdvies": "magda.example/advies"}},
            "addresses['GeefAutomatischAdvies'] must be an http:// or https:// URL",
        ),
        ({"afzender": ""}, "afzender must be your MAGDA Identificatie"),
        ({"afzender": None}, "afzender must be your MAGDA Identificatie"),
        ({"hoedanigheid": None}, "hoedanigheid must be text"),
        ({"timeout": 0}, "timeout must be more than 0 seconds, not 0"),
        # a TypeError of a comparison, an OverflowError at the first call, taken
        ({"timeout": "5"}, "timeout must be a number of seconds, not '5'"),
        ({"timeout": None}, "timeout must be a number of seconds, not None"),
        ({"timeout": float("inf")}, "timeout must be a number of seconds, not inf"),
        ({"backoff": -1}, "backoff must be 0 seconds or more, not -1"),
        ({"max_backoff": "x"}, "max_backoff must be a number of seconds, not 'x'"),
        ({"retries": "2"}, "retries must be a whole number, 0 or more, not '2'"),
        ({"retries": -1}, "retries must be a whole number, 0 or more, not -1"),
    ],
)
def test_a_client_set_up_wrong_is_refused_when_made_not_at_its_first_call(kw, message):
    """Each was found at the first call: 'not reachable: No connection adapters', an HTTP
    404, zeep's own ValidationError (no MagdaError) or requests' ValueError."""
    args = {"base_url": "http://127.0.0.1:8080", "afzender": "a.b", "hoedanigheid": "1", **kw}
    with pytest.raises(ValueError, match=re.escape(message)):
        MagdaClient(args.pop("base_url"), **args)


def test_a_date_that_is_no_date_is_named_as_given(client):
    with pytest.raises(OngeldigVerzoek, match=re.escape("Datum: '2024-02-30' is geen datum")):
        client.geef_automatisch_advies("98630499724", "2024-02-30")
    with pytest.raises(OngeldigVerzoek, match=re.escape("Datum: 20240101 is geen datum")):
        client.geef_automatisch_advies("98630499724", 20240101)


def test_an_insz_given_as_a_number_is_told_of_its_lost_zero(client):
    """06721400144 as a Python int is 6721400144, as a spreadsheet's cell "6721400144":
    refused as any ten digits, no word why."""
    message = (
        "INSZ: '6721400144' is geen geldig INSZ (11 cijfers, controle modulo 97): als getal"
        " verliest het zijn eerste 0, geef het als tekst ('06721400144')"
    )
    with pytest.raises(OngeldigVerzoek, match=re.escape(message)):
        client.geef_dossier_kbi(6721400144)
    # as text, ten digits are what a spreadsheet makes of it (a CSV saved by Excel): told,
    # where a 0 in front makes a valid INSZ; never sent as a guess
    with pytest.raises(
        OngeldigVerzoek,
        match=re.escape(
            "'6721400144' is geen geldig INSZ (11 cijfers, controle modulo 97): een rekenblad"
            " laat een eerste 0 vallen; bedoelt u '06721400144'?"
        )
        + "$",
    ):
        client.geef_dossier_kbi("6721400144")
    with pytest.raises(
        OngeldigVerzoek,
        match=re.escape("'6721400145' is geen geldig INSZ (11 cijfers, controle modulo 97)") + "$",
    ):
        client.geef_dossier_kbi("6721400145")


@pytest.mark.parametrize("value", ["false", "ja", 0, None])
def test_mutaties_context_is_true_or_false(client, value):
    """'false' and 0 were sent as false, 'ja' as true (zeep's reading of a boolean), None
    raised zeep's own ValidationError (no MagdaError)."""
    message = f"MutatiesContext: {value!r} is geen boolean (True of False)"
    with pytest.raises(OngeldigVerzoek, match=re.escape(message)):
        client.geef_dossier_kbi("98630499724", mutaties_context=value)


def test_a_requests_tijdstip_is_the_platforms_time_on_any_machine(stub):
    """MAGDA's times are Belgian local time, without a zone on the wire; the client sent
    its machine's own, an hour or more off on a container or CI runner on UTC (here New
    York's zone, to be off wherever the suite runs)."""
    import os
    from datetime import datetime, timedelta
    from datetime import time as tijd
    from zoneinfo import ZoneInfo

    from lxml import etree

    script = (
        "from magda_client import MagdaClient, MagdaError\n"
        f"c = MagdaClient({stub.url!r}, afzender='kbi.test.zorgkas.be', hoedanigheid='1234')\n"
        "try:\n"
        "    c.geef_dossier_kbi('98630499724')\n"
        "except MagdaError:\n"
        "    pass\n"
    )
    process = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "TZ": "America/New_York"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 0, process.stderr
    tijdstip = etree.fromstring(stub.verzoeken[-1]).find(".//Verzoek/Context/Bericht/Tijdstip")
    sent = datetime.combine(
        date.fromisoformat(tijdstip.findtext("Datum")),
        tijd.fromisoformat(tijdstip.findtext("Tijd")),
    )
    brussel = datetime.now(ZoneInfo("Europe/Brussels")).replace(tzinfo=None)
    assert abs(sent - brussel) < timedelta(minutes=1)


def test_the_client_closes_its_connections_and_leaves_a_given_session_open(server):
    """A client kept its connection to MAGDA open until it was garbage collected: it had no
    close() and no with-block. It closes the session it made; a session given stays the
    giver's to close."""
    with make_client(server.url) as client:
        client.geef_automatisch_advies("73680599786", "2024-01-01")
        pools = client.session.get_adapter(server.url).poolmanager.pools
        assert len(pools) == 1  # the kept connection's pool
    assert len(pools) == 0
    given = requests.Session()
    client = make_client(server.url, session=given)
    client.geef_automatisch_advies("73680599786", "2024-01-01")
    client.close()
    assert len(given.get_adapter(server.url).poolmanager.pools) == 1
    given.close()


def test_results_and_errors_carry_the_referte_the_call_sent(magda):
    """The Referte is what MAGDA's helpdesk (and the emulator's journal) finds a call by; the
    results and errors did not give it, so a zorgkas could not log which call decided."""
    client = make_client(magda.url)
    advies = client.geef_automatisch_advies("73680599786", "2024-01-01")
    dossier = client.geef_dossier_kbi("73680599786")
    with pytest.raises(DossierNietGevonden) as not_found:
        client.geef_dossier_kbi("86630100380")  # not in the KBI
    magda.fault("99996", count=1)
    with pytest.raises(TeVeelBevragingen) as pressure:
        make_client(magda.url, retries=0).geef_automatisch_advies("73680599786", "2024-01-01")
    journal = [e["referte"] for e in magda.journal()]
    assert [advies.referte, dossier.referte, not_found.value.referte, pressure.value.referte] == (
        journal
    )
    assert len(set(journal)) == 4
    with pytest.raises(OngeldigVerzoek) as refused:  # refused before sending: no Referte
        client.geef_automatisch_advies("12345678901", "2024-01-01")
    assert refused.value.referte is None


def test_cli_client_names_the_referte_of_a_call_that_failed(magda):
    from .cli_run import magda_kbi

    process = magda_kbi("client", "dossier", "86630100380", "--url", magda.url)
    assert process.returncode == 1
    referte = magda.journal()[-1]["referte"]
    assert process.stderr == (
        f"MAGDA: 30001 Geen gegevens gevonden voor de vraag (Referte {referte})\n"
    )
    in_json = magda_kbi("client", "dossier", "86630100380", "--url", magda.url, "--json")
    assert json.loads(in_json.stdout)["fout"]["referte"] == magda.journal()[-1]["referte"]


PROXY_ELSEWHERE = "http://proxy.invalid:3128"  # a corporate proxy: it cannot reach 127.0.0.1


def test_the_emulator_on_this_machine_is_called_directly_past_a_proxy_elsewhere(
    server, monkeypatch
):
    """A corporate HTTP_PROXY sent every call to the emulator on 127.0.0.1 to the proxy,
    which cannot reach this machine's loopback: each failed ("Unable to connect to proxy")."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, PROXY_ELSEWHERE)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    advies = make_client(server.url).geef_automatisch_advies("73680599786", "2024-01-01")
    assert advies.reden_code == "INBREUK"


def test_a_proxy_on_this_machine_is_still_used_for_the_emulator(server, monkeypatch):
    """A debugging proxy (mitmproxy, say) on this machine reaches the emulator: the calls go
    through it, as the environment asks."""
    seen: list[bytes] = []
    with socket.socket() as proxy:
        proxy.bind(("127.0.0.1", 0))
        proxy.listen()

        def answer() -> None:
            connection, _ = proxy.accept()
            with connection:
                seen.append(connection.recv(65536).split(b"\r\n", 1)[0])
                connection.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.getsockname()[1]}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        with pytest.raises(MagdaTransportFout):
            make_client(server.url, retries=0).geef_automatisch_advies("73680599786", "2024-01-01")
        thread.join(timeout=10)
    # the absolute form of the request line: it was asked of a proxy
    assert seen == [
        f"POST {server.url}/GeefAutomatischAdviesDienst-01.00/soap/WebService HTTP/1.1".encode()
    ]


@pytest.mark.parametrize(
    ("url", "proxy", "direct"),
    [
        ("http://127.0.0.1:8080", PROXY_ELSEWHERE, True),
        ("https://[::1]:8443/x", PROXY_ELSEWHERE, True),
        ("http://localhost:8080", PROXY_ELSEWHERE, True),
        ("http://emulator.localhost:8080", PROXY_ELSEWHERE, True),
        ("http://127.0.0.2:8080", "10.0.0.1:3128", True),  # a proxy written without scheme
        ("https://magda.vlaanderen.be", PROXY_ELSEWHERE, False),  # the platform: as asked
        ("http://127.0.0.1:8080", "http://127.0.0.1:8888", False),  # a proxy here reaches it
        ("http://127.0.0.1:8080", "http://localhost:8888", False),
        ("http://127.0.0.1:8080", None, False),  # no proxy: nothing to keep it from
    ],
)
def test_which_calls_are_kept_from_the_environment_s_proxy(url, proxy, direct, monkeypatch):
    from magda_client.client import no_proxy_for_this_machine

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    if proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("HTTPS_PROXY", proxy)
    expected = {"http": None, "https": None, "all": None} if direct else None
    assert no_proxy_for_this_machine(url, requests.Session()) == expected
    # a session that names its proxies, or takes nothing from the environment, is as it says
    named = requests.Session()
    named.proxies = {"http": "http://10.0.0.1:3128"}
    assert no_proxy_for_this_machine(url, named) is None
    untrusting = requests.Session()
    untrusting.trust_env = False
    assert no_proxy_for_this_machine(url, untrusting) is None
    # and NO_PROXY, as requests reads it
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,::1,localhost,.localhost,127.0.0.2")
    assert no_proxy_for_this_machine(url, requests.Session()) is None


def test_one_client_shared_by_threads_answers_each_its_own_question(server):
    """A zorgkas checks its members with a pool of threads over one client: each answer is
    its own question's (the Referte each reply echoes is checked too), none crossed."""
    from concurrent.futures import ThreadPoolExecutor

    client = make_client(server.url)
    expected = {  # written out from the personas' scenarios
        ("advies", "73680599786", "2024-01-01"): ("NOK", "INBREUK"),
        ("advies", "98630499724", "2024-01-01"): ("OK", None),
        ("advies", "06721400144", "2025-03-15"): ("NOK", "GEEN_AANMELDING"),
        ("advies", "06721400144", "2025-05-02"): ("OK", None),
        ("advies", "70650846952", "2024-01-01"): ("NOK", "GEEN_CONTRACT"),
        ("dossier", "98630499724", None): ("98630499724", ("Daoud",)),
        ("dossier", "73680599786", None): ("73680599786", ("Janssens",)),
        ("dossier", "86630100380", None): "DossierNietGevonden",
    }
    questions = [*expected] * 40

    def ask(question):
        kind, insz, datum = question
        try:
            if kind == "advies":
                answer = client.geef_automatisch_advies(insz, datum)
                return question, (answer.resultaat, answer.reden_code)
            dossier = client.geef_dossier_kbi(insz)
            return question, (dossier.insz, dossier.achternamen)
        except DossierNietGevonden:
            return question, "DossierNietGevonden"

    with client, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, questions))
    assert len(answers) == 320
    assert [(q, a) for q, a in answers if a != expected[q]] == []
