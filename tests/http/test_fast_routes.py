"""Command routes that skip FastAPI's dependency solving (api/fast_routes.py): the ordinary request takes the
planned path, every other one is answered by FastAPI's own handler, exactly as before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import routing as fastapi_routing
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.fast_routes import FastRoute, plan
from api.routes import cases, projects
from tests.http.scenario import Tokens, auth, signed_for_case


@pytest.fixture
def solved(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The endpoints FastAPI's own request handler ran for (it looks `_extract_endpoint_context` up first thing
    at each request, before reading the body or solving dependencies)."""
    calls: list[str] = []
    original = fastapi_routing._extract_endpoint_context

    def counting(func: Any) -> Any:
        calls.append(func.__name__)
        return original(func)

    monkeypatch.setattr(fastapi_routing, "_extract_endpoint_context", counting)
    yield calls


def route(path: str, method: str) -> APIRoute:
    for r in [*cases.router.routes, *projects.router.routes]:
        if isinstance(r, APIRoute) and r.path == path and method in r.methods:
            return r
    raise LookupError(path)


def test_commands_are_planned_and_routes_with_query_parameters_are_not() -> None:
    assert isinstance(route("/v1/cases/{case_id}/progress", "POST"), FastRoute)
    assert plan(route("/v1/cases/{case_id}/progress", "POST")) is not None
    assert plan(route("/v1/cases", "POST")) is not None
    assert plan(route("/v1/projects/{project_id}/progress", "POST")) is not None
    assert plan(route("/v1/cases/{case_id}", "GET")) is None  # as_of, as_of_version: query parameters
    assert plan(route("/v1/cases/{case_id}/sign-for", "POST")) is None  # an optional body


def test_an_ordinary_command_skips_dependency_solving(client: TestClient, tokens: Tokens, solved: list[str]) -> None:
    case = signed_for_case(client, tokens)
    solved.clear()
    r = client.post(f"/v1/cases/{case['id']}/progress", json={"note": "进展"}, headers=auth(tokens.lead))
    assert r.status_code == 200, r.text
    assert r.json()["version"] == case["version"] + 1
    assert r.headers["ETag"] == f'"{case["version"] + 1}"'
    assert r.headers["X-Request-ID"]
    assert solved == []


@pytest.mark.parametrize(
    ("how", "status", "rule"),
    [
        ("no token", 401, "unauthenticated"),
        ("unknown token", 401, "unauthenticated"),
        ("path not a uuid", 422, "invalid_input"),
        ("body not json", 422, "invalid_input"),
        ("body of another media type", 422, "invalid_input"),
        ("note missing", 422, "invalid_input"),
        ("idempotency key too long", 422, "invalid_input"),
    ],
)
def test_every_other_request_is_answered_by_fastapi(
    client: TestClient, tokens: Tokens, solved: list[str], how: str, status: int, rule: str
) -> None:
    case = signed_for_case(client, tokens)
    path, headers, body = f"/v1/cases/{case['id']}/progress", auth(tokens.lead), b'{"note": "x"}'
    if how == "no token":
        headers = {}
    elif how == "unknown token":
        headers = auth("ct_unknown")
    elif how == "path not a uuid":
        path = "/v1/cases/not-a-uuid/progress"
    elif how == "body not json":
        body = b'{"note": '
    elif how == "note missing":
        body = b"{}"
    elif how == "idempotency key too long":
        headers = {**headers, "Idempotency-Key": "k" * 201}
    content_type = "text/plain" if how == "body of another media type" else "application/json"
    solved.clear()
    r = client.post(path, content=body, headers={**headers, "Content-Type": content_type})
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["rule"] == rule
    assert solved == ["progress"]
    after = client.get(f"/v1/cases/{case['id']}", headers=auth(tokens.lead)).json()
    assert after["version"] == case["version"]  # nothing recorded


def test_a_refused_token_is_counted_once_by_the_failure_throttle(client: TestClient, tokens: Tokens) -> None:
    case = signed_for_case(client, tokens)
    throttle = client.app.state.auth_throttle  # type: ignore[attr-defined]
    path = f"/v1/cases/{case['id']}/progress"
    answers = [
        client.post(path, json={"note": "x"}, headers=auth(f"ct_guess{n}")).status_code for n in range(throttle.limit)
    ]
    assert answers == [401] * throttle.limit
    r = client.post(path, json={"note": "x"}, headers=auth(tokens.lead))  # even a valid token, once throttled
    assert r.status_code == 429
    assert r.json()["rule"] == "too_many_failed_authentications"


def test_a_token_this_process_does_not_remember_is_read_from_the_store(
    client: TestClient, tokens: Tokens, solved: list[str]
) -> None:
    """In-process the container keeps no token cache: every token is read from the store, in the endpoint's hop."""
    assert client.app.state.container.tokens.remembered(tokens.lead) is None  # type: ignore[attr-defined]
    case = signed_for_case(client, tokens)
    solved.clear()
    r = client.post(f"/v1/cases/{case['id']}/progress", json={"note": "进展"}, headers=auth(tokens.lead))
    assert r.status_code == 200
    assert solved == []


def test_the_openapi_document_still_describes_the_planned_routes(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/cases/{case_id}/progress"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Note"}
    assert [p["name"] for p in operation["parameters"]] == ["case_id", "if-match", "Idempotency-Key"]
    assert operation["security"] == [{"HTTPBearer": []}]
