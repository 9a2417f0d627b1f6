"""The first screen, by role: the coordinator's three boards, a department's inbox, an enterprise's own cases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from api.console.pages import ConsoleRoute, RenderDep
from api.console.session import ViewerDep
from api.deps import ViewsDep
from application.dashboard import Dashboard
from application.views import CaseFilter, PageRequest
from domain.values import Role

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


async def _dashboard(views: ViewsDep) -> Dashboard:
    return Dashboard(views)


DashboardDep = Annotated[Dashboard, Depends(_dashboard)]


@router.get("/console/")
def home(viewer: ViewerDep, render: RenderDep, dashboard: DashboardDep, views: ViewsDep) -> HTMLResponse:
    role = viewer.actor.role
    if role is Role.COORDINATOR:
        return render("home_coordinator.html", viewer=viewer, boards=dashboard.boards(viewer.actor))
    if role is Role.HANDLER:
        return render("home_handler.html", viewer=viewer, inbox=dashboard.inbox(viewer.actor))
    if role is Role.ENTERPRISE:
        page = views.list_cases(viewer.actor, CaseFilter(), PageRequest(100))
        return render("home_enterprise.html", viewer=viewer, cases=page.items)
    return render("home_other.html", viewer=viewer)
