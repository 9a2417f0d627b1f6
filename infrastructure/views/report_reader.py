"""SQL behind the department report: counts per department, aggregated in the database on the active generation.

The counts come from the reports projection's roll-up (a few rows per department and day, whatever the number of
cases); the row-table queries below say what each count means, answer for a generation built before the roll-up
existed (until `casetrail projections rebuild reports`), and are what tests compare the roll-up against."""

from __future__ import annotations

from datetime import date
from typing import Any

from application.projections.reports import ALWAYS, COUNTERS, DAILY
from application.reports import SATISFIED, UNDISPATCHED, Counts, month_end
from infrastructure.views.store import SqlViews, table_name

PROJECTION = "reports"
TABLES = ("assignments", "rounds", "co_handling", "returns", "redos", "spans", "lifecycle")
RATE_COUNTS = ("dispatched", "responded", "response_missed", "evaluations", "solved", "satisfied")
NEVER = "9999-12-31"  # an `as of` day after every other
Query = tuple[str, list[Any]]


class SqlReportReader:
    def __init__(self, views: SqlViews, rollups: bool | None = None) -> None:
        """`rollups`: answer from the roll-up (True) or the row tables (False); None: the roll-up when the active
        generation has one."""
        self.views = views
        self.rollups = rollups

    def uses_rollup(self, generation: int) -> bool:
        if self.rollups is not None:
            return self.rollups
        return self.views.has_table(table_name(PROJECTION, generation, DAILY.name))

    def position(self, projection: str) -> int:
        return self.views.position(projection, self.views.active_generation(projection))

    def department_counts(
        self, date_from: date, date_to: date, as_of: date | None = None, rates_only: bool = False
    ) -> dict[str, Counts]:
        """Each query answers `department` (NULL or absent: `undispatched`) plus some counts; `rates_only`: just the
        two queries the three rates and the composite need."""
        gen = self.views.active_generation(PROJECTION)
        found: dict[str, Counts] = {}
        at = min(as_of or date_to, date_to).isoformat()
        start, end = date_from.isoformat(), date_to.isoformat()
        if self.uses_rollup(gen):
            sql, params = rolled_up(table_name(PROJECTION, gen, DAILY.name), start, end, at, rates_only)
            for row in self.views.query(sql, params):
                department = str(row.pop("department") or UNDISPATCHED.code)
                found[department] = {k: int(v or 0) for k, v in row.items()}
            return found
        t = {name: table_name(PROJECTION, gen, name) for name in TABLES}
        rates = [assignments(t["assignments"], start, end, at), rounds_evaluated(t["rounds"], start, end)]
        for sql, params in rates if rates_only else queries(t, start, end, at):
            for row in self.views.query(sql, params):
                department = str(row.pop("department", None) or UNDISPATCHED.code)
                found.setdefault(department, {}).update({k: int(v or 0) for k, v in row.items()})
        return found

    def month_counts(self, months: list[date], today: date | None) -> list[dict[str, Counts]] | None:
        """For each first day of a month in `months`, the rate counts of that month read at its last day (or `today`
        while that lies ahead), as `department_counts(..., rates_only=True)` answers them: one grouped query over the
        roll-up. None when the active generation has no roll-up (ask per month)."""
        gen = self.views.active_generation(PROJECTION)
        if not months or not self.uses_rollup(gen):
            return None
        table = table_name(PROJECTION, gen, DAILY.name)
        last = max(months)
        end = month_end(last)
        sums = ", ".join(f"SUM({c}) AS {c}" for c in RATE_COUNTS)
        # `since` <= the month's last day, compared as month texts: '' (always) is before every month.
        rows = self.views.query(
            f"SELECT SUBSTR(day, 1, 7) AS month, department, {sums} FROM {table} "
            "WHERE day BETWEEN ? AND ? AND since <= ? AND SUBSTR(since, 1, 7) <= SUBSTR(day, 1, 7) "
            "GROUP BY SUBSTR(day, 1, 7), department",
            [min(months).isoformat(), end.isoformat(), (today.isoformat() if today else NEVER)],
        )
        by_month: dict[str, dict[str, Counts]] = {}
        for row in rows:
            month, department = str(row.pop("month")), str(row.pop("department") or UNDISPATCHED.code)
            by_month.setdefault(month, {})[department] = {k: int(v or 0) for k, v in row.items()}
        return [by_month.get(m.isoformat()[:7], {}) for m in months]


def rolled_up(table: str, start: str, end: str, at: str, rates_only: bool) -> Query:
    """Every count at once: a row counts when its `since` is not after `at`, and its day lies in the period or is ''
    (a count read at `at`, not over the period: open, overdue)."""
    names = RATE_COUNTS if rates_only else COUNTERS
    sums = ", ".join(f"SUM({c}) AS {c}" for c in names)
    return (
        f"SELECT department, {sums} FROM {table} WHERE since <= ? AND (day = ? OR day BETWEEN ? AND ?) "
        "GROUP BY department",
        [at, ALWAYS, start, end],
    )


def queries(t: dict[str, str], start: str, end: str, at: str) -> list[Query]:
    """`at` is the day the period's state is read at: its last day, or today while that lies ahead."""
    return [
        assignments(t["assignments"], start, end, at),
        rounds_resolved(t["rounds"], start, end),
        rounds_evaluated(t["rounds"], start, end),
        events(t["co_handling"], "co_handled", "dispatched_on", start, end),
        events(t["returns"], "returns", "returned_on", start, end),
        events(t["redos"], "redos", "reopened_on", start, end),
        withdrawals(t["lifecycle"], start, end),
        open_at_end(t["spans"], at),
        undispatched_at_end(t["lifecycle"], at),
    ]


def assignments(table: str, start: str, end: str, at: str) -> Query:
    """Cases dispatched (or reassigned) to a lead in the period and not reassigned away by `at` (at most one
    assignment of a case: the one current then, so rows are distinct cases). Of those, by the end of `at`:
    responded, answered on time (signed for and first-contacted by their due dates, no upheld return: see the
    projection); response_missed, a return upheld, or a sign-for or first-contact due date that passed (a day
    before `at` or earlier) without the act by it. The others' clocks are still running: neither met nor missed."""
    return (
        "SELECT department, COUNT(*) AS dispatched, SUM(CASE WHEN responded_on <= ? THEN 1 ELSE 0 END) AS responded, "
        "SUM(CASE WHEN responded_on <= ? THEN 0 "
        "WHEN upheld_on <= ? THEN 1 "
        "WHEN sign_for_due < ? AND (signed_on IS NULL OR signed_on > sign_for_due) THEN 1 "
        "WHEN first_contact_due < ? AND (contacted_on IS NULL OR contacted_on > first_contact_due) THEN 1 "
        "ELSE 0 END) AS response_missed "
        f"FROM {table} WHERE dispatched_on BETWEEN ? AND ? AND (reassigned_on IS NULL OR reassigned_on > ?) "
        "GROUP BY department",
        [at, at, at, at, at, start, end, at],
    )


def rounds_resolved(table: str, start: str, end: str) -> Query:
    return (
        "SELECT department, COUNT(*) AS resolved, SUM(on_time) AS resolved_on_time, "
        f"SUM(working_days) AS working_days FROM {table} WHERE resolved_on BETWEEN ? AND ? GROUP BY department",
        [start, end],
    )


def rounds_evaluated(table: str, start: str, end: str) -> Query:
    marks = ", ".join("?" for _ in SATISFIED)
    return (
        "SELECT department, COUNT(*) AS evaluations, SUM(solved) AS solved, "
        f"SUM(CASE WHEN satisfaction IN ({marks}) THEN 1 ELSE 0 END) AS satisfied "
        f"FROM {table} WHERE evaluated_on BETWEEN ? AND ? GROUP BY department",
        [*(s.value for s in SATISFIED), start, end],
    )


def events(table: str, name: str, column: str, start: str, end: str) -> Query:
    """Rows dated in the period (a case has one co-handling row per co-handler: it is dispatched once)."""
    return (
        f"SELECT department, COUNT(*) AS {name} FROM {table} WHERE {column} BETWEEN ? AND ? GROUP BY department",
        [start, end],
    )


def withdrawals(table: str, start: str, end: str) -> Query:
    """Withdrawals count for the lead at the time; before dispatch (department NULL) for `undispatched`."""
    return (
        "SELECT withdrawn_department AS department, COUNT(*) AS withdrawals "
        f"FROM {table} WHERE withdrawn_on BETWEEN ? AND ? GROUP BY withdrawn_department",
        [start, end],
    )


def open_at_end(table: str, end: str) -> Query:
    """The span holding the end of the period's last day: open under that lead; overdue if its main due date lies
    before that day and the round is not resolved."""
    return (
        "SELECT department, COUNT(*) AS open, "
        "SUM(CASE WHEN resolved = 0 AND due < ? THEN 1 ELSE 0 END) AS overdue "
        f"FROM {table} WHERE since <= ? AND (until IS NULL OR until > ?) GROUP BY department",
        [end, end, end],
    )


def undispatched_at_end(table: str, end: str) -> Query:
    """Cases registered by the period's end, neither dispatched nor ended by then (no department: `undispatched`)."""
    return (
        f"SELECT COUNT(*) AS open FROM {table} WHERE (dispatched_on IS NULL OR dispatched_on > ?) "
        "AND registered_on <= ? AND (ended_on IS NULL OR ended_on > ?)",
        [end, end, end],
    )
