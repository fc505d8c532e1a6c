"""Runs the emulator under gunicorn, the production WSGI server, from Python."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, applicatie, opties: dict) -> None:
        self.applicatie, self.opties = applicatie, opties
        super().__init__()

    def load_config(self) -> None:
        for sleutel, waarde in self.opties.items():
            self.cfg.set(sleutel, waarde)

    def load(self):
        return self.applicatie  # built (and the personas checked) before the workers fork


def serveer(wsgi, host: str, port: int, workers: int) -> None:
    _Gunicorn(
        wsgi,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": 4,
            "graceful_timeout": 10,
            "accesslog": None,
            "loglevel": "warning",
        },
    ).run()
