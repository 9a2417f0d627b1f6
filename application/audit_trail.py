"""The audit trail as an auditor reads it: a page of the global feed (each actor named by the feed itself) and what
each entry is about (a case or a project)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from application.audit import AuditService, FeedFilter
from domain.values import Actor

SUBJECTS = (("Case", "case"), ("Project", "project"))


@dataclass(frozen=True)
class TrailPage:
    items: list[dict[str, Any]]  # feed entries, each with `subject`: case, project or None (a log entry)
    next_after: int | None


class AuditTrail:
    def __init__(self, audit: AuditService) -> None:
        self.audit = audit

    def page(self, by: Actor, f: FeedFilter, newest: bool = False) -> TrailPage:
        """A page of the feed in position order (auditors only), filtered by actor, time and stream; `newest`: the
        last `f.limit` positions of the log (what an auditor looks at first)."""
        if newest:
            head = self.audit.store.recorder.max_notification_id() or 0
            f = replace(f, after=max(0, head - f.limit))
        items, next_after = self.audit.feed(by, f)
        shown = [{**i, "subject": subject(i.get("type") or "")} for i in items]
        return TrailPage(shown, next_after)


def subject(event_type: str) -> str | None:
    return next((kind for prefix, kind in SUBJECTS if event_type.startswith(prefix)), None)
