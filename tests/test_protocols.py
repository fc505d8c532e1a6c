"""The data-sharing protocols: consumer kinds allowed, refused, and what they may see."""

import json
import subprocess
import sys
from datetime import date

import pytest
import requests
from lxml import etree

from magda_kbi.adapters.app import Settings, make_emulator
from magda_kbi.adapters.pytest_plugin import MagdaEmulator, _Server

from . import reference
from .soap import (
    NS_ADVIES,
    NS_DOSSIER,
    PATH_ADVIES,
    PATH_DOSSIER,
    dossier_inhoud,
    post,
    verzoek,
)

KORTENBERG = ("gemeente.kortenberg.be", "GEMEENTE")
GENT = ("stad.gent.be", "GEMEENTE")
ZK01 = ("zorgkas1.test.be", "ZORGKAS")
ZK02 = ("zorgkas2.test.be", "ZORGKAS")
VSB = ("vsb.vlaanderen.be", "VSB")
ABB = ("abb.vlaanderen.be", "ABB")
AGII = ("integratie-inburgering.be", "AGII")
UNKNOWN = ("iemand.be", "1234")


@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    return tmp_path_factory.mktemp("audit") / "audit.jsonl"


@pytest.fixture(scope="module")
def emulator(audit):
    server = _Server(
        make_emulator(Settings(today=date(2030, 1, 1), admin=True, protocols=True, audit_log=audit))
    )
    yield MagdaEmulator(server.url)
    server.stop()


@pytest.fixture
def kit(emulator):
    yield emulator
    emulator.reset()


def context(afnemer) -> str:
    afzender, hoedanigheid = afnemer
    return (
        "<Context><Naam>{naam}</Naam><Versie>01.00.0000</Versie><Bericht><Type>VRAAG</Type>"
        "<Tijdstip><Datum>2024-01-01</Datum><Tijd>10:00:00.000</Tijd></Tijdstip><Afzender>"
        f"<Identificatie>{afzender}</Identificatie><Referte>r-1</Referte>"
        f"<Hoedanigheid>{hoedanigheid}</Hoedanigheid></Afzender></Bericht></Context>"
    )


def dossier(kit, afnemer, insz):
    body = verzoek(
        "GeefDossierKBI",
        NS_DOSSIER,
        dossier_inhoud(insz),
        context=context(afnemer).format(naam="GeefDossierKBI"),
    )
    return post(kit.url + PATH_DOSSIER, body)


def advies(kit, afnemer, insz, datum="2024-06-01", toepassing="ZORGBUDGET"):
    body = verzoek(
        "GeefAutomatischAdvies",
        NS_ADVIES,
        f"<Criteria><INSZ>{insz}</INSZ><Datum>{datum}</Datum>"
        f"<Toepassing>{toepassing}</Toepassing></Criteria>",
        context=context(afnemer).format(naam="GeefAutomatischAdvies"),
    )
    return post(kit.url + PATH_ADVIES, body)


def rest(kit, path, afnemer, **params):
    return requests.get(
        kit.url + path,
        params=params,
        timeout=5,
        headers={"X-Magda-Afzender": afnemer[0], "X-Magda-Hoedanigheid": afnemer[1]},
    )


# -- who may call what ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("afnemer", "dienst", "code"),
    [
        (UNKNOWN, dossier, "13001"),
        (UNKNOWN, advies, "13001"),
        (KORTENBERG, advies, "13001"),
        (ZK01, dossier, "13001"),
        (VSB, dossier, "13001"),
        (ABB, dossier, "13001"),
        (ABB, advies, "13001"),
    ],
)
def test_refused_calls_are_magda_uitzonderingen_with_a_reason(kit, afnemer, dienst, code):
    antwoord = dienst(kit, afnemer, "73680599786")
    assert antwoord.status == 200
    ((received, kind, diagnose),) = antwoord.uitzonderingen()
    assert (received, kind) == (code, "FOUT") and diagnose
    assert antwoord.root.find("Repliek/Antwoorden") is None
    regel = kit.journal()[-1]
    assert (regel["decision"], regel["code"]) == ("refused", code)


def test_a_municipality_sees_only_its_residents_and_only_the_protocol_fields(kit, tmp_path):
    antwoord = dossier(kit, KORTENBERG, "98630499724")
    kbi = antwoord.dossier
    assert [c.tag for c in kbi] == ["Personalia", "Contracten"]
    assert [c.tag for c in kbi.find("Personalia")] == ["INSZ", "Naam"]
    assert [len(c) for c in kbi.find("Contracten")] == [0]  # signed: yes, nothing more
    text = etree.tostring(kbi)
    for secret in (b"2022-06-20", b"ICO13G", b"PLICHT", b"1998-03-04", b"Traject"):
        assert secret not in text
    if reference.XSD_FOLDER.exists():
        real = reference.real_schema(str(tmp_path))
        assert real.validate(antwoord.root), real.error_log
    assert dossier(kit, GENT, "98630499724").codes() == ["40103"]
    assert dossier(kit, KORTENBERG, "80651126387").codes() == ["40103"]  # lives in Charleroi
    # not in the KBI and no residence here: the same refusal as for someone in the KBI
    assert dossier(kit, KORTENBERG, "86630100380").codes() == ["40103"]
    regel = kit.journal(insz="98630499724")[0]
    assert regel["decision"] == "allowed" and "contract ondertekend" in regel["fields"]
    assert regel["consumer"]["nis"] == "24055"


def test_an_attest_shows_only_that_it_was_obtained(kit):
    kit.persona(
        {
            **kit_persona(),
            "gegevens": {
                "woonplaatsen": [{"nis": "24055", "naam": "Kortenberg", "begin": "2020-01-01"}]
            },
        }
    )
    kbi = dossier(kit, KORTENBERG, "80651338304").dossier
    assert [c.tag for c in kbi] == ["Personalia", "BehaaldeAttesten"]
    assert [(e.tag, e.text) for e in kbi.find("BehaaldeAttesten").iter()] == [
        ("BehaaldeAttesten", None),
        ("Document", None),
        ("Soort", "ATTEST"),
    ]


def kit_persona() -> dict:
    return {
        "insz": "80651338304",
        "scenario": "attest, lives in Kortenberg",
        "dossier": {
            "personalia": {"achternamen": ["Nadzialek"], "voornamen": ["Boris"]},
            "doelgroepen": [{"code": "JA", "type": "PLICHT", "periode": {"begin": "2022-01-03"}}],
            "attesten": [{"datum_aanmaak": "2023-05-01", "type": "AI023"}],
        },
    }


def test_residence_is_taken_as_known_today(kit):
    kit.today("2023-06-01")  # Julie lived in Gent until 2023-12-31
    assert dossier(kit, GENT, "79652599875").dossier is not None
    assert dossier(kit, KORTENBERG, "79652599875").codes() == ["40103"]
    kit.today("2024-06-01")
    assert dossier(kit, KORTENBERG, "79652599875").dossier is not None
    assert dossier(kit, GENT, "79652599875").codes() == ["40103"]


def test_a_zorgkas_asks_only_about_its_members_on_the_date(kit):
    antwoord = advies(kit, ZK01, "73680599786")
    assert antwoord.advies.findtext("Reden/Code") == "INBREUK"
    assert [c.tag for c in antwoord.advies] == ["Peildatum", "Resultaat", "Reden"]
    assert advies(kit, ZK01, "90651006540").codes() == ["40104"]  # a ZK02 member
    assert advies(kit, ZK01, "80651239522", "2023-06-01").advies is not None
    assert advies(kit, ZK01, "80651239522", "2024-06-01").codes() == ["40104"]  # moved
    assert advies(kit, ZK02, "80651239522", "2024-06-01").advies is not None
    assert advies(kit, ZK01, "86630100380").advies.findtext("Resultaat") == "OK"  # rule 2


def test_the_vsb_may_ask_about_anyone_and_agii_sees_everything(kit):
    assert advies(kit, VSB, "90651006540").advies is not None
    assert advies(kit, VSB, "86630100380").advies.findtext("Resultaat") == "OK"
    volledig = dossier(kit, AGII, "98630499724").dossier
    assert volledig.find("Trajecten") is not None and volledig.find("Doelgroep") is not None


def test_rest_applies_the_same_protocols(kit):
    r = rest(kit, "/api/v1/dossiers/98630499724", KORTENBERG)
    assert r.json() == {
        "insz": "98630499724",
        "achternamen": ["Daoud"],
        "voornamen": ["Saïd"],
        "contract_ondertekend": True,
        "attest_behaald": False,
    }
    assert rest(kit, "/api/v1/dossiers/98630499724", GENT).json()["code"] == "40103"
    assert rest(kit, "/api/v1/dossiers/98630499724", GENT).status_code == 403
    assert rest(kit, "/api/v1/advies/90651006540", ZK01).json()["code"] == "40104"
    assert (
        rest(kit, "/api/v1/advies/73680599786", ZK01, datum="2024-01-01").json()["resultaat"]
        == "NOK"
    )
    assert requests.get(f"{kit.url}/api/v1/advies/73680599786", timeout=5).json()["code"] == "13001"
    assert rest(kit, "/api/v1/dossiers/98630499724", AGII).json()["doelgroepen"]


def test_every_decision_is_in_the_audit_log(kit, audit):
    before = len(audit.read_text().splitlines()) if audit.exists() else 0
    dossier(kit, KORTENBERG, "98630499724")
    advies(kit, UNKNOWN, "98630499724")
    rest(kit, "/api/v1/advies/73680599786", VSB)
    regels = [json.loads(r) for r in audit.read_text().splitlines()[before:]]
    assert [(r["decision"], r["code"]) for r in regels] == [
        ("allowed", None),
        ("refused", "13001"),
        ("allowed", None),
    ]
    assert regels[0]["consumer"]["afzender"] == "gemeente.kortenberg.be"
    assert regels[0]["fields"].startswith("naam, voornaam")
    assert regels[2]["fields"] == "OK/NOK en reden"


def test_without_protocols_everyone_gets_everything(magda):
    magda.today("2030-01-01")
    body = verzoek(
        "GeefDossierKBI",
        NS_DOSSIER,
        dossier_inhoud("98630499724"),
        context=context(UNKNOWN).format(naam="GeefDossierKBI"),
    )
    assert post(magda.url + PATH_DOSSIER, body).dossier.find("Trajecten") is not None


def test_under_a_protocol_the_rest_advice_holds_no_rule(kit):
    """The rule that decided says more about the person than OK/NOK and the reason."""
    antwoord = rest(kit, "/api/v1/advies/73680599786", VSB, datum="2024-01-01").json()
    assert set(antwoord) == {"insz", "peildatum", "resultaat", "reden"}


def test_the_journal_says_rule_2_for_an_unknown_insz(kit):
    assert advies(kit, VSB, "80651439361").advies.findtext("Resultaat") == "OK"
    assert kit.journal()[-1]["rule"] == "rule 2: not in the KBI"


def test_a_persona_put_back_as_read_keeps_its_residence(kit):
    read_back = requests.get(f"{kit.url}/admin/personas/98630499724", timeout=5).json()
    r = requests.put(f"{kit.url}/admin/personas/98630499724", json=read_back, timeout=5)
    assert r.status_code == 200
    assert dossier(kit, KORTENBERG, "98630499724").codes() == []


@pytest.mark.parametrize("gemeente", [KORTENBERG, GENT])
def test_no_existence_leak_for_a_municipality(kit, builtin_personas, gemeente):
    """A non-resident gets the same refusal whether or not the KBI knows the person: the
    residence is decided before the dossier is looked up (SOAP and REST alike)."""
    nis = {KORTENBERG: "24055", GENT: "44021"}[gemeente]
    vandaag = date(2030, 1, 1)
    refusals = set()
    for insz in [*builtin_personas, "80651439361"]:  # every persona, and a number nobody has
        persona = builtin_personas.get(insz)
        if persona is not None and persona.fout:
            continue
        woonplaats = persona.gegevens.woonplaats_op(vandaag) if persona else None
        inwoner = woonplaats is not None and woonplaats.nis == nis
        soap = dossier(kit, gemeente, insz)
        r = rest(kit, f"/api/v1/dossiers/{insz}", gemeente)
        if inwoner:
            expected = ["30001"] if persona.dossier is None else []
            assert soap.codes() == expected, insz
            assert r.status_code == (404 if persona.dossier is None else 200), insz
            continue
        ((code, _, diagnose),) = soap.uitzonderingen()
        assert code == "40103", insz
        assert (r.status_code, r.json()["code"]) == (403, "40103"), insz
        refusals.add((diagnose, r.json()["diagnose"]))
    # one refusal, word for word, for everyone who does not live there
    assert len(refusals) == 1


def test_no_existence_leak_for_a_zorgkas(kit, builtin_personas):
    for insz in [*builtin_personas, "80651439361"]:
        persona = builtin_personas.get(insz)
        if persona is not None and persona.fout:
            continue
        member = persona is not None and persona.gegevens.lid_op("ZK02", date(2024, 6, 1))
        codes = advies(kit, ZK02, insz).codes()
        assert codes == ([] if member else ["40104"]), insz


def test_the_catalogue_has_dossiers_without_a_residence_today(builtin_personas):
    """Personas that are in the KBI and live nowhere today: never registered, moved away,
    moving in only later."""
    vandaag = date(2030, 1, 1)
    without = {
        p.insz
        for p in builtin_personas.values()
        if p.dossier is not None and p.gegevens.woonplaats_op(vandaag) is None
    }
    assert {"70621199792", "71622899887", "71680299836"} <= without


@pytest.mark.parametrize("store", [None, "sqlite"])
def test_an_audit_log_that_cannot_be_written_is_said_and_the_calls_answered(tmp_path, store):
    """A write that failed (a disk full, a folder gone) made every call a 500 with a
    traceback; now the call is answered, /health says degraded and why, and the log
    catches up when it can be written again."""  # (serve refuses such a path at start)
    from werkzeug.test import Client

    audit = tmp_path / "weg" / "audit.jsonl"
    shop = f"sqlite:///{tmp_path / 'store.db'}" if store else None
    app = make_emulator(Settings(today=date(2030, 1, 1), audit_log=audit, store=shop))
    client = Client(app)
    assert client.get("/api/v1/advies/73680599786").status_code == 200
    health = client.get("/health").json
    assert health["status"] == "degraded"
    assert health["reason"].startswith(f"audit log {audit}: cannot write: ")
    audit.parent.mkdir()
    assert client.get("/api/v1/advies/73680599786").status_code == 200
    assert client.get("/health").json["status"] == "ok"
    regels = [json.loads(r) for r in audit.read_text().splitlines()]
    # the call the log missed, written before the one after the folder came back
    assert [r["endpoint"] for r in regels] == ["/api/v1/advies/73680599786"] * 2
    assert regels[0]["time"] <= regels[1]["time"]


_HALF_WRITTEN = """
import json, resource, signal, sys
from datetime import date, datetime, UTC
from pathlib import Path
from magda_kbi.runtime.journal import AuditLog, JournalEntry

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit: EFBIG, not a killed process
pad = Path(sys.argv[1])
log = AuditLog(pad)
def regel(n):
    return JournalEntry(
        datetime(2030, 1, 1, tzinfo=UTC), f"/api/v1/advies/{n:011d}", "GeefAutomatischAdvies",
        None, None, None, None, "OK", 200, 1.0,
    )
log.write(regel(1))
eerste = pad.stat().st_size
zacht, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (eerste + eerste // 2, hard))  # a line and a half
log.write(regel(2))  # half of it fits
log.write(regel(3))
assert log.problem is not None
resource.setrlimit(resource.RLIMIT_FSIZE, (zacht, hard))  # room again
log.write(regel(4))
assert log.problem is None
"""


def test_an_audit_log_that_fills_up_half_way_a_line_keeps_every_line_once_and_whole(tmp_path):
    """A write that the disk cut off half way a line (a file size limit here, as a full disk
    does it) left that half, and the retry wrote the waiting lines again after it: a broken
    JSON line and lines twice."""
    audit = tmp_path / "audit.jsonl"
    process = subprocess.run(
        [sys.executable, "-c", _HALF_WRITTEN, str(audit)], capture_output=True, text=True
    )
    assert process.returncode == 0, process.stderr
    regels = [json.loads(r) for r in audit.read_text().splitlines()]
    assert [r["endpoint"] for r in regels] == [f"/api/v1/advies/{n:011d}" for n in (1, 2, 3, 4)]


def test_a_rotated_or_removed_audit_log_is_written_anew_at_its_path(tmp_path):
    """logrotate renames the file (and may compress and remove it): the open file took
    every later line, out of sight, or into a removed file, lost. Now a new file is
    started at the path, as the standard library's WatchedFileHandler does."""
    from datetime import UTC, datetime

    from magda_kbi.runtime.journal import AuditLog, JournalEntry

    def regel(n: int) -> JournalEntry:
        return JournalEntry(
            datetime(2030, 1, 1, tzinfo=UTC), f"/api/v1/advies/{n:011d}", "GeefAutomatischAdvies",
            None, None, None, None, "OK", 200, 1.0,
        )  # fmt: skip

    def endpoints(path) -> list[str]:
        return [json.loads(r)["endpoint"] for r in path.read_text().splitlines()]

    audit = tmp_path / "audit.jsonl"
    log = AuditLog(audit)
    log.write(regel(1))
    audit.rename(tmp_path / "audit.jsonl.1")
    log.write(regel(2))
    log.write(regel(3))
    assert endpoints(tmp_path / "audit.jsonl.1") == ["/api/v1/advies/00000000001"]
    assert endpoints(audit) == ["/api/v1/advies/00000000002", "/api/v1/advies/00000000003"]
    audit.unlink()
    log.write(regel(4))
    assert endpoints(audit) == ["/api/v1/advies/00000000004"]
    assert log.problem is None


def test_serve_shows_the_calls_as_they_come_with_its_audit_log_on_standard_output():
    """What the README tells a developer who wants to watch the calls in the terminal:
    --audit-log /dev/stdout, a JSON line per call, from every worker, as it is answered."""
    from .conftest import Server
    from .processes import within

    server = Server("--audit-log", "/dev/stdout", "--workers", "2")
    try:
        for _ in range(4):  # both workers, most likely
            answer = requests.get(
                f"{server.url}/api/v1/advies/73680599786?datum=2024-01-01", timeout=5
            )
            assert answer.status_code == 200

        def lines() -> list[dict]:
            return [json.loads(r) for r in server.output().splitlines() if r.startswith("{")]

        assert within(10, lambda: len(lines()) == 4), server.output()
        assert {(r["endpoint"], r["insz"], r["result"]) for r in lines()} == {
            ("/api/v1/advies/73680599786", "73680599786", "NOK INBREUK")
        }
    finally:
        server.stop()


def test_an_afzender_known_with_another_hoedanigheid_is_told_it():
    """'zorgkas' for 'ZORGKAS' was refused as a consumer without any protocol."""
    from magda_kbi.domain.consumers import Afnemers, Operation
    from magda_kbi.domain.protocols import beslis

    decision = beslis(Afnemers(), "zorgkas1.test.be", "zorgkas", Operation.ADVIES)
    assert (decision.toegelaten, decision.code) == (False, "13001")
    assert decision.reden == (
        "Geen machtiging van de afzender in deze hoedanigheid voor de gevraagde dienst:"
        " Afzender 'zorgkas1.test.be' met Hoedanigheid 'zorgkas' heeft geen protocol voor de"
        " KBI. Afzender 'zorgkas1.test.be' is gekend met Hoedanigheid 'ZORGKAS'. De afnemer is"
        " Context/Bericht/Afzender/Identificatie met Hoedanigheid (REST: de headers"
        " X-Magda-Afzender en X-Magda-Hoedanigheid); 'magda-kbi consumers' en GET"
        " /api/v1/consumers tonen de gekende afnemers."
    )
    unknown = beslis(Afnemers(), "onbekend.be", "ZORGKAS", Operation.ADVIES)
    assert "is gekend met" not in unknown.reden
    # an Afzender in other capitals: compared as written, and told the one known
    capitals = beslis(Afnemers(), "Zorgkas1.test.be", "ZORGKAS", Operation.ADVIES)
    assert (capitals.toegelaten, capitals.code) == (False, "13001")
    assert (
        " Afzender 'Zorgkas1.test.be' met Hoedanigheid 'ZORGKAS' heeft geen protocol voor de"
        " KBI. Gekend is Afzender 'zorgkas1.test.be' (hoofdletters tellen). De afnemer is"
    ) in capitals.reden
    assert "Gekend is" not in unknown.reden


def test_an_afzender_without_its_hoedanigheid_is_told_which_is_missing():
    """An Afzender given alone (the REST header X-Magda-Afzender without -Hoedanigheid) was
    told "geen afnemer opgegeven", as if nothing had been given."""
    from magda_kbi.domain.consumers import Afnemers, Operation
    from magda_kbi.domain.protocols import WIE_VRAAGT, beslis

    without = beslis(Afnemers(), "gemeente.kortenberg.be", None, Operation.DOSSIER)
    assert (without.toegelaten, without.code) == (False, "13001")
    assert without.reden == (
        "Geen machtiging van de afzender in deze hoedanigheid voor de gevraagde dienst:"
        " Afzender 'gemeente.kortenberg.be' zonder Hoedanigheid. Afzender"
        f" 'gemeente.kortenberg.be' is gekend met Hoedanigheid 'GEMEENTE'. {WIE_VRAAGT}"
    )
    only = beslis(Afnemers(), None, "GEMEENTE", Operation.DOSSIER)
    assert only.reden == (
        "Geen machtiging van de afzender in deze hoedanigheid voor de gevraagde dienst:"
        f" Hoedanigheid 'GEMEENTE' zonder Afzender. {WIE_VRAAGT}"
    )
    nothing = beslis(Afnemers(), None, None, Operation.DOSSIER)
    assert nothing.reden == (
        "Geen machtiging van de afzender in deze hoedanigheid voor de gevraagde dienst:"
        f" geen afnemer opgegeven. {WIE_VRAAGT}"
    )


def test_a_zorgkas_asking_another_zorgkas_s_premium_list_is_refused_as_a_protocol_decision(kit):
    """It was refused after the protocol had allowed the call, in English among the Dutch
    refusals, and journaled as an ERROR with the decision 'allowed'."""
    premielijst = "/api/v1/lijsten/verlaagde-premie/2023"
    r = rest(kit, premielijst, ZK01, zorgkas="ZK02")
    assert (r.status_code, r.json()) == (
        403,
        {
            "code": "40104",
            "diagnose": "Demo-zorgkas 1 krijgt enkel de lijst van zijn eigen leden (ZK01), niet"
            " die van 'ZK02'",
        },
    )
    (regel,) = kit.journal(operation="lijst-verlaagde-premie")
    assert (regel["result"], regel["decision"], regel["code"]) == (
        "REFUSED 40104",
        "refused",
        "40104",
    )
    assert rest(kit, premielijst, ZK01, zorgkas="ZK01").json()["zorgkas"] == "ZK01"
    assert rest(kit, premielijst, ZK01).json()["zorgkas"] == "ZK01"  # its own, unasked
    assert rest(kit, premielijst, VSB, zorgkas="ZK02").json()["zorgkas"] == "ZK02"
    # a municipality's list refused: journaled as such too (README: a 403 is REFUSED <code>)
    assert rest(kit, "/api/v1/lijsten/gemeente/24055", GENT).json()["code"] == "40103"
    (regel,) = kit.journal(operation="lijst-gemeente")
    assert regel["result"] == "REFUSED 40103"
