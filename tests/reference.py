"""The real MAGDA contract in ../shared/reference, for conformance checks (read, not copied)."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

GEDEELD = Path(__file__).resolve().parents[2] / "shared/reference"
REFERENTIE = GEDEELD / "magda-kbi-01.00"
XSD_MAP = REFERENTIE / "xsd"
INGANG = "Inburgering.GeefDossierKBIDienst-01.00/WebService/GeefDossierKBIResponse.xsd"
SAMPLES = REFERENTIE / "samples"

# MAGDA test numbers (month digits 61-72) fail only the KBI InszType pattern, which allows real
# national-register and bis-number months. As the reference README says, a conformance check may
# relax exactly that facet: we add one pattern for test numbers and change nothing else.
INSZ_TST_PATROON = '<xs:pattern value="[0-9]{2}(6[1-9]|7[0-2])[0-9]{7}"/>'


def xsd_map(versie: str = "01.00") -> Path:
    return GEDEELD / f"magda-kbi-{versie}" / "xsd"


def ingang(versie: str, variant: str = "WebService", bericht: str = "GeefDossierKBIResponse"):
    """The entry point of the real XSD set: ``variant`` WebService or Service, ``bericht``
    GeefDossierKBI (the request) or GeefDossierKBIResponse."""
    return f"Inburgering.GeefDossierKBIDienst-{versie}/{variant}/{bericht}.xsd"


def vereist(versie: str = "01.00") -> None:
    if not (xsd_map(versie) / ingang(versie)).exists():
        pytest.skip(f"the real MAGDA XSD is not at {xsd_map(versie)} (clone without ../shared)")


@cache
def echte_schema(werkmap: str, versie: str = "01.00", entry: str | None = None) -> etree.XMLSchema:
    """The reference XSD set of ``versie``, copied to a scratch folder with the INSZ pattern
    relaxed; ``entry`` is the entry point (default: the WebService response)."""
    doel = Path(werkmap) / f"magda-xsd-{versie}"
    if not doel.exists():
        shutil.copytree(xsd_map(versie), doel)
        simple = doel / f"KBI-{versie}/KBISimple.xsd"
        tekst = simple.read_text(encoding="utf-8")
        start = tekst.index('<xs:simpleType name="InszType">')
        restrictie = tekst.index('<xs:restriction base="xs:string">', start)
        invoeg = restrictie + len('<xs:restriction base="xs:string">')
        simple.write_text(tekst[:invoeg] + INSZ_TST_PATROON + tekst[invoeg:], encoding="utf-8")
        for pad in doel.rglob("*.xsd"):
            pad.chmod(0o644)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(doel / (entry or ingang(versie))), parser))
