"""HTTPS and mutual TLS (``serve --tls-cert --tls-key [--tls-client-ca]``): a consumer's
client goes to the emulator as it goes to the platform, unchanged but for its address and
credentials; and a client that mixes up http:// and https:// is told so."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import requests
import zeep
from zeep.transports import Transport

from magda_client import MagdaClient, MagdaTransportFout
from magda_kbi.adapters.server import Tls, tls_problem

from . import certificates
from .cli_run import magda_kbi, magda_kbi_process
from .conftest import Server
from .processes import free_port, within
from .soap import zeep_verzoek


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> dict[str, certificates.Pair]:
    return certificates.make(tmp_path_factory.mktemp("tls"))


def _tls_args(certs, client_ca: bool) -> list[str]:
    args = [
        "--tls-cert",
        str(certs["server"].certificate),
        "--tls-key",
        str(certs["server"].key),
    ]
    return [*args, "--tls-client-ca", str(certs["ca"].certificate)] if client_ca else args


@pytest.fixture(scope="module")
def mutual(certs):
    """serve asking every client for a certificate signed by the test CA, as MAGDA does."""
    klant = (str(certs["client"].certificate), str(certs["client"].key))
    s = Server(
        *_tls_args(certs, client_ca=True),
        "--today",
        "2030-01-01",
        tls={"verify": str(certs["ca"].certificate), "cert": klant},
    )
    yield s
    s.stop()


def _client(url: str, **tls) -> MagdaClient:
    return MagdaClient(url, afzender="vo.zorgkas.test", hoedanigheid="1234", retries=0, **tls)


def test_the_client_calls_the_emulator_over_mutual_tls_as_it_calls_the_platform(mutual, certs):
    klant = _client(
        mutual.url,
        cert=(str(certs["client"].certificate), str(certs["client"].key)),
        verify=str(certs["ca"].certificate),
    )
    dossier = klant.geef_dossier_kbi("98630499724")
    assert dossier.insz == "98630499724"
    advies = klant.geef_automatisch_advies("73680599786", date(2024, 1, 1))
    assert (advies.resultaat, advies.reden_code) == ("NOK", "INBREUK")


@pytest.mark.parametrize(
    ("script", "args", "expected"),
    [
        ("gemeente_dossier.py", ["98630499724"], "98630499724"),
        ("zorgkas_zorgbudget.py", ["-"], "73680599786  2024-01-01  NOK"),
        ("verlaagde_premie.py", ["2024", "59650153166"], "59650153166  NOK"),
    ],
)
def test_the_client_examples_reach_a_mutual_tls_emulator(mutual, certs, script, args, expected):
    """The examples are consumer scripts for the emulator and the platform alike: towards
    MAGDA they need a client certificate, which they could not be given."""
    tls = [
        "--cert", str(certs["client"].certificate), "--key", str(certs["client"].key),
        "--ca", str(certs["ca"].certificate),
    ]  # fmt: skip
    example = Path(__file__).resolve().parents[1] / "client_examples" / script
    process = subprocess.run(
        [sys.executable, str(example), *args, "--url", mutual.url, *tls],
        input="insz,datum\n73680599786,2024-01-01\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 0, process.stderr
    assert expected in process.stdout


def test_without_a_client_certificate_nothing_is_answered(mutual, certs):
    with pytest.raises(MagdaTransportFout, match="TLS with GeefDossierKBI failed"):
        _client(mutual.url, verify=str(certs["ca"].certificate)).geef_dossier_kbi("98630499724")
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{mutual.url}/health", verify=str(certs["ca"].certificate), timeout=5)


def test_the_command_line_client_names_its_own_options_when_tls_fails(mutual, certs):
    ca = str(certs["ca"].certificate)
    process = magda_kbi("client", "dossier", "98630499724", "--url", mutual.url, "--ca", ca)
    assert process.returncode == 3
    assert process.stderr.startswith(
        "magda-kbi: no answer: TLS with GeefDossierKBI failed (check --ca, the CA bundle, and"
        " --cert/--key, the client certificate): "
    )


def test_a_zeep_client_of_the_served_wsdl_calls_the_https_address_it_names(mutual, certs):
    session = requests.Session()
    # REQUESTS_CA_BUNDLE in the environment (set on this machine) would override the
    # Session's verify (psf/requests#3829); magda_client passes it per request itself
    session.trust_env = False
    session.verify = str(certs["ca"].certificate)
    session.cert = (str(certs["client"].certificate), str(certs["client"].key))
    address = f"{mutual.url}/GeefDossierKBIDienst-02.00/soap/WebService"
    wsdl = session.get(f"{address}?wsdl", timeout=5).text
    assert f'location="https://127.0.0.1:{mutual.port}/GeefDossierKBIDienst-02.00/' in wsdl
    client = zeep.Client(f"{address}?wsdl", transport=Transport(session=session))
    with client.settings(raw_response=True):
        antwoord = client.service.GeefDossierKBI(
            Verzoek=zeep_verzoek("02.00", "98630499724", referte="tls-1")
        )
    assert antwoord.status_code == 200
    assert b"<Achternaam>Daoud</Achternaam>" in antwoord.content


@pytest.mark.parametrize("versie", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_tls_1_2_and_1_3_clients_are_served(mutual, certs, versie):
    # TLS 1.2 as well: the platform takes it, and so do the Java and .NET stacks of many
    # consumers (granian alone would take 1.3 only)
    context = ssl.create_default_context(cafile=str(certs["ca"].certificate))
    context.load_cert_chain(str(certs["client"].certificate), str(certs["client"].key))
    context.minimum_version = context.maximum_version = versie
    connection = http.client.HTTPSConnection("127.0.0.1", mutual.port, context=context, timeout=5)
    try:
        connection.request("GET", "/health")
        assert connection.getresponse().status == 200
        assert (
            connection.sock.version() == {"TLSv1_2": "TLSv1.2", "TLSv1_3": "TLSv1.3"}[versie.name]
        )
    finally:
        connection.close()


def test_tls_without_client_certificates(certs):
    s = Server(*_tls_args(certs, client_ca=False), tls={"verify": str(certs["ca"].certificate)})
    try:
        dossier = _client(s.url, verify=str(certs["ca"].certificate)).geef_dossier_kbi(
            "98630499724"
        )
        assert dossier.insz == "98630499724"
        with pytest.raises(MagdaTransportFout, match="TLS with GeefDossierKBI failed"):
            _client(s.url).geef_dossier_kbi("98630499724")  # the system's CAs do not know it
    finally:
        output = s.stop()
    assert f"health                       https://127.0.0.1:{s.port}/health" in output
    assert "no client certificate asked (--tls-client-ca asks for one)" in output


def _served_certificate(port: int) -> bytes:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # which certificate is served, not whether it is good
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as connection,
        context.wrap_socket(connection) as tls,
    ):
        return tls.getpeercert(binary_form=True)


def _der(certificate: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(certificate.read_text())


def test_a_sighup_takes_renewed_certificate_files_and_refuses_bad_ones(tmp_path):
    """A certificate is renewed without a stop: after a SIGHUP the new workers serve the new
    files. Files that no longer load made every new worker panic, and serve exit 1 after
    their crash loop; now the SIGHUP is refused in one line and the workers go on."""
    (tmp_path / "oud").mkdir()
    (tmp_path / "nieuw").mkdir()
    old, new = certificates.make(tmp_path / "oud"), certificates.make(tmp_path / "nieuw")
    cert, key = tmp_path / "server.crt", tmp_path / "server.key"
    shutil.copy(old["server"].certificate, cert)
    shutil.copy(old["server"].key, key)
    s = Server(
        "--tls-cert", str(cert), "--tls-key", str(key), tls={"verify": str(old["ca"].certificate)}
    )
    try:
        assert _served_certificate(s.port) == _der(old["server"].certificate)
        shutil.copy(new["server"].certificate, cert)
        shutil.copy(new["server"].key, key)
        s.process.send_signal(signal.SIGHUP)
        assert within(15, lambda: _served_certificate(s.port) == _der(cert))

        cert.write_text("geen certificaat\n")
        s.process.send_signal(signal.SIGHUP)
        assert within(15, lambda: "SIGHUP refused" in "".join(s._output))
        healthy = requests.get(f"{s.url}/health", verify=str(new["ca"].certificate), timeout=5)
        assert healthy.status_code == 200
        assert _served_certificate(s.port) == _der(new["server"].certificate)
        assert s.process.poll() is None
    finally:
        output = s.stop()
    assert s.process.returncode == 0, output
    assert (
        "SIGHUP refused, the workers go on as they are: --tls-cert "
        f"{cert} and --tls-key {key}: not a PEM certificate and its PEM private key\n"
    ) in output
    assert "panicked" not in output


def _volume(folder: Path, files: dict[str, bytes], version: str) -> None:
    """``folder`` as kubelet writes a Secret's or ConfigMap's volume: each file a link through
    ``..data`` to a folder of this version; an update writes a new one, swaps the link at
    once and removes the old folder."""
    new = folder / f"..{version}"
    new.mkdir(parents=True)
    for name, content in files.items():
        (new / name).write_bytes(content)
        if not (folder / name).is_symlink():
            (folder / name).symlink_to(Path("..data") / name)
    old = os.readlink(folder / "..data") if (folder / "..data").is_symlink() else None
    (folder / "..data_tmp").symlink_to(new.name)
    os.replace(folder / "..data_tmp", folder / "..data")
    if old is not None:
        shutil.rmtree(folder / old)


@pytest.mark.parametrize("how", ["sighup", "--watch"])
def test_a_sighup_takes_a_kubernetes_secret_and_configmap_as_they_were_updated(tmp_path, how):
    """A certificate renewed in a Kubernetes Secret and consumers changed in a ConfigMap, then
    a SIGHUP: serve had kept the paths their links led to at its start, in a folder the update
    removed, and refused the SIGHUP (cannot read consumers.yaml), the old certificate
    served on. With --watch no SIGHUP is needed: serve --watch watched the persona folders
    only, and served the old certificate and consumers until a SIGHUP. A file made bad then
    is refused once, not at every look."""
    (tmp_path / "oud").mkdir()
    (tmp_path / "nieuw").mkdir()
    old, new = certificates.make(tmp_path / "oud"), certificates.make(tmp_path / "nieuw")
    secret, configmap = tmp_path / "secret", tmp_path / "configmap"

    def update(certs: dict[str, certificates.Pair], afzender: str, version: str) -> None:
        pair = certs["server"]
        tls = {"tls.crt": pair.certificate.read_bytes(), "tls.key": pair.key.read_bytes()}
        _volume(secret, tls, version)
        consumers = (
            f'afnemers:\n  - {{afzender: {afzender}, hoedanigheid: "1", soort: VSB, naam: A}}\n'
        )
        _volume(configmap, {"consumers.yaml": consumers.encode()}, version)

    update(old, "oud.be", "2026_12_01")
    s = Server(
        "--tls-cert",
        str(secret / "tls.crt"),
        "--tls-key",
        str(secret / "tls.key"),
        "--consumers",
        str(configmap / "consumers.yaml"),
        *(["--watch"] if how == "--watch" else []),
        tls={"verify": str(old["ca"].certificate)},
    )

    def consumers(ca: certificates.Pair) -> list[str]:
        answer = requests.get(f"{s.url}/api/v1/consumers", verify=str(ca.certificate), timeout=5)
        return [c["afzender"] for c in answer.json()]

    try:
        assert _served_certificate(s.port) == _der(old["server"].certificate)
        assert "oud.be" in consumers(old["ca"])
        update(new, "nieuw.be", "2026_12_02")
        if how == "sighup":
            s.process.send_signal(signal.SIGHUP)

        def renewed() -> bool:
            try:
                served = _served_certificate(s.port) == _der(new["server"].certificate)
                return served and consumers(new["ca"])[-1] == "nieuw.be"
            except OSError:  # an old worker answers until it has stopped (TLS: verify failed)
                return False

        assert within(15, renewed)
        if how == "--watch":
            _volume(configmap, {"consumers.yaml": b"afnemers: geen lijst\n"}, "2026_12_03")
            assert within(15, lambda: "SIGHUP refused" in "".join(s._output))
            time.sleep(2)  # four more looks at the files
            assert consumers(new["ca"])[-1] == "nieuw.be"
    finally:
        output = s.stop()
    assert s.process.returncode == 0, output
    refused = (
        "SIGHUP refused, the workers go on as they are: invalid consumers file "
        f"{configmap / 'consumers.yaml'}: field afnemers: expected a mapping with a list "
        "'afnemers'\n"
    )
    assert output.count("SIGHUP refused") == output.count(refused) == (how == "--watch")


def test_tls_files_gone_bad_between_the_check_and_the_restart_refuse_the_sighup(certs, tmp_path):
    """A SIGHUP's check took the files; changed again before granian read them (a moment), the
    restart would have failed in serve's main loop. The files granian took stay in force."""
    from magda_kbi.adapters.app import Settings
    from magda_kbi.adapters.server import _granian_tls, granian_server

    pair = certs["server"]
    tls = Tls(pair.certificate, pair.key, None)
    server = granian_server()(
        "magda_kbi.adapters.server:application",
        settings=Settings(),
        tls=tls,
        folders=[],
        **_granian_tls(tls),  # as serve starts it
    )
    taken = server.ssl_ctx
    assert server._tls_files_as_they_are_now(tls) is None and server.ssl_ctx == taken
    broken = tmp_path / "server.crt"
    broken.write_text("geen certificaat\n")
    said = server._tls_files_as_they_are_now(Tls(broken, pair.key, None))
    assert said is not None and said.startswith(f"--tls-cert {broken} and --tls-key {pair.key}: ")
    assert server.ssl_ctx == taken


def test_the_client_says_http_against_https_and_the_reverse(mutual, server):
    plain = mutual.url.replace("https://", "http://")
    with pytest.raises(MagdaTransportFout) as error:
        _client(plain).geef_dossier_kbi("98630499724")
    # the TLS alert read, or lost with the reset the kernel sends for the unread rest of
    # the call (seen once: Python 3.12, the full suite)
    assert str(error.value) in (
        "GeefDossierKBI answers with TLS at this address: use https://, not http://",
        f"GeefDossierKBI not reachable at {plain}/GeefDossierKBIDienst-02.00/soap/WebService:"
        " Connection reset by peer (if the port speaks TLS, use https://: it resets a plain"
        " call now and then)",
    )
    with pytest.raises(MagdaTransportFout) as error:
        _client(server.url.replace("http://", "https://")).geef_dossier_kbi("98630499724")
    # OpenSSL's words alone: requests' text added urllib3's pool and retry reprs
    assert re.fullmatch(
        r"GeefDossierKBI does not speak TLS at this address \(http://, not https://\?\):"
        r" \[SSL: [A-Z_]+\] [a-z ]+",
        str(error.value),
    ), str(error.value)


def _tls(certs, **other: Path) -> Tls:
    return Tls(
        other.get("certificate", certs["server"].certificate),
        other.get("key", certs["server"].key),
        other.get("client_ca", certs["ca"].certificate),
    )


def test_good_tls_files_are_taken(certs):
    assert tls_problem(_tls(certs)) is None


def test_bad_tls_files_are_said_before_serve_starts(certs, tmp_path):
    encrypted = certificates.encrypted_key(certs["server"].key, tmp_path / "versleuteld.key")
    binary = certificates.binary_files(certs["server"], tmp_path)
    ca_der = certificates.binary_files(certs["ca"], tmp_path).certificate
    text = tmp_path / "tekst.pem"
    text.write_text("geen certificaat\n")
    missing = tmp_path / "ontbreekt.crt"
    cases = {
        f"--tls-cert: cannot read {missing}: No such file or directory": _tls(
            certs, certificate=missing
        ),
        f"--tls-key: cannot read {tmp_path}: Is a directory": _tls(certs, key=tmp_path),
        f"--tls-key: {certs['client'].key} is not the key of the certificate "
        f"{certs['server'].certificate}": _tls(certs, key=certs["client"].key),
        f"--tls-key: {encrypted} is encrypted; give the key without its password "
        "(openssl pkey -in KEY -out KEY.plain)": _tls(certs, key=encrypted),
        f"--tls-cert {text} and --tls-key {certs['server'].key}: not a PEM certificate "
        "and its PEM private key": _tls(certs, certificate=text),
        f"--tls-client-ca: {text} holds no PEM CA certificate (NO_CERTIFICATE_OR_CRL_FOUND)": (
            _tls(certs, client_ca=text)
        ),
        # certificates as they are often handed out: OpenSSL said "PEM lib" of each
        f"--tls-cert: {binary.p12} is a binary (DER) file, not PEM: a PKCS#12 bundle (.p12,"
        " .pfx) gives its certificate with 'openssl pkcs12 -in FILE -nokeys -out server.crt' and"
        " its key with 'openssl pkcs12 -in FILE -nocerts -nodes -out server.key'; a DER"
        " certificate (.cer, .der) becomes PEM with 'openssl x509 -inform der -in FILE -out"
        " server.crt'": _tls(certs, certificate=binary.p12, key=binary.p12),
        f"--tls-cert: {binary.certificate} is a binary (DER) file, not PEM: a PKCS#12 bundle"
        " (.p12, .pfx) gives its certificate with 'openssl pkcs12 -in FILE -nokeys -out"
        " server.crt' and its key with 'openssl pkcs12 -in FILE -nocerts -nodes -out"
        " server.key'; a DER certificate (.cer, .der) becomes PEM with 'openssl x509 -inform der"
        " -in FILE -out server.crt'": _tls(certs, certificate=binary.certificate),
        f"--tls-key: {binary.key} is a binary (DER) file, not PEM: a PKCS#12 bundle (.p12,"
        " .pfx) gives its certificate with 'openssl pkcs12 -in FILE -nokeys -out server.crt' and"
        " its key with 'openssl pkcs12 -in FILE -nocerts -nodes -out server.key'; a DER key"
        " becomes PEM with 'openssl pkey -inform der -in FILE -out server.key'": _tls(
            certs, key=binary.key
        ),
        f"--tls-client-ca: {ca_der} is a binary (DER) file, not PEM: a DER certificate (.cer,"
        " .der) becomes PEM with 'openssl x509 -inform der -in FILE -out ca.pem'": _tls(
            certs, client_ca=ca_der
        ),
    }
    for message, tls in cases.items():
        assert tls_problem(tls) == message


def test_serve_refuses_bad_tls_in_one_line(certs):
    process = magda_kbi_process(
        "serve",
        "--port",
        "1",
        "--tls-cert",
        str(certs["server"].certificate),
        "--tls-key",
        str(certs["client"].key),
    )
    assert process.returncode == 2
    assert process.stderr == (
        f"magda-kbi: --tls-key: {certs['client'].key} is not the key of the certificate "
        f"{certs['server'].certificate}\n"
    )
    process = magda_kbi_process("serve", "--port", str(free_port()), "--tls-cert", "x.crt")
    assert process.returncode == 2
    assert process.stderr.endswith("Error: HTTPS needs both --tls-cert and --tls-key\n")


def test_the_readmes_throw_away_certificates_serve_mutual_tls(tmp_path):
    """The README's openssl recipe, run as it stands, then its serve line: a client with
    those files gets a dossier at https://localhost (Python 3.13 verifies strictly, granian
    refuses a client certificate without extensions: the recipe must satisfy both)."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command on this machine: apt-get install openssl")
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    recipe = re.search(r"Throw-away files for a first try.*?```sh\n(.*?)```", readme, re.S)
    assert recipe is not None
    *openssl, serve = recipe.group(1).strip().splitlines()
    output = subprocess.run(
        ["sh", "-e", "-c", "\n".join(openssl)], cwd=tmp_path, capture_output=True, text=True
    )
    assert output.returncode == 0, output.stderr
    assert serve.startswith("magda-kbi serve ")
    verify = str(tmp_path / "ca.crt")
    klant = (str(tmp_path / "client.crt"), str(tmp_path / "client.key"))
    s = Server(*serve.split()[2:], cwd=tmp_path, tls={"verify": verify, "cert": klant})
    try:
        url = f"https://localhost:{s.port}"
        dossier = _client(url, cert=klant, verify=verify).geef_dossier_kbi("98630499724")
        assert dossier.insz == "98630499724"
    finally:
        s.stop()
