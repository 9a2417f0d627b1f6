"""SQL behind the tracking job's candidates: the open, dispatched cases of the cases view."""

from __future__ import annotations

from uuid import UUID

from application.tracking import Candidate
from infrastructure.views.store import SqlViews, table_name


class SqlTrackingReader:
    def __init__(self, views: SqlViews) -> None:
        self.views = views

    def open_cases(self) -> list[Candidate]:
        generation = self.views.active_generation("cases")
        summary, state = (table_name("cases", generation, t) for t in ("summary", "state"))
        rows = self.views.query(
            f"SELECT s.stream_id, s.version, t.state FROM {summary} s LEFT JOIN {state} t ON t.stream_id = s.stream_id "
            "WHERE s.is_open = 1 AND s.tier IS NOT NULL ORDER BY s.stream_id"
        )
        return [
            Candidate(UUID(str(r["stream_id"])), int(r["version"]), bytes(r["state"]) if r["state"] else None)
            for r in rows
        ]
