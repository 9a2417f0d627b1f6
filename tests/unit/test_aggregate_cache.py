"""The aggregates an executor keeps between commands (application/aggregate_cache.py): a kept copy is the state
the store holds, it is never shared with an answer, and it is bounded."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest

from application.aggregate_cache import REST, STALE_RATIO, WINDOW, AggregateCache, copy_of
from application.execution import CommandContext
from domain.case import Case
from domain.errors import DomainError
from domain.values import Actor, Arbitration, Escalation, Outcome, Role, Satisfaction, Tier
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from tests.conftest import LEAD
from tests.unit import case_steps as s


def state(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def kept(container: Container, case_id: UUID) -> Case:
    """The executor's kept copy of the case, put back after looking."""
    cache = container.cases.executor.cache
    assert cache is not None
    copy = cache.take(case_id)
    assert copy is not None, "the executor kept no copy of the case it just saved"
    cache.keep(copy)
    return copy


def assert_kept_is_stored(container: Container, case_id: UUID) -> None:
    copy, stored = kept(container, case_id), container.cases.executor.load(case_id)
    assert type(copy) is type(stored)
    assert state(copy) == state(stored)


def test_the_kept_copy_equals_the_stored_state_after_every_kind_of_case_command(container: Container) -> None:
    """Each command's events folded into the kept copy give what the store's events (and snapshots) give."""
    lead, admin = s.cmd(LEAD), CommandContext(Actor("admin-1", Role.ADMIN))
    case_id = s.register(container)
    steps = [
        lambda: s.dispatch(container, case_id, tier=Tier.RESOLUTION),
        lambda: s.sign_for(container, case_id),
        lambda: container.cases.contact(case_id, lead, note="已联系企业"),
        lambda: container.cases.progress(case_id, lead, note="进展一"),
        lambda: s.co_replies(container, case_id),
        lambda: s.request_extension(container, case_id, 3),
        lambda: s.decide_extension(container, case_id, approved=True),
        lambda: container.cases.escalate(case_id, s.cmd(), level=Escalation.URGE, reason="久拖未决", due=None),
        lambda: s.resolve(container, case_id, outcome=Outcome.SOLVED),
        lambda: s.evaluate(container, case_id, satisfaction=Satisfaction.DISSATISFIED, solved=False),
        lambda: s.reopen(container, case_id),
        lambda: s.resolve(container, case_id),
        lambda: s.evaluate(container, case_id),
        lambda: s.close(container, case_id),
        lambda: container.cases.erase_personal_data(case_id, admin, reason="本人申请删除"),
    ]
    for step in steps:
        step()
        assert_kept_is_stored(container, case_id)
    for _ in range(25):  # past a snapshot: the stored state is read from it
        container.cases.progress(other := s.in_progress_case(container), lead, note="进展")
        assert_kept_is_stored(container, other)


def test_the_kept_copy_equals_the_stored_state_after_a_return_arbitration_and_a_merge(container: Container) -> None:
    returned = s.dispatched_case(container)
    s.return_case(container, returned)
    s.arbitrate(container, returned, Arbitration.REASSIGN, "finance")
    assert_kept_is_stored(container, returned)

    target, duplicate = s.dispatched_case(container), s.dispatched_case(container)
    assert_kept_is_stored(container, target)
    container.cases.merge(duplicate, s.cmd(), into=target, note="同一诉求")
    assert_kept_is_stored(container, duplicate)
    cache = container.cases.executor.cache
    assert cache is not None
    assert cache.take(target) is None, "the merge changed the target: its kept copy must be dropped"
    assert s.current(container, target).duplicates == [str(duplicate)]


def test_an_answer_does_not_change_when_a_later_command_runs(container: Container) -> None:
    case_id = s.in_progress_case(container)
    first = container.cases.progress(case_id, s.cmd(LEAD), note="进展一").case
    seen = state(first)

    container.cases.progress(case_id, s.cmd(LEAD), note="进展二")
    s.co_replies(container, case_id)
    s.resolve(container, case_id)

    assert state(first) == seen


def test_a_refused_command_leaves_the_kept_copy_as_stored(container: Container) -> None:
    case_id = s.in_progress_case(container)
    with pytest.raises(DomainError):
        s.evaluate(container, case_id)  # nothing resolved yet
    container.cases.progress(case_id, s.cmd(LEAD), note="进展")
    assert_kept_is_stored(container, case_id)
    assert s.types(container, case_id)[-1] == "CaseProgressLogged"


def test_no_copies_are_kept_when_the_cache_is_off(clock: FixedClock) -> None:
    container = build(Settings(database_url="memory://", aggregate_cache=0), clock=clock)
    try:
        case_id = s.in_progress_case(container)
        container.cases.progress(case_id, s.cmd(LEAD), note="进展")
        cache = container.cases.executor.cache
        assert cache is not None and len(cache) == 0
        assert s.version(container, case_id) == 4
    finally:
        container.close()


class Counter:
    def __init__(self, version: int, notes: list[str] | None = None) -> None:
        self.id, self.version, self.notes, self._pending_events = uuid4(), version, notes or [], []


def test_the_least_recently_saved_copy_goes_first() -> None:
    cache = AggregateCache(2)
    a, b, c = Counter(1), Counter(1), Counter(1)
    cache.keep(a)
    cache.keep(b)
    cache.keep(c)
    assert len(cache) == 2
    assert cache.take(a.id) is None
    assert [cache.take(x.id).id for x in (b, c)] == [b.id, c.id]  # type: ignore[union-attr]


def test_an_earlier_version_never_replaces_a_later_one() -> None:
    cache = AggregateCache(4)
    later = Counter(5)
    earlier = Counter(4)
    earlier.id = later.id
    cache.keep(later)
    cache.keep(earlier)
    found = cache.take(later.id)
    assert found is not None and found.version == 5


def test_a_kept_copy_shares_no_mutable_state() -> None:
    original = Counter(1, ["一"])
    original.nested = {"due": {"resolution": ["2026-12-01"]}}  # type: ignore[attr-defined]
    twin = copy_of(original)
    twin.notes.append("二")
    twin.nested["due"]["resolution"].append("2026-12-02")
    assert original.notes == ["一"]
    assert original.nested == {"due": {"resolution": ["2026-12-01"]}}  # type: ignore[attr-defined]
    assert twin.id == original.id and twin.version == 1


def test_copies_rest_after_too_many_of_a_window_were_stale() -> None:
    cache = AggregateCache(4)
    a = Counter(1)
    cache.keep(a)
    for n in range(WINDOW):
        cache.tried(stale=n % STALE_RATIO == 0 or n == 1)  # one more than one in STALE_RATIO

    assert all(cache.take(a.id) is None for _ in range(REST))
    assert cache.take(a.id) is not None  # the rest is over: copies are used again


def test_copies_stay_in_use_while_few_are_stale() -> None:
    cache = AggregateCache(4)
    a = Counter(1)
    cache.keep(a)
    for n in range(WINDOW):
        cache.tried(stale=n % STALE_RATIO == 0)  # exactly one in STALE_RATIO

    assert cache.take(a.id) is not None
