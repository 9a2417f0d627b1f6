"""The OpenAPI document as clients see the service: every error is problem+json, with the statuses it can take."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.errors import described_statuses
from api.schemas.common import Problem

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
ERRORS = {str(status): text for status, text in described_statuses().items()}
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
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schema["components"]["schemas"].update({**problem.pop("$defs", {}), "Problem": problem})
    schema["components"]["schemas"].pop("HTTPValidationError", None)
    schema["components"]["schemas"].pop("ValidationError", None)
    app.openapi_schema = schema
    return schema
