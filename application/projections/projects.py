"""The projects projection: per project, the facts the four lists are computed from (never a colour: that
depends on the day it is read) and its progress reports, so any past day's lists can be recomputed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import Mapper

from application.projections.base import JsonState, Row, Table, table
from domain.project import Milestone, Project
from domain.schedule import local_date

State = dict[str, Any]
MILESTONE_COLUMNS = {m.value: f"{m.value}_on" for m in Milestone}
SUMMARY = table(
    "summary",
    "name code owner_name credit_code zone planned_investment:real planned_start planned_completion "
    f"planned_production signed_on {' '.join(MILESTONE_COLUMNS.values())} percent_complete:real "
    "investment_to_date:real registered_at updated_at version:int position:int",
    ("registered_at", "stream_id"),
    ("zone",),
    ("credit_code",),
    ("code",),
    one_per_stream=True,
)
PROGRESS = table("progress", "version:int reported_on percent_complete:real investment_to_date:real", ("reported_on",))
SUMMARY_FIELDS = tuple(c.name for c in SUMMARY.columns if c.name != "position")


def registered(_: State | None, e: Any) -> State:
    state: State = dict.fromkeys(SUMMARY_FIELDS)
    state.update(
        name=e.name,
        code=e.code,
        owner_name=e.owner.get("name"),
        credit_code=e.owner.get("credit_code"),
        zone=e.zone,
        planned_investment=e.planned_investment,
        planned_start=e.planned["start"],
        planned_completion=e.planned["completion"],
        planned_production=e.planned["production"],
        signed_on=e.signed_on,
        registered_at=e.timestamp.isoformat(),
        progress=[],
    )
    return state


def milestone_recorded(s: State, e: Any) -> State:
    s[MILESTONE_COLUMNS[e.milestone]] = e.date
    return s


def progress_reported(s: State, e: Any) -> State:
    s.update(percent_complete=e.percent_complete, investment_to_date=e.investment_to_date)
    s["progress"].append(
        {
            "version": e.originator_version,
            "reported_on": local_date(e.timestamp).isoformat(),
            "percent_complete": e.percent_complete,
            "investment_to_date": e.investment_to_date,
        }
    )
    return s


HANDLERS: tuple[tuple[type[Any], Callable[[Any, Any], State]], ...] = (
    (Project.Created, registered),
    (Project.MilestoneRecorded, milestone_recorded),
    (Project.ProgressReported, progress_reported),
)


class ProjectsProjection(JsonState):
    """Per project: one summary row of facts and one row per progress report; the state is that JSON."""

    name = "projects"
    tables: tuple[Table, ...] = (SUMMARY, PROGRESS)
    topics: tuple[str, ...] = tuple(cls.TOPIC for cls, _ in HANDLERS)

    def __init__(self, mapper: Mapper[Any] | None = None) -> None:
        self.mapper = mapper  # unused: the state is plain JSON; kept for the uniform constructor

    def fold(self, state: State | None, event: Any) -> State | None:
        for cls, handler in HANDLERS:
            if isinstance(event, cls):
                if state is None and not isinstance(event, Project.Created):
                    return None
                after = handler(state, event)
                after.update(updated_at=event.timestamp.isoformat(), version=event.originator_version)
                return after
        return state

    def rows(self, state: State, position: int) -> dict[str, list[Row]]:
        summary = {k: state.get(k) for k in SUMMARY_FIELDS} | {"position": position}
        return {"summary": [summary], "progress": list(state["progress"])}
