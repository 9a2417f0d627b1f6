"""SQL behind the project views: project facts, progress reports and open project issues, on the active generation."""

from __future__ import annotations

from datetime import date
from typing import Any

from application.project_views import ProjectFilter
from infrastructure.views.store import SqlViews, table_name

SUMMARY_COLUMNS = (
    "stream_id, name, code, owner_name, credit_code, zone, planned_investment, planned_start, planned_completion, "
    "planned_production, signed_on, started_on, in_statistics_on, completed_on, in_production_on, percent_complete, "
    "investment_to_date, registered_at, updated_at, version, position"
)
Row = dict[str, Any]


def like(text: str) -> str:
    """A LIKE pattern finding `text` anywhere (Chinese has no word boundaries), with wildcards escaped."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class SqlProjectReader:
    def __init__(self, views: SqlViews) -> None:
        self.views = views

    def position(self, projection: str) -> int:
        return self.views.position(projection, self.views.active_generation(projection))

    def _table(self, projection: str, table: str) -> str:
        return table_name(projection, self.views.active_generation(projection), table)

    def projects(self, f: ProjectFilter, after: list[str] | None, limit: int) -> list[Row]:
        where, params = ["1 = 1"], []
        for column in ("zone", "credit_code"):
            value = getattr(f, column)
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if f.q:
            where.append("(name LIKE ? ESCAPE '\\' OR code LIKE ? ESCAPE '\\')")
            params += [like(f.q), like(f.q)]
        if after:
            registered_at, stream_id = after
            where.append("(registered_at < ? OR (registered_at = ? AND stream_id < ?))")
            params += [registered_at, registered_at, stream_id]
        sql = (
            f"SELECT {SUMMARY_COLUMNS} FROM {self._table('projects', 'summary')} WHERE {' AND '.join(where)} "
            "ORDER BY registered_at DESC, stream_id DESC LIMIT ?"
        )
        return self.views.query(sql, [*params, limit])

    def progress_until(self, day: date) -> dict[str, Row]:
        sql = (
            "SELECT stream_id, version, percent_complete, investment_to_date "
            f"FROM {self._table('projects', 'progress')} WHERE reported_on <= ? ORDER BY stream_id, version"
        )
        return {row["stream_id"]: row for row in self.views.query(sql, [day.isoformat()])}  # the last one wins

    def open_issue_ids(self, project_id: str) -> list[str]:
        sql = (
            f"SELECT stream_id FROM {self._table('cases', 'summary')} "
            "WHERE project_id = ? AND kind = 'project_issue' AND is_open = 1 ORDER BY registered_at, stream_id"
        )
        return [str(row["stream_id"]) for row in self.views.query(sql, [project_id])]
