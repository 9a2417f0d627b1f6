"""SQL behind the tracking job's candidates: the open, dispatched cases of the cases view."""

from __future__ import annotations

from uuid import UUID

from application.tracking import Candidate
from infrastructure.views.store import SqlViews, table_name


class SqlTrackingReader:
    def __init__(self, views: SqlViews) -> None:
        self.views = views

    def open_cases(self) -> list[Candidate]:
        summary = table_name("cases", self.views.active_generation("cases"), "summary")
        rows = self.views.query(
            f"SELECT stream_id, version FROM {summary} WHERE is_open = 1 AND tier IS NOT NULL ORDER BY stream_id"
        )
        return [Candidate(UUID(str(r["stream_id"])), int(r["version"])) for r in rows]

    def snapshots(self, case_ids: list[UUID]) -> dict[UUID, bytes]:
        return self.views.load_states("cases", self.views.active_generation("cases"), case_ids)
