"""A case as a person reads it: its state, its history (the part the reader may see) and who acted, by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.case_execution import CaseResult
from application.case_queries import CaseQueries
from domain.values import Actor

Names = Callable[[set[str]], dict[str, str]]  # token ids -> the names they were issued under


@dataclass(frozen=True)
class CaseStory:
    result: CaseResult
    events: list[dict[str, Any]]
    names: dict[str, str]


class CaseStories:
    def __init__(self, queries: CaseQueries, names: Names) -> None:
        self.queries = queries
        self.names = names

    def story(self, case_id: UUID, by: Actor) -> CaseStory:
        """The case now, its history up to that version as `by` may read it, and the names of the actors."""
        result = self.queries.get(case_id, by)
        events = [e for e in self.queries.history(case_id, by) if e["version"] <= result.case.version]
        ids = {e["actor"]["id"] for e in events if e["actor"] and e["actor"].get("id")}
        return CaseStory(result, events, self.names(ids))
