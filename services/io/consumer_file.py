"""The consumers file (``--consumers FILE``): more consumers beside the built-in ones.

Reading a file is I/O, so it lives here and not beside the pure protocol decisions in
:mod:`magda_kbi.domain.consumers`.
"""

from __future__ import annotations

from pathlib import Path

from magda_kbi.domain.consumers import Afnemer, ConsumerKind
from magda_kbi.domain.municipalities import is_nis_code, nis_hint
from magda_kbi.io.personas import MAX_FILE_BYTES, not_utf8, read_yaml
from magda_kbi.io.schemas import InputError, build, text_xml_cannot_hold, unknown_field


class ConsumersFileError(InputError):
    """What is wrong with the consumers file ``path`` (its line names it, as a persona
    file's does: in a SIGHUP's refusal among the persona files, it said only 'consumers')."""

    def __init__(self, path: Path, error: InputError) -> None:
        super().__init__(error.field, error.reason)
        self.path = path


def load_consumers(path: Path) -> list[Afnemer]:
    """A YAML file ``afnemers: [{afzender, hoedanigheid, soort, naam, nis | zorgkas}]``."""
    try:
        return _afnemers(path)
    except InputError as error:
        raise ConsumersFileError(path, error) from None


def _afnemers(path: Path) -> list[Afnemer]:
    try:
        # at most one byte past the bound: a device given as the file (/dev/zero) was read
        # until memory ran out; /dev/stdin and a pipe still work
        with path.open("rb") as handle:
            content = handle.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            raise InputError("-", f"larger than {MAX_FILE_BYTES} bytes: a consumers file is small")
        data = read_yaml(content.decode("utf-8"))
    except OSError as error:
        raise InputError("-", f"cannot read it: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise InputError("-", not_utf8(error)) from None
    # another key beside or instead of it ('afnemer') was passed over without a word
    unknown = [k for k in data if k != "afnemers"] if isinstance(data, dict) else []
    if unknown:
        raise InputError(str(unknown[0]), unknown_field(str(unknown[0]), ["afnemers"]))
    if not isinstance(data, dict) or not isinstance(data.get("afnemers"), list):
        raise InputError("afnemers", "expected a mapping with a list 'afnemers'")
    consumers = build(tuple[Afnemer, ...], data["afnemers"], "afnemers")
    # a ZORGKAS's zorgkas heads its premium list in XML: lxml refused it after the 200
    if (unwritable := text_xml_cannot_hold(consumers, "afnemers")) is not None:
        raise unwritable
    seen: dict[tuple[str, str], int] = {}
    for i, a in enumerate(consumers):  # what one field's type cannot say
        for verplicht in ("afzender", "hoedanigheid", "naam"):
            if not getattr(a, verplicht).strip():
                raise InputError(f"afnemers[{i}].{verplicht}", "required text")
        for compared, whose in (
            ("afzender", "a call's Afzender is read"),  # stripped
            ("hoedanigheid", "a call's Hoedanigheid is read"),
            ("zorgkas", "a persona's membership names it"),
        ):
            value = getattr(a, compared)
            if value is not None and value != value.strip():  # ' a.be ' matched no call
                raise InputError(
                    f"afnemers[{i}].{compared}",
                    f"{value!r} has spaces around it: {whose} without them, so none would"
                    " be this consumer's",
                )
        if a.soort is ConsumerKind.GEMEENTE and not is_nis_code(a.nis or ""):
            hint = nis_hint(a.nis or "")
            raise InputError(
                f"afnemers[{i}].nis", f"a GEMEENTE needs its NIS code (5 digits){hint}"
            )
        if a.soort is ConsumerKind.ZORGKAS and not a.zorgkas:
            raise InputError(f"afnemers[{i}].zorgkas", "a ZORGKAS needs its identifier")
        # what another kind's protocol reads was taken and passed over (a zorgkas "of" a
        # municipality was listed with its NIS code, and still got every member's list)
        if a.nis is not None and a.soort is not ConsumerKind.GEMEENTE:
            raise InputError(
                f"afnemers[{i}].nis", f"only a GEMEENTE has a NIS code, not a {a.soort.value}"
            )
        if a.zorgkas is not None and a.soort is not ConsumerKind.ZORGKAS:
            raise InputError(
                f"afnemers[{i}].zorgkas", f"only a ZORGKAS has a zorgkas, not a {a.soort.value}"
            )
        earlier = seen.setdefault((a.afzender, a.hoedanigheid), i)
        if earlier != i:  # which one would a call from it be?
            raise InputError(
                f"afnemers[{i}]",
                f"{a.afzender} with Hoedanigheid {a.hoedanigheid} is afnemers[{earlier}] already",
            )
    return list(consumers)
