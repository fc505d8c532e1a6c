"""The real MAGDA contract in ../shared/reference, for conformance checks (read, not copied)."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

REFERENTIE = Path(__file__).resolve().parents[2] / "shared/reference/magda-kbi-01.00"
XSD_MAP = REFERENTIE / "xsd"
INGANG = "Inburgering.GeefDossierKBIDienst-01.00/WebService/GeefDossierKBIResponse.xsd"
SAMPLES = REFERENTIE / "samples"

# MAGDA test numbers (month digits 61-72) fail only the KBI InszType pattern, which allows real
# national-register and bis-number months. As the reference README says, a conformance check may
# relax exactly that facet: we add one pattern for test numbers and change nothing else.
INSZ_TST_PATROON = '<xs:pattern value="[0-9]{2}(6[1-9]|7[0-2])[0-9]{7}"/>'


def vereist() -> None:
    if not (XSD_MAP / INGANG).exists():
        pytest.skip(f"the real MAGDA XSD is not at {XSD_MAP} (clone without ../shared)")


@cache
def echte_schema(werkmap: str) -> etree.XMLSchema:
    """The reference XSD set, copied to a scratch folder with the INSZ pattern relaxed."""
    doel = Path(werkmap) / "magda-xsd"
    if not doel.exists():
        shutil.copytree(XSD_MAP, doel)
        simple = doel / "KBI-01.00/KBISimple.xsd"
        tekst = simple.read_text(encoding="utf-8")
        start = tekst.index('<xs:simpleType name="InszType">')
        restrictie = tekst.index('<xs:restriction base="xs:string">', start)
        invoeg = restrictie + len('<xs:restriction base="xs:string">')
        simple.write_text(tekst[:invoeg] + INSZ_TST_PATROON + tekst[invoeg:], encoding="utf-8")
        for pad in doel.rglob("*.xsd"):
            pad.chmod(0o644)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(doel / INGANG), parser))
