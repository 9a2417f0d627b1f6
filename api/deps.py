"""What a route or a page depends on: one service each, taken from the container built in the lifespan.

Every provider is async and does no I/O, so FastAPI calls it on the event loop rather than through its
thread pool. Routes name the service they use (`cases: CasesDep`), never the whole container.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from application.audit import AuditService
from application.case_queries import CaseQueries
from application.cases import CaseService
from application.personal_data import AccessLogQueries
from application.project_views import ProjectViews
from application.projects import ProjectService
from application.reports import ReportService
from application.tokens import TokenService
from application.views import ViewService
from application.zone_report import ZoneReportService
from domain.directory import Directory
from infrastructure.container import Container
from infrastructure.settings import Settings


async def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def _service(name: str) -> Callable[[Request], Awaitable[Any]]:
    """A provider of one long-lived service of the container (no I/O: it runs on the event loop)."""

    async def provide(request: Request) -> Any:
        return getattr(request.app.state.container, name)

    provide.service = name  # type: ignore[attr-defined]  # read by api/fast_routes.py
    return provide


CasesDep = Annotated[CaseService, Depends(_service("cases"))]
CaseQueriesDep = Annotated[CaseQueries, Depends(_service("queries"))]
TokensDep = Annotated[TokenService, Depends(_service("tokens"))]
ViewsDep = Annotated[ViewService, Depends(_service("view_service"))]
AuditDep = Annotated[AuditService, Depends(_service("audit"))]
AccessLogDep = Annotated[AccessLogQueries, Depends(_service("access_log"))]
ProjectsDep = Annotated[ProjectService, Depends(_service("projects"))]
ProjectViewsDep = Annotated[ProjectViews, Depends(_service("project_views"))]
ReportsDep = Annotated[ReportService, Depends(_service("reports"))]
ZoneReportsDep = Annotated[ZoneReportService, Depends(_service("zone_reports"))]
DirectoryDep = Annotated[Directory, Depends(_service("directory"))]
SettingsDep = Annotated[Settings, Depends(_service("settings"))]
