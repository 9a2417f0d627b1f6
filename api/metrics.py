"""How every request is counted and timed, and each command's outcome (infrastructure/metrics.py)."""

from __future__ import annotations

from fastapi.routing import APIRoute
from starlette.types import Scope

from api.operations import operation_id
from domain.rules import Rule
from infrastructure.metrics import COMMANDS, LATENCY, REQUESTS

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
CONFLICTS = {Rule.VERSION_MISMATCH.value}
REFUSED_RULE = "refused_rule"  # the key under which api/errors.py leaves a refusal's rule in the request state


def command_outcome(status: int, replayed: bool, rule: str) -> str:
    if replayed:
        return "replayed"
    if status < 400:
        return "recorded"
    if rule in CONFLICTS:
        return "conflict"
    return "error" if status >= 500 else "refused"


def observe(scope: Scope, status: int, replayed: bool, seconds: float) -> None:
    """Count and time a request (api/edge.py calls it for every one); the route is the path template, so ids
    do not explode the label set. A write under /v1 is also counted as a command, by its operation id and
    outcome."""
    route = scope.get("route")
    template = getattr(route, "path", "unmatched")
    method = scope["method"] if scope["method"] in METHODS else "other"  # labels stay a bounded set
    REQUESTS.labels(method, template, str(status)).inc()
    LATENCY.labels(template, str(status)).observe(seconds)
    if method in WRITES and template.startswith("/v1"):
        rule = str(scope.get("state", {}).get(REFUSED_RULE, ""))
        operation = operation_id(route) if isinstance(route, APIRoute) else template
        COMMANDS.labels(operation, command_outcome(status, replayed, rule), rule).inc()
