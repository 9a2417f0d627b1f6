"""Who may do what and who may see which case: 403 (NotPermitted) versus 404 (NotFound), recording nothing."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid4

import pytest

from application.errors import NotFound
from application.execution import CommandContext
from domain.errors import InvalidCommand, NotPermitted
from domain.values import Actor, Arbitration, Escalation, Kind, Satisfaction, Tier
from infrastructure.container import Container
from tests.conftest import (
    AUDITOR,
    CO,
    CO2,
    COORDINATOR,
    ENTERPRISE,
    LEAD,
    OTHER_ENTERPRISE,
    OUTSIDER,
    REPORTER,
    new_case,
)
from tests.unit import case_steps as s
from tests.unit.case_steps import refused

# -- roles: 403 role_not_permitted before anything else ---------------------------------------------

ROLE_REFUSALS: list[tuple[str, Actor, Callable[[Container, UUID], object]]] = [
    (
        "dispatch_by_handler",
        LEAD,
        lambda container, c: container.cases.dispatch(
            c, s.cmd(LEAD), tier=Tier.HANDLING, lead_department="econ-info", co_departments=[]
        ),
    ),
    (
        "dispatch_by_auditor",
        AUDITOR,
        lambda container, c: container.cases.dispatch(
            c, s.cmd(AUDITOR), tier=Tier.HANDLING, lead_department="econ-info", co_departments=[]
        ),
    ),
    ("sign_for_by_coordinator", COORDINATOR, lambda container, c: s.sign_for(container, c, COORDINATOR)),
    ("sign_for_by_enterprise", ENTERPRISE, lambda container, c: s.sign_for(container, c, ENTERPRISE)),
    ("return_by_coordinator", COORDINATOR, lambda container, c: s.return_case(container, c, COORDINATOR)),
    (
        "arbitrate_by_handler",
        LEAD,
        lambda container, c: container.cases.arbitrate(
            c, s.cmd(LEAD), decision=Arbitration.UPHOLD, department=None, note=""
        ),
    ),
    (
        "contact_by_coordinator",
        COORDINATOR,
        lambda container, c: container.cases.contact(c, s.cmd(COORDINATOR), note="x"),
    ),
    (
        "progress_by_enterprise",
        ENTERPRISE,
        lambda container, c: container.cases.progress(c, s.cmd(ENTERPRISE), note="x"),
    ),
    ("co_reply_by_coordinator", COORDINATOR, lambda container, c: s.co_reply(container, c, COORDINATOR)),
    (
        "waive_by_handler",
        LEAD,
        lambda container, c: container.cases.waive_co_reply(c, s.cmd(LEAD), department="finance", reason="x"),
    ),
    (
        "extension_request_by_coordinator",
        COORDINATOR,
        lambda container, c: s.request_extension(container, c, 3, COORDINATOR),
    ),
    (
        "extension_decision_by_handler",
        LEAD,
        lambda container, c: container.cases.decide_extension(c, s.cmd(LEAD), approved=True, note="x"),
    ),
    (
        "escalate_by_handler",
        LEAD,
        lambda container, c: container.cases.escalate(c, s.cmd(LEAD), level=Escalation.URGE, reason="x", due=None),
    ),
    ("resolve_by_coordinator", COORDINATOR, lambda container, c: s.resolve(container, c, COORDINATOR)),
    ("evaluate_by_handler", LEAD, lambda container, c: s.evaluate(container, c, by=LEAD)),
    ("reopen_by_enterprise", ENTERPRISE, lambda container, c: container.cases.reopen(c, s.cmd(ENTERPRISE), reason="x")),
    ("close_by_enterprise", ENTERPRISE, lambda container, c: container.cases.close(c, s.cmd(ENTERPRISE), note=None)),
    ("withdraw_by_handler", LEAD, lambda container, c: s.withdraw(container, c, LEAD)),
    ("withdraw_by_auditor", AUDITOR, lambda container, c: s.withdraw(container, c, AUDITOR)),
    ("merge_by_handler", LEAD, lambda container, c: container.cases.merge(c, s.cmd(LEAD), into=c, note=None)),
    ("read_by_reporter", REPORTER, lambda container, c: container.queries.get(c, REPORTER)),
    ("history_by_reporter", REPORTER, lambda container, c: container.queries.history(c, REPORTER)),
]


@pytest.mark.parametrize(("name", "by", "action"), ROLE_REFUSALS, ids=[r[0] for r in ROLE_REFUSALS])
def test_command_by_a_role_that_may_not_is_refused_role_not_permitted(
    container: Container, name: str, by: Actor, action: Callable[[Container, UUID], object]
) -> None:
    case_id = s.in_progress_case(container)
    refused(container, case_id, NotPermitted, "role_not_permitted", lambda: action(container, case_id))


@pytest.mark.parametrize("by", [LEAD, AUDITOR, REPORTER])
def test_register_by_a_role_that_may_not_is_refused(container: Container, by: Actor) -> None:
    position = s.head_position(container)
    with pytest.raises(NotPermitted) as e:
        container.cases.register(CommandContext(by), new_case())
    assert e.value.rule == "role_not_permitted"
    assert s.head_position(container) == position


def test_register_by_enterprise_under_another_credit_code_is_refused(container: Container) -> None:
    position = s.head_position(container)
    other = {"name": "某公司", "credit_code": "91110000600037341L"}
    with pytest.raises(NotPermitted) as e:
        container.cases.register(CommandContext(ENTERPRISE), new_case(enterprise=other))
    assert e.value.rule == "own_credit_code_only"
    assert s.head_position(container) == position


def test_register_project_issue_without_project_is_invalid(container: Container) -> None:
    position = s.head_position(container)
    with pytest.raises(InvalidCommand) as e:
        container.cases.register(CommandContext(COORDINATOR), new_case(kind=Kind.PROJECT_ISSUE))
    assert e.value.rule == "project_required"
    assert s.head_position(container) == position


# -- 404: a case the caller may not see answers like a case that does not exist --------------------


def test_get_by_uninvolved_handler_is_not_found(container: Container) -> None:
    case_id = s.in_progress_case(container)
    with pytest.raises(NotFound):
        container.queries.get(case_id, OUTSIDER)
    with pytest.raises(NotFound):
        container.queries.history(case_id, OUTSIDER)


@pytest.mark.parametrize("drive", [s.dispatched_case, s.in_progress_case])
def test_command_by_uninvolved_handler_is_not_found(container: Container, drive: Callable[..., UUID]) -> None:
    case_id = drive(container)
    refused(container, case_id, NotFound, "not_found", lambda: s.sign_for(container, case_id, OUTSIDER))
    refused(container, case_id, NotFound, "not_found", lambda: s.co_reply(container, case_id, OUTSIDER))
    refused(
        container, case_id, NotFound, "not_found", lambda: container.cases.progress(case_id, s.cmd(OUTSIDER), note="x")
    )


def test_get_registered_case_by_any_handler_is_not_found(container: Container) -> None:
    case_id = s.register(container)
    for handler in (LEAD, CO, OUTSIDER):
        with pytest.raises(NotFound):
            container.queries.get(case_id, handler)


def test_get_unknown_case_is_not_found(container: Container) -> None:
    with pytest.raises(NotFound):
        container.queries.get(uuid4(), COORDINATOR)


def test_get_by_former_lead_after_reassignment_is_not_found(container: Container) -> None:
    case_id = s.returned_case(container, co=["finance"])
    assert container.queries.get(case_id, LEAD).case.status == "returned"
    s.arbitrate(container, case_id, Arbitration.REASSIGN, "housing")

    with pytest.raises(NotFound):
        container.queries.get(case_id, LEAD)
    with pytest.raises(NotFound):
        container.queries.history(case_id, LEAD)
    refused(container, case_id, NotFound, "not_found", lambda: s.sign_for(container, case_id, LEAD))
    assert container.queries.get(case_id, CO2).case.lead_department == "housing"
    assert container.queries.get(case_id, CO).case.status == "dispatched"


def test_get_after_upheld_return_is_still_visible_to_the_lead(container: Container) -> None:
    case_id = s.returned_case(container)
    s.arbitrate(container, case_id, Arbitration.UPHOLD)
    assert container.queries.get(case_id, LEAD).case.lead_department == "econ-info"


def test_get_by_another_enterprise_is_not_found(container: Container) -> None:
    case_id = s.register(container, by=ENTERPRISE)
    assert container.queries.get(case_id, ENTERPRISE).case.reference == "QY-2026-000001"
    with pytest.raises(NotFound):
        container.queries.get(case_id, OTHER_ENTERPRISE)
    with pytest.raises(NotFound):
        container.queries.history(case_id, OTHER_ENTERPRISE)


def test_evaluate_and_withdraw_by_another_enterprise_are_not_found(container: Container) -> None:
    case_id = s.resolved_case(container)
    refused(
        container,
        case_id,
        NotFound,
        "not_found",
        lambda: s.evaluate(container, case_id, Satisfaction.DISSATISFIED, by=OTHER_ENTERPRISE),
    )
    refused(container, case_id, NotFound, "not_found", lambda: s.withdraw(container, case_id, OTHER_ENTERPRISE))


def test_evaluate_and_withdraw_by_the_owning_enterprise_are_allowed(container: Container) -> None:
    case_id = s.resolved_case(container)
    assert s.evaluate(container, case_id, by=ENTERPRISE).evaluations["1"]["by"] == "enterprise"
    assert s.withdraw(container, case_id, ENTERPRISE).status == "withdrawn"


def test_auditor_reads_every_case_and_its_history(container: Container) -> None:
    case_id = s.in_progress_case(container)
    assert container.queries.get(case_id, AUDITOR).case.version == 3
    assert len(container.queries.history(case_id, AUDITOR)) == 3


# -- 403: visible, but this department may not do it ---------------------------------------------


def test_co_handler_sees_the_case(container: Container) -> None:
    case_id = s.dispatched_case(container)
    assert container.queries.get(case_id, CO).case.status == "dispatched"
    assert len(container.queries.history(case_id, CO2)) == 2


@pytest.mark.parametrize(
    ("name", "action"),
    [
        ("sign_for", lambda container, c: s.sign_for(container, c, CO)),
        ("return", lambda container, c: s.return_case(container, c, CO2)),
        ("contact", lambda container, c: container.cases.contact(c, s.cmd(CO), note="x")),
        ("extension_request", lambda container, c: s.request_extension(container, c, 3, CO)),
        ("resolve", lambda container, c: s.resolve(container, c, CO2)),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_lead_action_by_co_handler_is_refused_lead_only(
    container: Container, name: str, action: Callable[[Container, UUID], object]
) -> None:
    case_id = s.dispatched_case(container)
    if name not in ("sign_for", "return"):
        s.sign_for(container, case_id)
    refused(container, case_id, NotPermitted, "lead_only", lambda: action(container, case_id))
