"""The demo data set: every status, a working token per role, repeatable with a seed, nothing in the future."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from eventsourcing.domain import DomainEvent

from api.demo import DEMO_DAYS, DemoSummary, load_demo
from application.errors import NotFound
from domain.credit_code import is_valid_credit_code
from domain.values import Actor, Role, Status
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.settings import Settings

Loaded = tuple[Container, DemoSummary, list[int]]


def _load(seed: int = 7) -> Loaded:
    clock = FixedClock(datetime.now(UTC) - timedelta(days=DEMO_DAYS))
    container = build(Settings(database_url="memory://"), clock=clock)
    done: list[int] = []
    return container, load_demo(container, clock, seed=seed, progress=done.append), done


def _case_ids(container: Container) -> list[UUID]:
    registered = container.store.recorder.select_notifications(1, 1_000_000, topics=["casetrail:CaseRegistered"])
    return [UUID(str(n.originator_id)) for n in registered]


def _cases(container: Container) -> list[tuple[str, str, str, str]]:
    cases = [container.cases.executor.load(i) for i in _case_ids(container)]
    return sorted((c.reference, c.status, c.title, c.enterprise["name"]) for c in cases)


def _visible(container: Container, by: Actor) -> int:
    count = 0
    for case_id in _case_ids(container):
        try:
            container.queries.get(case_id, by)
            count += 1
        except NotFound:
            pass
    return count


@pytest.fixture(scope="module")
def demo() -> Loaded:
    return _load()


def test_load_demo_reaches_every_status(demo: Loaded) -> None:
    container, summary, done = demo
    assert summary.cases == 100
    assert set(summary.statuses) == {s.value for s in Status}
    assert sum(summary.statuses.values()) == 100
    assert len(_case_ids(container)) == 100
    assert done == list(range(1, 101))


def test_load_demo_issues_a_working_token_per_role(demo: Loaded) -> None:
    container, summary, _ = demo
    actors = {label: container.tokens.authenticate(secret) for label, secret in summary.tokens.items()}
    found = {label: actor for label, actor in actors.items() if actor is not None}
    assert found.keys() == actors.keys()
    assert {a.role for a in found.values()} == set(Role) - {Role.SYSTEM}
    assert {"handler econ-info", "handler finance", "handler hi-tech-zone"} <= found.keys()
    for actor in found.values():
        if actor.role in (Role.HANDLER, Role.ENTERPRISE):
            assert _visible(container, actor) > 0, actor
    enterprise = next(a for a in found.values() if a.role is Role.ENTERPRISE)
    assert enterprise.credit_code is not None and is_valid_credit_code(enterprise.credit_code)


def test_load_demo_writes_no_event_in_the_future(demo: Loaded) -> None:
    container, _, _ = demo
    now = datetime.now(UTC)
    for case_id in _case_ids(container):
        for event in container.store.events.get(case_id):
            assert isinstance(event, DomainEvent)
            assert now - timedelta(days=DEMO_DAYS) < event.timestamp <= now


def test_load_demo_is_repeatable_with_a_seed(demo: Loaded) -> None:
    container, summary, _ = demo
    again, repeated, _ = _load()
    assert repeated.statuses == summary.statuses
    assert _cases(again) == _cases(container)
    other, _, _ = _load(seed=8)
    assert _cases(other) != _cases(container)
