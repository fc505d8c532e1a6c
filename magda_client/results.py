"""Typed, immutable results, read leniently from what the platform sends.

Lenient means: codes and dates are stripped of surrounding whitespace, optional blocks
may be missing, a date that is not a calendar date reads as None; the raw lxml element
stays available for anything not modelled here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from lxml import etree


@dataclass(frozen=True)
class Uitzondering:
    code: str | None
    oorsprong: str | None
    type: str | None
    diagnose: str | None


@dataclass(frozen=True)
class Doelgroep:
    code: str | None
    type: str | None
    subtype: str | None
    begin: date | None
    einde: date | None
    vrijgesteld: bool
    reden_vrijstelling: str | None = None


@dataclass(frozen=True)
class Contract:
    datum_registratie: date | None
    type: str | None
    onderdeel_mo: bool
    onderdeel_nt2: bool
    onderdeel_lo: bool


@dataclass(frozen=True)
class Attest:
    datum_aanmaak: date | None
    type: str | None


@dataclass(frozen=True)
class Inbreuk:
    datum_vaststelling: date | None
    type: str | None
    sanctionerende_overheid: str | None
    datum_rechtzetting: date | None  # DatumOndertekening of the RechtzettingsFormulier

    @property
    def rechtgezet(self) -> bool:
        return self.datum_rechtzetting is not None


@dataclass(frozen=True)
class TrajectOnderdeel:
    type: str | None
    begin: date | None
    einde: date | None
    status: str | None


@dataclass(frozen=True)
class Traject:
    type: str | None
    begin: date | None
    einde: date | None
    status: str | None
    onderdelen: tuple[TrajectOnderdeel, ...] = ()


@dataclass(frozen=True)
class KbiDossier:
    insz: str
    voornamen: tuple[str, ...]
    achternamen: tuple[str, ...]
    geboortedatum: date | None
    doelgroep: Doelgroep | None
    datum_aanmelding: date | None
    contracten: tuple[Contract, ...]
    attesten: tuple[Attest, ...]
    inbreuken: tuple[Inbreuk, ...]
    trajecten: tuple[Traject, ...]
    uitzonderingen: tuple[Uitzondering, ...] = ()  # WAARSCHUWING / INFORMATIE
    element: etree._Element | None = field(default=None, compare=False, repr=False)
    versie: str | None = None  # "01.00" or "02.00": the GeefDossierKBI version that answered
    # 02.00 only (None from 01.00, or when the platform left them out):
    telefoonnummers: tuple[str, ...] | None = None
    emails: tuple[str, ...] | None = None
    # A protocol's reduced view (a municipality's: name, INSZ, contract signed, attest
    # obtained): the other fields are not disclosed to this consumer, not absent.
    beperkt: bool = False
    referte: str | None = None  # the call's Referte: MAGDA's helpdesk finds the call by it

    @property
    def contract_ondertekend(self) -> bool:
        return bool(self.contracten)

    @property
    def attest_behaald(self) -> bool:
        return bool(self.attesten)

    @property
    def open_inbreuken(self) -> tuple[Inbreuk, ...]:
        return tuple(i for i in self.inbreuken if not i.rechtgezet)


@dataclass(frozen=True)
class Advies:
    insz: str
    resultaat: str  # "OK" | "NOK"
    peildatum: date | None
    reden_code: str | None
    reden_omschrijving: str | None
    uitzonderingen: tuple[Uitzondering, ...] = ()
    element: etree._Element | None = field(default=None, compare=False, repr=False)
    referte: str | None = None  # the call's Referte: MAGDA's helpdesk finds the call by it

    @property
    def ok(self) -> bool:
        return self.resultaat == "OK"


def text_of(element: etree._Element | None, path: str) -> str | None:
    if element is None:
        return None
    value = element.findtext(path)
    if value is None:
        return None
    return value.strip() or None


def date_at(element: etree._Element | None, path: str) -> date | None:
    value = text_of(element, path)
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None  # e.g. a partly unknown birth date "1933-00-00"


def _bool(element: etree._Element, path: str) -> bool:
    return (text_of(element, path) or "").lower() in ("true", "1")


def read_uitzondering(element: etree._Element) -> Uitzondering:
    return Uitzondering(
        code=text_of(element, "Identificatie"),
        oorsprong=text_of(element, "Oorsprong"),
        type=(text_of(element, "Type") or "").upper() or None,
        diagnose=text_of(element, "Diagnose"),
    )


def read_dossier(
    element: etree._Element,
    insz: str,
    uitzonderingen: tuple[Uitzondering, ...] = (),
    versie: str | None = None,
    referte: str | None = None,
) -> KbiDossier:
    """A KBIDossier element of 01.00 or 02.00 into a :class:`KbiDossier`. Codes are kept as
    the platform sent them (02.00 spells some otherwise: ``IC013G`` for ``ICO13G``)."""
    doelgroep = element.find("Doelgroep")
    personalia = element.find("Personalia")
    return KbiDossier(
        insz=text_of(element, "Personalia/INSZ") or insz,
        voornamen=_texts(element, "Personalia/Naam/Voornamen/Voornaam"),
        achternamen=_texts(element, "Personalia/Naam/Achternamen/Achternaam"),
        geboortedatum=date_at(element, "Personalia/Geboortedatum"),
        doelgroep=None
        if doelgroep is None
        else Doelgroep(
            code=text_of(doelgroep, "Code"),
            type=text_of(doelgroep, "Type"),
            subtype=text_of(doelgroep, "SubType"),
            begin=date_at(doelgroep, "Periode/Begin"),
            einde=date_at(doelgroep, "Periode/Einde"),
            vrijgesteld=doelgroep.find("RedenVrijstellingVanDeVerplichting") is not None,
            reden_vrijstelling=text_of(doelgroep, "RedenVrijstellingVanDeVerplichting"),
        ),
        datum_aanmelding=date_at(element, "Aanmelding/DatumAanmelding"),
        contracten=tuple(
            Contract(
                datum_registratie=date_at(c, "DatumRegistratie"),
                type=text_of(c, "Type"),
                onderdeel_mo=_bool(c, "OnderdeelMO"),
                onderdeel_nt2=_bool(c, "OnderdeelNT2"),
                onderdeel_lo=_bool(c, "OnderdeelLO"),
            )
            for c in element.iterfind("Contracten/Contract")
        ),
        attesten=tuple(
            Attest(datum_aanmaak=date_at(d, "DatumAanmaak"), type=text_of(d, "Type"))
            for d in element.iterfind("BehaaldeAttesten/Document")
            if (text_of(d, "Soort") or "ATTEST") == "ATTEST"
        ),
        inbreuken=tuple(
            Inbreuk(
                datum_vaststelling=date_at(i, "DatumVaststelling"),
                type=text_of(i, "Type"),
                sanctionerende_overheid=text_of(i, "SanctionerendeOverheid"),
                datum_rechtzetting=date_at(i, "RechtzettingsFormulier/DatumOndertekening"),
            )
            for i in element.iterfind("Inbreuken/Inbreuk")
        ),
        trajecten=tuple(
            Traject(
                type=text_of(t, "Type"),
                begin=date_at(t, "Periode/Begin"),
                einde=date_at(t, "Periode/Einde"),
                status=text_of(t, "Status/Code"),
                onderdelen=tuple(
                    TrajectOnderdeel(
                        type=text_of(o, "Type"),
                        begin=date_at(o, "Periode/Begin"),
                        einde=date_at(o, "Periode/Einde"),
                        status=text_of(o, "Status/Code"),
                    )
                    for o in t.iterfind("TrajectOnderdelen/TrajectOnderdeel")
                ),
            )
            for t in element.iterfind("Trajecten/Traject")
        ),
        uitzonderingen=uitzonderingen,
        element=element,
        versie=versie,
        telefoonnummers=_list_texts(personalia, "TelefoonNummers", "TelefoonNummer"),
        emails=_list_texts(personalia, "Emails", "Email"),
        # every full dossier has a Doelgroep and a birth date (all real samples do)
        beperkt=doelgroep is None and text_of(element, "Personalia/Geboortedatum") is None,
        referte=referte,
    )


def _list_texts(parent: etree._Element | None, list_path: str, item: str) -> tuple[str, ...] | None:
    """The texts of ``list_path/item``; None when ``list_path`` itself is absent."""
    if parent is None or parent.find(list_path) is None:
        return None
    return _texts(parent, f"{list_path}/{item}")


def read_advies(
    element: etree._Element,
    insz: str,
    uitzonderingen: tuple[Uitzondering, ...] = (),
    referte: str | None = None,
) -> Advies:
    """An Advies element into an :class:`Advies`."""
    result = (text_of(element, "Resultaat") or "").upper()
    return Advies(
        insz=insz,
        resultaat=result,
        peildatum=date_at(element, "Peildatum"),
        reden_code=text_of(element, "Reden/Code"),
        reden_omschrijving=text_of(element, "Reden/Omschrijving"),
        uitzonderingen=uitzonderingen,
        element=element,
        referte=referte,
    )


def _texts(element: etree._Element, path: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in (e.text for e in element.iterfind(path)) if t and t.strip())
