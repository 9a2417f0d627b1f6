"""Audit routes (auditors only): chain verification, the global feed and checkpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.auth import CallerDep
from api.deps import AccessLogDep, AuditDep
from api.presenters import verification_body
from api.routes.params import doc
from api.schemas.audit import AccessPage, AuditPage, Checkpoint
from api.schemas.common import VerificationOut
from application.audit import AuditService, FeedFilter
from application.personal_data import AccessFilter, AccessLogQueries
from domain.schedule import as_local

router = APIRouter(tags=["audit"])


def _aware(moment: datetime | None) -> datetime | None:
    return as_local(moment) if moment is not None else None


@router.get(
    "/v1/cases/{case_id}/verification",
    response_model=VerificationOut,
    description=doc(AuditService.verify_stream),
)
def verify_case(case_id: UUID, caller: CallerDep, audit: AuditDep) -> JSONResponse:
    result = audit.verify_stream(caller, case_id, "casetrail:CaseRegistered")
    return JSONResponse(verification_body(result))


@router.get("/v1/audit/events", response_model=AuditPage, description=doc(AuditService.feed))
def feed(
    caller: CallerDep,
    audit: AuditDep,
    after: Annotated[int, Query(ge=0, description="a position; the feed starts after it")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    actor: Annotated[str | None, Query(description="only events by this actor id")] = None,
    since: Annotated[datetime | None, Query(description="only events at or after (naive = Asia/Shanghai)")] = None,
    until: Annotated[datetime | None, Query(description="only events at or before (naive = Asia/Shanghai)")] = None,
    stream: Annotated[UUID | None, Query(description="only events of this case or project")] = None,
) -> JSONResponse:
    f = FeedFilter(after, limit, actor, _aware(since), _aware(until), str(stream) if stream else None)
    items, next_after = audit.feed(caller, f)
    body = [{**i, "at": i["at"].isoformat() if i.get("at") else None} for i in items]
    return JSONResponse({"items": body, "next_cursor": str(next_after) if next_after is not None else None})


@router.get("/v1/audit/personal-data-access", response_model=AccessPage, description=doc(AccessLogQueries.reads))
def personal_data_access(
    caller: CallerDep,
    log: AccessLogDep,
    actor: Annotated[str | None, Query(description="only reads by this actor id")] = None,
    case_id: Annotated[UUID | None, Query(description="only reads of this case")] = None,
    since: Annotated[datetime | None, Query(description="only reads at or after (naive = Asia/Shanghai)")] = None,
    until: Annotated[datetime | None, Query(description="only reads before (naive = Asia/Shanghai)")] = None,
    after: Annotated[int, Query(ge=0, description="an entry id; the page starts after it")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> JSONResponse:
    f = AccessFilter(actor, case_id, _aware(since), _aware(until), after, limit)
    items, next_after = log.reads(caller, f)
    return JSONResponse({"items": items, "next_cursor": str(next_after) if next_after is not None else None})


@router.get("/v1/audit/checkpoint", response_model=Checkpoint, description=doc(AuditService.checkpoint))
def checkpoint(
    caller: CallerDep,
    audit: AuditDep,
    hashes: Annotated[bool, Query(description="include every stream's version hashes (large)")] = False,
) -> JSONResponse:
    return JSONResponse(audit.checkpoint(caller, with_hashes=hashes))
