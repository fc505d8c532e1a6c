"""The admin API (``/admin/...``, only with ``serve --admin``): set up and observe the emulator.

- personas: list, read, create/replace (same YAML/JSON shape and checks as the fixture
  files; 422 with the field and reason when invalid), delete; ``POST /admin/reset``;
- clock: read or fix "today";
- faults: inject latency, 99996, SOAP Faults, HTTP 500/503 or dropped connections;
- journal: what was called, by whom, with what result.

Changes are visible to SOAP and REST at once, in every worker (``magda_kbi.runtime.store``).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import yaml
from flask import Blueprint, Response, jsonify, request

from magda_kbi.adapters.admin_guard import BODY_TYPES
from magda_kbi.adapters.rest_api import (
    ApiError,
    best_type,
    current_runtime,
    first_read,
    parameters,
)
from magda_kbi.domain.clock import TODAY_RANGE, NoSuchDay, real_today, today_from_text
from magda_kbi.domain.consumers import Operation
from magda_kbi.domain.insz import first_zero_hint, shown, unformatted
from magda_kbi.io.json_output import persona_json
from magda_kbi.io.personas import not_utf8, persona_from_data, read_json, read_yaml
from magda_kbi.io.schemas import InputError, as_written, did_you_mean, unknown_field
from magda_kbi.runtime.catalogue import summaries
from magda_kbi.runtime.wsgi_keys import BODY_KEY

# Ids as the stores keep them, 64-bit (SQLite INTEGER, PostgreSQL bigint): a larger one in a
# URL is no id (404), not an overflow in the store (a 500).
MAX_ID = 2**63 - 1

MAX_BODY = 1024 * 1024  # the Flask app's MAX_CONTENT_LENGTH too (rest.py)

admin = Blueprint("admin", __name__, url_prefix="/admin")
YAML = "application/yaml"
YAML_TYPES = sorted(BODY_TYPES - {"application/json"})  # the names PUT takes YAML under


@admin.before_request
def _parameters() -> None:
    """A route takes no query parameter but the journal's filters: DELETE
    /admin/journal?insz=X cleared the whole journal, /admin/personas?page=2 listed all."""
    if request.endpoint != "admin.journal":
        parameters(code="INVALID_PARAMETER")
    if request.endpoint in TAKE_NO_BODY and request.get_data(cache=True).strip() not in NO_BODY:
        # {"journal": false} to a reset reset the journal all the same, without a word
        raise ApiError(400, "INVALID_PARAMETER", "this call takes no body", "body")


TAKE_NO_BODY = frozenset(
    {
        "admin.reset",
        "admin.remove_persona",
        "admin.clear_faults",
        "admin.remove_fault",
        "admin.clear_journal",
    }
)
NO_BODY = (b"", b"{}", b"null")  # what a client that always sends JSON sends for nothing


# -- personas -------------------------------------------------------------------------


@admin.get("/personas")
def personas():
    """Every persona, streamed: a catalogue of a million is never held whole."""
    runtime = current_runtime()
    every = first_read(summaries(runtime.personas))

    def parts():
        yield "["
        for n, row in enumerate(every):
            row["source"] = "runtime" if runtime.changed(row["insz"]) else "fixture"
            yield ("," if n else "") + json.dumps(row, ensure_ascii=False)
        yield "]"

    return Response(parts(), mimetype="application/json")


def _path_insz(insz: str) -> str:
    """A persona's path INSZ; one written as printed (98.63.04-997.24) is told its digits:
    a GET said there was no such persona, a PUT that the body's INSZ differed."""
    digits = unformatted(insz)
    if digits != insz:
        raise ApiError(
            400,
            "INVALID_PARAMETER",
            f"{shown(insz)} is written as printed: the path takes its 11 digits, {digits}",
            "insz",
        )
    return insz


def _unknown_persona(insz: str) -> ApiError:
    return ApiError(
        404,
        "UNKNOWN_PERSONA",
        f"no persona with INSZ {shown(insz, quote=False)}{first_zero_hint(insz)}",
        "insz",
    )


@admin.get("/personas/<insz>")
def persona(insz: str):
    found = current_runtime().personas.get(_path_insz(insz))
    if found is None:
        raise _unknown_persona(insz)
    if best_type(["application/json", *YAML_TYPES]) in YAML_TYPES:
        # the persona files' language, to edit and PUT back as YAML
        text = yaml.safe_dump(persona_json(found), allow_unicode=True, sort_keys=False)
        return Response(text, mimetype=YAML)
    return jsonify(persona_json(found))


@admin.put("/personas/<insz>")
def set_persona(insz: str):
    insz = _path_insz(insz)
    data = _persona_data()
    if isinstance(data, dict):
        data.setdefault("insz", insz)
        # the same as printed, unquoted (a number) or without its first 0: the persona's check
        # says what is wrong
        if data["insz"] != insz and unformatted(str(data["insz"])).zfill(11) != insz:
            raise ApiError(
                422,
                "INVALID_PERSONA",
                f"the INSZ in the body ({data['insz']}) differs from the path's",
                "insz",
            )
    new = _build_persona(data)
    replaced = current_runtime().set_persona(new)
    return jsonify(persona_json(new)), 200 if replaced else 201


@admin.post("/personas")
def make_persona():
    new = _build_persona(_persona_data())
    if new.insz in current_runtime().personas:
        raise ApiError(
            409,
            "PERSONA_EXISTS",
            f"persona {new.insz} exists already: PUT replaces it",
            "insz",
        )
    current_runtime().set_persona(new)
    return jsonify(persona_json(new)), 201


@admin.delete("/personas/<insz>")
def remove_persona(insz: str):
    if not current_runtime().remove_persona(_path_insz(insz)):
        raise _unknown_persona(insz)
    return "", 204


@admin.post("/reset")
def reset():
    runtime = current_runtime()
    runtime.reset()
    return jsonify(personas=len(runtime.personas), today=runtime.clock.today().isoformat())


# -- clock ------------------------------------------------------------------------------


@admin.get("/clock")
def clock():
    k = current_runtime().clock
    return jsonify(today=k.today().isoformat(), fixed=k.fixed is not None)


@admin.put("/clock")
def set_clock():
    data = _json_object()
    other = sorted(set(data) - {"today", "fixed"})
    if other:  # {"datum": ...} was told only what was expected, not named
        raise ApiError(422, "INVALID_CLOCK", unknown_field(other[0], ["fixed", "today"]), other[0])
    if "today" not in data:
        raise ApiError(422, "INVALID_CLOCK", 'expected {"today": "YYYY-MM-DD"} or null', "today")
    value = data["today"]
    try:
        fixed = None if value is None else today_from_text(value)
    except (TypeError, ValueError) as error:
        # as the body wrote it (true, not True), and which number of a date is wrong
        reason = f"{as_written(value)} is not {TODAY_RANGE}"
        if isinstance(error, NoSuchDay):  # 2024-02-30
            reason += f": {error.reason}"
        raise ApiError(422, "INVALID_CLOCK", reason, "today") from None
    if "fixed" in data:
        fixed = _as_fixed(data["fixed"], fixed)
    current_runtime().clock.fixed = fixed
    return clock()


def _as_fixed(said: object, day: date | None) -> date | None:
    """The clock a body with "fixed" asks for: what GET returned is taken back as it is (it
    was refused at "fixed", so a script could not restore the clock it had read)."""
    if not isinstance(said, bool):
        raise ApiError(422, "INVALID_CLOCK", f"{as_written(said)} is not true or false", "fixed")
    if said and day is None:
        raise ApiError(422, "INVALID_CLOCK", 'a fixed clock needs a "today" (YYYY-MM-DD)', "fixed")
    if said:
        return day
    real = real_today()
    if day not in (None, real):  # the GET of a clock that follows the real date says it
        raise ApiError(
            422,
            "INVALID_CLOCK",
            f'a clock that is not fixed is at the real date ({real.isoformat()}): "today" is'
            " that or null",
            "today",
        )
    return None


# -- faults -----------------------------------------------------------------------------


@admin.get("/faults")
def faults():
    return jsonify([s.as_json() for s in current_runtime().faults.all()])


@admin.post("/faults")
def add_fault():
    try:
        fault = current_runtime().faults.add(_json_object())
    except InputError as error:
        raise ApiError(422, "INVALID_FAULT", error.reason, error.field) from None
    return jsonify(fault.as_json()), 201


@admin.delete("/faults")
def clear_faults():
    current_runtime().faults.clear()
    return "", 204


@admin.delete(f"/faults/<int(max={MAX_ID}):fault_id>")
def remove_fault(fault_id: int):
    if not current_runtime().faults.remove(fault_id):
        raise ApiError(404, "UNKNOWN_FAULT", f"no fault with id {fault_id}", "fault_id")
    return "", 204


# -- journal ----------------------------------------------------------------------------


@admin.get("/journal")
def journal():
    j = current_runtime().journal
    found = j.read(**journal_filters(request.args))
    return jsonify(entries=[r.as_json() for r in found], size=len(j), capacity=j.capacity)


JOURNAL_FILTERS = ("insz", "afzender", "operation", "since", "kind")
OPERATIONS = tuple(o.value for o in Operation)  # what the journal's calls are; admin's: "admin PUT"


def journal_filters(args, extra: tuple[str, ...] = ()) -> dict:
    """The journal's filters from query parameters (the admin API's and the console's), as
    keyword arguments of ``Journal.read``; 400 for an unknown, repeated or malformed one."""
    parameters(*JOURNAL_FILTERS, *extra, code="INVALID_FILTER", what="filter", args=args)
    since = args.get("since")
    if since is not None:
        try:
            since = datetime.fromisoformat(since)
        except ValueError:
            explanation = f"{since!r} is not an ISO date-time"
            if re.search(r"\d \d\d:?\d\d$", since):  # a + not written %2B reads as a space
                explanation += " (write the + of a UTC offset as %2B in a URL)"
            else:
                explanation += " (2024-06-01, 2024-06-01T10:00:00 or 2024-06-01T10:00:00%2B02:00)"
            raise ApiError(400, "INVALID_FILTER", explanation, "since") from None
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
    kind = args.get("kind", "call")
    if kind not in ("call", "admin", "all"):
        raise ApiError(400, "INVALID_FILTER", "kind is call (default), admin or all", "kind")
    operation = args.get("operation") or None
    if operation is not None and operation not in OPERATIONS and not operation.startswith("admin "):
        # a typo read as a filter that matched nothing: an empty list, as if nobody had called
        raise ApiError(
            400,
            "INVALID_FILTER",
            f"unknown operation {operation!r} (known: {', '.join(OPERATIONS)}, admin METHOD)"
            + did_you_mean(operation, OPERATIONS),
            "operation",
        )
    return {
        "kind": None if kind == "all" else kind,
        # as printed (the console shows 73.68.05-997.86): the calls carry the 11 digits
        "insz": unformatted(args["insz"]) if args.get("insz") else None,
        "afzender": args.get("afzender") or None,
        "operation": operation,
        "since": since,
    }


@admin.delete("/journal")
def clear_journal():
    current_runtime().journal.clear()
    return "", 204


# -- helpers ----------------------------------------------------------------------------


def _body() -> bytes:
    """The request body, or a 413 when it is too large. A chunked body has no length to
    check first, and the server hands it on cut off at the cap: a body that fills the cap
    is taken as larger (no persona comes near 1 MiB)."""
    data = request.get_data(cache=True)
    request.environ[BODY_KEY] = data  # the journal keeps it (bounded) for the console
    if len(data) >= MAX_BODY:
        raise ApiError(413, "TOO_LARGE", f"body larger than {MAX_BODY - 1} bytes")
    return data


def _persona_data():
    try:  # a byte order mark, as the persona files and get_json take it
        text = _body().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # decoded with "replace" before: a Latin-1 body was taken, "Saïd" kept as "Sa\ufffdd"
        advice = "send the persona as UTF-8"
        raise ApiError(422, "INVALID_PERSONA", not_utf8(error, advice=advice)) from None
    if not text.strip():
        raise ApiError(422, "INVALID_PERSONA", "empty body: expected a persona (YAML or JSON)")
    try:
        return read_json(text) if request.mimetype == "application/json" else read_yaml(text)
    except InputError as error:
        raise ApiError(422, "INVALID_PERSONA", error.reason, error.field) from None


def _build_persona(data):
    try:
        return persona_from_data(data)
    except InputError as error:
        raise ApiError(422, "INVALID_PERSONA", error.reason, error.field) from None


def _json_object() -> dict:
    body = _body()
    data, reason = None, ""
    if request.is_json:  # JSON as JSON says it (get_json's rule)
        try:
            data = read_json(body.decode("utf-8-sig"))  # a byte order mark, as get_json took
        except UnicodeDecodeError:
            reason = ": not UTF-8"
        except InputError as error:
            reason = f": {error.reason}"
    if not isinstance(data, dict):
        raise ApiError(422, "INVALID_BODY", f"expected a JSON object{reason}")
    return data
