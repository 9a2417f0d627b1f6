"""View pages: the case list, the tier queues and the warnings board."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from api.schemas.cases import DueOut
from api.schemas.common import EXAMPLE_CASE_CORE, examples


class CaseSummary(BaseModel):
    """A row of the case list and of the tier views."""

    id: str
    reference: str
    kind: str
    title: str
    enterprise: dict[str, str]
    project_id: str | None
    category: str
    status: str
    tier: str | None
    lead_department: str | None
    co_departments: list[str]
    round: int
    escalation_level: str | None
    warning_level: str | None
    due: dict[str, DueOut]
    main_due: str | None
    co_replies: list[dict[str, Any]]
    extension: dict[str, Any] | None
    registered_at: str
    updated_at: str
    version: int
    position: int


class CaseSummaryPage(BaseModel):
    items: list[CaseSummary]
    next_cursor: str | None

    model_config = examples(
        {
            "items": [
                {
                    **EXAMPLE_CASE_CORE,
                    "warning_level": None,
                    "due": {"sign_for": {"due": "2026-11-27", "provisional": False, "policy_version": "2026.1"}},
                    "main_due": "2026-12-17",
                    "co_replies": [{"department": "finance", "status": "pending", "due": "2026-12-01"}],
                    "extension": {"extended_working_days": 0, "pending": None},
                    "registered_at": "2026-11-26T06:20:11+00:00",
                    "updated_at": "2026-11-26T06:27:01+00:00",
                    "version": 2,
                    "position": 12,
                }
            ],
            "next_cursor": None,
        }
    )


class WarningItem(BaseModel):
    id: str
    key: str
    level: str
    kind: str
    since: str
    department: str
    subject: str
    reference: str


class WarningPage(BaseModel):
    items: list[WarningItem]
    next_cursor: str | None

    model_config = examples(
        {
            "items": [
                {
                    "id": "5fdb44bc-62f0-489b-abb3-109bdcce9bbe",
                    "key": "escalation",
                    "level": "red",
                    "kind": "escalation:supervise",
                    "since": "2026-12-03T02:00:00+00:00",
                    "department": "econ-info",
                    "subject": "QY-2026-000001 核药车间蒸汽管道无接入路径",
                    "reference": "QY-2026-000001",
                }
            ],
            "next_cursor": None,
        }
    )
