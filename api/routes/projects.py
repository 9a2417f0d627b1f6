"""Project routes: thin adapters from HTTP to the project use cases and the four lists (四张清单)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.auth import CallerDep
from api.command_routes import Command, Commands
from api.commands import HeadersDep
from api.deps import AuditDep, ProjectsDep, ProjectViewsDep
from api.fast_routes import FastRoute
from api.presenters import verification_body
from api.project_presenters import project_response
from api.routes.params import MinPosition, PagingDep, doc, page_answer
from api.schemas.common import HistoryOut, SearchText, VerificationOut
from api.schemas.projects import (
    Colour,
    ListName,
    ListPage,
    MilestoneIn,
    ProgressIn,
    ProjectOut,
    ProjectPage,
    RegisterProject,
    Zone,
)
from application.audit import AuditService
from application.project_views import ProjectFilter, ProjectViews
from application.projects import NewProject, ProjectService

router = APIRouter(tags=["projects"], route_class=FastRoute)


@router.post(
    "/v1/projects",
    status_code=201,
    response_model=ProjectOut,
    description=doc(ProjectService.register),
)
def register(body: RegisterProject, caller: CallerDep, projects: ProjectsDep, h: HeadersDep) -> JSONResponse:
    new = NewProject(
        name=body.name,
        code=body.code,
        owner=body.owner.model_dump(),
        zone=body.zone,
        planned_investment=body.planned_investment,
        planned=body.planned.model_dump(),
        signed_on=body.signed_on,
    )
    answer = projects.register(h.command(caller, body), new)
    return project_response(answer, 201, {"Location": f"/v1/projects/{answer.project.id}"})


@router.get("/v1/projects", response_model=ProjectPage, description=doc(ProjectViews.list_projects))
def list_projects(
    caller: CallerDep,
    project_views: ProjectViewsDep,
    paging: PagingDep,
    zone: Zone | None = None,
    list: ListName | None = None,  # noqa: A002 - the contract's parameter name
    colour: Colour | None = None,
    q: Annotated[SearchText | None, Query(description="text searched in name and code")] = None,
) -> JSONResponse:
    f = ProjectFilter(zone=zone, list=list, colour=colour, q=q or None)
    page = project_views.list_projects(caller, f, paging.page, paging.min_position)
    return page_answer(page)


@router.get("/v1/views/projects", response_model=ListPage, description=doc(ProjectViews.on_list))
def on_list(
    caller: CallerDep,
    project_views: ProjectViewsDep,
    list: Annotated[ListName, Query(description="which of the four lists")],  # noqa: A002 - the contract's name
    paging: PagingDep,
) -> JSONResponse:
    page = project_views.on_list(caller, list, paging.page, paging.min_position)
    return page_answer(page)


@router.get("/v1/projects/{project_id}", response_model=ProjectOut, description=doc(ProjectService.get))
def get_project(
    project_id: UUID, caller: CallerDep, projects: ProjectsDep, min_position: MinPosition = None
) -> JSONResponse:
    return project_response(projects.get(project_id, caller, min_position))


@router.get(
    "/v1/projects/{project_id}/history",
    response_model=HistoryOut,
    description=doc(ProjectService.history),
)
def history(project_id: UUID, caller: CallerDep, projects: ProjectsDep) -> JSONResponse:
    events = projects.history(project_id, caller)
    return JSONResponse({"events": [{**e, "at": e["at"].isoformat()} for e in events]})


@router.get(
    "/v1/projects/{project_id}/verification",
    response_model=VerificationOut,
    description=doc(AuditService.verify_stream),
)
def verify(project_id: UUID, caller: CallerDep, audit: AuditDep) -> JSONResponse:
    result = audit.verify_stream(caller, project_id, "casetrail:ProjectRegistered")
    return JSONResponse(verification_body(result))


COMMANDS = (
    Command("milestones", "record_milestone", MilestoneIn),
    Command("progress", "report_progress", ProgressIn),
)
Commands(
    "/v1/projects/{project_id}",
    "project_id",
    ProjectService,
    ProjectsDep,
    lambda answer, _: project_response(answer),
    ProjectOut,
).add(router, COMMANDS)
