"""MAGDA KBI emulator: GeefDossierKBI (02.00 and 01.00) and Automatisch advies for test personas.

Layers, data flowing one way (request -> parse -> domain -> render -> response):

- ``domain``: the dossier model and the advice rule set (pure, no XML, no I/O);
- ``wire``: lxml parsers and builders per MAGDA message;
- ``runtime``: the services' decisions (``diensten``, routed on Context/Naam + Versie), the
  journal, faults, clock and store;
- ``adapters``: the WSGI dispatcher (``app``), spyne, Flask, the console, ``cli``;
- ``io``: the persona, consumer and population files and the export formats.
ARCHITECTURE.md has the whole picture.
"""

__version__ = "0.1.0"
