"""审计: the global event feed for auditors, filtered by actor, time range and stream; entries link to their case or
project, whose page carries the verification badge and the versions."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from api.console.pages import ConsoleRoute, RenderDep
from api.console.session import ViewerDep
from api.deps import AuditDep, TokensDep
from application.audit import FeedFilter
from application.audit_trail import AuditTrail
from domain.schedule import LOCAL_TZ

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PAGE = 100


async def _trail(audit: AuditDep, tokens: TokensDep) -> AuditTrail:
    return AuditTrail(audit, tokens.names)


TrailDep = Annotated[AuditTrail, Depends(_trail)]


def _start(day: date | None) -> datetime | None:
    return datetime.combine(day, time(0), LOCAL_TZ) if day else None


def _end(day: date | None) -> datetime | None:
    """The last moment of a local day."""
    return datetime.combine(day + timedelta(days=1), time(0), LOCAL_TZ) - timedelta(microseconds=1) if day else None


@router.get("/console/audit")
def audit_page(
    viewer: ViewerDep,
    render: RenderDep,
    trail: TrailDep,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    since: Annotated[date | None, Query()] = None,
    until: Annotated[date | None, Query()] = None,
    stream: Annotated[UUID | None, Query()] = None,
    after: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:
    """Days are Asia/Shanghai dates, inclusive. Unfiltered and without `after`, the newest entries come first."""
    f = FeedFilter(after or 0, PAGE, actor or None, _start(since), _end(until), str(stream) if stream else None)
    newest = after is None and not (actor or since or until or stream)
    page = trail.page(viewer.actor, f, newest)
    query = {"actor": actor or "", "since": since or "", "until": until or "", "stream": stream or ""}
    return render("audit.html", viewer=viewer, page=page, query=query, newest=newest)
