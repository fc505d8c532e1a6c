"""GeefDossierKBI 01.00 and 02.00 on the wire: the question and the KBIDossier reply content.

Both versions ask the same question, ``Vraag/Inhoud/{MutatiesContext, INSZ}`` (no
``Criteria`` wrapper), and answer from the same domain dossier; 02.00 renders a few parts
differently (new Personalia fields, a client profile, another Wooncode, renamed codes, and
its own last parts: the recruitment letter, the onward referral, the identity documents,
the fee exemptions).
Each version is published in two namespaces: the WebService variant (own endpoint, one
Vraag) and the Service variant (generic endpoint; its request allows several Vraag).
"""

from __future__ import annotations

from datetime import date, datetime

from lxml import etree

from magda_kbi.domain.dossier import (
    Addendum,
    AfgelegdeTest,
    Code,
    Contactgegevens,
    ContactPersoon,
    Contract,
    Inbreuk,
    KbiDossier,
    KbiVestiging,
    KlantProfiel,
    MOCursus,
    NT2Cursus,
    NT2NiveauDelen,
    Opschorting,
    PartnerOrganisatie,
    Periode,
    Status,
    ToeleidingDiplomaGelijkschakeling,
    ToeleidingPartner,
    Traject,
    TrajectOnderdeel,
    TrajectOnderdeelStatus,
    Uitstel,
    VoorkeurenKlant,
    VormingsActiviteiten,
)
from magda_kbi.domain.protocols import MunicipalityView
from magda_kbi.wire.bericht import ServiceContract, build_repliek, read_context
from magda_kbi.wire.xml import sub, xsd_error

NAAM = "GeefDossierKBI"
INSZ_PATH = "Vragen/Vraag/Inhoud/INSZ"
V01 = ServiceContract(
    NAAM,
    "01.00.0000",
    "http://webservice.GeefDossierKBI-01.00.kbi-01.00.vip.vlaanderen.be",
    "GeefDossierKBI-01.00.xsd",
    INSZ_PATH,
    path="/GeefDossierKBIDienst-01.00/soap/WebService",
    wsdl="GeefDossierKBI-01.00.wsdl",
)
V01_SERVICE = ServiceContract(
    NAAM,
    "01.00.0000",
    "http://service.geefdossierkbidienst.inburgering.vip.vlaanderen.be",
    "GeefDossierKBI-01.00-Service.xsd",
    INSZ_PATH,
)
V02 = ServiceContract(
    NAAM,
    "02.00.0000",
    "http://webservice.GeefDossierKBI-02.00.kbi-02.00.vip.vlaanderen.be",
    "GeefDossierKBI-02.00.xsd",
    INSZ_PATH,
    path="/GeefDossierKBIDienst-02.00/soap/WebService",
    wsdl="GeefDossierKBI-02.00.wsdl",
)
V02_SERVICE = ServiceContract(
    NAAM,
    "02.00.0000",
    "http://service.geefdossierkbidienst-02_00.inburgering-02_00.vip.vlaanderen.be",
    "GeefDossierKBI-02.00-Service.xsd",
    INSZ_PATH,
)
CONTRACTS = (V01, V01_SERVICE, V02, V02_SERVICE)

GESLACHT = {1: "Mannelijk", 2: "Vrouwelijk"}
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
# Codes 02.00 spells otherwise (01.00's spelling: 02.00's; ICO13G has a letter O, IC013G a
# digit zero). A persona file may write either: each version's reply has its own.
SPELLING_02 = {"AI023": "AI023G", "ICO13G": "IC013G"}
SPELLING_01 = {v2: v1 for v1, v2 in SPELLING_02.items()}
# Codes only 02.00's lists have, by the XSD type of the element (the lists of our XSDs of the
# two versions differ by these alone: tests/test_contract_bounds.py). The element is optional
# in 01.00, whose reply leaves it out: what the platform's 01.00 sends for, say, a contract of
# type IC07G22 is not published; a reply without the element is valid and claims nothing.
ONLY_02 = {
    "AddendumTypeEnumType": frozenset({"AICF15GUB"}),
    "ContractTypeEnumType": frozenset(
        {"IC07GUB", "IC09GUB", "IC11GUB", "IC07G22", "IC09G22", "IC11G22"}
    ),
    "DocumentTypeEnumType": frozenset({"AI023GUB", "MMATTEST", "BRD01UB", "AI023G22", "INS0722"}),
    "TrajectOnderdeelTypeEnumType": frozenset({"TO_OB_PT"}),
    "TrajectOnderdeelStatusCodeEnumType": frozenset(
        {"TO_STA_07", "TO_STA_32", "TO_STA_33", "TO_STA_98"}
    ),
    "TrajectOnderdeelBesluitCodeEnumType": frozenset({"GESLAAGD", "NIET_GESLAAGD"}),
}


def _spelled(code: str | None, enum_type: str, v2: bool) -> str | None:
    """``code`` as version 02.00 (``v2``) or 01.00 writes it in an element of XSD type
    ``enum_type``; None (the element left out) for a code 01.00 has not."""
    if code is None:
        return None
    if v2:
        return SPELLING_02.get(code, code)
    code = SPELLING_01.get(code, code)
    return None if code in ONLY_02[enum_type] else code


def build_kbi_dossier(
    dossier: KbiDossier, versie: str = "01.00", contact: Contactgegevens | None = None
) -> etree._Element:
    """The KBIDossier element of ``versie`` (``01.00`` or ``02.00``), children in the
    schema's order; empty parts are left out. ``contact`` fills 02.00's phone numbers and
    e-mail addresses."""
    v2 = versie == "02.00"
    root = etree.Element("KBIDossier")
    _personalia(root, dossier, v2, contact=contact if v2 else None)
    if v2 and dossier.klantprofiel is not None:
        _klantprofiel(root, dossier.klantprofiel)
    doelgroep = dossier.huidige_doelgroep
    if doelgroep is not None:
        element = sub(root, "Doelgroep")
        sub(element, "Code", doelgroep.code.value)
        sub(element, "Type", doelgroep.type.value)
        if doelgroep.subtype is not None:
            sub(element, "SubType", doelgroep.subtype.value)
        _periode(element, "Periode", doelgroep.periode)
        _code(element, "RedenGeenDoelgroep", doelgroep.reden_geen_doelgroep)
        _code(element, "RedenVrijstellingVanDeVerplichting", doelgroep.reden_vrijstelling)
    if dossier.attesten:
        container = sub(root, "BehaaldeAttesten")
        for attest in dossier.attesten:
            element = sub(container, "Document")
            sub(element, "Soort", "ATTEST")
            sub(element, "Type", _spelled(attest.type, "DocumentTypeEnumType", v2))
            sub(element, "Id", attest.id)
            sub(element, "DatumAanmaak", _datum(attest.datum_aanmaak))
            sub(element, "DatumOndertekening", _datum(attest.datum_ondertekening))
            _vestiging(element, "AangemaaktDoor", attest.aangemaakt_door)
    if dossier.contracten:
        container = sub(root, "Contracten")
        for contract in dossier.contracten:
            type_ = _spelled(contract.type, "ContractTypeEnumType", v2)
            element = _contractdeel(container, "Contract", contract, type_)
            if contract.addenda:
                addenda = sub(element, "Addenda")
                for addendum in contract.addenda:
                    type_ = _spelled(addendum.type, "AddendumTypeEnumType", v2)
                    _contractdeel(addenda, "Addendum", addendum, type_)
            _uitstellen(element, "Opschortingen", "Opschorting", contract.opschortingen)
    _uitstellen(
        root,
        "UitstellenVanOndertekening",
        "UitstelVanOndertekening",
        dossier.uitstellen_van_ondertekening,
    )
    if dossier.aanmelding is not None:
        element = sub(root, "Aanmelding")
        sub(element, "Type", dossier.aanmelding.type)
        sub(element, "DatumAanmelding", _datum(dossier.aanmelding.datum_aanmelding))
        _vestiging(element, "AanmeldingsPlaats", dossier.aanmelding.aanmeldingsplaats)
        _code(element, "Reden", dossier.aanmelding.reden)
    _uitstellen(
        root, "UitstellenVanAanmelding", "UitstelVanAanmelding", dossier.uitstellen_van_aanmelding
    )
    if dossier.trajecten:
        container = sub(root, "Trajecten")
        for traject in dossier.trajecten:
            element = _trajectdeel(container, "Traject", traject, v2)
            if traject.onderdelen:
                onderdelen = sub(element, "TrajectOnderdelen")
                for onderdeel in traject.onderdelen:
                    _trajectdeel(onderdelen, "TrajectOnderdeel", onderdeel, v2)
            if v2:
                start = traject.start_datum_vormingstraject
                sub(element, "StartDatumVormingstraject", _datum(start))
    if dossier.vormingsactiviteiten is not None:
        _vormingsactiviteiten(root, dossier.vormingsactiviteiten, v2)
    if dossier.afgelegde_testen:
        container = sub(root, "AfgelegdeTesten")
        for test in dossier.afgelegde_testen:
            _afgelegde_test(container, test, v2)
    if dossier.adviezen is not None:
        element = sub(root, "Adviezen")
        _code(element, "HvN", dossier.adviezen.hvn)
        sub(element, "Arbeidsmarkt", dossier.adviezen.arbeidsmarkt)
    if dossier.perspectieven is not None:
        element = sub(root, "Perspectieven")
        _code(element, "HvN", dossier.perspectieven.hvn)
        _code(element, "OB", dossier.perspectieven.ob)
    if dossier.toeleidingen_diplomagelijkschakeling:
        container = sub(root, "ToeleidingenDiplomaGelijkschakeling")
        for diploma in dossier.toeleidingen_diplomagelijkschakeling:
            _diplomagelijkschakeling(container, diploma, v2)
    if dossier.toeleidingen_partner:
        container = sub(root, "ToeleidingenPartner")
        for toeleiding in dossier.toeleidingen_partner:
            _toeleiding(container, toeleiding, v2)
    if dossier.inbreuken:
        container = sub(root, "Inbreuken")
        for inbreuk in dossier.inbreuken:
            _inbreuk(container, inbreuk)
    if dossier.talenkennis is not None:
        kennis = dossier.talenkennis
        element = sub(root, "Talenkennis")
        if kennis.talen:
            talen = sub(element, "Talen")
            for taal in kennis.talen:
                t = sub(talen, "Taal")
                sub(t, "Code", taal.code)
                sub(t, "ContactTaal", _bool(taal.contacttaal))
                _code(t, "KennisNiveau", taal.kennisniveau)
        graad = sub(element, "Alfabetiseringsgraad")
        _code(graad, "LatijnsSchrift", kennis.latijns_schrift)
        if kennis.ander_schrift is not None:
            ander = sub(graad, "AnderSchrift")
            _code(ander, "Code", kennis.ander_schrift.code)
            sub(ander, "Taal", kennis.ander_schrift.taal)
        niveau = sub(element, "BehaaldNT2Niveau")
        for naam, code, parts in (
            ("HoogstBehaald", kennis.nt2_hoogst_behaald, kennis.nt2_hoogst_behaald_delen),
            ("RecentstBehaald", kennis.nt2_recentst_behaald, kennis.nt2_recentst_behaald_delen),
        ):
            if not v2:
                _code(niveau, naam, code)
            elif code is not None or parts is not None:  # 02.00: overall and per skill
                _nt2_niveau(sub(niveau, naam), code, parts)
        if v2 and kennis.nt2_instapniveau is not None:
            instap = kennis.nt2_instapniveau
            _nt2_niveau(sub(niveau, "Instapniveau"), instap.globaal, instap)
    if dossier.wachtlijst:
        container = sub(root, "Wachtlijst")
        for aanmelding in dossier.wachtlijst:
            element = sub(container, "Aanmelding")
            _code(element, "Code", aanmelding.code)
            _code(element, "Module", aanmelding.module)
            sub(element, "Datum", _datum(aanmelding.datum))
    if dossier.voorkeuren_klant is not None:
        _voorkeuren(root, dossier.voorkeuren_klant, v2)
    if dossier.gesprekken:
        container = sub(root, "Gesprekken")
        for gesprek in dossier.gesprekken:
            element = sub(container, "Gesprek")
            sub(element, "Datum", _datum(gesprek.datum))
            _vestiging(element, "GeregistreerdBij", gesprek.geregistreerd_bij)
            sub(element, "ToeleidingID", gesprek.toeleiding_id)
    if dossier.wooncode is not None:
        w = dossier.wooncode
        element = sub(root, "Wooncode")
        if not v2:  # 02.00 dropped the two "moet voldoen" flags
            sub(
                element,
                "MoetVoldoenAanInburgeringsBereidheid",
                _bool(w.moet_voldoen_aan_inburgeringsbereidheid),
            )
        sub(element, "VoldoetAanInburgeringBereidheid", _bool(w.voldoet_aan_inburgeringsbereidheid))
        if not v2:
            sub(element, "MoetVoldoenAanTaalBereidheid", _bool(w.moet_voldoen_aan_taalbereidheid))
        sub(element, "VoldoetAanTaalBereidheid", _bool(w.voldoet_aan_taalbereidheid))
        if v2:
            sub(element, "VoldoetAanTaalkennisvereiste", _bool(w.voldoet_aan_taalkennisvereiste))
        sub(element, "OpvolgingDoor", w.opvolging_door)
        if v2 and w.opschortingen:
            container = sub(element, "Opschortingen")
            for opschorting in w.opschortingen:
                o = sub(container, "opschorting")  # lower case in the contract
                sub(o, "RedenOpschorting", opschorting.reden_opschorting)
                sub(o, "Van", _datum(opschorting.periode.begin))
                sub(o, "Tot", _datum(opschorting.periode.einde))
        if v2 and w.vrijstelling is not None:
            vrijstelling = sub(element, "Vrijstelling")
            _code(vrijstelling, "RedenVrijstelling", w.vrijstelling.reden_vrijstelling)
            sub(vrijstelling, "DatumVrijstelling", _datum(w.vrijstelling.datum_vrijstelling))
    if v2 and dossier.wervingsbrief is not None:
        brief = sub(sub(root, "Werving"), "Wervingsbrief")
        sub(brief, "Type", dossier.wervingsbrief.type)
        sub(brief, "DatumVerzonden", _datum(dossier.wervingsbrief.datum_verzonden))
    if v2:
        _code(root, "Doorverwijzing", dossier.doorverwijzing)
    if v2 and dossier.identiteitsbewijzen:
        container = sub(root, "Identiteitsbewijzen")
        for bewijs in dossier.identiteitsbewijzen:
            element = sub(container, "Identiteitsbewijs")
            sub(element, "Categorie", bewijs.categorie)
            sub(element, "Type", bewijs.type)
            sub(sub(element, "Plaats"), "Land", bewijs.land)
            sub(element, "Inburgeraar", bewijs.inburgeraar)
            geldigheid = sub(element, "Geldigheid")
            sub(geldigheid, "Van", _datum(bewijs.geldigheid.begin))
            sub(geldigheid, "Tot", _datum(bewijs.geldigheid.einde))
    if v2 and dossier.betalingen:
        container = sub(root, "Betalingen")
        for betaling in dossier.betalingen:
            element = sub(container, "Betaling")
            sub(element, "Vrijstelling", _bool(betaling.vrijstelling))
            sub(element, "Vrijstellingsdocument", betaling.vrijstellingsdocument)
            sub(element, "Vrijstellingsreden", betaling.vrijstellingsreden)
    _without_empty(root)
    return root


def build_kbi_dossier_gemeente(view: MunicipalityView) -> etree._Element:
    """What a municipality may see under its protocol: name, first name and INSZ, whether a
    contract was signed and whether an attest was obtained, and nothing else.

    "Signed" is an empty ``Contract`` and "obtained" a ``Document`` with only its ``Soort``:
    no dates, no types; the reply still fits the real XSD (every child is optional there).
    The same in 01.00 and 02.00: 02.00's contact fields are never part of it.
    """
    root = etree.Element("KBIDossier")
    _naam(sub(root, "Personalia"), view.insz, view.achternamen, view.voornamen)
    if view.attest_behaald:
        sub(sub(sub(root, "BehaaldeAttesten"), "Document"), "Soort", "ATTEST")
    if view.contract_ondertekend:
        sub(sub(root, "Contracten"), "Contract")
    return root


def control_reply(
    contract: ServiceContract, dossier: KbiDossier, contact: Contactgegevens | None = None
) -> etree._Element:
    """A whole GeefDossierKBIResponse of ``contract`` holding the dossier, to validate."""
    antwoord = etree.Element(f"{{{contract.namespace}}}{NAAM}Response")
    kbi_dossier = build_kbi_dossier(dossier, contract.major_version, contact)
    antwoord.append(
        build_repliek(
            NAAM,
            contract.versie,
            read_context(None),
            datetime(2000, 1, 1),
            antwoord=("controle", kbi_dossier),
        )
    )
    return antwoord


def contract_error(
    dossier: KbiDossier, contact: Contactgegevens | None = None
) -> tuple[str, str] | None:
    """(path, reason) of the first way the rendered dossier breaks our XSD of 01.00 or
    02.00, or None.

    Persona files are checked with this at load time, so a code the real platform
    never sends (a misspelt contract type, say) stops start-up instead of reaching a
    consumer.
    """
    # 02.00 first: the current version, whose lists hold every code a persona may write (a
    # misspelt code is told 02.00's list, not 01.00's shorter one)
    for contract in (V02, V01):
        problem = xsd_error(contract.xsd, control_reply(contract, dossier, contact))
        if problem is not None:
            path = "/".join(part.split("[", 1)[0] for part in (problem.path or "").split("/"))
            path = path.split("/Inhoud/", 1)[-1]
            reason = problem.message
            if contract is V02:
                # 01.00 takes it (a test without 02.00's Status, say), unless only 02.00 has
                # the element (an NT2 course's Tarief, say)
                v01 = control_reply(V01, dossier, contact)
                if v01.find(f".//Inhoud/{path}") is not None and xsd_error(V01.xsd, v01) is None:
                    reason += " (01.00 takes it, 02.00 does not: a persona must fit both versions)"
            return f"{contract.major_version}: {path}", reason
    return None


def _naam(
    element: etree._Element,
    insz: str,
    achternamen: tuple[str, ...],
    voornamen: tuple[str, ...],
    uniek_nummer: str | None = None,
) -> None:
    """INSZ and Naam: the start of every Personalia, the municipality's view included (02.00
    has the UniekNummer between them)."""
    sub(element, "INSZ", insz)
    if uniek_nummer is not None:  # the municipality's view has no _without_empty pass
        sub(element, "UniekNummer", uniek_nummer)
    _person_name(element, achternamen, voornamen)


def _person_name(
    parent: etree._Element, achternamen: tuple[str, ...], voornamen: tuple[str, ...]
) -> None:
    naam = sub(parent, "Naam")
    container = sub(naam, "Achternamen")
    for achternaam in achternamen:
        sub(container, "Achternaam", achternaam)
    if voornamen:
        container = sub(naam, "Voornamen")
        for voornaam in voornamen:
            sub(container, "Voornaam", voornaam)


def _personalia(
    root: etree._Element, dossier: KbiDossier, v2: bool, contact: Contactgegevens | None = None
) -> None:
    p = dossier.personalia
    element = sub(root, "Personalia")
    _naam(element, dossier.insz, p.achternamen, p.voornamen, p.uniek_nummer if v2 else None)
    sub(element, "Geboortedatum", _datum(p.geboortedatum))
    if p.geslacht is not None:
        sub(
            sub(element, "Geslacht"), "Code", str(p.geslacht), Beschrijving=GESLACHT.get(p.geslacht)
        )
    _vestiging(element, "AangemaaktDoor", p.aangemaakt_door)
    if contact is not None:  # 02.00 only; the one number and address we know are preferred
        if contact.telefoon:
            sub(
                sub(element, "TelefoonNummers"), "TelefoonNummer", contact.telefoon, voorkeur="true"
            )
        if contact.email:
            sub(sub(element, "Emails"), "Email", contact.email, voorkeur="true")


def _klantprofiel(root: etree._Element, profiel: KlantProfiel) -> None:
    element = sub(root, "KlantProfiel")
    sub(element, "Werksituatie", profiel.werksituatie)
    sub(element, "Werkritme", profiel.werkritme)
    if profiel.perspectieven:
        container = sub(element, "Perspectieven")
        for perspectief in profiel.perspectieven:
            _code(container, "Perspectief", perspectief)
    sub(element, "TotaalAantalJarenScholing", _number_text(profiel.totaal_aantal_jaren_scholing))
    sub(element, "HoogstBehaaldDiploma", profiel.hoogst_behaald_diploma)
    sub(element, "LandDiploma", profiel.land_diploma)
    if profiel.ict_vaardigheden:
        container = sub(element, "ICTVaardigheden")
        for vaardigheid in profiel.ict_vaardigheden:
            v = sub(container, "ICTVaardigheid")
            sub(v, "Naam", vaardigheid.naam)
            sub(v, "Niveau", vaardigheid.niveau)
            sub(v, "DatumLaatstGewijzigdOp", _datum(vaardigheid.datum_laatst_gewijzigd_op))
    if profiel.ict_middelen:
        container = sub(element, "ICTMiddelen")
        for middel in profiel.ict_middelen:
            m = sub(container, "ICTMiddel")
            sub(m, "Naam", middel.naam, Beschikbaar=_bool(middel.beschikbaar))
            sub(m, "OplossingsDatum", _datum(middel.oplossingsdatum))
            _code(m, "SoortOplossing", middel.soort_oplossing)
            sub(m, "DatumLaatstGewijzigdOp", _datum(middel.datum_laatst_gewijzigd_op))
    sub(element, "Oefenkansen", profiel.oefenkansen)
    sub(element, "Omgevingsfactoren", profiel.omgevingsfactoren)
    sub(element, "Motivaties", profiel.motivaties)
    sub(element, "SpecifiekeKlantenGroep", profiel.specifieke_klantengroep)


def _contractdeel(
    parent: etree._Element, naam: str, part: Contract | Addendum, type_: str | None
) -> etree._Element:
    """A Contract or an Addendum: the same six elements (the contract's Type is written per
    version by the caller)."""
    element = sub(parent, naam)
    sub(element, "DatumRegistratie", _datum(part.datum_registratie))
    sub(element, "Type", type_)
    _vestiging(element, "AangemaaktDoor", part.aangemaakt_door)
    sub(element, "OnderdeelMO", _bool(part.onderdeel_mo))
    sub(element, "OnderdeelNT2", _bool(part.onderdeel_nt2))
    sub(element, "OnderdeelLO", _bool(part.onderdeel_lo))
    return element


def _uitstellen(
    root: etree._Element,
    container: str,
    naam: str,
    uitstellen: tuple[Uitstel, ...] | tuple[Opschorting, ...],
) -> None:
    if not uitstellen:
        return
    element = sub(root, container)
    for uitstel in uitstellen:
        u = sub(element, naam)
        _periode(u, "Periode", uitstel.periode)
        _code(u, "Reden", uitstel.reden)


def _trajectdeel(
    parent: etree._Element, naam: str, part: Traject | TrajectOnderdeel, v2: bool
) -> etree._Element:
    """A Traject or TrajectOnderdeel: Type, Periode, (a Traject's Beheerder), Status and
    Besluit (a part's codes as its version has them)."""
    element = sub(parent, naam)
    onderdeel = isinstance(part, TrajectOnderdeel)
    type_ = _spelled(part.type, "TrajectOnderdeelTypeEnumType", v2) if onderdeel else part.type
    sub(element, "Type", type_)
    _periode(element, "Periode", part.periode)
    beheerder = part.beheerder if isinstance(part, Traject) else None
    if beheerder is not None:
        b = sub(element, "Beheerder")
        _periode(b, "Periode", beheerder.periode)
        _vestiging(b, "KBIVestiging", beheerder.kbi_vestiging)
        if beheerder.contactpersoon is not None:
            _contactgegevens(sub(b, "ContactPersoon"), beheerder.contactpersoon)
        if v2 and beheerder.kbi_loket is not None:
            sub(sub(b, "KBILoket"), "RoepNaam", beheerder.kbi_loket)
    _status(element, part.status, v2)
    if part.besluit is not None:
        besluit = sub(element, "Besluit")
        code = part.besluit.code
        if onderdeel:
            code = _spelled(code, "TrajectOnderdeelBesluitCodeEnumType", v2)
        sub(besluit, "Code", code)
        _code(besluit, "Reden", part.besluit.reden)
        sub(besluit, "DatumToekenning", _datum(part.besluit.datum_toekenning))
    return element


def _vormingsactiviteiten(
    root: etree._Element, activiteiten: VormingsActiviteiten, v2: bool
) -> None:
    """The courses, in the contract's order: MO, NT2, individual MO, PLO."""
    element = sub(root, "VormingsActiviteiten")
    mo = [c for c in activiteiten.mo_cursussen if not c.individueel]
    individueel = [c for c in activiteiten.mo_cursussen if c.individueel]
    _mo_cursussen(element, "MOCursussen", "MOCursus", mo, v2)
    container = sub(element, "NT2Cursussen")
    for nt2 in activiteiten.nt2_cursussen:
        c = sub(container, "NT2Cursus")
        sub(c, "ID", nt2.id)
        _partner(c, "Centrum", nt2.centrum)
        _code(c, "Vestiging", nt2.vestiging)
        _code(c, "Opleiding", nt2.opleiding)
        _code(c, "Module", nt2.module)
        _inschrijving(c, nt2, v2)
        sub(c, "Status", nt2.status)
        sub(c, "Besluit", nt2.besluit)
        if v2:
            _nt2_details(c, nt2)
    _mo_cursussen(element, "IndividueleMOCursussen", "IndividueleMOCursus", individueel, v2)
    container = sub(element, "PLOCursussen")
    for plo in activiteiten.plo_cursussen:
        c = sub(container, "PLOCursus")
        sub(c, "ID", plo.id)
        sub(c, "Naam", plo.naam)
        _periode(c, "Periode", plo.periode)
        if plo.besluit is not None:
            besluit = sub(c, "Besluit")
            sub(besluit, "Voldaan", _bool(plo.besluit.voldaan))
            _code(besluit, "Reden", plo.besluit.reden)
            sub(besluit, "DatumToekenning", _datum(plo.besluit.datum_toekenning))
    if v2 and activiteiten.nt2_testen:
        container = sub(element, "NT2Testen")
        for test in activiteiten.nt2_testen:
            t = sub(container, "NT2Test")
            sub(t, "DatumAfgelegd", _datum(test.datum_afgelegd))
            sub(t, "Categorie", test.categorie)
            sub(t, "Niveau", test.niveau)
            sub(t, "Resultaat", test.resultaat)


def _nt2_niveau(
    element: etree._Element, globaal: Code | None, parts: NT2NiveauDelen | None
) -> None:
    """02.00's NT2 level: its day, the overall level, the spoken and the written one."""
    sub(element, "Datum", _datum(parts.datum if parts else None))
    _code(element, "Globaal", globaal)
    if parts is not None:
        _code(element, "Mondeling", parts.mondeling)
        _code(element, "Schriftelijk", parts.schriftelijk)


def _nt2_details(c: etree._Element, nt2: NT2Cursus) -> None:
    """02.00's further details of a Dutch course, after its Besluit."""
    sub(c, "Geannuleerd", None if nt2.geannuleerd is None else "1" if nt2.geannuleerd else "0")
    sub(c, "CursusCode", nt2.cursus_code)
    sub(c, "AantalLestijdenAfstandsonderwijs", _number_text(nt2.aantal_lestijden_afstandsonderwijs))
    sub(c, "Naam", nt2.naam)
    sub(c, "SpecifiekAanbod", nt2.specifiek_aanbod)
    _code(c, "ModuleVariant", nt2.module_variant)
    sub(c, "PlafondOverschreden", nt2.plafond_overschreden)
    sub(c, "Tarief", nt2.tarief)
    sub(c, "TotaalTeBetalenCursusGeld", _number_text(nt2.totaal_te_betalen_cursusgeld))
    sub(c, "TotaalTeBetalenBoekenGeld", _number_text(nt2.totaal_te_betalen_boekengeld))


def _afgelegde_test(container: etree._Element, test: AfgelegdeTest, v2: bool) -> None:
    """A test in each version's own shape: 01.00's result code; 02.00's status, result with
    scores, conclusion and attest."""
    element = sub(container, "AfgelegdeTest")
    sub(element, "ID", test.id)
    sub(element, "Nummer", test.nummer)
    sub(element, "ToeleidingID", test.toeleiding_id)
    if v2:
        sub(element, "Opdrachtgever", test.opdrachtgever)
    _code(element, "Type", test.type)
    if v2:
        sub(element, "NaamTest", test.naam_test)
    sub(element, "Datum", _datum(test.datum))
    sub(element, "Versie", test.versie)
    sub(element, "Taal", test.taal)
    if not v2:
        _code(element, "Resultaat", test.resultaat)
        return
    sub(element, "Status", test.status)
    if test.resultaat_type is not None or test.score_behaald or test.score_totaal:
        resultaat = sub(element, "Resultaat")
        _code(resultaat, "Type", test.resultaat_type)
        sub(resultaat, "ScoreBehaald", test.score_behaald)
        sub(resultaat, "ScoreTotaal", test.score_totaal)
    conclusie = sub(element, "Conclusie")
    sub(conclusie, "Type", test.conclusie_type)
    sub(conclusie, "Resultaat", test.conclusie_resultaat)
    attest = sub(element, "Attest")
    sub(attest, "Type", test.attest_type)
    sub(attest, "Naam", test.attest_naam)
    sub(attest, "Datum", _datum(test.attest_datum))


def _mo_cursussen(
    parent: etree._Element, container: str, naam: str, cursussen: list[MOCursus], v2: bool
) -> None:
    element = sub(parent, container)
    for mo in cursussen:
        c = sub(element, naam)
        sub(c, "ID", mo.id)
        sub(c, "Nummer", mo.nummer)
        sub(c, "Naam", mo.naam)
        sub(c, "Taal", mo.taal)
        sub(c, "LesPlaats", mo.lesplaats)
        _inschrijving(c, mo, v2)


def _inschrijving(parent: etree._Element, cursus: MOCursus | NT2Cursus, v2: bool) -> None:
    """A course's Periode, DatumInschrijving, DatumUitschrijving and LesMomenten (02.00 adds
    each lesson's day of the week)."""
    if cursus.periode is not None:
        _periode(parent, "Periode", cursus.periode)
    sub(parent, "DatumInschrijving", _datum(cursus.datum_inschrijving))
    sub(parent, "DatumUitschrijving", _datum(cursus.datum_uitschrijving))
    container = sub(parent, "LesMomenten")
    for les in cursus.lesmomenten:
        moment = sub(container, "LesMoment")
        sub(moment, "Datum", _datum(les.datum))
        sub(moment, "AanvangUur", les.aanvang_uur)
        sub(moment, "EindUur", les.eind_uur)
        sub(moment, "Aanwezigheidsduur", les.aanwezigheidsduur)
        sub(moment, "Aanwezigheid", les.aanwezigheid)
        if v2:
            sub(moment, "Lesdag", les.lesdag)


def _diplomagelijkschakeling(
    container: etree._Element, diploma: ToeleidingDiplomaGelijkschakeling, v2: bool
) -> None:
    """A referral to have a diploma recognised; 02.00 adds the certificate's own details."""
    element = sub(container, "ToeleidingDiplomaGelijkschakeling")
    sub(element, "StartDatum", _datum(diploma.start_datum))
    sub(element, "Status", diploma.status)
    sub(element, "DiplomaNaam", diploma.diploma_naam)
    sub(element, "OnderwijsInstelling", diploma.onderwijsinstelling)
    _partner(element, "ErkenningsInstantie", diploma.erkenningsinstantie)
    _code(element, "Reden", diploma.reden)
    _code(element, "Type", diploma.type)
    sub(element, "DatumIngediendBijPartner", _datum(diploma.datum_ingediend_bij_partner))
    sub(element, "DatumAntwoordPartner", _datum(diploma.datum_antwoord_partner))
    _code(element, "AntwoordPartnerCode", diploma.antwoord_partner_code)
    sub(element, "Opdrachtgever", diploma.opdrachtgever)
    sub(element, "DossiernummerBijPartner", diploma.dossiernummer_bij_partner)
    if not v2:
        return
    sub(element, "TypeCertificaat", diploma.type_certificaat)
    sub(element, "ModuleNaam", diploma.module_naam)
    sub(element, "Niveau", diploma.niveau)
    sub(element, "DatumBehaald", _datum(diploma.datum_behaald))
    if diploma.vaardigheden:
        container = sub(element, "Vaardigheden")
        for vaardigheid in diploma.vaardigheden:
            sub(container, "Vaardigheid", vaardigheid)
    if diploma.geregistreerd_in is not None:
        geregistreerd = sub(element, "GeregistreerdIn")
        sub(geregistreerd, "Werking", diploma.geregistreerd_in.werking)
        sub(geregistreerd, "Entiteit", diploma.geregistreerd_in.entiteit)


def _toeleiding(container: etree._Element, toeleiding: ToeleidingPartner, v2: bool) -> None:
    element = sub(container, "ToeleidingPartner")
    sub(element, "ExterneID", toeleiding.externe_id)
    _partner(element, "Van", toeleiding.van)
    _vestiging(element, "Naar", toeleiding.naar)
    sub(element, "DatumOntvangen", _datum(toeleiding.datum_ontvangen))
    sub(element, "Status", toeleiding.status)
    sub(element, "Reden", toeleiding.reden)
    sub(element, "RedenOmschrijving", toeleiding.reden_omschrijving)
    if v2:
        sub(element, "Commentaar", toeleiding.commentaar)


def _inbreuk(container: etree._Element, inbreuk: Inbreuk) -> None:
    """An Inbreuk: its establishment, notice and motive, the statement of facts and the
    remedy form (empty when not remedied, as the platform sends it)."""
    element = sub(container, "Inbreuk")
    sub(element, "Type", inbreuk.type)
    sub(element, "SanctionerendeOverheid", inbreuk.sanctionerende_overheid)
    sub(element, "DatumVaststelling", _datum(inbreuk.datum_vaststelling))
    sub(
        element,
        "DatumIngebrekestellingVerzonden",
        _datum(inbreuk.datum_ingebrekestelling_verzonden),
    )
    sub(element, "Motivering", inbreuk.motivering)
    feiten = sub(element, "FeitenRelaas")
    container_a = sub(feiten, "Activiteiten")
    for activiteit in inbreuk.activiteiten:
        a = sub(container_a, "Activiteit")
        sub(a, "ID", activiteit.id)
        sub(a, "Type", activiteit.type)
        sub(a, "DatumUitgevoerd", _datum(activiteit.datum_uitgevoerd))
        sub(a, "CommentaarFeitenRelaas", activiteit.commentaar)
    container_c = sub(feiten, "Communicaties")
    for communicatie in inbreuk.communicaties:
        c = sub(container_c, "Communicatie")
        sub(c, "DatumAanmaak", _datum(communicatie.datum_aanmaak))
        _code(c, "TypeDocument", communicatie.type_document)
    formulier = sub(element, "RechtzettingsFormulier")  # empty: not remedied
    rechtzetting = inbreuk.rechtzetting
    if rechtzetting is not None:
        sub(formulier, "DocumentID", rechtzetting.document_id)
        if rechtzetting.datum_aanmaak:
            sub(formulier, "DatumAanmaak", _datum(rechtzetting.datum_aanmaak))
        sub(formulier, "DatumOndertekening", _datum(rechtzetting.datum_ondertekening))
        _vestiging(formulier, "AangemaaktDoor", rechtzetting.aangemaakt_door)


def _voorkeuren(root: etree._Element, voorkeuren: VoorkeurenKlant, v2: bool) -> None:
    """The course preferences. A moment of the week is one code in 01.00 (MAA_OCHTEND) and a
    Weekdag with a Dagmoment (and its Beschikbaar) in 02.00 (MAA, OCHTEND); 01.00 has no
    place for what 02.00 adds, nor for a period or a reason without moments."""
    element = sub(root, "VoorkeurenKlant")
    sub(element, "DatumGewensteStart", _datum(voorkeuren.datum_gewenste_start))
    _code(element, "RedenDatumGewensteStart", voorkeuren.reden_datum_gewenste_start)
    intensiteit = voorkeuren.intensiteit
    sub(element, "Intensiteit", None if intensiteit is None else str(intensiteit))
    if voorkeuren.centra:
        centra = sub(element, "Centra")
        for centrum in voorkeuren.centra:
            _partner(centra, "Centrum", centrum)
    if voorkeuren.postkantoncodes:
        container = sub(element, "PostkantonCodes")
        for postcode in voorkeuren.postkantoncodes:
            sub(container, "PostkantonCode", postcode)
    if v2:  # every part optional: what is unset is pruned after (_without_empty)
        voorkeur = sub(sub(element, "LesVoorkeuren"), "LesVoorkeur")
        _periode_geldigheid(voorkeur, voorkeuren)
        if voorkeuren.geldt_voor:
            geldt_voor = sub(voorkeur, "GeldtVoor")
            for value in voorkeuren.geldt_voor:
                _text_or_nil(geldt_voor, "geldtVoor", value)
        _code(
            voorkeur,
            "RedenVolledigeOnbeschikbaarheid",
            voorkeuren.reden_volledige_onbeschikbaarheid,
        )
        for moment in voorkeuren.lesmomenten:
            weekdag, _, dagmoment = moment.moment.partition("_")
            m = sub(voorkeur, "LesmomentVoorkeur")
            sub(m, "Weekdag", weekdag)
            sub(m, "Dagmoment", dagmoment)
            sub(m, "Beschikbaar", moment.beschikbaar)
        _code(
            voorkeur,
            "BerekendPraktischVoorkeurmoment",
            voorkeuren.berekend_praktisch_voorkeurmoment,
        )
        sub(element, "Label", voorkeuren.label)
        sub(element, "GeslotenAanbod", voorkeuren.gesloten_aanbod)
        sub(element, "InformatieVoorSchool", voorkeuren.informatie_voor_school)
    elif voorkeuren.lesmomenten:  # the moments first, then the period and the reason
        voorkeur = sub(sub(element, "VoorkeurLesMomenten"), "VoorkeurLesMoment")
        for moment in voorkeuren.lesmomenten:
            sub(sub(voorkeur, "LesVoorkeurLesMoment"), "Code", moment.moment)
        _periode_geldigheid(voorkeur, voorkeuren)


def _text_or_nil(parent: etree._Element, naam: str, value: str | None) -> None:
    """An element of a nillable type: its text, or no text and xsi:nil="true" for None."""
    element = sub(parent, naam, value)
    if value is None:
        element.set(XSI_NIL, "true")


def _periode_geldigheid(parent: etree._Element, voorkeuren: VoorkeurenKlant) -> None:
    """The moments' PeriodeGeldigheid, then their RedenBeperking (in both versions)."""
    vanaf, tot = voorkeuren.lesmomenten_vanaf, voorkeuren.lesmomenten_tot
    if vanaf is not None or tot is not None:
        periode = sub(parent, "PeriodeGeldigheid")
        sub(periode, "Begin", _datum(vanaf))
        sub(periode, "Einde", _datum(tot))
    _code(parent, "RedenBeperking", voorkeuren.reden_beperking)


def _partner(parent: etree._Element, naam: str, partner: PartnerOrganisatie | None) -> None:
    if partner is not None:
        element = sub(parent, naam)
        sub(element, "ExternID", partner.extern_id)
        sub(element, "DavinciInstellingsNummer", partner.davinci_instellingsnummer)
        sub(element, "Naam", partner.naam)
        if partner.adres is not None:  # the empty ones are pruned after (_without_empty)
            adres = partner.adres
            a = sub(element, "Adres")
            straat = sub(a, "Straat")
            sub(straat, "NISCode", adres.straat_nis)
            sub(straat, "Naam", adres.straat)
            sub(a, "HuisNummer", adres.huisnummer)
            sub(a, "BusNummer", adres.bus)
            gemeente = sub(a, "Gemeente")
            sub(gemeente, "NISCode", adres.gemeente_nis)
            sub(gemeente, "PostCode", adres.postcode)
            sub(gemeente, "Naam", adres.gemeente)
            land = sub(a, "Land")
            sub(land, "ISOCode", adres.land_iso)
            sub(land, "NISCode", adres.land_nis)
            sub(land, "Naam", adres.land)
        if partner.contactgegevens is not None:
            _contactgegevens(sub(element, "ContactGegevens"), partner.contactgegevens)


def _contactgegevens(element: etree._Element, persoon: ContactPersoon) -> None:
    """The contract's ContactGegevens: a name, then e-mail and phone numbers."""
    _person_name(element, persoon.achternamen, persoon.voornamen)
    for field in ("email", "telefoon", "gsm", "fax"):  # lower case in the contract
        sub(element, field, getattr(persoon, field))


def _vestiging(parent: etree._Element, naam: str, vestiging: KbiVestiging | None) -> None:
    if vestiging is not None:
        element = sub(parent, naam)
        sub(element, "KboNummer", vestiging.kbo_nummer)
        sub(element, "KbiNummer", vestiging.kbi_nummer)


def _periode(parent: etree._Element, naam: str, periode: Periode) -> None:
    element = sub(parent, naam)
    sub(element, "Begin", _datum(periode.begin))
    sub(element, "Einde", _datum(periode.einde))


def _status(parent: etree._Element, status: Status | None, v2: bool) -> None:
    if status is not None:
        element = sub(parent, "Status")
        code = status.code
        if isinstance(status, TrajectOnderdeelStatus):
            code = _spelled(code, "TrajectOnderdeelStatusCodeEnumType", v2)
        sub(element, "Code", code)
        _periode(element, "Periode", Periode(status.begin, status.einde))
        if isinstance(status, TrajectOnderdeelStatus):
            sub(element, "DatumOnbepaaldTot", _datum(status.onbepaald_tot))
            if v2:
                _code(element, "RedenGPA", status.reden_gpa)


def _code(parent: etree._Element, naam: str, code: Code | None) -> None:
    if code is not None:
        sub(parent, naam, code.code, KorteNaam=code.korte_naam, Naam=code.naam)


def _datum(day: date | None) -> str | None:
    """A date as the wire writes it; None (the element then left out) when there is none."""
    return None if day is None else day.isoformat()


def _number_text(value: int | None) -> str | None:
    return None if value is None else str(value)


def _bool(value: bool | None) -> str | None:
    return None if value is None else ("true" if value else "false")


# Sent empty rather than left out, as the platform does: in the real samples every Inbreuk
# has a RechtzettingsFormulier, empty when not remedied (5 of 5), and every Talenkennis its
# Alfabetiseringsgraad and BehaaldNT2Niveau, empty when unknown (4 and 3 of 7 empty).
SENT_EMPTY = frozenset({"RechtzettingsFormulier", "Alfabetiseringsgraad", "BehaaldNT2Niveau"})


def _without_empty(root: etree._Element) -> None:
    """``sub`` with a None value makes an empty element: drop those (optional fields unset),
    but for the ones the platform sends empty."""
    for element in reversed(list(root.iter())):  # children before their parents
        empty = len(element) == 0 and element.text is None and not element.attrib
        if empty and element is not root and element.tag not in SENT_EMPTY:
            element.getparent().remove(element)
