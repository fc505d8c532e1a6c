"""Domain objects as JSON: the same shape as the persona YAML files (and back, via personas).

pydantic writes them, through the same ``TypeAdapter``s that read them (``schemas``)."""

from __future__ import annotations

from typing import Any

from magda_kbi.domain.advies import ARREST_112_2023, REGELS, Advies
from magda_kbi.domain.dossier import KbiDossier, Persona, Persoonsgegevens, VerwachtAdvies
from magda_kbi.io.schemas import dump


def dossier_json(dossier: KbiDossier) -> dict:
    return dump(KbiDossier, dossier)


def advies_json(insz: str, advies: Advies, *, rule: bool = True) -> dict:
    """An advice as the REST face and ``magda-kbi advies --json`` give it; ``rule=False``
    under a protocol, which allows OK/NOK and the reason only."""
    out: dict[str, Any] = {
        "insz": insz,
        "peildatum": advies.peildatum.isoformat(),
        "resultaat": advies.resultaat.value,
        "reden": (
            {"code": advies.reden.value, "omschrijving": advies.omschrijving}
            if advies.reden is not None
            else None
        ),
    }
    if rule:
        out["rule"] = {"number": advies.regel, "text": REGELS[advies.regel]}
    if advies.regel == 0:  # the rule set after the ruling: say which ruling
        out["informatie"] = ARREST_112_2023
    return out


def persona_json(persona: Persona) -> dict:
    """A persona in the shape of its YAML file (loadable again by the admin API)."""
    out: dict[str, Any] = {
        "insz": persona.insz,
        "naam": persona.naam,
        "scenario": persona.scenario,
        "fout": persona.fout,
    }
    if persona.dossier is not None:
        dossier = dossier_json(persona.dossier)
        dossier.pop("insz", None)
        out["dossier"] = dossier
    else:
        out["dossier"] = None
    if persona.verwacht:
        out["verwacht"] = dump(tuple[VerwachtAdvies, ...], persona.verwacht)
    gegevens = dump(Persoonsgegevens, persona.gegevens)
    if gegevens:  # residences, memberships, contact, participation: needed by the protocols
        out["gegevens"] = gegevens
    return out
