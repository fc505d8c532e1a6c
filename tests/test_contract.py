"""Our WSDL/XSD contract: served for ?wsdl, loadable by zeep, valid for what we emit."""

import requests
import zeep
from lxml import etree

from magda_kbi.diensten import Omgeving, alle_diensten
from magda_kbi.wire.dossier_kbi import contractfout

from .soap import PAD_ADVIES, PAD_DOSSIER, PAD_DOSSIER_02


def test_wsdl_points_at_the_server(server):
    for pad in (PAD_DOSSIER, PAD_DOSSIER_02, PAD_ADVIES):
        r = requests.get(f"{server.url}{pad}?wsdl", timeout=5)
        assert r.status_code == 200
        wsdl = etree.fromstring(r.content)
        adres = wsdl.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address").get("location")
        assert adres == server.url + pad
        for locatie in wsdl.iter("{http://www.w3.org/2001/XMLSchema}import"):
            assert requests.get(locatie.get("schemaLocation"), timeout=5).status_code == 200


def test_xsd_files_are_served_and_nothing_else(server):
    for bestand in ("xsd/KBI-02.00.xsd", "GeefDossierKBI-02.00.wsdl", "GeefDossierKBI-01.00.wsdl"):
        assert requests.get(f"{server.url}/wsdl/{bestand}", timeout=5).status_code == 200
    for pad in ("/wsdl/../cli.py", "/wsdl/xsd/../../services/cli.py", "/wsdl/xsd/nope.xsd"):
        assert requests.get(f"{server.url}{pad}", timeout=5).status_code == 404


def test_zeep_builds_every_service_from_the_served_wsdl(server):
    for pad, operatie in (
        (PAD_DOSSIER, "GeefDossierKBI"),
        (PAD_DOSSIER_02, "GeefDossierKBI"),
        (PAD_ADVIES, "GeefAutomatischAdvies"),
    ):
        client = zeep.Client(f"{server.url}{pad}?wsdl")
        assert operatie in client.service._binding._operations


def test_our_fixtures_validate_against_our_xsd(catalogus):
    for persona in catalogus.values():
        if persona.dossier is not None:
            assert contractfout(persona.dossier) is None, persona.insz


def test_service_paths_follow_magda_layout():
    paden = [d.contract.pad for d in alle_diensten(Omgeving({})) if d.contract.pad]
    assert paden == [PAD_DOSSIER, PAD_DOSSIER_02, PAD_ADVIES]


def test_health(server):
    r = requests.get(f"{server.url}/health", timeout=5)
    assert r.status_code == 200
    assert r.json()["personas"] >= 16 and r.json()["vandaag"] == "2030-01-01"
