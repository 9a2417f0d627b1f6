"""The console in-process (FastAPI TestClient) on in-memory persistence: sign in with a token, then use pages."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain.values import CLI, Role
from infrastructure.container import Container
from tests.http.scenario import Tokens, auth, issue_tokens

Browser = Callable[[str], TestClient]


class Borrowed:
    """A container an app uses but does not own: its `close` is left to the `container` fixture."""

    def __init__(self, container: Container) -> None:
        self._container = container

    def __getattr__(self, name: str) -> Any:
        return getattr(self._container, name)

    def close(self) -> None:
        pass


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(lambda: container, run_projections=True), base_url="http://testserver") as c:
        yield c


@pytest.fixture
def tokens(client: TestClient, container: Container) -> Tokens:
    admin = container.tokens.issue(CLI, name="admin", role=Role.ADMIN).secret
    return issue_tokens(client, admin)


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden field {name}"
    return found.group(1)


def sign_in(client: TestClient, token: str) -> TestClient:
    page = client.get("/console/sign-in")
    answer = client.post(
        "/console/sign-in",
        data={"token": token, "nonce": hidden(page.text, "nonce"), "next": "/console/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


@pytest.fixture
def browser(container: Container, request: pytest.FixtureRequest) -> Iterator[Browser]:
    """A fresh cookie jar per person, all on the same container. One projection loop in all: each started app runs its
    own, and several threads folding into the same in-memory SQLite views at once can crash the interpreter."""
    made: list[TestClient] = []
    looping = "client" in request.fixturenames  # the `client` fixture's app runs the loop already
    # The apps borrow the container: the first one to stop would otherwise close it under the loop of another.
    borrowed = cast(Container, Borrowed(container))
    with_loop = create_app(lambda: borrowed, run_projections=not looping)
    without_loop = create_app(lambda: borrowed, run_projections=False)

    def open_as(token: str) -> TestClient:
        c = TestClient(without_loop if made else with_loop, base_url="http://testserver")
        c.__enter__()
        made.append(c)
        return sign_in(c, token)

    yield open_as
    for c in reversed(made):
        c.__exit__(None, None, None)


def form_fields(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to `action` (csrf, version, idempotency_key)."""
    start = html.index(f'action="{action}"')
    chunk = html[start : html.index("</form>", start)]
    return dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', chunk))


__all__ = ["Browser", "auth", "form_fields", "hidden", "sign_in"]
