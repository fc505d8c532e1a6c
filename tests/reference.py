"""The real MAGDA contract in ../shared/reference, for conformance checks (read, not copied)."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

SHARED = Path(__file__).resolve().parents[2] / "shared/reference"
REFERENCE = SHARED / "magda-kbi-01.00"
XSD_FOLDER = REFERENCE / "xsd"
SAMPLES = REFERENCE / "samples"

# MAGDA test numbers (month digits 61-72) fail only the KBI InszType pattern, which allows real
# national-register and bis-number months. As the reference README says, a conformance check may
# relax exactly that facet: we add one pattern for test numbers and change nothing else.
INSZ_TEST_PATTERN = '<xs:pattern value="[0-9]{2}(6[1-9]|7[0-2])[0-9]{7}"/>'


def xsd_folder(versie: str = "01.00") -> Path:
    return SHARED / f"magda-kbi-{versie}" / "xsd"


def entry_point(versie: str, variant: str = "WebService", bericht: str = "GeefDossierKBIResponse"):
    """The entry point of the real XSD set: ``variant`` WebService or Service, ``bericht``
    GeefDossierKBI (the request) or GeefDossierKBIResponse."""
    return f"Inburgering.GeefDossierKBIDienst-{versie}/{variant}/{bericht}.xsd"


def require(versie: str = "01.00") -> None:
    if not (xsd_folder(versie) / entry_point(versie)).exists():
        pytest.skip(f"the real MAGDA XSD is not at {xsd_folder(versie)} (clone without ../shared)")


@cache
def real_schema(workdir: str, versie: str = "01.00", entry: str | None = None) -> etree.XMLSchema:
    """The reference XSD set of ``versie``, copied to a scratch folder with the INSZ pattern
    relaxed; ``entry`` is the entry point (default: the WebService response)."""
    target = Path(workdir) / f"magda-xsd-{versie}"
    if not target.exists():
        # copied without the reference's modes: a read-only checkout of ../shared made a
        # read-only copy, which only root could then relax (a CI user: PermissionError)
        shutil.copytree(xsd_folder(versie), target, copy_function=shutil.copyfile)
        for folder in (target, *(d for d in target.rglob("*") if d.is_dir())):
            folder.chmod(0o755)
        simple = target / f"KBI-{versie}/KBISimple.xsd"
        text = simple.read_text(encoding="utf-8")
        start = text.index('<xs:simpleType name="InszType">')
        restrictie = text.index('<xs:restriction base="xs:string">', start)
        insertion = restrictie + len('<xs:restriction base="xs:string">')
        simple.write_text(text[:insertion] + INSZ_TEST_PATTERN + text[insertion:], encoding="utf-8")
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(target / (entry or entry_point(versie))), parser))
