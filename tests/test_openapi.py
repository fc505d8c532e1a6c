"""The REST face against its own OpenAPI 3.1 document: every route described, and a
property-based run (schemathesis) over the read and the admin routes that finds no 5xx and
no response that breaks the schema. (The admin routes change state: personas, clock,
faults; every answer must still fit the document.)"""

import copy
import re
from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.config import CoveragePhaseConfig, ExamplesPhaseConfig

from magda_kbi.adapters.app import Settings, make_emulator
from magda_kbi.adapters.openapi import PATHS_AND_INFO

EMULATOR = make_emulator(Settings(today=date(2030, 1, 1), admin=True))
DOCUMENT = EMULATOR.rest.test_client().get("/api/v1/openapi.json").get_json()

# PUT /admin/personas/{insz} and POST /admin/personas take a persona as JSON or YAML, read by
# the same code once parsed: schemathesis's boundary sweep of that body (its coverage phase)
# runs once, on PUT's JSON (3,134 cases, 4 s, when written; 4,776 cases and 14.6 s alone
# on 2026-12-02, the persona having grown; with YAML as well it was 6,295 cases and 13 s
# then); both routes get random cases in both media types.
# The YAML reader has its own tests (tests/test_admin.py, tests/test_hostile_input.py).
JSON_PERSONA = copy.deepcopy(DOCUMENT)
del JSON_PERSONA["paths"]["/admin/personas/{insz}"]["put"]["requestBody"]["content"][
    "application/yaml"
]


def _schema(document: dict, sweep: bool = True):
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = EMULATOR.rest
    if not sweep:
        loaded.config.phases.coverage = CoveragePhaseConfig(enabled=False)
        # its examples phase built one case, PUT's JSON from the schema's defaults, which
        # the sweep builds too
        loaded.config.phases.examples = ExamplesPhaseConfig(enabled=False)
    return loaded


API = _schema(DOCUMENT)


# The three runs below take their schema when they run (schemathesis's lazy schemas), not
# at collection: building their cases at collection took 5 to 7 s of CPU on every xdist
# worker, whether it ran them or not. Each API operation is a subtest of its test (a
# failure reads "SUBFAILED ...[GET /api/v1/...]"). Lazy schemas read pytest's
# Function._nodeid, which 9.2 removed; under 9.2 schemathesis's eager tests shared two ids
# as well (xdist ran 2 of 26): pyproject.toml keeps pytest below 9.2.
@pytest.fixture(scope="module")
def api_schema():
    return API


@pytest.fixture(scope="module")
def json_persona_schema():
    return _schema(JSON_PERSONA)


@pytest.fixture(scope="module")
def schema_without_sweep():
    return _schema(DOCUMENT, sweep=False)


schema = schemathesis.pytest.from_fixture("api_schema")
json_persona = schemathesis.pytest.from_fixture("json_persona_schema")
without_sweep = schemathesis.pytest.from_fixture("schema_without_sweep")
PERSONA_BODY = {"method": ["PUT", "POST"], "path_regex": "^/admin/personas"}


def test_every_flask_route_is_in_the_openapi_document():
    routes = set()
    for regel in EMULATOR.rest.url_map.iter_rules():
        if regel.endpoint == "static" or regel.endpoint.startswith("console."):
            continue  # the console's HTML pages are no API (tests/test_console.py)
        path = re.sub(r"<(?:[^>]*:)?([^:>]+)>", r"{\1}", regel.rule)  # <int(max=N):id>: {id}
        for method in regel.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    described = {
        (path, method)
        for path, operations in PATHS_AND_INFO["paths"].items()
        for method in operations
        if method != "parameters"
    }
    assert routes == described


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


INSZ = "52680162936"  # a MAGDA test number no persona has


def one_test_number(case) -> None:
    """The path's INSZ and a body's (where it has the 11 digits the schema asks for) become
    one test number. Generated, they differed and failed modulo 97, so every persona body was
    refused at its INSZ: 4,739 of the sweep's 4,766, none reached the persona checks (with
    it, about 1,250 are taken; the rest break a check the schema cannot say, such as our
    XSD's patterns). An INSZ the schema does not take is kept, and refused."""
    body = case.body
    if isinstance(body, dict) and re.fullmatch("[0-9]{11}", str(body.get("insz"))):
        body["insz"] = INSZ
    if "insz" in (case.path_parameters or {}):
        case.path_parameters["insz"] = INSZ


@schema.exclude(**PERSONA_BODY).parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_conforms_to_its_schema(case):
    case.call_and_validate(checks=CHECKS)


@json_persona.include(method="PUT", path="/admin/personas/{insz}").parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_a_persona_in_json_conforms_to_the_schema_at_every_bound(case, taken):
    one_test_number(case)
    response = case.call()
    case.validate_response(response, checks=CHECKS)
    if response.status_code in (200, 201):
        taken.append(case.body)


@pytest.fixture
def taken():
    """The personas the sweep's PUTs made: once all its cases ran, they must be many (all but
    a handful were refused at their INSZ before one_test_number; 1,253 are taken now)."""
    personas = []
    yield personas
    assert len(personas) > 1000, f"the sweep's PUTs made {len(personas)} personas"


@without_sweep.include(**PERSONA_BODY).parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_a_persona_in_json_or_yaml_conforms_to_the_schema(case):
    one_test_number(case)
    case.call_and_validate(checks=CHECKS)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/dossiers/98630499724", {}),
        ("/api/v1/dossiers/79652599875", {}),
        ("/api/v1/advies/73680599786", {"datum": "2024-01-01"}),
        ("/api/v1/advies/98630499724", {"datum": "2024-01-01", "toepassing": "VERLAAGDE_PREMIE"}),
        ("/api/v1/dossiers/86630100380", {}),
        ("/api/v1/advies/98630499725", {}),
        ("/health", {}),
    ],
)
def test_known_answers_match_the_schema(path, params):
    operation = next(
        op
        for op in API.get_all_operations()
        if op.ok().path == path.rsplit("/", 1)[0] + "/{insz}" or op.ok().path == path
    ).ok()
    case = operation.Case(
        path_parameters={"insz": path.rsplit("/", 1)[1]} if "{" in operation.path else {},
        query=params or None,
    )
    response = case.call()
    operation.validate_response(response)


def fresh_api():
    """A test client of an emulator of its own: the property-based runs above change the
    module's (they delete personas, set the clock, inject faults), in an order xdist picks."""
    return make_emulator(Settings(today=date(2030, 1, 1), admin=True)).rest.test_client()


def test_every_persona_s_dossier_advice_and_admin_record_match_the_schema(builtin_personas):
    """Each built-in persona's answers as a consumer gets them, validated against the
    document: the property-based runs above reach a person only by the examples (a
    generated INSZ fails modulo 97), the known answers above name two."""
    operations = {
        (op.ok().path, op.ok().method.upper()): op.ok() for op in API.get_all_operations()
    }
    asked = [
        ("/api/v1/dossiers/{insz}", None),
        ("/api/v1/advies/{insz}", {"datum": "2024-01-01"}),
        ("/api/v1/advies/{insz}", {"datum": "2023-03-01", "toepassing": "VERLAAGDE_PREMIE"}),
        ("/admin/personas/{insz}", None),
    ]
    statuses = set()
    client = fresh_api()
    for insz in builtin_personas:
        for path, query in asked:
            response = client.get(path.format(insz=insz), query_string=query)
            operations[(path, "GET")].validate_response(response)
            statuses.add(response.status_code)
    assert statuses == {200, 404, 502, 503}  # 30001, the SOAP Fault and 99996 among them


def fits(value, schema: dict) -> bool:
    """The parameter schemas the document gives examples for: a string with its pattern, an
    integer within its bounds (any other fails the test, to be added here)."""
    if schema["type"] == "integer":
        return type(value) is int and schema["minimum"] <= value <= schema["maximum"]
    assert schema["type"] == "string" and schema.keys() <= {"type", "pattern"}, schema
    return isinstance(value, str) and re.search(schema.get("pattern", ""), value) is not None


def test_every_example_of_a_parameter_fits_its_schema_and_is_answered():
    """A route called with the document's examples (and nothing else) answers 200; each
    example fits its parameter's schema (a client generator checks one against the other)."""
    called = []
    client = fresh_api()
    for path, operations in DOCUMENT["paths"].items():
        shared = operations.get("parameters", [])
        for method, operation in operations.items():
            if method != "get":
                continue
            parameters = [*shared, *operation.get("parameters", [])]
            examples = {p["name"]: p for p in parameters if "example" in p}
            for parameter in examples.values():
                assert fits(parameter["example"], parameter["schema"]), parameter
            if not examples or any(p["required"] and p["name"] not in examples for p in parameters):
                continue
            url = path.format(**{n: p["example"] for n, p in examples.items() if p["in"] == "path"})
            query = {n: p["example"] for n, p in examples.items() if p["in"] == "query"}
            # read whole and closed: a list is streamed inside its request's context
            with client.get(url, query_string=query) as response:
                assert response.status_code == 200, (url, query, response.get_data(as_text=True))
            called.append(url)
    assert "/api/v1/lijsten/verlaagde-premie/2024" in called
    assert "/api/v1/lijsten/gemeente/24055" in called
    assert "/api/v1/dossiers/73680599786" in called


def test_every_request_body_says_the_fields_it_takes_and_no_other():
    """Each route refuses a field it does not take (422); its body's schema says so, and
    which fields it needs: the clock's said neither (a generated client could send {})."""
    bodies = {  # a body each route takes, written out
        ("/admin/personas", "post"): {"insz": "52680162936", "scenario": "s", "naam": "N"},
        ("/admin/personas/{insz}", "put"): {"insz": "52680162936", "scenario": "s", "naam": "N"},
        ("/admin/clock", "put"): {"today": None},
        ("/admin/faults", "post"): {"kind": "99996"},
    }
    found = {}
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            if method == "parameters" or "requestBody" not in operation:
                continue
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            if (path, method) == ("/admin/reset", "post"):  # {} only: a field is refused
                assert (body["maxProperties"], body["additionalProperties"]) == (0, False)
                continue
            if "$ref" in body:
                body = DOCUMENT["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
            found[(path, method)] = body
            assert body.get("additionalProperties") is False, (path, method)
            assert body.get("required"), (path, method)
    assert found.keys() == bodies.keys()
    client = fresh_api()
    for (path, method), body in bodies.items():
        url = path.format(insz="52680162936")
        refused = client.open(url, method=method.upper(), json={**body, "extra": 1})
        assert refused.status_code == 422 and refused.json["field"] == "extra", (url, refused.json)
        missing = client.open(url, method=method.upper(), json={})
        assert missing.status_code == 422, (url, missing.json)
    refused = client.post("/admin/reset", json={"journal": False})
    assert (refused.status_code, refused.json["code"]) == (400, "INVALID_PARAMETER")


# Every admin operation in an order that leaves each one something to act on.
ADMIN_CALLS = [
    ("/admin/", "get"),
    ("/admin/personas", "get"),
    ("/admin/personas", "post"),
    ("/admin/personas/{insz}", "get"),
    ("/admin/personas/{insz}", "put"),
    ("/admin/personas/{insz}", "delete"),
    ("/admin/clock", "get"),
    ("/admin/clock", "put"),
    ("/admin/faults", "post"),
    ("/admin/faults", "get"),
    ("/admin/faults/{fault_id}", "delete"),
    ("/admin/faults", "delete"),
    ("/admin/journal", "get"),
    ("/admin/journal", "delete"),
    ("/admin/reset", "post"),
]


def test_a_client_generated_from_the_document_makes_every_admin_call():
    """What a generator makes of the document, sent through the whole emulator, its admin
    guard included (the sweeps above call the Flask app behind it): a body, and with it a
    Content-Type, only where an operation declares one. The DELETEs and the reset were
    refused 415 "must say Content-Type ... (also without a body)", a status the document did
    not declare (found with the client openapi-python-client generates)."""
    from werkzeug.test import Client

    described = {
        (path, method)
        for path, operations in DOCUMENT["paths"].items()
        if path.startswith("/admin/")
        for method in operations
        if method != "parameters"
    }
    assert sorted(ADMIN_CALLS) == sorted(described)
    bodies = {  # what a caller fills in: written out
        ("/admin/personas", "post"): {"insz": "52680162936", "scenario": "s", "naam": "N"},
        ("/admin/personas/{insz}", "put"): {"insz": "52680162936", "scenario": "t", "naam": "N"},
        ("/admin/clock", "put"): {"today": "2024-01-01"},
        ("/admin/faults", "post"): {"kind": "99996", "count": 1},
        ("/admin/reset", "post"): {},
    }
    client = Client(make_emulator(Settings(today=date(2030, 1, 1), admin=True)))
    values = {"insz": "52680162936"}
    for path, method in ADMIN_CALLS:
        operation = DOCUMENT["paths"][path][method]
        url = path.format(**values)
        if "requestBody" in operation:
            assert "application/json" in operation["requestBody"]["content"], (path, method)
            answer = client.open(url, method=method.upper(), json=bodies[(path, method)])
        else:
            answer = client.open(url, method=method.upper())  # no body: no Content-Type
        said = (method, url, answer.status_code, answer.get_data(as_text=True)[:300])
        assert answer.status_code < 300 and str(answer.status_code) in operation["responses"], said
        if (path, method) == ("/admin/faults", "post"):
            values["fault_id"] = answer.json["id"]


def test_every_operation_has_its_own_operation_id():
    """Generated clients name their methods after it; there was none."""
    names = {
        (path, method): operation.get("operationId")
        for path, operations in PATHS_AND_INFO["paths"].items()
        for method, operation in operations.items()
        if method != "parameters"
    }
    assert None not in names.values(), [k for k, v in names.items() if v is None]
    assert len(set(names.values())) == len(names)
    assert names[("/api/v1/dossiers/{insz}", "get")] == "getDossier"
    assert names[("/api/v1/advies/{insz}", "get")] == "getAdvies"
    assert names[("/admin/personas/{insz}", "put")] == "putPersona"
    assert names[("/admin/faults", "post")] == "addFault"


def test_client_generators_get_one_model_per_component():
    """openapi-python-client dropped the dossier, the persona and nine other models: pydantic
    titled Aanmelding-Input and -Output both "Aanmelding", an inline object "Code" beside
    the component "Code", and components that only pointed to another ("Dossier") counted
    as that one's duplicates. Now each component has its own title, none is an alias, and
    a nested schema has no title (checked by hand with openapi-python-client 0.29.1: only its
    note that it does not read application/yaml bodies is left)."""
    from magda_kbi.adapters.openapi import document

    doc = document()
    schemas = doc["components"]["schemas"]
    titels = [schema["title"] for schema in schemas.values()]
    assert len(set(titels)) == len(titels)
    assert schemas["KbiDossier-Output"]["title"] == "KbiDossier"
    assert schemas["KbiDossier-Input"]["title"] == "KbiDossierInput"
    assert not [naam for naam, schema in schemas.items() if schema.keys() == {"$ref"}]

    def refs_and_titles(part, path: str, schema: bool, names: bool = False):
        if isinstance(part, dict):
            for k, v in part.items():
                if k == "$ref" and not names:
                    yield "ref", v
                elif k == "title" and schema and not names:
                    yield "title", path
                else:
                    yield from refs_and_titles(
                        v, f"{path}/{k}", schema, schema and k == "properties"
                    )
        elif isinstance(part, list):
            for i, v in enumerate(part):
                yield from refs_and_titles(v, f"{path}/{i}", schema)

    found = [
        *refs_and_titles({k: v for k, v in doc.items() if k != "components"}, "", False),
        *(
            x
            for naam, schema in schemas.items()
            for x in refs_and_titles({k: v for k, v in schema.items() if k != "title"}, naam, True)
        ),
    ]
    assert [path for kind, path in found if kind == "title"] == []
    refs = {ref for kind, ref in found if kind == "ref"}
    assert {ref.removeprefix("#/components/schemas/") for ref in refs} <= set(schemas)
    dossier = doc["paths"]["/api/v1/dossiers/{insz}"]["get"]["responses"]["200"]
    assert dossier["content"]["application/json"]["schema"] == {
        "oneOf": [
            {"$ref": "#/components/schemas/KbiDossier-Output"},
            {"$ref": "#/components/schemas/DossierGemeente"},
        ]
    }


def test_every_query_parameter_a_route_takes_is_in_the_document():
    """GET /admin/journal takes ``kind`` (call, admin or all), which the document left out:
    a client generated from it could not ask for admin calls. What each route answers an
    unknown parameter with names the ones it takes; the document must name the same."""
    rest = make_emulator(Settings(today=date(2030, 1, 1), admin=True)).rest.test_client()
    values = {"insz": "73680599786", "jaar": "2024", "nis": "24055", "fault_id": "1"}
    checked = {}
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "delete"):  # no body: the parameter is the only fault
                continue
            url = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
            antwoord = rest.open(f"{url}?zzz=1", method=method.upper())
            if antwoord.status_code != 400:  # /health, the indexes: anything is taken
                continue
            diagnose = antwoord.get_json()["diagnose"]
            takes = re.search(r"\(allowed: ([^)]*)\)", diagnose)
            assert takes or "takes no parameter" in diagnose, (path, diagnose)
            described = {
                p["name"]
                for p in (*operations.get("parameters", ()), *operation.get("parameters", ()))
                if p["in"] == "query"
            }
            checked[(path, method)] = described
            assert described == (set(takes.group(1).split(", ")) if takes else set()), path
    assert checked[("/admin/journal", "get")] == {"insz", "afzender", "operation", "since", "kind"}
    assert checked[("/api/v1/advies/{insz}", "get")] == {"datum", "toepassing"}
    assert len(checked) >= 15, sorted(checked)
