"""What a route or a page depends on: one service each, taken from the container built in the lifespan.

Every provider is async and does no I/O, so FastAPI calls it on the event loop rather than through its
thread pool. Routes name the service they use (`cases: CasesDep`), never the whole container.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from application.audit import AuditService
from application.case_queries import CaseQueries
from application.cases import CaseService
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


async def _cases(container: ContainerDep) -> CaseService:
    return container.cases


async def _case_queries(container: ContainerDep) -> CaseQueries:
    return container.queries


async def _tokens(container: ContainerDep) -> TokenService:
    return container.tokens


async def _views(container: ContainerDep) -> ViewService:
    return container.view_service


async def _audit(container: ContainerDep) -> AuditService:
    return container.audit


async def _projects(container: ContainerDep) -> ProjectService:
    return container.projects


async def _project_views(container: ContainerDep) -> ProjectViews:
    return container.project_views


async def _reports(container: ContainerDep) -> ReportService:
    return container.reports


async def _zone_reports(container: ContainerDep) -> ZoneReportService:
    return container.zone_reports


async def _directory(container: ContainerDep) -> Directory:
    return container.directory


async def _settings(container: ContainerDep) -> Settings:
    return container.settings


CasesDep = Annotated[CaseService, Depends(_cases)]
CaseQueriesDep = Annotated[CaseQueries, Depends(_case_queries)]
TokensDep = Annotated[TokenService, Depends(_tokens)]
ViewsDep = Annotated[ViewService, Depends(_views)]
AuditDep = Annotated[AuditService, Depends(_audit)]
ProjectsDep = Annotated[ProjectService, Depends(_projects)]
ProjectViewsDep = Annotated[ProjectViews, Depends(_project_views)]
ReportsDep = Annotated[ReportService, Depends(_reports)]
ZoneReportsDep = Annotated[ZoneReportService, Depends(_zone_reports)]
DirectoryDep = Annotated[Directory, Depends(_directory)]
SettingsDep = Annotated[Settings, Depends(_settings)]
