"""Due dates: working days from the next day, official holidays and make-up days, provisional years."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from domain.errors import StateConflict
from domain.values import Arbitration, Escalation, Satisfaction, Tier
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from tests.conftest import CO, CO2, LEAD
from tests.unit import case_steps as s

POLICY = "2026.1"


def clock_entry(due: str, provisional: bool = False) -> dict[str, Any]:
    return {"due": due, "provisional": provisional, "policy_version": POLICY}


@pytest.fixture
def september_clock() -> FixedClock:
    return FixedClock(datetime(2026, 9, 29, 1, 0, tzinfo=UTC))  # Tuesday 2026-09-29, 09:00 Asia/Shanghai


@pytest.fixture
def september_app(september_clock: FixedClock) -> Iterator[Container]:
    container = build(Settings(database_url="memory://"), clock=september_clock)
    yield container
    container.close()


# -- dispatch on Thursday 2026-11-26 (API.md's example) -------------------------------------------


def test_dispatch_tier2_opens_sign_for_resolution_and_co_reply_clocks(container: Container) -> None:
    case_id = s.register(container)

    case = s.dispatch(container, case_id, co=["finance"])

    assert case.due == {
        "sign_for": clock_entry("2026-11-27"),
        "resolution": clock_entry("2026-12-17"),
        "co_reply:finance": clock_entry("2026-12-01"),
    }
    assert s.last_event(container, case_id)["data"]["due"] == case.due  # recorded in the event, not recomputed


@pytest.mark.parametrize(("urgency", "due"), [("normal", "2026-12-03"), ("urgent", "2026-11-27")])
def test_dispatch_tier1_handling_clock_depends_on_urgency(container: Container, urgency: str, due: str) -> None:
    case = s.dispatch(container, s.register(container, urgency=urgency), tier=Tier.HANDLING)

    assert case.due == {"sign_for": clock_entry("2026-11-27"), "handling": clock_entry(due)}


def test_dispatch_tier2_urgent_keeps_the_resolution_limit(container: Container) -> None:
    case = s.dispatch(container, s.register(container, urgency="urgent"))

    assert s.due_dates(case)["resolution"] == "2026-12-17"


@pytest.mark.parametrize(
    ("moment", "sign_for"),
    [
        (datetime(2026, 11, 26, 15, 59, tzinfo=UTC), "2026-11-27"),  # 23:59 Thursday, local
        (datetime(2026, 11, 26, 16, 0, tzinfo=UTC), "2026-11-30"),  # 00:00 Friday, local
        (datetime(2026, 11, 28, 2, 0, tzinfo=UTC), "2026-11-30"),  # a Saturday: the next working day is Monday
        (datetime(2026, 11, 29, 2, 0, tzinfo=UTC), "2026-11-30"),  # a Sunday
    ],
)
def test_dispatch_counts_from_the_next_local_day(
    container: Container, clock: FixedClock, moment: datetime, sign_for: str
) -> None:
    case_id = s.register(container)
    clock.at = moment

    assert s.due_dates(s.dispatch(container, case_id))["sign_for"] == sign_for


def test_sign_for_opens_first_contact(container: Container, clock: FixedClock) -> None:
    case_id = s.dispatched_case(container)
    clock.advance(days=1)  # Friday 2026-11-27

    case = s.sign_for(container, case_id)

    assert "sign_for" not in case.due
    assert case.due["first_contact"] == clock_entry("2026-11-30")
    contacted = container.cases.contact(case_id, s.cmd(LEAD), note="已联系").case
    assert "first_contact" not in contacted.due


def test_co_reply_closes_its_clock_only(container: Container) -> None:
    case_id = s.dispatched_case(container)

    case = s.co_reply(container, case_id, CO)

    assert set(case.due) == {"sign_for", "resolution", "co_reply:housing"}
    waived = container.cases.waive_co_reply(case_id, s.cmd(), department="housing", reason="不涉及").case
    assert set(waived.due) == {"sign_for", "resolution"}


# -- the national holiday 2026 and its make-up working days ------------------------------------------


def test_dispatch_before_national_day_skips_the_holiday_and_counts_the_makeup_saturday(
    september_app: Container,
) -> None:
    case = s.dispatch(september_app, s.register(september_app))  # Tuesday 2026-09-29

    assert s.due_dates(case) == {
        "sign_for": "2026-09-30",
        "co_reply:finance": "2026-10-09",  # 09-30, 10-08, 10-09
        "co_reply:housing": "2026-10-09",
        "resolution": "2026-10-26",
    }
    assert not any(clock["provisional"] for clock in case.due.values())


def test_dispatch_tier1_across_national_day_counts_saturday_october_10(september_app: Container) -> None:
    case = s.dispatch(september_app, s.register(september_app), tier=Tier.HANDLING)

    # 09-30, 10-08, 10-09, Saturday 10-10 (make-up working day), Monday 10-12
    assert s.due_dates(case)["handling"] == "2026-10-12"


def test_dispatch_on_the_eve_of_national_day_is_due_after_it(
    september_app: Container, september_clock: FixedClock
) -> None:
    case_id = s.register(september_app)
    september_clock.advance(days=1)  # Wednesday 2026-09-30

    case = s.dispatch(september_app, case_id, tier=Tier.HANDLING)

    assert s.due_dates(case) == {"sign_for": "2026-10-08", "handling": "2026-10-13"}


def test_dispatch_before_makeup_sunday_september_20_counts_it(
    september_app: Container, september_clock: FixedClock
) -> None:
    case_id = s.register(september_app)
    september_clock.at = datetime(2026, 9, 18, 1, 0, tzinfo=UTC)  # Friday 2026-09-18

    assert s.due_dates(s.dispatch(september_app, case_id))["sign_for"] == "2026-09-20"


# -- the year end: 2027 has no official data yet -------------------------------------------------------


def test_dispatch_across_the_year_end_is_provisional(container: Container, clock: FixedClock) -> None:
    case_id = s.register(container)
    clock.advance(days=32)  # Monday 2026-12-28

    case = s.dispatch(container, case_id, co=["finance"])

    assert case.due == {
        "sign_for": clock_entry("2026-12-29"),
        "co_reply:finance": clock_entry("2026-12-31"),  # counted within 2026: still official
        "resolution": clock_entry("2027-01-19", provisional=True),  # 2027-01-01 off (statutory)
    }


def test_dispatch_tier1_across_the_year_end_is_provisional(container: Container, clock: FixedClock) -> None:
    case_id = s.register(container)
    clock.advance(days=32)

    case = s.dispatch(container, case_id, tier=Tier.HANDLING)

    assert case.due["handling"] == clock_entry("2027-01-05", provisional=True)


# -- extensions -------------------------------------------------------------------------------------


def test_extension_approved_moves_the_main_due_date(container: Container) -> None:
    case_id = s.in_progress_case(container)
    s.request_extension(container, case_id, 5)

    case = s.decide_extension(container, case_id, True)

    assert case.due["resolution"] == clock_entry("2026-12-24")
    assert s.due_dates(case)["co_reply:finance"] == "2026-12-01"
    data = s.last_event(container, case_id)["data"]
    assert (data["approved"], data["extra_working_days"]) == (True, 5)
    assert data["due"] == {"resolution": case.due["resolution"]}


def test_extension_approved_twice_adds_up(container: Container) -> None:
    case_id = s.in_progress_case(container)
    for days in (5, 3):
        s.request_extension(container, case_id, days)
        s.decide_extension(container, case_id, True)

    assert s.due_dates(s.current(container, case_id))["resolution"] == "2026-12-29"


def test_extension_rejected_keeps_the_main_due_date(container: Container) -> None:
    case_id = s.in_progress_case(container)
    s.request_extension(container, case_id, 5)

    case = s.decide_extension(container, case_id, False)

    assert case.due["resolution"] == clock_entry("2026-12-17")
    assert case.pending_extension is None
    assert s.last_event(container, case_id)["data"]["due"] == {}


@pytest.mark.parametrize(("days", "due", "provisional"), [(10, "2026-12-31", False), (11, "2027-01-04", True)])
def test_extension_into_the_next_year_is_provisional(
    container: Container, days: int, due: str, provisional: bool
) -> None:
    case_id = s.in_progress_case(container)
    s.request_extension(container, case_id, days)

    case = s.decide_extension(container, case_id, True)

    assert case.due["resolution"] == clock_entry(due, provisional)


def test_extension_tier1_moves_the_handling_clock(container: Container) -> None:
    case_id = s.in_progress_case(container, tier=Tier.HANDLING)  # handling due Thursday 2026-12-03
    s.request_extension(container, case_id, 2)

    assert s.due_dates(s.decide_extension(container, case_id, True))["handling"] == "2026-12-07"


# -- returns ---------------------------------------------------------------------------------------


def test_return_closes_the_sign_for_clock(container: Container) -> None:
    case = s.return_case(container, s.dispatched_case(container))

    assert "sign_for" not in case.due
    assert s.due_dates(case)["resolution"] == "2026-12-17"


def test_arbitrate_uphold_gives_fresh_sign_for_and_keeps_the_main_due_date(
    container: Container, clock: FixedClock
) -> None:
    case_id = s.returned_case(container)
    clock.advance(days=4)  # Monday 2026-11-30

    case = s.arbitrate(container, case_id, Arbitration.UPHOLD)

    assert s.due_dates(case) == {
        "sign_for": "2026-12-01",
        "resolution": "2026-12-17",
        "co_reply:finance": "2026-12-01",
        "co_reply:housing": "2026-12-01",
    }
    assert s.last_event(container, case_id)["data"]["due"] == {"sign_for": clock_entry("2026-12-01")}


def test_arbitrate_reassign_gives_fresh_sign_for_and_main_clocks(container: Container, clock: FixedClock) -> None:
    case_id = s.returned_case(container, co=["finance"])
    clock.advance(days=4)  # Monday 2026-11-30

    case = s.arbitrate(container, case_id, Arbitration.REASSIGN, "housing")

    assert case.due["sign_for"] == clock_entry("2026-12-01")
    assert case.due["resolution"] == clock_entry("2026-12-21")
    assert s.due_dates(s.sign_for(container, case_id, CO2))["first_contact"] == "2026-12-01"


def test_arbitrate_reassign_to_a_co_handler_drops_its_co_reply_clock(container: Container) -> None:
    case_id = s.returned_case(container)

    case = s.arbitrate(container, case_id, Arbitration.REASSIGN, "housing")

    assert (case.lead_department, case.co_departments) == ("housing", ["finance"])
    assert set(case.due) == {"sign_for", "resolution", "co_reply:finance"}


def test_arbitrate_reassign_tier1_uses_the_urgent_handling_limit(container: Container, clock: FixedClock) -> None:
    case_id = s.returned_case(container, tier=Tier.HANDLING, urgency="urgent")
    clock.advance(days=4)

    case = s.arbitrate(container, case_id, Arbitration.REASSIGN, "housing")

    assert s.due_dates(case) == {"sign_for": "2026-12-01", "handling": "2026-12-01"}


# -- resolution, reopen, escalation ----------------------------------------------------------------


def test_resolve_opens_the_revisit_window_and_closes_the_other_clocks(container: Container, clock: FixedClock) -> None:
    case_id = s.in_progress_case(container)
    s.co_replies(container, case_id)
    clock.advance(days=1)  # Friday 2026-11-27

    case = s.resolve(container, case_id)

    assert case.due == {"revisit": clock_entry("2026-12-04")}
    assert s.last_event(container, case_id)["data"]["on_time"] is True
    assert "revisit" not in s.evaluate(container, case_id).due


def test_resolve_after_the_due_date_is_not_on_time(container: Container, clock: FixedClock) -> None:
    case_id = s.in_progress_case(container, tier=Tier.HANDLING)  # handling due Thursday 2026-12-03
    clock.advance(days=8)  # Friday 2026-12-04

    s.resolve(container, case_id)

    assert s.last_event(container, case_id)["data"]["on_time"] is False


@pytest.mark.parametrize(
    ("moment", "on_time"),
    [(datetime(2026, 12, 3, 15, 59, tzinfo=UTC), True), (datetime(2026, 12, 3, 16, 0, tzinfo=UTC), False)],
)
def test_resolve_on_time_ends_with_the_local_due_day(
    container: Container, clock: FixedClock, moment: datetime, on_time: bool
) -> None:
    case_id = s.in_progress_case(container, tier=Tier.HANDLING)  # handling due Thursday 2026-12-03, local
    clock.at = moment

    s.resolve(container, case_id)

    assert s.last_event(container, case_id)["data"]["on_time"] is on_time


@pytest.mark.parametrize(
    ("moment", "closed"),
    [(datetime(2026, 12, 3, 15, 59, tzinfo=UTC), False), (datetime(2026, 12, 3, 16, 0, tzinfo=UTC), True)],
)
def test_close_unevaluated_once_the_local_revisit_day_has_ended(
    container: Container, clock: FixedClock, moment: datetime, closed: bool
) -> None:
    case_id = s.resolved_case(container)  # revisit window ends Thursday 2026-12-03, local
    clock.at = moment

    if closed:
        assert s.close(container, case_id, note="联系不上").status == "closed"
    else:
        s.refused(
            container,
            case_id,
            StateConflict,
            "closure_requires_evaluation",
            lambda: s.close(container, case_id, note="联系不上"),
        )


def test_reopen_gives_a_fresh_main_clock(container: Container, clock: FixedClock) -> None:
    case_id = s.evaluated_case(container, Satisfaction.DISSATISFIED)
    clock.advance(days=7)  # Thursday 2026-12-03

    case = s.reopen(container, case_id)

    assert case.due == {"resolution": clock_entry("2026-12-24")}
    assert s.last_event(container, case_id)["data"]["due"] == case.due


def test_escalate_supervise_opens_a_supervision_clock_of_5_working_days(container: Container) -> None:
    case_id = s.in_progress_case(container)

    case = container.cases.escalate(case_id, s.cmd(), level=Escalation.SUPERVISE, reason="逾期", due=None).case

    assert case.due["supervision"] == clock_entry("2026-12-03")
    assert case.escalation_level == "supervise"


def test_escalate_supervise_with_a_given_date(container: Container) -> None:
    case_id = s.in_progress_case(container)

    case = container.cases.escalate(
        case_id, s.cmd(), level=Escalation.SUPERVISE, reason="逾期", due=date(2026, 12, 10)
    ).case

    assert case.due["supervision"] == clock_entry("2026-12-10")
    escalated = next(e for e in s.history(container, case_id) if e["type"] == "CaseEscalated")  # its warning follows
    assert escalated["data"]["due"] == {"supervision": clock_entry("2026-12-10")}


@pytest.mark.parametrize("level", [Escalation.URGE, Escalation.LISTED])
def test_escalate_without_supervise_opens_no_clock(container: Container, level: Escalation) -> None:
    case_id = s.in_progress_case(container)
    before = dict(s.current(container, case_id).due)

    case = container.cases.escalate(case_id, s.cmd(), level=level, reason="督促", due=None).case

    assert case.due == before
    assert case.escalation_level == level.value


def test_co_replies_before_sign_for_close_their_clocks(container: Container) -> None:
    case_id = s.dispatched_case(container)
    s.co_reply(container, case_id, CO)
    s.co_reply(container, case_id, CO2)

    assert set(s.current(container, case_id).due) == {"sign_for", "resolution"}
