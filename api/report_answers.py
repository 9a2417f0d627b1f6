"""Report answers: JSON with the period, or CSV for `Accept: text/csv` (one header row, a line per item)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse

CSV = "text/csv"


def report_answer(
    items: list[dict[str, Any]], period: tuple[date, date], columns: Sequence[str], accept: str | None, policy: str
) -> Response:
    if accept and CSV in accept:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(items)
        return Response(out.getvalue(), media_type=f"{CSV}; charset=utf-8")
    start, end = period
    return JSONResponse({"items": items, "from": start.isoformat(), "to": end.isoformat(), "policy_version": policy})
