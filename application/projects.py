"""Project use cases: register, record milestones, report progress, read a project and its history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

from application.access import require_role
from application.case_queries import history_entry
from application.errors import NotFound
from application.execution import CommandContext
from application.names import Names, named
from application.project_execution import ProjectExecutor, ProjectResult
from application.views import PositionWaiter, Wait
from domain.errors import StateConflict
from domain.project import Milestone, Project
from domain.project_lists import Standing, standings
from domain.schedule import local_date
from domain.values import Actor, Role

ISSUES_PROJECTION = "cases"


@dataclass(frozen=True)
class NewProject:
    """What a coordinator states when registering a project (validated at the boundary)."""

    name: str
    code: str
    owner: dict[str, str]
    zone: str
    planned_investment: float
    planned: dict[str, date]  # start, completion, production
    signed_on: date | None = None


@dataclass(frozen=True)
class ProjectAnswer:
    """A project as answered: its state, position, open issues and its place on the four lists today."""

    project: Project
    position: int
    open_issue_ids: list[str]
    lists: dict[str, Standing]
    replayed: bool = False


class OpenIssues(Protocol):
    """The open project issues, from the case views."""

    def position(self, projection: str) -> int: ...

    def open_issue_ids(self, project_id: str) -> list[str]: ...


def can_see_project(by: Actor, project: Project) -> bool:
    """Staff read every project; an enterprise only its own (by the owner's credit code)."""
    if by.role is Role.ENTERPRISE:
        return by.credit_code is not None and project.owner.get("credit_code") == by.credit_code
    return by.role in (Role.COORDINATOR, Role.HANDLER, Role.AUDITOR, Role.REPORTER)


class ProjectService:
    """The major projects (重大项目) of DOMAIN.md, one method per use case."""

    def __init__(self, executor: ProjectExecutor, issues: OpenIssues, names: Names, wait: Wait | None = None) -> None:
        self.executor = executor
        self.issues = issues
        self.names = names
        self.wait: Wait = wait or PositionWaiter(issues.position)

    def register(self, cmd: CommandContext, new: NewProject) -> ProjectAnswer:
        """Register a signed project (签约注册). The code is unique (409 `project_code_taken`, compared without case);
        planned dates go start → completion → production; `signed_on` (default: today) may not lie in the future."""

        def make(at: datetime) -> Project:
            return Project.register(
                by=cmd.by,
                at=at,
                name=new.name,
                code=new.code,
                owner=new.owner,
                zone=new.zone,
                planned_investment=new.planned_investment,
                planned=new.planned,
                signed_on=new.signed_on,
            )

        return self._answer(self.executor.create(cmd, "register_project", lambda at: (make(at),), taken=_code_taken))

    def record_milestone(
        self, project_id: UUID, cmd: CommandContext, *, milestone: Milestone, date: date, evidence: str | None
    ) -> ProjectAnswer:
        """Record a milestone with its real date and optional evidence, in the order started → in_statistics →
        completed → in_production (409 `milestone_out_of_order`), once each (409 `milestone_already_recorded`).
        `in_statistics` (入库入统) is compulsory before `completed` at a planned investment of 500万元 or more.
        The date may not precede `signed_on` (422 `milestone_before_signing`) or an earlier milestone, nor lie in
        the future (422 `milestone_in_future`)."""
        result = self.executor.run(
            project_id,
            cmd,
            "record_milestone",
            lambda p, at: p.record_milestone(cmd.by, at, milestone=milestone, on=date, evidence=evidence),
        )
        return self._answer(result)

    def report_progress(
        self,
        project_id: UUID,
        cmd: CommandContext,
        *,
        percent_complete: float,
        investment_to_date: float,
        note: str | None,
    ) -> ProjectAnswer:
        """Report progress: percent complete (0–100) and the investment to date (万元); the latest report counts."""
        result = self.executor.run(
            project_id,
            cmd,
            "report_progress",
            lambda p, at: p.report_progress(
                cmd.by, at, percent_complete=percent_complete, investment_to_date=investment_to_date, note=note
            ),
        )
        return self._answer(result)

    def get(self, project_id: UUID, by: Actor, min_position: int | None = None) -> ProjectAnswer:
        """The project now, with its open issues (`open_issues`, `open_issue_ids`: open cases of kind
        project_issue naming it) and its colour on each of the four lists it is on today. Coordinators, handlers,
        auditors and reporters read every project; an enterprise its own. `min_position` waits (up to 5 s) for
        the case views, so a project issue just registered is counted."""
        require_role(by, "read_project")
        project = self.load_visible(project_id, by)
        self.wait(ISSUES_PROJECTION, min_position)
        return self._answer(ProjectResult(project, self.executor.position(project.id, project.version)))

    def history(self, project_id: UUID, by: Actor) -> list[dict[str, Any]]:
        """Every event of the project with its actor and hashes (coordinators and auditors)."""
        require_role(by, "project_history")
        self.load_visible(project_id, by)
        return named([history_entry(e) for e in self.executor.store.events.get(project_id)], self.names)

    def is_visible(self, project_id: str, by: Actor) -> bool:
        """Whether `project_id` names a project this caller may see (project issues must name one)."""
        try:
            self.load_visible(UUID(project_id), by)
        except (ValueError, NotFound):
            return False
        return True

    def load_visible(self, project_id: UUID, by: Actor) -> Project:
        """A project the caller may not see answers exactly like one that does not exist."""
        project = self.executor.load(project_id)
        if not can_see_project(by, project):
            raise NotFound("no such project")
        return project

    def _answer(self, result: ProjectResult) -> ProjectAnswer:
        project = result.project
        today = local_date(self.executor.clock.now())
        return ProjectAnswer(
            project=project,
            position=result.position,
            open_issue_ids=self.issues.open_issue_ids(str(project.id)),
            lists=standings(project.facts(), today),
            replayed=result.replayed,
        )


def _code_taken(project: Project) -> StateConflict:
    return StateConflict("project_code_taken", f"a project with the code {project.code} is already registered")
