"""Finding cases: search by reference or Chinese text, filter by status, tier, department and light, page on."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from api.console.pages import ConsoleRoute, RenderDep
from api.console.session import ViewerDep
from api.deps import ViewsDep
from api.schemas.common import SearchText
from application.views import CaseFilter, PageRequest
from domain.reference import as_reference
from domain.values import Status, Tier

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
Text = Annotated[SearchText | None, Query()]
PAGE = 30


@router.get("/console/cases")
def case_list(
    viewer: ViewerDep,
    render: RenderDep,
    views: ViewsDep,
    q: Text = None,
    status: Annotated[Status | Literal[""] | None, Query()] = None,
    tier: Annotated[Tier | Literal[""] | None, Query()] = None,
    department: Text = None,
    level: Annotated[Literal["red", "yellow", "none", ""] | None, Query()] = None,
    cursor: Text = None,
) -> HTMLResponse:
    text = (q or "").strip()
    reference = as_reference(text)
    f = CaseFilter(
        status=status or None,
        tier=tier or None,
        department=department or None,
        reference=reference,
        q=None if reference or not text else text,
        warning_level=level or None,
    )
    page = views.list_cases(viewer.actor, f, PageRequest(PAGE, cursor or None))
    query = {
        "q": text,
        "status": status or "",
        "tier": tier or "",
        "department": department or "",
        "level": level or "",
    }
    return render("cases.html", viewer=viewer, page=page, query=query)
