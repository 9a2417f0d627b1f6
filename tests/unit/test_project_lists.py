"""The four lists (四张清单): colours computed as of today from the facts, in the domain and through the views."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.project_views import ProjectFilter
from application.views import PageRequest
from domain.project import Milestone
from domain.project_lists import Facts, add_months, construction_list, standings, time_share
from infrastructure.clock import FixedClock
from infrastructure.container import Container
from tests.conftest import COORDINATOR, LEAD, REPORTER
from tests.unit.project_steps import TODAY, days, milestone, progress, register_project

STARTED, IN_STATISTICS, COMPLETED, IN_PRODUCTION = Milestone


def planned(start: int, completion: int, production: int | None = None) -> dict[str, date]:
    return {"start": days(start), "completion": days(completion), "production": days(production or completion + 90)}


def lists(container: Container, pid: UUID) -> dict[str, tuple[str, str]]:
    """The project's lists today, as its page shows them: {list: (colour, reason)}."""
    return {name: (s.colour, s.reason) for name, s in container.projects.get(pid, COORDINATOR).lists.items()}


def colours(container: Container, pid: UUID) -> dict[str, str]:
    return {name: colour for name, (colour, _) in lists(container, pid).items()}


def on_list(container: Container, name: str, **page: Any) -> list[dict[str, Any]]:
    for worker in container.workers():
        worker.catch_up()
    return container.project_views.on_list(REPORTER, name, PageRequest(**page)).items


def test_a_project_130_days_late_to_start_is_red_on_the_start_list(container: Container) -> None:
    pid = register_project(container, planned=planned(-130, 400))
    colour, reason = lists(container, pid)["start"]
    assert colour == "red"
    assert "2026-07-19" in reason and "未开工" in reason
    [item] = on_list(container, "start")
    assert (item["id"], item["list"], item["colour"], item["since"]) == (str(pid), "start", "red", "2026-10-19")


def test_a_project_started_90_days_ago_and_not_in_statistics_is_red_on_the_start_list(container: Container) -> None:
    pid = register_project(container, planned=planned(-100, 400))
    milestone(container, pid, STARTED, days(-90))
    assert lists(container, pid)["start"] == ("red", "2026-08-28开工已满2个月，仍未入库入统")
    assert [i["colour"] for i in on_list(container, "start")] == ["red"]


def test_a_project_10_percent_done_at_half_its_construction_period_is_red_on_the_construction_list(
    container: Container,
) -> None:
    pid = register_project(container, planned=planned(-200, 200))
    milestone(container, pid, STARTED, days(-200))
    progress(container, pid, 10.0)
    assert lists(container, pid)["construction"] == (
        "red",
        "序时进度50%，实际完成10%，落后40个百分点（超过30个百分点）",
    )
    [item] = on_list(container, "construction")
    assert (item["colour"], item["percent_complete"]) == ("red", 10.0)


def test_a_project_not_started_is_on_no_construction_list(container: Container) -> None:
    pid = register_project(container, planned=planned(-200, 200))
    assert "construction" not in colours(container, pid)
    assert on_list(container, "construction") == []


def test_the_start_list_turns_yellow_in_the_planned_month_and_red_three_months_on(
    container: Container, clock: FixedClock
) -> None:
    this_month = register_project(container, code="A", planned=planned(4, 400))  # 2026-11-30
    next_month = register_project(container, code="B", planned=planned(5, 400))  # 2026-12-01
    late = register_project(container, code="C", planned=planned(-80, 400))  # 2026-09-07
    assert [colours(container, p)["start"] for p in (this_month, next_month, late)] == ["yellow", "green", "yellow"]
    clock.advance(days=11)  # 2026-12-07: three months after 2026-09-07
    assert [colours(container, p)["start"] for p in (this_month, next_month, late)] == ["yellow", "yellow", "red"]


def test_below_500_wan_a_project_leaves_the_start_list_once_started(container: Container) -> None:
    small = register_project(container, code="S", planned_investment=300.0, planned=planned(-100, 400))
    large = register_project(container, code="L", planned_investment=500.0, planned=planned(-100, 400))
    for pid in (small, large):
        milestone(container, pid, STARTED, days(-40))
    assert "start" not in colours(container, small)
    assert colours(container, large)["start"] == "yellow"
    milestone(container, large, IN_STATISTICS, days(-1))
    assert "start" not in colours(container, large)


@pytest.mark.parametrize(("percent", "colour"), [(45.0, "green"), (40.0, "yellow"), (20.0, "yellow"), (19.0, "red")])
def test_construction_compares_percent_with_the_time_proportional_target(
    container: Container, percent: float, colour: str
) -> None:
    pid = register_project(container, planned=planned(-200, 200))
    milestone(container, pid, STARTED, days(-190))
    progress(container, pid, percent)
    assert colours(container, pid)["construction"] == colour


@pytest.mark.parametrize(
    ("completion", "percent", "colour"),
    [(100, 0.0, None), (60, 50.0, "green"), (20, 50.0, "yellow"), (20, 95.0, "green"), (-1, 99.0, "red")],
)
def test_the_completion_list(container: Container, completion: int, percent: float, colour: str | None) -> None:
    pid = register_project(container, planned=planned(-300, completion))
    milestone(container, pid, STARTED, days(-300))
    progress(container, pid, percent)
    assert colours(container, pid).get("completion") == colour


@pytest.mark.parametrize(("production", "colour"), [(40, "green"), (20, "yellow"), (-1, "red")])
def test_the_production_list(container: Container, production: int, colour: str) -> None:
    pid = register_project(container, planned_investment=100.0, planned=planned(-300, -30, production))
    milestone(container, pid, STARTED, days(-300))
    milestone(container, pid, COMPLETED, days(-20))
    assert colours(container, pid) == {"production": colour}
    milestone(container, pid, IN_PRODUCTION, TODAY)
    assert colours(container, pid) == {}


def test_the_project_list_filters_by_list_colour_zone_and_text_and_pages(container: Container) -> None:
    reds = [
        register_project(container, code=f"R{i}", name=f"红色项目{i}", planned=planned(-130, 400)) for i in range(3)
    ]
    register_project(container, code="G", name="绿色项目", zone="zone-2", planned=planned(60, 400))

    def ids(by: Any = COORDINATOR, limit: int = 50, **f: Any) -> list[str]:
        for worker in container.workers():
            worker.catch_up()
        found, cursor = [], None
        while True:
            page = container.project_views.list_projects(by, ProjectFilter(**f), PageRequest(limit, cursor))
            found += [i["id"] for i in page.items]
            if not (cursor := page.next_cursor):
                return found

    assert ids(list="start", colour="red", limit=2) == [str(p) for p in reversed(reds)]
    assert len(ids(zone="zone-2")) == 1
    assert len(ids(q="红色")) == 3
    assert len(ids(by=LEAD, colour="green")) == 1
    assert ids(list="construction") == []


def test_project_warnings_belong_to_the_coordinating_centre(container: Container) -> None:
    pid = register_project(container, planned=planned(-130, 400))
    register_project(container, code="G", planned=planned(60, 400))
    for worker in container.workers():
        worker.catch_up()
    items = container.view_service.warnings(COORDINATOR, PageRequest()).items
    assert [(i["id"], i["level"], i["kind"], i["department"]) for i in items] == [
        (str(pid), "red", "project:start", "service-center")
    ]
    assert container.view_service.warnings(LEAD, PageRequest()).items == []


# -- the rules themselves ------------------------------------------------------------------------


def test_add_months_keeps_the_day_or_takes_the_months_last() -> None:
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 12, 15), 2) == date(2027, 2, 15)


@pytest.mark.parametrize("percent", [0.0, 10.0, 33.3, 69.9, 75.0, 95.0])
def test_construction_thresholds_agree_with_the_points_behind_on_every_day(percent: float) -> None:
    start, end = date(2026, 1, 1), date(2026, 4, 11)
    facts = Facts(1000.0, start, end, end, started_on=start, percent_complete=percent)
    for n in range(-5, 110):
        today = start + timedelta(days=n)
        behind = time_share(start, end, today) - percent
        expected = "red" if behind > 30 else "yellow" if behind >= 10 else "green"
        found = construction_list(facts, today)
        assert found is not None and found.colour == expected, (today, behind)


def test_a_project_is_on_several_lists_at_once() -> None:
    facts = Facts(800.0, TODAY - timedelta(days=200), TODAY + timedelta(days=20), TODAY + timedelta(days=60))
    started = replace(facts, started_on=TODAY - timedelta(days=70), percent_complete=50.0)
    assert {n: s.colour for n, s in standings(started, TODAY).items()} == {
        "start": "red",
        "construction": "red",
        "completion": "yellow",
    }


def test_the_next_milestone_skips_statistics_below_the_threshold_and_is_none_when_all_are_reached() -> None:
    from domain.project import Milestone, next_milestone

    assert next_milestone(set(), 499.0) is Milestone.STARTED
    assert next_milestone({"started"}, 499.0) is Milestone.COMPLETED  # statistics not compulsory below 500万元
    assert next_milestone({"started"}, 500.0) is Milestone.IN_STATISTICS
    assert next_milestone({"started", "in_statistics", "completed"}, 800.0) is Milestone.IN_PRODUCTION
    assert next_milestone({"started", "completed", "in_production"}, 100.0) is None
