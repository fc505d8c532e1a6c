"""Deprecated, kept for one release: the first release's name of :mod:`magda_client.results`
(import the results from :mod:`magda_client`)."""

import warnings

from .results import (  # noqa: F401
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

warnings.warn(
    "magda_client.resultaten is deprecated: import from magda_client",
    DeprecationWarning,
    stacklevel=2,
)
