"""One table from refusals to HTTP statuses, answered as RFC 9457 problem+json; the OpenAPI document is built
from the same table."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api.metrics import REFUSED_RULE
from application.errors import (
    CorruptHistory,
    IdempotencyKeyReused,
    LostRace,
    MinPositionNotReached,
    NotFound,
    TooManyWrites,
    Unauthenticated,
    VersionMismatch,
)
from domain.errors import InvalidCommand, NotPermitted, StateConflict
from domain.rules import Refusal, Rule

log = logging.getLogger("casetrail.api")
PROBLEM = "application/problem+json"
PROBLEM_PAGES = "/problems/"  # a relative URI reference (RFC 9457 3.1.1): the service's own page of the rule


class TooManyFailures(Refusal):
    """Too many failed authentications from this client (HTTP 429, Retry-After)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            Rule.TOO_MANY_FAILED_AUTHENTICATIONS, f"too many failed authentications; retry in {retry_after} s"
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class Answer:
    """How one kind of refusal is answered."""

    status: int
    title: str
    description: str
    headers: Callable[[Any], dict[str, str]] = lambda _: {}


# Most specific first: the first class an error is an instance of answers it.
TABLE: list[tuple[type[Refusal], Answer]] = [
    (Unauthenticated, Answer(401, "Unauthorized", "no token, or an unknown or revoked one",
                             lambda _: {"WWW-Authenticate": "Bearer"})),
    (NotPermitted, Answer(403, "Forbidden", "the caller's role or department may not do this (`rule` says which)")),
    (NotFound, Answer(404, "Not Found", "no such object, or one the caller may not see")),
    (StateConflict, Answer(409, "Conflict", "refused by a rule of the object's state (`rule` says which)")),
    (LostRace, Answer(409, "Conflict", "refused by a rule of the object's state, or lost a race (`rule`)")),
    (VersionMismatch, Answer(412, "Precondition Failed", "If-Match does not match the current version")),
    (IdempotencyKeyReused, Answer(422, "Unprocessable Content", "this Idempotency-Key was used with another request")),
    (InvalidCommand, Answer(422, "Unprocessable Content",
                            "malformed input (`rule`: invalid_input or the rule refused)")),
    (TooManyFailures, Answer(429, "Too Many Requests", "too many failed authentications from this client",
                             lambda e: {"Retry-After": str(e.retry_after)})),
    (CorruptHistory, Answer(500, "Internal Server Error",
                            "a stored record fails its integrity check (`rule` integrity_violation)")),
    (TooManyWrites, Answer(429, "Too Many Requests", "too many failed authentications, or too many commands from "
                           "this token (`rule`, `Retry-After`)", lambda e: {"Retry-After": str(e.retry_after)})),
    (MinPositionNotReached, Answer(503, "Service Unavailable",
                                   "storage unavailable or the view not yet at min_position (`Retry-After`)",
                                   lambda _: {"Retry-After": "1"})),
]  # fmt: skip
# Answers the protocol gives without a Refusal (body limits, content type, an unreachable store).
PROTOCOL: dict[int, str] = {
    413: "the request body is too large",
    415: "the body is not JSON",
    503: "storage unavailable or the view not yet at min_position (`Retry-After`)",
}


def described_statuses() -> dict[int, str]:
    """Each status the API answers with a problem, and what it means (for the OpenAPI document)."""
    statuses = {answer.status: answer.description for _, answer in TABLE}
    return dict(sorted({**statuses, **PROTOCOL}.items()))


def answer_for(exc: Refusal) -> Answer:
    for cls, answer in TABLE:
        if isinstance(exc, cls):
            return answer
    raise exc  # an unmapped refusal is a bug: let it be a logged 500


def problem_body(
    status: int,
    title: str,
    detail: str,
    rule: Rule | str | None = None,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": PROBLEM_PAGES + str(rule or status), "title": title, "status": status}
    body["detail"] = detail
    if instance:
        body["instance"] = instance
    if rule:
        body["rule"] = str(rule)
    if status == 422:
        body["errors"] = errors if errors is not None else [{"loc": ["body"], "msg": detail, "type": str(rule)}]
    return body


def problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    rule: Rule | str | None = None,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    if rule:  # for the command metrics (api/metrics.py)
        request.scope.setdefault("state", {})[REFUSED_RULE] = str(rule)
    body = problem_body(status, title, detail, rule, request.url.path, errors)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _unknown_department(request: Request) -> str:
    codes = ", ".join(d.code for d in request.app.state.container.directory)
    return f"; valid department codes: {codes} (GET /v1/departments)"


# What a refusal's detail adds for an integrator, from what the API knows (the directory), by rule.
HINTS: dict[Rule, Callable[[Request], str]] = {Rule.UNKNOWN_DEPARTMENT: _unknown_department}


def refusal(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Refusal)
    answer = answer_for(exc)
    hint = HINTS.get(exc.rule)
    detail = exc.detail + (hint(request) if hint else "")
    return problem(request, answer.status, answer.title, detail, exc.rule, answer.headers(exc) or None)


def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts, errors = [], []
    for err in exc.errors():
        loc = [p if isinstance(p, int) else str(p) for p in err.get("loc", ())]
        msg = str(err.get("msg", "invalid"))
        errors.append({"loc": loc, "msg": msg, "type": str(err.get("type", "invalid"))})
        where = ".".join(str(p) for p in loc if p != "body")
        parts.append(f"{where or 'body'}: {msg}")
    detail = "; ".join(parts) or "malformed request"
    return problem(request, 422, "Unprocessable Content", detail, Rule.INVALID_INPUT, errors=errors)


def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400:  # FastAPI's "error parsing the body": not UTF-8, or nested past the parser's stack
        return problem(
            request, 422, "Unprocessable Content", "the body is not a JSON document in UTF-8", Rule.INVALID_INPUT
        )
    return problem(request, exc.status_code, str(exc.detail), str(exc.detail), None, getattr(exc, "headers", None))


def storage_error(request: Request, exc: Exception) -> JSONResponse:
    log.warning("storage unavailable: %s", exc)
    return problem(
        request,
        503,
        "Service Unavailable",
        "the store is unavailable; retry shortly",
        Rule.STORAGE_UNAVAILABLE,
        {"Retry-After": "2"},
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(Refusal, refusal)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(OperationalError, storage_error)
    app.add_exception_handler(InterfaceError, storage_error)
