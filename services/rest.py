"""Flask adapter: the HTTP routes that are not SOAP (health now; the REST API builds on it)."""

from __future__ import annotations

from flask import Flask, jsonify

from . import __version__
from .diensten import Omgeving


def rest_applicatie(omgeving: Omgeving) -> Flask:
    app = Flask("magda_kbi")

    @app.get("/health")
    def health():
        return jsonify(
            status="ok",
            versie=__version__,
            personas=len(omgeving.personas),
            vandaag=omgeving.klok.vandaag().isoformat(),
        )

    @app.errorhandler(404)
    def niet_gevonden(_fout):
        return jsonify(code="NIET_GEVONDEN", diagnose="Onbekend adres"), 404

    @app.errorhandler(405)
    def niet_toegelaten(_fout):
        return jsonify(code="METHODE_NIET_TOEGELATEN", diagnose="Methode niet toegelaten"), 405

    return app
