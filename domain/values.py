"""Value types of the domain: roles, statuses, tiers and the other closed vocabularies."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    COORDINATOR = "coordinator"
    HANDLER = "handler"
    ENTERPRISE = "enterprise"
    AUDITOR = "auditor"
    REPORTER = "reporter"
    ADMIN = "admin"
    SYSTEM = "system"


class Status(StrEnum):
    REGISTERED = "registered"
    DISPATCHED = "dispatched"
    RETURNED = "returned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    EVALUATED = "evaluated"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    MERGED = "merged"

    @property
    def is_open(self) -> bool:
        return self not in (Status.CLOSED, Status.WITHDRAWN, Status.MERGED)


class Kind(StrEnum):
    ENTERPRISE_PROBLEM = "enterprise_problem"
    PROJECT_ISSUE = "project_issue"


class Tier(StrEnum):
    HANDLING = "handling"
    RESOLUTION = "resolution"


class Channel(StrEnum):
    VISIT = "visit"
    HOTLINE = "hotline"
    ONLINE = "online"
    MEETING = "meeting"
    LETTER = "letter"


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class Category(StrEnum):
    APPROVAL = "approval"
    POLICY = "policy"
    LAND = "land"
    UTILITIES = "utilities"
    INFRASTRUCTURE = "infrastructure"
    FINANCING = "financing"
    TALENT = "talent"
    MARKET = "market"
    TECHNOLOGY = "technology"
    ENVIRONMENT = "environment"
    OTHER = "other"


class Outcome(StrEnum):
    SOLVED = "solved"
    EXPLAINED = "explained"
    UNSOLVABLE = "unsolvable"


class Satisfaction(StrEnum):
    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"
    VERY_DISSATISFIED = "very_dissatisfied"

    @property
    def is_dissatisfied(self) -> bool:
        return self in (Satisfaction.DISSATISFIED, Satisfaction.VERY_DISSATISFIED)


class Escalation(StrEnum):
    URGE = "urge"
    SUPERVISE = "supervise"
    LISTED = "listed"

    @property
    def rank(self) -> int:
        return list(Escalation).index(self)


class Arbitration(StrEnum):
    UPHOLD = "uphold"
    REASSIGN = "reassign"


@dataclass(frozen=True)
class Actor:
    """Who did something: always the authenticated caller, never a field the caller sends."""

    id: str
    role: Role
    department: str | None = None
    credit_code: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "role": self.role.value,
            "department": self.department,
            "credit_code": self.credit_code,
        }


SYSTEM_TRACKING = Actor(id="system:tracking", role=Role.SYSTEM)
CLI = Actor(id="cli", role=Role.ADMIN)
