"""The read route to a replica: the replica while it answers, the primary when it does not (or lacks the thing),
and a request that was answered by the primary stays there, so a replica behind the primary never answers it."""

from __future__ import annotations

import contextvars
import logging

import pytest
from eventsourcing.persistence import OperationalError

from application.errors import NotFound
from infrastructure.metrics import REPLICA_FALLBACKS
from infrastructure.replica import ReplicaRoute


def fallbacks(what: str) -> float:
    return REPLICA_FALLBACKS.labels(what)._value.get()


def down() -> str:
    raise OperationalError("couldn't get a connection after 1.00 sec")


def in_request(route: ReplicaRoute, *reads: tuple[object, object]) -> list[str]:
    """The reads of one request, in a fresh context (as each request's handler has: its task's, never another's)."""

    def run() -> list[str]:
        return [route.run("views", replica, primary) for replica, primary in reads]  # type: ignore[arg-type]

    return contextvars.Context().run(run)


def test_reads_go_to_the_replica_while_it_answers() -> None:
    route = ReplicaRoute("postgresql://replica/db")
    before = fallbacks("views")
    assert in_request(route, (lambda: "replica", lambda: "primary")) == ["replica"]
    assert fallbacks("views") == before


def test_a_replica_that_does_not_answer_sends_reads_to_the_primary_with_a_log_line_and_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    route = ReplicaRoute("postgresql://replica/db", retry_every=60)
    before = fallbacks("views")
    with caplog.at_level(logging.WARNING, logger="casetrail.replica"):
        assert in_request(route, (down, lambda: "primary")) == ["primary"]
        # Marked down: the next request goes straight to the primary, without waiting on the replica again.
        assert in_request(route, (lambda: "replica", lambda: "primary")) == ["primary"]
    assert fallbacks("views") == before + 2
    assert [r.message for r in caplog.records if "does not answer" in r.message] != []
    assert not route.up


def test_after_the_retry_interval_the_replica_is_asked_again_and_its_return_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    route = ReplicaRoute("postgresql://replica/db", retry_every=0)
    in_request(route, (down, lambda: "primary"))
    with caplog.at_level(logging.WARNING, logger="casetrail.replica"):
        assert in_request(route, (lambda: "replica", lambda: "primary")) == ["replica"]
    assert any("answers again" in r.message for r in caplog.records)


def test_a_request_answered_by_the_primary_stays_on_the_primary_for_its_later_reads() -> None:
    route = ReplicaRoute("postgresql://replica/db", retry_every=0)  # the replica is asked again at once
    answers = in_request(route, (down, lambda: "primary"), (lambda: "replica", lambda: "primary"))
    assert answers == ["primary", "primary"], "a position checked on the primary was read on the replica"
    assert in_request(route, (lambda: "replica", lambda: "primary")) == ["replica"], "the pin outlived its request"


def test_a_case_missing_on_the_replica_is_asked_of_the_primary_only_when_asked_to() -> None:
    route = ReplicaRoute("postgresql://replica/db")

    def missing() -> str:
        raise NotFound()

    def run(missing_too: bool) -> str:
        return route.run("case", missing, lambda: "primary", missing_too=missing_too)

    assert contextvars.Context().run(run, True) == "primary"
    with pytest.raises(NotFound):
        contextvars.Context().run(run, False)
    assert route.up, "a missing case is no failure of the replica"


def test_every_read_the_view_readers_make_falls_back_to_the_primary() -> None:
    """The readers ask the views for generations, positions, queries and (the report roll-up) whether a table
    exists: each of them is answered by the primary while the replica is down."""
    from typing import Any, cast

    from infrastructure.replica import ReplicaViews
    from infrastructure.views.store import SqlViews

    class Down:
        def __getattr__(self, name: str) -> Any:
            return lambda *args: down()

    class Primary:
        def active_generation(self, name: str) -> int:
            return 3

        def position(self, name: str, generation: int) -> int:
            return 42

        def tracked_position(self, application_name: str) -> int | None:
            return 7

        def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
            return [{"n": 1}]

        def has_table(self, name: str) -> bool:
            return True

    views = ReplicaViews(cast(SqlViews, Down()), cast(SqlViews, Primary()), ReplicaRoute("postgresql://r/db"))
    answers = contextvars.Context().run(
        lambda: [
            views.active_generation("reports"),
            views.position("reports", 3),
            views.tracked_position("tracking"),
            views.query("SELECT 1"),
            views.has_table("reports_g3_daily"),
        ]
    )
    assert answers == [3, 42, 7, [{"n": 1}], True]


def test_a_case_read_after_ones_own_command_is_answered_by_the_primary_until_the_replica_has_replayed_it() -> None:
    """Read-your-writes for case reads and histories: `min_position` past what the replica replayed goes to the
    primary; at or before it, the replica answers."""
    from types import SimpleNamespace
    from typing import Any, cast
    from uuid import uuid4

    from application.case_queries import CaseQueries
    from application.views import PageRequest
    from domain.values import Actor, Role
    from infrastructure.replica import ReplicaCaseQueries

    def queries(where: str, head: int) -> Any:
        recorder = SimpleNamespace(max_notification_id=lambda: head)
        return SimpleNamespace(
            executor=SimpleNamespace(store=SimpleNamespace(recorder=recorder)),
            personal=None,
            names=lambda ids: {},
            get=lambda *args, **kw: where,
            history_page=lambda *args, **kw: where,
        )

    replica, primary = queries("replica", 10), queries("primary", 12)
    reads = ReplicaCaseQueries(lambda: cast(CaseQueries, replica), primary, ReplicaRoute("postgresql://r/db"))
    by, case = Actor("t", Role.COORDINATOR), uuid4()

    def answers(min_position: int | None) -> list[object]:
        return contextvars.Context().run(
            lambda: [
                reads.get(case, by, min_position=min_position),
                reads.history_page(case, by, PageRequest(10, None), min_position),
            ]
        )

    assert answers(None) == ["replica", "replica"]
    assert answers(10) == ["replica", "replica"]
    assert answers(11) == ["primary", "primary"]


class Untouchable:
    """A replica the status must not ask: every attribute raises."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the replica was asked ({name}) while the route had it marked down")


def test_a_replica_marked_down_is_reported_down_without_asking_it_again() -> None:
    from infrastructure.replica import replica_status

    route = ReplicaRoute("postgresql://replica/db", retry_every=60)
    in_request(route, (down, lambda: "primary"))  # a failed read marks it down for a minute
    status = replica_status(Untouchable(), route, ["cases"], 10)  # type: ignore[arg-type]
    assert status["status"] == "down"
    assert status["url"] == "postgresql://replica/db"
    assert "reads go to the primary" in status["detail"]
