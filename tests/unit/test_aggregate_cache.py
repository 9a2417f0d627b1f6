"""The aggregates an executor keeps between commands (application/aggregate_cache.py): a kept copy is what the
stored events fold to, it is never shared with an answer or put back half-changed, and it is bounded."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.aggregate_cache import REST, STALE_RATIO, WINDOW, AggregateCache, copy_of
from application.execution import CommandContext
from application.store import project
from domain.case import Case
from domain.errors import DomainError, StateConflict
from domain.rules import Rule
from domain.values import Actor, Arbitration, Escalation, Role, Satisfaction, Tier
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from tests.conftest import LEAD
from tests.unit import case_steps as s
from tests.unit.tracking_steps import local, track_afresh

ADMIN = Actor("admin-1", Role.ADMIN)


def state(aggregate: Any) -> dict[str, Any]:
    """Every attribute with its type (a StrEnum equals its text, so the type is compared too)."""
    return {k: (type(v), v) for k, v in vars(aggregate).items() if k != "_pending_events"}


def kept(container: Container, case_id: UUID) -> Case:
    """The executor's kept copy of the case, put back after looking."""
    cache = container.cases.executor.cache
    assert cache is not None
    found: Case | None = cache.take(case_id)
    assert found is not None, "the executor kept no copy of the case it just saved"
    cache.keep(found)
    return found


def folded(container: Container, case_id: UUID) -> Case:
    """The case as its stored events fold to, from the first (no snapshot)."""
    store = container.store
    case: Case = project(None, map(store.mapper.to_domain_event, store.recorder.select_events(case_id)))
    return case


def assert_kept_is_stored(container: Container, case_id: UUID) -> None:
    copy_, stored = kept(container, case_id), folded(container, case_id)
    assert type(copy_) is type(stored)
    assert state(copy_) == state(stored)


def test_the_kept_copy_is_the_fold_of_the_stored_events_after_each_command_of_a_case_life(
    container: Container,
) -> None:
    lead, coordinator = s.cmd(LEAD), s.cmd()
    case_id = s.register(container)
    steps = [
        lambda: s.dispatch(container, case_id, tier=Tier.RESOLUTION),
        lambda: s.sign_for(container, case_id),
        lambda: container.cases.contact(case_id, lead, note="已联系企业"),
        lambda: container.cases.progress(case_id, lead, note="进展一"),
        lambda: container.cases.waive_co_reply(case_id, coordinator, department="housing", reason="无需住建意见"),
        lambda: s.co_reply(container, case_id),
        lambda: s.request_extension(container, case_id, 3),
        lambda: s.decide_extension(container, case_id, approved=False),
        lambda: s.request_extension(container, case_id, 2),
        lambda: s.decide_extension(container, case_id, approved=True),
        lambda: container.cases.escalate(case_id, coordinator, level=Escalation.URGE, reason="催办", due=None),
        lambda: container.cases.escalate(case_id, coordinator, level=Escalation.SUPERVISE, reason="督办", due=None),
        lambda: container.cases.escalate(case_id, coordinator, level=Escalation.LISTED, reason="挂牌", due=None),
        lambda: s.resolve(container, case_id),
        lambda: s.evaluate(container, case_id, satisfaction=Satisfaction.DISSATISFIED, solved=False),
        lambda: s.reopen(container, case_id),
        lambda: s.resolve(container, case_id),
        lambda: s.evaluate(container, case_id),
        lambda: s.close(container, case_id),
        lambda: container.cases.erase_personal_data(case_id, CommandContext(ADMIN), reason="本人申请删除"),
    ]
    for step in steps:
        step()
        assert_kept_is_stored(container, case_id)


def test_the_kept_copy_is_the_fold_of_the_stored_events_past_snapshots(container: Container) -> None:
    case_id = s.in_progress_case(container)
    for n in range(2 * 20 + 3):  # snapshots at versions 20 and 40 (SNAPSHOT_EVERY), taken from the saved case
        container.cases.progress(case_id, s.cmd(LEAD), note=f"进展 {n}")
        assert_kept_is_stored(container, case_id)
    assert container.store.load(case_id).version == 46


def test_the_kept_copy_is_the_fold_after_a_withdrawal_a_return_an_arbitration_and_a_merge(
    container: Container,
) -> None:
    withdrawn = s.in_progress_case(container)
    s.withdraw(container, withdrawn)
    assert_kept_is_stored(container, withdrawn)

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
    assert cache.take(target) is None  # changed beside the duplicate: its copy was dropped rather than left stale
    assert s.current(container, target).duplicates == [str(duplicate)]


def test_the_copy_the_tracking_job_keeps_is_the_fold_of_its_warnings() -> None:
    container = build(Settings(database_url="memory://"), clock=FixedClock(local(2026, 9, 29).astimezone(UTC)))
    try:
        case_id = s.dispatched_case(container, tier=Tier.HANDLING)
        summary = track_afresh(container, local(2026, 12, 8))
        assert summary.raised
        assert s.types(container, case_id)[-1] == "CaseWarningRaised"
        assert_kept_is_stored(container, case_id)
    finally:
        container.close()


def test_a_command_on_a_kept_copy_reads_nothing_from_the_store(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = s.in_progress_case(container)
    reads: list[UUID] = []
    load = container.store.load

    def counted(aggregate_id: UUID, version: int | None = None) -> Any:
        reads.append(aggregate_id)
        return load(aggregate_id, version)

    monkeypatch.setattr(container.store, "load", counted)
    answer = container.cases.progress(case_id, s.cmd(LEAD), note="进展")

    assert reads == []
    assert answer.case.version == 4
    assert folded(container, case_id).version == 4


def test_an_answer_does_not_change_when_a_later_command_runs(container: Container) -> None:
    case_id = s.in_progress_case(container)
    first = container.cases.progress(case_id, s.cmd(LEAD), note="进展一").case
    seen = copy.deepcopy(state(first))

    container.cases.progress(case_id, s.cmd(LEAD), note="进展二")
    s.co_replies(container, case_id)
    s.resolve(container, case_id)

    assert state(first) == seen


def test_a_command_refused_after_changing_its_copy_leaves_nothing_of_it_kept(container: Container) -> None:
    case_id = s.in_progress_case(container)

    def half_done(case: Case, at: datetime) -> None:
        case.log_progress(LEAD, at, note="记了一半")
        raise StateConflict(Rule.NOT_OPEN, "refused after the copy changed")

    with pytest.raises(DomainError):
        container.cases.executor.run(case_id, s.cmd(LEAD), "progress", half_done)

    cache = container.cases.executor.cache
    assert cache is not None and cache.take(case_id) is None
    assert folded(container, case_id).version == 3
    answer = container.cases.progress(case_id, s.cmd(LEAD), note="进展")
    assert answer.case.version == 4
    assert s.types(container, case_id)[-1] == "CaseProgressLogged"
    assert_kept_is_stored(container, case_id)


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
    found = [cache.take(x.id) for x in (b, c)]
    assert [f.id for f in found if f] == [b.id, c.id]


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
    original.nested = {"due": {"resolution": ["2026-12-01"]}, "on": (date(2026, 12, 1), ["x"])}  # type: ignore[attr-defined]
    twin = copy_of(original)
    twin.notes.append("二")
    twin.nested["due"]["resolution"].append("2026-12-02")
    twin.nested["on"][1].append("y")
    assert original.notes == ["一"]
    assert original.nested == {"due": {"resolution": ["2026-12-01"]}, "on": (date(2026, 12, 1), ["x"])}  # type: ignore[attr-defined]
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
