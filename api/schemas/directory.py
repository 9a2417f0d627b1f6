"""Bodies of the directory: departments and zones, the codes commands and filters accept."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import examples


class DepartmentOut(BaseModel):
    code: str = Field(description="what commands name: `lead_department`, `co_departments`, `department`")
    name: str = Field(description="the Chinese name")
    zone: str | None = Field(description="the zone (战区) it belongs to, or null")


class DepartmentList(BaseModel):
    items: list[DepartmentOut]

    model_config = examples({"items": [{"code": "hi-tech-zone", "name": "成都温江高新技术产业园区", "zone": "zone-1"}]})


class ZoneOut(BaseModel):
    code: str
    name: str = Field(description="the Chinese name")
    departments: list[str] = Field(description="codes of the departments in the zone")


class ZoneList(BaseModel):
    items: list[ZoneOut]
