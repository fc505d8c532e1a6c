"""Real-platform readiness: client certificates (mTLS) and WS-Security X.509 signing."""

import ssl

import pytest
from lxml import etree

from magda_client import MagdaClient, MagdaTransportFout, Ondertekening

from . import certificaten, referentie
from .magda_stub import MagdaStub
from .soap import PAD_ADVIES


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return certificaten.maak(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def tls_stub(certs):
    referentie.vereist()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs["server"].certificaat, certs["server"].sleutel)
    context.load_verify_locations(certs["ca"].certificaat)
    context.verify_mode = ssl.CERT_REQUIRED  # mutual TLS: the platform wants our certificate
    stub = MagdaStub(tls=context)
    yield stub
    stub.stop()


def test_mtls_with_a_client_certificate(tls_stub, certs, monkeypatch):
    # requests would let this override the session's CA (psf/requests#3829); ours must win
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    client = MagdaClient(
        tls_stub.url,
        afzender="zorgkas.be",
        hoedanigheid="1",
        cert=(str(certs["client"].certificaat), str(certs["client"].sleutel)),
        verify=str(certs["ca"].certificaat),
    )
    assert client.geef_dossier_kbi("90722600260").insz == "90722600260"


def test_mtls_without_a_client_certificate_fails_clearly(tls_stub, certs):
    client = MagdaClient(
        tls_stub.url, afzender="zorgkas.be", hoedanigheid="1", verify=str(certs["ca"].certificaat)
    )
    with pytest.raises(MagdaTransportFout):
        client.geef_dossier_kbi("90722600260")


def test_an_unknown_server_certificate_is_refused(tls_stub, certs):
    client = MagdaClient(
        tls_stub.url,
        afzender="zorgkas.be",
        hoedanigheid="1",
        cert=(str(certs["client"].certificaat), str(certs["client"].sleutel)),
    )
    with pytest.raises(MagdaTransportFout, match="not reachable"):
        client.geef_dossier_kbi("90722600260")


@pytest.fixture
def ondertekening(certs):
    pytest.importorskip("xmlsec", reason="signing needs the 'signing' extra (xmlsec)")
    return Ondertekening(certs["client"].sleutel, certs["client"].certificaat)


def test_signed_requests_carry_a_valid_signature(ondertekening, certs):
    from zeep.exceptions import SignatureVerificationFailed
    from zeep.wsse.signature import verify_envelope

    referentie.vereist()
    stub = MagdaStub()
    try:
        client = MagdaClient(
            stub.url, afzender="zorgkas.be", hoedanigheid="1", signing=ondertekening
        )
        assert client.geef_dossier_kbi("90722600260").insz == "90722600260"
        verzoek = etree.fromstring(stub.verzoeken[-1])
    finally:
        stub.stop()
    assert verzoek.find(".//{http://www.w3.org/2000/09/xmldsig#}Signature") is not None
    verify_envelope(verzoek, str(certs["client"].certificaat))  # the local verifier
    # and it is a real check: a changed INSZ breaks the signature
    verzoek.find(".//INSZ").text = "90722600161"
    with pytest.raises(SignatureVerificationFailed):
        verify_envelope(verzoek, str(certs["client"].certificaat))


def test_the_emulator_accepts_signed_requests(ondertekening, server):
    client = MagdaClient(server.url, afzender="zorgkas.be", hoedanigheid="1", signing=ondertekening)
    advies = client.geef_automatisch_advies("73680599786", "2024-01-01")
    assert advies.reden_code == "INBREUK"
    assert PAD_ADVIES  # the same endpoint as unsigned calls
