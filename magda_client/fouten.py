"""Deprecated, kept for one release: the first release's name of :mod:`magda_client.errors`
(import the errors from :mod:`magda_client`)."""

import warnings

from .errors import (  # noqa: F401
    DossierNietGevonden,
    GeenMachtiging,
    MagdaError,
    MagdaFout,
    MagdaTransportFout,
    OngeldigVerzoek,
    TeVeelBevragingen,
)

warnings.warn(
    "magda_client.fouten is deprecated: import from magda_client", DeprecationWarning, stacklevel=2
)
