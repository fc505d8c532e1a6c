"""A client built on our contract (wsimport, svcutil, a validating zeep) must also read what
the real platform sends, once it is pointed there, and be the client built on the real one:
every element and attribute the real XSD allows in a message is allowed by ours, with the
same types (by namespace and name, down to their XML Schema base), occurrences, code lists,
defaults and facets (but for a written-out few), and the real sample replies validate
against our XSD."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from magda_kbi.wire.xml import wsdl_folder

from . import reference
from .xsd_instances import Instances, XsdSet

XS = "{http://www.w3.org/2001/XMLSchema}"
ANY = "*"  # below an xs:any every path is allowed
VERSIES = ["01.00", "02.00"]
WEBSERVICE = "http://webservice.GeefDossierKBI-{v}.kbi-{v}.vip.vlaanderen.be"
SERVICE = {
    "01.00": "http://service.geefdossierkbidienst.inburgering.vip.vlaanderen.be",
    "02.00": "http://service.geefdossierkbidienst-02_00.inburgering-02_00.vip.vlaanderen.be",
}


Gezien = tuple[tuple[str | None, str] | None, set[str], tuple[float, float]]


class Schemas(XsdSet):
    """The global types and elements of a set of XSD files, the element paths they allow, and
    along those paths each element's complex type (by namespace and name), attributes and
    how often it may occur."""

    def paden(self, namespace: str, naam: str) -> set[str]:
        uit: set[str] = set()
        self._element(self.elements[(namespace, naam)], "", uit, 0)
        return uit

    def types_en_attributen(self, namespace: str, naam: str) -> dict[str, Gezien]:
        """Per element path: its complex type's (namespace, name) (None: anonymous or simple),
        the names of the attributes it allows (``*`` for any), and its least and most
        occurrences in its parent (its sequence's or choice's counted in)."""
        self._gezien: dict[str, Gezien] = {}
        self._element(self.elements[(namespace, naam)], "", set(), 0)
        return self._gezien

    def standaarden(self, namespace: str, naam: str) -> dict[str, tuple[str | None, ...]]:
        """Per element path: its default, fixed value and nillable (as written, or None)."""
        self._standaarden: dict[str, tuple[str | None, ...]] = {}
        self._element(self.elements[(namespace, naam)], "", set(), 0)
        return self._standaarden

    def simpele_types(self, namespace: str, naam: str) -> dict[str, tuple[str | None, str]]:
        """Per element path of simple content: its type (namespace, name); ``(None,
        "anonymous")`` for a type written inside the element."""
        self._simpel: dict[str, tuple[str | None, str]] = {}
        self._element(self.elements[(namespace, naam)], "", set(), 0)
        return self._simpel

    def _element(self, element: etree._Element, boven: str, uit: set[str], diepte: int) -> None:
        keer = _keer(element)
        if element.get("ref"):
            element = self.elements[self._qname(element, element.get("ref"))]
        pad = f"{boven}/{element.get('name')}" if boven else element.get("name")
        uit.add(pad)
        if hasattr(self, "_standaarden"):
            self._standaarden[pad] = tuple(element.get(a) for a in ("default", "fixed", "nillable"))
        type_ = element.find(XS + "complexType")
        naam = self._qname(element, element.get("type")) if element.get("type") else None
        if type_ is None and naam is not None:
            type_ = self.types.get(naam)
        if hasattr(self, "_simpel"):
            if element.find(XS + "simpleType") is not None:
                self._simpel[pad] = (None, "anonymous")
            elif naam is not None and (type_ is None or type_.tag == XS + "simpleType"):
                self._simpel[pad] = naam
        if hasattr(self, "_gezien"):
            complex_ = type_ is not None and type_.tag == XS + "complexType"
            self._gezien[pad] = (naam if complex_ else None, self._attributen(type_), keer)
        if type_ is not None and type_.tag == XS + "complexType" and diepte < 15:
            self._inhoud(type_, pad, uit, diepte)

    def _attributen(self, type_: etree._Element | None) -> set[str]:
        if type_ is None or type_.tag != XS + "complexType":
            return set()
        uit = set()
        for node in type_.iter(XS + "attribute", XS + "anyAttribute", XS + "extension"):
            if node.tag == XS + "anyAttribute":
                uit.add(ANY)
            elif node.tag == XS + "attribute":
                uit.add(node.get("name"))
            else:
                uit |= self._attributen(self.types.get(self._qname(node, node.get("base"))))
        return uit

    def _inhoud(self, type_: etree._Element, pad: str, uit: set[str], diepte: int) -> None:
        for node in type_.iter(XS + "element", XS + "any", XS + "extension"):
            if node.tag == XS + "any":
                uit.add(f"{pad}/{ANY}")
            elif node.tag == XS + "extension":
                basis = self.types.get(self._qname(node, node.get("base")))
                if basis is not None and basis.tag == XS + "complexType":
                    self._inhoud(basis, pad, uit, diepte)
            elif _eigen(node, type_):
                self._element(node, pad, uit, diepte + 1)


def _keer(element: etree._Element) -> tuple[float, float]:
    """How often ``element`` may occur in its parent: its own bounds times those of the
    sequences and choices around it (an alternative of a choice may be absent)."""

    def grens(node: etree._Element, naam: str) -> float:
        waarde = node.get(naam, "1")
        return float("inf") if waarde == "unbounded" else int(waarde)

    minst, meest = grens(element, "minOccurs"), grens(element, "maxOccurs")
    ouder = element.getparent()
    while ouder is not None and ouder.tag in (XS + "sequence", XS + "choice", XS + "all"):
        minst *= 0 if ouder.tag == XS + "choice" else grens(ouder, "minOccurs")
        meest *= grens(ouder, "maxOccurs")
        ouder = ouder.getparent()
    return minst, meest


def _eigen(node: etree._Element, type_: etree._Element) -> bool:
    """An element of ``type_`` itself, not of an anonymous type nested in it."""
    ouder = node.getparent()
    while ouder is not type_:
        if ouder.tag in (XS + "complexType", XS + "element"):
            return False
        ouder = ouder.getparent()
    return True


def toegelaten(pad: str, paden: set[str]) -> bool:
    delen = pad.split("/")
    return pad in paden or any(
        "/".join(delen[:i]) + "/" + ANY in paden for i in range(1, len(delen))
    )


def onze() -> Schemas:
    return Schemas(sorted((wsdl_folder() / "xsd").glob("*.xsd")))


@pytest.mark.parametrize("versie", VERSIES)
@pytest.mark.parametrize("variant", ["WebService", "Service"])
@pytest.mark.parametrize(
    ("bericht", "minstens"), [("GeefDossierKBIResponse", 400), ("GeefDossierKBI", 30)]
)
def test_every_element_the_real_message_may_hold_our_contract_allows(
    versie, variant, bericht, minstens
):
    """The reply: a client built on ours reads the real platform's. The request: what a
    client built on the real contract sends, ours takes (it is then checked as the platform
    checks it)."""
    reference.require(versie)
    echt = Schemas(sorted(reference.xsd_folder(versie).rglob("*.xsd")))
    namespace = WEBSERVICE.format(v=versie) if variant == "WebService" else SERVICE[versie]
    ons = onze().paden(namespace, bericht)
    echte_paden = echt.paden(namespace, bericht)
    assert len(echte_paden) > minstens  # the walk reached the message's depths
    assert sorted(p for p in echte_paden if not toegelaten(p, ons)) == []


def test_the_walk_sees_a_missing_element():
    """The check above can fail: a type without one of the real one's elements is caught."""
    ons = onze()
    traject = ons.types[("http://inburgering.be/types/V02", "TrajectType")]
    weg = next(e for e in traject.iter(XS + "element") if e.get("name") == "Besluit")
    weg.getparent().remove(weg)
    namespace = WEBSERVICE.format(v="02.00")
    pad = "GeefDossierKBIResponse/Repliek/Antwoorden/Antwoord/Inhoud/KBIDossier/Trajecten/Traject"
    assert not toegelaten(f"{pad}/Besluit", ons.paden(namespace, "GeefDossierKBIResponse"))
    assert toegelaten(f"{pad}/Type", ons.paden(namespace, "GeefDossierKBIResponse"))


def test_the_real_sample_replies_validate_against_our_contract():
    reference.require("01.00")
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    schema = etree.XMLSchema(
        etree.parse(str(wsdl_folder() / "xsd/GeefDossierKBI-01.00.xsd"), parser)
    )
    samples = sorted(reference.SAMPLES.glob("*.xml"))
    assert len(samples) == 21
    for sample in samples:
        antwoord = etree.parse(str(sample), parser)  # the samples are the SOAP Body's content
        assert schema.validate(antwoord), (sample.name, str(schema.error_log.last_error))


@pytest.mark.parametrize(
    ("pad", "tekst"),
    [
        # The real UUIDType's class [aA-fF0-9] is wider than hex (A-f spans every capital and
        # small letter up to f); ours took hex only
        (".//NT2Cursus/ID", lambda oud: oud[:-1] + "G"),
        # <OnderdeelMO/> is false by the real contract's default; ours had none
        (".//Contract/OnderdeelMO", lambda oud: None),
        # a period's Begin is the real Datum2_0Type, with a "9x" month and day; ours was
        # DatumType, which refuses them
        (".//Doelgroep/Periode/Begin", lambda oud: "2022-99-99"),
    ],
    ids=["uuid", "empty-boolean", "period-date"],
)
def test_a_real_reply_the_real_contract_takes_ours_takes(tmp_path, pad, tekst):
    """A client built on ours must not fail on a reply the real contract allows."""
    reference.require("01.00")
    echt = reference.real_schema(str(tmp_path), "01.00")
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    ons = etree.XMLSchema(etree.parse(str(wsdl_folder() / "xsd/GeefDossierKBI-01.00.xsd"), parser))
    antwoord = etree.parse(str(reference.SAMPLES / "90722600260.xml"), parser)
    element = antwoord.find(pad)
    element.text = tekst(element.text)
    assert echt.validate(antwoord), str(echt.error_log.last_error)
    assert ons.validate(antwoord), str(ons.error_log.last_error)


OUR_XSD = {
    ("01.00", "WebService"): "GeefDossierKBI-01.00.xsd",
    ("02.00", "WebService"): "GeefDossierKBI-02.00.xsd",
    ("01.00", "Service"): "GeefDossierKBI-01.00-Service.xsd",
    ("02.00", "Service"): "GeefDossierKBI-02.00-Service.xsd",
}


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_message_the_real_contract_takes_ours_takes_but_the_listed(tmp_path_factory, data):
    """The walks above compare the contracts' parts; this, their values: a request or reply
    drawn from the real XSD (every optional part, every value its types take) is taken by
    ours, but for FACETS_OF_OUR_OWN's two that narrow: an empty Afzender or Ontvanger
    Identificatie, and a date with a "," for its month's second digit (the others there,
    "the same values written otherwise", are checked by it)."""
    versie = data.draw(st.sampled_from(VERSIES), label="versie")
    variant = data.draw(st.sampled_from(["WebService", "Service"]), label="variant")
    bericht = data.draw(st.sampled_from(["GeefDossierKBI", "GeefDossierKBIResponse"]))
    werkmap = str(tmp_path_factory.getbasetemp())
    reference.require(versie)
    echt = reference.real_schema(werkmap, versie, reference.entry_point(versie, variant, bericht))
    namespace = (WEBSERVICE if variant == "WebService" else SERVICE[versie]).format(v=versie)
    bericht_ = real_instances(versie).draw(data.draw, namespace, bericht, {})
    assume(echt.validate(bericht_))
    identificaties = bericht_.iterfind(".//Bericht/*/Identificatie")
    assume(all((i.text or "").strip() for i in identificaties))
    assume(not re.search(r"-0,-", etree.tostring(bericht_, encoding="unicode")))
    ons = our_schema(OUR_XSD[versie, variant])
    assert ons.validate(bericht_), (str(ons.error_log.last_error), etree.tostring(bericht_))


@cache
def real_instances(versie: str) -> Instances:
    return Instances(reference.xsd_folder(versie), more=1)


@cache
def our_schema(naam: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(wsdl_folder() / "xsd" / naam)))


def opsommingen(bestanden: list[Path]) -> dict[str, set[str]]:
    """Every named simple type with enumerations: its values."""
    uit: dict[str, set[str]] = {}
    for bestand in bestanden:
        for type_ in etree.parse(str(bestand)).getroot().iter(XS + "simpleType"):
            waarden = {e.get("value") for e in type_.iter(XS + "enumeration")}
            if waarden and type_.get("name"):
                uit.setdefault(type_.get("name"), set()).update(waarden)
    return uit


@pytest.mark.parametrize("versie", VERSIES)
def test_every_code_list_of_ours_is_the_real_one(versie):
    """A code ours lacks fails a client built on ours when the platform sends it (Bericht/Type
    had VRAAG and ANTWOORD only); a code ours adds is one the platform never sends."""
    reference.require(versie)
    echt = opsommingen(sorted(reference.xsd_folder(versie).rglob("*.xsd")))
    xsd = wsdl_folder() / "xsd"
    ons = opsommingen([*sorted(xsd.glob(f"*KBI-{versie}*.xsd")), xsd / "Generiek.xsd"])
    gedeeld = ons.keys() & echt.keys()
    assert len(gedeeld) > 15
    assert {naam: ons[naam] ^ echt[naam] for naam in gedeeld if ons[naam] != echt[naam]} == {}


def grondtypes(bestanden: list[Path]) -> dict[tuple[str | None, str], str]:
    """Every named simple type: the XML Schema type it restricts in the end (string, date)."""
    basis: dict[tuple[str | None, str], tuple[str | None, str]] = {}
    for bestand in bestanden:
        root = etree.parse(str(bestand)).getroot()
        for type_ in root.iter(XS + "simpleType"):
            beperking = type_.find(XS + "restriction")
            if type_.get("name") and beperking is not None:
                prefix, _, lokaal = beperking.get("base").rpartition(":")
                sleutel = (root.get("targetNamespace"), type_.get("name"))
                basis[sleutel] = (type_.nsmap.get(prefix or None), lokaal)
    uit = {}
    for sleutel, doel in basis.items():
        for _ in range(10):  # a chain of restrictions down to the XML Schema type
            if doel not in basis:
                break
            doel = basis[doel]
        uit[sleutel] = doel[1]
    return uit


def test_every_simple_type_of_ours_restricts_the_real_one_s_xml_schema_type():
    """Code generated from our contract (wsimport, svcutil) must be the code generated from
    the real one: a date the real contract writes as a pattern on a string is a string
    there, and must not become a date type here (it was, for three DatumTypes)."""
    echt: dict[tuple[str | None, str], str] = {}
    for versie in VERSIES:
        reference.require(versie)
        echt |= grondtypes(sorted(reference.xsd_folder(versie).rglob("*.xsd")))
    ons = grondtypes(sorted((wsdl_folder() / "xsd").glob("*.xsd")))
    gedeeld = ons.keys() & echt.keys()
    assert len(gedeeld) > 80
    assert {k: (ons[k], echt[k]) for k in gedeeld if ons[k] != echt[k]} == {}


@pytest.mark.parametrize("versie", VERSIES)
def test_every_complex_type_and_attribute_of_a_real_message_is_ours_too(versie):
    """The same element paths in a reply or request as the real contract, and along each: the
    same complex type, by namespace and name (code generated from ours then has the classes and
    packages code generated from the real one has: a Persoon name was ours in the KBI
    namespace, the two kinds of postponement shared one type), every attribute the real
    one allows (a first name's GebruikelijkeVoornaam, a name's DatumBegin were refused by a
    client built on ours), and the same occurrences (an empty 02.00 Trajecten was refused by
    a client built on ours). Every path is described: none is passed over as "any"."""
    reference.require(versie)
    echt = Schemas(sorted(reference.xsd_folder(versie).rglob("*.xsd")))
    for namespace, bericht, minstens in (
        (WEBSERVICE.format(v=versie), "GeefDossierKBIResponse", 300),
        (SERVICE[versie], "GeefDossierKBIResponse", 300),
        (WEBSERVICE.format(v=versie), "GeefDossierKBI", 25),  # the request: Context/Annotaties
        (SERVICE[versie], "GeefDossierKBI", 25),
    ):
        ons = onze().types_en_attributen(namespace, bericht)
        echte = echt.types_en_attributen(namespace, bericht)
        assert sorted(ons.keys() ^ echte.keys()) == []  # the same paths, none more, none less
        gedeeld = ons.keys()
        assert len(gedeeld) > minstens
        anders = {
            pad.split("/Inhoud/")[-1]: (echte[pad][0], ons[pad][0])
            for pad in gedeeld
            if echte[pad][0] != ons[pad][0]
        }
        assert anders == {}
        missend = {
            pad.split("/Inhoud/")[-1]: sorted(echte[pad][1] - ons[pad][1])
            for pad in gedeeld
            if ANY not in ons[pad][1] and echte[pad][1] - ons[pad][1]
        }
        assert missend == {}
        keren = {
            pad.split("/Inhoud/")[-1]: (echte[pad][2], ons[pad][2])
            for pad in gedeeld
            if echte[pad][2] != ons[pad][2]
        }
        assert keren == {}


def facetten(bestanden: list[Path]) -> dict[tuple[str | None, str], set]:
    """Every named simple type restricting another: its base and its facets but the code
    lists (compared above); a minLength of 0 is no facet."""
    uit: dict[tuple[str | None, str], set] = {}
    for bestand in bestanden:
        root = etree.parse(str(bestand)).getroot()
        for type_ in root.iter(XS + "simpleType"):
            beperking = type_.find(XS + "restriction")
            if type_.get("name") is None or beperking is None:
                continue
            facetten = tuple(
                sorted(
                    (etree.QName(f).localname, f.get("value"))
                    for f in beperking
                    if isinstance(f.tag, str)
                    and etree.QName(f).localname not in ("enumeration", "annotation")
                    and (etree.QName(f).localname, f.get("value")) != ("minLength", "0")
                )
            )
            sleutel = (root.get("targetNamespace"), type_.get("name"))
            uit.setdefault(sleutel, set()).add((beperking.get("base").rpartition(":")[2], facetten))
    return uit


# Where our facets are not the real contract's, written out and why. A request type must
# take what the real one takes (INSZType took 0-9 only, the real one eleven digits of any
# script), unless refusing sooner is the point; a reply type must take what we send.
FACETS_OF_OUR_OWN = {
    # an empty Afzender is refused at once (40001), where the platform takes it and then
    # refuses the unknown sender
    "ApplicatieIdentificatieType",
    # the same values, written otherwise: the real maxLength 20 beside the enumeration, the
    # real min/maxLength 5-12 beside the pattern, the real pattern's brackets
    "BerichtTypeType",
    "TijdType",
    "VersieType",
    # the real one pattern written as four (the same calendar); the real one also takes a
    # "," for a month's second digit ("0[1,3-9]") and any script's digit ("\d"), which no
    # reply of the platform holds
    "DatumType",
    # 01.00's only: a reply's INSZ takes MAGDA's test numbers too (the test below)
    "InszType",
}


def test_every_facet_of_ours_is_the_real_one_s_but_the_listed():
    """Lengths and patterns: the code lists and the XML Schema bases are compared above."""
    echt: dict[tuple[str | None, str], set] = {}
    for versie in VERSIES:
        reference.require(versie)
        for sleutel, waarde in facetten(
            sorted(reference.xsd_folder(versie).rglob("*.xsd"))
        ).items():
            echt.setdefault(sleutel, set()).update(waarde)
    ons = facetten(sorted((wsdl_folder() / "xsd").glob("*.xsd")))
    gedeeld = ons.keys() & echt.keys()
    assert len(gedeeld) > 100
    anders = {sleutel[1] for sleutel in gedeeld if ons[sleutel] != echt[sleutel]}
    assert anders == FACETS_OF_OUR_OWN


def test_a_reply_s_insz_has_the_real_patterns_and_01_00_s_takes_test_numbers_as_02_00_s():
    """Ours took any eleven digits, so a client validating against ours took an INSZ the
    real contract refuses (month 13, sequence 000). 02.00's is the real one (national
    register, bis and, by a third pattern, MAGDA's test numbers); the real 01.00 one refuses
    test numbers, which every persona has: ours is the real one with 02.00's third pattern."""
    for versie in VERSIES:
        reference.require(versie)
    sleutel = {
        versie: (f"http://inburgering.be/types/V{versie[:2]}", "InszType") for versie in VERSIES
    }
    echt = {
        versie: facetten(sorted(reference.xsd_folder(versie).rglob("*.xsd")))[sleutel[versie]]
        for versie in VERSIES
    }
    ons = facetten(sorted((wsdl_folder() / "xsd").glob("*.xsd")))
    ((_, echt_01),), ((_, echt_02),) = echt["01.00"], echt["02.00"]
    assert len(echt_02) == len(echt_01) + 1 and set(echt_01) < set(echt_02)
    assert ons[sleutel["02.00"]] == echt["02.00"]
    assert ons[sleutel["01.00"]] == {("string", echt_02)}


@pytest.mark.parametrize("versie", VERSIES)
@pytest.mark.parametrize("variant", ["WebService", "Service"])
@pytest.mark.parametrize("bericht", ["GeefDossierKBIResponse", "GeefDossierKBI"])
def test_every_default_fixed_value_and_nillable_of_ours_is_the_real_one_s(versie, variant, bericht):
    """A boolean's default="false" (a contract's OnderdeelMO, Voldaan, ContactTaal) makes an
    empty element valid and false: ours had none, so a client validating against ours would
    refuse a real reply with <OnderdeelMO/>, and generated code would lose the default."""
    reference.require(versie)
    namespace = WEBSERVICE.format(v=versie) if variant == "WebService" else SERVICE[versie]
    echt = Schemas(sorted(reference.xsd_folder(versie).rglob("*.xsd"))).standaarden(
        namespace, bericht
    )
    ons = onze().standaarden(namespace, bericht)

    def gezet(waarden: tuple[str | None, ...]) -> tuple[str | None, ...]:
        default, fixed, nillable = waarden
        return default, fixed, None if nillable == "false" else nillable  # false: not written

    gedeeld = ons.keys() & echt.keys()
    assert len(gedeeld) > (30 if bericht == "GeefDossierKBI" else 400)
    anders = {pad: (gezet(ons[pad]), gezet(echt[pad])) for pad in gedeeld}
    assert {pad: paar for pad, paar in anders.items() if paar[0] != paar[1]} == {}


def attributen(bestanden: list[Path]) -> dict[tuple[str | None, str, str], tuple]:
    """Every attribute of a named complex type: its type's name, use, default and fixed."""
    uit = {}
    for bestand in bestanden:
        root = etree.parse(str(bestand)).getroot()
        for type_ in root.iter(XS + "complexType"):
            for attribuut in type_.iter(XS + "attribute") if type_.get("name") else ():
                sleutel = (root.get("targetNamespace"), type_.get("name"), attribuut.get("name"))
                uit[sleutel] = (
                    (attribuut.get("type") or "").rpartition(":")[2],
                    attribuut.get("use", "optional"),
                    attribuut.get("default"),
                    attribuut.get("fixed"),
                )
    return uit


def test_every_attribute_of_ours_has_the_real_one_s_type_and_use():
    """A telephone number's voorkeur is the real contract's TelefoonNummerVoorkeurType (the
    strings "true" and "false"): ours said xs:boolean, so code generated from ours had a
    boolean where the real contract's has an enumeration."""
    echt = {}
    for versie in VERSIES:
        reference.require(versie)
        echt |= attributen(sorted(reference.xsd_folder(versie).rglob("*.xsd")))
    ons = attributen(sorted((wsdl_folder() / "xsd").glob("*.xsd")))
    assert len(ons.keys() & echt.keys()) == len(ons) > 15  # each of ours is a real one
    assert {k: (ons[k], echt[k]) for k in ons if ons[k] != echt[k]} == {}


@pytest.mark.parametrize("versie", VERSIES)
@pytest.mark.parametrize("variant", ["WebService", "Service"])
@pytest.mark.parametrize("bericht", ["GeefDossierKBIResponse", "GeefDossierKBI"])
def test_every_element_of_simple_content_has_the_real_one_s_type(versie, variant, bericht):
    """By namespace and name, as generated code names it: a Periode's Begin and Einde are
    the real Datum2_0Type (ours said DatumType, which refuses a real "9x" month or day), an
    Uitzondering's Identificatie, Oorsprong, Diagnose and Omstandigheid the real
    Uitzondering types (ours: types written inside them, or xs:string)."""
    reference.require(versie)
    namespace = WEBSERVICE.format(v=versie) if variant == "WebService" else SERVICE[versie]
    echt = Schemas(sorted(reference.xsd_folder(versie).rglob("*.xsd"))).simpele_types(
        namespace, bericht
    )
    ons = onze().simpele_types(namespace, bericht)
    gedeeld = ons.keys() & echt.keys()
    assert len(gedeeld) > (20 if bericht == "GeefDossierKBI" else 250)
    assert {pad: (ons[pad], echt[pad]) for pad in gedeeld if ons[pad] != echt[pad]} == {}
