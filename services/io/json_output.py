"""Domain objects as JSON: the same shape as the persona YAML files (and back, via personas)."""

from __future__ import annotations

import dataclasses
from datetime import date
from enum import Enum
from typing import Any

from magda_kbi.domain.dossier import KbiDossier, Persona


def as_json(waarde: Any) -> Any:
    """Dataclasses to dicts (unset fields and empty lists left out), dates to ISO text."""
    if dataclasses.is_dataclass(waarde) and not isinstance(waarde, type):
        uit = {}
        for veld in dataclasses.fields(waarde):
            inhoud = getattr(waarde, veld.name)
            if inhoud is None or inhoud == ():
                continue
            uit[veld.name] = as_json(inhoud)
        return uit
    if isinstance(waarde, tuple | list):
        return [as_json(w) for w in waarde]
    if isinstance(waarde, Enum):
        return waarde.value
    if isinstance(waarde, date):
        return waarde.isoformat()
    return waarde


def dossier_json(dossier: KbiDossier) -> dict:
    return as_json(dossier)


def persona_json(persona: Persona) -> dict:
    """A persona in the shape of its YAML file (loadable again by the admin API)."""
    uit: dict[str, Any] = {
        "insz": persona.insz,
        "naam": persona.naam,
        "scenario": persona.scenario,
        "fout": persona.fout,
    }
    if persona.dossier is not None:
        dossier = as_json(persona.dossier)
        dossier.pop("insz", None)
        uit["dossier"] = dossier
    else:
        uit["dossier"] = None
    if persona.verwacht:
        uit["verwacht"] = as_json(persona.verwacht)
    gegevens = as_json(persona.gegevens)
    if gegevens:  # residences, memberships, contact, participation: needed by the protocols
        uit["gegevens"] = gegevens
    return uit
