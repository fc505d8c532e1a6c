"""The direct lxml path answers exactly as the spyne path does, byte for byte.

The emulator answers well-formed requests without spyne for speed (see ``Emulator._direct``);
the replies must not differ from spyne's in anything but the fresh Referte and the time.
"""

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from magda_kbi.adapters.app import Settings, make_emulator

from .soap import (
    NS_DOSSIER_SERVICE,
    PATH_ADVIES,
    PATH_DOSSIER,
    PATH_DOSSIER_02,
    PATH_GENERIC,
    advies_verzoek,
    dossier_verzoek,
    wsgi_environ,
)

PROJECT = Path(__file__).resolve().parents[1]
DIRECT = make_emulator(Settings(today=date(2030, 1, 1)))
SPYNE = make_emulator(Settings(today=date(2030, 1, 1), direct=False))
VARIABLE = [
    (re.compile(rb"<Referte>[0-9a-f-]{36}</Referte>"), b"<Referte>uuid</Referte>"),
    (re.compile(rb"<Tijd>[0-9:.]+</Tijd>"), b"<Tijd>t</Tijd>"),
]


def call(app, path: str, body: bytes) -> tuple[str, bytes]:
    status = []
    antwoord = b"".join(app(wsgi_environ(path, body), lambda s, h, e=None: status.append(s)))
    for pattern_, replacement in VARIABLE:
        antwoord = pattern_.sub(replacement, antwoord)
    return status[0], antwoord


def equal(path: str, body: bytes) -> None:
    assert call(DIRECT, path, body) == call(SPYNE, path, body)


@pytest.mark.parametrize("insz", sorted(DIRECT.runtime.personas) + ["80651439361"])
def test_every_persona_same_reply(insz):
    equal(PATH_DOSSIER, dossier_verzoek(insz, referte="vast"))
    equal(PATH_DOSSIER_02, dossier_verzoek(insz, "02.00", referte="vast"))
    for versie, namespace in NS_DOSSIER_SERVICE.items():
        equal(PATH_GENERIC, dossier_verzoek(insz, versie, namespace=namespace, referte="vast"))
    equal(PATH_ADVIES, advies_verzoek(insz, "2024-01-01", referte="vast"))
    equal(PATH_GENERIC, advies_verzoek(insz, "2024-01-01", "VERLAAGDE_PREMIE", referte="vast"))


@pytest.mark.parametrize(
    "body",
    [
        dossier_verzoek("98630499725", referte="vast"),
        dossier_verzoek("9863049972", referte="vast"),
        advies_verzoek("98630499724", "2024-02-30", referte="vast"),
        dossier_verzoek("98630499724", referte="vast").replace(b"VRAAG", b"ANTWOORD"),
        dossier_verzoek("98630499724", referte="vast").replace(b"01.00.0000", b"02.00.0000"),
    ],
)
def test_errors_same_reply(body):
    path = PATH_ADVIES if b"GeefAutomatischAdvies" in body else PATH_DOSSIER
    equal(path, body)


@pytest.mark.parametrize(("path", "versie"), [(PATH_DOSSIER, "01.00"), (PATH_DOSSIER_02, "02.00")])
def test_the_direct_path_is_taken(path, versie, monkeypatch):
    """Guard against a silent fallback: the direct path must answer the common request."""
    invocations = []
    original = DIRECT._spyne_app
    monkeypatch.setattr(DIRECT, "_spyne_app", lambda d: invocations.append(d) or original(d))
    status, antwoord = call(DIRECT, path, dossier_verzoek("98630499724", versie))
    assert invocations == [] and b"<KBIDossier>" in antwoord


def test_an_internal_error_is_a_dutch_fault_on_the_wire_and_an_english_log_line(
    monkeypatch, caplog
):
    """The log is the operator's (English, as the command line); the wire stays MAGDA's."""
    app = make_emulator(Settings(today=date(2030, 1, 1)))
    (dienst,) = [d for d in app.diensten if d.contract.path == PATH_DOSSIER_02]

    def broken_file(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(dienst, "decided", broken_file)  # the template's path
    monkeypatch.setattr(dienst, "handle", broken_file)  # the full build
    with caplog.at_level("ERROR"):
        status, antwoord = call(app, PATH_DOSSIER_02, dossier_verzoek("98630499724", "02.00"))
    assert status.startswith("500")
    assert b"<faultstring>Interne fout in de emulator bij GeefDossierKBI</faultstring>" in antwoord
    assert [r.getMessage() for r in caplog.records] == [
        "unexpected error in the reply template of GeefDossierKBI",
        "unexpected error answering GeefDossierKBI",
    ]


def test_spyne_is_imported_only_by_the_reference_path():
    """A start no longer imports and builds spyne (a sixth of a serve's CPU): the direct
    path answers every request, a second operation in the Body too (once left to spyne,
    now refused); the reference emulator (direct=False) imports it at its first request."""
    script = (
        "import sys\n"
        "from datetime import date\n"
        "from magda_kbi.adapters.app import Settings, make_emulator\n"
        "from tests.soap import PATH_DOSSIER, dossier_verzoek, wsgi_environ\n"
        "def roep(app, body):\n"
        "    status = []\n"
        "    environ = wsgi_environ(PATH_DOSSIER, body)\n"
        "    antwoord = b''.join(app(environ, lambda s, h, e=None: status.append(s)))\n"
        "    return status[0], 'spyne' in sys.modules, antwoord\n"
        "body = dossier_verzoek('98630499724')\n"
        "twee = body.replace(b'</soapenv:Body>', b'<x/></soapenv:Body>')\n"
        "app = make_emulator(Settings(today=date(2030, 1, 1)))\n"
        "print(roep(app, body)[:2])\n"
        "status, spyne, antwoord = roep(app, twee)\n"
        "print(status, spyne, b'<faultstring>De Body bevat 2 elementen' in antwoord)\n"
        "ref = make_emulator(Settings(today=date(2030, 1, 1), direct=False))\n"
        "status, spyne, antwoord = roep(ref, body)\n"
        "print(status, spyne, b'<tns:GeefDossierKBIResponse><Repliek>' in antwoord)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.splitlines() == [
        "('200 OK', False)",
        "500 Internal Server Error False True",
        "200 OK True True",
    ], result.stderr


def test_a_template_is_filled_with_each_calls_values():
    """The second same question comes from the template: still exactly spyne's reply."""
    for referte in ("eerste", "tweede", "a&amp;b&lt;c&gt;d", "x" * 36):  # as XML text
        equal(PATH_DOSSIER, dossier_verzoek("98630499724", referte=referte))
        equal(PATH_ADVIES, advies_verzoek("73680599786", "2024-01-01", referte=referte))
    status, antwoord = call(DIRECT, PATH_DOSSIER, dossier_verzoek("98630499724", referte="a&amp;b"))
    assert b"<Referte>a&amp;b</Referte>" in antwoord and b"magda-kbi-" not in antwoord


def test_templates_follow_runtime_changes():
    from magda_kbi.io.personas import persona_from_data

    app = make_emulator(Settings(today=date(2023, 3, 1)))
    vraag = advies_verzoek("79652599875", "2023-06-01", referte="r")
    assert b"<Code>INBREUK</Code>" in call(app, PATH_ADVIES, vraag)[1]
    app.runtime.clock.fixed = date(2030, 1, 1)  # the remedy (2023-05-15) is now known
    assert b"<Resultaat>OK</Resultaat>" in call(app, PATH_ADVIES, vraag)[1]
    old = app.runtime.personas["79652599875"]
    data = {"insz": old.insz, "scenario": "changed", "naam": old.naam, "dossier": None}
    app.runtime.set_persona(persona_from_data(data))
    assert b"30001" in call(app, PATH_DOSSIER, dossier_verzoek("79652599875"))[1]
