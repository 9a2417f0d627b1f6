"""The Project aggregate's events: each only assigns state, so replay never re-decides anything.

`Project` nests each of them (`Project.MilestoneRecorded`, ...), as the library wants. Stored names are data:
every event has an explicit TOPIC, and a TOPIC is never renamed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.audited import AuditedAggregate
from domain.schedule import local_date

if TYPE_CHECKING:
    from domain.project import Project


class ProjectState:
    """The state the events below assign, declared for type checkers only: the library turns runtime
    annotations on an aggregate into fields of its created event. `Project` has these fields."""

    name: str
    code: str
    owner: dict[str, str]
    zone: str
    planned_investment: float
    planned: dict[str, str]
    signed_on: str
    milestones: dict[str, dict[str, Any]]
    progress: dict[str, Any] | None


class Created(AuditedAggregate.Created):
    TOPIC = "casetrail:ProjectRegistered"
    name: str
    code: str
    owner: dict[str, str]
    zone: str
    planned_investment: float
    planned: dict[str, str]
    signed_on: str

    def apply(self, project: Project) -> None:
        project.name = self.name
        project.code = self.code
        project.owner = dict(self.owner)
        project.zone = self.zone
        project.planned_investment = self.planned_investment
        project.planned = dict(self.planned)
        project.signed_on = self.signed_on
        project.milestones = {}
        project.progress = None


class MilestoneRecorded(AuditedAggregate.Event):
    TOPIC = "casetrail:ProjectMilestoneRecorded"
    milestone: str
    date: str
    evidence: str | None

    def apply(self, project: Project) -> None:
        project.milestones[self.milestone] = {"date": self.date, "evidence": self.evidence}


class ProgressReported(AuditedAggregate.Event):
    TOPIC = "casetrail:ProjectProgressReported"
    percent_complete: float
    investment_to_date: float
    note: str | None

    def apply(self, project: Project) -> None:
        project.progress = {
            "percent_complete": self.percent_complete,
            "investment_to_date": self.investment_to_date,
            "note": self.note,
            "reported_on": local_date(self.timestamp).isoformat(),
        }
