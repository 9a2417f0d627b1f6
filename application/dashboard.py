"""The first screens of the console, as queries over the views: the coordinator's three boards and a department's
inbox (本部门待办) sorted by the nearest due date, each with the action due now."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from application.access import require_role
from application.views import CaseFilter, PageRequest, ViewService, WarningFilter
from domain.errors import NotPermitted
from domain.values import Actor, Role

SCAN = 500  # rows read per board; a board with more says so ("500+") rather than counting the whole view
SHOWN = 6


@dataclass(frozen=True)
class Board:
    """One tier at a glance: open count (at least, when `more`), red and yellow counts, the cases to look at."""

    count: int
    red: int
    yellow: int
    more: bool
    overdue: list[dict[str, Any]] = field(default_factory=list)
    newest: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Boards:
    handling: Board
    resolution: Board
    tracking: Board
    newest: list[dict[str, Any]]


class Dashboard:
    def __init__(self, views: ViewService) -> None:
        self.views = views

    def boards(self, by: Actor) -> Boards:
        """The three tiers as boards (高效事项办理, 精准问题处置, 跟踪预警服务) and the newest cases."""
        page = PageRequest(SCAN)
        handling = self.views.handling(by, page)
        resolution = self.views.resolution(by, page)
        warnings = self.views.warnings(by, page, f=WarningFilter())
        newest = self.views.list_cases(by, CaseFilter(), PageRequest(SHOWN)).items
        tracking = _board(warnings.items, warnings.next_cursor is not None, "level")
        red_first = sorted(warnings.items, key=lambda w: (w["level"] != "red", w["since"]))
        return Boards(
            handling=_queue_board(handling.items, handling.next_cursor is not None),
            resolution=_queue_board(resolution.items, resolution.next_cursor is not None),
            tracking=Board(tracking.count, tracking.red, tracking.yellow, tracking.more, red_first[:SHOWN], []),
            newest=newest,
        )

    def inbox(self, by: Actor) -> list[dict[str, Any]]:
        """本部门待办: open cases the department leads or co-handles, nearest due date first, each with `due_now`
        (sign_for, first_contact, co_reply, main, arbitrate or None) and the date it is due."""
        require_role(by, "views")
        if by.role is not Role.HANDLER or by.department is None:
            raise NotPermitted("role_not_permitted", "the inbox is a department's")
        page = PageRequest(SCAN)
        rows = self.views.handling(by, page).items + self.views.resolution(by, page).items
        items = [{**row, **due_now(row, by.department)} for row in rows]
        return sorted(items, key=lambda r: (r["due_now_date"] is None, r["due_now_date"] or "", r["reference"]))


def due_now(row: dict[str, Any], department: str) -> dict[str, Any]:
    """What this department has to do next on a case of its queue, and by when."""
    due, status = row.get("due") or {}, row["status"]
    lead = row.get("lead_department") == department
    action: str | None = None
    clock: str | None = None
    if status == "returned":
        action = "arbitrate"
    elif lead and status == "dispatched":
        action, clock = "sign_for", "sign_for"
    elif lead and status == "in_progress" and "first_contact" in due:
        action, clock = "first_contact", "first_contact"
    elif not lead and f"co_reply:{department}" in due:
        action, clock = "co_reply", f"co_reply:{department}"
    elif lead and status == "in_progress":
        action, clock = "main", row.get("tier") or "handling"
    when = (due.get(clock) or {}).get("due") if clock else None
    return {
        "due_now": action,
        "due_now_date": when,
        "due_now_provisional": bool((due.get(clock) or {}).get("provisional")),
    }


def _board(items: list[dict[str, Any]], more: bool, level_key: str) -> Board:
    levels = [i.get(level_key) for i in items]
    return Board(len(items), levels.count("red"), levels.count("yellow"), more)


def _queue_board(items: list[dict[str, Any]], more: bool) -> Board:
    counts = _board(items, more, "warning_level")
    newest = sorted(items, key=lambda i: i["registered_at"], reverse=True)[:SHOWN]
    return Board(counts.count, counts.red, counts.yellow, more, items[:SHOWN], newest)
