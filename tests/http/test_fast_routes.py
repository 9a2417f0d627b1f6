"""Command routes that skip FastAPI's dependency solving (api/fast_routes.py): the ordinary request takes the
planned path, every other one is answered by FastAPI's own handler, exactly as before."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import routing as fastapi_routing
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Router

from api.app import create_app
from api.fast_routes import Direct, FastRoute, plan
from api.routes import cases, projects
from application.cases import CaseService
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


@pytest.fixture
def routed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths the application's router was asked to answer (the direct path does not ask it)."""
    paths: list[str] = []
    original = Router.__call__

    async def counting(self: Router, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            paths.append(scope["path"])
        await original(self, scope, receive, send)

    monkeypatch.setattr(Router, "__call__", counting)
    yield paths


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


def test_an_ordinary_command_is_answered_at_the_edge_without_the_router(
    client: TestClient, tokens: Tokens, routed: list[str]
) -> None:
    case = signed_for_case(client, tokens)
    path = f"/v1/cases/{case['id']}/progress"
    routed.clear()
    r = client.post(path, json={"note": "进展"}, headers=auth(tokens.lead))
    assert r.status_code == 200, r.text
    assert r.headers["X-Request-ID"]
    assert routed == []
    client.get(f"/v1/cases/{case['id']}", headers=auth(tokens.lead))  # not planned: the router answers it
    assert routed == [f"/v1/cases/{case['id']}"]


def test_a_refusal_on_the_direct_path_is_answered_by_the_application_handler(
    client: TestClient, tokens: Tokens, routed: list[str]
) -> None:
    missing = f"/v1/cases/{uuid.uuid4()}/progress"
    routed.clear()
    r = client.post(missing, json={"note": "x"}, headers=auth(tokens.lead))
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["rule"] == "not_found"
    assert r.headers["X-Request-ID"]
    assert routed == []


def test_a_failure_on_the_direct_path_is_a_500_with_its_request_id_and_is_raised_on_to_the_server(
    client: TestClient, tokens: Tokens, routed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    case = signed_for_case(client, tokens)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(CaseService, "progress", broken)
    routed.clear()
    quiet = TestClient(client.app, raise_server_exceptions=False)  # the same app, its lifespan already run
    r = quiet.post(f"/v1/cases/{case['id']}/progress", json={"note": "x"}, headers=auth(tokens.lead))
    assert r.status_code == 500
    assert r.headers["X-Request-ID"]
    assert routed == []
    with pytest.raises(RuntimeError, match="a bug"):  # raised on, as the whole stack does (the server logs it)
        client.post(f"/v1/cases/{case['id']}/progress", json={"note": "x"}, headers=auth(tokens.lead))


def _progress_scope(method: str = "POST") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": f"/v1/cases/{uuid.uuid4()}/progress", "root_path": ""}


def test_the_direct_path_takes_the_route_the_router_would_take() -> None:
    app = create_app(lambda: None)  # type: ignore[arg-type,return-value]
    found = Direct.of(app, app).find(_progress_scope())
    assert found is not None
    target, params = found
    assert target.route is route("/v1/cases/{case_id}/progress", "POST")
    assert set(params) == {"case_id"}
    assert Direct.of(app, app).find(_progress_scope("PUT")) is None  # no planned route for the method


@pytest.mark.parametrize(
    ("before", "taken"),
    [
        (APIRoute("/v1/cases/{x}/progress", lambda: JSONResponse({}), methods=["POST"]), False),
        (APIRoute("/v1/cases/{x}/progress", lambda: JSONResponse({}), methods=["GET"]), True),
        (Mount("/v1/cases", app=JSONResponse({})), False),
        (APIRoute("/v1/cases/{x}/other", lambda: JSONResponse({}), methods=["POST"]), True),
    ],
    ids=["same path and method", "same path, other method", "a mount over it", "another path"],
)
def test_a_route_declared_before_a_planned_one_keeps_its_requests(before: Any, taken: bool) -> None:
    app = create_app(lambda: None)  # type: ignore[arg-type,return-value]
    app.router.routes.insert(0, before)
    assert (Direct.of(app, app).find(_progress_scope()) is not None) is taken


def test_a_root_path_goes_the_whole_way() -> None:
    app = create_app(lambda: None)  # type: ignore[arg-type,return-value]
    assert Direct.of(app, app).find({**_progress_scope(), "root_path": "/casetrail"}) is None
