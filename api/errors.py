"""One table from errors to HTTP statuses, answered as RFC 9457 problem+json."""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api.throttle import TooManyFailures
from application.views import MinPositionNotReached
from domain.errors import (
    DomainError,
    InvalidCommand,
    LostRace,
    NotFound,
    NotPermitted,
    StateConflict,
    VersionMismatch,
)

log = logging.getLogger("casetrail.api")
PROBLEM = "application/problem+json"
BASE = "https://casetrail.example/problems/"

STATUS: list[tuple[type[DomainError], int, str]] = [
    (NotFound, 404, "Not Found"),
    (NotPermitted, 403, "Forbidden"),
    (VersionMismatch, 412, "Precondition Failed"),
    (LostRace, 409, "Conflict"),
    (StateConflict, 409, "Conflict"),
    (InvalidCommand, 422, "Unprocessable Content"),
]


class Unauthorized(DomainError):
    def __init__(self, detail: str) -> None:
        super().__init__("unauthenticated", detail)


def problem(
    status: int, title: str, detail: str, rule: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"type": BASE + (rule or str(status)), "title": title, "status": status, "detail": detail}
    if rule:
        body["rule"] = rule
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    if isinstance(exc, TooManyFailures):
        return problem(429, "Too Many Requests", exc.detail, exc.rule, {"Retry-After": str(exc.retry_after)})
    if isinstance(exc, MinPositionNotReached):
        return problem(503, "Service Unavailable", exc.detail, exc.rule, {"Retry-After": "1"})
    if isinstance(exc, Unauthorized):
        return problem(401, "Unauthorized", exc.detail, exc.rule, {"WWW-Authenticate": "Bearer"})
    for cls, status, title in STATUS:
        if isinstance(exc, cls):
            return problem(status, title, exc.detail, exc.rule)
    raise exc  # an unmapped DomainError is a bug: let it be a logged 500


def validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where or 'body'}: {err.get('msg', 'invalid')}")
    return problem(422, "Unprocessable Content", "; ".join(parts) or "malformed request", "invalid_input")


def http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400:  # FastAPI's "error parsing the body": not UTF-8, or nested past the parser's stack
        return problem(422, "Unprocessable Content", "the body is not a JSON document in UTF-8", "invalid_input")
    return problem(exc.status_code, str(exc.detail), str(exc.detail), None, getattr(exc, "headers", None))


def storage_error(_: Request, exc: Exception) -> JSONResponse:
    log.warning("storage unavailable: %s", exc)
    return problem(
        503,
        "Service Unavailable",
        "the store is unavailable; retry shortly",
        "storage_unavailable",
        {"Retry-After": "2"},
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(OperationalError, storage_error)
    app.add_exception_handler(InterfaceError, storage_error)
