"""Loads and validates the persona files (YAML, one person per file) into the domain.

A bad file stops start-up with a :class:`FixtureFout` naming the file, the field
(a path such as ``dossier.doelgroepen[0].periode.begin``) and the reason. The YAML
keys are the domain dataclasses' field names, so the model is the schema.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterable, Mapping
from datetime import date
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .advies import Reden, Resultaat, Toepassing
from .dossier import Code, KbiDossier, Periode, Persona, VerwachtAdvies
from .insz import is_testnummer
from .wire.dossier_kbi import contractfout

FOUTEN = (None, "99996", "SOAP_FAULT")
MAX_BESTAND = 1024 * 1024  # a persona file is small; refuse anything absurd


class _Lezer(yaml.SafeLoader):
    """YAML's safe loader, but dates stay text: the builder checks them with their field path."""


_Lezer.yaml_implicit_resolvers = {
    teken: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for teken, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class FixtureFout(ValueError):
    def __init__(self, bestand: str, veld: str, reden: str) -> None:
        super().__init__(f"{bestand}: {veld}: {reden}")
        self.bestand, self.veld, self.reden = bestand, veld, reden


class PersonaFout(ValueError):
    """A field error in one persona; the file loader adds the file name."""

    def __init__(self, veld: str, reden: str) -> None:
        super().__init__(reden)
        self.veld, self.reden = veld, reden


def ingebouwde_map() -> Path:
    return Path(str(resources.files("magda_kbi.fixtures") / "personas"))


def laad_personas(mappen: Iterable[Path]) -> dict[str, Persona]:
    """All ``*.yaml`` files of the folders, in order; an INSZ may appear only once."""
    catalogus: dict[str, Persona] = {}
    herkomst: dict[str, Path] = {}
    for map_ in mappen:
        if not map_.is_dir():
            raise FixtureFout(str(map_), "-", "is not a folder of persona files")
        for pad in sorted(map_.glob("*.yaml")):
            persona = laad_bestand(pad)
            if persona.insz in catalogus:
                raise FixtureFout(
                    str(pad),
                    "insz",
                    f"{persona.insz} is already defined in {herkomst[persona.insz]}",
                )
            catalogus[persona.insz] = persona
            herkomst[persona.insz] = pad
    return catalogus


def laad_bestand(pad: Path) -> Persona:
    try:
        if pad.stat().st_size > MAX_BESTAND:
            raise PersonaFout("-", f"file larger than {MAX_BESTAND} bytes")
        try:
            tekst = pad.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise PersonaFout("-", f"not UTF-8 text: {exc}") from None
        return persona_uit_data(lees_yaml(tekst))
    except PersonaFout as fout:
        raise FixtureFout(str(pad), fout.veld, fout.reden) from None


def lees_yaml(tekst: str) -> Any:
    """YAML (or JSON, a subset) as the persona files are read; dates stay text."""
    try:
        return yaml.load(tekst, Loader=_Lezer)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise PersonaFout("-", f"not valid YAML: {exc}") from None
    except RecursionError:
        raise PersonaFout("-", "nested too deeply") from None


def persona_uit_data(data: Any) -> Persona:
    """Builds and checks one persona from its parsed YAML/JSON mapping.

    The checks are those of start-up: fields, types, dates, a MAGDA test number, expected
    answers, and the dossier against our KBI contract.
    """
    velden = _mapping(data, "")
    _geen_onbekende(velden, {"insz", "scenario", "naam", "fout", "dossier", "verwacht"}, "")
    insz = velden.get("insz")
    if not isinstance(insz, str):
        raise PersonaFout("insz", 'required, as a quoted string (e.g. "98630499724")')
    if not is_testnummer(insz):
        raise PersonaFout(
            "insz",
            f"{insz} is not a MAGDA test number (11 digits, modulo 97, month digits 61-72)",
        )
    scenario = velden.get("scenario")
    if not isinstance(scenario, str) or not scenario.strip():
        raise PersonaFout("scenario", "required: one line saying what the persona shows")
    fout = velden.get("fout")
    if fout not in FOUTEN:
        raise PersonaFout("fout", f"must be empty, '99996' or 'SOAP_FAULT', not {fout!r}")
    dossier = None
    if velden.get("dossier") is not None:
        dossier_data = dict(_mapping(velden["dossier"], "dossier"))
        if "insz" in dossier_data:
            raise PersonaFout(
                "dossier.insz", "the INSZ goes at the top of the file, not in the dossier"
            )
        dossier_data["insz"] = insz
        dossier = _bouw(KbiDossier, dossier_data, "dossier")
    naam = velden.get("naam")
    if naam is None and dossier is not None:
        p = dossier.personalia
        naam = " ".join((*p.voornamen[:1], *p.achternamen))
    if not isinstance(naam, str) or not naam:
        raise PersonaFout("naam", "required when there is no dossier")
    verwacht = tuple(
        _verwacht(item, f"verwacht[{i}]")
        for i, item in enumerate(_lijst(velden.get("verwacht") or [], "verwacht"))
    )
    if dossier is not None and (afwijking := contractfout(dossier)) is not None:
        pad, reden = afwijking
        raise PersonaFout(f"dossier ({pad})", f"does not fit the KBI contract: {reden}")
    return Persona(
        insz=insz,
        scenario=scenario.strip(),
        dossier=dossier,
        fout=fout,
        naam=naam,
        verwacht=verwacht,
    )


def _verwacht(data: Any, pad: str) -> VerwachtAdvies:
    verwacht = _bouw(VerwachtAdvies, data, pad)
    if verwacht.resultaat not in Resultaat.__members__:
        raise PersonaFout(f"{pad}.resultaat", "must be OK or NOK")
    if verwacht.toepassing not in Toepassing.__members__:
        raise PersonaFout(f"{pad}.toepassing", f"unknown: {verwacht.toepassing}")
    if verwacht.resultaat == "NOK" and verwacht.reden not in Reden.__members__:
        raise PersonaFout(f"{pad}.reden", f"NOK needs a reden, one of {', '.join(Reden)}")
    if verwacht.resultaat == "OK" and verwacht.reden is not None:
        raise PersonaFout(f"{pad}.reden", "an OK advice has no reden")
    return verwacht


# -- a small builder from mappings to the (frozen) domain dataclasses -------------------


def _bouw(cls: type, data: Any, pad: str) -> Any:
    if cls is Code and isinstance(data, str | int):
        return Code(code=str(data))  # shorthand: a bare code without labels
    velden = _mapping(data, pad)
    hints = typing.get_type_hints(cls)
    dc_velden = {f.name: f for f in dataclasses.fields(cls)}
    _geen_onbekende(velden, set(dc_velden), pad)
    waarden = {}
    for naam, veld in dc_velden.items():
        veldpad = f"{pad}.{naam}" if pad else naam
        if naam in velden:
            waarden[naam] = _waarde(hints[naam], velden[naam], veldpad)
        elif veld.default is dataclasses.MISSING and veld.default_factory is dataclasses.MISSING:
            raise PersonaFout(veldpad, "required field is missing")
    resultaat = cls(**waarden)
    if isinstance(resultaat, Periode) and resultaat.einde and resultaat.einde < resultaat.begin:
        raise PersonaFout(f"{pad}.einde", "is before the begin of the period")
    return resultaat


def _waarde(tp: Any, data: Any, pad: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        opties = [a for a in typing.get_args(tp) if a is not type(None)]
        if data is None:
            return None
        return _waarde(opties[0], data, pad)
    if origin is tuple:
        (element, _) = typing.get_args(tp)
        return tuple(_waarde(element, v, f"{pad}[{i}]") for i, v in enumerate(_lijst(data, pad)))
    if data is None:
        raise PersonaFout(pad, "must not be empty")
    if dataclasses.is_dataclass(tp):
        return _bouw(tp, data, pad)
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(data)
        except ValueError:
            raise PersonaFout(
                pad, f"{data!r} is not one of {', '.join(m.value for m in tp)}"
            ) from None
    if tp is date:
        if isinstance(data, date):
            return data
        try:
            return date.fromisoformat(str(data))
        except ValueError:
            raise PersonaFout(pad, f"{data!r} is not a date (YYYY-MM-DD)") from None
    if tp is bool:
        if not isinstance(data, bool):
            raise PersonaFout(pad, f"{data!r} is not true/false")
        return data
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise PersonaFout(pad, f"{data!r} is not an integer")
        return data
    if tp is str:
        if isinstance(data, bool) or not isinstance(data, str | int):
            raise PersonaFout(pad, f"{data!r} is not text")
        return str(data)
    raise PersonaFout(pad, f"type {tp} is not supported")  # a model change not mirrored here


def _mapping(data: Any, pad: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise PersonaFout(pad or "-", "expected a mapping (key: value)")
    return data


def _lijst(data: Any, pad: str) -> list[Any]:
    if not isinstance(data, list):
        raise PersonaFout(pad, "expected a list")
    return data


def _geen_onbekende(velden: Mapping[str, Any], toegelaten: set[str], pad: str) -> None:
    onbekend = sorted(set(map(str, velden)) - toegelaten)
    if onbekend:
        raise PersonaFout(
            f"{pad}.{onbekend[0]}" if pad else onbekend[0],
            f"unknown field (allowed: {', '.join(sorted(toegelaten))})",
        )
