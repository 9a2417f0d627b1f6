"""How project commands run: the shared executor; every caller with the role sees every project it writes."""

from __future__ import annotations

from dataclasses import dataclass

from application.execution import StreamExecutor
from domain.project import Project


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
