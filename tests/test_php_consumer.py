"""PHP beside zeep, suds and JAX-WS: client_examples/php/kbi_consumer.php, a consumer built on
ext/soap's SoapClient from the WSDLs the emulator serves (and the XSDs they import), as an
application of a municipality written in PHP would be. It asks the advice and GeefDossierKBI
02.00 about every persona and reads every reply, and prints the lines the Java consumer
prints."""

import re
import shutil
import subprocess

import pytest

from .conftest import PROJECT
from .consumer_lines import ANSWER, DATUM, EXPECTED, NOT_AN_INSZ
from .processes import free_port

EXAMPLE = PROJECT / "client_examples" / "php" / "kbi_consumer.php"
INSTALL = "needs PHP with ext/soap: apt-get install php-cli php-soap (.ci/run installs them)"


@pytest.fixture(scope="module")
def php() -> str:
    php = shutil.which("php")
    if php is None:
        pytest.skip(INSTALL)
    soap = subprocess.run(
        [php, "-r", "exit(class_exists('SoapClient') ? 0 : 1);"], capture_output=True, timeout=60
    )
    if soap.returncode != 0:
        pytest.skip(INSTALL)
    return php


def consumer(php: str, *args: str) -> subprocess.CompletedProcess:
    # every notice and warning on standard error: a reply read only in part would show there
    return subprocess.run(
        [php, "-d", "error_reporting=E_ALL", "-d", "display_errors=stderr", str(EXAMPLE), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )


def test_every_persona_read_by_a_php_soapclient(php, server, builtin_personas):
    numbers = sorted(builtin_personas)
    run = consumer(php, server.url, DATUM, *numbers, NOT_AN_INSZ)
    lines = run.stdout.splitlines()
    assert run.stderr == ""
    assert len(lines) == 2 * (len(numbers) + 1), run.stdout
    # a reply SoapClient could not read would be a SOAP Fault of its own ("looks like we
    # got no XML document"), not one of the platform's
    assert [line for line in lines if not re.fullmatch(ANSWER, line)] == []
    assert [line for line in EXPECTED if line not in lines] == []
    assert run.returncode == 1  # some were refused, as those personas are


def test_the_php_consumer_says_when_there_is_no_wsdl(php):
    run = consumer(php, f"http://127.0.0.1:{free_port()}", DATUM, "98630499724")
    assert run.stdout == ""
    assert run.stderr.startswith("no WSDL at http://127.0.0.1:")
    assert run.returncode == 3
