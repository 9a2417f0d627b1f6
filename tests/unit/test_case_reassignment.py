"""A reassignment after arbitration restarts every clock the new lead and the co-handlers owe (DOMAIN.md,
"Settled after an audit"), and the new lead's working days count from the dispatch it received."""

from __future__ import annotations

from datetime import UTC
from uuid import UUID

from domain.values import Arbitration
from infrastructure.clock import FixedClock
from infrastructure.container import Container
from tests.conftest import CO, CO2, COORDINATOR, OUTSIDER
from tests.unit import case_steps as s
from tests.unit.tracking_steps import cleared, local, track_afresh, view_kinds, warnings


def reassigned_after_a_long_return(container: Container, clock: FixedClock) -> UUID:
    """Dispatched Thu 26 Nov to econ-info with co-handlers finance and housing (co-replies due Tue 1 Dec);
    housing replies Fri 27 Nov; the lead returns the case, which sits in the return until the tracking job
    raises finance's co-reply red on Wed 2 Dec; on Thu 3 Dec the coordinator reassigns it to ecology."""
    case_id = s.returned_case(container)
    clock.advance(days=1)
    s.co_reply(container, case_id, CO2)
    track_afresh(container, local(2026, 12, 2))
    assert warnings(container, case_id)["co_reply:finance"] == "red"
    clock.at = local(2026, 12, 3).astimezone(UTC)
    s.arbitrate(container, case_id, Arbitration.REASSIGN, "ecology")
    return case_id


def test_arbitrate_reassign_restarts_each_outstanding_co_reply_clock(container: Container, clock: FixedClock) -> None:
    case_id = reassigned_after_a_long_return(container, clock)

    case = s.current(container, case_id)

    # 3 working days from Thu 3 Dec: Fri 4, Mon 7, Tue 8. Housing replied already: it owes nothing.
    assert s.due_dates(case) == {"sign_for": "2026-12-04", "resolution": "2026-12-24", "co_reply:finance": "2026-12-08"}
    assert s.last_event(container, case_id)["type"] == "CaseWarningCleared"
    assert case.clocks_opened["co_reply:finance"] == "2026-12-03"


def test_arbitrate_reassign_clears_the_red_co_reply_warning_of_the_old_clock(
    container: Container, clock: FixedClock
) -> None:
    case_id = reassigned_after_a_long_return(container, clock)

    assert ("co_reply:finance", "red", "CaseReturnArbitrated", COORDINATOR.id) in cleared(container, case_id)
    assert "co_reply:finance" not in warnings(container, case_id)
    assert "co_reply:finance" not in view_kinds(container, case_id)
    # The fresh clock is not even in its last working day on Fri 4 Dec: the job raises nothing for it.
    track_afresh(container, local(2026, 12, 4))
    assert "co_reply:finance" not in warnings(container, case_id)


def test_arbitrate_reassign_skips_waived_replies(container: Container, clock: FixedClock) -> None:
    case_id = s.returned_case(container)
    container.cases.waive_co_reply(case_id, s.cmd(), department="finance", reason="不涉及本部门")
    clock.advance(days=7)  # Thu 3 Dec

    case = s.arbitrate(container, case_id, Arbitration.REASSIGN, "ecology")

    assert s.due_dates(case)["co_reply:housing"] == "2026-12-08"
    assert "co_reply:finance" not in case.due


def test_resolve_after_reassignment_counts_working_days_from_the_reassignment(
    container: Container, clock: FixedClock
) -> None:
    case_id = reassigned_after_a_long_return(container, clock)
    s.sign_for(container, case_id, OUTSIDER)
    s.co_reply(container, case_id, CO)
    clock.at = local(2026, 12, 10).astimezone(UTC)

    s.resolve(container, case_id, by=OUTSIDER)

    resolved = s.last_event(container, case_id)["data"]
    # Fri 4, Mon 7, Tue 8, Wed 9, Thu 10 Dec after the reassignment; 10 counted from the first dispatch.
    assert (resolved["working_days"], resolved["on_time"]) == (5, True)
