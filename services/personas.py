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

FOUTEN = (None, "99996", "SOAP_FAULT")
MAX_BESTAND = 1024 * 1024  # a persona file is small; refuse anything absurd


class FixtureFout(ValueError):
    def __init__(self, bestand: str, veld: str, reden: str) -> None:
        super().__init__(f"{bestand}: {veld}: {reden}")
        self.bestand, self.veld, self.reden = bestand, veld, reden


class _Fout(ValueError):
    """A field error inside one file; the loader adds the file name."""

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
            raise FixtureFout(str(map_), "-", "is geen map met persona-bestanden")
        for pad in sorted(map_.glob("*.yaml")):
            persona = laad_bestand(pad)
            if persona.insz in catalogus:
                raise FixtureFout(
                    str(pad), "insz", f"{persona.insz} staat al in {herkomst[persona.insz]}"
                )
            catalogus[persona.insz] = persona
            herkomst[persona.insz] = pad
    return catalogus


def laad_bestand(pad: Path) -> Persona:
    try:
        if pad.stat().st_size > MAX_BESTAND:
            raise _Fout("-", f"bestand groter dan {MAX_BESTAND} bytes")
        try:
            data = yaml.safe_load(pad.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise _Fout("-", f"geen geldige YAML: {exc}") from exc
        return persona_uit_data(data)
    except _Fout as fout:
        raise FixtureFout(str(pad), fout.veld, fout.reden) from None


def persona_uit_data(data: Any) -> Persona:
    """Builds and checks one persona from its parsed YAML/JSON mapping."""
    velden = _mapping(data, "")
    _geen_onbekende(velden, {"insz", "scenario", "naam", "fout", "dossier", "verwacht"}, "")
    insz = velden.get("insz")
    if not isinstance(insz, str):
        raise _Fout("insz", "verplicht, als tekst tussen aanhalingstekens (bv. \"98630499724\")")
    if not is_testnummer(insz):
        raise _Fout(
            "insz",
            f"{insz} is geen MAGDA-testnummer (11 cijfers, modulo 97, maandcijfers 61-72)",
        )
    scenario = velden.get("scenario")
    if not isinstance(scenario, str) or not scenario.strip():
        raise _Fout("scenario", "verplicht: één regel die zegt wat de persona toont")
    fout = velden.get("fout")
    if fout not in FOUTEN:
        raise _Fout("fout", f"moet leeg, '99996' of 'SOAP_FAULT' zijn, niet {fout!r}")
    dossier = None
    if velden.get("dossier") is not None:
        dossier_data = dict(_mapping(velden["dossier"], "dossier"))
        if "insz" in dossier_data:
            raise _Fout("dossier.insz", "het INSZ staat bovenaan het bestand, niet in het dossier")
        dossier_data["insz"] = insz
        dossier = _bouw(KbiDossier, dossier_data, "dossier")
    naam = velden.get("naam")
    if naam is None and dossier is not None:
        p = dossier.personalia
        naam = " ".join((*p.voornamen[:1], *p.achternamen))
    if not isinstance(naam, str) or not naam:
        raise _Fout("naam", "verplicht wanneer er geen dossier is")
    verwacht = tuple(
        _verwacht(item, f"verwacht[{i}]")
        for i, item in enumerate(_lijst(velden.get("verwacht") or [], "verwacht"))
    )
    return Persona(insz=insz, scenario=scenario.strip(), dossier=dossier, fout=fout,
                   naam=naam, verwacht=verwacht)


def _verwacht(data: Any, pad: str) -> VerwachtAdvies:
    verwacht = _bouw(VerwachtAdvies, data, pad)
    if verwacht.resultaat not in Resultaat.__members__:
        raise _Fout(f"{pad}.resultaat", "moet OK of NOK zijn")
    if verwacht.toepassing not in Toepassing.__members__:
        raise _Fout(f"{pad}.toepassing", f"onbekend: {verwacht.toepassing}")
    if verwacht.resultaat == "NOK" and verwacht.reden not in Reden.__members__:
        raise _Fout(f"{pad}.reden", f"NOK vraagt een reden uit {', '.join(Reden)}")
    if verwacht.resultaat == "OK" and verwacht.reden is not None:
        raise _Fout(f"{pad}.reden", "een OK-advies heeft geen reden")
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
            raise _Fout(veldpad, "verplicht veld ontbreekt")
    resultaat = cls(**waarden)
    if isinstance(resultaat, Periode) and resultaat.einde and resultaat.einde < resultaat.begin:
        raise _Fout(f"{pad}.einde", "valt voor het begin van de periode")
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
        raise _Fout(pad, "mag niet leeg zijn")
    if dataclasses.is_dataclass(tp):
        return _bouw(tp, data, pad)
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(data)
        except ValueError:
            raise _Fout(pad, f"{data!r} is niet één van {', '.join(m.value for m in tp)}") from None
    if tp is date:
        if isinstance(data, date):
            return data
        try:
            return date.fromisoformat(str(data))
        except ValueError:
            raise _Fout(pad, f"{data!r} is geen datum (JJJJ-MM-DD)") from None
    if tp is bool:
        if not isinstance(data, bool):
            raise _Fout(pad, f"{data!r} is geen true/false")
        return data
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise _Fout(pad, f"{data!r} is geen geheel getal")
        return data
    if tp is str:
        if isinstance(data, bool) or not isinstance(data, str | int):
            raise _Fout(pad, f"{data!r} is geen tekst")
        return str(data)
    raise _Fout(pad, f"type {tp} wordt niet ondersteund")  # a model change not mirrored here


def _mapping(data: Any, pad: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _Fout(pad or "-", "verwacht een mapping (sleutel: waarde)")
    return data


def _lijst(data: Any, pad: str) -> list[Any]:
    if not isinstance(data, list):
        raise _Fout(pad, "verwacht een lijst")
    return data


def _geen_onbekende(velden: Mapping[str, Any], toegelaten: set[str], pad: str) -> None:
    onbekend = sorted(set(map(str, velden)) - toegelaten)
    if onbekend:
        raise _Fout(
            f"{pad}.{onbekend[0]}" if pad else onbekend[0],
            f"onbekend veld (toegelaten: {', '.join(sorted(toegelaten))})",
        )
