"""``GET /api/v1/dossiers/{insz}`` answered without Flask, when the answer is already built.

Flask's request context, routing and response objects cost more than the rest of this
route together (measured: the REST dossier at 0.46-0.71x the SOAP dossier's rate). The
route's common case is a valid INSZ, one caller identity, an ordinary answer whose JSON
bytes Flask built before (``rest_api.dossier`` keeps them per persona and day): that case
is served here from the same bytes, after the same decision. Everything else (an invalid
INSZ, a refusal, a 404, a municipality's view, the first call for a persona on a day)
goes to Flask, which answers it as ever. A test compares both for every persona.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from magda_kbi.domain.consumers import Operation
from magda_kbi.domain.insz import modulo97_valid
from magda_kbi.runtime.decision import Kind, Question, decide
from magda_kbi.runtime.journal import Call
from magda_kbi.runtime.wsgi_keys import CALL_KEY

PREFIX = "/api/v1/dossiers/"
JSON = "application/json"  # what Flask's JSON provider answers with


def dossier(runtime, cache, environ: dict, start_response: Callable) -> Iterable[bytes] | None:
    """The cached JSON of the dossier, or None: Flask answers then."""
    insz = environ.get("PATH_INFO", "")[len(PREFIX) :]
    afzender = environ.get("HTTP_X_MAGDA_AFZENDER")
    hoedanigheid = environ.get("HTTP_X_MAGDA_HOEDANIGHEID")
    if (
        not modulo97_valid(insz)
        or "," in (afzender or "")
        or (afzender is not None and not afzender.strip())  # an empty one: refused there
        or "," in (hoedanigheid or "")
        or environ.get("QUERY_STRING")
        or "HTTP_ORIGIN" in environ  # a browser's page: Flask says whether it may read it
    ):
        return None  # the refusals are Flask's (40002, a header or parameter it does not take)
    outcome = decide(runtime, Question(Operation.DOSSIER, insz, afzender, hoedanigheid))
    if outcome.kind is not Kind.ANSWER or outcome.beperkt:
        return None
    body = cache.find((insz, outcome.vandaag), outcome.persona)
    if body is None:
        return None
    # noted as rest_api's dossier view notes it
    environ[CALL_KEY] = Call(
        "GeefDossierKBI", afzender, hoedanigheid, insz, None, outcome.result, outcome.extra
    )
    start_response("200 OK", [("Content-Type", JSON), ("Content-Length", str(len(body)))])
    return [body]
