"""The zone report against hand counts: case figures rolled up per zone, projects per list, colour and rate."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.errors import NotPermitted
from domain.project import Milestone
from domain.values import Tier
from infrastructure.container import Container
from tests.conftest import AUDITOR, ENTERPRISE, LEAD, REPORTER
from tests.unit import case_steps as s
from tests.unit.project_steps import days, milestone, progress, register_project

NOV1, NOV20, NOV30 = date(2026, 11, 1), date(2026, 11, 20), date(2026, 11, 30)


def scenario(container: Container) -> None:
    """zone-1: A 130 days late to start; B started, in statistics, 20% done, 300 of 1000万元 invested; C due next
    month, signed on 23 Nov. zone-2: D (600万元) started 40 days ago, not in statistics. One case led by the
    hi-tech zone (zone-1)."""
    plan = {"completion": days(300), "production": days(400)}
    register_project(container, code="A", planned_investment=1000.0, planned={"start": days(-130), **plan})
    b = register_project(container, code="B", planned_investment=1000.0, planned={"start": days(-100), **plan})
    milestone(container, b, Milestone.STARTED, days(-90))
    milestone(container, b, Milestone.IN_STATISTICS, days(-60))
    progress(container, b, 20.0, 300.0)
    register_project(
        container, code="C", planned_investment=200.0, planned={"start": days(30), **plan}, signed_on=days(-3)
    )
    d = register_project(
        container, code="D", zone="zone-2", planned_investment=600.0, planned={"start": days(-50), **plan}
    )
    milestone(container, d, Milestone.STARTED, days(-40))
    s.dispatch(container, s.register(container), tier=Tier.HANDLING, lead="hi-tech-zone", co=[])
    for worker in container.workers():
        worker.catch_up()


def report(container: Container, start: date, end: date) -> dict[str, dict[str, Any]]:
    return {row["zone"]: row for row in container.zone_reports.zone_report(REPORTER, start, end)}


def nonzero(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: row[k] for k in names if row[k]}


LISTS = tuple(
    f"{n}_{c}" for n in ("start", "construction", "completion", "production") for c in ("green", "yellow", "red")
)


def test_zone_report_counts_projects_per_list_and_colour_with_their_rates(container: Container) -> None:
    scenario(container)
    rows = report(container, NOV1, NOV30)
    assert list(rows) == ["zone-1", "zone-2", "zone-3", "zone-4"]
    one, two = rows["zone-1"], rows["zone-2"]
    assert (one["projects"], one["as_of"]) == (3, "2026-11-26")
    assert nonzero(one, *LISTS) == {"start_green": 1, "start_red": 1, "construction_green": 1}
    assert (one["start_rate"], one["statistics_rate"], one["investment_rate"]) == (0.5, 1.0, 0.1364)
    assert (one["planned_investment"], one["investment_to_date"]) == (2200.0, 300.0)
    assert nonzero(two, *LISTS) == {"start_yellow": 1, "construction_yellow": 1}
    assert (two["start_rate"], two["statistics_rate"], two["investment_rate"]) == (1.0, 0.0, 0.0)
    assert (rows["zone-3"]["projects"], rows["zone-3"]["start_rate"], rows["zone-3"]["investment_rate"]) == (
        0,
        None,
        None,
    )


def test_zone_report_rolls_up_the_case_figures_of_the_zones_departments(container: Container) -> None:
    scenario(container)
    rows = report(container, NOV1, NOV30)
    # The case was dispatched today: its sign-for clock still runs, so it is left out of the response rate.
    assert (rows["zone-1"]["dispatched"], rows["zone-1"]["open"], rows["zone-1"]["response_rate"]) == (1, 1, None)
    assert (rows["zone-2"]["dispatched"], rows["zone-2"]["response_rate"]) == (0, None)
    assert rows["zone-1"]["policy_version"] == "2026.2"


def test_zone_report_counts_projects_as_the_facts_stood_at_the_period_end(container: Container) -> None:
    scenario(container)
    one = report(container, NOV1, NOV20)["zone-1"]
    # C was signed after 20 Nov; B's progress report came on 26 Nov, so on 20 Nov it had none: 23 points behind.
    assert (one["projects"], one["as_of"]) == (2, "2026-11-20")
    assert nonzero(one, *LISTS) == {"start_red": 1, "construction_yellow": 1}
    assert (one["investment_to_date"], one["investment_rate"]) == (0.0, 0.0)


@pytest.mark.parametrize("who", [LEAD, ENTERPRISE])
def test_zone_report_is_for_coordinators_reporters_and_auditors(container: Container, who: Any) -> None:
    with pytest.raises(NotPermitted):
        container.zone_reports.zone_report(who, NOV1, NOV30)
    assert len(container.zone_reports.zone_report(AUDITOR, NOV1, NOV30)) == 4
