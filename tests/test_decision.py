"""One decision for SOAP and REST (runtime/decision.py): the steps in MAGDA's order, and the
same journal result whichever face a call came through."""

from datetime import date

import pytest
import requests

from magda_kbi.adapters.app import Settings, make_emulator
from magda_kbi.adapters.pytest_plugin import MagdaEmulator, _Server
from magda_kbi.domain.clock import Clock
from magda_kbi.domain.consumers import Afnemers, Operation
from magda_kbi.io.personas import builtin_folder, load_personas
from magda_kbi.runtime.decision import Kind, Question, decide
from magda_kbi.runtime.diensten import Runtime
from magda_kbi.runtime.faults import FaultKind

from .soap import PATH_ADVIES, PATH_DOSSIER, advies_verzoek, dossier_verzoek, post

INBREUK = "73680599786"  # NOK INBREUK since 2023-09-15
DAOUD = "98630499724"  # a dossier; resident of Kortenberg
TOO_MANY = "90651105718"  # fout: 99996
SOAP_FAULT = "90651205785"  # fout: SOAP_FAULT
UNKNOWN = "80651439361"  # a valid test number without a dossier
GENT = ("stad.gent.be", "GEMEENTE")


@pytest.fixture(scope="module")
def runtime():
    return Runtime(
        personas=load_personas([builtin_folder()]),
        clock=Clock(date(2030, 1, 1)),
        afnemers=Afnemers(),
    )


def vraag(insz, operation=Operation.DOSSIER, afnemer=GENT, **kw) -> Question:
    return Question(operation, insz, *afnemer, **kw)


def test_the_outcomes_of_the_plain_emulator(runtime):
    assert decide(runtime, vraag(DAOUD)).kind is Kind.ANSWER
    assert (decide(runtime, vraag(UNKNOWN)).kind, decide(runtime, vraag(UNKNOWN)).code) == (
        Kind.NOT_FOUND,
        "30001",
    )
    te_veel = decide(runtime, vraag(TOO_MANY))
    assert (te_veel.kind, te_veel.code, te_veel.result) == (
        Kind.PLATFORM,
        "99996",
        "UITZONDERING 99996",
    )
    assert decide(runtime, vraag(SOAP_FAULT)).result == "SOAP_FAULT"
    advies = decide(runtime, vraag(INBREUK, Operation.ADVIES, datum=date(2024, 6, 1)))
    assert (advies.kind, advies.result) == (Kind.ANSWER, "NOK INBREUK")
    # No dossier is an advice too (rule 2: OK), not a 30001.
    unknown = decide(runtime, vraag(UNKNOWN, Operation.ADVIES))
    assert (unknown.kind, unknown.result, unknown.extra) == (
        Kind.ANSWER,
        "OK",
        {"rule": "rule 2: not in the KBI"},
    )


def test_an_injected_fault_comes_before_the_answer_and_before_not_found(runtime):
    for insz in (DAOUD, UNKNOWN):
        outcome = decide(runtime, vraag(insz), FaultKind.TE_VEEL_BEVRAGINGEN_99995)
        assert (outcome.kind, outcome.code) == (Kind.PLATFORM, "99995")
    injected = decide(runtime, vraag(DAOUD), FaultKind.SOAP_FAULT)
    assert (injected.kind, injected.platform) == (Kind.SOAP_FAULT, FaultKind.SOAP_FAULT)


def test_the_protocol_comes_before_everything_else(runtime, monkeypatch):
    """A refused caller learns nothing: not that a person is unknown, nor that the
    platform would fail for them (the existence leak of issue 11)."""
    monkeypatch.setattr(runtime, "protocols", True)
    for insz in (DAOUD, UNKNOWN, TOO_MANY, SOAP_FAULT):  # none lives in Gent
        outcome = decide(runtime, vraag(insz), FaultKind.TE_VEEL_BEVRAGINGEN)
        assert (outcome.kind, outcome.result) == (Kind.REFUSED, "REFUSED 40103")
        assert outcome.extra["decision"] == "refused"


# -- over HTTP: SOAP and REST journal the same words -----------------------------------


@pytest.fixture(scope="module")
def kit():
    server = _Server(make_emulator(Settings(today=date(2030, 1, 1), admin=True)))
    yield MagdaEmulator(server.url)
    server.stop()


@pytest.mark.parametrize(
    ("insz", "resultaat"),
    [
        (DAOUD, "DOSSIER"),
        (UNKNOWN, "UITZONDERING 30001"),
        (TOO_MANY, "UITZONDERING 99996"),
        (SOAP_FAULT, "SOAP_FAULT"),
    ],
)
def test_soap_and_rest_journal_the_same_dossier_result(kit, insz, resultaat):
    kit.reset()
    post(kit.url + PATH_DOSSIER, dossier_verzoek(insz))
    requests.get(f"{kit.url}/api/v1/dossiers/{insz}", timeout=5)
    soap, rest = kit.journal()
    assert (soap["endpoint"], rest["endpoint"]) == (PATH_DOSSIER, f"/api/v1/dossiers/{insz}")
    assert (soap["result"], rest["result"]) == (resultaat, resultaat)


def test_soap_and_rest_journal_the_same_advice(kit):
    kit.reset()
    post(kit.url + PATH_ADVIES, advies_verzoek(INBREUK, "2024-06-01", "ZORGBUDGET"))
    requests.get(f"{kit.url}/api/v1/advies/{INBREUK}?datum=2024-06-01", timeout=5)
    soap, rest = kit.journal()
    assert (soap["result"], rest["result"]) == ("NOK INBREUK", "NOK INBREUK")
    assert soap["rule"] == rest["rule"]
    assert soap["rule"].startswith("rule ")
