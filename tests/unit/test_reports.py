"""The department report (三率) against hand counts of a small scenario, and its recomputability."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from application.errors import MinPositionNotReached
from application.execution import CommandContext
from application.reports import COLUMNS, ReportService
from domain.errors import InvalidCommand, NotPermitted
from domain.values import Actor, Arbitration, Role, Satisfaction, Tier
from infrastructure.clock import FixedClock
from infrastructure.container import Container
from infrastructure.views.rebuild import rebuild
from infrastructure.views.report_reader import SqlReportReader
from tests.conftest import AUDITOR, CO, CO2, COORDINATOR, ENTERPRISE, LEAD, OUTSIDER, REPORTER, new_case
from tests.unit import case_steps as s

D = date
NOV26, NOV30, DEC3, DEC4, DEC10 = D(2026, 11, 26), D(2026, 11, 30), D(2026, 12, 3), D(2026, 12, 4), D(2026, 12, 10)


def service(container: Container) -> ReportService:
    return ReportService(SqlReportReader(container.views), container.directory, container.clock)


def report(container: Container, start: date, end: date, by: Actor = REPORTER, **kw: Any) -> dict[str, dict[str, Any]]:
    for worker in container.workers():
        worker.catch_up()
    return {r["department"]: r for r in service(container).department_report(by, start, end, **kw)}


def contact(container: Container, case_id: UUID, by: Actor) -> None:
    container.cases.contact(case_id, s.cmd(by), note="已电话联系企业")


def day_1(container: Container) -> dict[str, UUID]:
    """Thu 26 Nov: A (tier 2, econ-info + co finance) on time, resolved, dissatisfied; B returned and upheld;
    C returned by ecology and reassigned to housing, answered on time; D to finance; F withdrawn by the enterprise
    after dispatch; G to housing; E withdrawn before dispatch; H never dispatched."""
    ids = {k: s.register(container) for k in "ABCDEFGH"}
    s.dispatch(container, ids["A"], co=["finance"])
    for key, lead in (("B", "econ-info"), ("C", "ecology"), ("D", "finance"), ("F", "econ-info"), ("G", "housing")):
        s.dispatch(container, ids[key], tier=Tier.HANDLING, lead=lead)
    s.sign_for(container, ids["A"])
    contact(container, ids["A"], LEAD)
    s.co_reply(container, ids["A"], CO)
    s.resolve(container, ids["A"])
    s.evaluate(container, ids["A"], Satisfaction.DISSATISFIED, by=ENTERPRISE, solved=False)
    s.return_case(container, ids["B"])
    s.arbitrate(container, ids["B"], Arbitration.UPHOLD)
    s.return_case(container, ids["C"], by=OUTSIDER)
    s.arbitrate(container, ids["C"], Arbitration.REASSIGN, "housing")
    s.sign_for(container, ids["C"], CO2)
    contact(container, ids["C"], CO2)
    s.withdraw(container, ids["E"])
    s.withdraw(container, ids["F"], by=ENTERPRISE)
    return ids


def to_day_4(container: Container, clock: FixedClock, ids: dict[str, UUID]) -> None:
    """Fri 27 Nov: B and G signed for and contacted; A reopened. Mon 30 Nov: D signed for late (due 27 Nov),
    its due date extended from 3 to 8 Dec; B resolved (2 working days) and evaluated satisfied."""
    clock.advance(days=1)
    s.sign_for(container, ids["B"])
    contact(container, ids["B"], LEAD)
    s.sign_for(container, ids["G"], CO2)
    contact(container, ids["G"], CO2)
    s.reopen(container, ids["A"])
    clock.advance(days=3)
    s.sign_for(container, ids["D"], CO)
    contact(container, ids["D"], CO)
    s.request_extension(container, ids["D"], 3, by=CO)
    s.decide_extension(container, ids["D"], approved=True)
    s.resolve(container, ids["B"])
    s.evaluate(container, ids["B"], Satisfaction.SATISFIED)


def to_day_11(container: Container, clock: FixedClock, ids: dict[str, UUID]) -> None:
    """Tue 1 Dec: C resolved by housing (3 working days), basically satisfied, not solved. Mon 7 Dec: D resolved
    (7 working days, on time thanks to the extension), very dissatisfied. Tue 8 Dec: A's round 2 resolved
    (7 working days), very satisfied, solved, closed. G stays open past its due date, 3 Dec."""
    clock.advance(days=1)
    s.resolve(container, ids["C"], by=CO2)
    s.evaluate(container, ids["C"], Satisfaction.BASICALLY_SATISFIED, solved=False)
    clock.advance(days=6)
    s.resolve(container, ids["D"], by=CO)
    s.evaluate(container, ids["D"], Satisfaction.VERY_DISSATISFIED, solved=False)
    clock.advance(days=1)
    s.resolve(container, ids["A"])
    s.evaluate(container, ids["A"], Satisfaction.VERY_SATISFIED)
    s.close(container, ids["A"])
    clock.advance(days=2)


def whole_scenario(container: Container, clock: FixedClock) -> None:
    ids = day_1(container)
    to_day_4(container, clock, ids)
    to_day_11(container, clock, ids)


def figures(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c] for c in COLUMNS[3:16])


# dispatched, co_handled, response, resolution, satisfaction, composite, on_time, avg_wd, open, overdue, returns,
# redos, withdrawals — every figure counted by hand from the docstrings above.
HAND_COUNT_TO_DEC10 = {
    # A, B, F dispatched; only A answered on time (B's return upheld, F never signed for). Evaluations A1 (no,
    # dissatisfied), A2 (yes, very satisfied), B (yes, satisfied). Resolved A1 (0 wd), A2 (7), B (2), all on time.
    "econ-info": (3, 0, 0.3333, 0.6667, 0.6667, 0.5667, 1.0, 3.0, 1, 0, 1, 1, 1),
    # D signed late; co-handles A; D very dissatisfied, not solved; on time only by the extension.
    "finance": (1, 1, 0.0, 0.0, 0.0, 0.0, 1.0, 7.0, 1, 0, 0, 0, 0),
    # C (after reassignment) and G answered on time; C basically satisfied, not solved; G overdue (due 3 Dec).
    "housing": (2, 0, 1.0, 0.0, 1.0, 0.65, 1.0, 3.0, 2, 1, 0, 0, 0),
    # C was reassigned away: not in ecology's denominator; its return still counts.
    "ecology": (0, 0, None, None, None, None, None, None, 0, 0, 1, 0, 0),
    # E withdrawn before dispatch; H registered and still awaiting dispatch.
    "undispatched": (0, 0, None, None, None, None, None, None, 1, 0, 0, 0, 1),
}
HAND_COUNT_TO_NOV30 = {
    # Evaluations A1 (no, dissatisfied) and B (yes, satisfied); resolved A1 (0 wd) and B (2 wd); open A and B.
    "econ-info": (3, 0, 0.3333, 0.5, 0.5, 0.45, 1.0, 1.0, 2, 0, 1, 1, 1),
    # D extended on 30 Nov to 8 Dec: open, not overdue.
    "finance": (1, 1, 0.0, None, None, None, None, None, 1, 0, 0, 0, 0),
    "housing": (2, 0, 1.0, None, None, None, None, None, 2, 0, 0, 0, 0),
    "ecology": (0, 0, None, None, None, None, None, None, 0, 0, 1, 0, 0),
    "undispatched": (0, 0, None, None, None, None, None, None, 1, 0, 0, 0, 1),
}
QUIET = (0, 0, None, None, None, None, None, None, 0, 0, 0, 0, 0)


def check(found: dict[str, dict[str, Any]], expected: dict[str, tuple[Any, ...]]) -> None:
    for department, row in found.items():
        assert figures(row) == expected.get(department, QUIET), department
        assert row["policy_version"] == "2026.2"


def test_every_figure_matches_the_hand_count(container: Container, clock: FixedClock) -> None:
    whole_scenario(container, clock)
    found = report(container, NOV26, DEC10)
    assert list(found) == [d.code for d in container.directory] + ["undispatched"]
    check(found, HAND_COUNT_TO_DEC10)
    assert found["econ-info"]["name"] == "区经济和信息化局"
    assert found["undispatched"]["zone"] is None


def test_a_past_period_is_unchanged_by_later_events(container: Container, clock: FixedClock) -> None:
    ids = day_1(container)
    to_day_4(container, clock, ids)
    before = report(container, NOV26, NOV30)
    check(before, HAND_COUNT_TO_NOV30)
    to_day_11(container, clock, ids)
    assert report(container, NOV26, NOV30) == before


def test_the_report_is_recomputed_from_events_by_a_rebuilt_projection(container: Container, clock: FixedClock) -> None:
    whole_scenario(container, clock)
    expected = report(container, NOV26, DEC10)
    projection = next(p for p in container.projections if p.name == "reports")
    generation = rebuild(container, projection, lambda done, total: None)
    assert container.views.active_generation("reports") == generation > 1
    assert report(container, NOV26, DEC10) == expected


def test_overdue_counts_from_the_day_after_the_due_date(container: Container, clock: FixedClock) -> None:
    whole_scenario(container, clock)
    assert report(container, NOV26, DEC3)["housing"]["overdue"] == 0
    assert report(container, NOV26, DEC4)["housing"]["overdue"] == 1


def test_a_period_after_the_events_has_only_open_cases(container: Container, clock: FixedClock) -> None:
    whole_scenario(container, clock)
    found = report(container, D(2027, 1, 1), D(2027, 1, 31))
    assert {d: (r["open"], r["overdue"]) for d, r in found.items() if r["open"]} == {
        "econ-info": (1, 0),
        "finance": (1, 0),
        "housing": (2, 1),
        "undispatched": (1, 0),
    }
    assert all(r["dispatched"] == 0 and r["response_rate"] is None for r in found.values())


def test_zone_keeps_the_departments_of_that_zone(container: Container, clock: FixedClock) -> None:
    hi_tech = Actor("handler-hitech", Role.HANDLER, "hi-tech-zone")
    case_id = s.register(container)
    s.dispatch(container, case_id, tier=Tier.HANDLING, lead="hi-tech-zone")
    s.sign_for(container, case_id, hi_tech)
    found = report(container, NOV26, NOV26, zone="zone-1")
    assert list(found) == ["hi-tech-zone"]
    # Signed for today, first contact due tomorrow: a running clock, left out of the response rate.
    assert (found["hi-tech-zone"]["dispatched"], found["hi-tech-zone"]["response_rate"]) == (1, None)
    with pytest.raises(InvalidCommand) as e:
        report(container, NOV26, NOV26, zone="zone-9")
    assert e.value.rule == "unknown_zone"


def test_the_period_defaults_to_this_month_to_date_and_must_not_run_backwards(container: Container) -> None:
    assert service(container).period(None, None) == (D(2026, 11, 1), NOV26)
    assert service(container).period(None, D(2026, 10, 15)) == (D(2026, 10, 1), D(2026, 10, 15))
    with pytest.raises(InvalidCommand) as e:
        service(container).department_report(REPORTER, DEC10, NOV26)
    assert e.value.rule == "invalid_period"


@pytest.mark.parametrize("by", [COORDINATOR, REPORTER, AUDITOR])
def test_coordinators_reporters_and_auditors_read_reports(container: Container, by: Actor) -> None:
    assert len(report(container, NOV26, NOV26, by=by)) == len(container.directory) + 1


@pytest.mark.parametrize("by", [LEAD, ENTERPRISE])
def test_handlers_and_enterprises_may_not(container: Container, by: Actor) -> None:
    with pytest.raises(NotPermitted):
        report(container, NOV26, NOV26, by=by)


def test_min_position_waits_for_the_reports_projection(container: Container) -> None:
    result = container.cases.register(CommandContext(COORDINATOR), new_case())
    for worker in container.workers():
        worker.catch_up()
    rows = service(container).department_report(REPORTER, NOV26, NOV26, min_position=result.position)
    assert next(r for r in rows if r["department"] == "undispatched")["open"] == 1


def test_min_position_not_reached_is_refused(container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("application.views.MIN_POSITION_WAIT", 0.05)
    position = container.cases.register(CommandContext(COORDINATOR), new_case()).position
    with pytest.raises(MinPositionNotReached) as e:
        service(container).department_report(REPORTER, NOV26, NOV26, min_position=position)
    assert e.value.rule == "min_position_not_reached"


def test_the_same_figures_on_sqlite_and_postgresql(durable_container: Container, clock: FixedClock) -> None:
    whole_scenario(durable_container, clock)
    check(report(durable_container, NOV26, DEC10), HAND_COUNT_TO_DEC10)


# -- running clocks and periods that reach past today (settled after the audit, 2026-11-29) ----------------


def response_scenario(container: Container, clock: FixedClock) -> None:
    """Tier 1 cases led by econ-info. Thu 26 Nov: P signed for and contacted (met); Q never signed for (sign-for
    due Fri 27 Nov); R signed for, never contacted (first contact due Fri 27 Nov); U returned and the return upheld
    (missed). Mon 30 Nov: S dispatched (sign-for due Tue 1 Dec). Every handling clock is due Thu 3 Dec."""
    ids = {k: s.register(container) for k in "PQRU"}
    for case_id in ids.values():
        s.dispatch(container, case_id, tier=Tier.HANDLING)
    s.sign_for(container, ids["P"])
    contact(container, ids["P"], LEAD)
    s.sign_for(container, ids["R"])
    s.return_case(container, ids["U"])
    s.arbitrate(container, ids["U"], Arbitration.UPHOLD)
    clock.advance(days=4)
    s.dispatch(container, s.register(container), tier=Tier.HANDLING)


def response(row: dict[str, Any]) -> tuple[Any, ...]:
    return row["dispatched"], row["response_rate"], row["open"], row["overdue"]


def test_department_report_leaves_running_response_clocks_out_of_the_rate(
    container: Container, clock: FixedClock
) -> None:
    response_scenario(container, clock)

    # As of Mon 30 Nov: P met; Q, R (their due dates, 27 Nov, passed) and U missed; S's sign-for runs: 1 / (1 + 3).
    assert response(report(container, NOV26, NOV30)["econ-info"]) == (5, 0.25, 5, 0)
    # As of Fri 27 Nov (a past period): the due day itself has not ended, so Q and R still ran; only U missed.
    assert response(report(container, NOV26, D(2026, 11, 27))["econ-info"]) == (4, 0.5, 4, 0)


def test_department_report_with_a_period_ending_after_today_reads_today(
    container: Container, clock: FixedClock
) -> None:
    response_scenario(container, clock)  # today is Mon 30 Nov

    found = report(container, NOV26, D(2026, 12, 31))["econ-info"]

    # Not as of 31 Dec: the handling clocks (due 3 Dec) are not overdue yet, and S's sign-for still runs.
    assert response(found) == (5, 0.25, 5, 0)
    assert report(container, NOV26, D(2026, 12, 31)) == report(container, NOV26, NOV30)


def test_zone_report_with_a_period_ending_after_today_reads_today(container: Container, clock: FixedClock) -> None:
    hi_tech = Actor("handler-hitech", Role.HANDLER, "hi-tech-zone")
    case_id = s.register(container)
    s.dispatch(container, case_id, tier=Tier.HANDLING, lead="hi-tech-zone")  # handling due Thu 3 Dec
    s.sign_for(container, case_id, hi_tech)
    for worker in container.workers():
        worker.catch_up()

    zone = container.zone_reports.zone_report(REPORTER, NOV26, D(2026, 12, 31))[0]

    assert (zone["zone"], zone["dispatched"], zone["open"], zone["overdue"], zone["response_rate"]) == (
        "zone-1",
        1,
        1,
        0,
        None,
    )
