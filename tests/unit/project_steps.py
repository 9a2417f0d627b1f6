"""Steps that register and drive a major project on the application layer."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from application.execution import CommandContext
from application.projects import NewProject, ProjectAnswer
from domain.project import Milestone
from domain.values import Actor
from infrastructure.container import Container
from tests.conftest import CODE, COORDINATOR

TODAY = date(2026, 11, 26)  # the local day of tests.conftest.START


def days(n: int) -> date:
    """The day `n` days from TODAY (negative: before it)."""
    return TODAY + timedelta(days=n)


def new_project(**overrides: Any) -> NewProject:
    fields: dict[str, Any] = {
        "name": "远大医药放射性药物研发及生产基地项目",
        "code": "WJ-2026-001",
        "owner": {"name": "远大医药（中国）有限公司", "credit_code": CODE},
        "zone": "zone-1",
        "planned_investment": 120_000.0,
        "planned": {"start": days(30), "completion": days(400), "production": days(500)},
        "signed_on": days(-400),
    }
    fields.update(overrides)
    return NewProject(**fields)


def register_project(container: Container, by: Actor = COORDINATOR, **overrides: Any) -> UUID:
    return container.projects.register(CommandContext(by), new_project(**overrides)).project.id


def milestone(container: Container, project_id: UUID, which: Milestone, on: date, **kwargs: Any) -> ProjectAnswer:
    return container.projects.record_milestone(
        project_id, CommandContext(COORDINATOR, **kwargs), milestone=which, date=on, evidence=None
    )


def progress(container: Container, project_id: UUID, percent: float, invested: float = 0.0) -> ProjectAnswer:
    return container.projects.report_progress(
        project_id, CommandContext(COORDINATOR), percent_complete=percent, investment_to_date=invested, note=None
    )
