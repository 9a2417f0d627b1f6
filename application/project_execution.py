"""How project commands run: the shared executor, with creation by code and no per-caller visibility."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.execution import Command, StreamExecutor
from domain.errors import StateConflict
from domain.project import Project

ProjectAction = Callable[[Project, datetime], None]


@dataclass(frozen=True)
class ProjectResult:
    """A project as it stands after a command, with the global position of its last event."""

    project: Project
    position: int
    replayed: bool = False


class ProjectExecutor(StreamExecutor[Project, ProjectResult]):
    kind = Project
    missing = "no such project"

    def result(self, aggregate: Project, position: int, replayed: bool = False) -> ProjectResult:
        return ProjectResult(aggregate, position, replayed)

    def create(self, cmd: Command, make: Callable[[datetime], Project]) -> ProjectResult:
        """Save a new project; its id follows from its code, so a taken code collides on the first version."""
        replay = self.replay(cmd)
        if replay:
            return replay
        project = make(self.clock.now())
        result = self.save(project, [], cmd)
        if result:
            return result
        raise StateConflict("project_code_taken", f"a project with the code {project.code} is already registered")

    def run(self, project_id: UUID, cmd: Command, action: ProjectAction) -> ProjectResult:
        return self.attempts(project_id, cmd, lambda: self.load(project_id), action)
