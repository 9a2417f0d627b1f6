"""Case routes: thin adapters from HTTP to the case use cases."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from api.auth import CallerDep
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
from application.case_queries import CaseQueries
from application.cases import CaseService
from application.views import PageRequest
from domain.errors import InvalidCommand
from domain.schedule import as_local

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
    return case_response(
        cases.dispatch(
            case_id,
            h.command(caller, body),
            tier=body.tier,
            lead_department=body.lead_department,
            co_departments=body.co_departments,
        ),
        caller,
    )


@router.post("/{case_id}/sign-for", response_model=CaseOut, description=doc(CaseService.sign_for))
def sign_for(
    case_id: UUID, caller: CallerDep, cases: CasesDep, h: HeadersDep, body: Annotated[Empty | None, Body()] = None
) -> JSONResponse:
    return case_response(cases.sign_for(case_id, h.command(caller, body)), caller)


@router.post("/{case_id}/return", response_model=CaseOut, description=doc(CaseService.return_case))
def return_case(case_id: UUID, body: Return, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    cmd = h.command(caller, body)
    return case_response(cases.return_case(case_id, cmd, reason=body.reason, basis=body.basis), caller)


@router.post("/{case_id}/arbitration", response_model=CaseOut, description=doc(CaseService.arbitrate))
def arbitrate(case_id: UUID, body: ArbitrationIn, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return case_response(
        cases.arbitrate(
            case_id, h.command(caller, body), decision=body.decision, department=body.department, note=body.note
        ),
        caller,
    )


@router.post("/{case_id}/contact", response_model=CaseOut, description=doc(CaseService.contact))
def contact(case_id: UUID, body: Note, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return case_response(cases.contact(case_id, h.command(caller, body), note=body.note), caller)


@router.post("/{case_id}/progress", response_model=CaseOut, description=doc(CaseService.progress))
def progress(case_id: UUID, body: Note, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return case_response(cases.progress(case_id, h.command(caller, body), note=body.note), caller)


@router.post("/{case_id}/co-reply", response_model=CaseOut, description=doc(CaseService.co_reply))
def co_reply(case_id: UUID, body: Note, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return case_response(cases.co_reply(case_id, h.command(caller, body), note=body.note), caller)


@router.post(
    "/{case_id}/co-reply-waiver",
    response_model=CaseOut,
    description=doc(CaseService.waive_co_reply),
)
def waive_co_reply(case_id: UUID, body: Waiver, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return case_response(
        cases.waive_co_reply(case_id, h.command(caller, body), department=body.department, reason=body.reason),
        caller,
    )


@router.post(
    "/{case_id}/extension-request",
    response_model=CaseOut,
    description=doc(CaseService.request_extension),
)
def request_extension(
    case_id: UUID, body: ExtensionRequest, caller: CallerDep, cases: CasesDep, h: HeadersDep
) -> JSONResponse:
    return case_response(
        cases.request_extension(
            case_id, h.command(caller, body), extra_working_days=body.extra_working_days, reason=body.reason
        ),
        caller,
    )


@router.post(
    "/{case_id}/extension-decision",
    response_model=CaseOut,
    description=doc(CaseService.decide_extension),
)
def decide_extension(
    case_id: UUID, body: ExtensionDecision, caller: CallerDep, cases: CasesDep, h: HeadersDep
) -> JSONResponse:
    return case_response(
        cases.decide_extension(case_id, h.command(caller, body), approved=body.approved, note=body.note), caller
    )


@router.post("/{case_id}/escalation", response_model=CaseOut, description=doc(CaseService.escalate))
def escalate(case_id: UUID, body: EscalationIn, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return case_response(
        cases.escalate(case_id, h.command(caller, body), level=body.level, reason=body.reason, due=body.due), caller
    )


@router.post("/{case_id}/resolution", response_model=CaseOut, description=doc(CaseService.resolve))
def resolve(case_id: UUID, body: Resolution, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return case_response(
        cases.resolve(case_id, h.command(caller, body), reply=body.reply, outcome=body.outcome, reason=body.reason),
        caller,
    )


@router.post("/{case_id}/evaluation", response_model=CaseOut, description=doc(CaseService.evaluate))
def evaluate(case_id: UUID, body: Evaluation, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return case_response(
        cases.evaluate(
            case_id, h.command(caller, body), satisfaction=body.satisfaction, solved=body.solved, comment=body.comment
        ),
        caller,
    )


@router.post("/{case_id}/reopen", response_model=CaseOut, description=doc(CaseService.reopen))
def reopen(case_id: UUID, body: Reason, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return case_response(cases.reopen(case_id, h.command(caller, body), reason=body.reason), caller)


@router.post("/{case_id}/closure", response_model=CaseOut, description=doc(CaseService.close))
def close(
    case_id: UUID, caller: CallerDep, cases: CasesDep, h: HeadersDep, body: Annotated[Closure | None, Body()] = None
) -> JSONResponse:
    note = body.note if body else None
    return case_response(cases.close(case_id, h.command(caller, body), note=note), caller)


@router.post("/{case_id}/withdrawal", response_model=CaseOut, description=doc(CaseService.withdraw))
def withdraw(case_id: UUID, body: Reason, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return case_response(cases.withdraw(case_id, h.command(caller, body), reason=body.reason), caller)


@router.post(
    "/{case_id}/personal-data-erasure",
    response_model=CaseOut,
    description=doc(CaseService.erase_personal_data),
)
def erase_personal_data(
    case_id: UUID, body: Erasure, caller: CallerDep, cases: CasesDep, h: HeadersDep
) -> JSONResponse:
    return case_response(cases.erase_personal_data(case_id, h.command(caller, body), reason=body.reason), caller)


@router.post("/{case_id}/merge", response_model=CaseOut, description=doc(CaseService.merge))
def merge(case_id: UUID, body: Merge, caller: CallerDep, cases: CasesDep, h: HeadersDep) -> JSONResponse:
    return case_response(cases.merge(case_id, h.command(caller, body), into=body.into, note=body.note), caller)
