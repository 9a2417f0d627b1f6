"""The Case lifecycle of DOMAIN.md, driven through the application layer on the in-memory store."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from application.case_queries import AsOf
from application.errors import NotFound
from application.execution import CommandContext
from domain.values import Arbitration, Kind, Outcome, Satisfaction, Status, Tier
from infrastructure.clock import FixedClock
from infrastructure.container import Container
from tests.conftest import CO, CO2, COORDINATOR, ENTERPRISE, LEAD, new_case
from tests.unit import case_steps as s
from tests.unit.project_steps import register_project

TIER2_LIFE_TYPES = [
    "CaseRegistered",
    "CaseDispatched",
    "CaseSignedFor",
    "CaseContacted",
    "CaseCoReplied",
    "CaseCoReplied",
    "CaseProgressLogged",
    "CaseResolved",
    "CaseEvaluated",
    "CaseReopened",
    "CaseProgressLogged",
    "CaseResolved",
    "CaseEvaluated",
    "CaseClosed",
]


def _tier2_life(container: Container, clock: FixedClock) -> tuple[object, list[tuple[str, int]]]:
    """Drives the whole tier-2 life with one redo round; returns the case id and (status, round) after each step."""
    after: list[tuple[str, int]] = []

    def step(case: object) -> None:
        after.append((case.status, case.round))  # type: ignore[attr-defined]

    registered = container.cases.register(CommandContext(COORDINATOR), new_case())
    case_id = registered.case.id
    step(registered.case)
    step(s.dispatch(container, case_id))
    clock.advance(days=1)
    step(s.sign_for(container, case_id))
    step(container.cases.contact(case_id, s.cmd(LEAD), note="已电话联系企业负责人").case)
    step(s.co_reply(container, case_id, CO))
    step(s.co_reply(container, case_id, CO2))
    clock.advance(days=4)
    step(container.cases.progress(case_id, s.cmd(LEAD), note="已现场踏勘").case)
    step(s.resolve(container, case_id))
    clock.advance(days=1)
    step(s.evaluate(container, case_id, Satisfaction.DISSATISFIED, by=ENTERPRISE, solved=False))
    step(s.reopen(container, case_id))
    clock.advance(days=3)
    step(container.cases.progress(case_id, s.cmd(LEAD), note="重新制定管线方案").case)
    step(s.resolve(container, case_id))
    clock.advance(days=2)
    step(s.evaluate(container, case_id, Satisfaction.SATISFIED))
    step(s.close(container, case_id))
    return case_id, after


def test_tier2_life_with_redo_round_goes_through_every_status(container: Container, clock: FixedClock) -> None:
    case_id, after = _tier2_life(container, clock)

    assert after == [
        ("registered", 1),
        ("dispatched", 1),
        ("in_progress", 1),
        ("in_progress", 1),
        ("in_progress", 1),
        ("in_progress", 1),
        ("in_progress", 1),
        ("resolved", 1),
        ("evaluated", 1),
        ("in_progress", 2),
        ("in_progress", 2),
        ("resolved", 2),
        ("evaluated", 2),
        ("closed", 2),
    ]
    case = s.current(container, case_id)
    assert case.lead_department == "econ-info"
    assert case.co_departments == ["finance", "housing"]
    assert case.evaluations["1"]["satisfaction"] == "dissatisfied"
    assert case.evaluations["1"]["by"] == "enterprise"
    assert case.evaluations["2"]["satisfaction"] == "satisfied"
    assert case.evaluations["2"]["by"] == "coordinator"
    assert case.due == {}


def test_tier2_life_history_records_types_actors_and_rounds(container: Container, clock: FixedClock) -> None:
    case_id, _ = _tier2_life(container, clock)

    events = s.history(container, case_id)
    assert [e["type"] for e in events] == TIER2_LIFE_TYPES
    assert [e["version"] for e in events] == list(range(1, len(TIER2_LIFE_TYPES) + 1))
    actors = [e["actor"]["id"] for e in events]
    assert actors == [
        COORDINATOR.id,
        COORDINATOR.id,
        LEAD.id,
        LEAD.id,
        CO.id,
        CO2.id,
        LEAD.id,
        LEAD.id,
        ENTERPRISE.id,
        COORDINATOR.id,
        LEAD.id,
        LEAD.id,
        COORDINATOR.id,
        COORDINATOR.id,
    ]
    by_type = {e["type"]: e for e in events}
    assert [e["data"]["department"] for e in events if e["type"] == "CaseCoReplied"] == ["finance", "housing"]
    assert by_type["CaseReopened"]["data"]["round"] == 2
    assert [e["data"]["round"] for e in events if e["type"] == "CaseEvaluated"] == [1, 2]
    assert by_type["CaseClosed"]["data"]["evaluated"] is True
    assert all(e["prev_hash"] == prev["hash"] for prev, e in itertools.pairwise(events))


def test_tier2_redo_round_keeps_lead_and_co_replies(container: Container, clock: FixedClock) -> None:
    case_id = s.evaluated_case(container, Satisfaction.VERY_DISSATISFIED)

    reopened = s.reopen(container, case_id)

    assert reopened.status == Status.IN_PROGRESS
    assert reopened.round == 2
    assert reopened.lead_department == "econ-info"
    assert set(reopened.co_replies) == {"finance", "housing"}
    assert reopened.resolution is None
    assert s.resolve(container, case_id).status == Status.RESOLVED  # replies carried over: no co_reply_missing


def test_get_as_of_version_returns_the_state_after_each_event(container: Container, clock: FixedClock) -> None:
    case_id, after = _tier2_life(container, clock)

    for n, (status, round_) in enumerate(after, start=1):
        result = container.queries.get(case_id, COORDINATOR, AsOf(version=n))
        assert result.case.version == n
        assert (result.case.status, result.case.round) == (status, round_)
        assert result.position == container.store.extras.position_of(case_id, n)
    with pytest.raises(NotFound):
        container.queries.get(case_id, COORDINATOR, AsOf(version=0))
    with pytest.raises(NotFound):
        container.queries.get(case_id, COORDINATOR, AsOf(version=len(after) + 1))


def test_get_as_of_version_shows_the_clocks_then(container: Container, clock: FixedClock) -> None:
    case_id, _ = _tier2_life(container, clock)

    dispatched = container.queries.get(case_id, COORDINATOR, AsOf(version=2)).case
    assert s.due_dates(dispatched) == {
        "sign_for": "2026-11-27",
        "resolution": "2026-12-17",
        "co_reply:finance": "2026-12-01",
        "co_reply:housing": "2026-12-01",
    }
    first_resolution = container.queries.get(case_id, COORDINATOR, AsOf(version=8)).case
    assert first_resolution.resolution is not None
    assert set(first_resolution.due) == {"revisit"}


def test_get_as_of_moment_returns_the_state_then(container: Container, clock: FixedClock) -> None:
    case_id, after = _tier2_life(container, clock)
    events = s.history(container, case_id)

    for event, (status, _) in zip(events, after, strict=True):
        assert container.queries.get(case_id, COORDINATOR, AsOf(moment=event["at"])).case.status == status
    # Between two events the earlier one still holds: an hour after the first resolution it is still resolved.
    resolved_at = events[7]["at"]
    assert container.queries.get(case_id, COORDINATOR, AsOf(moment=resolved_at + timedelta(hours=1))).case.version == 8
    assert (
        container.queries.get(case_id, COORDINATOR, AsOf(moment=events[-1]["at"] + timedelta(days=400))).case.version
        == 14
    )
    with pytest.raises(NotFound):
        container.queries.get(case_id, COORDINATOR, AsOf(moment=events[0]["at"] - timedelta(microseconds=1)))


def test_tier1_life_goes_from_registration_to_closure(container: Container, clock: FixedClock) -> None:
    case_id = s.register(container, by=ENTERPRISE)
    statuses = [s.current(container, case_id).status]

    dispatched = s.dispatch(container, case_id, tier=Tier.HANDLING)
    assert (dispatched.tier, dispatched.co_departments) == ("handling", [])
    assert set(dispatched.due) == {"sign_for", "handling"}
    statuses.append(dispatched.status)
    statuses.append(s.sign_for(container, case_id).status)
    statuses.append(container.cases.contact(case_id, s.cmd(LEAD), note="已联系").case.status)
    statuses.append(s.resolve(container, case_id, outcome=Outcome.EXPLAINED).status)
    statuses.append(s.evaluate(container, case_id, Satisfaction.BASICALLY_SATISFIED, by=ENTERPRISE).status)
    statuses.append(s.close(container, case_id).status)

    assert statuses == ["registered", "dispatched", "in_progress", "in_progress", "resolved", "evaluated", "closed"]
    assert s.types(container, case_id) == [
        "CaseRegistered",
        "CaseDispatched",
        "CaseSignedFor",
        "CaseContacted",
        "CaseResolved",
        "CaseEvaluated",
        "CaseClosed",
    ]
    events = s.history(container, case_id)
    assert events[0]["actor"]["role"] == "enterprise"
    assert events[4]["data"]["outcome"] == "explained"
    assert events[4]["data"]["on_time"] is True


def test_tier2_life_with_upheld_return_then_signed_for(container: Container) -> None:
    case_id = s.returned_case(container)
    assert s.current(container, case_id).status == Status.RETURNED

    upheld = s.arbitrate(container, case_id, Arbitration.UPHOLD)

    assert (upheld.status, upheld.lead_department) == (Status.DISPATCHED, "econ-info")
    assert s.sign_for(container, case_id).status == Status.IN_PROGRESS
    assert s.types(container, case_id)[2:] == ["CaseReturned", "CaseReturnArbitrated", "CaseSignedFor"]


def test_tier2_life_with_reassignment_goes_to_the_new_lead(container: Container) -> None:
    case_id = s.returned_case(container, co=["finance"])

    reassigned = s.arbitrate(container, case_id, Arbitration.REASSIGN, "housing")

    assert (reassigned.status, reassigned.lead_department) == (Status.DISPATCHED, "housing")
    assert s.sign_for(container, case_id, CO2).status == Status.IN_PROGRESS
    returned = s.history(container, case_id)[2]
    expected = {"department": "econ-info", "reason": "不属于本部门职责", "basis": "《三定方案》第三条"}
    assert returned["data"].items() >= expected.items()


def test_close_unevaluated_after_revisit_window_with_note(container: Container, clock: FixedClock) -> None:
    case_id = s.resolved_case(container)  # resolved Thursday 2026-11-26: revisit window ends 2026-12-03
    clock.advance(days=8)

    closed = s.close(container, case_id, note="多次回访企业联系人未接通")

    assert closed.status == Status.CLOSED
    expected = {"note": "多次回访企业联系人未接通", "evaluated": False}
    assert s.last_event(container, case_id)["data"].items() >= expected.items()


@pytest.mark.parametrize("status", ["registered", "dispatched", "in_progress", "resolved", "evaluated"])
def test_withdraw_from_any_open_status(container: Container, status: str) -> None:
    drive = {
        "registered": s.register,
        "dispatched": s.dispatched_case,
        "in_progress": s.in_progress_case,
        "resolved": s.resolved_case,
        "evaluated": s.evaluated_case,
    }
    case_id = drive[status](container)

    withdrawn = s.withdraw(container, case_id)

    assert withdrawn.status == Status.WITHDRAWN
    assert withdrawn.due == {}
    data = s.last_event(container, case_id)["data"]
    expected = {"reason": "企业自行解决", "before_dispatch": status == "registered", "by_enterprise": False}
    assert data.items() >= expected.items()


def test_withdraw_by_the_enterprise_is_marked(container: Container) -> None:
    case_id = s.dispatched_case(container)

    s.withdraw(container, case_id, ENTERPRISE)

    assert s.last_event(container, case_id)["data"]["by_enterprise"] is True


def test_merge_points_the_duplicate_to_the_surviving_case(container: Container) -> None:
    survivor = s.dispatched_case(container)
    duplicate = s.register(container)

    merged = container.cases.merge(duplicate, s.cmd(), into=survivor, note="重复登记").case

    assert merged.status == Status.MERGED
    assert merged.merged_into == str(survivor)
    target = s.current(container, survivor)
    assert target.duplicates == [str(duplicate)]
    assert target.status == Status.DISPATCHED
    assert s.last_event(container, duplicate)["data"]["into_reference"] == "QY-2026-000001"
    assert s.last_event(container, survivor)["type"] == "CaseDuplicateAttached"
    assert s.types(container, duplicate) == ["CaseRegistered", "CaseMerged"]  # the duplicate's history stays readable


def test_register_allocates_sequential_references(container: Container) -> None:
    references = [container.cases.register(CommandContext(COORDINATOR), new_case()).case.reference for _ in range(3)]

    assert references == ["QY-2026-000001", "QY-2026-000002", "QY-2026-000003"]


def test_register_never_reuses_a_reference(container: Container) -> None:
    first = s.register(container)
    second = s.register(container)
    s.withdraw(container, second)
    container.cases.merge(first, s.cmd(), into=s.register(container), note=None)

    fourth = container.cases.register(CommandContext(ENTERPRISE), new_case()).case

    assert fourth.reference == "QY-2026-000004"
    references = [s.current(container, c).reference for c in (first, second)]
    assert references == ["QY-2026-000001", "QY-2026-000002"]


def test_register_project_issue_gets_its_own_xm_sequence(container: Container) -> None:
    s.register(container)
    p1 = str(register_project(container))
    issue = container.cases.register(CommandContext(COORDINATOR), new_case(kind=Kind.PROJECT_ISSUE, project_id=p1)).case
    problem = container.cases.register(CommandContext(COORDINATOR), new_case()).case
    issue2 = container.cases.register(
        CommandContext(COORDINATOR), new_case(kind=Kind.PROJECT_ISSUE, project_id=p1)
    ).case

    assert (issue.reference, issue2.reference) == ("XM-2026-000001", "XM-2026-000002")
    assert problem.reference == "QY-2026-000002"
    assert (issue.kind, issue.project_id) == ("project_issue", p1)


def test_register_records_the_fields_and_status(container: Container) -> None:
    case = container.cases.register(CommandContext(COORDINATOR), new_case(urgency="urgent", channel="hotline")).case

    assert (case.status, case.version, case.round, case.tier, case.due) == ("registered", 1, 1, None, {})
    assert (case.urgency, case.channel, case.category) == ("urgent", "hotline", "utilities")
    assert case.enterprise["credit_code"] == ENTERPRISE.credit_code


def test_register_reference_year_follows_the_local_date(container: Container, clock: FixedClock) -> None:
    clock.at = clock.at.replace(month=12, day=31, hour=16, minute=30)  # 2027-01-01 00:30 in Asia/Shanghai

    case = container.cases.register(CommandContext(COORDINATOR), new_case()).case

    assert case.reference == "QY-2027-000001"
