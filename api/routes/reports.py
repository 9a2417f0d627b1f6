"""Report routes: the department report (三率), as JSON, CSV or XLSX (`?format=` or `Accept`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.auth import CallerDep
from api.deps import ReportsDep
from api.report_answers import CSV, DEPARTMENTS, XLSX, Format, ReportKind, report_answer
from api.routes.params import DateFrom, DateTo, MinPosition, doc
from api.schemas.common import examples
from application.reports import COLUMNS, POLICY_VERSION, ReportService

router = APIRouter(tags=["reports"])
EXAMPLE_ROW: dict[str, Any] = {
    "department": "econ-info",
    "name": "区经济和信息化局",
    "zone": None,
    "dispatched": 12,
    "co_handled": 3,
    "response_rate": 0.9167,
    "resolution_rate": 0.8,
    "satisfaction_rate": 0.9,
    "composite": 0.87,
    "on_time_rate": 0.9,
    "avg_working_days": 6.4,
    "open": 4,
    "overdue": 1,
    "returns": 1,
    "redos": 1,
    "withdrawals": 0,
    "policy_version": POLICY_VERSION,
}
EXAMPLE_CSV = ",".join(COLUMNS) + "\r\n" + ",".join("" if v is None else str(v) for v in EXAMPLE_ROW.values()) + "\r\n"


class DepartmentRow(BaseModel):
    department: str
    name: str
    zone: str | None
    dispatched: int
    co_handled: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    composite: float | None
    on_time_rate: float | None
    avg_working_days: float | None
    open: int
    overdue: int
    returns: int
    redos: int
    withdrawals: int
    policy_version: str


class DepartmentReport(BaseModel):
    items: list[DepartmentRow]
    from_: date = Field(alias="from")
    to: date
    policy_version: str

    model_config = examples(
        {"items": [EXAMPLE_ROW], "from": "2026-11-01", "to": "2026-11-30", "policy_version": "2026.2"}
    )


def csv_answer(example: str) -> dict[int | str, dict[str, Any]]:
    """The 200 answer's CSV and XLSX forms, beside the JSON one."""
    return {
        200: {
            "description": "JSON; or a download (`Content-Disposition`): CSV in UTF-8 with a byte-order mark "
            "(the JSON's columns and figures), or an XLSX workbook of one sheet with Chinese headers and rates "
            "as percentages",
            "content": {
                CSV: {"schema": {"type": "string"}, "example": example},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }


FormatQuery = Annotated[
    Format | None,
    Query(
        alias="format",
        description="json, csv or xlsx; wins over `Accept` (text/csv, "
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, application/json)",
    ),
]


@dataclass(frozen=True)
class ReportQuery:
    """What every report route reads besides its own filters: the period, how fresh, and the answer's form."""

    date_from: date | None
    date_to: date | None
    min_position: int | None
    fmt: Format | None
    accept: str | None

    def answer(
        self, items: list[dict[str, Any]], period: tuple[date, date], columns: Sequence[str], kind: ReportKind
    ) -> Response:
        return report_answer(items, period, columns, self.accept, POLICY_VERSION, kind, self.fmt)


async def _report_query(
    date_from: DateFrom = None,
    date_to: DateTo = None,
    min_position: MinPosition = None,
    fmt: FormatQuery = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> ReportQuery:
    return ReportQuery(date_from, date_to, min_position, fmt, accept)


ReportQueryDep = Annotated[ReportQuery, Depends(_report_query)]


@router.get(
    "/v1/reports/departments",
    response_model=DepartmentReport,
    responses=csv_answer(EXAMPLE_CSV),
    description=doc(ReportService.department_report),
)
def department_report(
    caller: CallerDep,
    service: ReportsDep,
    ask: ReportQueryDep,
    zone: Annotated[str | None, Query(description="only the departments of this zone (zone-1 … zone-4)")] = None,
) -> Response:
    items = service.department_report(caller, ask.date_from, ask.date_to, zone, ask.min_position)
    return ask.answer(items, service.period(ask.date_from, ask.date_to), COLUMNS, DEPARTMENTS)
