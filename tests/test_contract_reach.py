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
VERSIONS = ["01.00", "02.00"]
WEBSERVICE = "http://webservice.GeefDossierKBI-{v}.kbi-{v}.vip.vlaanderen.be"
SERVICE = {
    "01.00": "http://service.geefdossierkbidienst.inburgering.vip.vlaanderen.be",
    "02.00": "http://service.geefdossierkbidienst-02_00.inburgering-02_00.vip.vlaanderen.be",
}


Seen = tuple[tuple[str | None, str] | None, set[str], tuple[float, float]]


class Schemas(XsdSet):
    """The global types and elements of a set of XSD files, the element paths they allow, and
    along those paths each element's complex type (by namespace and name), attributes and
    how often it may occur."""

    def paths(self, namespace: str, naam: str) -> set[str]:
        result: set[str] = set()
        self._element(self.elements[(namespace, naam)], "", result, 0)
        return result

    def types_and_attributes(self, namespace: str, naam: str) -> dict[str, Seen]:
        """Per element path: its complex type's (namespace, name) (None: anonymous or simple),
        the names of the attributes it allows (``*`` for any), and its least and most
        occurrences in its parent (its sequence's or choice's counted in)."""
        self._seen: dict[str, Seen] = {}
        self._element(self.elements[(namespace, naam)], "", set(), 0)
        return self._seen

    def defaults(self, namespace: str, naam: str) -> dict[str, tuple[str | None, ...]]:
        """Per element path: its default, fixed value and nillable (as written, or None)."""
        self._defaults: dict[str, tuple[str | None, ...]] = {}
        self._element(self.elements[(namespace, naam)], "", set(), 0)
        return self._defaults

    def simple_types(self, namespace: str, naam: str) -> dict[str, tuple[str | None, str]]:
        """Per element path of simple content: its type (namespace, name); ``(None,
        "anonymous")`` for a type written inside the element."""
        self._simple: dict[str, tuple[str | None, str]] = {}
        self._element(self.elements[(namespace, naam)], "", set(), 0)
        return self._simple

    def _element(self, element: etree._Element, above: str, result: set[str], depth: int) -> None:
        times = _times_(element)
        if element.get("ref"):
            element = self.elements[self._qname(element, element.get("ref"))]
        path = f"{above}/{element.get('name')}" if above else element.get("name")
        result.add(path)
        if hasattr(self, "_defaults"):
            self._defaults[path] = tuple(element.get(a) for a in ("default", "fixed", "nillable"))
        type_ = element.find(XS + "complexType")
        naam = self._qname(element, element.get("type")) if element.get("type") else None
        if type_ is None and naam is not None:
            type_ = self.types.get(naam)
        if hasattr(self, "_simple"):
            if element.find(XS + "simpleType") is not None:
                self._simple[path] = (None, "anonymous")
            elif naam is not None and (type_ is None or type_.tag == XS + "simpleType"):
                self._simple[path] = naam
        if hasattr(self, "_seen"):
            complex_ = type_ is not None and type_.tag == XS + "complexType"
            self._seen[path] = (naam if complex_ else None, self._attributes(type_), times)
        if type_ is not None and type_.tag == XS + "complexType" and depth < 15:
            self._inhoud(type_, path, result, depth)

    def _attributes(self, type_: etree._Element | None) -> set[str]:
        if type_ is None or type_.tag != XS + "complexType":
            return set()
        result = set()
        for node in type_.iter(XS + "attribute", XS + "anyAttribute", XS + "extension"):
            if node.tag == XS + "anyAttribute":
                result.add(ANY)
            elif node.tag == XS + "attribute":
                result.add(node.get("name"))
            else:
                result |= self._attributes(self.types.get(self._qname(node, node.get("base"))))
        return result

    def _inhoud(self, type_: etree._Element, path: str, result: set[str], depth: int) -> None:
        for node in type_.iter(XS + "element", XS + "any", XS + "extension"):
            if node.tag == XS + "any":
                result.add(f"{path}/{ANY}")
            elif node.tag == XS + "extension":
                base = self.types.get(self._qname(node, node.get("base")))
                if base is not None and base.tag == XS + "complexType":
                    self._inhoud(base, path, result, depth)
            elif _own(node, type_):
                self._element(node, path, result, depth + 1)


def _times_(element: etree._Element) -> tuple[float, float]:
    """How often ``element`` may occur in its parent: its own bounds times those of the
    sequences and choices around it (an alternative of a choice may be absent)."""

    def limit(node: etree._Element, naam: str) -> float:
        value = node.get(naam, "1")
        return float("inf") if value == "unbounded" else int(value)

    least, most = limit(element, "minOccurs"), limit(element, "maxOccurs")
    older = element.getparent()
    while older is not None and older.tag in (XS + "sequence", XS + "choice", XS + "all"):
        least *= 0 if older.tag == XS + "choice" else limit(older, "minOccurs")
        most *= limit(older, "maxOccurs")
        older = older.getparent()
    return least, most


def _own(node: etree._Element, type_: etree._Element) -> bool:
    """An element of ``type_`` itself, not of an anonymous type nested in it."""
    older = node.getparent()
    while older is not type_:
        if older.tag in (XS + "complexType", XS + "element"):
            return False
        older = older.getparent()
    return True


def allowed(path: str, paths: set[str]) -> bool:
    parts = path.split("/")
    return path in paths or any(
        "/".join(parts[:i]) + "/" + ANY in paths for i in range(1, len(parts))
    )


def ours_() -> Schemas:
    return Schemas(sorted((wsdl_folder() / "xsd").glob("*.xsd")))


@pytest.mark.parametrize("versie", VERSIONS)
@pytest.mark.parametrize("variant", ["WebService", "Service"])
@pytest.mark.parametrize(
    ("bericht", "at_least"), [("GeefDossierKBIResponse", 400), ("GeefDossierKBI", 30)]
)
def test_every_element_the_real_message_may_hold_our_contract_allows(
    versie, variant, bericht, at_least
):
    """The reply: a client built on ours reads the real platform's. The request: what a
    client built on the real contract sends, ours takes (it is then checked as the platform
    checks it)."""
    reference.require(versie)
    real = Schemas(sorted(reference.xsd_folder(versie).rglob("*.xsd")))
    namespace = WEBSERVICE.format(v=versie) if variant == "WebService" else SERVICE[versie]
    ours = ours_().paths(namespace, bericht)
    real_paths = real.paths(namespace, bericht)
    assert len(real_paths) > at_least  # the walk reached the message's depths
    assert sorted(p for p in real_paths if not allowed(p, ours)) == []


def test_the_walk_sees_a_missing_element():
    """The check above can fail: a type without one of the real one's elements is caught."""
    ours = ours_()
    traject = ours.types[("http://inburgering.be/types/V02", "TrajectType")]
    gone = next(e for e in traject.iter(XS + "element") if e.get("name") == "Besluit")
    gone.getparent().remove(gone)
    namespace = WEBSERVICE.format(v="02.00")
    path = "GeefDossierKBIResponse/Repliek/Antwoorden/Antwoord/Inhoud/KBIDossier/Trajecten/Traject"
    assert not allowed(f"{path}/Besluit", ours.paths(namespace, "GeefDossierKBIResponse"))
    assert allowed(f"{path}/Type", ours.paths(namespace, "GeefDossierKBIResponse"))


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
    ("path", "text"),
    [
        # The real UUIDType's class [aA-fF0-9] is wider than hex (A-f spans every capital and
        # small letter up to f); ours took hex only
        (".//NT2Cursus/ID", lambda old: old[:-1] + "G"),
        # <OnderdeelMO/> is false by the real contract's default; ours had none
        (".//Contract/OnderdeelMO", lambda old: None),
        # a period's Begin is the real Datum2_0Type, with a "9x" month and day; ours was
        # DatumType, which refuses them
        (".//Doelgroep/Periode/Begin", lambda old: "2022-99-99"),
    ],
    ids=["uuid", "empty-boolean", "period-date"],
)
def test_a_real_reply_the_real_contract_takes_ours_takes(tmp_path, path, text):
    """A client built on ours must not fail on a reply the real contract allows."""
    reference.require("01.00")
    real = reference.real_schema(str(tmp_path), "01.00")
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    ours = etree.XMLSchema(etree.parse(str(wsdl_folder() / "xsd/GeefDossierKBI-01.00.xsd"), parser))
    antwoord = etree.parse(str(reference.SAMPLES / "90722600260.xml"), parser)
    element = antwoord.find(path)
    element.text = text(element.text)
    assert real.validate(antwoord), str(real.error_log.last_error)
    assert ours.validate(antwoord), str(ours.error_log.last_error)


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
    versie = data.draw(st.sampled_from(VERSIONS), label="versie")
    variant = data.draw(st.sampled_from(["WebService", "Service"]), label="variant")
    bericht = data.draw(st.sampled_from(["GeefDossierKBI", "GeefDossierKBIResponse"]))
    workdir = str(tmp_path_factory.getbasetemp())
    reference.require(versie)
    real = reference.real_schema(workdir, versie, reference.entry_point(versie, variant, bericht))
    namespace = (WEBSERVICE if variant == "WebService" else SERVICE[versie]).format(v=versie)
    bericht_ = real_instances(versie).draw(data.draw, namespace, bericht, {})
    assume(real.validate(bericht_))
    identificaties = bericht_.iterfind(".//Bericht/*/Identificatie")
    assume(all((i.text or "").strip() for i in identificaties))
    assume(not re.search(r"-0,-", etree.tostring(bericht_, encoding="unicode")))
    ours = our_schema(OUR_XSD[versie, variant])
    assert ours.validate(bericht_), (str(ours.error_log.last_error), etree.tostring(bericht_))


@cache
def real_instances(versie: str) -> Instances:
    return Instances(reference.xsd_folder(versie), more=1)


@cache
def our_schema(naam: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(wsdl_folder() / "xsd" / naam)))


def enumerations(files: list[Path]) -> dict[str, set[str]]:
    """Every named simple type with enumerations: its values."""
    result: dict[str, set[str]] = {}
    for file in files:
        for type_ in etree.parse(str(file)).getroot().iter(XS + "simpleType"):
            values = {e.get("value") for e in type_.iter(XS + "enumeration")}
            if values and type_.get("name"):
                result.setdefault(type_.get("name"), set()).update(values)
    return result


@pytest.mark.parametrize("versie", VERSIONS)
def test_every_code_list_of_ours_is_the_real_one(versie):
    """A code ours lacks fails a client built on ours when the platform sends it (Bericht/Type
    had VRAAG and ANTWOORD only); a code ours adds is one the platform never sends."""
    reference.require(versie)
    real = enumerations(sorted(reference.xsd_folder(versie).rglob("*.xsd")))
    xsd = wsdl_folder() / "xsd"
    ours = enumerations([*sorted(xsd.glob(f"*KBI-{versie}*.xsd")), xsd / "Generiek.xsd"])
    shared = ours.keys() & real.keys()
    assert len(shared) > 15
    assert {naam: ours[naam] ^ real[naam] for naam in shared if ours[naam] != real[naam]} == {}


def base_types(files: list[Path]) -> dict[tuple[str | None, str], str]:
    """Every named simple type: the XML Schema type it restricts in the end (string, date)."""
    base: dict[tuple[str | None, str], tuple[str | None, str]] = {}
    for file in files:
        root = etree.parse(str(file)).getroot()
        for type_ in root.iter(XS + "simpleType"):
            beperking = type_.find(XS + "restriction")
            if type_.get("name") and beperking is not None:
                prefix, _, local = beperking.get("base").rpartition(":")
                key = (root.get("targetNamespace"), type_.get("name"))
                base[key] = (type_.nsmap.get(prefix or None), local)
    result = {}
    for key, target in base.items():
        for _ in range(10):  # a chain of restrictions down to the XML Schema type
            if target not in base:
                break
            target = base[target]
        result[key] = target[1]
    return result


def test_every_simple_type_of_ours_restricts_the_real_one_s_xml_schema_type():
    """Code generated from our contract (wsimport, svcutil) must be the code generated from
    the real one: a date the real contract writes as a pattern on a string is a string
    there, and must not become a date type here (it was, for three DatumTypes)."""
    real: dict[tuple[str | None, str], str] = {}
    for versie in VERSIONS:
        reference.require(versie)
        real |= base_types(sorted(reference.xsd_folder(versie).rglob("*.xsd")))
    ours = base_types(sorted((wsdl_folder() / "xsd").glob("*.xsd")))
    shared = ours.keys() & real.keys()
    assert len(shared) > 80
    assert {k: (ours[k], real[k]) for k in shared if ours[k] != real[k]} == {}


@pytest.mark.parametrize("versie", VERSIONS)
def test_every_complex_type_and_attribute_of_a_real_message_is_ours_too(versie):
    """The same element paths in a reply or request as the real contract, and along each: the
    same complex type, by namespace and name (code generated from ours then has the classes and
    packages code generated from the real one has: a Persoon name was ours in the KBI
    namespace, the two kinds of postponement shared one type), every attribute the real
    one allows (a first name's GebruikelijkeVoornaam, a name's DatumBegin were refused by a
    client built on ours), and the same occurrences (an empty 02.00 Trajecten was refused by
    a client built on ours). Every path is described: none is passed over as "any"."""
    reference.require(versie)
    real = Schemas(sorted(reference.xsd_folder(versie).rglob("*.xsd")))
    for namespace, bericht, at_least in (
        (WEBSERVICE.format(v=versie), "GeefDossierKBIResponse", 300),
        (SERVICE[versie], "GeefDossierKBIResponse", 300),
        (WEBSERVICE.format(v=versie), "GeefDossierKBI", 25),  # the request: Context/Annotaties
        (SERVICE[versie], "GeefDossierKBI", 25),
    ):
        ours = ours_().types_and_attributes(namespace, bericht)
        real_one = real.types_and_attributes(namespace, bericht)
        assert sorted(ours.keys() ^ real_one.keys()) == []  # the same paths, none more, none less
        shared = ours.keys()
        assert len(shared) > at_least
        other = {
            path.split("/Inhoud/")[-1]: (real_one[path][0], ours[path][0])
            for path in shared
            if real_one[path][0] != ours[path][0]
        }
        assert other == {}
        missing = {
            path.split("/Inhoud/")[-1]: sorted(real_one[path][1] - ours[path][1])
            for path in shared
            if ANY not in ours[path][1] and real_one[path][1] - ours[path][1]
        }
        assert missing == {}
        keren = {
            path.split("/Inhoud/")[-1]: (real_one[path][2], ours[path][2])
            for path in shared
            if real_one[path][2] != ours[path][2]
        }
        assert keren == {}


def facets(files: list[Path]) -> dict[tuple[str | None, str], set]:
    """Every named simple type restricting another: its base and its facets but the code
    lists (compared above); a minLength of 0 is no facet."""
    result: dict[tuple[str | None, str], set] = {}
    for file in files:
        root = etree.parse(str(file)).getroot()
        for type_ in root.iter(XS + "simpleType"):
            beperking = type_.find(XS + "restriction")
            if type_.get("name") is None or beperking is None:
                continue
            facets = tuple(
                sorted(
                    (etree.QName(f).localname, f.get("value"))
                    for f in beperking
                    if isinstance(f.tag, str)
                    and etree.QName(f).localname not in ("enumeration", "annotation")
                    and (etree.QName(f).localname, f.get("value")) != ("minLength", "0")
                )
            )
            key = (root.get("targetNamespace"), type_.get("name"))
            result.setdefault(key, set()).add((beperking.get("base").rpartition(":")[2], facets))
    return result


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
    real: dict[tuple[str | None, str], set] = {}
    for versie in VERSIONS:
        reference.require(versie)
        for key, value in facets(sorted(reference.xsd_folder(versie).rglob("*.xsd"))).items():
            real.setdefault(key, set()).update(value)
    ours = facets(sorted((wsdl_folder() / "xsd").glob("*.xsd")))
    shared = ours.keys() & real.keys()
    assert len(shared) > 100
    other = {key[1] for key in shared if ours[key] != real[key]}
    assert other == FACETS_OF_OUR_OWN


def test_a_reply_s_insz_has_the_real_patterns_and_01_00_s_takes_test_numbers_as_02_00_s():
    """Ours took any eleven digits, so a client validating against ours took an INSZ the
    real contract refuses (month 13, sequence 000). 02.00's is the real one (national
    register, bis and, by a third pattern, MAGDA's test numbers); the real 01.00 one refuses
    test numbers, which every persona has: ours is the real one with 02.00's third pattern."""
    for versie in VERSIONS:
        reference.require(versie)
    key = {
        versie: (f"http://inburgering.be/types/V{versie[:2]}", "InszType") for versie in VERSIONS
    }
    real = {
        versie: facets(sorted(reference.xsd_folder(versie).rglob("*.xsd")))[key[versie]]
        for versie in VERSIONS
    }
    ours = facets(sorted((wsdl_folder() / "xsd").glob("*.xsd")))
    ((_, real_01),), ((_, real_02),) = real["01.00"], real["02.00"]
    assert len(real_02) == len(real_01) + 1 and set(real_01) < set(real_02)
    assert ours[key["02.00"]] == real["02.00"]
    assert ours[key["01.00"]] == {("string", real_02)}


@pytest.mark.parametrize("versie", VERSIONS)
@pytest.mark.parametrize("variant", ["WebService", "Service"])
@pytest.mark.parametrize("bericht", ["GeefDossierKBIResponse", "GeefDossierKBI"])
def test_every_default_fixed_value_and_nillable_of_ours_is_the_real_one_s(versie, variant, bericht):
    """A boolean's default="false" (a contract's OnderdeelMO, Voldaan, ContactTaal) makes an
    empty element valid and false: ours had none, so a client validating against ours would
    refuse a real reply with <OnderdeelMO/>, and generated code would lose the default."""
    reference.require(versie)
    namespace = WEBSERVICE.format(v=versie) if variant == "WebService" else SERVICE[versie]
    real = Schemas(sorted(reference.xsd_folder(versie).rglob("*.xsd"))).defaults(namespace, bericht)
    ours = ours_().defaults(namespace, bericht)

    def set_to(values: tuple[str | None, ...]) -> tuple[str | None, ...]:
        default, fixed, nillable = values
        return default, fixed, None if nillable == "false" else nillable  # false: not written

    shared = ours.keys() & real.keys()
    assert len(shared) > (30 if bericht == "GeefDossierKBI" else 400)
    other = {path: (set_to(ours[path]), set_to(real[path])) for path in shared}
    assert {path: pair for path, pair in other.items() if pair[0] != pair[1]} == {}


def attributes(files: list[Path]) -> dict[tuple[str | None, str, str], tuple]:
    """Every attribute of a named complex type: its type's name, use, default and fixed."""
    result = {}
    for file in files:
        root = etree.parse(str(file)).getroot()
        for type_ in root.iter(XS + "complexType"):
            for attribute in type_.iter(XS + "attribute") if type_.get("name") else ():
                key = (root.get("targetNamespace"), type_.get("name"), attribute.get("name"))
                result[key] = (
                    (attribute.get("type") or "").rpartition(":")[2],
                    attribute.get("use", "optional"),
                    attribute.get("default"),
                    attribute.get("fixed"),
                )
    return result


def test_every_attribute_of_ours_has_the_real_one_s_type_and_use():
    """A telephone number's voorkeur is the real contract's TelefoonNummerVoorkeurType (the
    strings "true" and "false"): ours said xs:boolean, so code generated from ours had a
    boolean where the real contract's has an enumeration."""
    real = {}
    for versie in VERSIONS:
        reference.require(versie)
        real |= attributes(sorted(reference.xsd_folder(versie).rglob("*.xsd")))
    ours = attributes(sorted((wsdl_folder() / "xsd").glob("*.xsd")))
    assert len(ours.keys() & real.keys()) == len(ours) > 15  # each of ours is a real one
    assert {k: (ours[k], real[k]) for k in ours if ours[k] != real[k]} == {}


@pytest.mark.parametrize("versie", VERSIONS)
@pytest.mark.parametrize("variant", ["WebService", "Service"])
@pytest.mark.parametrize("bericht", ["GeefDossierKBIResponse", "GeefDossierKBI"])
def test_every_element_of_simple_content_has_the_real_one_s_type(versie, variant, bericht):
    """By namespace and name, as generated code names it: a Periode's Begin and Einde are
    the real Datum2_0Type (ours said DatumType, which refuses a real "9x" month or day), an
    Uitzondering's Identificatie, Oorsprong, Diagnose and Omstandigheid the real
    Uitzondering types (ours: types written inside them, or xs:string)."""
    reference.require(versie)
    namespace = WEBSERVICE.format(v=versie) if variant == "WebService" else SERVICE[versie]
    real = Schemas(sorted(reference.xsd_folder(versie).rglob("*.xsd"))).simple_types(
        namespace, bericht
    )
    ours = ours_().simple_types(namespace, bericht)
    shared = ours.keys() & real.keys()
    assert len(shared) > (20 if bericht == "GeefDossierKBI" else 250)
    assert {path: (ours[path], real[path]) for path in shared if ours[path] != real[path]} == {}
