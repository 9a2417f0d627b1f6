"""Case routes: thin adapters from HTTP to the case use cases."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.auth import CallerDep
from api.command_routes import Command, Commands
from api.commands import HeadersDep
from api.deps import CaseQueriesDep, CasesDep
from api.fast_routes import FastRoute
from api.presenters import case_response
from api.routes.params import doc
from api.schemas.cases import (
    ArbitrationIn,
    CaseOut,
    Closure,
    Dispatch,
    Empty,
    Erasure,
    EscalationIn,
    Evaluation,
    ExtensionDecision,
    ExtensionRequest,
    Merge,
    Note,
    Reason,
    RegisterCase,
    Resolution,
    Return,
    Waiver,
)
from api.schemas.common import HistoryOut
from application.case_queries import AsOf, CaseQueries
from application.cases import CaseService
from application.views import PageRequest

router = APIRouter(prefix="/v1/cases", tags=["cases"], route_class=FastRoute)


WrittenAt = Annotated[
    int | None, Query(ge=0, description="the `position` a command answered: the answer includes that write")
]


@router.post("", status_code=201, response_model=CaseOut, description=doc(CaseService.register))
def register(body: RegisterCase, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    result = cases.register(h.command(caller, body), body.new_case())
    return case_response(result, caller, 201, {"Location": f"/v1/cases/{result.case.id}"})


@router.get("/{case_id}", response_model=CaseOut, description=doc(CaseQueries.get))
def get_case(
    case_id: UUID,
    caller: CallerDep,
    queries: CaseQueriesDep,
    as_of_version: Annotated[int | None, Query(ge=1, description="the state right after this version")] = None,
    as_of: Annotated[
        datetime | None, Query(description="the state at this ISO 8601 instant (naive = Asia/Shanghai)")
    ] = None,
    min_position: WrittenAt = None,
) -> JSONResponse:
    result = queries.get(case_id, caller, AsOf.asked(as_of_version, as_of), min_position)
    return case_response(result, caller)


@router.get(
    "/{case_id}/history",
    response_model=HistoryOut,
    description=doc(CaseQueries.history_page),
)
def history(
    case_id: UUID,
    caller: CallerDep,
    queries: CaseQueriesDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="events per page (default 200, at most 1,000)")] = 200,
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor of the page before")] = None,
    min_position: WrittenAt = None,
) -> JSONResponse:
    page = queries.history_page(case_id, caller, PageRequest(limit, cursor), min_position)
    events = [{**e, "at": e["at"].isoformat()} for e in page.items]
    return JSONResponse({"events": events, "next_cursor": page.next_cursor})


COMMANDS = (
    Command("dispatch", "dispatch", Dispatch),
    Command("sign-for", "sign_for", Empty, body_optional=True),
    Command("return", "return_case", Return),
    Command("arbitration", "arbitrate", ArbitrationIn),
    Command("contact", "contact", Note),
    Command("progress", "progress", Note),
    Command("co-reply", "co_reply", Note),
    Command("co-reply-waiver", "waive_co_reply", Waiver),
    Command("extension-request", "request_extension", ExtensionRequest),
    Command("extension-decision", "decide_extension", ExtensionDecision),
    Command("escalation", "escalate", EscalationIn),
    Command("resolution", "resolve", Resolution),
    Command("evaluation", "evaluate", Evaluation),
    Command("reopen", "reopen", Reason),
    Command("closure", "close", Closure, body_optional=True),
    Command("withdrawal", "withdraw", Reason),
    Command("personal-data-erasure", "erase_personal_data", Erasure),
    Command("merge", "merge", Merge),
)
Commands("/{case_id}", "case_id", CaseService, CasesDep, case_response, CaseOut).add(router, COMMANDS)
