"""A synthetic population: N consistent personas for lists and load tests at scale.

Every person gets a valid MAGDA test number, dated facts from one of the scenarios below
(together they reach every rule of the advice table), a main residence in a real Flemish
municipality, a zorgkas membership, and for some the participation-trajectory data. The
same seed gives the same population.
"""

from __future__ import annotations

import json
import random
from collections.abc import Collection, Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path

from magda_kbi.domain.advies import plus_months
from magda_kbi.domain.dossier import Interesse
from magda_kbi.domain.insz import make_test_number
from magda_kbi.domain.municipalities import GEMEENTEN
from magda_kbi.io.checked_files import CheckedFiles
from magda_kbi.io.personas import persona_from_data

ZORGKASSEN = ("ZK01", "ZK02", "ZK03", "ZK04", "ZK05")
# The agency's office of each Flemish province, by the NIS code's first digit (invented: KBO
# establishment-unit numbers with valid check digits, KBI ids as the real ones, 32 hex digits)
OFFICES = {
    "1": {"kbo_nummer": "2135825380", "kbi_nummer": "A6A3A4506513470EA69E0D37F2A74DE4"},
    "2": {"kbo_nummer": "2150042117", "kbi_nummer": "F31A1E14793F4C57977729EE23AAC568"},
    "3": {"kbo_nummer": "2153381093", "kbi_nummer": "81E74EF5E8E24D948ED904759531985D"},
    "4": {"kbo_nummer": "2090050981", "kbi_nummer": "6B0D549B6F03475A9600A35A099950D8"},
    "7": {"kbo_nummer": "2029299485", "kbi_nummer": "6CAD4A268D114ECE9738F7D93D9C1724"},
}
NATIONALITIES = (
    "Marokko",
    "Turkije",
    "Syrië",
    "Afghanistan",
    "Eritrea",
    "Russische Federatie",
    "Congo (Dem. Rep.)",
    "Albanië",
    "Oekraïne",
    "India",
)
VOORNAMEN = (
    "Amina",
    "Youssef",
    "Olena",
    "Ahmad",
    "Fatima",
    "Dmytro",
    "Mariam",
    "Kofi",
    "Leyla",
    "Samir",
    "Nadia",
    "Arben",
)
ACHTERNAMEN = (
    "El Amrani",
    "Yılmaz",  # dotless ı, as written in Turkish: names past ASCII reach consumers too
    "Kovalenko",
    "Haidari",
    "Tesfaye",
    "Mbala",
    "Hoxha",
    "Sharma",
    "Benali",
    "Petrenko",
)
SCENARIOS = (
    "niet-in-kbi",
    "recht",
    "minderjarig",
    "vrijgesteld",
    "attest",
    "inbreuk-open",
    "inbreuk-rechtgezet",
    "nooit-aangemeld",
    "geen-contract",
    "uitstel-ondertekening",
    "contract-lopend",
)


# Birth dates over 20,000 days and 997 sequence numbers give 19.9 million test numbers; a
# population of at most a quarter of them is drawn without a slow end (and in memory).
MAX_POPULATION = 5_000_000


def generate_population(count: int, seed: int, taken: Collection[str] = ()) -> Iterator[dict]:
    """``count`` personas in the shape of the persona files (JSON-ready dicts), none with an
    INSZ in ``taken`` (the built-in personas': a population is served beside them)."""
    if not 0 <= count <= MAX_POPULATION:
        raise ValueError(f"a population holds 0 to {MAX_POPULATION} personas, not {count}")
    rnd = random.Random(seed)
    seen: set[str] = set(taken)
    for n in range(count):
        while True:
            born = date(1950, 1, 1) + timedelta(days=rnd.randrange(20_000))
            insz = make_test_number(born, rnd.randrange(1, 998))
            if insz not in seen:
                seen.add(insz)
                break
        yield _persona(rnd, insz, born, SCENARIOS[n % len(SCENARIOS)])


def _persona(rnd: random.Random, insz: str, born: date, scenario: str) -> dict:
    begin = date(2019, 1, 1) + timedelta(days=rnd.randrange(2_500))
    nis, municipality = rnd.choice(GEMEENTEN)
    voornaam, achternaam = rnd.choice(VOORNAMEN), rnd.choice(ACHTERNAMEN)

    def day_after(after: date, days_until: int) -> str:
        return (after + timedelta(days=rnd.randrange(1, days_until))).isoformat()

    gegevens: dict = {
        "nationaliteit": rnd.choice(NATIONALITIES),
        "woonplaatsen": [{"nis": nis, "naam": municipality, "begin": begin.isoformat()}],
        "lidmaatschappen": [{"zorgkas": rnd.choice(ZORGKASSEN), "begin": "2018-01-01"}],
    }
    if rnd.random() < 0.3:
        gegevens["participatie"] = {
            "contacttaal": rnd.choice(("Engels", "Frans", "Arabisch", "Oekraïens")),
            "nt2_niveau": rnd.choice(("A1", "A2", "B1")),
            "mo_status": rnd.choice(("BEZIG", "GESLAAGD", "NIET_GESTART")),
            "interesses": rnd.sample(
                [i.value for i in Interesse if i is not Interesse.GEEN], rnd.randrange(1, 4)
            ),
        }
        gegevens["contact"] = {"email": f"{insz}@voorbeeld.test"}
    # the scenario is read in English where people see it (the console, 'personas'); its
    # kind keeps the persona files' Dutch name
    persona = {"insz": insz, "scenario": f"generated: {scenario}", "gegevens": gegevens}
    if scenario == "niet-in-kbi":
        persona["naam"] = f"{voornaam} {achternaam}"
        persona["dossier"] = None
        return persona
    plicht = {
        "code": "JA",
        "type": "PLICHT",
        "subtype": "DOELGROEP",
        "periode": {"begin": begin.isoformat()},
    }
    office = OFFICES[nis[0]]  # where the person registered and is followed
    dossier: dict = {
        "personalia": {
            "achternamen": [achternaam],
            "voornamen": [voornaam],
            "geboortedatum": born.isoformat(),
            "geslacht": rnd.choice((1, 2)),
            "aangemaakt_door": office,
        },
        "doelgroepen": [plicht],
    }
    aanmelding = plus_months(begin, 1)
    if scenario == "recht":
        plicht.update(type="RECHT", subtype="RECHTHEBBEND")
    elif scenario == "minderjarig":
        adult_from = plus_months(begin, 12 * rnd.randrange(1, 4))
        dossier["doelgroepen"] = [
            {
                "code": "JA",
                "type": "MINDERJARIG",
                "subtype": "MINDERJARIG",
                "periode": {
                    "begin": begin.isoformat(),
                    "einde": (adult_from - timedelta(days=1)).isoformat(),
                },
            },
            {**plicht, "periode": {"begin": adult_from.isoformat()}},
        ]
    elif scenario == "vrijgesteld":
        plicht["reden_vrijstelling"] = {"code": "VRIJ_ZIEKTE", "naam": "Ernstige ziekte"}
    if scenario in (
        "attest",
        "inbreuk-open",
        "inbreuk-rechtgezet",
        "geen-contract",
        "uitstel-ondertekening",
        "contract-lopend",
    ):
        dossier["aanmelding"] = {
            "datum_aanmelding": aanmelding.isoformat(),
            "type": "HA",
            "aanmeldingsplaats": {"kbi_nummer": office["kbi_nummer"]},
        }
    contract = plus_months(aanmelding, 2)
    if scenario in ("attest", "inbreuk-open", "inbreuk-rechtgezet", "contract-lopend"):
        dossier["contracten"] = [
            {
                "datum_registratie": contract.isoformat(),
                "type": "ICO13G",
                "onderdeel_mo": True,
                "onderdeel_nt2": True,
                "aangemaakt_door": office,
            }
        ]
    if scenario == "attest":
        dossier["attesten"] = [{"datum_aanmaak": day_after(contract, 700), "type": "AI023"}]
    if scenario.startswith("inbreuk"):
        vastgesteld = plus_months(contract, rnd.randrange(2, 12))
        inbreuk: dict = {
            "datum_vaststelling": vastgesteld.isoformat(),
            "type": "5",
            "sanctionerende_overheid": "HH",
            "datum_ingebrekestelling_verzonden": (vastgesteld + timedelta(days=3)).isoformat(),
            "motivering": "niet deelgenomen",
        }
        if scenario == "inbreuk-rechtgezet":
            inbreuk["rechtzetting"] = {"datum_ondertekening": day_after(vastgesteld, 200)}
        dossier["inbreuken"] = [inbreuk]
    if scenario == "uitstel-ondertekening":
        uitstel_begin = plus_months(aanmelding, 5)
        dossier["uitstellen_van_ondertekening"] = [
            {
                "periode": {
                    "begin": uitstel_begin.isoformat(),
                    "einde": plus_months(uitstel_begin, rnd.randrange(2, 10)).isoformat(),
                }
            }
        ]
    persona["dossier"] = dossier
    return persona


# The first personas and then every 100th are checked in full, as serve checks a persona
# file (the domain's checks and the KBI XSD); the test suite checks whole populations.
CHECKED_IN_FULL = 1000
SAMPLE_EVERY = 100


def sample_checked(personas: Iterable[dict]) -> Iterator[tuple[str, str, dict]]:
    """The generator's personas as (INSZ, JSON line, data), a sample checked in full on the
    way: a generator that went wrong stops with the field and the reason, never writes on.

    Checking every persona against the XSD would cost 0.5 ms each (over eight minutes for a
    million); what the generator writes is checked by the tests over whole populations and
    here by this sample, so ``generate``'s files are recorded as checked
    (:class:`~magda_kbi.io.checked_files.CheckedFiles`) and ``serve`` imports them without a
    second XSD pass. A file changed afterwards has another content hash and is checked."""
    for n, data in enumerate(personas):
        if n < CHECKED_IN_FULL or n % SAMPLE_EVERY == 0:
            persona_from_data(data, contract=True)
        yield data["insz"], json.dumps(data, ensure_ascii=False), data


def population_files(folder: Path) -> list[Path]:
    """The files :func:`write_files` made in ``folder``, and those it made before 2026-11-30,
    when they were ``populatie-*.jsonl``: ``generate --force`` replaces those too."""
    return sorted([*folder.glob("population-*.jsonl"), *folder.glob("populatie-*.jsonl")])


def write_files(
    lines: Iterable[tuple[str, str, dict]], out: Path, per_file: int, checked: CheckedFiles
) -> int:
    """JSON Lines files ``population-00001.jsonl``, ... of ``per_file`` personas each, each
    recorded in ``checked`` by its content; how many personas were written."""
    file, key, written = None, None, 0

    def close_file() -> None:
        if file is not None:
            file.close()
            checked.add(key.hexdigest())

    try:
        for _, line, _ in lines:
            if written % per_file == 0:
                close_file()
                path = out / f"population-{written // per_file + 1:05d}.jsonl"
                file, key = path.open("wb"), checked.hasher()
            content = (line + "\n").encode("utf-8")
            file.write(content)
            key.update(content)
            written += 1
    except BaseException:
        if file is not None:
            file.close()  # half a file is not recorded as checked
        raise
    close_file()
    return written
