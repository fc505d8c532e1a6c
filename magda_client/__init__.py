"""A zeep client for MAGDA's GeefDossierKBI (02.00, or 01.00) and Automatisch advies.

Write your integration once, test it against the emulator, point it at the real platform::

    from magda_client import MagdaClient

    client = MagdaClient("http://127.0.0.1:8080", afzender="mijn.zorgkas.be", hoedanigheid="1234")
    advies = client.geef_automatisch_advies("73680599786", "2024-01-01")
    print(advies.resultaat, advies.reden_code)
"""

from .client import MagdaClient, Ondertekening, Signing
from .errors import (
    DossierNietGevonden,
    GeenMachtiging,
    MagdaError,
    MagdaFout,
    MagdaTransportFout,
    OngeldigVerzoek,
    TeVeelBevragingen,
)
from .results import (
    Advies,
    Attest,
    Contract,
    Doelgroep,
    Inbreuk,
    KbiDossier,
    Traject,
    TrajectOnderdeel,
    Uitzondering,
)

__all__ = [
    "Advies",
    "Attest",
    "Contract",
    "Doelgroep",
    "DossierNietGevonden",
    "GeenMachtiging",
    "Inbreuk",
    "KbiDossier",
    "MagdaClient",
    "MagdaError",
    "MagdaFout",
    "MagdaTransportFout",
    "Ondertekening",
    "OngeldigVerzoek",
    "Signing",
    "TeVeelBevragingen",
    "Traject",
    "TrajectOnderdeel",
    "Uitzondering",
]
