"""重大项目: the four lists (开工入库, 加快建设, 按期竣工, 投产达效) as columns of cards, and a project's page."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from api.console.pages import ConsoleRoute, RenderDep
from api.console.session import ViewerDep
from api.deps import ProjectsDep, ProjectViewsDep, ViewsDep
from application.errors import NotFound
from application.project_story import ProjectStories
from domain.project import Milestone

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
ZoneQuery = Annotated[Literal["zone-1", "zone-2", "zone-3", "zone-4", ""] | None, Query()]
ListQuery = Annotated[Literal["start", "construction", "completion", "production", ""] | None, Query()]


async def _stories(projects: ProjectsDep, views: ViewsDep) -> ProjectStories:
    return ProjectStories(projects, views)


StoriesDep = Annotated[ProjectStories, Depends(_stories)]


@router.get("/console/projects")
def four_lists(
    viewer: ViewerDep,
    render: RenderDep,
    views: ProjectViewsDep,
    zone: ZoneQuery = None,
    list: ListQuery = None,  # noqa: A002
) -> HTMLResponse:
    lists = views.four_lists(viewer.actor, zone or None, list or None)
    return render("projects.html", viewer=viewer, lists=lists, query={"zone": zone or "", "list": list or ""})


@router.get("/console/projects/{project_id}")
def project_page(project_id: str, viewer: ViewerDep, render: RenderDep, stories: StoriesDep) -> HTMLResponse:
    try:
        found = stories.story(UUID(project_id), viewer.actor)
    except ValueError:
        raise NotFound() from None
    return render("project.html", viewer=viewer, story=found, p=found.answer.project, milestones=list(Milestone))
