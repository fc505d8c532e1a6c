"""Typed errors: what went wrong, as MAGDA said it, or that no MAGDA answer came at all."""

from __future__ import annotations


class MagdaError(Exception):
    """The root of every error of this client: catch this one to catch them all."""

    # The Referte of the call that failed (MAGDA's helpdesk finds the call by it); None for
    # what the client refused before sending.
    referte: str | None = None


class MagdaFout(MagdaError):
    """MAGDA answered with an Uitzondering of Type FOUT."""

    def __init__(
        self,
        diagnose: str,
        *,
        code: str | None = None,
        oorsprong: str | None = None,
        type: str = "FOUT",
    ) -> None:
        super().__init__(f"{code}: {diagnose}" if code else diagnose)
        self.code, self.oorsprong, self.type, self.diagnose = code, oorsprong, type, diagnose


class DossierNietGevonden(MagdaFout):
    """30001: "Geen gegevens gevonden voor de vraag"."""


class TeVeelBevragingen(MagdaFout):
    """99996 or 99995: "Te veel gelijktijdige bevragingen" (raised once the retries are
    spent)."""


class GeenMachtiging(MagdaFout):
    """13001: "Geen machtiging van de afzender in deze hoedanigheid voor de gevraagde dienst":
    this Afzender with this Hoedanigheid has no protocol for the service."""


class OngeldigVerzoek(MagdaFout):
    """The request was refused as invalid: by MAGDA, or by this client before sending."""


class MagdaTransportFout(MagdaError):
    """No usable MAGDA answer: timeout, connection or HTTP error, SOAP Fault, unreadable reply."""

    def __init__(self, message: str, *, status: int | None = None, fault: str | None = None):
        super().__init__(message)
        self.status, self.fault = status, fault
