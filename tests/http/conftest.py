"""The API in-process, on in-memory persistence, with tokens for every actor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain.values import CLI, Role
from infrastructure.container import Container
from tests.http.scenario import Tokens, issue_tokens


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(lambda: container, max_body_bytes=100_000, run_projections=True)) as c:
        yield c


@pytest.fixture
def tokens(client: TestClient, container: Container) -> Tokens:
    admin = container.tokens.issue(CLI, name="admin", role=Role.ADMIN).secret
    return issue_tokens(client, admin)
