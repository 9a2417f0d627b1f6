"""审计: the global event feed for auditors, filtered by actor, time range and stream; entries link to their case or
project, whose page carries the verification badge and the versions."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from pydantic import BeforeValidator
from starlette.concurrency import run_in_threadpool

from api.console.pages import ConsoleRoute, RenderDep
from api.console.session import PostingViewerDep, SettingsDep, ViewerDep
from api.deps import AuditDep, ViewsDep
from application.audit import AuditService, FeedFilter, StoreCheck
from application.audit_trail import AuditTrail
from application.views import ViewService
from domain.schedule import LOCAL_TZ
from domain.values import Actor
from infrastructure.checkpoint_log import CheckpointLog
from infrastructure.settings import Settings
from infrastructure.signing import Ed25519Verifier

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PAGE = 100


async def _trail(audit: AuditDep) -> AuditTrail:
    return AuditTrail(audit)


TrailDep = Annotated[AuditTrail, Depends(_trail)]
# A date field of a GET form: left empty, the browser still sends it (`since=`), meaning no date.
FormDay = Annotated[date | None, BeforeValidator(lambda v: v or None), Query()]


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
    views: ViewsDep,
    settings: SettingsDep,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    since: FormDay = None,
    until: FormDay = None,
    stream: Annotated[str | None, Query(max_length=100)] = None,
    after: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:
    """Days are Asia/Shanghai dates, inclusive. Unfiltered and without `after`, the newest entries come first.
    `stream` is a case's or project's id, or a case's reference number (QY-2026-000001)."""
    stream_id = _stream(views, viewer.actor, stream.strip()) if stream and stream.strip() else None
    f = FeedFilter(after or 0, PAGE, actor or None, _start(since), _end(until), stream_id)
    newest = after is None and not (actor or since or until or stream)
    page = trail.page(viewer.actor, f, newest)
    query = {"actor": actor or "", "since": since or "", "until": until or "", "stream": stream or ""}
    latest = _latest(settings)
    return render("audit.html", viewer=viewer, page=page, query=query, newest=newest, latest=latest)


@router.post("/console/audit/verify")
async def verify_store(
    viewer: PostingViewerDep, render: RenderDep, trail: TrailDep, audit: AuditDep, settings: SettingsDep
) -> HTMLResponse:
    """Recompute every chain and snapshot now, and compare the store with the latest signed checkpoint; a request
    made while such a pass runs in this process is answered with that pass's result."""
    check, against, latest = await run_in_threadpool(_verify, audit, viewer.actor, settings)
    page = await run_in_threadpool(trail.page, viewer.actor, FeedFilter(0, PAGE), True)
    query = {"actor": "", "since": "", "until": "", "stream": ""}
    return render(
        "audit.html", viewer=viewer, page=page, query=query, newest=True, latest=latest, check=check, against=against
    )


def _latest(settings: Settings) -> dict[str, Any] | None:
    """The latest automatic checkpoint, if this service keeps a checkpoint log and it has one; a log that cannot
    be read is shown as such (`unreadable`), for an auditor to look into."""
    path = settings.checkpoint_log_path
    try:
        return CheckpointLog(path).latest() if path else None
    except (OSError, ValueError) as e:
        return {"unreadable": f"{path}: {e}"}


def _verify(audit: AuditService, by: Actor, settings: Settings) -> tuple[StoreCheck, dict[str, Any] | None, Any]:
    """The store's chains, seals and snapshots, and the latest checkpoint compared, in one pass over the log (shared
    with whoever asked for it while it runs)."""
    latest = _latest(settings)
    if latest is None or "unreadable" in latest:
        return audit.shared_store_check(by), None, latest
    public = settings.public_key_path
    verifier = Ed25519Verifier.from_file(public) if public and public.exists() else None
    check = audit.shared_store_check(by, checkpoint=latest, public_key=verifier)
    return check, check.checkpoint, latest


def _stream(views: ViewService, by: Actor, given: str) -> str:
    """An id as given; a reference number is looked up among the cases (an unknown one matches nothing)."""
    try:
        return str(UUID(given))
    except ValueError:
        return views.case_by_reference(by, given) or given
