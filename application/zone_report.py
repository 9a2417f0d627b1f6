"""The zone report (四大战区): case figures rolled up from the departments of each zone, and its projects."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from application.access import require_role
from application.ports import Clock
from application.project_views import ProjectFilter, ProjectReader, facts_of
from application.reports import COLUMNS, POLICY_VERSION, Counts, ReportReader, ReportService, ratio, report_row, rounded
from application.views import PositionWaiter, Wait
from domain.directory import ZONES, Department, Directory
from domain.project_lists import COLOURS, LISTS, standings
from domain.schedule import local_date
from domain.values import Actor

SCAN = 1_000_000  # every project: a district has hundreds, not millions
CASE_COLUMNS = tuple(c for c in COLUMNS if c not in ("department", "name", "zone", "policy_version"))
LIST_COLUMNS = tuple(f"{name}_{colour}" for name in LISTS for colour in COLOURS)
ZONE_COLUMNS = (
    "zone",
    *CASE_COLUMNS,
    "projects",
    *LIST_COLUMNS,
    "start_rate",
    "statistics_rate",
    "investment_rate",
    "planned_investment",
    "investment_to_date",
    "as_of",
    "policy_version",
)


@dataclass
class ZoneProjects:
    """What a zone's project columns are computed from."""

    counts: Counter[str] = field(default_factory=Counter)
    planned: float = 0.0
    invested: float = 0.0


class ZoneReportService:
    def __init__(
        self, cases: ReportReader, projects: ProjectReader, directory: Directory, clock: Clock, wait: Wait | None = None
    ) -> None:
        self.cases = cases
        self.projects = projects
        self.directory = directory
        self.clock = clock
        self.wait: Wait = wait or PositionWaiter(cases.position)

    def period(self, date_from: date | None, date_to: date | None) -> tuple[date, date]:
        return ReportService(self.cases, self.directory, self.clock).period(date_from, date_to)

    def zone_report(
        self, by: Actor, date_from: date | None = None, date_to: date | None = None, min_position: int | None = None
    ) -> list[dict[str, Any]]:
        """Per zone (zone-1 … zone-4), for a period of Asia/Shanghai dates (default: this month to date): the case
        figures of the department report summed over the zone's departments, rates recomputed from the sums; and its
        projects as of the period's end (or today, if earlier): how many, how many per list and colour
        (`start_green` … `production_red`), `start_rate` = started ÷ projects whose planned start is due,
        `statistics_rate` = in statistics ÷ started among projects of 500万元 or more, `investment_rate` = investment
        to date (latest progress report) ÷ planned investment. Rates are fractions 0–1, null when nothing was
        counted. Coordinators, reporters and auditors."""
        require_role(by, "reports")
        start, end = self.period(date_from, date_to)
        for projection in ("reports", "projects"):
            self.wait(projection, min_position)
        as_of = min(end, local_date(self.clock.now()))
        counts = self.cases.department_counts(start, end, as_of)
        projects = self.project_figures(as_of)
        return [
            {
                "zone": z,
                **self.case_figures(z, counts),
                **project_row(projects.get(z, ZoneProjects())),
                "as_of": str(as_of),
            }
            | {"policy_version": POLICY_VERSION}
            for z in ZONES
        ]

    def case_figures(self, zone: str, counts: dict[str, Counts]) -> dict[str, Any]:
        summed: Counter[str] = Counter()
        for d in self.directory:
            if d.zone == zone:
                summed.update(counts.get(d.code, {}))
        row = report_row(Department(zone, zone, zone), dict(summed))
        return {k: row[k] for k in CASE_COLUMNS}

    def project_figures(self, day: date) -> dict[str, ZoneProjects]:
        """Per zone, the counts the project columns are computed from, as the facts stood at the end of `day`."""
        progress = self.projects.progress_until(day)
        found: dict[str, ZoneProjects] = {}
        for row in self.projects.projects(ProjectFilter(), None, SCAN):
            if row["signed_on"] > day.isoformat():
                continue
            report = progress.get(row["stream_id"], {})
            facts = facts_of(row).as_of(day, report.get("percent_complete"))
            zone = found.setdefault(row["zone"], ZoneProjects())
            c = zone.counts
            c["projects"] += 1
            c.update(f"{s.list}_{s.colour}" for s in standings(facts, day).values())
            if facts.planned_start <= day:
                c["start_due"] += 1
                c["started_of_due"] += facts.started_on is not None
            if facts.needs_statistics and facts.started_on is not None:
                c["started_large"] += 1
                c["in_statistics"] += facts.in_statistics_on is not None
            zone.planned += float(row["planned_investment"])
            zone.invested += float(report.get("investment_to_date") or 0.0)
        return found


def project_row(zone: ZoneProjects) -> dict[str, Any]:
    c, planned, invested = zone.counts, zone.planned, zone.invested
    return {
        "projects": c["projects"],
        **{column: c[column] for column in LIST_COLUMNS},
        "start_rate": rounded(ratio(c["started_of_due"], c["start_due"])),
        "statistics_rate": rounded(ratio(c["in_statistics"], c["started_large"])),
        "investment_rate": rounded(invested / planned if planned else None),
        "planned_investment": round(planned, 2),
        "investment_to_date": round(invested, 2),
    }
