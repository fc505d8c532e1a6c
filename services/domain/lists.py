"""The protocols' lists and exports, as generators over personas (memory stays flat).

- the yearly reduced-premium list: the advice rule v1 with Toepassing VERLAAGDE_PREMIE,
  the same code path as the web service;
- the municipality lists: residents with their inburgering status, and the
  participation-trajectory list;
- the pseudonymised ABB export: a keyed pseudonym (HMAC-SHA256 of the INSZ) and the
  monitoring fields, nothing that identifies a person.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator
from datetime import date

from magda_kbi.domain.advies import Resultaat, RuleSet, Terms, Toepassing, geef_advies
from magda_kbi.domain.dossier import Persona
from magda_kbi.domain.municipalities import GEMEENTEN
from magda_kbi.domain.protocols import gemeente_zicht

# The ABB export's region: the province of a NIS code's arrondissement (its first two
# digits). The first digit alone took Brussels (21) and Walloon Brabant (25) for Flemish
# Brabant; Brussels is no province, its region is named. A code of no arrondissement
# (a persona may live in any five-digit code) has no region.
REGIO_PER_ARRONDISSEMENT = {
    **dict.fromkeys(("11", "12", "13"), "Antwerpen"),
    "21": "Brussels Hoofdstedelijk Gewest",
    **dict.fromkeys(("23", "24"), "Vlaams-Brabant"),
    "25": "Waals-Brabant",
    **dict.fromkeys(("31", "32", "33", "34", "35", "36", "37", "38"), "West-Vlaanderen"),
    **dict.fromkeys(("41", "42", "43", "44", "45", "46"), "Oost-Vlaanderen"),
    **dict.fromkeys(("51", "52", "53", "54", "55", "56", "57", "58"), "Henegouwen"),
    **dict.fromkeys(("61", "62", "63", "64"), "Luik"),
    **dict.fromkeys(("71", "72", "73"), "Limburg"),
    **dict.fromkeys(("81", "82", "83", "84", "85"), "Luxemburg"),
    **dict.fromkeys(("91", "92", "93"), "Namen"),
}


GEMEENTE_VELDEN = ["insz", "achternaam", "voornaam", "contract_ondertekend", "attest_behaald"]
PARTICIPATIE_VELDEN = [
    "naam",
    "adres",
    "telefoon",
    "email",
    "contacttaal",
    "nt2_niveau",
    "mo_status",
    "interesses",
]


def verlaagde_premie(
    personas: Iterable[Persona],
    premiejaar: int,
    vandaag: date,
    *,
    zorgkas: str | None = None,
    terms: Terms | None = None,
    rule_set: RuleSet = RuleSet.PROTOCOL_V1,
) -> Iterator[str]:
    """The INSZ of every person under the obligation who does not satisfy it on 1 January
    of the year before ``premiejaar``; with ``zorgkas``, only its members on 1 January of
    the premium year."""
    peildag = date(premiejaar, 1, 1)
    for persona in personas:
        if persona.dossier is None:
            continue
        if zorgkas is not None and not persona.gegevens.lid_op(zorgkas, peildag):
            continue
        advies = geef_advies(
            persona.dossier,
            peildag,
            Toepassing.VERLAAGDE_PREMIE,
            terms or Terms(),
            vandaag=vandaag,
            rule_set=rule_set,
        )
        if advies.resultaat is Resultaat.NOK:
            yield persona.insz


def known_municipalities(personas: Iterable[Persona]) -> dict[str, str]:
    """NIS code -> name: the register, and every municipality a persona ever lives in."""
    bekend = dict(GEMEENTEN)
    for persona in personas:
        for woonplaats in persona.gegevens.woonplaatsen:
            bekend.setdefault(woonplaats.nis, woonplaats.naam)
    return bekend


def nis_known(nis: str, personas: Iterable[Persona]) -> bool:
    """A municipality of the register, or one somebody lives in (read only when needed)."""
    if nis in dict(GEMEENTEN):
        return True
    return any(w.nis == nis for p in personas for w in p.gegevens.woonplaatsen)


def zorgkas_known(zorgkas: str, personas: Iterable[Persona], consumers: Iterable[str]) -> bool:
    """A consumer's zorgkas, or one somebody is or was a member of (read only when needed):
    a misspelt one ('zk01') gave an empty list without a word."""
    if zorgkas in set(consumers):
        return True
    return any(lid.zorgkas == zorgkas for p in personas for lid in p.gegevens.lidmaatschappen)


def known_zorgkassen(personas: Iterable[Persona], consumers: Iterable[str]) -> list[str]:
    """Every consumer's zorgkas and every one somebody is or was a member of, sorted."""
    known = set(consumers)
    for persona in personas:
        known.update(lid.zorgkas for lid in persona.gegevens.lidmaatschappen)
    return sorted(known)


def gemeente(personas: Iterable[Persona], nis: str, vandaag: date) -> Iterator[dict]:
    """Residents of the municipality (main residence on ``vandaag``) with a KBI dossier:
    the protocol's fields only."""
    for persona in personas:
        woonplaats = persona.gegevens.woonplaats_op(vandaag)
        if persona.dossier is None or woonplaats is None or woonplaats.nis != nis:
            continue
        zicht = gemeente_zicht(persona.dossier.as_of(vandaag))
        yield {
            "insz": zicht.insz,
            "achternaam": " ".join(zicht.achternamen),
            "voornaam": " ".join(zicht.voornamen),
            "contract_ondertekend": zicht.contract_ondertekend,
            "attest_behaald": zicht.attest_behaald,
        }


def participatie(personas: Iterable[Persona], nis: str, vandaag: date) -> Iterator[dict]:
    """Participants of the participation trajectory living in the municipality."""
    for persona in personas:
        gegevens = persona.gegevens
        woonplaats = gegevens.woonplaats_op(vandaag)
        if gegevens.participatie is None or woonplaats is None or woonplaats.nis != nis:
            continue
        contact = gegevens.contact
        adres = contact.adres if contact else None
        deelname = gegevens.participatie
        yield {
            "naam": persona.naam,
            "adres": (
                f"{adres.straat} {adres.huisnummer}{' bus ' + adres.bus if adres.bus else ''}"
                f", {adres.postcode} {adres.gemeente}"
            )
            if adres
            else None,
            "telefoon": contact.telefoon if contact else None,
            "email": contact.email if contact else None,
            "contacttaal": deelname.contacttaal,
            "nt2_niveau": deelname.nt2_niveau,
            "mo_status": deelname.mo_status.value if deelname.mo_status else None,
            "interesses": [i.value for i in deelname.interesses],
        }


ABB_VELDEN = (
    "pseudoniem",
    "leeftijdscategorie",
    "geslacht",
    "nationaliteit",
    "doelgroep_type",
    "doelgroep_begin",
    "doelgroep_einde",
    "vrijgesteld",
    "datum_aanmelding",
    "datum_contract",
    "attest_behaald",
    "regio",
    "nt2_niveau",
    "traject_types",
)


def keyed_pseudonym(key: bytes, insz: str) -> str:
    """HMAC-SHA256 of the INSZ with the key: the same key gives the same pseudonym, another
    key an unlinkable one; without the key it cannot be reversed or recomputed."""
    return hmac.new(key, insz.encode("ascii"), hashlib.sha256).hexdigest()


def abb(personas: Iterable[Persona], key: bytes, vandaag: date) -> Iterator[dict]:
    """The ABB monitoring export: no INSZ, name, birth date or address, only categories."""
    for persona in personas:
        if persona.dossier is None:
            continue
        dossier = persona.dossier.as_of(vandaag)
        doelgroep = dossier.huidige_doelgroep
        woonplaats = persona.gegevens.woonplaats_op(vandaag)
        geboren = dossier.personalia.geboortedatum
        nt2 = None
        if dossier.talenkennis and dossier.talenkennis.nt2_hoogst_behaald:
            nt2 = dossier.talenkennis.nt2_hoogst_behaald.code
        elif persona.gegevens.participatie:
            nt2 = persona.gegevens.participatie.nt2_niveau
        yield {
            "pseudoniem": keyed_pseudonym(key, persona.insz),
            "leeftijdscategorie": age_category(geboren, vandaag),
            "geslacht": {1: "M", 2: "V"}.get(dossier.personalia.geslacht),
            "nationaliteit": persona.gegevens.nationaliteit,
            "doelgroep_type": doelgroep.type.value if doelgroep else None,
            "doelgroep_begin": doelgroep.periode.begin.isoformat() if doelgroep else None,
            "doelgroep_einde": (
                doelgroep.periode.einde.isoformat()
                if doelgroep and doelgroep.periode.einde
                else None
            ),
            "vrijgesteld": bool(doelgroep and doelgroep.reden_vrijstelling),
            "datum_aanmelding": (
                dossier.aanmelding.datum_aanmelding.isoformat() if dossier.aanmelding else None
            ),
            "datum_contract": (
                min(c.datum_registratie for c in dossier.contracten).isoformat()
                if dossier.contracten
                else None
            ),
            "attest_behaald": bool(dossier.attesten),
            "regio": REGIO_PER_ARRONDISSEMENT.get(woonplaats.nis[:2]) if woonplaats else None,
            "nt2_niveau": nt2,
            "traject_types": " ".join(t.type for t in dossier.trajecten) or None,
        }


def age_category(geboren: date | None, vandaag: date) -> str | None:
    if geboren is None:
        return None
    leeftijd = (
        vandaag.year - geboren.year - ((vandaag.month, vandaag.day) < (geboren.month, geboren.day))
    )
    for grens, categorie in (
        (18, "<18"),
        (25, "18-24"),
        (35, "25-34"),
        (45, "35-44"),
        (55, "45-54"),
        (65, "55-64"),
    ):
        if leeftijd < grens:
            return categorie
    return "65+"
