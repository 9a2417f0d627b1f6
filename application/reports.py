"""The department report (三率 and more): per department, per period of local dates, from the reports projection."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Protocol

from application.access import require_role
from application.ports import Clock
from application.views import PositionWaiter, Wait
from domain.directory import ZONES, Department, Directory
from domain.errors import InvalidCommand
from domain.schedule import local_date
from domain.values import Actor, Satisfaction

PROJECTION = "reports"
POLICY_VERSION = "2026.2"  # the version of the formulas below; change it with them (2026.2: running clocks)
WEIGHTS = {"response_rate": 0.30, "resolution_rate": 0.35, "satisfaction_rate": 0.35}
SATISFIED = (Satisfaction.VERY_SATISFIED, Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)
UNDISPATCHED = Department("undispatched", "未派单", None)
COLUMNS = (
    "department",
    "name",
    "zone",
    "dispatched",
    "co_handled",
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "composite",
    "on_time_rate",
    "avg_working_days",
    "open",
    "overdue",
    "returns",
    "redos",
    "withdrawals",
    "policy_version",
)
Counts = dict[str, int]


class ReportReader(Protocol):
    def position(self, projection: str) -> int: ...

    def department_counts(
        self, date_from: date, date_to: date, as_of: date | None = None, rates_only: bool = False
    ) -> dict[str, Counts]:
        """Per department code (and `undispatched`), for the inclusive period of local dates, the counts:
        dispatched, responded, response_missed, co_handled, resolved, resolved_on_time, working_days, evaluations,
        solved, satisfied, returns, redos, withdrawals (in the period) and open, overdue (at the end of `as_of`,
        default the period's last day; never later than it). `rates_only`: only the counts the three rates need
        (dispatched, responded, response_missed, evaluations, solved, satisfied)."""
        ...

    def month_counts(self, months: list[date], today: date | None) -> list[dict[str, Counts]] | None:
        """Per month (its first day), `department_counts(month, its last day, today, rates_only=True)` in one
        query; None when this reader cannot (the caller then asks per month)."""
        ...


class ReportService:
    def __init__(
        self, reader: ReportReader, directory: Directory, clock: Clock | None = None, wait: Wait | None = None
    ) -> None:
        self.reader = reader
        self.directory = directory
        self.clock = clock
        self.wait: Wait = wait or PositionWaiter(reader.position)

    def department_report(
        self,
        by: Actor,
        date_from: date | None = None,
        date_to: date | None = None,
        zone: str | None = None,
        min_position: int | None = None,
    ) -> list[dict[str, Any]]:
        """The department report (三率): per department of the directory (or of one zone), for a period of Asia/Shanghai
        dates, inclusive (default: this month to date). `dispatched` counts distinct cases dispatched to the
        department as lead in the period (a return that ended in reassignment moves the case to the new department);
        `co_handled` apart. `response_rate` = cases signed for and first-contacted on time (no upheld return) ÷ those
        decided: answered on time, or missed (a return upheld, or a sign-for or first-contact due date that passed
        without the act); a clock still running at the period's end (its due day not yet over) is neither met nor
        missed and is left out, so a case dispatched this morning is not late; `resolution_rate` = evaluations in the
        period with solved = yes ÷ evaluations; `satisfaction_rate` = very satisfied + satisfied + basically satisfied
        ÷ evaluations; `composite` = 0.30 × response + 0.35 × resolution + 0.35 × satisfaction; `on_time_rate` =
        rounds resolved by their (extended) due date ÷ rounds resolved in the period; `avg_working_days` = working
        days from the dispatch the department received (first dispatch, reassignment or reopen) to resolution, per
        round resolved in the period; `open` and `overdue` (main due date passed, not resolved) at the end of the
        period, or today while the period ends later (a report never looks past today); `returns`, `redos`,
        `withdrawals` in the period. Rates are fractions 0–1, `null` when nothing was counted. Withdrawals before
        dispatch (and cases still awaiting dispatch, under `open`) form the row `undispatched`. Coordinators,
        reporters and auditors."""
        require_role(by, "reports")
        start, end = self.period(date_from, date_to)
        departments = self._departments(zone)
        self.wait(PROJECTION, min_position)
        counts = self.reader.department_counts(start, end, self.as_of(end))
        return [report_row(d, counts.get(d.code, {})) for d in departments]

    def composites(self, by: Actor, periods: list[tuple[date, date]]) -> list[dict[str, float | None]]:
        """Per period, each department's composite (as `department_report` computes it), reading only the counts the
        rates need. Coordinators, reporters and auditors."""
        require_role(by, "reports")
        months = [start for start, end in periods if start.day == 1 and end == month_end(start)]
        if len(months) == len(periods):
            today = None if self.clock is None else local_date(self.clock.now())
            by_month = self.reader.month_counts(months, today)
            if by_month is not None:
                return [
                    {d.code: report_row(d, counts.get(d.code, {}))["composite"] for d in self.directory}
                    for counts in by_month
                ]
        found = []
        for start, end in periods:
            counts = self.reader.department_counts(start, end, self.as_of(end), rates_only=True)
            found.append({d.code: report_row(d, counts.get(d.code, {}))["composite"] for d in self.directory})
        return found

    def as_of(self, end: date) -> date:
        """The day a period's state is read at: its last day, or today while that lies ahead (never the future)."""
        return end if self.clock is None else min(end, local_date(self.clock.now()))

    def period(self, date_from: date | None, date_to: date | None) -> tuple[date, date]:
        """The inclusive period asked for; by default from the first of the month up to today (or `date_to`)."""
        end = date_to or self._today()
        start = date_from or end.replace(day=1)
        if start > end:
            raise InvalidCommand("invalid_period", f"the period starts ({start}) after it ends ({end})")
        return start, end

    def _today(self) -> date:
        if self.clock is None:
            raise InvalidCommand("period_required", "give both `from` and `to`")
        return local_date(self.clock.now())

    def _departments(self, zone: str | None) -> list[Department]:
        if zone is None:
            return [*self.directory, UNDISPATCHED]
        if zone not in ZONES:
            raise InvalidCommand("unknown_zone", f"unknown zone {zone!r}; zones are {', '.join(ZONES)}")
        return [d for d in self.directory if d.zone == zone]


def month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def composite(rates: dict[str, float | None]) -> float | None:
    parts = [(weight, rates[name]) for name, weight in WEIGHTS.items()]
    return None if any(r is None for _, r in parts) else sum(w * (r or 0.0) for w, r in parts)


def report_row(d: Department, c: Counts) -> dict[str, Any]:
    """One department's figures from its counts (missing counts are zero)."""

    def n(key: str) -> int:
        return int(c.get(key, 0))

    evaluations = n("evaluations")
    rates = {
        "response_rate": ratio(n("responded"), n("responded") + n("response_missed")),
        "resolution_rate": ratio(n("solved"), evaluations),
        "satisfaction_rate": ratio(n("satisfied"), evaluations),
    }
    return {
        "department": d.code,
        "name": d.name,
        "zone": d.zone,
        "dispatched": n("dispatched"),
        "co_handled": n("co_handled"),
        **{name: rounded(rate) for name, rate in rates.items()},
        "composite": rounded(composite(rates)),
        "on_time_rate": rounded(ratio(n("resolved_on_time"), n("resolved"))),
        "avg_working_days": rounded(ratio(n("working_days"), n("resolved")), 2),
        "open": n("open"),
        "overdue": n("overdue"),
        "returns": n("returns"),
        "redos": n("redos"),
        "withdrawals": n("withdrawals"),
        "policy_version": POLICY_VERSION,
    }
