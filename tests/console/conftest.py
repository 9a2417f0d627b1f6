"""The console in-process (FastAPI TestClient) on in-memory persistence: sign in with a token, then use pages."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain.values import CLI, Role
from infrastructure.container import Container
from tests.http.scenario import Tokens, auth, issue_tokens

Browser = Callable[[str], TestClient]


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
def browser(container: Container) -> Iterator[Browser]:
    """A fresh cookie jar per person, all on the same app."""
    made: list[TestClient] = []
    the_app = create_app(lambda: container, run_projections=True)

    def open_as(token: str) -> TestClient:
        c = TestClient(the_app, base_url="http://testserver")
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
