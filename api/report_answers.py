"""Report answers: JSON with the period, CSV (UTF-8 with a byte-order mark, for Excel) or XLSX (Chinese headers,
percentages formatted, one sheet), chosen by `?format=` or else by `Accept`; files carry a download name."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal
from urllib.parse import quote

from fastapi import Response
from fastapi.responses import JSONResponse
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from api.console.labels import REPORT_COLUMN, ZONE

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON = "application/json"
BOM = "\ufeff"
Format = Literal["json", "csv", "xlsx"]
PERCENT = "0.0%"
SCORE_COLUMN = "composite"  # a weighted mean of rates; a sheet shows it out of 100 (综合得分, 百分制)


@dataclass(frozen=True)
class ReportKind:
    """What a report file is called: its Chinese title (the sheet and the file name) and an ASCII fallback."""

    title: str
    ascii: str


DEPARTMENTS = ReportKind("三率报表", "department-report")
ZONES = ReportKind("战区报表", "zone-report")


def negotiate(fmt: str | None, accept: str | None) -> str:
    """`?format=` wins; else the first of XLSX or CSV named in `Accept`; else JSON."""
    if fmt:
        return fmt
    accepted = (accept or "").lower()
    if XLSX in accepted:
        return "xlsx"
    return "csv" if CSV in accepted else "json"


def report_answer(
    items: list[dict[str, Any]],
    period: tuple[date, date],
    columns: Sequence[str],
    accept: str | None,
    policy: str,
    kind: ReportKind = DEPARTMENTS,
    fmt: str | None = None,
) -> Response:
    chosen = negotiate(fmt, accept)
    if chosen == "csv":
        return file_answer(csv_bytes(items, columns), f"{CSV}; charset=utf-8", kind, period, "csv")
    if chosen == "xlsx":
        return file_answer(xlsx_bytes(items, columns, kind, period), XLSX, kind, period, "xlsx")
    start, end = period
    return JSONResponse({"items": items, "from": start.isoformat(), "to": end.isoformat(), "policy_version": policy})


def csv_bytes(items: list[dict[str, Any]], columns: Sequence[str]) -> bytes:
    """The API's columns and figures (rates as fractions), with a byte-order mark so Excel reads UTF-8."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.DictWriter(out, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows(items)
    return out.getvalue().encode("utf-8")


def is_rate(column: str) -> bool:
    return column.endswith("_rate")


def sheet_value(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column == SCORE_COLUMN:
        return round(value * 100, 2)
    if column == "zone":
        return ZONE.get(value, value)
    return value


def xlsx_bytes(
    items: list[dict[str, Any]], columns: Sequence[str], kind: ReportKind, period: tuple[date, date]
) -> bytes:
    """One sheet named for the report: Chinese headers, rates as percentages, 综合得分 out of 100."""
    book = Workbook()
    sheet = book.active
    sheet.title = kind.title
    sheet.append([REPORT_COLUMN.get(c, c) for c in columns])
    for item in items:
        sheet.append([sheet_value(c, item.get(c)) for c in columns])
    for index, column in enumerate(columns, 1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(10, 2 * len(REPORT_COLUMN.get(column, column)) + 2)
        if is_rate(column) or column == SCORE_COLUMN:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = PERCENT if is_rate(column) else "0.00"
    sheet.freeze_panes = "A2"
    sheet.oddFooter.center.text = f"{kind.title} {period[0]} 至 {period[1]}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def period_label(period: tuple[date, date]) -> str:
    """`2026-10` for a whole calendar month, else `2026-10-01_2026-10-15`."""
    start, end = period
    whole = start.day == 1 and (end + timedelta(days=1)).day == 1 and (start.year, start.month) == (end.year, end.month)
    return f"{start:%Y-%m}" if whole else f"{start}_{end}"


def file_answer(body: bytes, media_type: str, kind: ReportKind, period: tuple[date, date], ext: str) -> Response:
    """A download: the Chinese name as RFC 5987 `filename*`, an ASCII `filename` for older clients."""
    label = period_label(period)
    name, fallback = f"{kind.title}-{label}.{ext}", f"{kind.ascii}-{label}.{ext}"
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})
