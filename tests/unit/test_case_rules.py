"""Every refusal of the case lifecycle names its rule and records nothing (DOMAIN.md "Rule codes")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID, uuid4

import pytest

from domain.errors import InvalidCommand, NotPermitted, StateConflict
from domain.values import Arbitration, Escalation, Outcome, Satisfaction, Tier
from infrastructure.clock import FixedClock
from infrastructure.container import Container
from tests.conftest import CO, CO2, ENTERPRISE, LEAD
from tests.unit import case_steps as s
from tests.unit.case_steps import refused


def _escalate(container: Container, case_id: UUID, level: Escalation, due: date | None = None) -> object:
    return container.cases.escalate(case_id, s.cmd(), level=level, reason="逾期未签收", due=due)


def _dispatch(container: Container, case_id: UUID, tier: Tier, lead: str, co: list[str]) -> Callable[[], object]:
    return lambda: container.cases.dispatch(case_id, s.cmd(), tier=tier, lead_department=lead, co_departments=co)


# -- dispatch ----------------------------------------------------------------------------------


def test_dispatch_twice_is_refused_not_registered(container: Container) -> None:
    case_id = s.dispatched_case(container)
    refused(
        container,
        case_id,
        StateConflict,
        "not_registered",
        _dispatch(container, case_id, Tier.RESOLUTION, "finance", []),
    )


@pytest.mark.parametrize(
    ("tier", "lead", "co", "rule"),
    [
        (Tier.RESOLUTION, "no-such-dept", [], "unknown_department"),
        (Tier.RESOLUTION, "econ-info", ["finance", "no-such-dept"], "unknown_department"),
        (Tier.RESOLUTION, "econ-info", ["econ-info"], "duplicate_department"),
        (Tier.RESOLUTION, "econ-info", ["finance", "finance"], "duplicate_department"),
        (Tier.HANDLING, "econ-info", ["finance"], "co_departments_need_resolution_tier"),
    ],
)
def test_dispatch_with_bad_departments_is_invalid(
    container: Container, tier: Tier, lead: str, co: list[str], rule: str
) -> None:
    case_id = s.register(container)
    refused(container, case_id, InvalidCommand, rule, _dispatch(container, case_id, tier, lead, co))


# -- sign-for, return, arbitration ----------------------------------------------------------------


def test_sign_for_twice_is_refused_not_dispatched(container: Container) -> None:
    case_id = s.in_progress_case(container)
    refused(container, case_id, StateConflict, "not_dispatched", lambda: s.sign_for(container, case_id))


def test_sign_for_while_returned_is_refused_not_dispatched(container: Container) -> None:
    case_id = s.returned_case(container)
    refused(container, case_id, StateConflict, "not_dispatched", lambda: s.sign_for(container, case_id))


def test_sign_for_by_co_handler_is_refused_lead_only(container: Container) -> None:
    case_id = s.dispatched_case(container)
    refused(container, case_id, NotPermitted, "lead_only", lambda: s.sign_for(container, case_id, CO))


def test_return_after_sign_for_is_refused(container: Container) -> None:
    case_id = s.in_progress_case(container)
    refused(container, case_id, StateConflict, "return_after_sign_for", lambda: s.return_case(container, case_id))


def test_return_again_after_upheld_return_is_refused(container: Container) -> None:
    case_id = s.returned_case(container)
    s.arbitrate(container, case_id, Arbitration.UPHOLD)
    refused(container, case_id, StateConflict, "return_already_arbitrated", lambda: s.return_case(container, case_id))


def test_return_by_new_lead_after_reassignment_is_allowed(container: Container) -> None:
    case_id = s.returned_case(container, co=["finance"])
    s.arbitrate(container, case_id, Arbitration.REASSIGN, "housing")
    assert s.return_case(container, case_id, CO2).status == "returned"


def test_return_while_returned_is_refused_not_dispatched(container: Container) -> None:
    case_id = s.returned_case(container)
    refused(container, case_id, StateConflict, "not_dispatched", lambda: s.return_case(container, case_id))


def test_return_by_co_handler_is_refused_lead_only(container: Container) -> None:
    case_id = s.dispatched_case(container)
    refused(container, case_id, NotPermitted, "lead_only", lambda: s.return_case(container, case_id, CO))


def test_arbitrate_without_return_is_refused_not_returned(container: Container) -> None:
    case_id = s.dispatched_case(container)
    refused(
        container, case_id, StateConflict, "not_returned", lambda: s.arbitrate(container, case_id, Arbitration.UPHOLD)
    )


@pytest.mark.parametrize(
    ("department", "rule"),
    [
        (None, "unknown_department"),
        ("no-such-dept", "unknown_department"),
        ("econ-info", "reassign_to_same_department"),
    ],
)
def test_arbitrate_reassign_to_bad_department_is_invalid(
    container: Container, department: str | None, rule: str
) -> None:
    case_id = s.returned_case(container)
    refused(
        container,
        case_id,
        InvalidCommand,
        rule,
        lambda: s.arbitrate(container, case_id, Arbitration.REASSIGN, department),
    )


# -- contact, progress, co-handler replies ---------------------------------------------------------


def test_contact_before_sign_for_is_refused_not_in_progress(container: Container) -> None:
    case_id = s.dispatched_case(container)
    refused(
        container,
        case_id,
        StateConflict,
        "not_in_progress",
        lambda: container.cases.contact(case_id, s.cmd(LEAD), note="已联系"),
    )


def test_contact_by_co_handler_is_refused_lead_only(container: Container) -> None:
    case_id = s.in_progress_case(container)
    refused(
        container,
        case_id,
        NotPermitted,
        "lead_only",
        lambda: container.cases.contact(case_id, s.cmd(CO), note="已联系"),
    )


def test_progress_by_lead_before_sign_for_is_refused_not_in_progress(container: Container) -> None:
    case_id = s.dispatched_case(container)
    refused(
        container,
        case_id,
        StateConflict,
        "not_in_progress",
        lambda: container.cases.progress(case_id, s.cmd(LEAD), note="进展"),
    )


def test_progress_by_co_handler_after_resolution_is_refused_not_in_progress(container: Container) -> None:
    case_id = s.resolved_case(container)
    refused(
        container,
        case_id,
        StateConflict,
        "not_in_progress",
        lambda: container.cases.progress(case_id, s.cmd(CO), note="进展"),
    )


def test_co_reply_by_lead_is_refused_co_handler_only(container: Container) -> None:
    case_id = s.in_progress_case(container)
    refused(container, case_id, NotPermitted, "co_handler_only", lambda: s.co_reply(container, case_id, LEAD))


def test_co_reply_before_sign_for_and_again_is_allowed(container: Container) -> None:
    case_id = s.dispatched_case(container)
    s.co_reply(container, case_id, CO, "第一次意见")
    assert s.co_reply(container, case_id, CO, "补充意见").co_replies["finance"]["note"] == "补充意见"


def test_co_reply_after_waiver_is_refused_co_reply_waived(container: Container) -> None:
    case_id = s.in_progress_case(container)
    container.cases.waive_co_reply(case_id, s.cmd(), department="finance", reason="财政局无意见")
    refused(container, case_id, StateConflict, "co_reply_waived", lambda: s.co_reply(container, case_id, CO))


def test_co_reply_after_resolution_is_refused_not_in_progress(container: Container) -> None:
    case_id = s.resolved_case(container)
    refused(container, case_id, StateConflict, "not_in_progress", lambda: s.co_reply(container, case_id, CO))


def test_waive_co_reply_twice_is_refused_co_reply_waived(container: Container) -> None:
    case_id = s.in_progress_case(container)
    container.cases.waive_co_reply(case_id, s.cmd(), department="finance", reason="无意见")
    refused(
        container,
        case_id,
        StateConflict,
        "co_reply_waived",
        lambda: container.cases.waive_co_reply(case_id, s.cmd(), department="finance", reason="无意见"),
    )


def test_waive_co_reply_after_reply_is_refused_co_reply_given(container: Container) -> None:
    case_id = s.in_progress_case(container)
    s.co_reply(container, case_id, CO)
    refused(
        container,
        case_id,
        StateConflict,
        "co_reply_given",
        lambda: container.cases.waive_co_reply(case_id, s.cmd(), department="finance", reason="无意见"),
    )


def test_waive_co_reply_of_a_non_co_handler_is_invalid(container: Container) -> None:
    case_id = s.in_progress_case(container)
    refused(
        container,
        case_id,
        InvalidCommand,
        "not_co_handler",
        lambda: container.cases.waive_co_reply(case_id, s.cmd(), department="ecology", reason="无意见"),
    )


# -- extensions --------------------------------------------------------------------------------


def test_request_extension_while_one_is_pending_is_refused(container: Container) -> None:
    case_id = s.in_progress_case(container)
    s.request_extension(container, case_id, 3)
    refused(container, case_id, StateConflict, "extension_pending", lambda: s.request_extension(container, case_id, 2))


def test_request_extension_on_the_due_date_is_refused_too_late(container: Container, clock: FixedClock) -> None:
    case_id = s.in_progress_case(container)  # resolution due Thursday 2026-12-17
    clock.advance(days=21)
    refused(container, case_id, StateConflict, "extension_too_late", lambda: s.request_extension(container, case_id, 3))


def test_request_extension_on_the_last_working_day_before_due_is_allowed(
    container: Container, clock: FixedClock
) -> None:
    case_id = s.in_progress_case(container)
    clock.advance(days=20)  # Wednesday 2026-12-16
    pending = s.request_extension(container, case_id, 3).pending_extension
    assert pending == {"extra_working_days": 3, "reason": "需协调管网改造"}


def test_request_extension_beyond_the_maximum_is_refused(container: Container) -> None:
    case_id = s.in_progress_case(container)  # 15 working days + 16 = 31 > 30
    refused(
        container,
        case_id,
        StateConflict,
        "extension_exceeds_maximum",
        lambda: s.request_extension(container, case_id, 16),
    )
    assert s.request_extension(container, case_id, 15).pending_extension is not None


def test_request_extension_counts_approved_ones_towards_the_maximum(container: Container) -> None:
    case_id = s.in_progress_case(container)
    s.request_extension(container, case_id, 10)
    s.decide_extension(container, case_id, True)
    refused(
        container,
        case_id,
        StateConflict,
        "extension_exceeds_maximum",
        lambda: s.request_extension(container, case_id, 6),
    )


def test_request_extension_tier1_beyond_the_maximum_is_refused(container: Container) -> None:
    case_id = s.in_progress_case(container, tier=Tier.HANDLING)  # 5 + 26 = 31
    refused(
        container,
        case_id,
        StateConflict,
        "extension_exceeds_maximum",
        lambda: s.request_extension(container, case_id, 26),
    )


def test_request_extension_maximum_applies_per_round(container: Container) -> None:
    case_id = s.in_progress_case(container)
    s.request_extension(container, case_id, 15)
    s.decide_extension(container, case_id, True)
    s.co_replies(container, case_id)
    s.resolve(container, case_id)
    s.evaluate(container, case_id, Satisfaction.DISSATISFIED)
    s.reopen(container, case_id)
    assert s.request_extension(container, case_id, 15).pending_extension is not None


def test_request_extension_before_sign_for_is_refused_not_in_progress(container: Container) -> None:
    case_id = s.dispatched_case(container)
    refused(container, case_id, StateConflict, "not_in_progress", lambda: s.request_extension(container, case_id, 3))


def test_request_extension_by_co_handler_is_refused_lead_only(container: Container) -> None:
    case_id = s.in_progress_case(container)
    refused(container, case_id, NotPermitted, "lead_only", lambda: s.request_extension(container, case_id, 3, CO))


@pytest.mark.parametrize("decided", [False, True])
def test_decide_extension_without_request_is_refused(container: Container, decided: bool) -> None:
    case_id = s.in_progress_case(container)
    if decided:
        s.request_extension(container, case_id, 3)
        s.decide_extension(container, case_id, False)
    refused(
        container, case_id, StateConflict, "no_extension_pending", lambda: s.decide_extension(container, case_id, True)
    )


# -- escalation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (Escalation.SUPERVISE, Escalation.URGE),
        (Escalation.LISTED, Escalation.SUPERVISE),
        (Escalation.LISTED, Escalation.URGE),
    ],
)
def test_escalate_downwards_is_refused(container: Container, first: Escalation, then: Escalation) -> None:
    case_id = s.in_progress_case(container)
    _escalate(container, case_id, first)
    refused(container, case_id, StateConflict, "escalation_cannot_descend", lambda: _escalate(container, case_id, then))


def test_escalate_same_level_again_is_allowed(container: Container) -> None:
    case_id = s.dispatched_case(container)
    _escalate(container, case_id, Escalation.URGE)
    assert _escalate(container, case_id, Escalation.URGE) is not None
    assert s.current(container, case_id).escalation_level == "urge"


@pytest.mark.parametrize(
    ("level", "due", "rule"),
    [
        (Escalation.SUPERVISE, date(2026, 11, 26), "due_not_in_future"),
        (Escalation.SUPERVISE, date(2026, 11, 1), "due_not_in_future"),
        (Escalation.URGE, date(2026, 12, 10), "due_only_for_supervise"),
        (Escalation.LISTED, date(2026, 12, 10), "due_only_for_supervise"),
    ],
)
def test_escalate_with_bad_due_is_invalid(container: Container, level: Escalation, due: date, rule: str) -> None:
    case_id = s.in_progress_case(container)
    refused(container, case_id, InvalidCommand, rule, lambda: _escalate(container, case_id, level, due))


@pytest.mark.parametrize("drive", [s.register, s.resolved_case, s.evaluated_case])
def test_escalate_outside_handling_is_refused_not_in_progress(container: Container, drive: Callable[..., UUID]) -> None:
    case_id = drive(container)
    refused(
        container, case_id, StateConflict, "not_in_progress", lambda: _escalate(container, case_id, Escalation.URGE)
    )


# -- resolution, evaluation, reopen, closure ------------------------------------------------------


def test_resolve_with_a_missing_co_reply_is_refused(container: Container) -> None:
    case_id = s.in_progress_case(container)
    s.co_reply(container, case_id, CO)
    error = refused(container, case_id, StateConflict, "co_reply_missing", lambda: s.resolve(container, case_id))
    assert "housing" in error.detail
    container.cases.waive_co_reply(case_id, s.cmd(), department="housing", reason="住建局不涉及")
    assert s.resolve(container, case_id).status == "resolved"


def test_resolve_before_sign_for_is_refused_not_in_progress(container: Container) -> None:
    case_id = s.dispatched_case(container, co=[])
    refused(container, case_id, StateConflict, "not_in_progress", lambda: s.resolve(container, case_id))


def test_resolve_by_co_handler_is_refused_lead_only(container: Container) -> None:
    case_id = s.in_progress_case(container)
    s.co_replies(container, case_id)
    refused(container, case_id, NotPermitted, "lead_only", lambda: s.resolve(container, case_id, CO))


def test_resolve_unsolvable_without_reason_is_invalid(container: Container) -> None:
    case_id = s.in_progress_case(container, co=[])
    refused(
        container,
        case_id,
        InvalidCommand,
        "reason_required",
        lambda: s.resolve(container, case_id, outcome=Outcome.UNSOLVABLE),
    )


def test_evaluate_twice_is_refused_already_evaluated(container: Container) -> None:
    case_id = s.evaluated_case(container)
    refused(
        container,
        case_id,
        StateConflict,
        "already_evaluated",
        lambda: s.evaluate(container, case_id, Satisfaction.DISSATISFIED, by=ENTERPRISE),
    )


@pytest.mark.parametrize("drive", [s.register, s.dispatched_case, s.in_progress_case])
def test_evaluate_before_resolution_is_refused_not_resolved(container: Container, drive: Callable[..., UUID]) -> None:
    case_id = drive(container)
    refused(container, case_id, StateConflict, "not_resolved", lambda: s.evaluate(container, case_id))


@pytest.mark.parametrize(
    "satisfaction", [Satisfaction.VERY_SATISFIED, Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED]
)
def test_reopen_after_satisfied_evaluation_is_refused(container: Container, satisfaction: Satisfaction) -> None:
    case_id = s.evaluated_case(container, satisfaction)
    refused(container, case_id, StateConflict, "reopen_requires_dissatisfied", lambda: s.reopen(container, case_id))


@pytest.mark.parametrize("drive", [s.in_progress_case, s.resolved_case])
def test_reopen_without_evaluation_is_refused(container: Container, drive: Callable[..., UUID]) -> None:
    case_id = drive(container)
    refused(container, case_id, StateConflict, "reopen_requires_dissatisfied", lambda: s.reopen(container, case_id))


@pytest.mark.parametrize("drive", [s.register, s.dispatched_case, s.returned_case, s.in_progress_case])
def test_close_before_resolution_is_refused(container: Container, drive: Callable[..., UUID]) -> None:
    case_id = drive(container)
    refused(
        container,
        case_id,
        StateConflict,
        "closure_requires_evaluation",
        lambda: s.close(container, case_id, note="结案"),
    )


def test_close_unevaluated_within_revisit_window_is_refused(container: Container, clock: FixedClock) -> None:
    case_id = s.resolved_case(container)  # revisit window ends Thursday 2026-12-03
    clock.advance(days=7)
    refused(
        container,
        case_id,
        StateConflict,
        "closure_requires_evaluation",
        lambda: s.close(container, case_id, note="联系不上"),
    )


def test_close_unevaluated_without_note_is_refused(container: Container, clock: FixedClock) -> None:
    case_id = s.resolved_case(container)
    clock.advance(days=8)
    refused(container, case_id, StateConflict, "closure_requires_evaluation", lambda: s.close(container, case_id))


# -- closed, withdrawn and merged cases ----------------------------------------------------------


FINAL_ACTIONS: dict[str, Callable[[Container, UUID, UUID], object]] = {
    "dispatch": lambda container, c, _: s.dispatch(container, c),
    "co_reply": lambda container, c, _: s.co_reply(container, c, CO),
    "evaluate": lambda container, c, _: s.evaluate(container, c),
    "escalate": lambda container, c, _: _escalate(container, c, Escalation.URGE),
    "close": lambda container, c, _: s.close(container, c, note="结案"),
    "withdraw": lambda container, c, _: s.withdraw(container, c),
    "reopen": lambda container, c, _: s.reopen(container, c),
    "merge": lambda container, c, target: container.cases.merge(c, s.cmd(), into=target, note=None),
}


@pytest.mark.parametrize("action", sorted(FINAL_ACTIONS))
@pytest.mark.parametrize("final", ["closed", "withdrawn", "merged"])
def test_command_on_a_final_case_is_refused_not_open(container: Container, final: str, action: str) -> None:
    case_id = s.closed_case(container) if final == "closed" else s.dispatched_case(container)
    if final == "withdrawn":
        s.withdraw(container, case_id)
    elif final == "merged":
        container.cases.merge(case_id, s.cmd(), into=s.register(container), note="重复")
    target = s.register(container)  # an open merge target, registered before the refusal
    refused(container, case_id, StateConflict, "not_open", lambda: FINAL_ACTIONS[action](container, case_id, target))


@pytest.mark.parametrize("final", ["closed", "withdrawn", "merged"])
def test_merge_into_a_final_case_is_refused(container: Container, final: str) -> None:
    target = s.closed_case(container) if final == "closed" else s.register(container)
    if final == "withdrawn":
        s.withdraw(container, target)
    elif final == "merged":
        container.cases.merge(target, s.cmd(), into=s.register(container), note=None)
    duplicate = s.register(container)
    before = s.version(container, target)
    refused(
        container,
        duplicate,
        StateConflict,
        "merge_target_not_open",
        lambda: container.cases.merge(duplicate, s.cmd(), into=target, note=None),
    )
    assert s.version(container, target) == before


def test_merge_into_itself_is_invalid(container: Container) -> None:
    case_id = s.register(container)
    refused(
        container,
        case_id,
        InvalidCommand,
        "merge_into_self",
        lambda: container.cases.merge(case_id, s.cmd(), into=case_id, note=None),
    )


def test_merge_into_an_unknown_case_is_invalid(container: Container) -> None:
    case_id = s.register(container)
    refused(
        container,
        case_id,
        InvalidCommand,
        "unknown_case",
        lambda: container.cases.merge(case_id, s.cmd(), into=uuid4(), note=None),
    )
