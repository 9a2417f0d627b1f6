"""A warning clears only when its cause ends, recorded by the command that ended it, with that command's actor."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.values import Arbitration, Escalation, Satisfaction, Tier
from infrastructure.clock import FixedClock
from infrastructure.container import Container
from tests.conftest import CO, CO2, COORDINATOR, LEAD
from tests.unit import case_steps as s
from tests.unit.tracking_steps import cleared, local, track_afresh, view_kinds, warnings


def track_at(container: Container, clock: FixedClock, moment: datetime) -> None:
    """Run the job at `moment`, and let the next commands happen just after it."""
    track_afresh(container, moment)
    clock.at = moment.astimezone(UTC)


# -- the clock is satisfied or stopped ---------------------------------------------------------------


def test_co_reply_and_waiver_clear_their_own_warnings(container: Container, clock: FixedClock) -> None:
    case_id = s.in_progress_case(container)
    track_at(container, clock, local(2026, 12, 2))  # co-replies were due Tuesday 2026-12-01
    assert {"co_reply:finance", "co_reply:housing"} <= set(warnings(container, case_id))

    s.co_reply(container, case_id, CO)
    container.cases.waive_co_reply(case_id, s.cmd(), department="housing", reason="不涉及本部门")

    assert cleared(container, case_id) == [
        ("co_reply:finance", "red", "CaseCoReplied", CO.id),
        ("co_reply:housing", "red", "CaseCoReplyWaived", COORDINATOR.id),
    ]
    assert not any(kind.startswith("co_reply") for kind in warnings(container, case_id))


def test_contact_clears_the_first_contact_warning(container: Container, clock: FixedClock) -> None:
    case_id = s.in_progress_case(container)  # first contact due Friday 2026-11-27
    track_at(container, clock, local(2026, 11, 28))

    container.cases.contact(case_id, s.cmd(LEAD), note="已电话联系企业")

    assert cleared(container, case_id) == [("first_contact", "red", "CaseContacted", LEAD.id)]


def test_return_clears_the_sign_for_warning(container: Container, clock: FixedClock) -> None:
    case_id = s.dispatched_case(container)
    track_at(container, clock, local(2026, 11, 27))

    s.return_case(container, case_id)

    assert cleared(container, case_id) == [("sign_for", "yellow", "CaseReturned", LEAD.id)]


def test_lead_progress_clears_stalled_but_a_co_handlers_does_not(container: Container, clock: FixedClock) -> None:
    case_id = s.in_progress_case(container)
    track_at(container, clock, local(2026, 12, 2))
    assert warnings(container, case_id)["stalled"] == "yellow"

    container.cases.progress(case_id, s.cmd(CO), note="财政资金已落实")
    assert "stalled" in warnings(container, case_id)
    container.cases.progress(case_id, s.cmd(LEAD), note="管网改造方案已报审")

    assert ("stalled", "yellow", "CaseProgressLogged", LEAD.id) in cleared(container, case_id)
    assert "stalled" not in warnings(container, case_id)
    assert track_afresh(container, local(2026, 12, 2, 12)).raised == []  # the next note is due 3 working days later


def test_resolve_clears_every_warning_of_the_working_clocks(container: Container, clock: FixedClock) -> None:
    case_id = s.in_progress_case(container, tier=Tier.HANDLING)
    container.cases.escalate(case_id, s.cmd(), level=Escalation.SUPERVISE, reason="逾期", due=None)
    track_at(container, clock, local(2026, 12, 8))
    # Settled after the audit: the escalation is a warning too, and resolution ends it.
    assert set(warnings(container, case_id)) == {"first_contact", "handling", "supervision", "stalled", "escalation"}

    s.resolve(container, case_id)

    assert {(kind, cause) for kind, _, cause, _ in cleared(container, case_id)} == {
        (kind, "CaseResolved")
        for kind in ("first_contact", "handling", "supervision", "stalled", "escalation:supervise")
    }
    assert warnings(container, case_id) == {}


def test_evaluation_clears_the_revisit_warning(container: Container, clock: FixedClock) -> None:
    case_id = s.resolved_case(container)
    track_at(container, clock, local(2026, 12, 4))

    s.evaluate(container, case_id, by=COORDINATOR)

    assert cleared(container, case_id) == [("revisit", "yellow", "CaseEvaluated", COORDINATOR.id)]
    assert view_kinds(container, case_id) == {}


# -- the due date moves -----------------------------------------------------------------------------


def test_approved_extension_clears_the_main_warning(container: Container, clock: FixedClock) -> None:
    case_id = s.in_progress_case(container)
    track_at(container, clock, local(2026, 12, 15))  # 80% of the resolution limit has passed
    assert warnings(container, case_id)["resolution"] == "yellow"
    s.request_extension(container, case_id, 5)
    assert warnings(container, case_id)["resolution"] == "yellow"  # asking changes nothing

    s.decide_extension(container, case_id, True)

    assert ("resolution", "yellow", "CaseExtensionDecided", COORDINATOR.id) in cleared(container, case_id)
    assert "resolution" not in {w.kind for w in track_afresh(container, local(2026, 12, 15, 12)).raised}


def test_rejected_extension_keeps_the_main_warning(container: Container, clock: FixedClock) -> None:
    case_id = s.in_progress_case(container)
    track_at(container, clock, local(2026, 12, 15))
    s.request_extension(container, case_id, 5)

    s.decide_extension(container, case_id, False)

    assert warnings(container, case_id)["resolution"] == "yellow"
    assert not [c for c in cleared(container, case_id) if c[0] == "resolution"]


def test_a_new_supervision_order_clears_the_old_orders_warning(container: Container, clock: FixedClock) -> None:
    case_id = s.in_progress_case(container)
    container.cases.escalate(case_id, s.cmd(), level=Escalation.SUPERVISE, reason="督办", due=None)
    track_at(container, clock, local(2026, 12, 4))
    assert warnings(container, case_id)["supervision"] == "red"

    container.cases.escalate(case_id, s.cmd(), level=Escalation.SUPERVISE, reason="再次督办", due=date(2026, 12, 18))

    assert ("supervision", "red", "CaseEscalated", COORDINATOR.id) in cleared(container, case_id)


# -- a reassignment -------------------------------------------------------------------------------------


def test_reassignment_clears_the_old_leads_warnings(container: Container, clock: FixedClock) -> None:
    case_id = s.returned_case(container, tier=Tier.HANDLING)  # handling due Thursday 2026-12-03
    track_at(container, clock, local(2026, 12, 3))
    assert view_kinds(container, case_id) == {"handling": ("yellow", "econ-info")}

    s.arbitrate(container, case_id, Arbitration.REASSIGN, "housing")

    assert cleared(container, case_id) == [("handling", "yellow", "CaseReturnArbitrated", COORDINATOR.id)]
    assert view_kinds(container, case_id) == {}


def test_reassignment_to_a_co_handler_clears_its_co_reply_warning(container: Container, clock: FixedClock) -> None:
    case_id = s.returned_case(container)
    track_at(container, clock, local(2026, 12, 2))
    assert warnings(container, case_id)["co_reply:housing"] == "red"

    s.arbitrate(container, case_id, Arbitration.REASSIGN, "housing")

    assert "co_reply:housing" not in warnings(container, case_id)
    # Settled after the audit: the other co-handler's reply clock restarts too, so its red warning ends.
    assert "co_reply:finance" not in warnings(container, case_id)


def test_upheld_return_keeps_the_main_warning(container: Container, clock: FixedClock) -> None:
    case_id = s.returned_case(container, tier=Tier.HANDLING)
    track_at(container, clock, local(2026, 12, 3))

    s.arbitrate(container, case_id, Arbitration.UPHOLD)

    assert warnings(container, case_id) == {"handling": "yellow"}
    assert cleared(container, case_id) == []


# -- the case ends ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["withdraw", "merge"])
def test_withdrawal_or_merge_clears_every_warning(container: Container, clock: FixedClock, ending: str) -> None:
    case_id = s.dispatched_case(container, tier=Tier.HANDLING)
    survivor = s.register(container)
    track_at(container, clock, local(2026, 12, 8))
    assert warnings(container, case_id) == {"sign_for": "red", "handling": "red"}

    if ending == "withdraw":
        s.withdraw(container, case_id)
    else:
        container.cases.merge(case_id, s.cmd(), into=survivor, note="重复诉求")

    cause = {"withdraw": "CaseWithdrawn", "merge": "CaseMerged"}[ending]
    assert sorted(cleared(container, case_id)) == [
        ("handling", "red", cause, COORDINATOR.id),
        ("sign_for", "red", cause, COORDINATOR.id),
    ]
    assert warnings(container, case_id) == {}
    assert view_kinds(container, case_id) == {}


def test_closure_unevaluated_clears_the_revisit_warning(container: Container, clock: FixedClock) -> None:
    case_id = s.resolved_case(container)
    track_at(container, clock, local(2026, 12, 4))

    s.close(container, case_id, note="多次联系企业未果")

    assert cleared(container, case_id) == [("revisit", "yellow", "CaseClosed", COORDINATOR.id)]


def test_closure_clears_the_dissatisfied_warning_reopen_does_not(container: Container, clock: FixedClock) -> None:
    case_id = s.evaluated_case(container, Satisfaction.DISSATISFIED)
    s.reopen(container, case_id)
    s.resolve(container, case_id)
    s.evaluate(container, case_id, Satisfaction.DISSATISFIED)
    track_at(container, clock, local(2026, 11, 26, 12))
    s.reopen(container, case_id)
    s.resolve(container, case_id)
    s.evaluate(container, case_id, Satisfaction.SATISFIED)
    assert warnings(container, case_id) == {"dissatisfied": "red"}

    s.close(container, case_id)

    assert cleared(container, case_id) == [("dissatisfied", "red", "CaseClosed", COORDINATOR.id)]
    assert s.current(container, case_id).warnings == {}


def test_commands_that_end_no_cause_clear_nothing(container: Container, clock: FixedClock) -> None:
    case_id = s.in_progress_case(container)
    track_at(container, clock, local(2026, 12, 8))
    before = warnings(container, case_id)
    assert set(before) == {"first_contact", "co_reply:finance", "co_reply:housing", "stalled"}

    container.cases.escalate(case_id, s.cmd(), level=Escalation.URGE, reason="催办", due=None)
    s.request_extension(container, case_id, 3)
    container.cases.progress(case_id, s.cmd(CO2), note="正在核实用地指标")

    # The escalation adds its own warning (settled after the audit); none of the earlier ones ended.
    assert warnings(container, case_id) == {**before, "escalation": "yellow"}
    assert cleared(container, case_id) == []
