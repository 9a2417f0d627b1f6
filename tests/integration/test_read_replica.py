"""The read side on a replica (CASETRAIL_READ_DATABASE_URL), wired in the container: with the replica answering,
views, case reads and histories are read there; with it down, every read is answered by the primary, and
`min_position` still holds. (The full drill, with a real streaming replica stopped and restarted, is
tests/reliability/test_scaleout.py.)"""

from __future__ import annotations

import contextvars
import socket
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from application.views import CaseFilter, PageRequest
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.metrics import REPLICA_FALLBACKS
from infrastructure.replica import ReplicaCaseQueries
from infrastructure.settings import Settings
from tests.conftest import AUDITOR, COORDINATOR, POSTGRES_URL, new_case, require_postgres, reset_postgres
from tests.unit.tracking_steps import catch_up

pytestmark = pytest.mark.postgres
T = TypeVar("T")


def fresh(read: Callable[[], T]) -> T:
    """A read as one request does it: in a context of its own (a request answered by the primary stays there)."""
    return contextvars.Context().run(read)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens there once the socket is closed


def build_with_replica(read_url: str, clock: FixedClock) -> Container:
    require_postgres()
    reset_postgres()
    return build(Settings(database_url=POSTGRES_URL, read_database_url=read_url), clock=clock)


@pytest.fixture
def down(clock: FixedClock) -> Iterator[Container]:
    container = build_with_replica(f"postgresql://postgres@127.0.0.1:{closed_port()}/casetrail", clock)
    yield container
    container.close()


def test_with_a_replica_case_reads_views_and_history_go_through_the_replica_route(clock: FixedClock) -> None:
    # The primary stands in as its own replica: a streaming replica holds the same tables.
    container = build_with_replica(POSTGRES_URL, clock)
    try:
        assert container.replica is not None and isinstance(container.queries, ReplicaCaseQueries)
        from application.execution import CommandContext

        result = container.cases.register(CommandContext(COORDINATOR), new_case(title="副本读取"))
        catch_up(container)
        before = REPLICA_FALLBACKS.labels("views")._value.get(), REPLICA_FALLBACKS.labels("case")._value.get()
        page = fresh(
            lambda: container.view_service.list_cases(COORDINATOR, CaseFilter(), PageRequest(), result.position)
        )
        assert [item["title"] for item in page.items] == ["副本读取"]
        assert fresh(lambda: container.queries.get(result.case.id, COORDINATOR)).case.title == "副本读取"
        history = fresh(lambda: container.queries.history(result.case.id, AUDITOR))
        assert [e["type"] for e in history] == ["CaseRegistered"]
        after = REPLICA_FALLBACKS.labels("views")._value.get(), REPLICA_FALLBACKS.labels("case")._value.get()
        assert after == before, "a read fell back to the primary while the replica answered"
        status = container.replica.status(["cases"], result.position)
        assert status["status"] == "up" and status["lag"] == 0, status
    finally:
        container.close()


def test_with_the_replica_down_every_read_is_answered_by_the_primary(down: Container) -> None:
    from application.execution import CommandContext

    result = down.cases.register(CommandContext(COORDINATOR), new_case(title="主库兜底"))
    catch_up(down)
    before = REPLICA_FALLBACKS.labels("views")._value.get() + REPLICA_FALLBACKS.labels("case")._value.get()
    page = fresh(lambda: down.view_service.list_cases(COORDINATOR, CaseFilter(), PageRequest(), result.position))
    assert [item["title"] for item in page.items] == ["主库兜底"]
    assert fresh(lambda: down.queries.get(result.case.id, COORDINATOR)).case.title == "主库兜底"
    assert len(fresh(lambda: down.queries.history(result.case.id, AUDITOR))) == 1
    after = REPLICA_FALLBACKS.labels("views")._value.get() + REPLICA_FALLBACKS.labels("case")._value.get()
    assert after > before
    assert down.replica is not None
    assert down.replica.status(["cases"], result.position)["status"] == "down"
