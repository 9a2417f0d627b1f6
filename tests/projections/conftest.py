"""What the projection tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from tests.conftest import POSTGRES_URL, require_postgres, reset_postgres


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_container(request: pytest.FixtureRequest, clock: FixedClock, tmp_path: Path) -> Iterator[Container]:
    """The service in memory, on SQLite and on PostgreSQL."""
    url = {"memory": "memory://", "sqlite": f"sqlite:///{tmp_path / 'casetrail.db'}"}.get(request.param)
    if url is None:
        require_postgres()
        reset_postgres()
        url = POSTGRES_URL
    container = build(Settings(database_url=url), clock=clock)
    yield container
    container.close()
