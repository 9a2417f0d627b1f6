"""What the reports page's charts draw, as JSON for the vendored Chart.js (read by static/reports.js)."""

from __future__ import annotations

from typing import Any

from api.console.labels import RATE
from api.console.pages import month
from application.report_board import MonthReport
from domain.directory import Directory

RATE_COLOURS = {"response_rate": "#0b57d0", "resolution_rate": "#1a7f37", "satisfaction_rate": "#b58100"}
PALETTE = ("#b3261e", "#0b57d0", "#1a7f37", "#b58100", "#8250df", "#0a7e8c", "#bc4c00", "#57606a", "#d63384")


def percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def charts(report: MonthReport, directory: Directory) -> dict[str, Any]:
    """The bar chart (three rates per department with any rate) and the trend (composite, out of 100, of every
    department with a composite in one of the twelve months)."""
    rated = [r for r in report.departments if any(r[k] is not None for k in RATE)]
    bars = {
        "labels": [r["name"] for r in rated],
        "datasets": [
            {"label": name, "data": [percent(r[key]) for r in rated], "backgroundColor": RATE_COLOURS[key]}
            for key, name in RATE.items()
        ],
    }
    names = {d.code: d.name for d in directory}
    lines = [(code, series) for code, series in report.trend.items() if any(v is not None for v in series)]
    trend = {
        "labels": [month(m) for m in report.trend_months],
        "datasets": [
            {
                "label": names.get(code, code),
                "data": [percent(v) for v in series],
                "borderColor": PALETTE[i % len(PALETTE)],
                "backgroundColor": PALETTE[i % len(PALETTE)],
            }
            for i, (code, series) in enumerate(lines)
        ],
    }
    return {"bars": bars, "trend": trend, "trend_rows": lines}
