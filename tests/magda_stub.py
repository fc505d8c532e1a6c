"""A stand-in for the real platform in tests: serves the real-format samples over HTTP.

It answers as MAGDA would: the sample for the asked INSZ (``notfound.xml`` otherwise) in
a SOAP 1.1 envelope, with the question's Refertes echoed. Switches make it misbehave:
``too_many`` answers 99996 that many times first, ``warning`` adds a WAARSCHUWING,
``referte`` overrides the echoed Referte, ``antwoord`` replaces the whole reply.
"""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from lxml import etree

from .reference import SAMPLES

NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


class MagdaStub:
    def __init__(self, samples: Path = SAMPLES, tls: ssl.SSLContext | None = None) -> None:
        self.samples = samples
        self.verzoeken: list[bytes] = []
        self.too_many = 0
        self.warning = False
        self.referte: str | None = None
        self.antwoord: tuple[int, bytes] | None = None
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stub.verzoeken.append(body)
                status, antwoord = stub.answer(body)
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(antwoord)))
                self.end_headers()
                self.wfile.write(antwoord)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        schema = "https" if tls is not None else "http"
        self.url = f"{schema}://127.0.0.1:{self.server.server_address[1]}"
        # shutdown() waits for the loop's next poll: 0.05 s instead of the default 0.5 s
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, body: bytes) -> tuple[int, bytes]:
        if self.antwoord is not None:
            return self.antwoord
        verzoek = etree.fromstring(body).find(f"{{{NS_SOAP}}}Body/*/Verzoek")
        insz = verzoek.findtext("Vragen/Vraag/Inhoud/INSZ")
        vraag_referte = verzoek.findtext("Vragen/Vraag/Referte")
        afzender_referte = verzoek.findtext("Context/Bericht/Afzender/Referte")
        file = self.samples / f"{insz}.xml"
        if self.too_many > 0:
            self.too_many -= 1
            file = self.samples / "91610100176.xml"
        elif not file.exists():
            file = self.samples / "notfound.xml"
        antwoord = etree.parse(str(file)).getroot()
        for referte in antwoord.iterfind("Repliek/Antwoorden/Antwoord/Referte"):
            referte.text = self.referte or vraag_referte
        for referte in antwoord.iterfind("Repliek/Context/Bericht/Ontvanger/Referte"):
            referte.text = self.referte or afzender_referte
        if self.warning:
            antwoord_el = antwoord.find("Repliek/Antwoorden/Antwoord")
            items = etree.SubElement(antwoord_el, "Uitzonderingen")
            u = etree.SubElement(items, "Uitzondering")
            for name, value in (
                ("Identificatie", "30101"),
                ("Oorsprong", "KBI"),
                ("Type", " WAARSCHUWING "),
                ("Diagnose", "Gegevens mogelijk onvolledig"),
            ):
                etree.SubElement(u, name).text = value
        envelope = etree.Element(f"{{{NS_SOAP}}}Envelope", nsmap={"soapenv": NS_SOAP})
        etree.SubElement(envelope, f"{{{NS_SOAP}}}Body").append(antwoord)
        return 200, etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
