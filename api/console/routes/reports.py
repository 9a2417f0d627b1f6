"""三率报表: a month's departments ranked with charts, the trend and the zones; and the reports as files."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from api.console.pages import ConsoleRoute, RenderDep
from api.console.report_charts import charts
from api.console.session import ViewerDep
from api.deps import ReportsDep, ZoneReportsDep
from api.report_answers import DEPARTMENTS, ZONES, report_answer
from application.report_board import ReportBoard, month_end, parse_month
from application.reports import COLUMNS, POLICY_VERSION
from application.zone_report import ZONE_COLUMNS

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")]


async def _board(reports: ReportsDep, zones: ZoneReportsDep) -> ReportBoard:
    return ReportBoard(reports, zones)


BoardDep = Annotated[ReportBoard, Depends(_board)]


@router.get("/console/reports")
def reports_page(viewer: ViewerDep, render: RenderDep, board: BoardDep, month: Month = None) -> HTMLResponse:
    report = board.month(viewer.actor, parse_month(month) if month else None)
    return render("reports.html", viewer=viewer, report=report, charts=charts(report, render.directory))


@router.get("/console/reports/{which}.{fmt}")
def report_file(
    viewer: ViewerDep,
    reports: ReportsDep,
    zones: ZoneReportsDep,
    board: BoardDep,
    which: Literal["departments", "zones"],
    fmt: Literal["csv", "xlsx"],
    month: Month = None,
) -> Response:
    """The same answer as `GET /v1/reports/departments` (or `/zones`) `?format=…` for the month."""
    period = _period(board, month)
    if which == "zones":
        items, columns, labels = zones.zone_report(viewer.actor, *period), ZONE_COLUMNS, ZONES
    else:
        items, columns, labels = reports.department_report(viewer.actor, *period), COLUMNS, DEPARTMENTS
    return report_answer(items, period, columns, None, POLICY_VERSION, labels, fmt)


def _period(board: ReportBoard, month: str | None) -> tuple[date, date]:
    """The month asked for, else the last full month: its first and last day."""
    first = parse_month(month) if month else board.last_full_month()
    return first, month_end(first)
