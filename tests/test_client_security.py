"""Real-platform readiness: client certificates (mTLS) and WS-Security X.509 signing."""

import copy
import re
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from lxml import etree

from magda_client import MagdaClient, MagdaTransportFout, Signing

from . import certificates, reference
from .conftest import Server
from .magda_stub import MagdaStub
from .processes import free_port
from .soap import NS_SOAP, PATH_ADVIES, PATH_GENERIC, advies_verzoek, post


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return certificates.make(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def tls_stub(certs):
    reference.require()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs["server"].certificate, certs["server"].key)
    context.load_verify_locations(certs["ca"].certificate)
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
        cert=(str(certs["client"].certificate), str(certs["client"].key)),
        verify=str(certs["ca"].certificate),
    )
    assert client.geef_dossier_kbi("90722600260").insz == "90722600260"


def test_mtls_without_a_client_certificate_fails_clearly(tls_stub, certs):
    client = MagdaClient(
        tls_stub.url, afzender="zorgkas.be", hoedanigheid="1", verify=str(certs["ca"].certificate)
    )
    with pytest.raises(MagdaTransportFout):
        client.geef_dossier_kbi("90722600260")


def test_an_unknown_server_certificate_is_refused(tls_stub, certs):
    client = MagdaClient(
        tls_stub.url,
        afzender="zorgkas.be",
        hoedanigheid="1",
        cert=(str(certs["client"].certificate), str(certs["client"].key)),
    )
    # reachable: the TLS handshake failed, and the message says where to look
    with pytest.raises(MagdaTransportFout) as error:
        client.geef_dossier_kbi("90722600260")
    assert re.fullmatch(
        r"TLS with GeefDossierKBI failed \(check verify=, the CA bundle, and cert=, the client"
        r" certificate\): \[SSL: CERTIFICATE_VERIFY_FAILED\] certificate verify failed: [^()]+",
        str(error.value),
    ), str(error.value)


def test_the_cli_client_takes_a_client_certificate_and_a_ca(tls_stub, certs, tmp_path):
    from .cli_run import magda_kbi

    crt, key = str(certs["client"].certificate), str(certs["client"].key)
    ca = str(certs["ca"].certificate)
    tls = ("--url", tls_stub.url, "--json")
    process = magda_kbi(
        "client", "dossier", "90722600260", *tls, "--cert", crt, "--key", key, "--ca", ca
    )
    assert process.returncode == 0, process.stderr
    assert '"insz": "90722600260"' in process.stdout
    without_ca = magda_kbi("client", "dossier", "90722600260", *tls, "--cert", crt, "--key", key)
    assert without_ca.returncode == 3
    assert without_ca.stderr.startswith("magda-kbi: no answer: TLS with GeefDossierKBI failed")
    missing = str(tmp_path / "ontbreekt.pem")
    error = magda_kbi("client", "dossier", "90722600260", *tls, "--cert", missing)
    assert error.returncode == 2
    assert error.stderr == (
        f"magda-kbi: --cert: cannot use {missing!r} as the client certificate:"
        " No such file or directory\n"
    )
    error = magda_kbi("client", "dossier", "90722600260", *tls, "--ca", missing)
    assert error.returncode == 2 and error.stderr.startswith(
        f"magda-kbi: --ca: cannot use {missing!r}"
    )
    assert magda_kbi("client", "dossier", "90722600260", *tls, "--key", key).returncode == 2


def test_certificate_files_that_cannot_be_used_are_refused_when_the_client_is_made(certs, tmp_path):
    """requests loads them at the first call: a missing file was a bare OSError (outside
    MagdaError), a certificate without its key "not reachable: ... PEM lib"."""
    client_paar = certs["client"]
    encrypted = certificates.encrypted_key(client_paar.key, tmp_path / "versleuteld.key")
    crt, key = str(client_paar.certificate), str(client_paar.key)
    missing = str(tmp_path / "ontbreekt.pem")
    binary = certificates.binary_files(client_paar, tmp_path)
    p12, der = binary.p12, binary.certificate
    for kw, message in (
        ({"cert": missing}, f"cert: cannot use {missing!r} as the client certificate: No such"),
        (
            {"cert": crt},
            f"cert: cannot use {crt!r} as the client certificate: no PEM certificate with its"
            " private key (a key in a file of its own: cert=(CERT_FILE, KEY_FILE))",
        ),
        ({"cert": (crt, str(encrypted))}, "cert: the private key of ("),
        # a PKCS#12 bundle or a DER certificate: it said "no PEM certificate with its key"
        (
            {"cert": str(p12)},
            f"cert: cannot use {str(p12)!r} as the client certificate: a binary (DER) file, not"
            " PEM: a PKCS#12 bundle (.p12, .pfx) becomes one PEM file with 'openssl pkcs12 -in"
            " FILE -out client.pem -nodes', a DER certificate (.cer, .der) with 'openssl x509"
            " -inform der -in FILE -out client.crt'",
        ),
        (
            {"cert": (str(der), key)},
            f"cert: cannot use ({str(der)!r}, {key!r}) as the client"
            " certificate: a binary (DER) file, not PEM",
        ),
        ({"cert": (crt,)}, "cert must be a PEM file or (CERT_FILE, KEY_FILE), not ("),
        ({"verify": missing}, f"verify: cannot use {missing!r} as the CA bundle: No such"),
        ({"verify": key}, f"verify: cannot use {key!r} as the CA bundle: [X509: NO_CERTIFICATE"),
        (
            {"verify": str(der)},
            f"verify: cannot use {str(der)!r} as the CA bundle: a binary (DER) file, not PEM:"
            " a PKCS#12 bundle (.p12, .pfx) becomes one PEM file with 'openssl pkcs12 -in FILE"
            " -out client.pem -nodes', a DER certificate (.cer, .der) with 'openssl x509 -inform"
            " der -in FILE -out ca.pem'",
        ),
    ):
        with pytest.raises(ValueError) as error:
            MagdaClient("https://127.0.0.1:1", afzender="zorgkas.be", hoedanigheid="1", **kw)
        assert str(error.value).startswith(message), (kw, str(error.value))
    # the good ones pass, a folder of CA certificates too
    MagdaClient(
        "https://127.0.0.1:1",
        afzender="zorgkas.be",
        hoedanigheid="1",
        cert=(crt, key),
        verify=str(tmp_path),
    )


@pytest.fixture
def ondertekening(certs):
    pytest.importorskip("xmlsec", reason="signing needs the 'signing' extra (xmlsec)")
    return Signing(certs["client"].key, certs["client"].certificate)


def test_signed_requests_carry_a_valid_signature(ondertekening, certs):
    from zeep.exceptions import SignatureVerificationFailed
    from zeep.wsse.signature import verify_envelope

    reference.require()
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
    verify_envelope(verzoek, str(certs["client"].certificate))  # the local verifier
    # and it is a real check: a changed INSZ breaks the signature
    verzoek.find(".//INSZ").text = "90722600161"
    with pytest.raises(SignatureVerificationFailed):
        verify_envelope(verzoek, str(certs["client"].certificate))


def ec_paar(folder):
    """An EC key and its own certificate (a pair, but not one zeep can sign with)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    naam = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ec")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(naam)
        .issuer_name(naam)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (folder / "ec.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    (folder / "ec.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return folder / "ec.key", folder / "ec.crt"


def test_signing_files_that_cannot_be_used_are_refused_when_the_client_is_made(
    ondertekening, certs, tmp_path
):
    """zeep loads them at every call: a bad key was an xmlsec.Error (outside MagdaError), an
    encrypted one without its password had OpenSSL ask for a pass phrase on the terminal."""
    key, crt = certs["client"].key, certs["client"].certificate
    encrypted = certificates.encrypted_key(key, tmp_path / "versleuteld.key")
    missing = tmp_path / "ontbreekt.key"
    binary = certificates.binary_files(certs["client"], tmp_path)
    p12, der = binary.p12, binary.certificate
    for ondertekening_, message in (
        # a PKCS#12 bundle: it said xmlsec's "cannot load key"
        (
            Signing(p12, p12, "geheim"),
            f"signing: cannot use the key {str(p12)!r} with the certificate {str(p12)!r} (PEM"
            " files; the password if the key has one): a binary (DER) file, not PEM: a PKCS#12"
            " bundle (.p12, .pfx) becomes one PEM file with 'openssl pkcs12",
        ),
        (
            Signing(key, der),
            f"signing: cannot use the key {str(key)!r} with the certificate {str(der)!r} (PEM"
            " files; the password if the key has one): a binary (DER) file, not PEM",
        ),
        (Signing(missing, crt), f"signing: cannot read {str(missing)!r}: No such file"),
        (Signing(encrypted, crt), f"signing: the key {str(encrypted)!r} is encrypted"),
        (
            Signing(encrypted, crt, "fout"),
            f"signing: cannot use the key {str(encrypted)!r} with the certificate {str(crt)!r}",
        ),
        (Signing(key, key), f"signing: cannot use the key {str(key)!r}"),
        (  # signed every request without a word; the platform refused them
            Signing(key, certs["server"].certificate),
            f"signing: the key {str(key)!r} is not the key of the certificate"
            f" {str(certs['server'].certificate)!r}: every signature would be refused",
        ),
        (  # zeep signs RSA-SHA1: an xmlsec.Error at every call
            Signing(*ec_paar(tmp_path)),
            f"signing: cannot sign with the key {str(tmp_path / 'ec.key')!r} (zeep signs"
            " RSA-SHA1: an RSA key is needed)",
        ),
    ):
        with pytest.raises(ValueError) as error:
            MagdaClient(
                "https://127.0.0.1:1",
                afzender="zorgkas.be",
                hoedanigheid="1",
                signing=ondertekening_,
            )
        assert str(error.value).startswith(message), str(error.value)
        # xmlsec's words, not its error printed as a tuple ("(1, 'cannot load key')")
        assert not re.search(r"\(\d+, '", str(error.value)), str(error.value)
    # with its password the encrypted key signs
    MagdaClient(
        "https://127.0.0.1:1",
        afzender="zorgkas.be",
        hoedanigheid="1",
        signing=Signing(encrypted, crt, "geheim"),
    )


def test_signing_without_xmlsec_says_which_extra_installs_it(certs, monkeypatch):
    """It named the emulator's extra only: a zorgkas application installs the client alone
    (magda-kbi-client), whose extra is named alike."""
    monkeypatch.setitem(sys.modules, "xmlsec", None)  # as if not installed: ImportError
    with pytest.raises(RuntimeError) as refused:
        MagdaClient(
            "https://127.0.0.1:1",
            afzender="zorgkas.be",
            hoedanigheid="1",
            signing=Signing(certs["client"].key, certs["client"].certificate),
        )
    assert str(refused.value).startswith(
        "signing needs xmlsec: pip install 'magda-kbi-client[signing]'"
    )


def test_the_emulator_accepts_signed_requests(ondertekening, server):
    client = MagdaClient(server.url, afzender="zorgkas.be", hoedanigheid="1", signing=ondertekening)
    advies = client.geef_automatisch_advies("73680599786", "2024-01-01")
    assert advies.reden_code == "INBREUK"
    assert PATH_ADVIES  # the same endpoint as unsigned calls


def test_the_readme_s_real_platform_example_signs_with_its_files(certs, server, tmp_path):
    """The README's set-up towards MAGDA (client certificate, CA, signing), run as written
    with throw-away files of those names, against the emulator: every file is loaded when
    the client is made, and the signed call is answered."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    example = readme.split("**Towards the real platform.**", 1)[1].split("```python\n", 1)[1]
    example = example.split("```", 1)[0]
    files = {
        "client.crt": certs["client"].certificate,
        "client.key": certs["client"].key,
        "magda-ca.pem": certs["ca"].certificate,
        "sign.crt": certs["client"].certificate,
        "sign.key": certs["client"].key,
    }
    for name, source in files.items():
        (tmp_path / name).write_bytes(source.read_bytes())
    script = f"url = {server.url!r}\n{example}\n"
    script += "print(client.geef_automatisch_advies('73680599786', '2024-01-01').reden_code)\n"
    process = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout == "INBREUK\n"


# -- serve --verify-signatures: the emulator checks the WS-Security signature ----------

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
WSU_ID = f"{{{WSU}}}Id"
DS = "http://www.w3.org/2000/09/xmldsig#"


@pytest.fixture(scope="module")
def checking():
    """An emulator that checks signatures, over HTTP."""
    from magda_kbi.adapters.app import Settings, make_emulator
    from magda_kbi.adapters.pytest_plugin import _Server

    emulator = make_emulator(Settings(verify_signatures=True))
    server = _Server(emulator)
    yield server.url, emulator
    server.stop()


def signed(signing: Signing, body: bytes) -> etree._Element:
    """A request as zeep's signature plugin signs it (the Body, by its wsu:Id)."""
    envelope, _ = signing.plugin().apply(etree.fromstring(body), {})
    return envelope


def faultcode(answer) -> tuple[str, str]:
    """The Fault's code as a (namespace, name) pair, its prefix resolved, and its text."""
    code = answer.root.findtext("faultcode")
    prefix, name = code.split(":")
    return answer.root.nsmap[prefix], name


def test_a_signed_call_is_answered_and_an_unsigned_one_refused(checking, ondertekening, server):
    url, _ = checking
    # /health says which way it is (a CI set-up can check its emulator)
    assert requests.get(f"{url}/health", timeout=5).json()["verify_signatures"] is True
    assert requests.get(f"{server.url}/health", timeout=5).json()["verify_signatures"] is False
    client = MagdaClient(url, afzender="zorgkas.be", hoedanigheid="1", signing=ondertekening)
    assert client.geef_automatisch_advies("73680599786", "2024-01-01").reden_code == "INBREUK"
    assert client.geef_dossier_kbi("98630499724").doelgroep.type == "PLICHT"
    unsigned = MagdaClient(url, afzender="zorgkas.be", hoedanigheid="1")
    with pytest.raises(MagdaTransportFout) as refused:
        unsigned.geef_automatisch_advies("73680599786", "2024-01-01")
    assert refused.value.status == 500
    assert refused.value.fault == (
        "wsse:InvalidSecurity: Het verzoek is niet ondertekend: verwacht een wsse:Security met"
        " een ds:Signature in de Header"
    )


def test_a_signature_that_does_not_hold_is_refused_saying_why(checking, ondertekening, certs):
    url, emulator = checking
    body = advies_verzoek("73680599786", "2024-01-01")
    for path in (PATH_ADVIES, PATH_GENERIC):  # the generic endpoint checks it too
        answer = post(url + path, etree.tostring(signed(ondertekening, body)))
        assert (answer.status, answer.codes()) == (200, [])

    changed = signed(ondertekening, body)  # another person's advice, after signing
    changed.find(".//Criteria/INSZ").text = "98630499724"
    unsigned_body = signed(ondertekening, body)  # the Body's wsu:Id gone: not signed
    del unsigned_body.find(f"{{{NS_SOAP}}}Body").attrib[WSU_ID]
    wrapped = signed(ondertekening, body)  # the signed Body kept in the Header, another sent
    real_body = wrapped.find(f"{{{NS_SOAP}}}Body")
    wrapped.find(f"{{{NS_SOAP}}}Header").append(copy.deepcopy(real_body))
    real_body.find(".//Criteria/INSZ").text = "98630499724"
    no_certificate = signed(ondertekening, body)
    for data in no_certificate.iter(f"{{{DS}}}X509Data"):
        data.getparent().remove(data)
    # a KeyInfo gone, its certificate no base64, or base64 of no certificate
    # (read again first: in the tree zeep signed, lxml does not find the KeyInfo xmlsec made)
    no_key_info = etree.fromstring(etree.tostring(signed(ondertekening, body)))
    (key_info,) = no_key_info.iter(f"{{{DS}}}KeyInfo")
    key_info.getparent().remove(key_info)
    not_base64, not_x509 = signed(ondertekening, body), signed(ondertekening, body)
    next(not_base64.iter(f"{{{DS}}}X509Certificate")).text = "@@@"
    next(not_x509.iter(f"{{{DS}}}X509Certificate")).text = "aGVsbG8="
    from zeep.wsse.signature import Signature  # zeep alone signs with any pair

    other_key = Signature(str(certs["client"].key), str(certs["server"].certificate))
    another_key, _ = other_key.apply(etree.fromstring(body), {})
    cases = [
        (changed, "FailedCheck", "De handtekening klopt niet: het bericht is na het"),
        (another_key, "FailedCheck", "De handtekening klopt niet: het bericht is na het"),
        (unsigned_body, "FailedCheck", "De handtekening dekt de Body niet"),
        (wrapped, "FailedCheck", "ds:Reference URI '#id-"),
        (no_certificate, "InvalidSecurityToken", "Geen X.509-certificaat bij de handtekening"),
        (no_key_info, "InvalidSecurityToken", "Geen X.509-certificaat bij de handtekening"),
        (not_base64, "InvalidSecurityToken", "Geen X.509-certificaat bij de handtekening"),
        (not_x509, "InvalidSecurityToken", "Het certificaat bij de handtekening is geen X.509"),
    ]
    for envelope, code, text in cases:
        answer = post(url + PATH_ADVIES, etree.tostring(envelope))
        assert answer.status == 500
        assert faultcode(answer) == (WSSE, code)
        assert answer.fault.startswith(text), answer.fault
    refused = emulator.runtime.journal.read()[-1]  # journaled as a refused call
    assert (refused.operation, refused.result) == (
        "GeefAutomatischAdvies",
        "SOAP_FAULT InvalidSecurityToken",
    )


def test_serve_verify_signatures_says_so_and_refuses_an_unsigned_call():
    server = Server("--verify-signatures")
    try:
        answer = post(server.url + PATH_ADVIES, advies_verzoek("73680599786", "2024-01-01"))
    finally:
        output = server.stop()
    assert "  signatures: checked" in output
    assert answer.status == 500 and answer.fault.startswith("Het verzoek is niet ondertekend")


def test_serve_verify_signatures_without_xmlsec_says_how_to_get_it():
    script = (
        "import sys; sys.modules['xmlsec'] = None\n"  # as if not installed
        "from magda_kbi.adapters.cli import main\n"
        f"sys.exit(main(['serve', '--verify-signatures', '--port', '{free_port()}']))\n"
    )
    process = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert process.returncode == 2
    assert process.stderr.strip().endswith(
        "--verify-signatures needs xmlsec: pip install 'magda-kbi-emulator[signing]'"
    ), process.stderr


def test_a_signature_with_an_xpath_transform_is_refused(checking, certs):
    """A stranger's message may ask xmlsec for XPath or XSLT work per reference: only the
    canonicalisation, enveloped-signature and digest transforms are taken. The signature
    itself holds (checked below without that limit)."""
    import xmlsec

    url, _ = checking
    envelope = etree.fromstring(advies_verzoek("73680599786", "2024-01-01"))
    body = envelope.find(f"{{{NS_SOAP}}}Body")
    body.set(WSU_ID, "id-body")
    header = envelope.find(f"{{{NS_SOAP}}}Header")
    if header is None:
        header = etree.Element(f"{{{NS_SOAP}}}Header")
        envelope.insert(0, header)
    signature = xmlsec.template.create(
        envelope, xmlsec.constants.TransformExclC14N, xmlsec.constants.TransformRsaSha256
    )
    etree.SubElement(header, f"{{{WSSE}}}Security").append(signature)
    reference = xmlsec.template.add_reference(
        signature, xmlsec.constants.TransformSha256, uri="#id-body"
    )
    xpath = xmlsec.template.add_transform(reference, xmlsec.constants.TransformXPath)
    etree.SubElement(xpath, f"{{{DS}}}XPath").text = "true()"
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformExclC14N)
    data = xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
    xmlsec.template.x509_data_add_certificate(data)
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_file(str(certs["client"].key), xmlsec.constants.KeyDataFormatPem)
    context.key.load_cert_from_file(
        str(certs["client"].certificate), xmlsec.constants.KeyDataFormatPem
    )
    context.register_id(body, "Id", WSU)
    context.sign(signature)
    message = etree.tostring(envelope)

    check = xmlsec.SignatureContext()  # without the emulator's limit: it holds
    check.key = xmlsec.Key.from_file(
        str(certs["client"].certificate), xmlsec.constants.KeyDataFormatCertPem
    )
    again = etree.fromstring(message)
    check.register_id(again.find(f"{{{NS_SOAP}}}Body"), "Id", WSU)
    check.verify(again.find(f".//{{{DS}}}Signature"))

    answer = post(url + PATH_ADVIES, message)
    assert answer.status == 500 and faultcode(answer) == (WSSE, "FailedCheck")


def test_the_cli_client_signs_with_sign_key_and_sign_cert(checking, certs, tmp_path):
    from .cli_run import magda_kbi

    url, _ = checking
    ask = ("client", "advies", "73680599786", "--datum", "2024-01-01", "--url", url)
    pair = ("--sign-key", str(certs["client"].key), "--sign-cert", str(certs["client"].certificate))
    answered = magda_kbi(*ask, *pair)
    assert answered.returncode == 0, answered.stderr
    assert "INBREUK" in answered.stdout
    unsigned = magda_kbi(*ask)
    assert unsigned.returncode == 3
    assert "wsse:InvalidSecurity: Het verzoek is niet ondertekend" in unsigned.stderr
    half = magda_kbi(*ask, "--sign-key", str(certs["client"].key))
    assert half.returncode == 2
    assert "signing needs both --sign-key and --sign-cert" in half.stderr
    # an encrypted key: its password from the environment, not the command line
    encrypted = certificates.encrypted_key(certs["client"].key, tmp_path / "encrypted.key")
    secret = ("--sign-key", str(encrypted), "--sign-cert", str(certs["client"].certificate))
    refused = magda_kbi(*ask, *secret)
    assert refused.returncode == 2
    assert f"--sign-key/--sign-cert: the key {str(encrypted)!r} is encrypted" in refused.stderr
    answered = magda_kbi(*ask, *secret, env={"MAGDA_KBI_SIGN_PASSWORD": "geheim"})
    assert answered.returncode == 0 and "INBREUK" in answered.stdout, answered.stderr
    assert "not read" not in answered.stderr  # a setting the command knows


def test_an_expired_timestamp_is_refused_and_a_fresh_one_taken(checking, ondertekening):
    """A Timestamp is not asked for; an expired one is refused (real time, not the
    emulator's clock), and one changed after signing breaks the signature."""
    from datetime import UTC, datetime, timedelta

    url, _ = checking
    now = datetime.now(UTC)

    def stamped(expires: str, created: str | None = None) -> etree._Element:
        envelope = etree.fromstring(advies_verzoek("73680599786", "2024-01-01"))
        header = envelope.find(f"{{{NS_SOAP}}}Header")
        if header is None:
            header = etree.Element(f"{{{NS_SOAP}}}Header")
            envelope.insert(0, header)
        timestamp = etree.SubElement(
            etree.SubElement(header, f"{{{WSSE}}}Security"), f"{{{WSU}}}Timestamp"
        )
        timestamp.set(WSU_ID, "TS-1")
        etree.SubElement(timestamp, f"{{{WSU}}}Created").text = created or later(0)
        etree.SubElement(timestamp, f"{{{WSU}}}Expires").text = expires
        return signed(ondertekening, etree.tostring(envelope))

    def later(minutes: int) -> str:
        return f"{now + timedelta(minutes=minutes):%Y-%m-%dT%H:%M:%SZ}"

    fresh = post(url + PATH_ADVIES, etree.tostring(stamped(later(5))))
    assert (fresh.status, fresh.codes()) == (200, [])
    expired = post(url + PATH_ADVIES, etree.tostring(stamped(later(-1))))
    assert expired.status == 500 and faultcode(expired) == (WSSE, "MessageExpired")
    assert expired.fault.startswith(
        f"Het bericht is verlopen: wsu:Timestamp/wsu:Expires {later(-1)}"
    )
    garbled = post(url + PATH_ADVIES, etree.tostring(stamped("gisteren")))
    assert faultcode(garbled) == (WSSE, "InvalidSecurity")
    assert garbled.fault == "wsu:Timestamp/wsu:Expires 'gisteren' is geen xs:dateTime"
    extended = stamped(later(-1))  # made to look fresh after signing: the signature breaks
    extended.find(f".//{{{WSU}}}Expires").text = later(60)
    answer = post(url + PATH_ADVIES, etree.tostring(extended))
    assert faultcode(answer) == (WSSE, "FailedCheck")
    # created in the future: a clock a few minutes ahead is taken, local time written with
    # UTC's Z (an hour ahead in Belgium in winter) is not
    ahead = post(url + PATH_ADVIES, etree.tostring(stamped(later(65), created=later(4))))
    assert (ahead.status, ahead.codes()) == (200, [])
    local = post(url + PATH_ADVIES, etree.tostring(stamped(later(65), created=later(60))))
    assert local.status == 500 and faultcode(local) == (WSSE, "MessageExpired")
    assert local.fault.startswith(
        f"Het bericht is nog niet geldig: wsu:Timestamp/wsu:Created {later(60)} ligt meer dan"
        " 5 minuten na "
    )
    garbled = post(url + PATH_ADVIES, etree.tostring(stamped(later(5), created="vandaag")))
    assert garbled.fault == "wsu:Timestamp/wsu:Created 'vandaag' is geen xs:dateTime"


def test_a_signature_with_more_references_than_a_request_needs_is_not_checked(
    checking, ondertekening
):
    """xmlsec's check grows faster than the references: 2,001 to the Body took 6.8 s of a
    worker. More than 32 are refused before it runs."""
    url, _ = checking
    envelope = etree.fromstring(
        etree.tostring(signed(ondertekening, advies_verzoek("73680599786", "2024-01-01")))
    )
    signed_info = envelope.find(f".//{{{DS}}}SignedInfo")
    for _ in range(32):  # 33 in all
        signed_info.append(copy.deepcopy(signed_info.find(f"{{{DS}}}Reference")))
    answer = post(url + PATH_ADVIES, etree.tostring(envelope))
    assert answer.status == 500 and faultcode(answer) == (WSSE, "InvalidSecurity")
    assert answer.fault == "ds:SignedInfo heeft 33 ds:Reference: meer dan 32 wordt niet nagekeken"


def example(script: str):
    """A client example's module, imported from its file (client_examples is no package)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "client_examples" / script
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("script", "args", "expected"),
    [
        ("gemeente_dossier.py", ["98630499724"], "(98630499724)\n  doelgroep:"),
        ("zorgkas_zorgbudget.py", ["-"], "73680599786  2024-01-01  NOK"),
        ("verlaagde_premie.py", ["2024", "59650153166"], "59650153166  NOK"),
    ],
)
def test_the_client_examples_sign_with_sign_key_and_sign_cert(
    checking, ondertekening, certs, tmp_path, monkeypatch, capsys, script, args, expected
):
    """Towards the platform the examples must sign as they must show a client certificate:
    they took --cert/--key only, so a consumer could not run them there as they are."""
    import io

    main = example(script).main
    url, _ = checking
    key, crt = str(certs["client"].key), str(certs["client"].certificate)

    def run(*options: str) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO("insz,datum\n73680599786,2024-01-01\n"))
        try:
            code = main([*args, "--url", url, *options])
        except SystemExit as stopped:  # argparse's usage errors
            code = stopped.code
        out, err = capsys.readouterr()
        return code, out, err

    code, out, err = run("--sign-key", key, "--sign-cert", crt)
    assert (code, err) == (0, "") and expected in out
    code, out, err = run()  # unsigned: the emulator's Fault, no answer
    assert code == 3 and "wsse:InvalidSecurity: Het verzoek is niet ondertekend" in err
    code, _, err = run("--sign-key", key)
    assert code == 2 and err.endswith("error: signing needs both --sign-key and --sign-cert\n")
    # an encrypted key: its password from the environment, never the command line
    encrypted = str(certificates.encrypted_key(certs["client"].key, tmp_path / "encrypted.key"))
    code, _, err = run("--sign-key", encrypted, "--sign-cert", crt)
    assert code == 2 and f"error: signing: the key {encrypted!r} is encrypted: give its" in err
    monkeypatch.setenv("MAGDA_KBI_SIGN_PASSWORD", "geheim")
    code, out, err = run("--sign-key", encrypted, "--sign-cert", crt)
    assert (code, err) == (0, "") and expected in out
    # without xmlsec: which extra installs it, in one line, no traceback
    monkeypatch.setitem(sys.modules, "xmlsec", None)
    code, _, err = run("--sign-key", key, "--sign-cert", crt)
    assert (
        code == 2 and "error: signing needs xmlsec: pip install 'magda-kbi-client[signing]'" in err
    )


# xmlsec as it loads beside an lxml built with another libxml2 (lxml 5.0 with xmlsec 1.3.17):
# its import raises its own InternalError, no ImportError
OTHER_LIBXML2 = """
import sys

class InternalError(Exception):
    pass

class OtherLibxml2:
    def find_spec(self, name, path, target=None):
        if name == "xmlsec":
            raise InternalError(-1, "lxml & xmlsec libxml2 library version mismatch")

sys.modules.pop("xmlsec", None)
sys.meta_path.insert(0, OtherLibxml2())
"""


def test_an_xmlsec_built_with_another_libxml2_is_said_in_one_line(certs):
    """Seen with lxml 5.0 (the oldest the package takes) and xmlsec 1.3.17: serve
    --verify-signatures, the plugin's option and the client's Signing ended in xmlsec's
    InternalError's traceback; pip install -U lxml xmlsec mended it."""
    from lxml import etree

    libxml2 = ".".join(map(str, etree.LIBXML_VERSION))
    said = (
        "cannot use xmlsec: lxml & xmlsec libxml2 library version mismatch (lxml here is built"
        f" with libxml2 {libxml2}, xmlsec must be built with the same: pip install -U lxml"
        " xmlsec)"
    )
    key, crt = str(certs["client"].key), str(certs["client"].certificate)
    script = OTHER_LIBXML2 + (
        "from magda_client import MagdaClient, Signing\n"
        "try:\n"
        "    MagdaClient('https://127.0.0.1:1', afzender='zorgkas.be', hoedanigheid='1',\n"
        f"                signing=Signing({key!r}, {crt!r}))\n"
        "except RuntimeError as error:\n"
        "    print(error)\n"
        "from magda_kbi.adapters.cli import main\n"
        f"sys.exit(main(['serve', '--verify-signatures', '--port', '{free_port()}']))\n"
    )
    process = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert process.stdout == f"signing {said}\n"
    assert process.returncode == 2
    assert process.stderr == f"magda-kbi: --verify-signatures {said}\n"
