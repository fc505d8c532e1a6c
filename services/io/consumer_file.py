"""The consumers file (``--consumers FILE``): more consumers beside the built-in ones.

Reading a file is I/O, so it lives here and not beside the pure protocol decisions in
:mod:`magda_kbi.domain.consumers`.
"""

from __future__ import annotations

from pathlib import Path

from magda_kbi.domain.consumers import Afnemer, Soort
from magda_kbi.io.personas import PersonaFout, lees_yaml


def laad_afnemers(pad: Path) -> list[Afnemer]:
    """A YAML file ``afnemers: [{afzender, hoedanigheid, soort, naam, nis | zorgkas}]``."""
    try:
        data = lees_yaml(pad.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as fout:
        raise PersonaFout("-", f"cannot read {pad}: {fout}") from None
    if not isinstance(data, dict) or not isinstance(data.get("afnemers"), list):
        raise PersonaFout("afnemers", "expected a mapping with a list 'afnemers'")
    afnemers = []
    for i, item in enumerate(data["afnemers"]):
        veld = f"afnemers[{i}]"
        if not isinstance(item, dict):
            raise PersonaFout(veld, "expected a mapping")
        onbekend = sorted(
            set(item) - {"afzender", "hoedanigheid", "soort", "naam", "nis", "zorgkas"}
        )
        if onbekend:
            raise PersonaFout(f"{veld}.{onbekend[0]}", "unknown field")
        try:
            soort = Soort(item.get("soort"))
        except ValueError:
            raise PersonaFout(f"{veld}.soort", f"one of {', '.join(Soort)}") from None
        for verplicht in ("afzender", "hoedanigheid", "naam"):
            if not isinstance(item.get(verplicht), str | int) or not str(item[verplicht]):
                raise PersonaFout(f"{veld}.{verplicht}", "required text")
        nis, zorgkas = item.get("nis"), item.get("zorgkas")
        if soort is Soort.GEMEENTE and not (isinstance(nis, str | int) and str(nis).isdigit()):
            raise PersonaFout(f"{veld}.nis", "a GEMEENTE needs its NIS code")
        if soort is Soort.ZORGKAS and not zorgkas:
            raise PersonaFout(f"{veld}.zorgkas", "a ZORGKAS needs its identifier")
        afnemers.append(
            Afnemer(
                str(item["afzender"]),
                str(item["hoedanigheid"]),
                soort,
                str(item["naam"]),
                str(nis) if nis else None,
                str(zorgkas) if zorgkas else None,
            )
        )
    return afnemers
