"""What the read routes share: the paging and read-your-writes parameters, the report period, and how a page or a
history is answered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.responses import JSONResponse

from application.views import Page, PageRequest

Limit = Annotated[int, Query(ge=1, le=500, description="page size (default 50, at most 500)")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
MinPosition = Annotated[
    int | None, Query(ge=0, description="wait (up to 5 s) until the view has processed this global position")
]
DateFrom = Annotated[date | None, Query(alias="from", description="first day, inclusive (YYYY-MM-DD)")]
DateTo = Annotated[date | None, Query(alias="to", description="last day, inclusive (default: today)")]


def doc(method: Any) -> str:
    """A route's description: the docstring of the use case it calls."""
    return (method.__doc__ or "").strip()


def page_answer(page: Page) -> JSONResponse:
    return JSONResponse({"items": page.items, "next_cursor": page.next_cursor})


@dataclass(frozen=True)
class Paging:
    """A list route's page and how fresh the view must be."""

    page: PageRequest
    min_position: int | None


async def _paging(limit: Limit = 50, cursor: Cursor = None, min_position: MinPosition = None) -> Paging:
    return Paging(PageRequest(limit, cursor), min_position)


PagingDep = Annotated[Paging, Depends(_paging)]
