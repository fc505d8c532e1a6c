"""The OpenAPI 3.1 description of the REST face, served at ``/api/v1/openapi.json``.

The paths are data, written to match ``rest_api``, ``rest_admin`` and ``rest``; the
schemas of the dossier, the persona data and the faults are generated from the dataclasses
that read and write them. The test suite checks that every Flask route is described here and
runs schemathesis against the read and admin API.
"""

from __future__ import annotations

from functools import cache

from magda_kbi import __version__
from magda_kbi.domain import lists
from magda_kbi.domain.advies import TOEPASSINGEN
from magda_kbi.domain.consumers import Operation
from magda_kbi.domain.dossier import KbiDossier, Persoonsgegevens
from magda_kbi.io import schemas
from magda_kbi.io.personas import FAULT_CODES
from magda_kbi.runtime.faults import Fault

DATE = {"type": "string", "format": "date"}
TEXT = {"type": "string"}
NULLABLE_TEXT = {"type": ["string", "null"]}
BOOL = {"type": "boolean"}


def _object(required: list[str], **properties) -> dict:
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }


SCHEMA_PREFIX = "#/components/schemas/"


def _ref(name: str) -> dict:
    return {"$ref": f"{SCHEMA_PREFIX}{name}"}


def _array(schema: dict) -> dict:
    return {"type": "array", "items": schema}


def _response(description: str, schema: dict | None = None) -> dict:
    response: dict = {"description": description}
    if schema is not None:
        response["content"] = {"application/json": {"schema": schema}}
    return response


ERROR_RESPONSE = _response("error", _ref("Error"))
PRINTED_INSZ = _response(
    "the INSZ written as printed (98.63.04-997.24): the path takes its 11 digits", _ref("Error")
)


def _path_parameter(name: str, description: str, schema: dict, example: str | int) -> dict:
    # the schema says the form the route takes: a client generator and a generated request
    # know it too
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
        "example": example,
    }


INSZ_PARAMETER = _path_parameter(
    "insz",
    "INSZ: 11 digits, modulo-97 valid",
    {"type": "string", "pattern": "^[0-9]{11}$"},
    "73680599786",
)
AFZENDER_HEADERS = [
    {
        "name": "X-Magda-Afzender",
        "in": "header",
        "required": False,
        "schema": TEXT,
        "description": "the caller's Afzender/Identificatie, as in a MAGDA Context",
    },
    {
        "name": "X-Magda-Hoedanigheid",
        "in": "header",
        "required": False,
        "schema": TEXT,
        "description": "the caller's Hoedanigheid",
    },
]

SCHEMAS = {
    "Error": _object(["code", "diagnose"], code=TEXT, diagnose=TEXT, field=TEXT),
    "Advies": _object(
        ["insz", "peildatum", "resultaat", "reden"],
        insz=TEXT,
        peildatum=DATE,
        resultaat={"enum": ["OK", "NOK"]},
        reden={
            "oneOf": [
                {"type": "null"},
                _object(
                    ["code", "omschrijving"],
                    code={"enum": ["INBREUK", "GEEN_AANMELDING", "GEEN_CONTRACT"]},
                    omschrijving=TEXT,
                ),
            ]
        },
        # with the rule set after-ruling-112-2023: the ruling, named
        informatie=TEXT,
        # which rule of the table decided; left out when the protocols are enforced
        rule=_object(
            ["number", "text"],
            number={"type": "integer", "minimum": 0, "maximum": 99},
            text=TEXT,
        ),
    ),
    "DossierGemeente": _object(
        ["insz", "achternamen", "voornamen", "contract_ondertekend", "attest_behaald"],
        insz=TEXT,
        achternamen=_array(TEXT),
        voornamen=_array(TEXT),
        contract_ondertekend=BOOL,
        attest_behaald=BOOL,
    ),
    "VerlaagdePremieList": _object(
        ["premiejaar", "peildatum", "zorgkas", "items"],
        premiejaar={"type": "integer"},
        peildatum=DATE,
        zorgkas={"type": ["string", "null"]},
        items=_array(_object(["insz"], insz=TEXT)),
    ),
    "GemeenteList": _object(
        ["nis", "peildatum", "items"],
        nis=TEXT,
        jaar={"type": "integer"},
        peildatum=DATE,
        items=_array(
            _object(
                ["insz", "achternaam", "voornaam", "contract_ondertekend", "attest_behaald"],
                insz=TEXT,
                achternaam=TEXT,
                voornaam=TEXT,
                contract_ondertekend=BOOL,
                attest_behaald=BOOL,
            )
        ),
    ),
    "ParticipatieList": _object(
        ["nis", "peildatum", "items"],
        nis=TEXT,
        jaar={"type": "integer"},
        peildatum=DATE,
        items=_array(
            _object(
                lists.PARTICIPATIE_VELDEN,
                naam=TEXT,
                adres={"type": ["string", "null"]},
                telefoon={"type": ["string", "null"]},
                email={"type": ["string", "null"]},
                contacttaal={"type": ["string", "null"]},
                nt2_niveau={"type": ["string", "null"]},
                mo_status={"type": ["string", "null"]},
                interesses=_array(TEXT),
            )
        ),
    ),
    "Index": _object(
        [
            "name",
            "version",
            "soap",
            "wsdl",
            "generic",
            "rest",
            "openapi",
            "admin",
            "console",
            "health",
        ],
        name=TEXT,
        version=TEXT,
        soap=_array(TEXT),
        wsdl=_array(TEXT),
        generic=TEXT,
        rest=TEXT,
        openapi=TEXT,
        admin=NULLABLE_TEXT,
        console=TEXT,
        health=TEXT,
    ),
    "Routes": _object(
        ["routes"],
        routes=_array(_object(["path", "method", "summary"], path=TEXT, method=TEXT, summary=TEXT)),
    ),
    "Health": _object(
        [
            "status",
            "version",
            "pid",
            "personas",
            "today",
            "admin",
            "protocols",
            "verify_signatures",
            "rules",
            "checked_at_start",
        ],
        status={
            "enum": ["ok", "degraded"],
            "description": "degraded: the store cannot be reached (see reason); the workers "
            "answer from what they have, changes answer 503. Or the audit log cannot be "
            "written: calls are answered, their lines wait until it can",
        },
        reason=TEXT,
        version=TEXT,
        pid={
            "type": "integer",
            "description": "the emulator's process (serve's, whichever worker answers): "
            "which emulator answers on this port",
        },
        personas={"type": ["integer", "null"], "description": "null while the store is lost"},
        today=DATE,
        admin=BOOL,
        protocols=BOOL,
        verify_signatures={
            **BOOL,
            "description": "every SOAP request must carry a WS-Security signature that holds"
            " (serve --verify-signatures)",
        },
        rules={"enum": ["protocol-v1", "after-ruling-112-2023"]},
        watch=_object(
            ["folders", "last_reload", "error"],
            folders=_array(TEXT),
            last_reload=NULLABLE_TEXT,
            error={**NULLABLE_TEXT, "description": "why the last change was not taken"},
        ),
        checked_at_start=_object(
            ["contract_files", "schemas_compiled", "personas_loaded"],
            contract_files={"type": "integer"},
            schemas_compiled=_array(TEXT),
            personas_loaded={"type": "integer"},
        ),
    ),
    "Persona": {
        **_object(
            ["insz", "scenario"],
            # what the checks take (io/personas.py), so that a generated persona can pass
            insz={
                "type": "string",
                "pattern": "^[0-9]{11}$",
                "description": "a MAGDA test number: 11 digits, modulo 97, month digits 61-72",
            },
            naam={"type": "string", "minLength": 1, "description": "required without a dossier"},
            scenario={
                "type": "string",
                "pattern": "\\S",
                "description": "one line saying what the persona shows (not only spaces)",
            },
            fout={"enum": [None, "99996", "SOAP_FAULT"]},
            dossier={"oneOf": [{"type": "null"}, _ref("PersonaDossier")]},
            verwacht=_array(
                _object(
                    ["datum", "resultaat"],
                    datum=DATE,
                    resultaat={"enum": ["OK", "NOK"]},
                    reden={"enum": [None, "INBREUK", "GEEN_AANMELDING", "GEEN_CONTRACT"]},
                    toepassing={"enum": list(TOEPASSINGEN)},
                )
            ),
            gegevens=_ref("PersonData"),
        ),
        "description": "the shape of a persona YAML file (see fixtures/personas)",
    },
    "Clock": _object(["today", "fixed"], today=DATE, fixed=BOOL),
    "Journal": _object(
        ["entries", "size", "capacity"],
        entries=_array(_ref("JournalEntry")),
        size={
            "type": "integer",
            "description": "entries the journal holds now, calls and admin calls, filtered or not",
        },
        capacity={"type": "integer", "description": "the most it keeps (--journal-size)"},
    ),
    # One recorded call. The first eleven fields are always there; the others when they apply.
    "JournalEntry": _object(
        [
            "id",
            "time",
            "endpoint",
            "operation",
            "afzender",
            "hoedanigheid",
            "insz",
            "referte",
            "result",
            "status",
            "latency_ms",
        ],
        id={"type": "integer", "description": "1, 2, 3... in the order of writing"},
        time={"type": "string", "description": "UTC, ISO 8601 with milliseconds"},
        endpoint={"type": "string", "description": "the path called"},
        operation=NULLABLE_TEXT,
        afzender=NULLABLE_TEXT,
        hoedanigheid=NULLABLE_TEXT,
        insz=NULLABLE_TEXT,
        referte=NULLABLE_TEXT,
        result={
            **NULLABLE_TEXT,
            "description": "DOSSIER, OK, NOK <reden>, UITZONDERING <code>, REFUSED <code>, "
            "SOAP_FAULT, SOAP_FAULT <faultcode>, FAULT <kind>, ERROR <code>, LIST ...",
        },
        status={"type": "integer", "description": "the HTTP status"},
        latency_ms={"type": "number"},
        rule={**TEXT, "description": "advice: the rule that decided, in words"},
        mutaties_context={"type": ["boolean", "string"]},
        injected_latency_ms={"type": "number"},
        consumer={"type": ["object", "null"]},
        decision={"enum": ["allowed", "refused"]},
        code=NULLABLE_TEXT,
        reason=NULLABLE_TEXT,
        fields=NULLABLE_TEXT,
    ),
}

ADMIN = ["admin"]
YEAR = {"type": "integer", "minimum": 2000, "maximum": 2100}
NIS_PARAMETER = _path_parameter(
    "nis",
    "the municipality's NIS code: 5 digits",
    {"type": "string", "pattern": "^[0-9]{5}$"},
    "24055",
)
YEAR_PARAMETER = {
    "name": "year",
    "in": "query",
    "required": False,
    "description": "the list for this year: residents on 1 January of it (default: today)",
    "schema": YEAR,
    "example": 2024,
}


def _optional_query(name: str, description: str, schema: dict = TEXT) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


JOURNAL_PARAMETERS = [
    _optional_query("insz", "the person asked about (also as printed, 73.68.05-997.86)"),
    _optional_query("afzender", "who asked: Context/Bericht/Afzender/Identificatie"),
    _optional_query("operation", f"{', '.join(o.value for o in Operation)}, or 'admin METHOD'"),
    _optional_query("since", "calls from this ISO date or date-time on (UTC without an offset)"),
    _optional_query(
        "kind",
        "the SOAP and REST calls (the default), the admin API's calls, or both",
        {"enum": ["call", "admin", "all"], "default": "call"},
    ),
]


def _unavailable(description: str) -> dict:
    """A 503: every one says when to try again."""
    return {
        **_response(description, _ref("Error")),
        "headers": {"Retry-After": {"description": "seconds: 1", "schema": {"type": "integer"}}},
    }


STORE_UNAVAILABLE = _unavailable(
    "STORE_UNAVAILABLE: the store cannot be reached (serve --store postgresql://...)"
)
PLATFORM_UNAVAILABLE = _unavailable(
    "99996: the platform is busy (a persona that simulates it); 99994: its source failed (a "
    "persona not cached while the store is lost)"
)


def _list_operation(
    summary: str, pad_parameter: dict, schema: dict, extra: list | None = None, *, unknown: str
) -> dict:
    return {
        "tags": ["read"],
        "summary": summary + " (JSON, or CSV / XML by Accept; streamed)",
        "parameters": [pad_parameter, *(extra or []), *AFZENDER_HEADERS],
        "responses": {
            "200": {
                "description": "the list",
                "content": {
                    "application/json": {"schema": schema},
                    "text/csv": {"schema": TEXT},
                    "application/xml": {"schema": TEXT},
                },
            },
            "400": ERROR_RESPONSE,
            "403": _response("refused by the caller's protocol (--protocols)", _ref("Error")),
            "404": _response(unknown, _ref("Error")),
            "503": STORE_UNAVAILABLE,
        },
    }


READ_TAGS = ["read"]


# The admin guard's refusals (admin_guard.py), before any route: every admin operation may
# get them, and one with a body the 415 of a Content-Type that is not JSON or YAML.
GUARD_REFUSALS = {
    "401": _response("ADMIN_TOKEN_REQUIRED: serve has a token, the call not", _ref("Error")),
    "403": _response("FOREIGN_ORIGIN: a call from a page on another host", _ref("Error")),
    "421": _response(
        "HOST_NOT_ALLOWED: a Host that is no loopback or --public-host name", _ref("Error")
    ),
}
TYPE_REFUSAL = _response(
    "CONTENT_TYPE_REQUIRED or CONTENT_ENCODING_UNSUPPORTED: not JSON or YAML, or compressed",
    _ref("Error"),
)


def _admin(description: str, responses: dict, **extra) -> dict:
    refusals = {**GUARD_REFUSALS, **({"415": TYPE_REFUSAL} if "requestBody" in extra else {})}
    return {
        "tags": ADMIN,
        "summary": description,
        "responses": {**responses, **refusals, "503": STORE_UNAVAILABLE},
        **extra,
    }


# One persona in GET /admin/personas (rest_admin.personas): a generated client typed it
# as an object with no fields.
PERSONA_SUMMARY = _object(
    ["insz", "naam", "scenario", "fout", "in_kbi", "source"],
    insz=TEXT,
    naam=TEXT,
    scenario=TEXT,
    fout={"enum": list(FAULT_CODES), "description": "what every call gets"},
    in_kbi={**BOOL, "description": "false: GeefDossierKBI answers 30001"},
    source={"enum": ["fixture", "runtime"], "description": "runtime: changed by the admin API"},
)


PERSONA_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": _ref("Persona")},
        "application/yaml": {"schema": _ref("Persona")},
    },
}

PATHS_AND_INFO = {
    "openapi": "3.1.0",
    "info": {
        "title": "MAGDA KBI emulator: REST face",
        "version": __version__,
        "description": "The dossier and the advice as JSON (the same rules as SOAP), and the "
        "admin API to set up personas, the clock and faults and to read the journal. The "
        "admin routes exist only when the emulator runs with --admin.",
    },
    "paths": {
        "/": {
            "get": {
                "tags": READ_TAGS,
                "summary": "where everything is: SOAP endpoints, WSDLs, REST, admin, console, "
                "health (JSON, unless the Accept header prefers HTML: a browser is sent to "
                "the console)",
                "responses": {
                    "200": _response("the index", _ref("Index")),
                    "302": {"description": "to /console/, when the Accept header prefers HTML"},
                },
            }
        },
        "/api/v1/": {
            "get": {
                "tags": READ_TAGS,
                "summary": "the REST routes",
                "responses": {"200": _response("the routes", _ref("Routes"))},
            }
        },
        "/admin/": {
            "get": _admin("the admin routes", {"200": _response("the routes", _ref("Routes"))})
        },
        "/health": {
            "get": {
                "tags": READ_TAGS,
                "summary": "liveness, version, persona count, today",
                "responses": {"200": _response("ok", _ref("Health"))},
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "tags": READ_TAGS,
                "summary": "this document",
                "responses": {"200": _response("OpenAPI 3.1", {"type": "object"})},
            }
        },
        "/api/v1/dossiers/{insz}": {
            "get": {
                "tags": READ_TAGS,
                "summary": "the KBI dossier as known today",
                "parameters": [INSZ_PARAMETER, *AFZENDER_HEADERS],
                "responses": {
                    "200": _response(
                        "the dossier; under the municipality protocol only the protocol's fields",
                        {"oneOf": [_ref("Dossier"), _ref("DossierGemeente")]},
                    ),
                    "403": _response(
                        "refused by the caller's protocol (--protocols)", _ref("Error")
                    ),
                    "400": ERROR_RESPONSE,
                    "404": _response("not in the KBI (code 30001)", _ref("Error")),
                    "502": _response("a persona that simulates a platform failure", _ref("Error")),
                    "503": PLATFORM_UNAVAILABLE,
                },
            }
        },
        "/api/v1/advies/{insz}": {
            "get": {
                "tags": READ_TAGS,
                "summary": "Automatisch advies: OK or NOK and, only when NOK, the reason",
                "parameters": [
                    INSZ_PARAMETER,
                    {
                        "name": "datum",
                        "in": "query",
                        "required": False,
                        "description": "YYYY-MM-DD; default: today",
                        "schema": {"type": "string", "format": "date"},
                    },
                    {
                        "name": "toepassing",
                        "in": "query",
                        "required": False,
                        "description": "which budget: ZORGBUDGET (the default) is the zorgbudget "
                        "voor zwaar zorgbehoevenden, the one with the inburgering condition",
                        "schema": {"enum": list(TOEPASSINGEN)},
                    },
                    *AFZENDER_HEADERS,
                ],
                "responses": {
                    "200": _response("the advice", _ref("Advies")),
                    "403": _response(
                        "refused by the caller's protocol (--protocols)", _ref("Error")
                    ),
                    "400": ERROR_RESPONSE,
                    "502": _response("a persona that simulates a platform failure", _ref("Error")),
                    "503": PLATFORM_UNAVAILABLE,
                },
            }
        },
        "/api/v1/lijsten/verlaagde-premie/{jaar}": {
            "get": _list_operation(
                "the yearly reduced-premium list: everyone under the obligation who does not "
                "satisfy it on 1 January of the year before",
                _path_parameter("jaar", "the premium year", YEAR, 2024),
                _ref("VerlaagdePremieList"),
                [
                    {
                        "name": "zorgkas",
                        "in": "query",
                        "required": False,
                        "schema": TEXT,
                        "description": "only the members of this zorgkas",
                    }
                ],
                unknown="an unknown zorgkas (no consumer's, nobody's membership)",
            )
        },
        "/api/v1/lijsten/gemeente/{nis}": {
            "get": _list_operation(
                "residents of a municipality with their inburgering status",
                NIS_PARAMETER,
                _ref("GemeenteList"),
                [YEAR_PARAMETER],
                unknown="an unknown municipality (NIS code)",
            )
        },
        "/api/v1/consumers": {
            "get": {
                "tags": READ_TAGS,
                "summary": "the consumers the protocols know (Afzender + Hoedanigheid, kind)",
                "responses": {
                    "200": _response(
                        "the consumer catalogue",
                        _array(
                            _object(
                                ["afzender", "hoedanigheid", "soort", "naam", "nis", "zorgkas"],
                                afzender=TEXT,
                                hoedanigheid=TEXT,
                                soort={"enum": ["GEMEENTE", "ZORGKAS", "VSB", "ABB", "AGII"]},
                                naam=TEXT,
                                nis={"type": ["string", "null"]},
                                zorgkas={"type": ["string", "null"]},
                            )
                        ),
                    )
                },
            }
        },
        "/api/v1/municipalities": {
            "get": {
                "tags": READ_TAGS,
                "summary": "the municipalities the lists know (the register, and every "
                "municipality a persona lives in)",
                "responses": {
                    "200": _response(
                        "NIS code and name",
                        _array(_object(["nis", "naam"], nis=TEXT, naam=TEXT)),
                    )
                },
            }
        },
        "/api/v1/lijsten/participatie/{nis}": {
            "get": _list_operation(
                "the participation-trajectory list of a municipality",
                NIS_PARAMETER,
                _ref("ParticipatieList"),
                [YEAR_PARAMETER],
                unknown="an unknown municipality (NIS code)",
            )
        },
        "/admin/personas": {
            "get": _admin(
                "list the personas",
                {"200": _response("personas", _array(PERSONA_SUMMARY))},
            ),
            "post": _admin(
                "create a persona",
                {
                    "201": _response("created", _ref("Persona")),
                    "409": ERROR_RESPONSE,
                    "422": ERROR_RESPONSE,
                },
                requestBody=PERSONA_BODY,
            ),
        },
        "/admin/personas/{insz}": {
            "parameters": [INSZ_PARAMETER],
            "get": _admin(
                "one persona, in the shape of its file; as YAML when the Accept header"
                " prefers application/yaml",
                {
                    "200": {
                        "description": "persona",
                        "content": {
                            "application/json": {"schema": _ref("Persona")},
                            "application/yaml": {"schema": _ref("Persona")},
                        },
                    },
                    "400": PRINTED_INSZ,
                    "404": ERROR_RESPONSE,
                },
            ),
            "put": _admin(
                "create or replace a persona",
                {
                    "200": _response("replaced", _ref("Persona")),
                    "201": _response("created", _ref("Persona")),
                    "400": PRINTED_INSZ,
                    "422": ERROR_RESPONSE,
                },
                requestBody=PERSONA_BODY,
            ),
            "delete": _admin(
                "delete a persona",
                {"204": _response("deleted"), "400": PRINTED_INSZ, "404": ERROR_RESPONSE},
            ),
        },
        "/admin/reset": {
            "post": _admin(
                "personas back to the fixtures, clock to its start value, no faults, empty journal",
                {"200": _response("reset", {"type": "object"}), "400": ERROR_RESPONSE},
                # {}, as JSON: the reset takes nothing, but a POST must say Content-Type
                # JSON (no form on another site can), so a generated client must send one
                requestBody={
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "maxProperties": 0,
                                "additionalProperties": False,
                                "description": "{}: the reset takes nothing",
                            }
                        }
                    },
                },
            )
        },
        "/admin/clock": {
            "get": _admin("today", {"200": _response("clock", _ref("Clock"))}),
            "put": _admin(
                'fix today: {"today": "YYYY-MM-DD"}, or null for the real date',
                {"200": _response("clock", _ref("Clock")), "422": ERROR_RESPONSE},
                requestBody={
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": _object(
                                ["today"],  # and fixed: the route refuses any other
                                today={
                                    "type": ["string", "null"],
                                    "format": "date",
                                    "description": "2000-01-01 to 2100-12-31; null: the real date",
                                },
                                fixed={
                                    "type": "boolean",
                                    "description": "optional, as GET gives it: true needs a"
                                    " today; false, today null or the real date",
                                },
                            )
                        }
                    },
                },
            ),
        },
        "/admin/faults": {
            "get": _admin("active faults", {"200": _response("faults", _array(_ref("Fault")))}),
            "post": _admin(
                "inject a fault",
                {"201": _response("fault", _ref("Fault")), "422": ERROR_RESPONSE},
                requestBody={
                    "required": True,
                    "content": {"application/json": {"schema": _ref("FaultRequest")}},
                },
            ),
            "delete": _admin("clear all faults", {"204": _response("cleared")}),
        },
        "/admin/faults/{fault_id}": {
            "parameters": [
                {"name": "fault_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "delete": _admin(
                "remove one fault", {"204": _response("removed"), "404": ERROR_RESPONSE}
            ),
        },
        "/admin/journal": {
            "get": _admin(
                "recorded SOAP and REST calls, in the order they came in",
                {"200": _response("journal", _ref("Journal")), "400": ERROR_RESPONSE},
                parameters=JOURNAL_PARAMETERS,
            ),
            "delete": _admin("clear the journal", {"204": _response("cleared")}),
        },
    },
}

# Each operation's name, for the clients generated from this document (openapi-generator,
# openapi-python-client name their methods after it; without one they made up names such as
# get_api_v1_dossiers_insz). MAGDA's words as the paths have them, the rest in English.
OPERATION_IDS = {
    ("/", "get"): "getIndex",
    ("/api/v1/", "get"): "getApiIndex",
    ("/admin/", "get"): "getAdminIndex",
    ("/health", "get"): "getHealth",
    ("/api/v1/openapi.json", "get"): "getOpenApiDocument",
    ("/api/v1/dossiers/{insz}", "get"): "getDossier",
    ("/api/v1/advies/{insz}", "get"): "getAdvies",
    ("/api/v1/lijsten/verlaagde-premie/{jaar}", "get"): "getLijstVerlaagdePremie",
    ("/api/v1/lijsten/gemeente/{nis}", "get"): "getLijstGemeente",
    ("/api/v1/lijsten/participatie/{nis}", "get"): "getLijstParticipatie",
    ("/api/v1/consumers", "get"): "listConsumers",
    ("/api/v1/municipalities", "get"): "listMunicipalities",
    ("/admin/personas", "get"): "listPersonas",
    ("/admin/personas", "post"): "createPersona",
    ("/admin/personas/{insz}", "get"): "getPersona",
    ("/admin/personas/{insz}", "put"): "putPersona",
    ("/admin/personas/{insz}", "delete"): "deletePersona",
    ("/admin/reset", "post"): "reset",
    ("/admin/clock", "get"): "getClock",
    ("/admin/clock", "put"): "setClock",
    ("/admin/faults", "get"): "listFaults",
    ("/admin/faults", "post"): "addFault",
    ("/admin/faults", "delete"): "clearFaults",
    ("/admin/faults/{fault_id}", "delete"): "removeFault",
    ("/admin/journal", "get"): "getJournal",
    ("/admin/journal", "delete"): "clearJournal",
}
for (_path, _method), _name in OPERATION_IDS.items():
    _operations = PATHS_AND_INFO["paths"][_path]  # a KeyError here: a name for no operation
    _operations[_method] = {"operationId": _name, **_operations[_method]}
del _path, _method, _name, _operations


@cache
def document() -> dict:
    """The whole document. Built at its first request: generating the schemas costs about
    0.1 s, which a worker or the command line need not pay at start."""
    refs, generated = schemas.json_schemas(
        (KbiDossier, "serialization"),
        (KbiDossier, "validation"),
        (Persoonsgegevens, "validation"),
        (Fault, "serialization"),
    )

    def schema_without(name: str, *fields: str) -> dict:
        """A generated schema without the fields a caller does not give."""
        schema = generated[name]
        return {
            **schema,
            "properties": {k: v for k, v in schema["properties"].items() if k not in fields},
            "required": [k for k in schema.get("required", []) if k not in fields],
        }

    # Generated from the domain's dataclasses, the same types that read a persona file and
    # a fault and write the JSON (io/schemas.py): the document cannot drift from the code.
    from_code = {
        **generated,
        "Dossier": refs[(KbiDossier, "serialization")],
        # A persona file's dossier: the INSZ is the persona's own.
        "PersonaDossier": schema_without("KbiDossier-Input", "insz"),
        "PersonData": refs[(Persoonsgegevens, "validation")],
        # written with every field
        "Fault": {**generated["Fault"], "required": list(generated["Fault"]["properties"])},
        "FaultRequest": schema_without("Fault", "id", "applied"),
    }
    return _for_generators({**PATHS_AND_INFO, "components": {"schemas": {**from_code, **SCHEMAS}}})


def _for_generators(document: dict) -> dict:
    """The document as client generators read it (openapi-python-client dropped the dossier,
    the persona and nine other models as duplicates): a component that only points to
    another is replaced by that one wherever it is used, and each component's title, which
    they name the model after, is its own (pydantic gave a type read and written
    differently the same title twice: Aanmelding-Input and -Output both "Aanmelding"); a
    nested schema has none."""
    schemas = document["components"]["schemas"]
    alias = {
        f"{SCHEMA_PREFIX}{name}": schema["$ref"]
        for name, schema in schemas.items()
        if schema.keys() == {"$ref"}
    }

    def rewrite(part, schema: bool = False, names: bool = False):
        """``part`` with the aliases replaced; within a component (``schema``) without titles;
        ``names``: it maps property names to schemas (a property may be called "title")."""
        if isinstance(part, dict):
            return {
                k: alias.get(v, v)
                if k == "$ref" and not names
                else rewrite(v, schema, schema and k == "properties")
                for k, v in part.items()
                # a nested schema's title named an inline model too: "Code" twice
                if names or not schema or k != "title"
            }
        if isinstance(part, list):
            return [rewrite(v, schema) for v in part]
        return part

    return {
        **rewrite({k: v for k, v in document.items() if k != "components"}),
        "components": {
            "schemas": {
                name: {
                    **rewrite(schema, schema=True),
                    "title": name.removesuffix("-Output").replace("-Input", "Input"),
                }
                for name, schema in schemas.items()
                if f"{SCHEMA_PREFIX}{name}" not in alias
            }
        },
    }
