"""A project as a person reads it: its milestones planned and reached, its progress, its place on the four lists,
and its open issues (cases) with their references."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.access import PERMITTED
from application.projects import ProjectAnswer, ProjectService
from application.views import CaseFilter, PageRequest, ViewService
from domain.values import Actor

MOST_ISSUES = 200


@dataclass(frozen=True)
class ProjectStory:
    answer: ProjectAnswer
    issues: list[dict[str, Any]]  # the open issues' case-list rows the reader may see


class ProjectStories:
    def __init__(self, projects: ProjectService, views: ViewService) -> None:
        self.projects = projects
        self.views = views

    def story(self, project_id: UUID, by: Actor) -> ProjectStory:
        """The project (as `GET /v1/projects/{id}`) and the case rows of its open issues that `by` may list."""
        answer = self.projects.get(project_id, by)
        open_ids = set(answer.open_issue_ids)
        rows: list[dict[str, Any]] = []
        if open_ids and by.role in PERMITTED["list_cases"]:  # a reporter sees how many, not which
            page = self.views.list_cases(by, CaseFilter(project_id=str(project_id)), PageRequest(MOST_ISSUES))
            rows = [r for r in page.items if r["id"] in open_ids]
        return ProjectStory(answer, rows)
