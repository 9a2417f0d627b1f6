"""Request and response bodies of the project endpoints (API.md "Projects"), with the examples /docs shows."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from api.schemas.common import EXAMPLE_CODE, Body, EnterpriseIn, SaneDate, Short, Text, examples
from domain.project import Milestone

ProjectCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")]
Amount = Annotated[float, Field(ge=0, le=1e9, description="万元")]
Zone = Literal["zone-1", "zone-2", "zone-3", "zone-4"]
ListName = Literal["start", "construction", "completion", "production"]
Colour = Literal["green", "yellow", "red"]
EXAMPLE_ID = "0b3e8f0c-5a0e-5d1f-9c33-0f7a3c1e2b44"


class PlannedIn(Body):
    start: SaneDate
    completion: SaneDate
    production: SaneDate


class RegisterProject(Body):
    name: Short
    code: ProjectCode
    owner: EnterpriseIn
    zone: Zone
    planned_investment: Annotated[float, Field(gt=0, le=1e9, description="planned investment, 万元")]
    planned: PlannedIn
    signed_on: SaneDate | None = Field(default=None, description="the signing day; default: today (Asia/Shanghai)")

    model_config = examples(
        {
            "name": "远大医药放射性药物研发及生产基地项目",
            "code": "WJ-2026-001",
            "owner": {"name": "远大医药（中国）有限公司", "credit_code": EXAMPLE_CODE},
            "zone": "zone-1",
            "planned_investment": 120000,
            "planned": {"start": "2026-12-15", "completion": "2028-06-30", "production": "2028-12-31"},
            "signed_on": "2026-03-18",
        }
    )


class MilestoneIn(Body):
    milestone: Milestone
    date: SaneDate
    evidence: Text | None = None

    model_config = examples({"milestone": "started", "date": "2026-11-20", "evidence": "施工许可证 510115202611200101"})


class ProgressIn(Body):
    percent_complete: Annotated[float, Field(ge=0, le=100)]
    investment_to_date: Amount
    note: Text | None = None

    model_config = examples({"percent_complete": 35, "investment_to_date": 42000, "note": "主体结构封顶"})


class StandingOut(BaseModel):
    colour: Colour
    reason: str
    since: date | None


EXAMPLE_STANDING = {"colour": "yellow", "reason": "序时进度50%，实际完成35%，落后15个百分点", "since": "2026-10-02"}
EXAMPLE_PROJECT: dict[str, Any] = {
    "id": EXAMPLE_ID,
    "name": "远大医药放射性药物研发及生产基地项目",
    "code": "WJ-2026-001",
    "owner": {"name": "远大医药（中国）有限公司", "credit_code": EXAMPLE_CODE},
    "zone": "zone-1",
    "planned_investment": 120000.0,
    "planned": {"start": "2025-12-15", "completion": "2027-12-15", "production": "2028-06-30"},
    "signed_on": "2025-03-18",
    "milestones": {"started": "2025-12-20", "in_statistics": "2026-01-10", "completed": None, "in_production": None},
    "percent_complete": 35.0,
    "investment_to_date": 42000.0,
    "lists": {"construction": EXAMPLE_STANDING},
    "colour": "yellow",
    "registered_at": "2025-03-18T02:00:00+00:00",
    "updated_at": "2026-11-26T06:27:01+00:00",
    "version": 5,
    "position": 412,
}


class ProjectSummary(BaseModel):
    """A project as the lists show it: facts, and the lists it is on today with colour and reason."""

    id: str
    name: str
    code: str
    owner: dict[str, str]
    zone: str
    planned_investment: float
    planned: dict[str, date]
    signed_on: date
    milestones: dict[str, date | None]
    percent_complete: float | None
    investment_to_date: float | None
    lists: dict[str, StandingOut]
    colour: Colour | None
    registered_at: str
    updated_at: str
    version: int
    position: int


class ProjectOut(ProjectSummary):
    """A project as answered by every read and command, with its open issues (open project-issue cases)."""

    milestones: dict[str, Any]  # each {"date", "evidence"} or null
    progress: dict[str, Any] | None
    open_issues: int
    open_issue_ids: list[str]

    model_config = examples(
        {
            **EXAMPLE_PROJECT,
            "milestones": {
                "started": {"date": "2025-12-20", "evidence": "施工许可证"},
                "in_statistics": {"date": "2026-01-10", "evidence": None},
                "completed": None,
                "in_production": None,
            },
            "progress": {
                "percent_complete": 35.0,
                "investment_to_date": 42000.0,
                "note": "主体结构封顶",
                "reported_on": "2026-11-20",
            },
            "open_issues": 1,
            "open_issue_ids": ["5fdb44bc-62f0-489b-abb3-109bdcce9bbe"],
        }
    )


class ProjectPage(BaseModel):
    items: list[ProjectSummary]
    next_cursor: str | None

    model_config = examples({"items": [EXAMPLE_PROJECT], "next_cursor": None})


class ListItem(ProjectSummary):
    """A project on one of the four lists: `colour` and `reason` are for that list."""

    list: ListName
    colour: Colour
    reason: str
    since: date | None


class ListPage(BaseModel):
    items: list[ListItem]
    next_cursor: str | None

    model_config = examples(
        {"items": [{**EXAMPLE_PROJECT, "list": "construction", **EXAMPLE_STANDING}], "next_cursor": None}
    )
