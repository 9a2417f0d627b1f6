"""Case routes: thin adapters from HTTP to the case use cases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.auth import CallerDep
from api.commands import CommandHeaders, HeadersDep, keywords
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
from application.case_execution import CaseResult
from application.case_queries import CaseQueries
from application.cases import CaseService
from application.views import PageRequest
from domain.errors import InvalidCommand
from domain.schedule import as_local
from domain.values import Actor

router = APIRouter(prefix="/v1/cases", tags=["cases"], route_class=FastRoute)


def act(
    use_case: Callable[..., CaseResult], case_id: UUID, body: BaseModel | None, caller: Actor, h: CommandHeaders
) -> JSONResponse:
    """Run a case command: the body's fields are the use case's keywords (tests/test_command_shape.py holds it)."""
    return case_response(use_case(case_id, h.command(caller, body), **keywords(body)), caller)


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
    if as_of_version is not None and as_of is not None:
        raise InvalidCommand("invalid_input", "give as_of_version or as_of, not both")
    if as_of is not None:
        as_of = as_local(as_of)
    result = queries.get(case_id, caller, as_of_version=as_of_version, as_of=as_of, min_position=min_position)
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


@router.post("/{case_id}/dispatch", response_model=CaseOut, description=doc(CaseService.dispatch))
def dispatch(case_id: UUID, body: Dispatch, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return act(cases.dispatch, case_id, body, caller, h)


@router.post("/{case_id}/sign-for", response_model=CaseOut, description=doc(CaseService.sign_for))
def sign_for(
    case_id: UUID, caller: CallerDep, cases: CasesDep, h: HeadersDep, body: Annotated[Empty | None, Body()] = None
) -> JSONResponse:
    return act(cases.sign_for, case_id, body, caller, h)


@router.post("/{case_id}/return", response_model=CaseOut, description=doc(CaseService.return_case))
def return_case(case_id: UUID, body: Return, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return act(cases.return_case, case_id, body, caller, h)


@router.post("/{case_id}/arbitration", response_model=CaseOut, description=doc(CaseService.arbitrate))
def arbitrate(case_id: UUID, body: ArbitrationIn, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return act(cases.arbitrate, case_id, body, caller, h)


@router.post("/{case_id}/contact", response_model=CaseOut, description=doc(CaseService.contact))
def contact(case_id: UUID, body: Note, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return act(cases.contact, case_id, body, caller, h)


@router.post("/{case_id}/progress", response_model=CaseOut, description=doc(CaseService.progress))
def progress(case_id: UUID, body: Note, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return act(cases.progress, case_id, body, caller, h)


@router.post("/{case_id}/co-reply", response_model=CaseOut, description=doc(CaseService.co_reply))
def co_reply(case_id: UUID, body: Note, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return act(cases.co_reply, case_id, body, caller, h)


@router.post(
    "/{case_id}/co-reply-waiver",
    response_model=CaseOut,
    description=doc(CaseService.waive_co_reply),
)
def waive_co_reply(case_id: UUID, body: Waiver, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return act(cases.waive_co_reply, case_id, body, caller, h)


@router.post(
    "/{case_id}/extension-request",
    response_model=CaseOut,
    description=doc(CaseService.request_extension),
)
def request_extension(
    case_id: UUID, body: ExtensionRequest, caller: CallerDep, cases: CasesDep, h: HeadersDep
) -> JSONResponse:
    return act(cases.request_extension, case_id, body, caller, h)


@router.post(
    "/{case_id}/extension-decision",
    response_model=CaseOut,
    description=doc(CaseService.decide_extension),
)
def decide_extension(
    case_id: UUID, body: ExtensionDecision, caller: CallerDep, cases: CasesDep, h: HeadersDep
) -> JSONResponse:
    return act(cases.decide_extension, case_id, body, caller, h)


@router.post("/{case_id}/escalation", response_model=CaseOut, description=doc(CaseService.escalate))
def escalate(case_id: UUID, body: EscalationIn, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return act(cases.escalate, case_id, body, caller, h)


@router.post("/{case_id}/resolution", response_model=CaseOut, description=doc(CaseService.resolve))
def resolve(case_id: UUID, body: Resolution, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return act(cases.resolve, case_id, body, caller, h)


@router.post("/{case_id}/evaluation", response_model=CaseOut, description=doc(CaseService.evaluate))
def evaluate(case_id: UUID, body: Evaluation, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return act(cases.evaluate, case_id, body, caller, h)


@router.post("/{case_id}/reopen", response_model=CaseOut, description=doc(CaseService.reopen))
def reopen(case_id: UUID, body: Reason, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return act(cases.reopen, case_id, body, caller, h)


@router.post("/{case_id}/closure", response_model=CaseOut, description=doc(CaseService.close))
def close(
    case_id: UUID, caller: CallerDep, cases: CasesDep, h: HeadersDep, body: Annotated[Closure | None, Body()] = None
) -> JSONResponse:
    return act(cases.close, case_id, body, caller, h)


@router.post("/{case_id}/withdrawal", response_model=CaseOut, description=doc(CaseService.withdraw))
def withdraw(case_id: UUID, body: Reason, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return act(cases.withdraw, case_id, body, caller, h)


@router.post(
    "/{case_id}/personal-data-erasure",
    response_model=CaseOut,
    description=doc(CaseService.erase_personal_data),
)
def erase_personal_data(
    case_id: UUID, body: Erasure, caller: CallerDep, cases: CasesDep, h: HeadersDep
) -> JSONResponse:
    return act(cases.erase_personal_data, case_id, body, caller, h)


@router.post("/{case_id}/merge", response_model=CaseOut, description=doc(CaseService.merge))
def merge(case_id: UUID, body: Merge, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return act(cases.merge, case_id, body, caller, h)
