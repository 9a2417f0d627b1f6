"""The OpenAPI document as clients see the service: every error is problem+json, with the statuses it can take."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.errors import described_statuses
from api.routes.problems import RuleOut
from api.schemas.common import Problem

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
ERRORS = {str(status): text for status, text in described_statuses().items()}
READ_ERRORS = ("401", "403", "404", "422", "429", "503")
WRITE_ERRORS = (*READ_ERRORS, "409", "412", "413", "415")
TAGS = [
    {"name": "operations", "description": "Liveness, readiness, Prometheus metrics and the problem pages; no token."},
    {"name": "cases", "description": "Register cases and move them through their lifecycle; read one, its history."},
    {"name": "projects", "description": "Major projects: milestones, progress, history."},
    {"name": "views", "description": "The three tiers: handling and resolution queues, warnings, project lists."},
    {"name": "reports", "description": "Department and zone reports over a period (JSON or CSV)."},
    {"name": "directory", "description": "The department and zone codes commands and filters accept."},
    {"name": "audit", "description": "The global event feed and signed checkpoints (auditors)."},
    {"name": "access tokens", "description": "Issue, list and revoke access tokens (admins)."},
]
HEADER = {"schema": {"type": "string"}}
RESPONSE_HEADERS = {
    "ETag": {**HEADER, "description": 'The object\'s version, `"3"`: send it back as If-Match.'},
    "Location": {**HEADER, "description": "The path of the object created."},
    "Idempotent-Replayed": {**HEADER, "description": "`true` when this is the first answer to this Idempotency-Key."},
    "Retry-After": {**HEADER, "description": "Seconds to wait before retrying."},
    "X-Request-ID": {**HEADER, "description": "This request's id, as in the service's log lines."},
}


def _headers(path: str, method: str, code: str) -> dict[str, Any]:
    """The headers an answer carries, by the rules the routes and presenters follow."""
    names = ["X-Request-ID"]
    if code in ("429", "503"):
        names.append("Retry-After")
    one = path.startswith(("/v1/cases/{case_id}", "/v1/projects/{project_id}")) or (
        method == "post" and path in ("/v1/cases", "/v1/projects")
    )
    if code in ("200", "201") and one and not path.endswith(("history", "verification")):
        names.append("ETag")
    if code == "201":
        names.append("Location")
    if code[0] == "2" and method == "post" and path.startswith("/v1"):
        names.append("Idempotent-Replayed")
    return {name: RESPONSE_HEADERS[name] for name in names}


def problem_responses(app: FastAPI) -> dict[str, Any]:
    """The generated schema, with problem+json errors documented on every `/v1` operation."""
    if app.openapi_schema:
        return app.openapi_schema
    # operation ids come from api/operations.py, through the app's generate_unique_id_function
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes, tags=app.openapi_tags
    )
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            codes = (
                (WRITE_ERRORS if method in ("post", "put", "delete") else READ_ERRORS) if path.startswith("/v1") else ()
            )
            for code in {*codes, *(c for c in responses if c[0] in "45")}:
                described = responses.get(code, {}).get("description") or ERRORS.get(code, "error")
                responses[code] = {
                    "description": described,
                    "content": {"application/problem+json": {"schema": PROBLEM_REF}},
                }
            for code, response in responses.items():
                response["headers"] = _headers(path, method, code)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schema["components"]["schemas"].update({**problem.pop("$defs", {}), "Problem": problem})
    schema["components"]["schemas"]["RuleOut"] = RuleOut.model_json_schema()
    schema["components"]["schemas"].pop("HTTPValidationError", None)
    schema["components"]["schemas"].pop("ValidationError", None)
    app.openapi_schema = schema
    return schema
