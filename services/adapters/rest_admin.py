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
from datetime import UTC, datetime

import yaml
from flask import Blueprint, Response, jsonify, request

from magda_kbi.adapters.admin_guard import BODY_TYPES
from magda_kbi.adapters.rest_api import ApiError, best_type, current_runtime, parameters
from magda_kbi.domain.clock import TODAY_RANGE, NoSuchDay, today_from_text
from magda_kbi.domain.consumers import Operation
from magda_kbi.domain.insz import shown, unformatted
from magda_kbi.io.json_output import persona_json
from magda_kbi.io.personas import persona_from_data, read_json, read_yaml
from magda_kbi.io.schemas import InputError, as_written, did_you_mean, unknown_field
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

    def delen():
        yield "["
        for n, p in enumerate(runtime.personas.values()):
            rij = {
                "insz": p.insz,
                "naam": p.naam,
                "scenario": p.scenario,
                "fout": p.fout,
                "in_kbi": p.dossier is not None,
                "source": "runtime" if runtime.changed(p.insz) else "fixture",
            }
            yield ("," if n else "") + json.dumps(rij, ensure_ascii=False)
        yield "]"

    return Response(delen(), mimetype="application/json")


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
        404, "UNKNOWN_PERSONA", f"no persona with INSZ {shown(insz, quote=False)}", "insz"
    )


@admin.get("/personas/<insz>")
def persona(insz: str):
    gevonden = current_runtime().personas.get(_path_insz(insz))
    if gevonden is None:
        raise _unknown_persona(insz)
    if best_type(["application/json", *YAML_TYPES]) in YAML_TYPES:
        # the persona files' language, to edit and PUT back as YAML
        tekst = yaml.safe_dump(persona_json(gevonden), allow_unicode=True, sort_keys=False)
        return Response(tekst, mimetype=YAML)
    return jsonify(persona_json(gevonden))


@admin.put("/personas/<insz>")
def set_persona(insz: str):
    insz = _path_insz(insz)
    data = _persona_data()
    if isinstance(data, dict):
        data.setdefault("insz", insz)
        if data["insz"] != insz:
            raise ApiError(
                422,
                "INVALID_PERSONA",
                f"the INSZ in the body ({data['insz']}) differs from the path's",
                "insz",
            )
    nieuw = _build_persona(data)
    vervangen = current_runtime().set_persona(nieuw)
    return jsonify(persona_json(nieuw)), 200 if vervangen else 201


@admin.post("/personas")
def make_persona():
    nieuw = _build_persona(_persona_data())
    if nieuw.insz in current_runtime().personas:
        raise ApiError(
            409,
            "PERSONA_EXISTS",
            f"persona {nieuw.insz} exists already: PUT replaces it",
            "insz",
        )
    current_runtime().set_persona(nieuw)
    return jsonify(persona_json(nieuw)), 201


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
    other = sorted(set(data) - {"today"})
    if other:  # {"datum": ...} was told only what was expected, not named
        raise ApiError(422, "INVALID_CLOCK", unknown_field(other[0], ["today"]), other[0])
    if set(data) != {"today"}:
        raise ApiError(422, "INVALID_CLOCK", 'expected {"today": "YYYY-MM-DD"} or null', "today")
    waarde = data["today"]
    try:
        vast = None if waarde is None else today_from_text(waarde)
    except (TypeError, ValueError) as fout:
        # as the body wrote it (true, not True), and which number of a date is wrong
        reden = f"{as_written(waarde)} is not {TODAY_RANGE}"
        if isinstance(fout, NoSuchDay):  # 2024-02-30
            reden += f": {fout.reason}"
        raise ApiError(422, "INVALID_CLOCK", reden, "today") from None
    current_runtime().clock.fixed = vast
    return clock()


# -- faults -----------------------------------------------------------------------------


@admin.get("/faults")
def faults():
    return jsonify([s.as_json() for s in current_runtime().faults.all()])


@admin.post("/faults")
def add_fault():
    try:
        fault = current_runtime().faults.add(_json_object())
    except InputError as fout:
        raise ApiError(422, "INVALID_FAULT", fout.reason, fout.field) from None
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
    regels = j.read(**journal_filters(request.args))
    return jsonify(entries=[r.as_json() for r in regels], size=len(j), capacity=j.grootte)


JOURNAL_FILTERS = ("insz", "afzender", "operation", "since", "kind")
OPERATIONS = tuple(o.value for o in Operation)  # what the journal's calls are; admin's: "admin PUT"


def journal_filters(args, extra: tuple[str, ...] = ()) -> dict:
    """The journal's filters from query parameters (the admin API's and the console's), as
    keyword arguments of ``Journal.read``; 400 for an unknown, repeated or malformed one."""
    parameters(*JOURNAL_FILTERS, *extra, code="INVALID_FILTER", what="filter", args=args)
    sinds = args.get("since")
    if sinds is not None:
        try:
            sinds = datetime.fromisoformat(sinds)
        except ValueError:
            uitleg = f"{sinds!r} is not an ISO date-time"
            if re.search(r"\d \d\d:?\d\d$", sinds):  # a + not written %2B reads as a space
                uitleg += " (write the + of a UTC offset as %2B in a URL)"
            else:
                uitleg += " (2024-06-01, 2024-06-01T10:00:00 or 2024-06-01T10:00:00%2B02:00)"
            raise ApiError(400, "INVALID_FILTER", uitleg, "since") from None
        if sinds.tzinfo is None:
            sinds = sinds.replace(tzinfo=UTC)
    soort = args.get("kind", "call")
    if soort not in ("call", "admin", "all"):
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
        "kind": None if soort == "all" else soort,
        # as printed (the console shows 73.68.05-997.86): the calls carry the 11 digits
        "insz": unformatted(args["insz"]) if args.get("insz") else None,
        "afzender": args.get("afzender") or None,
        "operation": operation,
        "since": sinds,
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
    tekst = _body().decode("utf-8", "replace")
    if not tekst.strip():
        raise ApiError(422, "INVALID_PERSONA", "empty body: expected a persona (YAML or JSON)")
    try:
        return read_json(tekst) if request.mimetype == "application/json" else read_yaml(tekst)
    except InputError as fout:
        raise ApiError(422, "INVALID_PERSONA", fout.reason, fout.field) from None


def _build_persona(data):
    try:
        return persona_from_data(data)
    except InputError as fout:
        raise ApiError(422, "INVALID_PERSONA", fout.reason, fout.field) from None


def _json_object() -> dict:
    body = _body()
    data, reden = None, ""
    if request.is_json:  # JSON as JSON says it (get_json's rule)
        try:
            data = read_json(body.decode("utf-8-sig"))  # a byte order mark, as get_json took
        except UnicodeDecodeError:
            reden = ": not UTF-8"
        except InputError as fout:
            reden = f": {fout.reason}"
    if not isinstance(data, dict):
        raise ApiError(422, "INVALID_BODY", f"expected a JSON object{reden}")
    return data
