"""Project queries: the project list and the four lists (四张清单), coloured as of today, and project warnings.

The projection keeps facts only; colours and reasons are computed here, at query time, from the facts and
the clock, because they change with the day even when nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any, Protocol, cast

from application.access import require_role
from application.cursors import decode_cursor, encode_cursor
from application.ports import Clock
from application.views import Page, PageRequest, PositionWaiter, Wait
from domain.directory import COORDINATING_CENTRE
from domain.errors import InvalidCommand
from domain.project import Milestone
from domain.project_lists import COLOURS, LISTS, Facts, Standing, standings, worst
from domain.schedule import LOCAL_TZ, local_date
from domain.values import Actor, Role

PROJECTION = "projects"
SCAN = 500  # rows read per round while filtering by list and colour
Row = dict[str, Any]
NOBODY = "\x00no-credit-code"  # a credit-code filter that matches no project


@dataclass(frozen=True)
class ProjectFilter:
    zone: str | None = None
    list: str | None = None
    colour: str | None = None
    q: str | None = None
    credit_code: str | None = None


class ProjectReader(Protocol):
    def position(self, projection: str) -> int: ...

    def projects(self, f: ProjectFilter, after: list[str] | None, limit: int) -> list[Row]:
        """Summary rows matching zone, q and credit_code, newest registration first, after the key `after`
        ([registered_at, stream_id])."""
        ...

    def progress_until(self, day: date) -> dict[str, Row]:
        """Per project id, its latest progress report made on or before `day`."""
        ...


def facts_of(row: Row) -> Facts:
    """A summary row's facts, with its latest percent complete."""

    def day(column: str) -> date | None:
        value = row.get(column)
        return date.fromisoformat(value) if value else None

    return Facts(
        planned_investment=float(row["planned_investment"]),
        planned_start=date.fromisoformat(row["planned_start"]),
        planned_completion=date.fromisoformat(row["planned_completion"]),
        planned_production=date.fromisoformat(row["planned_production"]),
        started_on=day("started_on"),
        in_statistics_on=day("in_statistics_on"),
        completed_on=day("completed_on"),
        in_production_on=day("in_production_on"),
        percent_complete=row.get("percent_complete"),
    )


def standing_body(s: Standing) -> dict[str, Any]:
    return {"colour": s.colour, "reason": s.reason, "since": s.since.isoformat() if s.since else None}


def summary_item(row: Row, found: dict[str, Standing]) -> dict[str, Any]:
    """A row of the project list: the facts, and the lists the project is on today with colour and reason."""
    return {
        "id": row["stream_id"],
        "name": row["name"],
        "code": row["code"],
        "owner": {"name": row["owner_name"], "credit_code": row["credit_code"]},
        "zone": row["zone"],
        "planned_investment": row["planned_investment"],
        "planned": {k: row[f"planned_{k}"] for k in ("start", "completion", "production")},
        "signed_on": row["signed_on"],
        "milestones": {m.value: row[f"{m.value}_on"] for m in Milestone},
        "percent_complete": row["percent_complete"],
        "investment_to_date": row["investment_to_date"],
        "lists": {name: standing_body(s) for name, s in found.items()},
        "colour": worst(found),
        "registered_at": row["registered_at"],
        "updated_at": row["updated_at"],
        "version": row["version"],
        "position": row["position"],
    }


class ProjectViews:
    def __init__(self, reader: ProjectReader, clock: Clock, wait: Wait | None = None) -> None:
        self.reader = reader
        self.clock = clock
        self.wait: Wait = wait or PositionWaiter(reader.position)

    def list_projects(self, by: Actor, f: ProjectFilter, page: PageRequest, min_position: int | None = None) -> Page:
        """Projects with the lists they are on today, each with a colour (green, yellow, red) and a reason; `colour`
        is the worst of them (null: on no list). Filters: zone, list (on that list), colour (on `list` with that
        colour, or on any list with it), q (in name or code). Staff see every project, an enterprise its own."""
        require_role(by, "read_project")
        _check(f)
        if by.role is Role.ENTERPRISE:
            f = replace(f, credit_code=by.credit_code if f.credit_code in (None, by.credit_code) else NOBODY)
        self._wait(min_position)
        return self._page(f, page, lambda row, found: _keep(f, found) and summary_item(row, found))

    def on_list(self, by: Actor, name: str, page: PageRequest, min_position: int | None = None) -> Page:
        """The projects on one of the four lists today: 开工入库 `start` (yellow: planned start month reached without a
        start, or 1 month after the start not in statistics; red: 3 months late to start, or 2 months after the start
        not in statistics; below 500万元 a project leaves the list once started), 加快建设 `construction` (started,
        not completed; yellow 10–30 points behind the time-proportional target, red more), 按期竣工 `completion`
        (planned completion within 90 days or passed; yellow within 30 days of it below 90% complete, red after it),
        投产达效 `production` (completed, not in production; yellow within 30 days of the planned production date,
        red after it). Each item has `colour` and `reason` for that list."""
        require_role(by, "project_lists")
        _check(ProjectFilter(list=name))
        self._wait(min_position)

        def item(row: Row, found: dict[str, Standing]) -> dict[str, Any] | None:
            s = found.get(name)
            return {**summary_item(row, found), "list": name, **standing_body(s)} if s else None

        return self._page(ProjectFilter(), page, item)

    def four_lists(
        self, by: Actor, zone: str | None = None, only: str | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        """The four lists today, each of its projects (oldest registration first within a list, the reds first), in
        one pass: list name -> items as `on_list` answers them. `zone` and `only` (one list) filter. Coordinators,
        auditors and reporters, as for `on_list`."""
        require_role(by, "project_lists")
        _check(ProjectFilter(zone=zone, list=only))
        today, found = self.today(), {name: cast(list[dict[str, Any]], []) for name in LISTS if only in (None, name)}
        for row in self._rows(ProjectFilter(zone=zone)):
            on = standings(facts_of(row), today)
            for name, s in on.items():
                if name in found:
                    found[name].append({**summary_item(row, on), "list": name, **standing_body(s)})
        for items in found.values():
            items.sort(key=lambda i: (-COLOURS.index(i["colour"]), i["registered_at"]))
        return found

    def warnings(self) -> list[Row]:
        """Every yellow or red standing as an open warning of the coordinating centre, in the warnings view's rows."""
        today = self.today()
        found = []
        for row in self._rows(ProjectFilter()):
            for s in standings(facts_of(row), today).values():
                if s.colour != "green" and s.since is not None:
                    found.append(warning_row(row, s))
        return found

    def today(self) -> date:
        return local_date(self.clock.now())

    def _page(self, f: ProjectFilter, page: PageRequest, keep: Callable[[Row, dict[str, Standing]], Any]) -> Page:
        today, items = self.today(), cast(list[tuple[list[str], Any]], [])
        for row in self._rows(f, decode_cursor(page.cursor) if page.cursor else None):
            item = keep(row, standings(facts_of(row), today))
            if not item:
                continue
            if len(items) == page.limit:
                return Page([i for _, i in items], encode_cursor(items[-1][0]))
            items.append(([row["registered_at"], row["stream_id"]], item))
        return Page([i for _, i in items], None)

    def _rows(self, f: ProjectFilter, after: list[str] | None = None) -> Iterator[Row]:
        while True:
            rows = self.reader.projects(f, after, SCAN)
            yield from rows
            if len(rows) < SCAN:
                return
            after = [rows[-1]["registered_at"], rows[-1]["stream_id"]]

    def _wait(self, min_position: int | None) -> None:
        self.wait(PROJECTION, min_position)


def warning_row(row: Row, s: Standing) -> Row:
    assert s.since is not None
    since = datetime.combine(s.since, time(0), LOCAL_TZ).astimezone(UTC)
    return {
        "stream_id": row["stream_id"],
        "key": f"project:{s.list}",
        "level": s.colour,
        "kind": f"project:{s.list}",
        "since": since.isoformat(),
        "department": COORDINATING_CENTRE,
        "subject": f"{row['code']} {row['name']}：{s.reason}",
        "reference": row["code"],
    }


def _check(f: ProjectFilter) -> None:
    if f.list is not None and f.list not in LISTS:
        raise InvalidCommand("unknown_list", f"unknown list {f.list!r}; lists are {', '.join(LISTS)}")
    if f.colour is not None and f.colour not in COLOURS:
        raise InvalidCommand("unknown_colour", f"unknown colour {f.colour!r}; colours are {', '.join(COLOURS)}")


def _keep(f: ProjectFilter, found: dict[str, Standing]) -> bool:
    if f.list is not None:
        s = found.get(f.list)
        return s is not None and (f.colour is None or s.colour == f.colour)
    return f.colour is None or any(s.colour == f.colour for s in found.values())
