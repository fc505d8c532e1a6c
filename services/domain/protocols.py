"""The protocols' decisions, as pure functions: may this consumer ask this, and see what?

Only consulted in enforcement mode (``serve --protocols``). Refusals carry stable codes
(documented in the README) and a reason a developer can act on: MAGDA's own 13001 where a
caller has no authorisation for the service, the emulator's 40103/40104 where the platform
has no code of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from magda_kbi.domain.consumers import Afnemer, Afnemers, ConsumerKind, Operation
from magda_kbi.domain.dossier import KbiDossier, Persona
from magda_kbi.domain.insz import shown

GEEN_MACHTIGING = "13001"
GEEN_MACHTIGING_TEKST = (
    "Geen machtiging van de afzender in deze hoedanigheid voor de gevraagde dienst"
)
# How a caller is known, and where the known ones are listed: the refusal's Diagnose says it.
WIE_VRAAGT = (
    "De afnemer is Context/Bericht/Afzender/Identificatie met Hoedanigheid (REST: de headers "
    "X-Magda-Afzender en X-Magda-Hoedanigheid); 'magda-kbi consumers' en "
    "GET /api/v1/consumers tonen de gekende afnemers."
)
BUITEN_GEMEENTE = "40103"
GEEN_LID = "40104"

VELDEN_GEMEENTE = "naam, voornaam, INSZ, contract ondertekend, attest behaald"
VELDEN_ADVIES = "OK/NOK en reden"
VELDEN_ALLES = "volledig"


@dataclass(frozen=True)
class MunicipalityView:
    """What a municipality may see of a dossier under its protocol (VELDEN_GEMEENTE): the
    one view that SOAP, REST and the municipality list each render in their own form."""

    insz: str
    achternamen: tuple[str, ...]
    voornamen: tuple[str, ...]
    contract_ondertekend: bool
    attest_behaald: bool


def gemeente_zicht(dossier: KbiDossier) -> MunicipalityView:
    """The municipality's view of a dossier as the KBI knows it (``as_of`` first)."""
    return MunicipalityView(
        dossier.insz,
        dossier.personalia.achternamen,
        dossier.personalia.voornamen,
        bool(dossier.contracten),
        bool(dossier.attesten),
    )


@dataclass(frozen=True)
class ProtocolDecision:
    toegelaten: bool
    afnemer: Afnemer | None
    velden: str = ""  # what the answer may hold
    code: str | None = None
    reden: str = ""

    @property
    def beperkt_tot_gemeente(self) -> bool:
        return self.velden == VELDEN_GEMEENTE

    def as_json(self) -> dict:
        return {
            "consumer": self.afnemer.as_json() if self.afnemer else None,
            "decision": "allowed" if self.toegelaten else "refused",
            "code": self.code,
            "reason": self.reden or None,
            "fields": self.velden or None,
        }


def beslis(
    afnemers: Afnemers,
    afzender: str | None,
    hoedanigheid: str | None,
    operatie: Operation,
    *,
    persona: Persona | None = None,
    vandaag: date | None = None,
    datum: date | None = None,
    nis: str | None = None,
    zorgkas: str | None = None,
) -> ProtocolDecision:
    """The decision for one call. ``vandaag`` places the residence of a person (dossier),
    ``datum`` the membership of a zorgkas member (advice), ``nis`` a municipality list,
    ``zorgkas`` the members' premium list asked for (None: the caller's own)."""
    afnemer = afnemers.find(afzender, hoedanigheid)
    if afnemer is None:
        # the one of the two that is missing, and the Afzender known with another
        # Hoedanigheid ('zorgkas' for 'ZORGKAS'), or with one when it came without
        others = sorted(a.hoedanigheid for a in afnemers if afzender and a.afzender == afzender)
        known_as = (
            f" Afzender {afzender!r} is gekend met Hoedanigheid "
            f"{' of '.join(repr(h) for h in others)}."
            if others
            else ""
        )
        # or in other capitals ('Zorgkas1.test.be'): compared as written, as MAGDA does
        cased = sorted(
            {a.afzender for a in afnemers if afzender and a.afzender.lower() == afzender.lower()}
            - {afzender}
        )
        if cased and not others:
            known_as = (
                f" Gekend is Afzender {' of '.join(repr(a) for a in cased)} (hoofdletters tellen)."
            )
        if afzender and hoedanigheid:
            wat = f"Afzender {afzender!r} met Hoedanigheid {hoedanigheid!r} heeft geen protocol"
            wat += " voor de KBI."
        elif afzender:
            wat = f"Afzender {afzender!r} zonder Hoedanigheid."
        elif hoedanigheid:
            wat = f"Hoedanigheid {hoedanigheid!r} zonder Afzender."
        else:
            wat = "geen afnemer opgegeven."
        return _refused(
            None, GEEN_MACHTIGING, f"{GEEN_MACHTIGING_TEKST}: {wat}{known_as} {WIE_VRAAGT}"
        )
    if operatie not in afnemer.operations:
        return _refused(
            afnemer,
            GEEN_MACHTIGING,
            f"{GEEN_MACHTIGING_TEKST}: {operatie.value} valt buiten het protocol van "
            f"{afnemer.naam} ({afnemer.soort.value})",
        )
    if afnemer.soort is ConsumerKind.AGII:
        return ProtocolDecision(True, afnemer, VELDEN_ALLES)
    if operatie is Operation.DOSSIER:  # only GEMEENTE gets here
        # Residence first, whether or not the KBI knows the person: a municipality must not
        # be able to tell who belongs to the target group by comparing refusals.
        woonplaats = persona.gegevens.woonplaats_op(vandaag) if persona is not None else None
        if woonplaats is None or woonplaats.nis != afnemer.nis:
            return _refused(
                afnemer,
                BUITEN_GEMEENTE,
                f"de persoon heeft op {vandaag} geen hoofdverblijfplaats in "
                f"{afnemer.naam} (NIS {afnemer.nis})",
            )
        return ProtocolDecision(True, afnemer, VELDEN_GEMEENTE)
    if operatie is Operation.ADVIES:
        if afnemer.soort is ConsumerKind.ZORGKAS and not (
            persona is not None and persona.gegevens.lid_op(afnemer.zorgkas, datum)
        ):
            return _refused(
                afnemer,
                GEEN_LID,
                f"de persoon is op {datum} geen lid van {afnemer.naam} (zorgkas {afnemer.zorgkas})",
            )
        return ProtocolDecision(True, afnemer, VELDEN_ADVIES)
    if operatie in (Operation.LIJST_GEMEENTE, Operation.LIJST_PARTICIPATIE) and nis != afnemer.nis:
        return _refused(
            afnemer,
            BUITEN_GEMEENTE,
            f"{afnemer.naam} krijgt enkel de lijst van NIS {afnemer.nis}, niet {nis}",
        )
    if operatie is Operation.LIJST_VERLAAGDE_PREMIE and afnemer.soort is ConsumerKind.ZORGKAS:
        if zorgkas not in (None, afnemer.zorgkas):
            return _refused(
                afnemer,
                GEEN_LID,
                f"{afnemer.naam} krijgt enkel de lijst van zijn eigen leden ({afnemer.zorgkas}),"
                f" niet die van {shown(zorgkas)}",
            )
        return ProtocolDecision(True, afnemer, f"INSZ van de leden van {afnemer.zorgkas}")
    return ProtocolDecision(
        True, afnemer, VELDEN_ALLES if afnemer.soort is not ConsumerKind.VSB else "INSZ"
    )


def _refused(afnemer: Afnemer | None, code: str, reden: str) -> ProtocolDecision:
    return ProtocolDecision(False, afnemer, code=code, reden=reden)
