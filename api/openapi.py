"""The OpenAPI document as clients see the service: every error is problem+json, with the statuses it can take."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
ERRORS = {
    "401": "no token, or an unknown or revoked one",
    "403": "the caller's role or department may not do this (`rule` says which)",
    "404": "no such object, or one the caller may not see",
    "409": "refused by a rule of the object's state, or lost a race (`rule`)",
    "412": "If-Match does not match the current version",
    "413": "the request body is too large",
    "415": "the body is not JSON",
    "422": "malformed input (`rule`: invalid_input or the rule refused)",
    "429": "too many failed authentications from this client",
    "503": "storage unavailable or the view not yet at min_position (`Retry-After`)",
}
READ_ERRORS = ("401", "403", "404", "422", "429", "503")
WRITE_ERRORS = (*READ_ERRORS, "409", "412", "413", "415")


def problem_responses(app: FastAPI) -> dict[str, Any]:
    """The generated schema, with problem+json errors documented on every `/v1` operation."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
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
    schema["components"]["schemas"].pop("HTTPValidationError", None)
    schema["components"]["schemas"].pop("ValidationError", None)
    app.openapi_schema = schema
    return schema
