"""The tracking job: graded warnings on working-day clocks, once per threshold, across holidays and year ends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from application.execution import CommandContext
from domain.values import Escalation, Satisfaction, Tier
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from tests.conftest import CO
from tests.unit import case_steps as s
from tests.unit.tracking_steps import (
    events,
    local,
    raised,
    track,
    track_afresh,
    view_kinds,
    warnings,
)


@pytest.fixture
def september_clock() -> FixedClock:
    return FixedClock(local(2026, 9, 29).astimezone(UTC))  # Tuesday before National Day


@pytest.fixture
def september_app(september_clock: FixedClock) -> Iterator[Container]:
    container = build(Settings(database_url="memory://"), clock=september_clock)
    yield container
    container.close()


# -- done when -------------------------------------------------------------------------------------


def test_track_a_case_dispatched_today_turns_red_for_sign_for_12_days_later(container: Container) -> None:
    case = s.dispatch(container, s.register(container), tier=Tier.HANDLING)  # Thursday 2026-11-26
    assert all(date.fromisoformat(c["due"]) > date(2026, 11, 26) for c in case.due.values())
    now = local(2026, 12, 8)

    summary = track_afresh(container, now)

    assert raised(summary) == {("sign_for", "red"), ("handling", "red")}
    warning = s.current(container, case.id).warnings["sign_for"]
    assert warning == {
        "level": "red",
        "kind": "sign_for",
        "since": now.astimezone(UTC).isoformat(),
        "due": "2026-11-27",
        "department": "econ-info",
    }
    assert view_kinds(container, case.id) == {
        "sign_for": ("red", "econ-info"),
        "handling": ("red", "econ-info"),
    }


def test_track_records_warnings_as_the_tracking_system_at_the_runs_time(container: Container) -> None:
    case_id = s.dispatched_case(container, tier=Tier.HANDLING)
    now = local(2026, 12, 8)

    track_afresh(container, now)

    recorded = events(container, case_id, "CaseWarningRaised")
    assert {e["actor"]["id"] for e in recorded} == {"system:tracking"}
    assert {e["actor"]["role"] for e in recorded} == {"system"}
    assert {e["at"] for e in recorded} == {now}


def test_track_again_records_nothing_new(container: Container) -> None:
    case_id = s.dispatched_case(container, tier=Tier.HANDLING)
    track_afresh(container, local(2026, 12, 8))
    head, version = s.head_position(container), s.version(container, case_id)

    again = [
        track_afresh(container, local(2026, 12, 8)),
        track(container, local(2026, 12, 8)),
        track(container, local(2026, 12, 20)),
    ]

    assert [a.raised for a in again] == [[], [], []]
    assert (s.head_position(container), s.version(container, case_id)) == (head, version)


def test_track_at_an_earlier_or_later_time_never_clears_a_warning(container: Container) -> None:
    case_id = s.dispatched_case(container, tier=Tier.HANDLING)
    track_afresh(container, local(2026, 12, 8))

    for moment in (local(2026, 11, 26, 10), local(2026, 11, 27), local(2027, 3, 1)):
        assert track_afresh(container, moment).raised == []

    assert warnings(container, case_id) == {"sign_for": "red", "handling": "red"}
    assert events(container, case_id, "CaseWarningCleared") == []


def test_sign_for_clears_the_sign_for_warning_only(container: Container, clock: FixedClock) -> None:
    case_id = s.dispatched_case(container, tier=Tier.HANDLING)
    track_afresh(container, local(2026, 12, 8))
    clock.at = local(2026, 12, 8, 10).astimezone(UTC)

    case = s.sign_for(container, case_id)

    assert warnings(container, case_id) == {"handling": "red"}
    assert s.types(container, case_id)[-2:] == ["CaseSignedFor", "CaseWarningCleared"]
    cleared = s.last_event(container, case_id)
    assert cleared["data"] == {"kind": "sign_for", "level": "red", "cause": "CaseSignedFor"}
    assert cleared["actor"]["id"] == "handler-econ"
    assert view_kinds(container, case.id) == {"handling": ("red", "econ-info")}


# -- thresholds ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "level"),
    [
        (datetime(2026, 11, 26, 15, 59, tzinfo=UTC), None),  # Thursday 23:59 local: due Friday
        (datetime(2026, 11, 26, 16, 0, tzinfo=UTC), "yellow"),  # Friday 00:00 local: its last working day
        (datetime(2026, 11, 27, 15, 59, tzinfo=UTC), "yellow"),  # Friday 23:59 local
        (datetime(2026, 11, 27, 16, 0, tzinfo=UTC), "red"),  # Saturday 00:00 local: the deadline has passed
    ],
)
def test_track_sign_for_is_yellow_on_its_last_working_day_and_red_after(
    container: Container, moment: datetime, level: str | None
) -> None:
    case_id = s.dispatched_case(container)

    track_afresh(container, moment)

    assert warnings(container, case_id).get("sign_for") == level


def test_track_red_replaces_yellow_of_the_same_clock(container: Container) -> None:
    case_id = s.dispatched_case(container)
    track_afresh(container, local(2026, 11, 27))

    summary = track_afresh(container, local(2026, 11, 28))

    assert ("sign_for", "red") in raised(summary)
    assert warnings(container, case_id)["sign_for"] == "red"
    levels = [
        e["data"]["level"] for e in events(container, case_id, "CaseWarningRaised") if e["data"]["kind"] == "sign_for"
    ]
    assert levels == ["yellow", "red"]


@pytest.mark.parametrize(
    ("day", "level"),
    [
        (date(2026, 12, 14), None),  # 11 of 15 working days have passed
        (date(2026, 12, 15), "yellow"),  # 12 of 15: 80%
        (date(2026, 12, 17), "yellow"),  # the due date
        (date(2026, 12, 18), "red"),
    ],
)
def test_track_resolution_is_yellow_once_80_percent_of_its_limit_passed(
    container: Container, day: date, level: str | None
) -> None:
    case_id = s.in_progress_case(container)  # resolution due Thursday 2026-12-17, 15 working days

    track_afresh(container, local(day.year, day.month, day.day))

    assert warnings(container, case_id).get("resolution") == level


def test_track_short_clocks_have_no_80_percent_rule(container: Container) -> None:
    case_id = s.dispatched_case(container, co=["finance"])  # co-reply due Tuesday 2026-12-01, 3 working days

    track_afresh(container, local(2026, 11, 30))  # 2 of 3 passed

    assert "co_reply:finance" not in warnings(container, case_id)


def test_track_stalls_an_in_progress_case_without_a_lead_note_for_3_working_days(container: Container) -> None:
    case_id = s.in_progress_case(container)  # signed for Thursday 2026-11-26

    assert "stalled" not in raised(
        track_afresh(container, local(2026, 12, 1))
    )  # Fri, Mon, Tue: a note was due by today
    summary = track_afresh(container, local(2026, 12, 2))

    assert ("stalled", "yellow") in raised(summary)
    assert s.current(container, case_id).warnings["stalled"]["due"] == "2026-12-01"


def test_track_revisit_is_yellow_when_the_window_ended_unevaluated(container: Container) -> None:
    case_id = s.resolved_case(container)  # revisit window ends Thursday 2026-12-03

    assert track_afresh(container, local(2026, 12, 3)).raised == []
    summary = track_afresh(container, local(2026, 12, 4))

    assert raised(summary) == {("revisit", "yellow")}
    assert view_kinds(container, case_id) == {"revisit": ("yellow", "service-center")}


def test_track_two_dissatisfied_rounds_raise_a_red_warning(container: Container) -> None:
    case_id = s.evaluated_case(container, Satisfaction.DISSATISFIED)
    assert track_afresh(container, local(2026, 11, 26, 12)).raised == []
    s.reopen(container, case_id)
    s.resolve(container, case_id)
    s.evaluate(container, case_id, Satisfaction.VERY_DISSATISFIED)

    summary = track_afresh(container, local(2026, 11, 26, 12))

    assert raised(summary) == {("dissatisfied", "red")}
    s.reopen(container, case_id)
    assert warnings(container, case_id)["dissatisfied"] == "red"  # the count never goes down


def test_track_supervision_order_turns_yellow_then_red(container: Container) -> None:
    case_id = s.in_progress_case(container)
    container.cases.escalate(case_id, s.cmd(), level=Escalation.SUPERVISE, reason="逾期未办", due=None)  # due 12-03

    assert ("supervision", "yellow") in raised(track_afresh(container, local(2026, 12, 3)))
    assert ("supervision", "red") in raised(track_afresh(container, local(2026, 12, 4)))
    assert warnings(container, case_id)["supervision"] == "red"


def test_track_supervision_due_on_a_sunday_is_yellow_from_the_friday_before(
    container: Container, clock: FixedClock
) -> None:
    case_id = s.in_progress_case(container)
    clock.at = local(2026, 12, 8).astimezone(UTC)  # Tuesday: 3 working days to go, too few for the 80% rule
    container.cases.escalate(case_id, s.cmd(), level=Escalation.SUPERVISE, reason="督办", due=date(2026, 12, 13))

    assert "supervision" not in raised(track_afresh(container, local(2026, 12, 10)))
    assert ("supervision", "yellow") in raised(track_afresh(container, local(2026, 12, 11)))
    assert ("supervision", "red") in raised(track_afresh(container, local(2026, 12, 14)))


def test_track_long_supervision_order_is_yellow_once_80_percent_passed(container: Container) -> None:
    case_id = s.in_progress_case(container)
    container.cases.escalate(case_id, s.cmd(), level=Escalation.SUPERVISE, reason="督办", due=date(2026, 12, 13))

    assert "supervision" not in raised(track_afresh(container, local(2026, 12, 9)))  # 8 of 11 working days passed
    assert ("supervision", "yellow") in raised(track_afresh(container, local(2026, 12, 10)))  # 9 of 11


def test_track_skips_a_case_whose_latest_event_is_later_than_the_run(container: Container, clock: FixedClock) -> None:
    case_id = s.dispatched_case(container, tier=Tier.HANDLING)
    clock.at = local(2026, 12, 8).astimezone(UTC)
    s.sign_for(container, case_id)

    assert track_afresh(container, local(2026, 12, 5)).raised == []  # handling was overdue then, but history is ordered
    assert ("handling", "red") in raised(track_afresh(container, local(2026, 12, 8, 12)))


def test_track_evaluates_only_changed_cases_until_the_day_changes(container: Container) -> None:
    s.dispatched_case(container)
    busy = s.dispatched_case(container)
    assert track(container, local(2026, 11, 27)).evaluated == 2
    s.co_reply(container, busy, CO)

    again = track(container, local(2026, 11, 27, 10))

    assert (again.candidates, again.evaluated) == (2, 1)
    assert track(container, local(2026, 11, 28)).evaluated == 2


def test_track_retries_a_case_written_meanwhile(container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    case_id = s.dispatched_case(container, tier=Tier.HANDLING)
    executor = container.tracking.executor
    save, calls = executor.save, []

    def racing_save(case: Any, others: Any, cmd: CommandContext, **kwargs: Any) -> Any:
        calls.append(cmd.by.id)
        if calls == ["system:tracking"]:  # a coordinator writes between the job's load and its save
            container.cases.escalate(case_id, s.cmd(), level=Escalation.URGE, reason="催办", due=None)
        return save(case, others, cmd, **kwargs)

    monkeypatch.setattr(executor, "save", racing_save)
    summary = track_afresh(container, local(2026, 12, 8))

    assert calls == ["system:tracking", "coordinator-1", "system:tracking"]
    assert raised(summary) == {("sign_for", "red"), ("handling", "red")}
    # The escalation's own warning follows it (settled after the audit), then the job's two.
    assert s.types(container, case_id)[-4:] == [
        "CaseEscalated",
        "CaseWarningRaised",
        "CaseWarningRaised",
        "CaseWarningRaised",
    ]


# -- the calendar: National Day 2026 and the 2026 -> 2027 year end ------------------------------------


@pytest.mark.parametrize(
    ("day", "level"),
    [
        (date(2026, 10, 5), None),  # the holiday: 1 of 5 working days has passed
        (date(2026, 10, 10), None),  # the make-up Saturday: 3 have passed (09-30, 10-08, 10-09)
        (date(2026, 10, 11), "yellow"),  # Sunday: 4 of 5, the make-up Saturday counted
        (date(2026, 10, 12), "yellow"),  # the due date
        (date(2026, 10, 13), "red"),
    ],
)
def test_track_across_national_day_skips_the_holiday_and_counts_the_makeup_saturday(
    september_app: Container, day: date, level: str | None
) -> None:
    case = s.dispatch(september_app, s.register(september_app), tier=Tier.HANDLING)  # Tuesday 2026-09-29
    assert s.due_dates(case) == {"sign_for": "2026-09-30", "handling": "2026-10-12"}

    track_afresh(september_app, local(day.year, day.month, day.day))

    assert warnings(september_app, case.id).get("handling") == level
    assert warnings(september_app, case.id)["sign_for"] == "red"  # due 09-30: overdue through the holiday


@pytest.mark.parametrize(("day", "level"), [(date(2026, 10, 8), None), (date(2026, 10, 9), "yellow")])
def test_track_co_reply_after_national_day(september_app: Container, day: date, level: str | None) -> None:
    case_id = s.dispatched_case(september_app, co=["finance"])  # co-reply due Friday 2026-10-09

    track_afresh(september_app, local(day.year, day.month, day.day))

    assert warnings(september_app, case_id).get("co_reply:finance") == level


@pytest.mark.parametrize(
    ("day", "level"),
    [
        (date(2027, 1, 14), None),
        (date(2027, 1, 15), "yellow"),
        (date(2027, 1, 19), "yellow"),
        (date(2027, 1, 20), "red"),
    ],
)
def test_track_across_the_year_end_uses_the_provisional_calendar(
    container: Container, clock: FixedClock, day: date, level: str | None
) -> None:
    case_id = s.register(container)
    clock.at = local(2026, 12, 28).astimezone(UTC)  # Monday
    case = s.dispatch(container, case_id, co=["finance"])
    assert case.due["resolution"] == {"due": "2027-01-19", "provisional": True, "policy_version": "2026.1"}

    track_afresh(container, local(day.year, day.month, day.day))  # 15 working days, 2027-01-01 off: 80% after 01-14

    assert warnings(container, case_id).get("resolution") == level


@pytest.mark.parametrize(("due", "provisional"), [(date(2026, 12, 31), False), (date(2027, 1, 8), True)])
def test_escalate_supervise_with_a_date_beyond_official_data_is_provisional(
    container: Container, clock: FixedClock, due: date, provisional: bool
) -> None:
    case_id = s.in_progress_case(container)
    clock.at = local(2026, 12, 28).astimezone(UTC)

    case = container.cases.escalate(case_id, s.cmd(), level=Escalation.SUPERVISE, reason="督办", due=due).case

    assert case.due["supervision"] == {"due": due.isoformat(), "provisional": provisional, "policy_version": "2026.1"}
