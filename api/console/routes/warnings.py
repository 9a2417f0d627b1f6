"""The warnings board (跟踪预警服务): every open warning the viewer may see, filtered."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from api.console.pages import ConsoleRoute, RenderDep
from api.console.session import ViewerDep
from api.deps import ViewsDep
from api.schemas.common import SearchText
from application.views import PageRequest, WarningFilter

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
Text = Annotated[SearchText | None, Query()]


@router.get("/console/warnings")
def warnings(
    viewer: ViewerDep,
    render: RenderDep,
    views: ViewsDep,
    level: Annotated[Literal["yellow", "red", ""] | None, Query()] = None,
    kind: Text = None,
    department: Text = None,
    zone: Text = None,
    cursor: Text = None,
) -> HTMLResponse:
    f = WarningFilter(level=level or None, kind=kind or None, department=department or None, zone=zone or None)
    page = views.warnings(viewer.actor, PageRequest(100, cursor or None), None, f)
    return render("warnings.html", viewer=viewer, page=page, f=f)
