"""Major projects on the application layer: registration, milestones, progress, access, issues, refusals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

import pytest

from application.errors import NotFound, VersionMismatch
from application.execution import CommandContext, IdempotencyKey
from domain.errors import DomainError, InvalidCommand, NotPermitted, StateConflict
from domain.project import Milestone, project_id_for
from domain.values import Actor, Kind
from infrastructure.container import Container
from tests.conftest import AUDITOR, COORDINATOR, ENTERPRISE, LEAD, OTHER_ENTERPRISE, REPORTER, new_case
from tests.unit import case_steps as s
from tests.unit.project_steps import TODAY, days, milestone, new_project, progress, register_project

STARTED, IN_STATISTICS, COMPLETED, IN_PRODUCTION = Milestone


def types(container: Container, project_id: UUID) -> list[str]:
    return [e["type"] for e in container.projects.history(project_id, AUDITOR)]


def refused(container: Container, error: type[DomainError], rule: str, action: Callable[[], object]) -> None:
    """The action is refused with `error` naming `rule`, and nothing at all is recorded."""
    position = s.head_position(container)
    with pytest.raises(error) as e:
        action()
    assert e.value.rule == rule, e.value.detail
    assert s.head_position(container) == position


def record(container: Container, project_id: UUID, which: Milestone, on: date) -> Callable[[], object]:
    return lambda: container.projects.record_milestone(
        project_id, CommandContext(COORDINATOR), milestone=which, date=on, evidence=None
    )


# -- registration --------------------------------------------------------------------------------


def test_register_records_the_project_under_an_id_from_its_code(container: Container) -> None:
    answer = container.projects.register(CommandContext(COORDINATOR), new_project(signed_on=None))
    p = answer.project
    assert p.id == project_id_for("wj-2026-001")
    assert (p.name, p.code, p.zone, p.planned_investment) == (
        "远大医药放射性药物研发及生产基地项目",
        "WJ-2026-001",
        "zone-1",
        120_000.0,
    )
    assert p.signed_on == TODAY.isoformat()
    assert p.planned == {"start": "2026-12-26", "completion": "2027-12-31", "production": "2028-04-09"}
    assert (p.version, answer.open_issue_ids, p.milestones, p.progress) == (1, [], {}, None)
    assert types(container, p.id) == ["ProjectRegistered"]


def test_register_a_taken_code_is_refused_whatever_its_case(container: Container) -> None:
    register_project(container)
    refused(
        container,
        StateConflict,
        "project_code_taken",
        lambda: register_project(container, code="wj-2026-001", name="另一项目"),
    )


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"zone": "zone-9"}, "unknown_zone"),
        ({"planned_investment": 0.0}, "invalid_investment"),
        (
            {"planned": {"start": days(100), "completion": days(50), "production": days(200)}},
            "planned_dates_out_of_order",
        ),
        ({"signed_on": days(1)}, "signed_on_in_future"),
    ],
)
def test_register_with_bad_values_is_refused(container: Container, overrides: dict[str, object], rule: str) -> None:
    refused(container, InvalidCommand, rule, lambda: register_project(container, **overrides))


@pytest.mark.parametrize("who", [LEAD, AUDITOR, REPORTER, ENTERPRISE])
def test_only_coordinators_register_projects(container: Container, who: Actor) -> None:
    refused(container, NotPermitted, "role_not_permitted", lambda: register_project(container, by=who))


def test_register_retried_with_its_idempotency_key_replays_the_first_answer(container: Container) -> None:
    key = IdempotencyKey("token-1", "k-1", "fingerprint")
    first = container.projects.register(CommandContext(COORDINATOR, idempotency=key), new_project())
    position = s.head_position(container)
    again = container.projects.register(CommandContext(COORDINATOR, idempotency=key), new_project())
    assert (again.replayed, again.project.id, again.position) == (True, first.project.id, first.position)
    assert s.head_position(container) == position


# -- milestones ----------------------------------------------------------------------------------


def test_milestones_in_order_are_recorded_with_date_and_evidence(container: Container) -> None:
    pid = register_project(container)
    answer = container.projects.record_milestone(
        pid, CommandContext(COORDINATOR), milestone=STARTED, date=days(-30), evidence="施工许可证 510115202610270101"
    )
    for which, on in ((IN_STATISTICS, days(-20)), (COMPLETED, days(-10)), (IN_PRODUCTION, TODAY)):
        answer = milestone(container, pid, which, on)
    assert answer.project.milestones["started"] == {"date": "2026-10-27", "evidence": "施工许可证 510115202610270101"}
    assert answer.project.milestones["in_production"] == {"date": "2026-11-26", "evidence": None}
    assert types(container, pid)[1:] == ["ProjectMilestoneRecorded"] * 4


def test_in_production_before_completed_is_out_of_order(container: Container) -> None:
    pid = register_project(container)
    milestone(container, pid, STARTED, days(-30))
    milestone(container, pid, IN_STATISTICS, days(-20))
    refused(container, StateConflict, "milestone_out_of_order", record(container, pid, IN_PRODUCTION, days(-1)))


def test_statistics_before_start_is_out_of_order(container: Container) -> None:
    pid = register_project(container)
    refused(container, StateConflict, "milestone_out_of_order", record(container, pid, IN_STATISTICS, days(-1)))


def test_completed_needs_statistics_at_500_wan_or_more(container: Container) -> None:
    pid = register_project(container, planned_investment=500.0)
    milestone(container, pid, STARTED, days(-30))
    refused(container, StateConflict, "milestone_out_of_order", record(container, pid, COMPLETED, days(-1)))


def test_completed_without_statistics_is_allowed_below_500_wan(container: Container) -> None:
    pid = register_project(container, planned_investment=499.0)
    milestone(container, pid, STARTED, days(-30))
    assert milestone(container, pid, COMPLETED, days(-1)).project.version == 3
    refused(container, StateConflict, "milestone_out_of_order", record(container, pid, IN_STATISTICS, days(-1)))


def test_a_milestone_recorded_twice_is_refused(container: Container) -> None:
    pid = register_project(container)
    milestone(container, pid, STARTED, days(-30))
    refused(container, StateConflict, "milestone_already_recorded", record(container, pid, STARTED, days(-29)))


def test_a_milestone_dated_before_the_previous_one_is_out_of_order(container: Container) -> None:
    pid = register_project(container)
    milestone(container, pid, STARTED, days(-30))
    refused(container, StateConflict, "milestone_out_of_order", record(container, pid, IN_STATISTICS, days(-31)))


def test_a_milestone_before_signing_or_in_the_future_is_invalid(container: Container) -> None:
    pid = register_project(container, signed_on=days(-100))
    refused(container, InvalidCommand, "milestone_before_signing", record(container, pid, STARTED, days(-101)))
    refused(container, InvalidCommand, "milestone_in_future", record(container, pid, STARTED, days(1)))
    assert milestone(container, pid, STARTED, days(-100)).project.version == 2


def test_a_milestone_with_a_stale_if_match_is_refused(container: Container) -> None:
    pid = register_project(container)
    milestone(container, pid, STARTED, days(-30))
    with pytest.raises(VersionMismatch):
        milestone(container, pid, IN_STATISTICS, days(-1), expected_version=1)
    assert milestone(container, pid, IN_STATISTICS, days(-1), expected_version=2).project.version == 3


def test_milestones_of_an_unknown_project_are_404(container: Container) -> None:
    refused(container, NotFound, "not_found", record(container, project_id_for("NOPE"), STARTED, days(-1)))


# -- progress ------------------------------------------------------------------------------------


def test_progress_records_percent_and_investment(container: Container) -> None:
    pid = register_project(container)
    answer = progress(container, pid, 35.0, 42_000.0)
    assert answer.project.progress == {
        "percent_complete": 35.0,
        "investment_to_date": 42_000.0,
        "note": None,
        "reported_on": "2026-11-26",
    }
    assert types(container, pid)[-1] == "ProjectProgressReported"


@pytest.mark.parametrize(
    ("percent", "invested", "rule"),
    [(101.0, 0.0, "invalid_percent"), (-1.0, 0.0, "invalid_percent"), (50.0, -1.0, "invalid_investment")],
)
def test_progress_out_of_range_is_invalid(container: Container, percent: float, invested: float, rule: str) -> None:
    pid = register_project(container)
    refused(container, InvalidCommand, rule, lambda: progress(container, pid, percent, invested))


# -- access --------------------------------------------------------------------------------------


def test_staff_read_every_project_and_an_enterprise_its_own(container: Container) -> None:
    pid = register_project(container)
    for who in (COORDINATOR, LEAD, AUDITOR, REPORTER, ENTERPRISE):
        assert container.projects.get(pid, who).project.id == pid
    with pytest.raises(NotFound):
        container.projects.get(pid, OTHER_ENTERPRISE)


def test_history_is_for_coordinators_and_auditors(container: Container) -> None:
    pid = register_project(container)
    assert types(container, pid) == ["ProjectRegistered"]
    assert container.projects.history(pid, COORDINATOR)[0]["actor"]["role"] == "coordinator"
    for who in (LEAD, REPORTER, ENTERPRISE):
        with pytest.raises(NotPermitted):
            container.projects.history(pid, who)


# -- project issues ------------------------------------------------------------------------------


def issue(container: Container, project_id: str, by: Actor = COORDINATOR) -> UUID:
    return container.cases.register(
        CommandContext(by), new_case(kind=Kind.PROJECT_ISSUE, project_id=project_id)
    ).case.id


def catch_up(container: Container) -> None:
    for worker in container.workers():
        worker.catch_up()


def test_a_project_issue_raises_the_projects_open_issue_count(container: Container) -> None:
    pid = register_project(container)
    assert container.projects.get(pid, COORDINATOR).open_issue_ids == []
    first = issue(container, str(pid).upper())
    second = issue(container, str(pid))
    catch_up(container)
    answer = container.projects.get(pid, COORDINATOR)
    assert answer.open_issue_ids == [str(first), str(second)]
    assert s.current(container, first).project_id == str(pid)
    s.withdraw(container, first)
    catch_up(container)
    assert container.projects.get(pid, COORDINATOR).open_issue_ids == [str(second)]


@pytest.mark.parametrize("project_id", ["p-1", str(project_id_for("NOPE"))])
def test_a_project_issue_must_name_an_existing_project(container: Container, project_id: str) -> None:
    refused(container, InvalidCommand, "unknown_project", lambda: issue(container, project_id))


def test_an_enterprise_raises_issues_only_for_its_own_projects(container: Container) -> None:
    ours = register_project(container)
    theirs = register_project(
        container, code="WJ-2026-002", owner={"name": "某公司", "credit_code": OTHER_ENTERPRISE.credit_code}
    )
    refused(container, InvalidCommand, "unknown_project", lambda: issue(container, str(theirs), ENTERPRISE))
    assert s.current(container, issue(container, str(ours), ENTERPRISE)).project_id == str(ours)
