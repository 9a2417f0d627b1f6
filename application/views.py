"""View queries with scoping and read-your-writes: the case list, the tier queues and warnings."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from application.access import public_statuses, public_summary, require_role
from application.errors import MinPositionNotReached
from domain.directory import Directory
from domain.errors import InvalidCommand
from domain.reference import as_reference
from domain.values import Actor, Role

MIN_POSITION_WAIT = 5.0


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    statuses: tuple[str, ...] = ()  # any of these (an enterprise's public status stands for several)
    tier: str | None = None
    department: str | None = None
    credit_code: str | None = None
    project_id: str | None = None
    reference: str | None = None
    q: str | None = None
    warning_level: str | None = None  # yellow, red, or "none" for cases without an open warning


@dataclass(frozen=True)
class WarningFilter:
    """Filters of the warnings board: `kind` matches a kind or its family (`co_reply` matches `co_reply:finance`)."""

    level: str | None = None
    kind: str | None = None
    department: str | None = None
    zone: str | None = None


@dataclass(frozen=True)
class WarningQuery:
    """What the reader filters by: a zone is turned into its departments by the service."""

    level: str | None = None
    kind: str | None = None
    departments: tuple[str, ...] | None = None


@dataclass(frozen=True)
class PageRequest:
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


class ViewReader(Protocol):
    def position(self, projection: str) -> int: ...

    def cases(self, f: CaseFilter, page: PageRequest) -> Page: ...

    def queue(self, tier: str, department: str | None, page: PageRequest) -> Page: ...

    def warnings(
        self,
        department: str | None,
        page: PageRequest,
        extra: Sequence[dict[str, Any]] = (),
        query: WarningQuery = WarningQuery(),
    ) -> Page:
        """Open case warnings (of one department's cases, if given) matching `query`, merged with `extra` rows
        (filtered by the caller) in the same order."""
        ...


NOBODY = "\x00no-department"  # a department filter that matches no row


Wait = Callable[[str, int | None], None]


class PositionWaiter:
    """Read-your-writes for every view: block (up to 5 s) until a projection has processed a position."""

    def __init__(self, position: Callable[[str], int], head: Callable[[], int] | None = None) -> None:
        self.position = position
        self.head = head

    def __call__(self, projection: str, min_position: int | None) -> None:
        if min_position is None:
            return
        head = self.head() if self.head else None
        if head is not None and min_position > head:
            raise InvalidCommand(
                "min_position_beyond_head", f"position {min_position} was never written; the log ends at {head}"
            )
        deadline = time.monotonic() + MIN_POSITION_WAIT
        delay = 0.01
        while (reached := self.position(projection)) < min_position:
            if time.monotonic() >= deadline:
                raise MinPositionNotReached(min_position, reached)
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


class ViewService:
    def __init__(
        self,
        reader: ViewReader,
        project_warnings: Callable[[], list[dict[str, Any]]] | None = None,
        wait: Wait | None = None,
        directory: Directory | None = None,
    ) -> None:
        self.reader = reader
        self.project_warnings = project_warnings
        self.directory = directory
        self.wait: Wait = wait or PositionWaiter(reader.position)

    def case_by_reference(self, by: Actor, text: str) -> str | None:
        """The id of the case this caller may see under the reference number typed (QY-2026-000001, any case);
        None when the text is not a reference number or no such case is visible."""
        reference = as_reference(text)
        if reference is None:
            return None
        found = self.list_cases(by, CaseFilter(reference=reference), PageRequest(1, None)).items
        return str(found[0]["id"]) if found else None

    def list_cases(self, by: Actor, f: CaseFilter, page: PageRequest, min_position: int | None = None) -> Page:
        """Case summaries; handlers see their department's cases, enterprises their own."""
        require_role(by, "list_cases")
        if by.role is Role.HANDLER:
            f = replace(f, department=by.department if f.department in (None, by.department) else NOBODY)
        if by.role is Role.ENTERPRISE:
            f = replace(f, credit_code=by.credit_code if f.credit_code in (None, by.credit_code) else NOBODY)
            if f.status is not None:
                f = replace(f, status=None, statuses=public_statuses(f.status))
        self.wait("cases", min_position)
        found = self.reader.cases(f, page)
        if by.role is Role.ENTERPRISE:
            return Page([public_summary(item) for item in found.items], found.next_cursor)
        return found

    def handling(self, by: Actor, page: PageRequest, min_position: int | None = None) -> Page:
        """Tier 1 (高效事项办理): every open case of the tier, most urgent first."""
        return self._queue("handling", by, page, min_position)

    def resolution(self, by: Actor, page: PageRequest, min_position: int | None = None) -> Page:
        """Tier 2 (精准问题处置): open cases with co-handlers and their reply status, extension, escalation, round."""
        return self._queue("resolution", by, page, min_position)

    def warnings(
        self,
        by: Actor,
        page: PageRequest,
        min_position: int | None = None,
        f: WarningFilter = WarningFilter(),
    ) -> Page:
        """Every open warning (tier 3, 跟踪预警), escalations included; handlers see their department's. Projects
        yellow or red on one of the four lists today are warnings of the coordinating centre (`service-center`).
        Filters: `level` (yellow, red), `kind` (a kind such as `sign_for`, or a family: `co_reply`, `escalation`,
        `project`), `department` (whose warning it is) and `zone` (departments of that zone)."""
        require_role(by, "views")
        query = WarningQuery(f.level, f.kind, self._departments(f))
        self.wait("cases", min_position)
        extra: list[dict[str, Any]] = []
        if self.project_warnings is not None and by.role is not Role.HANDLER:
            self.wait("projects", min_position)
            extra = [w for w in self.project_warnings() if matches(w, query)]
        return self.reader.warnings(self._department(by), page, extra, query)

    def _departments(self, f: WarningFilter) -> tuple[str, ...] | None:
        if f.zone is None:
            return (f.department,) if f.department is not None else None
        in_zone = tuple(d.code for d in self.directory or () if d.zone == f.zone)
        if f.department is not None:
            return (f.department,) if f.department in in_zone else (NOBODY,)
        return in_zone or (NOBODY,)

    def _queue(self, tier: str, by: Actor, page: PageRequest, min_position: int | None) -> Page:
        require_role(by, "views")
        self.wait("cases", min_position)
        return self.reader.queue(tier, self._department(by), page)

    def _department(self, by: Actor) -> str | None:
        return by.department if by.role is Role.HANDLER else None


def matches(warning: dict[str, Any], query: WarningQuery) -> bool:
    """Whether a warning row passes the query (the reader's SQL does the same for case warnings)."""
    kind = str(warning["kind"])
    return (
        (query.level is None or warning["level"] == query.level)
        and (query.kind is None or kind == query.kind or kind.startswith(query.kind + ":"))
        and (query.departments is None or warning["department"] in query.departments)
    )
