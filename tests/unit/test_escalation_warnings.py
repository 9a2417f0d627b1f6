"""An escalation is a warning of the case too (DOMAIN.md, settled after the audit): it appears in the case's
`warnings` as in the warnings view, and clears when the case is resolved, withdrawn or merged."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from api.presenters import case_body
from application.execution import CommandContext
from domain.case import Case
from domain.values import Escalation, Tier
from infrastructure.container import Container
from tests.conftest import COORDINATOR, LEAD
from tests.unit import case_steps as s
from tests.unit.tracking_steps import cleared, view_kinds


def escalate(container: Container, case_id: UUID, level: Escalation) -> Case:
    return container.cases.escalate(case_id, s.cmd(), level=level, reason="督办", due=None).case


def answered_warnings(container: Container, case_id: UUID) -> list[dict[str, Any]]:
    """The `warnings` of the case answer a coordinator gets."""
    return list(case_body(container.queries.get(case_id, COORDINATOR), COORDINATOR)["warnings"])


def test_escalate_shows_in_the_case_warnings_as_in_the_warnings_view(container: Container) -> None:
    case_id = s.in_progress_case(container, tier=Tier.HANDLING)

    escalate(container, case_id, Escalation.SUPERVISE)  # supervision due 5 working days later, Thu 3 Dec

    escalated_at = next(e["at"] for e in s.history(container, case_id) if e["type"] == "CaseEscalated")
    assert answered_warnings(container, case_id) == [
        {
            "level": "red",
            "kind": "escalation:supervise",
            "since": escalated_at.isoformat(),
            "due": "2026-12-03",
            "department": "econ-info",
        }
    ]
    assert view_kinds(container, case_id) == {"escalation:supervise": ("red", "econ-info")}
    raised = [e for e in s.history(container, case_id) if e["type"] == "CaseWarningRaised"]
    assert [(e["data"]["kind"], e["actor"]["id"]) for e in raised] == [("escalation:supervise", COORDINATOR.id)]


def test_escalate_up_the_ladder_replaces_the_escalation_warning(container: Container) -> None:
    case_id = s.in_progress_case(container, tier=Tier.HANDLING)
    escalate(container, case_id, Escalation.URGE)
    assert [(w["kind"], w["level"]) for w in answered_warnings(container, case_id)] == [("escalation:urge", "yellow")]

    escalate(container, case_id, Escalation.LISTED)

    assert [(w["kind"], w["level"]) for w in answered_warnings(container, case_id)] == [("escalation:listed", "red")]
    assert view_kinds(container, case_id) == {"escalation:listed": ("red", "econ-info")}


def test_escalate_again_on_the_same_rung_records_no_second_warning(container: Container) -> None:
    case_id = s.in_progress_case(container, tier=Tier.HANDLING)
    escalate(container, case_id, Escalation.URGE)

    escalate(container, case_id, Escalation.URGE)

    assert s.types(container, case_id)[-3:] == ["CaseEscalated", "CaseWarningRaised", "CaseEscalated"]


def test_resolve_clears_the_escalation_warning_and_a_reopen_does_not_bring_it_back(container: Container) -> None:
    case_id = s.in_progress_case(container, tier=Tier.HANDLING)
    escalate(container, case_id, Escalation.URGE)

    s.resolve(container, case_id)

    assert cleared(container, case_id) == [("escalation:urge", "yellow", "CaseResolved", LEAD.id)]
    assert answered_warnings(container, case_id) == []
    assert view_kinds(container, case_id) == {}
    s.evaluate(container, case_id, s.Satisfaction.DISSATISFIED)
    s.reopen(container, case_id)
    assert (answered_warnings(container, case_id), view_kinds(container, case_id)) == ([], {})


@pytest.mark.parametrize("ending", ["withdraw", "merge"])
def test_withdrawal_or_merge_clears_the_escalation_warning(container: Container, ending: str) -> None:
    case_id = s.dispatched_case(container, tier=Tier.HANDLING)
    survivor = s.register(container)
    escalate(container, case_id, Escalation.SUPERVISE)

    if ending == "withdraw":
        s.withdraw(container, case_id)
    else:
        container.cases.merge(case_id, s.cmd(), into=survivor, note="重复诉求")

    cause = {"withdraw": "CaseWithdrawn", "merge": "CaseMerged"}[ending]
    assert ("escalation:supervise", "red", cause, COORDINATOR.id) in cleared(container, case_id)
    assert "escalation" not in s.current(container, case_id).warnings
    assert view_kinds(container, case_id) == {}


def test_progress_extension_and_sign_for_leave_the_escalation_warning_open(container: Container) -> None:
    case_id = s.dispatched_case(container, tier=Tier.HANDLING)
    escalate(container, case_id, Escalation.URGE)

    s.sign_for(container, case_id)
    container.cases.progress(case_id, s.cmd(LEAD), note="正在办理")
    s.request_extension(container, case_id, 2)
    s.decide_extension(container, case_id, approved=True)

    assert [w["kind"] for w in answered_warnings(container, case_id)] == ["escalation:urge"]
    assert cleared(container, case_id) == []


def test_an_escalation_recorded_without_its_warning_still_shows_while_its_round_is_worked(container: Container) -> None:
    """Escalations recorded before they were warnings have no warning event; the case still shows them."""
    case_id = s.in_progress_case(container, tier=Tier.HANDLING)
    case = container.tracking.executor.load(case_id)
    case._record(
        case.Escalated,
        by=COORDINATOR,
        at=s.current(container, case_id).modified_on,
        level="urge",
        reason="催办",
        due={},
    )
    container.tracking.executor.save(case, [], CommandContext(COORDINATOR))

    assert [(w["kind"], w["level"]) for w in answered_warnings(container, case_id)] == [("escalation:urge", "yellow")]
    assert view_kinds(container, case_id) == {"escalation:urge": ("yellow", "econ-info")}
    s.resolve(container, case_id)
    assert (answered_warnings(container, case_id), view_kinds(container, case_id)) == ([], {})
