"""The ceiling for the load benchmark: a WSGI app that returns fixed bytes (CANNED_REPLY)."""

import os

REPLY = open(os.environ["CANNED_REPLY"], "rb").read()  # noqa: SIM115 - read once
HEADERS = [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(REPLY)))]


def app(environ, start_response):
    environ["wsgi.input"].read()
    start_response("200 OK", HEADERS)
    return [REPLY]
