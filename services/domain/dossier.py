"""The KBI dossier: one person's integration file, as dated facts (pure domain, no XML).

Every fact carries the date from which the Kruispuntbank knows it. ``as_of``
gives the dossier as known on a day: facts dated later are left out, which is how
the emulator answers "as known on today" and how the advice looks at a peildatum.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import TypeVar


class DoelgroepCode(StrEnum):
    JA = "JA"
    NEE = "NEE"
    NADER_TE_BEPALEN = "NADER_TE_BEPALEN"


class DoelgroepType(StrEnum):
    PLICHT = "PLICHT"
    RECHT = "RECHT"
    RECHT_PLICHT = "RECHT_PLICHT"
    MINDERJARIG = "MINDERJARIG"
    NADER_TE_BEPALEN = "NADER_TE_BEPALEN"
    GEEN = "GEEN"


class DoelgroepSubType(StrEnum):
    RECHT = "RECHT"
    PRI_RECHT = "PRI_RECHT"
    VOL_PROG = "VOL_PROG"
    NT2 = "NT2"
    MO = "MO"
    RECHT_PLICHT = "RECHT_PLICHT"
    MINDERJARIG = "MINDERJARIG"
    DOELGROEP = "DOELGROEP"
    RECHTHEBBEND = "RECHTHEBBEND"


@dataclass(frozen=True)
class Periode:
    begin: date
    einde: date | None = None

    def dekt(self, day: date) -> bool:
        """Begin <= day and (no Einde or day <= Einde)."""
        return self.begin <= day and (self.einde is None or day <= self.einde)


@dataclass(frozen=True)
class Code:
    """A KBI code with its optional labels (``<X KorteNaam=".." Naam="..">code</X>``)."""

    code: str
    naam: str | None = None
    korte_naam: str | None = None


@dataclass(frozen=True)
class KbiVestiging:
    """An office of the agency or of a partner (the contract's KbiVestigingType): who made a
    record, where someone registered, who runs a trajectory."""

    kbo_nummer: str | None = None  # the enterprise number, ten digits
    kbi_nummer: str | None = None  # the KBI's own id of the office (a GUID's 32 hex digits)


@dataclass(frozen=True)
class Personalia:
    achternamen: tuple[str, ...]
    voornamen: tuple[str, ...] = ()
    geboortedatum: date | None = None
    geslacht: int | None = None  # 1 mannelijk, 2 vrouwelijk (MAGDA Geslacht2_0)
    uniek_nummer: str | None = None  # 02.00 only: the KBI's client number, a letter and 7 digits
    aangemaakt_door: KbiVestiging | None = None


@dataclass(frozen=True)
class ICTVaardigheid:
    """A digital skill and its level (free text), known from the day it was last changed."""

    naam: str
    datum_laatst_gewijzigd_op: date
    niveau: str | None = None

    @property
    def datum(self) -> date:
        return self.datum_laatst_gewijzigd_op


@dataclass(frozen=True)
class ICTMiddel:
    """A digital means (a laptop, an internet connection): whether the client has it, and
    how and when a lack was solved; known from the day it was last changed."""

    naam: str
    datum_laatst_gewijzigd_op: date
    beschikbaar: bool | None = None
    oplossingsdatum: date | None = None
    soort_oplossing: Code | None = None

    @property
    def datum(self) -> date:
        return self.datum_laatst_gewijzigd_op


@dataclass(frozen=True)
class KlantProfiel:
    """02.00's client profile: work, schooling and the client's aims, in the contract's own
    free-text fields (as the agency's counsellors write them). Not dated: the profile as it
    stands, but for its digital skills and means, each from the day it was last changed."""

    werksituatie: str | None = None
    werkritme: str | None = None
    perspectieven: tuple[Code, ...] = ()
    totaal_aantal_jaren_scholing: int | None = None
    hoogst_behaald_diploma: str | None = None
    land_diploma: str | None = None
    oefenkansen: str | None = None
    omgevingsfactoren: str | None = None
    motivaties: str | None = None
    specifieke_klantengroep: str | None = None
    ict_vaardigheden: tuple[ICTVaardigheid, ...] = ()
    ict_middelen: tuple[ICTMiddel, ...] = ()

    def as_of(self, day: date) -> KlantProfiel:
        if not self.ict_vaardigheden and not self.ict_middelen:
            return self
        return replace(
            self,
            ict_vaardigheden=tuple(_known(self.ict_vaardigheden, day)),
            ict_middelen=tuple(_known(self.ict_middelen, day)),
        )


@dataclass(frozen=True)
class Doelgroep:
    code: DoelgroepCode
    type: DoelgroepType
    periode: Periode
    subtype: DoelgroepSubType | None = None
    reden_vrijstelling: Code | None = None
    reden_geen_doelgroep: Code | None = None

    @property
    def datum(self) -> date:
        return self.periode.begin


@dataclass(frozen=True)
class Attest:
    """A BehaaldeAttesten/Document of Soort ATTEST."""

    datum_aanmaak: date
    type: str | None = None  # AI023, AEVC05, ... (either version's spelling: AI023 or AI023G)
    id: str | None = None
    datum_ondertekening: date | None = None  # signed, after it was made
    aangemaakt_door: KbiVestiging | None = None

    @property
    def datum(self) -> date:
        return self.datum_aanmaak

    def as_of(self, day: date) -> Attest:
        """Known from its making; its signature from the day it was signed."""
        getekend = self.datum_ondertekening
        return (
            self if getekend is None or getekend <= day else replace(self, datum_ondertekening=None)
        )


@dataclass(frozen=True)
class Addendum:
    """A change to a signed contract, registered on its day: which parts it now holds."""

    datum_registratie: date
    type: str | None = None  # AIC14G .. AIC21G (02.00 also AICF15GUB)
    onderdeel_mo: bool = False
    onderdeel_nt2: bool = False
    onderdeel_lo: bool = False
    aangemaakt_door: KbiVestiging | None = None

    @property
    def datum(self) -> date:
        return self.datum_registratie


@dataclass(frozen=True)
class Opschorting:
    """A suspension of a contract: its period, known from its begin, and why."""

    periode: Periode
    reden: Code | None = None

    @property
    def datum(self) -> date:
        return self.periode.begin


@dataclass(frozen=True)
class Contract:
    datum_registratie: date
    type: str | None = None  # IC07G .. IC11G22 (either version's spelling: ICO13G or IC013G)
    onderdeel_mo: bool = False
    onderdeel_nt2: bool = False
    onderdeel_lo: bool = False
    aangemaakt_door: KbiVestiging | None = None
    addenda: tuple[Addendum, ...] = ()
    opschortingen: tuple[Opschorting, ...] = ()

    @property
    def datum(self) -> date:
        return self.datum_registratie

    def as_of(self, day: date) -> Contract:
        """Known from its registration; an addendum and a suspension from their own day."""
        if not self.addenda and not self.opschortingen:
            return self
        return replace(
            self,
            addenda=tuple(_known(self.addenda, day)),
            opschortingen=tuple(_known(self.opschortingen, day)),
        )


@dataclass(frozen=True)
class Uitstel:
    """An UitstelVanOndertekening or UitstelVanAanmelding."""

    periode: Periode
    reden: Code | None = None

    @property
    def datum(self) -> date:
        return self.periode.begin


@dataclass(frozen=True)
class Aanmelding:
    datum_aanmelding: date
    type: str | None = None  # EA | HA
    reden: Code | None = None
    aanmeldingsplaats: KbiVestiging | None = None

    @property
    def datum(self) -> date:
        return self.datum_aanmelding


@dataclass(frozen=True)
class Status:
    """A trajectory's status from its begin; its end, as it stands, with it."""

    code: str
    begin: date
    einde: date | None = None


_S = TypeVar("_S", bound=Status)


@dataclass(frozen=True)
class TrajectOnderdeelStatus(Status):
    """A trajectory part's status: also its DatumOnbepaaldTot and 02.00's RedenGPA (their
    meaning is not published), known with the status."""

    onbepaald_tot: date | None = None
    reden_gpa: Code | None = None  # 02.00 only


@dataclass(frozen=True)
class Besluit:
    """The decision on a trajectory (JA_IB, JA_EVC, NEE, NEE_ANALFA) or on one of its parts
    (VO, NVO, NVT), known from the day it was granted."""

    code: str
    datum_toekenning: date
    reden: Code | None = None


@dataclass(frozen=True)
class ContactPersoon:
    """A contact person (the contract's ContactGegevens): the agency's counsellor who follows
    a trajectory, or someone at a partner; a name and how to reach them."""

    achternamen: tuple[str, ...]
    voornamen: tuple[str, ...] = ()
    email: str | None = None
    telefoon: str | None = None
    gsm: str | None = None
    fax: str | None = None


@dataclass(frozen=True)
class TrajectBeheerder:
    """Who runs a trajectory, from the start of its Periode: an office and a counsellor."""

    periode: Periode
    kbi_vestiging: KbiVestiging | None = None
    contactpersoon: ContactPersoon | None = None
    kbi_loket: str | None = None  # 02.00 only: the service desk's RoepNaam

    @property
    def datum(self) -> date:
        return self.periode.begin


@dataclass(frozen=True)
class TrajectOnderdeel:
    type: str
    periode: Periode
    status: TrajectOnderdeelStatus | None = None
    besluit: Besluit | None = None

    @property
    def datum(self) -> date:
        return self.periode.begin

    def as_of(self, day: date) -> TrajectOnderdeel:
        return replace(self, status=_status_op(self.status, day), besluit=_besluit_op(self, day))


@dataclass(frozen=True)
class Traject:
    type: str
    periode: Periode
    status: Status | None = None
    onderdelen: tuple[TrajectOnderdeel, ...] = ()
    beheerder: TrajectBeheerder | None = None
    besluit: Besluit | None = None
    start_datum_vormingstraject: date | None = None  # 02.00 only, known from that day

    @property
    def datum(self) -> date:
        return self.periode.begin

    def as_of(self, day: date) -> Traject:
        beheerder = self.beheerder if self.beheerder and self.beheerder.datum <= day else None
        start = self.start_datum_vormingstraject
        return replace(
            self,
            status=_status_op(self.status, day),
            onderdelen=tuple(o.as_of(day) for o in _known(self.onderdelen, day)),
            beheerder=beheerder,
            besluit=_besluit_op(self, day),
            start_datum_vormingstraject=start if start and start <= day else None,
        )


def _status_op(status: _S | None, day: date) -> _S | None:
    return status if status and status.begin <= day else None


def _besluit_op(deel: Traject | TrajectOnderdeel, day: date) -> Besluit | None:
    besluit = deel.besluit
    return besluit if besluit and besluit.datum_toekenning <= day else None


@dataclass(frozen=True)
class PartnerAdres:
    """An address as MAGDA's generic AdresType writes it: the street and the municipality
    each with its NIS code, the country with its ISO and NIS code."""

    straat: str | None = None
    straat_nis: str | None = None
    huisnummer: str | None = None
    bus: str | None = None
    postcode: str | None = None
    gemeente: str | None = None
    gemeente_nis: str | None = None
    land: str | None = None
    land_iso: str | None = None
    land_nis: str | None = None


@dataclass(frozen=True)
class PartnerOrganisatie:
    """A partner of the agency: the centre that gives a Dutch course (an adult-education
    centre, by its number in the Davinci register), the one that refers a client; its own
    id for the agency, its address and a contact person."""

    davinci_instellingsnummer: str | None = None
    naam: str | None = None
    extern_id: str | None = None
    adres: PartnerAdres | None = None
    contactgegevens: ContactPersoon | None = None


@dataclass(frozen=True)
class LesMoment:
    """One lesson of a course and whether the client was there (AANWEZIG, AFWEZIG,
    VERANTW_AFWE: excused), known from its day. Hours as the contract writes them
    (``18:30``)."""

    datum: date
    aanvang_uur: str | None = None
    eind_uur: str | None = None
    aanwezigheidsduur: str | None = None  # how long the client was there, hh:mm
    aanwezigheid: str | None = None

    @property
    def lesdag(self) -> str:
        """02.00's Lesdag: the day of the week (MA .. ZO)."""
        return ("MA", "DI", "WO", "DO", "VR", "ZA", "ZO")[self.datum.weekday()]


@dataclass(frozen=True)
class MOCursus:
    """A course in social orientation (maatschappelijke oriëntatie), known from the day of
    enrolment; the withdrawal from its own day. ``individueel``: one given to the client
    alone (the contract's IndividueleMOCursussen)."""

    id: str  # a UUID
    nummer: str
    datum_inschrijving: date
    naam: str | None = None
    taal: str | None = None
    lesplaats: str | None = None
    periode: Periode | None = None
    datum_uitschrijving: date | None = None
    individueel: bool = False
    lesmomenten: tuple[LesMoment, ...] = ()

    @property
    def datum(self) -> date:
        return self.datum_inschrijving

    def as_of(self, day: date) -> MOCursus:
        cursus = replace(self, lesmomenten=tuple(_known(self.lesmomenten, day)))
        return cursus if _uitgeschreven(self, day) else replace(cursus, datum_uitschrijving=None)


@dataclass(frozen=True)
class NT2Cursus:
    """A course of Dutch as a second language, known from the day of enrolment. The contract
    dates neither its Status nor its Besluit: the status is the one it has, but UITGESCHREVEN
    reads INGESCHREVEN before the day of withdrawal (one withdraws from a course one was
    enrolled in), and the decision (GESLAAGD, NT_GESLAAGD, NT_DEELGENOMEN) is known from the
    end of the course's period (without an end: as the course is)."""

    id: str  # a UUID
    datum_inschrijving: date
    centrum: PartnerOrganisatie | None = None
    vestiging: Code | None = None
    opleiding: Code | None = None
    module: Code | None = None
    periode: Periode | None = None
    datum_uitschrijving: date | None = None
    status: str | None = None  # TOEGEWEZEN, INGESCHREVEN, ..., UITGESCHREVEN
    besluit: str | None = None
    lesmomenten: tuple[LesMoment, ...] = ()
    # 02.00 only, not dated (as they stand): the course's own details and what it costs
    geannuleerd: bool | None = None  # the wire's 1 or 0
    cursus_code: str | None = None
    aantal_lestijden_afstandsonderwijs: int | None = None  # one digit, as the contract has it
    naam: str | None = None
    specifiek_aanbod: str | None = None
    module_variant: Code | None = None
    plafond_overschreden: str | None = None
    tarief: str | None = None
    totaal_te_betalen_cursusgeld: int | None = None  # whole euros
    totaal_te_betalen_boekengeld: int | None = None

    @property
    def datum(self) -> date:
        return self.datum_inschrijving

    def as_of(self, day: date) -> NT2Cursus:
        cursus = replace(self, lesmomenten=tuple(_known(self.lesmomenten, day)))
        if not _uitgeschreven(self, day):
            status = "INGESCHREVEN" if self.status == "UITGESCHREVEN" else self.status
            cursus = replace(cursus, datum_uitschrijving=None, status=status)
        einde = self.periode.einde if self.periode else None
        if self.besluit is not None and einde is not None and day < einde:
            cursus = replace(cursus, besluit=None)
        return cursus


def _uitgeschreven(cursus: MOCursus | NT2Cursus, day: date) -> bool:
    """No withdrawal, or one known on ``day``."""
    return cursus.datum_uitschrijving is None or cursus.datum_uitschrijving <= day


@dataclass(frozen=True)
class PLOCursusBesluit:
    """Whether a PLO course was completed (Voldaan), known from the day it was granted."""

    datum_toekenning: date
    voldaan: bool | None = None
    reden: Code | None = None


@dataclass(frozen=True)
class PLOCursus:
    """A course of the trajectory's PLO part, known from its begin; its decision from the
    day it was granted."""

    id: str  # a UUID
    periode: Periode
    naam: str | None = None
    besluit: PLOCursusBesluit | None = None

    @property
    def datum(self) -> date:
        return self.periode.begin

    def as_of(self, day: date) -> PLOCursus:
        besluit = self.besluit
        if besluit is None or besluit.datum_toekenning <= day:
            return self
        return replace(self, besluit=None)


@dataclass(frozen=True)
class NT2Test:
    """02.00's NT2Test: a Dutch test taken, known from the day it was taken (its category,
    level and result as free text, as the contract has them)."""

    datum_afgelegd: date
    categorie: str | None = None
    niveau: str | None = None
    resultaat: str | None = None

    @property
    def datum(self) -> date:
        return self.datum_afgelegd


@dataclass(frozen=True)
class VormingsActiviteiten:
    """The courses the client was enrolled in: social orientation, Dutch, PLO; in 02.00 also
    the Dutch tests taken."""

    mo_cursussen: tuple[MOCursus, ...] = ()
    nt2_cursussen: tuple[NT2Cursus, ...] = ()
    plo_cursussen: tuple[PLOCursus, ...] = ()
    nt2_testen: tuple[NT2Test, ...] = ()  # 02.00 only

    def as_of(self, day: date) -> VormingsActiviteiten | None:
        """As known on ``day``; None before the first course or test (no empty part, as on
        the wire)."""
        gekend = VormingsActiviteiten(
            mo_cursussen=tuple(c.as_of(day) for c in _known(self.mo_cursussen, day)),
            nt2_cursussen=tuple(c.as_of(day) for c in _known(self.nt2_cursussen, day)),
            plo_cursussen=tuple(c.as_of(day) for c in _known(self.plo_cursussen, day)),
            nt2_testen=tuple(_known(self.nt2_testen, day)),
        )
        return gekend if gekend != VormingsActiviteiten() else None


@dataclass(frozen=True)
class AfgelegdeTest:
    """A test the client took (a Dutch level test, one with civil effect), known from its
    day; its attest from the attest's day. The versions describe the outcome differently,
    so each sends its own fields: 01.00 one result code (``resultaat``); 02.00 a status (which
    it requires), the kind of result with its scores, a conclusion and an attest. A persona
    is answered in both, so it gives both."""

    id: str  # a UUID
    nummer: str
    datum: date
    type: Code | None = None
    versie: str | None = None
    taal: str | None = None
    toeleiding_id: str | None = None  # a UUID: the referral it came from
    resultaat: Code | None = None  # 01.00
    status: str | None = None  # 02.00 from here on
    opdrachtgever: str | None = None
    naam_test: str | None = None
    resultaat_type: Code | None = None
    score_behaald: str | None = None
    score_totaal: str | None = None
    conclusie_type: str | None = None  # Globaal resultaat, Conclusie behaald niveau, ...
    conclusie_resultaat: str | None = None
    attest_type: str | None = None  # ATT-ACE, ATT-CTE, HvN-ATTESTNL, ATT_TTOUDERS
    attest_naam: str | None = None
    attest_datum: date | None = None

    def as_of(self, day: date) -> AfgelegdeTest:
        if self.attest_datum is None or self.attest_datum <= day:
            return self
        return replace(self, attest_type=None, attest_naam=None, attest_datum=None)


@dataclass(frozen=True)
class GeregistreerdIn:
    """02.00: where a certificate is registered (a service and an entity, as free text)."""

    werking: str | None = None
    entiteit: str | None = None


@dataclass(frozen=True)
class ToeleidingDiplomaGelijkschakeling:
    """A referral to have a foreign diploma recognised (by a partner, the
    ErkenningsInstantie), known from its start; the submission to the partner from its day;
    the partner's answer, its code and the status (BZ, GD, AN) from the day of the answer
    (without one: the status as it stands)."""

    start_datum: date
    status: str | None = None
    diploma_naam: str | None = None
    onderwijsinstelling: str | None = None
    erkenningsinstantie: PartnerOrganisatie | None = None
    reden: Code | None = None
    type: Code | None = None
    datum_ingediend_bij_partner: date | None = None
    datum_antwoord_partner: date | None = None
    antwoord_partner_code: Code | None = None
    opdrachtgever: str | None = None
    dossiernummer_bij_partner: str | None = None
    # 02.00 only, with the referral: the certificate (a diploma's or a course's) itself
    type_certificaat: str | None = None
    module_naam: str | None = None
    niveau: str | None = None
    datum_behaald: date | None = None
    vaardigheden: tuple[str, ...] = ()
    geregistreerd_in: GeregistreerdIn | None = None

    @property
    def datum(self) -> date:
        return self.start_datum

    def as_of(self, day: date) -> ToeleidingDiplomaGelijkschakeling:
        toeleiding = self
        ingediend = self.datum_ingediend_bij_partner
        if ingediend is not None and day < ingediend:
            toeleiding = replace(toeleiding, datum_ingediend_bij_partner=None)
        antwoord = self.datum_antwoord_partner
        if antwoord is not None and day < antwoord:
            toeleiding = replace(
                toeleiding, datum_antwoord_partner=None, antwoord_partner_code=None, status=None
            )
        return toeleiding


@dataclass(frozen=True)
class ToeleidingPartner:
    """A referral of the client by a partner (Van) to an office of the agency (Naar), known
    from the day it was received; its status (OP, VW, NU, GW) as it stands."""

    datum_ontvangen: date
    externe_id: str | None = None  # a UUID
    van: PartnerOrganisatie | None = None
    naar: KbiVestiging | None = None
    status: str | None = None
    reden: str | None = None  # INT_HVN, NIV_TEST, INB_OPV, DIPL_GEL
    reden_omschrijving: str | None = None
    commentaar: str | None = None  # 02.00 only

    @property
    def datum(self) -> date:
        return self.datum_ontvangen


@dataclass(frozen=True)
class WachtlijstAanmelding:
    """A place on a waiting list for a course (Code) and module, from its day."""

    datum: date
    code: Code | None = None
    module: Code | None = None


@dataclass(frozen=True)
class RechtzettingsFormulier:
    datum_ondertekening: date
    datum_aanmaak: date | None = None
    aangemaakt_door: KbiVestiging | None = None
    document_id: str | None = None  # a UUID


@dataclass(frozen=True)
class InbreukActiviteit:
    """A step the agency took about an infringement (a letter, a call, a home visit), part of
    its statement of facts (FeitenRelaas)."""

    type: str  # A_BRIEF, A_KC_TELEF, A_KC_HUISB, ...
    datum_uitgevoerd: date
    id: str | None = None  # a UUID
    commentaar: str | None = None  # CommentaarFeitenRelaas

    @property
    def datum(self) -> date:
        return self.datum_uitgevoerd


@dataclass(frozen=True)
class InbreukCommunicatie:
    """A document made about an infringement (the establishment form, a formal notice)."""

    datum_aanmaak: date
    type_document: Code | None = None

    @property
    def datum(self) -> date:
        return self.datum_aanmaak


@dataclass(frozen=True)
class Inbreuk:
    datum_vaststelling: date
    type: str | None = None  # "1" .. "8"
    sanctionerende_overheid: str | None = None
    rechtzetting: RechtzettingsFormulier | None = None
    datum_ingebrekestelling_verzonden: date | None = None  # the formal notice was sent
    motivering: str | None = None  # why, in the agency's words
    activiteiten: tuple[InbreukActiviteit, ...] = ()
    communicaties: tuple[InbreukCommunicatie, ...] = ()

    @property
    def datum(self) -> date:
        return self.datum_vaststelling

    def rechtgezet_op(self, day: date) -> bool:
        return self.rechtzetting is not None and self.rechtzetting.datum_ondertekening <= day

    def as_of(self, day: date) -> Inbreuk:
        """Known from its establishment; the remedy, the notice, each activity and document
        from their own dates."""
        verzonden = self.datum_ingebrekestelling_verzonden
        return replace(
            self,
            rechtzetting=self.rechtzetting if self.rechtgezet_op(day) else None,
            datum_ingebrekestelling_verzonden=verzonden if verzonden and verzonden <= day else None,
            activiteiten=tuple(_known(self.activiteiten, day)),
            communicaties=tuple(_known(self.communicaties, day)),
        )


@dataclass(frozen=True)
class Taal:
    code: str
    contacttaal: bool = False
    kennisniveau: Code | None = None


@dataclass(frozen=True)
class AnderSchrift:
    """Literacy in a script other than the Latin one: how far, and in which language."""

    code: Code | None = None
    taal: str | None = None


@dataclass(frozen=True)
class NT2NiveauDelen:
    """02.00's parts of an NT2 level: the day it was obtained, the spoken and written level."""

    datum: date | None = None
    mondeling: Code | None = None
    schriftelijk: Code | None = None


@dataclass(frozen=True)
class NT2Instapniveau(NT2NiveauDelen):
    """02.00's entry level (as the level test found it): overall, spoken and written."""

    globaal: Code | None = None


@dataclass(frozen=True)
class Talenkennis:
    """Languages and Dutch. Not dated, but for an NT2 level with 02.00's day: known from that
    day, in both versions (before it the level is left out, its code too)."""

    talen: tuple[Taal, ...] = ()
    latijns_schrift: Code | None = None  # Alfabetiseringsgraad/LatijnsSchrift (literacy)
    ander_schrift: AnderSchrift | None = None  # Alfabetiseringsgraad/AnderSchrift
    nt2_hoogst_behaald: Code | None = None  # 01.00's HoogstBehaald, 02.00's Globaal
    nt2_recentst_behaald: Code | None = None
    nt2_hoogst_behaald_delen: NT2NiveauDelen | None = None  # 02.00 only
    nt2_recentst_behaald_delen: NT2NiveauDelen | None = None  # 02.00 only
    nt2_instapniveau: NT2Instapniveau | None = None  # 02.00 only

    def as_of(self, day: date) -> Talenkennis:
        def later(delen: NT2NiveauDelen | None) -> bool:
            return delen is not None and delen.datum is not None and delen.datum > day

        kennis = self
        if later(self.nt2_hoogst_behaald_delen):
            kennis = replace(kennis, nt2_hoogst_behaald=None, nt2_hoogst_behaald_delen=None)
        if later(self.nt2_recentst_behaald_delen):
            kennis = replace(kennis, nt2_recentst_behaald=None, nt2_recentst_behaald_delen=None)
        if later(self.nt2_instapniveau):
            kennis = replace(kennis, nt2_instapniveau=None)
        return kennis


@dataclass(frozen=True)
class WooncodeOpschorting:
    """A suspension (opschorting) under the Wooncode: its Van and Tot, and why."""

    periode: Periode
    reden_opschorting: str | None = None  # free text

    @property
    def datum(self) -> date:
        return self.periode.begin


@dataclass(frozen=True)
class WooncodeVrijstelling:
    """An exemption (vrijstelling) under the Wooncode, from its date."""

    datum_vrijstelling: date
    reden_vrijstelling: Code | None = None

    @property
    def datum(self) -> date:
        return self.datum_vrijstelling


@dataclass(frozen=True)
class Wooncode:
    """The Flemish housing code's conditions (social housing). 01.00 has the two "moet
    voldoen" flags; 02.00 has the language-knowledge requirement, the suspensions and the
    exemption instead."""

    moet_voldoen_aan_inburgeringsbereidheid: bool | None = None
    voldoet_aan_inburgeringsbereidheid: bool | None = None
    moet_voldoen_aan_taalbereidheid: bool | None = None
    voldoet_aan_taalbereidheid: bool | None = None
    voldoet_aan_taalkennisvereiste: bool | None = None
    opvolging_door: str | None = None
    opschortingen: tuple[WooncodeOpschorting, ...] = ()
    vrijstelling: WooncodeVrijstelling | None = None

    def as_of(self, day: date) -> Wooncode:
        vrijstelling = self.vrijstelling
        return replace(
            self,
            opschortingen=tuple(_known(self.opschortingen, day)),
            vrijstelling=vrijstelling if vrijstelling and vrijstelling.datum <= day else None,
        )


@dataclass(frozen=True)
class Wervingsbrief:
    """02.00's Werving: the agency's letter inviting a newcomer (BRW001 .. BRW013; BRW_SOC_HUUR
    to a social tenant), known from the day it was sent."""

    datum_verzonden: date
    type: str | None = None


@dataclass(frozen=True)
class Identiteitsbewijs:
    """02.00's Identiteitsbewijs: an identity document (category and type in the agency's
    words, the country that issued it), known from the first day of its validity."""

    geldigheid: Periode  # Van and Tot
    categorie: str | None = None
    type: str | None = None
    land: str | None = None
    inburgeraar: str | None = None  # free text; what the platform writes there is unpublished

    @property
    def datum(self) -> date:
        return self.geldigheid.begin


@dataclass(frozen=True)
class Betaling:
    """02.00's Betaling: whether the client is exempt from the course fees, and the document
    and ground for it (free text). Not dated: as it stands."""

    vrijstelling: bool | None = None
    vrijstellingsdocument: str | None = None
    vrijstellingsreden: str | None = None


@dataclass(frozen=True)
class Adviezen:
    """The advice on the next steps: which type of Dutch course (HvN: the Huis van het
    Nederlands gives it; the real samples label it "Advies lestype") and towards work
    (Arbeidsmarkt: AR, LA, ...). Not dated: as it stands."""

    hvn: Code | None = None
    arbeidsmarkt: str | None = None


@dataclass(frozen=True)
class Perspectieven:
    """The client's perspective as two services see it: the Huis van het Nederlands (HvN)
    and the reception office (OB, onthaalbureau). Not dated: as it stands."""

    hvn: Code | None = None
    ob: Code | None = None


@dataclass(frozen=True)
class LesmomentVoorkeur:
    """A moment of the week the client can follow a course at (01.00's code: MAA_OCHTEND ..
    ZON_AVOND) and, 02.00 only, its Beschikbaar (0, 1 or 2: what each means is not
    published). A bare code in a persona file is a moment without Beschikbaar."""

    moment: str
    beschikbaar: str | None = None


@dataclass(frozen=True)
class VoorkeurenKlant:
    """The client's course preferences: when to start and why then, how many times a week,
    at which centres, near which post codes, and at which moments of the week, valid from a
    day (and until one), with why they are so few. 02.00 adds to the moments what they hold
    for (its geldtVoor: text, or nil), why there are none at all and a computed practical
    moment (codes), and to the preferences a label, a closed offer and information for the
    school (text). Not dated: as they stand."""

    datum_gewenste_start: date | None = None
    reden_datum_gewenste_start: Code | None = None
    intensiteit: int | None = None
    centra: tuple[PartnerOrganisatie, ...] = ()
    postkantoncodes: tuple[str, ...] = ()
    lesmomenten: tuple[LesmomentVoorkeur, ...] = ()
    lesmomenten_vanaf: date | None = None
    lesmomenten_tot: date | None = None
    reden_beperking: Code | None = None  # why the moments are restricted (RedenBeperking)
    geldt_voor: tuple[str | None, ...] = ()  # 02.00 only; None is sent as xsi:nil
    reden_volledige_onbeschikbaarheid: Code | None = None  # 02.00 only
    berekend_praktisch_voorkeurmoment: Code | None = None  # 02.00 only
    label: str | None = None  # 02.00 only
    gesloten_aanbod: str | None = None  # 02.00 only
    informatie_voor_school: str | None = None  # 02.00 only


@dataclass(frozen=True)
class Gesprek:
    """A conversation with the client, on its day, registered by an office."""

    datum: date
    geregistreerd_bij: KbiVestiging | None = None
    toeleiding_id: str | None = None  # a UUID: the referral it was about


@dataclass(frozen=True)
class KbiDossier:
    insz: str
    personalia: Personalia
    klantprofiel: KlantProfiel | None = None  # 02.00 only
    doelgroepen: tuple[Doelgroep, ...] = ()
    attesten: tuple[Attest, ...] = ()
    contracten: tuple[Contract, ...] = ()
    uitstellen_van_ondertekening: tuple[Uitstel, ...] = ()
    aanmelding: Aanmelding | None = None
    uitstellen_van_aanmelding: tuple[Uitstel, ...] = ()
    trajecten: tuple[Traject, ...] = ()
    vormingsactiviteiten: VormingsActiviteiten | None = None
    afgelegde_testen: tuple[AfgelegdeTest, ...] = ()
    adviezen: Adviezen | None = None
    perspectieven: Perspectieven | None = None
    toeleidingen_diplomagelijkschakeling: tuple[ToeleidingDiplomaGelijkschakeling, ...] = ()
    toeleidingen_partner: tuple[ToeleidingPartner, ...] = ()
    inbreuken: tuple[Inbreuk, ...] = ()
    talenkennis: Talenkennis | None = None
    wachtlijst: tuple[WachtlijstAanmelding, ...] = ()
    voorkeuren_klant: VoorkeurenKlant | None = None
    gesprekken: tuple[Gesprek, ...] = ()
    wooncode: Wooncode | None = None
    wervingsbrief: Wervingsbrief | None = None  # 02.00 only
    doorverwijzing: Code | None = None  # 02.00 only: where the client was referred on to
    identiteitsbewijzen: tuple[Identiteitsbewijs, ...] = ()  # 02.00 only
    betalingen: tuple[Betaling, ...] = ()  # 02.00 only

    def as_of(self, day: date) -> KbiDossier:
        """The dossier as known on ``day``: facts dated after it are left out."""
        aanmelding = self.aanmelding if self.aanmelding and self.aanmelding.datum <= day else None
        activiteiten, brief = self.vormingsactiviteiten, self.wervingsbrief
        return replace(
            self,
            klantprofiel=self.klantprofiel.as_of(day) if self.klantprofiel else None,
            talenkennis=self.talenkennis.as_of(day) if self.talenkennis else None,
            doelgroepen=tuple(_known(self.doelgroepen, day)),
            attesten=tuple(a.as_of(day) for a in _known(self.attesten, day)),
            contracten=tuple(c.as_of(day) for c in _known(self.contracten, day)),
            uitstellen_van_ondertekening=tuple(_known(self.uitstellen_van_ondertekening, day)),
            aanmelding=aanmelding,
            uitstellen_van_aanmelding=tuple(_known(self.uitstellen_van_aanmelding, day)),
            trajecten=tuple(t.as_of(day) for t in _known(self.trajecten, day)),
            vormingsactiviteiten=activiteiten.as_of(day) if activiteiten else None,
            afgelegde_testen=tuple(t.as_of(day) for t in _known(self.afgelegde_testen, day)),
            toeleidingen_diplomagelijkschakeling=tuple(
                t.as_of(day) for t in _known(self.toeleidingen_diplomagelijkschakeling, day)
            ),
            toeleidingen_partner=tuple(_known(self.toeleidingen_partner, day)),
            inbreuken=tuple(i.as_of(day) for i in _known(self.inbreuken, day)),
            wachtlijst=tuple(_known(self.wachtlijst, day)),
            gesprekken=tuple(_known(self.gesprekken, day)),
            wooncode=self.wooncode.as_of(day) if self.wooncode else None,
            wervingsbrief=brief if brief and brief.datum_verzonden <= day else None,
            identiteitsbewijzen=tuple(_known(self.identiteitsbewijzen, day)),
        )

    @property
    def huidige_doelgroep(self) -> Doelgroep | None:
        """The most recent Doelgroep: the one the wire shows (the KBI XSD allows one)."""
        return max(self.doelgroepen, key=lambda d: d.periode.begin, default=None)

    def feitdata(self) -> list[date]:
        """Every date on which something in this dossier starts, ends or is signed."""
        data: set[date] = set()
        for feit in (
            *self.doelgroepen,
            *self.uitstellen_van_aanmelding,
            *self.uitstellen_van_ondertekening,
        ):
            data.add(feit.periode.begin)
            if feit.periode.einde:
                data.add(feit.periode.einde)
        data.update(f.datum for f in (*self.attesten, *self.contracten, *self.inbreuken))
        data.update(i.rechtzetting.datum_ondertekening for i in self.inbreuken if i.rechtzetting)
        if self.aanmelding:
            data.add(self.aanmelding.datum)
        return sorted(data)


class _VanTot:
    """For facts written with ``begin`` and ``einde`` fields rather than a Periode."""

    begin: date
    einde: date | None

    @property
    def periode(self) -> Periode:
        return Periode(self.begin, self.einde)


@dataclass(frozen=True)
class Woonplaats(_VanTot):
    """The main residence (hoofdverblijfplaats) from ``begin``: a municipality by NIS code."""

    nis: str
    naam: str
    begin: date
    einde: date | None = None


@dataclass(frozen=True)
class Lidmaatschap(_VanTot):
    """Membership of a zorgkas, by the zorgkas's identifier."""

    zorgkas: str
    begin: date
    einde: date | None = None


@dataclass(frozen=True)
class Adres:
    straat: str
    huisnummer: str
    postcode: str
    gemeente: str
    bus: str | None = None


@dataclass(frozen=True)
class Contactgegevens:
    adres: Adres | None = None
    telefoon: str | None = None
    email: str | None = None


class MoStatus(StrEnum):
    """Status of the course maatschappelijke oriëntatie (MO)."""

    NIET_GESTART = "NIET_GESTART"
    BEZIG = "BEZIG"
    GESLAAGD = "GESLAAGD"
    NIET_GESLAAGD = "NIET_GESLAAGD"
    VRIJGESTELD = "VRIJGESTELD"


class Interesse(StrEnum):
    """The closed list of interests and needs of the participation trajectory (4th pillar)."""

    BUDDY = "buddy"
    NEDERLANDS_OEFENEN = "Nederlands oefenen"
    IETS_LEREN = "iets leren/cursus"
    INFORMEEL_PARTICIPEREN = "informeel participeren"
    CULTUUR = "cultuur/kunst/creativiteit"
    SPORT = "sport en beweging"
    STAGE = "stage/voorbereiden op werk"
    VRIJWILLIGERSWERK = "vrijwilligerswerk"
    KINDEROPVANG = "nood aan kinderopvang"
    GEZINSACTIVITEIT = "nood aan gezinsactiviteit"
    GRATIS_ACTIVITEIT = "nood aan gratis activiteit"
    GEEN = "geen"


@dataclass(frozen=True)
class Participatie:
    """What the participation-trajectory list (4th pillar) tells a municipality."""

    contacttaal: str | None = None
    nt2_niveau: str | None = None
    mo_status: MoStatus | None = None
    interesses: tuple[Interesse, ...] = ()


@dataclass(frozen=True)
class Persoonsgegevens:
    """What the data-sharing flows need beyond the KBI dossier (dated where it changes)."""

    woonplaatsen: tuple[Woonplaats, ...] = ()
    lidmaatschappen: tuple[Lidmaatschap, ...] = ()
    contact: Contactgegevens | None = None
    participatie: Participatie | None = None
    nationaliteit: str | None = None

    def woonplaats_op(self, day: date) -> Woonplaats | None:
        """The main residence on ``day`` (the latest that began and has not ended)."""
        geldig = [w for w in self.woonplaatsen if w.periode.dekt(day)]
        return max(geldig, key=lambda w: w.begin, default=None)

    def lid_op(self, zorgkas: str, day: date) -> bool:
        """Member of ``zorgkas`` on ``day``: one zorgkas at a time, as one residence (the
        latest membership that began and has not ended). A move to another zorgkas written
        without the old one's einde made the person a member of both."""
        geldig = [lid for lid in self.lidmaatschappen if lid.periode.dekt(day)]
        laatste = max(geldig, key=lambda lid: lid.begin, default=None)
        return laatste is not None and laatste.zorgkas == zorgkas


@dataclass(frozen=True)
class Persona:
    """A test person: the dossier (None: not in the KBI) plus what the emulator does for it."""

    insz: str
    scenario: str
    dossier: KbiDossier | None
    fout: str | None = None  # None, "99996" or "SOAP_FAULT": what every call for it triggers
    naam: str = ""
    verwacht: tuple[VerwachtAdvies, ...] = field(default=())
    gegevens: Persoonsgegevens = field(default_factory=Persoonsgegevens)


@dataclass(frozen=True)
class VerwachtAdvies:
    """A hand-written expected answer, kept with the persona: documentation and test oracle."""

    datum: date
    resultaat: str
    reden: str | None = None
    toepassing: str = "ZORGBUDGET"


def _known(feiten: Iterable, day: date) -> Iterable:
    return (f for f in feiten if f.datum <= day)
