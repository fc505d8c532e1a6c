"""Input checking and JSON output with pydantic: YAML/JSON data to the domain's own
dataclasses, and back.

The domain's dataclasses are the schema (the YAML keys are their field names); pydantic's
``TypeAdapter``s build them, about six times faster than the hand-written builder this
replaced (measured: 17 against 100 microseconds per persona dossier), and give the JSON
Schemas the OpenAPI document publishes. The domain stays unaware of pydantic: what input
needs beyond the field types (no unknown fields, a bare code as shorthand, a period that
does not end before it begins; as output, unset fields and empty lists left out) is
attached to its classes here, in one place.

Errors become :class:`InputError`: the field as a path (``dossier.doelgroepen[0].type``)
and the reason in words, as the persona, consumer and fault loaders have always said them.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import typing
from collections.abc import Iterable
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import core_schema

from magda_kbi.domain import dossier
from magda_kbi.domain.clock import iso_date
from magda_kbi.domain.consumers import Afnemer
from magda_kbi.domain.insz import is_eleven_digits, shown, unformatted

# Unknown fields are refused (a typo must not vanish silently); a number where text is
# expected (postcode: 3070) is that text.
INPUT_CONFIG = {"extra": "forbid", "coerce_numbers_to_str": True}
SCHEMA_REF = "#/components/schemas/{model}"


class InputError(ValueError):
    """``field`` is the field's path, ``-`` for the input as a whole."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason

    @property
    def message(self) -> str:
        """For a person to read: ``field F: why``, or just why for the whole input."""
        return self.reason if self.field == "-" else f"field {self.field}: {self.reason}"


def _empty(value: Any) -> bool:
    return value is None or value == ()


def _domain_schema(cls, source, handler) -> core_schema.CoreSchema:
    """A domain class as input and as JSON output. Output leaves unset fields and empty
    lists out (the persona files' shape) but keeps ``False``: pydantic's ``exclude_none``
    and ``exclude_defaults`` cannot say that, a field's own exclusion can."""
    inner = handler(source)
    may_be_empty = {f.name for f in dataclasses.fields(cls) if f.default in (None, ())}
    for field in inner["schema"]["fields"]:
        field["schema"] = _written_dates(field["schema"])
        if field["name"] in may_be_empty:  # a required field stays required in the schema
            field["serialization_exclude_if"] = _empty
    if cls is dossier.Code:
        return _code_schema(inner)
    if cls is dossier.KbiVestiging:
        return _interned_schema(inner)
    if cls is dossier.LesmomentVoorkeur:
        return _lesmoment_schema(inner)
    if "einde" in {f.name for f in dataclasses.fields(cls)}:
        return _periode_schema(inner)
    return inner


def _written_dates(schema: core_schema.CoreSchema) -> core_schema.CoreSchema:
    """A field's dates as the files write them: a YAML date or ``YYYY-MM-DD`` text. pydantic
    also reads a number as seconds since 1970 (``begin: 0`` was 1970-01-01), text such as
    ``2024-01-01T00:00:00`` and a datetime at midnight. In pydantic's own validators, not a
    Python function: loading a persona stays as fast (one was 20% slower). And its whole
    numbers without true and false, which pydantic reads as 1 and 0 (``geslacht: true``
    was a man)."""
    if schema["type"] == "date":
        return _WRITTEN_DATE
    if schema["type"] == "int" and not schema.get("strict"):
        return _whole_number(schema)
    if schema["type"] in ("default", "nullable"):
        schema["schema"] = _written_dates(schema["schema"])
    return schema


def _whole_number(lax: core_schema.CoreSchema) -> core_schema.CoreSchema:
    """An int as pydantic reads it (2, "2", 2.0), but for a bool: no strict int, float or
    text is one."""
    return core_schema.json_or_python_schema(
        json_schema=lax,
        python_schema=core_schema.union_schema(
            [
                {**lax, "strict": True},  # its bounds kept, were there any
                core_schema.chain_schema([core_schema.str_schema(strict=True), lax]),
                core_schema.chain_schema([core_schema.float_schema(strict=True), lax]),
            ],
            custom_error_type="int_parsing",  # one error, said as every number's
        ),
    )


_WRITTEN_DATE = core_schema.json_or_python_schema(
    json_schema=core_schema.date_schema(),  # what the JSON Schema says: a string, format date
    python_schema=core_schema.union_schema(
        [
            core_schema.date_schema(strict=True),  # a date, not a datetime
            core_schema.chain_schema(
                [
                    core_schema.str_schema(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
                    core_schema.date_schema(),
                ]
            ),
        ],
        custom_error_type="date_type",  # one error, said as every date's
    ),
)


def _code_schema(inner: core_schema.CoreSchema) -> core_schema.CoreSchema:
    """A bare code (``reden: HA``) is a Code without labels."""
    return core_schema.no_info_before_validator_function(
        lambda data: {"code": str(data)} if isinstance(data, str | int) else data,
        inner,
        json_schema_input_schema=core_schema.union_schema([core_schema.str_schema(), inner]),
        ref=inner.pop("ref"),  # every use of the class, not just the first, gets the wrapper
    )


def _lesmoment_schema(inner: core_schema.CoreSchema) -> core_schema.CoreSchema:
    """A bare code (``MAA_AVOND``) is a moment without Beschikbaar, and is written back as
    that code: the JSON of the moments stays the list of codes it was before Beschikbaar."""
    either = core_schema.union_schema([core_schema.str_schema(), inner])
    return core_schema.no_info_before_validator_function(
        lambda data: {"moment": data} if isinstance(data, str) else data,
        inner,
        json_schema_input_schema=either,
        serialization=core_schema.plain_serializer_function_ser_schema(
            lambda value: value.moment if value.beschikbaar is None else value,
            return_schema=either,
        ),
        ref=inner.pop("ref"),
    )


# A handful of offices recur in every dossier (three times in a generated one): one object
# each, not one per mention, keeps a population small (20,000 generated: 10-14 MB less).
_INTERNED: dict[Any, Any] = {}
_INTERNED_MAX = 10_000


def _interned_schema(inner: core_schema.CoreSchema) -> core_schema.CoreSchema:
    def one(value):
        if len(_INTERNED) >= _INTERNED_MAX:  # bounded: input cannot make it grow without end
            _INTERNED.clear()
        return _INTERNED.setdefault(value, value)

    return core_schema.no_info_after_validator_function(one, inner, ref=inner.pop("ref"))


def _periode_schema(inner: core_schema.CoreSchema) -> core_schema.CoreSchema:
    """A period (or a residence, a membership) does not end before it begins."""

    def begins_before_end(value):
        if value.einde is not None and value.einde < value.begin:
            raise ValueError("einde: is before the begin of the period")
        return value

    return core_schema.no_info_after_validator_function(
        begins_before_end, inner, ref=inner.pop("ref")
    )


def _domain_classes() -> list[type]:
    return [
        k
        for k in vars(dossier).values()
        if isinstance(k, type) and dataclasses.is_dataclass(k) and k.__module__ == dossier.__name__
    ]


for _klasse in _domain_classes():
    _klasse.__pydantic_config__ = INPUT_CONFIG  # type: ignore[attr-defined]
    _klasse.__get_pydantic_core_schema__ = classmethod(_domain_schema)  # type: ignore[attr-defined]
Afnemer.__pydantic_config__ = INPUT_CONFIG  # type: ignore[attr-defined]


@cache
def adapter(tp: Any) -> TypeAdapter:
    """One TypeAdapter per type: building one costs about 0.1 s."""
    return TypeAdapter(tp)


def dump(tp: Any, value: Any) -> Any:
    """``value`` (of type ``tp``) as JSON data: dates as ISO text, enums as their values."""
    return adapter(tp).dump_python(value, mode="json")


def build(tp: Any, data: Any, prefix: str = "") -> Any:
    """``data`` as ``tp``, or :class:`InputError` for the first thing wrong, its field path
    below ``prefix``."""
    try:
        return adapter(tp).validate_python(data)
    except ValidationError as error:
        raise input_error(error, tp, prefix) from None


_UNKNOWN = ("unexpected_keyword_argument", "extra_forbidden")


def input_error(invalid: ValidationError, tp: Any, prefix: str = "") -> InputError:
    """pydantic's first error in our words: the field as a path and the reason."""
    e = _first(invalid.errors(include_url=False))
    loc, kind, value = e["loc"], e["type"], e.get("input")
    field = _field_path(prefix, loc)
    if kind in _UNKNOWN:
        return InputError(field, unknown_field(str(loc[-1]), _fields(tp, loc[:-1])))
    if kind == "missing":
        return InputError(field, "required field is missing")
    if value is None:
        return InputError(field, "must not be empty")
    if kind == "value_error":
        reason = str(e["ctx"]["error"])
        below, _, rest = reason.partition(": ")
        if not rest:
            return InputError(field, reason)
        return InputError(below if field == "-" else f"{field}.{below}", rest)
    if kind in ("enum", "literal_error"):  # a Literal's was pydantic's "Input should be"
        expected = e["ctx"]["expected"]  # 'PLICHT', 'RECHT' or 'GEEN'
        written = as_written(value)
        return InputError(field, f"{written} is not one of {expected}{_nearest(value, expected)}")
    if kind == "date_type" and isinstance(value, str):
        try:
            iso_date(value)
        except ValueError as refusal:  # iso_date's words: also which number of 2023-02-29
            return InputError(field, str(refusal))
    if kind == "string_pattern_mismatch" and e["ctx"]["pattern"] == INSZ_PATTERN:
        # the regular expression was the explanation; an INSZ as printed is told its digits
        digits = unformatted(value)
        printed = f": {digits}" if digits != value and is_eleven_digits(digits) else ""
        return InputError(field, f"{shown(value)} is not an INSZ's 11 digits{printed}")
    reason = next((r for before, r in _REASONS if kind.startswith(before)), e["msg"])
    # a bound of 1 said as 1, not 1.0 (pydantic keeps a float field's bounds as floats)
    ctx = {
        k: int(v) if isinstance(v, float) and v.is_integer() else v
        for k, v in e.get("ctx", {}).items()
    }
    reason = reason.format(given=as_written(value), **ctx)
    # loc is empty where the whole value is wrong (a verwacht item that is 5, not a mapping)
    return InputError(field, reason + _CODE_HINTS.get((loc[-1] if loc else None, kind), ""))


# a code written as people say it: "M" for the sex the KBI gives as 1
_CODE_HINTS = {("geslacht", "int_parsing"): " (the KBI's code: 1 a man, 2 a woman)"}


def as_written(value: Any) -> str:
    """A value as a refusal repeats it: its repr, but true and false as JSON and YAML write
    them (a count of true was told "True is not an integer")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


INSZ_PATTERN = r"^[0-9]{11}$"  # an INSZ in the admin API's JSON (a fault's)

_REASONS = (
    # a bound in our words, as the others (pydantic's: "Input should be greater than ...")
    ("greater_than_equal", "{given} is less than {ge}"),
    ("greater_than", "{given} is not more than {gt}"),
    ("less_than_equal", "{given} is more than {le}"),
    ("less_than", "{given} is not less than {lt}"),
    ("date", "{given} is not a date (YYYY-MM-DD)"),
    ("bool", "{given} is not true/false"),
    ("int", "{given} is not an integer"),
    ("float", "{given} is not a number"),
    ("string_pattern", "{given} does not have the form {pattern}"),
    ("string", "{given} is not text"),
    ("dataclass", "expected a mapping (key: value)"),
    ("dict", "expected a mapping (key: value)"),
    ("model", "expected a mapping (key: value)"),
    ("tuple", "expected a list"),
    ("list", "expected a list"),
)


# What XML 1.0 cannot hold (outside its Char production): lxml refuses to write it, so a
# persona with it would fail every reply of its dossier
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def text_xml_cannot_hold(value: Any, prefix: str) -> InputError | None:
    """The first text in ``value`` (a dataclass, a tuple or list, text) with a character
    XML cannot hold (a control character, say), as an error below the field path ``prefix``."""
    # one search over every text first: building each text's path cost 0.07 ms of a
    # persona's 0.44 ms load; the paths are made only for a persona that fails
    if _NOT_XML.search("\x20".join(_texts(value))) is None:
        return None
    return _first_unwritable(value, prefix)


def _texts(value: Any) -> list[str]:
    """Every text in ``value``, in no particular order."""
    found, todo = [], [value]
    while todo:
        part = todo.pop()
        if isinstance(part, str):
            found.append(part)
        elif isinstance(part, tuple | list):
            todo.extend(part)
        elif names := _field_names(type(part)):
            todo.extend(getattr(part, name) for name in names)
    return found


@cache
def _field_names(tp: type) -> tuple[str, ...] | None:
    """A dataclass's field names (None for any other type): dataclasses.fields is slow."""
    if not dataclasses.is_dataclass(tp):
        return None
    return tuple(f.name for f in dataclasses.fields(tp))


def _first_unwritable(value: Any, path: str) -> InputError | None:
    if isinstance(value, str):
        char = _NOT_XML.search(value)
        if char is None:
            return None
        return InputError(path, f"U+{ord(char.group()):04X} is a character XML cannot hold")
    if dataclasses.is_dataclass(value):
        parts = ((f".{f.name}", getattr(value, f.name)) for f in dataclasses.fields(value))
    elif isinstance(value, tuple | list):
        parts = ((f"[{i}]", part) for i, part in enumerate(value))
    else:
        return None
    for step, part in parts:
        if (error := _first_unwritable(part, path + step)) is not None:
            return error
    return None


def _first(errors: list[dict]) -> dict:
    """The error to say: pydantic's first, but a field missing beside an unknown one in the
    same mapping is that unknown one (a misspelt ``datum_vaststeling`` is both, and was
    said as "datum_vaststelling: required field is missing", the typo unnamed)."""
    first = errors[0]
    if first["type"] != "missing":
        return first
    parent = first["loc"][:-1]
    return next((e for e in errors if e["type"] in _UNKNOWN and e["loc"][:-1] == parent), first)


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """The hint "; did you mean 'datum'?" when one of ``choices`` is near ``name``, case
    aside (the same, else difflib's nearest); else nothing. Compared folded: codes are
    upper case ('PLICHT') or lower case ('soap_fault'), and so are their typos."""
    meant = nearest(name, choices)
    return f"; did you mean {meant!r}?" if meant is not None else ""


def nearest(name: str, choices: Iterable[str]) -> str | None:
    """The one of ``choices`` that ``name`` looks like a typo of, case aside; else None."""
    folded = {c.casefold(): c for c in choices}
    key = name.casefold()
    near = [key] if key in folded else difflib.get_close_matches(key, list(folded), n=3)
    if not near:
        return None
    # of the near ones, the longest shared beginning (typos seldom touch the first letters):
    # 'sinds' is nearer 'kind' than 'since' by difflib's ratio alone
    return folded[max(near, key=lambda c: len(os.path.commonprefix([c, key])))]


def _nearest(value: Any, expected: str) -> str:
    """The code meant, from pydantic's list of them ("'PLICHT', 'RECHT' or 'GEEN'")."""
    codes = re.findall(r"'([^']*)'", expected)
    return did_you_mean(value, codes) if isinstance(value, str) else ""


def unknown_field(name: str, allowed: Iterable[str]) -> str:
    """The reason for an unknown field: the allowed ones, and the nearest when it looks like
    a typo of one."""
    allowed = sorted(allowed)
    return f"unknown field (allowed: {', '.join(allowed)}){did_you_mean(name, allowed)}"


def _field_path(begin: str, loc: tuple) -> str:
    path = begin
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not str(part).startswith("function-"):  # a validator's step, not a field
            path = f"{path}.{part}" if path else str(part)
    return path or "-"


def _fields(tp: Any, loc: tuple) -> list[str]:
    """The field names of the dataclass at ``loc`` under ``tp`` (for "allowed: ...")."""
    for part in loc:
        tp = _inner(tp)
        if isinstance(part, str) and dataclasses.is_dataclass(tp):
            tp = typing.get_type_hints(tp)[part]
    tp = _inner(tp)
    if not dataclasses.is_dataclass(tp):
        return []
    return sorted(f.name for f in dataclasses.fields(tp) if f.init)


def _inner(tp: Any) -> Any:
    """``X`` of ``X | None``, ``tuple[X, ...]``, ``list[X]``."""
    while typing.get_origin(tp) in (typing.Union, tuple, list) or type(tp).__name__ == "UnionType":
        tp = next(a for a in typing.get_args(tp) if a is not type(None) and a is not Ellipsis)
    return tp


def json_schemas(*types: tuple[Any, str]) -> tuple[dict, dict[str, dict]]:
    """JSON Schemas for an OpenAPI document: per ``(type, mode)`` ("validation" for what
    is read, "serialization" for what is written) a reference, and every schema they use
    by name (a type read and written differently gets ``-Input`` and ``-Output``)."""
    refs, defs = TypeAdapter.json_schemas(
        [((tp, mode), mode, adapter(tp)) for tp, mode in types], ref_template=SCHEMA_REF
    )
    return {key: ref for (key, _), ref in refs.items()}, defs.get("$defs", {})
