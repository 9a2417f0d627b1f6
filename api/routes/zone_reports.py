"""The zone report route (四大战区): case figures and projects per zone, as JSON, CSV or XLSX."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.auth import CallerDep
from api.deps import ZoneReportsDep
from api.report_answers import ZONES
from api.routes.params import doc
from api.routes.reports import EXAMPLE_ROW, ReportQueryDep, csv_answer
from api.schemas.common import examples
from application.reports import POLICY_VERSION
from application.zone_report import CASE_COLUMNS, LIST_COLUMNS, ZONE_COLUMNS, ZoneReportService

router = APIRouter(tags=["reports"])
EXAMPLE_ZONE: dict[str, Any] = {
    "zone": "zone-1",
    **{k: EXAMPLE_ROW[k] for k in CASE_COLUMNS},
    "projects": 4,
    **dict.fromkeys(LIST_COLUMNS, 0),
    "start_green": 1,
    "construction_yellow": 1,
    "completion_red": 1,
    "production_green": 1,
    "start_rate": 0.6667,
    "statistics_rate": 1.0,
    "investment_rate": 0.4125,
    "planned_investment": 320000.0,
    "investment_to_date": 132000.0,
    "as_of": "2026-11-30",
    "policy_version": POLICY_VERSION,
}
EXAMPLE_CSV = (
    ",".join(ZONE_COLUMNS) + "\r\n" + ",".join("" if v is None else str(v) for v in EXAMPLE_ZONE.values()) + "\r\n"
)


class ZoneReport(BaseModel):
    items: list[dict[str, Any]] = Field(description="one row per zone; columns as in the CSV header")
    from_: date = Field(alias="from")
    to: date
    policy_version: str

    model_config = examples(
        {"items": [EXAMPLE_ZONE], "from": "2026-11-01", "to": "2026-11-30", "policy_version": "2026.2"}
    )


@router.get(
    "/v1/reports/zones",
    response_model=ZoneReport,
    responses=csv_answer(EXAMPLE_CSV),
    description=doc(ZoneReportService.zone_report),
)
def zone_report(caller: CallerDep, zone_reports: ZoneReportsDep, ask: ReportQueryDep) -> Response:
    items = zone_reports.zone_report(caller, ask.date_from, ask.date_to, ask.min_position)
    return ask.answer(items, zone_reports.period(ask.date_from, ask.date_to), ZONE_COLUMNS, ZONES)
