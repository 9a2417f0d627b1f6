"""Every 2xx JSON answer of a whole case life, its history and the views validates against the response model its
route declares, so the OpenAPI document (built from those models) cannot drift from what the routes send."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from api.app import create_app
from domain.values import CLI, Role
from infrastructure.container import Container
from tests.http.scenario import auth, check_history, issue_tokens, tier2_life_with_redo

READS = [
    "/v1/cases",
    "/v1/views/handling",
    "/v1/views/resolution",
    "/v1/views/warnings",
    "/v1/projects",
    "/v1/departments",
    "/v1/zones",
    "/v1/tokens",
    "/v1/audit/events",
    "/v1/audit/checkpoint",
]


class RouteRecorder:
    """Wraps the app and keeps the route that answered the last request (the router writes it into the scope)."""

    def __init__(self, app: FastAPI) -> None:
        self.app, self.last = app, None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            self.last = scope.get("route")


class Checked:
    """A test client that validates each 2xx JSON answer against its route's declared response model."""

    def __init__(self, client: TestClient, recorder: RouteRecorder) -> None:
        self.client, self.recorder, self.validated = client, recorder, list[str]()

    def get(self, url: str, **kw: Any) -> Any:
        return self._check(self.client.get(url, **kw))

    def post(self, url: str, **kw: Any) -> Any:
        return self._check(self.client.post(url, **kw))

    def delete(self, url: str, **kw: Any) -> Any:
        return self._check(self.client.delete(url, **kw))

    def _check(self, response: Any) -> Any:
        route = self.recorder.last
        json = response.headers.get("content-type", "").startswith("application/json")
        if (
            isinstance(route, APIRoute)
            and route.response_model is not None
            and 200 <= response.status_code < 300
            and json
        ):
            TypeAdapter(route.response_model).validate_python(response.json())
            self.validated.append(route.path)
        return response


@pytest.fixture
def checked(container: Container) -> Iterator[Checked]:
    recorder = RouteRecorder(create_app(lambda: container, run_projections=True))
    with TestClient(recorder) as client:  # type: ignore[arg-type]
        yield Checked(client, recorder)


def test_every_answer_of_a_case_life_matches_its_declared_model(checked: Checked, container: Container) -> None:
    client, validated = checked, checked.validated
    admin = container.tokens.issue(CLI, name="admin", role=Role.ADMIN).secret
    tokens = issue_tokens(client, admin)
    case_id, _ = tier2_life_with_redo(client, tokens)
    check_history(client, tokens, case_id)
    for token in (tokens.coordinator, tokens.auditor, tokens.admin):
        for path in READS:
            client.get(path, headers=auth(token))
    client.get(f"/v1/cases/{case_id}/verification", headers=auth(tokens.auditor))
    assert {"/v1/cases", "/v1/cases/{case_id}", "/v1/cases/{case_id}/history", "/v1/cases/{case_id}/dispatch"} <= set(
        validated
    )
    assert {"/v1/departments", "/v1/views/handling", "/v1/audit/events", "/v1/tokens"} <= set(validated)
