"""The reports page (三率报表): one month's department report ranked by the composite score, each department's
composite over the twelve months up to it, and the zone roll-up; the same figures as the report API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from application.reports import UNDISPATCHED, ReportService, month_end
from application.zone_report import ZoneReportService
from domain.errors import InvalidCommand
from domain.schedule import local_date
from domain.values import Actor

TREND_MONTHS = 12
CHOICES = 24


def previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def parse_month(text: str) -> date:
    """`2026-10` as the first day of that month (422 `invalid_month` otherwise)."""
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise InvalidCommand("invalid_month", f"a month is written YYYY-MM, not {text!r}") from None


@dataclass(frozen=True)
class MonthReport:
    month: date
    period: tuple[date, date]
    departments: list[dict[str, Any]]  # the report's rows ranked by composite (rank 1 first; None: not ranked)
    undispatched: dict[str, Any] | None
    zones: list[dict[str, Any]]
    trend_months: list[date]  # oldest first, the month itself last
    trend: dict[str, list[float | None]]  # department code -> composite per month of `trend_months`
    latest_month: date  # the last full month: the default
    choices: list[date]  # the months offered to pick, newest first: the two years up to the latest


class ReportBoard:
    def __init__(self, reports: ReportService, zones: ZoneReportService) -> None:
        self.reports = reports
        self.zones = zones

    def last_full_month(self) -> date:
        return previous_month(local_date(self.zones.clock.now()).replace(day=1))

    def month(self, by: Actor, month: date | None = None) -> MonthReport:
        """The month asked for (default: the last full month): its department report ranked by composite (ties: more
        cases dispatched first, then the directory's order), every department's composite in each of the twelve
        months up to it, and the zone report. Coordinators, reporters and auditors (as the report API)."""
        latest = self.last_full_month()
        first = month or latest
        period = (first, month_end(first))
        rows = self.reports.department_report(by, *period)
        undispatched = next((r for r in rows if r["department"] == UNDISPATCHED.code), None)
        ranked = rank([r for r in rows if r["department"] != UNDISPATCHED.code])
        months = [first]
        while len(months) < TREND_MONTHS:
            months.insert(0, previous_month(months[0]))
        earlier = self.reports.composites(by, [(m, month_end(m)) for m in months[:-1]])
        now = {r["department"]: r["composite"] for r in rows}
        trend = {r["department"]: [c.get(r["department"]) for c in [*earlier, now]] for r in ranked}
        zones = self.zones.zone_report(by, *period)
        choices = [latest]
        while len(choices) < CHOICES:
            choices.append(previous_month(choices[-1]))
        if first not in choices:
            choices.insert(0, first)
        return MonthReport(first, period, ranked, undispatched, zones, months, trend, latest, choices)


def rank(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Highest composite first; a department without a composite (nothing decided or evaluated) is not ranked."""
    order = sorted(
        enumerate(rows),
        key=lambda item: (item[1]["composite"] is None, -(item[1]["composite"] or 0), -item[1]["dispatched"], item[0]),
    )
    ranked, place = [], 0
    for _, row in order:
        if row["composite"] is not None:
            place += 1
        ranked.append({**row, "rank": place if row["composite"] is not None else None})
    return ranked
