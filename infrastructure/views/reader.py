"""SQL behind the case views: the case list, the tier queues and the warnings, on the active generation."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from application.cursors import decode_cursor, encode_cursor
from application.views import CaseFilter, Page, PageRequest, WarningQuery
from infrastructure.views.store import SqlViews, table_name

SUMMARY_COLUMNS = (
    "stream_id, reference, kind, title, enterprise_name, credit_code, project_id, category, status, tier, "
    "lead_department, co_departments, round, escalation_level, warning_level, due, main_due, co_replies, extension, "
    "registered_at, updated_at, version, position"
)


def in_department(departments: str) -> str:
    """The cases a department leads or co-handles (its code is the parameter)."""
    return f"stream_id IN (SELECT stream_id FROM {departments} WHERE department = ?)"


class SqlViewReader:
    def __init__(self, views: SqlViews) -> None:
        self.views = views

    def position(self, projection: str) -> int:
        gen = self.views.active_generation(projection)
        return self.views.position(projection, gen)

    def _tables(self) -> tuple[str, str, str]:
        gen = self.views.active_generation("cases")
        return tuple(table_name("cases", gen, t) for t in ("summary", "departments", "warnings"))  # type: ignore[return-value]

    def cases(self, f: CaseFilter, page: PageRequest) -> Page:
        summary, departments, _ = self._tables()
        where, params = [], []
        for column in ("status", "tier", "credit_code", "project_id", "reference"):
            value = getattr(f, column)
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if f.statuses:
            where.append(f"status IN ({', '.join('?' for _ in f.statuses)})")
            params += list(f.statuses)
        if f.department is not None:
            where.append(in_department(departments))
            params.append(f.department)
        if f.warning_level == "none":
            where.append("warning_level IS NULL")
        elif f.warning_level is not None:
            where.append("warning_level = ?")
            params.append(f.warning_level)
        if f.q:
            # Substring match: Chinese has no word boundaries, so a plain LIKE finds any run of characters.
            where.append("(title LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\')")
            pattern = "%" + f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params += [pattern, pattern]
        return self._page(self._rows(SUMMARY_COLUMNS, summary, where, params, page, NEWEST_FIRST), page, NEWEST_FIRST)

    def queue(self, tier: str, department: str | None, page: PageRequest) -> Page:
        summary, departments, _ = self._tables()
        where, params = ["tier = ?", "is_open = 1"], [tier]
        if department is not None:
            where.append(in_department(departments))
            params.append(department)
        return self._page(self._rows(SUMMARY_COLUMNS, summary, where, params, page, DUE_FIRST), page, DUE_FIRST)

    def warnings(
        self,
        department: str | None,
        page: PageRequest,
        extra: Sequence[dict[str, Any]] = (),
        query: WarningQuery = WarningQuery(),  # noqa: B008 - frozen, never mutated
    ) -> Page:
        _, departments, warnings = self._tables()
        where, params = [], []
        if department is not None:
            where.append(in_department(departments))
            params.append(department)
        if query.level is not None:
            where.append("level = ?")
            params.append(query.level)
        if query.kind is not None:
            where.append("(kind = ? OR kind LIKE ? ESCAPE '\\')")
            params += [query.kind, query.kind.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ":%"]
        if query.departments is not None:
            where.append(f"department IN ({', '.join('?' for _ in query.departments)})")
            params += list(query.departments)
        rows = self._rows(WARNING_COLUMNS, warnings, where, params, page, OLDEST_WARNING_FIRST)
        return self._page(merged(rows, extra, page), page, OLDEST_WARNING_FIRST)

    def _rows(
        self, columns: str, table: str, where: list[str], params: list[Any], page: PageRequest, order: Order
    ) -> list[dict[str, Any]]:
        """The rows matching `where`, in `order`, after the page's cursor: one more than the page, to tell if more."""
        if page.cursor:
            clause, values = order.after(page.cursor)
            where, params = [*where, clause], [*params, *values]
        condition = f"WHERE {' AND '.join(where)} " if where else ""
        sql = f"SELECT {columns} FROM {table} {condition}{order.sql} LIMIT ?"
        return self.views.query(sql, [*params, page.limit + 1])

    def _page(self, rows: list[dict[str, Any]], page: PageRequest, order: Order) -> Page:
        more = len(rows) > page.limit
        rows = rows[: page.limit]
        return Page([present(r) for r in rows], encode_cursor(order.key(rows[-1])) if more and rows else None)


@dataclass(frozen=True)
class Order:
    """A keyset order of two keys (the second unique): its SQL, and a row's values for the next page's cursor."""

    first: str
    second: str
    descending: bool
    key: Callable[[dict[str, Any]], list[Any]]

    @property
    def sql(self) -> str:
        way = "DESC" if self.descending else "ASC"
        return f"ORDER BY {self.first} {way}, {self.second} {way}"

    def after(self, cursor: str) -> tuple[str, list[Any]]:
        first, second = decode_cursor(cursor)
        past = "<" if self.descending else ">"
        return f"({self.first} {past} ? OR ({self.first} = ? AND {self.second} {past} ?))", [first, first, second]


NEWEST_FIRST = Order("registered_at", "stream_id", True, lambda r: [r["registered_at"], r["stream_id"]])
DUE_FIRST = Order("COALESCE(main_due, '')", "stream_id", False, lambda r: [r["main_due"] or "", r["stream_id"]])
OLDEST_WARNING_FIRST = Order("since", "stream_id || key", False, lambda r: [r["since"], r["stream_id"] + r["key"]])
WARNING_COLUMNS = "stream_id, key, level, kind, since, department, subject, reference"


def merged(rows: list[dict[str, Any]], extra: Sequence[dict[str, Any]], page: PageRequest) -> list[dict[str, Any]]:
    """Warning rows and `extra` ones (computed outside SQL, e.g. project warnings) in one order, after the cursor."""
    if not extra:
        return rows
    after = tuple(decode_cursor(page.cursor)) if page.cursor else None

    def key(r: dict[str, Any]) -> tuple[str, str]:
        return r["since"], r["stream_id"] + r["key"]

    return sorted([*rows, *(r for r in extra if after is None or key(r) > after)], key=key)[: page.limit + 1]


JSON_COLUMNS = ("co_departments", "due", "co_replies", "extension")


def present(row: dict[str, Any]) -> dict[str, Any]:
    item = {("id" if k == "stream_id" else k): v for k, v in row.items()}
    for column in JSON_COLUMNS:
        if isinstance(item.get(column), str):
            item[column] = json.loads(item[column])
    if "enterprise_name" in item:
        item["enterprise"] = {"name": item.pop("enterprise_name"), "credit_code": item.pop("credit_code")}
    return item
