"""View routes: the case list and the three tiers' queues, read from projections."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.auth import CallerDep
from api.deps import ViewsDep
from api.routes.params import PagingDep, doc, page_answer
from api.schemas.common import SearchText
from api.schemas.views import CaseSummaryPage, WarningPage
from application.views import CaseFilter, ViewService, WarningFilter
from domain.values import Status, Tier

router = APIRouter(tags=["views"])


@router.get("/v1/cases", response_model=CaseSummaryPage, description=doc(ViewService.list_cases))
def list_cases(
    caller: CallerDep,
    views: ViewsDep,
    paging: PagingDep,
    status: Status | None = None,
    tier: Tier | None = None,
    department: Annotated[SearchText | None, Query()] = None,
    credit_code: Annotated[SearchText | None, Query()] = None,
    project_id: Annotated[SearchText | None, Query()] = None,
    reference: Annotated[SearchText | None, Query()] = None,
    q: Annotated[SearchText | None, Query(description="text searched in title and description")] = None,
) -> JSONResponse:
    filters = CaseFilter(
        status=status.value if status else None,
        tier=tier.value if tier else None,
        department=department,
        credit_code=credit_code,
        project_id=project_id,
        reference=reference,
        q=q or None,
    )
    return page_answer(views.list_cases(caller, filters, paging.page, paging.min_position))


@router.get("/v1/views/handling", response_model=CaseSummaryPage, description=doc(ViewService.handling))
def handling(caller: CallerDep, views: ViewsDep, paging: PagingDep) -> JSONResponse:
    return page_answer(views.handling(caller, paging.page, paging.min_position))


@router.get("/v1/views/resolution", response_model=CaseSummaryPage, description=doc(ViewService.resolution))
def resolution(caller: CallerDep, views: ViewsDep, paging: PagingDep) -> JSONResponse:
    return page_answer(views.resolution(caller, paging.page, paging.min_position))


@router.get("/v1/views/warnings", response_model=WarningPage, description=doc(ViewService.warnings))
def warnings(
    caller: CallerDep,
    views: ViewsDep,
    paging: PagingDep,
    level: Annotated[Literal["yellow", "red"] | None, Query(description="yellow or red")] = None,
    kind: Annotated[SearchText | None, Query(description="a kind (`sign_for`) or a family (`co_reply`)")] = None,
    department: Annotated[SearchText | None, Query(description="whose warning it is (department code)")] = None,
    zone: Annotated[SearchText | None, Query(description="warnings of the departments of this zone")] = None,
) -> JSONResponse:
    f = WarningFilter(level=level, kind=kind or None, department=department or None, zone=zone or None)
    return page_answer(views.warnings(caller, paging.page, paging.min_position, f))
