"""MAGDA KBI emulator: GeefDossierKBI (02.00 and 01.00) and Automatisch advies for test personas.

Layers, data flowing one way (request -> parse -> domain -> render -> response):

- ``domain``: the dossier model and the advice rule set (pure, no XML, no I/O);
- ``wire``: lxml parsers and builders per MAGDA message;
- ``diensten``: one class per MAGDA service, routed on Context/Naam + Versie;
- adapters: ``soap`` (spyne), ``app`` (the WSGI dispatcher), Flask, ``cli``;
- ``personas``: the fixtures loader. ARCHITECTURE.md has the whole picture.
"""

__version__ = "0.1.0"
