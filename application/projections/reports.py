"""The reports projection: each case folded into dated facts (assignments, rounds, spans...) for the three rates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from eventsourcing.persistence import Mapper

from application.projections.base import Deltas, JsonState, Rollup, Row, Table, table
from application.reports import SATISFIED as SATISFIED_MARKS_OF
from domain.case import Case
from domain.schedule import local_date
from domain.values import Arbitration

State = dict[str, Any]


ASSIGNMENTS = table(
    "assignments",
    "department dispatched_on sign_for_due signed_on first_contact_due contacted_on upheld_return:int reassigned_on "
    "responded_on upheld_on",
    ("dispatched_on", "department", "reassigned_on", "responded_on"),
)
ROUNDS = table(
    "rounds",
    "round:int department started_on resolved_on on_time:int working_days:int evaluated_on satisfaction solved:int",
    ("resolved_on", "department", "on_time", "working_days"),
    ("evaluated_on", "department", "solved", "satisfaction"),
)
CO_HANDLING = table("co_handling", "department dispatched_on", ("dispatched_on", "department"))
RETURNS = table("returns", "department returned_on", ("returned_on", "department"))
REDOS = table("redos", "department reopened_on", ("reopened_on", "department"))
# A span is an interval [since, until) of local days in which the case is open with the same lead, main due and
# resolution state; the span holding a day's end says whether the case was open and overdue that day.
SPANS = table(
    "spans", "department round:int since until due resolved:int", ("until", "since", "department", "resolved", "due")
)
LIFECYCLE = table(
    "lifecycle",
    "lead_department registered_on dispatched_on ended_on ended_as withdrawn_on withdrawn_department "
    "withdrawn_before_dispatch:int withdrawn_by_enterprise:int",
    ("withdrawn_on",),
    ("dispatched_on", "registered_on"),
)
LIFECYCLE_FIELDS = tuple(c.name for c in LIFECYCLE.columns)
# The roll-up of the report's counts (docs/decisions.md, "report roll-ups"). A row's counters apply to a report of
# period [start, end] read at day `at` (its end, or today) when `day` lies in the period, or `day` is '' (state at
# `at`: open, overdue), and `since` <= `at`: a count that changes with `at` (a running clock) is a +1 from the
# day it starts to hold and a -1 from the day it stops; '' is "always". So each count of the row-table queries of
# infrastructure/views/report_reader.py is a sum over a handful of rows per department and day.
COUNTERS = (
    "dispatched",
    "responded",
    "response_missed",
    "co_handled",
    "resolved",
    "resolved_on_time",
    "working_days",
    "evaluations",
    "solved",
    "satisfied",
    "returns",
    "redos",
    "withdrawals",
    "open",
    "overdue",
)
DAILY = Rollup("daily", ("department", "day", "since"), COUNTERS, (("day", "since"),))
(
    I_DISPATCHED,
    I_RESPONDED,
    I_MISSED,
    I_CO_HANDLED,
    I_RESOLVED,
    I_ON_TIME,
    I_WORKING_DAYS,
    I_EVALUATIONS,
    I_SOLVED,
    I_SATISFIED,
    I_RETURNS,
    I_REDOS,
    I_WITHDRAWALS,
    I_OPEN,
    I_OVERDUE,
) = range(len(COUNTERS))
ALWAYS = ""  # a `since` before every day, and the `day` of counts read at a day rather than over a period
SATISFIED_MARKS = frozenset(s.value for s in SATISFIED_MARKS_OF)
LISTS = ("assignments", "rounds", "co_handling", "returns", "redos", "spans")


EIGHT_HOURS = timedelta(hours=8)


def day(at: datetime) -> str:
    """The local day of an instant, as `local_date` gives it; Asia/Shanghai has kept UTC+8 without summer time
    since 1992, so later instants take the fixed offset (a tenth of the zone lookup's cost)."""
    if at.tzinfo is not None and at.year >= 1992:
        return (at.astimezone(UTC) + EIGHT_HOURS).date().isoformat()
    return local_date(at).isoformat()


def due_of(clocks: dict[str, dict[str, Any]], name: str) -> str | None:
    clock = clocks.get(name)
    return str(clock["due"]) if clock else None


def current(state: State, name: str) -> Row:
    return dict(state[name][-1]) if state[name] else {}


def update_last(state: State, name: str, **changes: Any) -> None:
    if state[name]:
        state[name][-1].update(changes)


def change_span(state: State, on: str, **changes: Any) -> None:
    """Close the open span on `on` and open the next with `changes`; no span is open before dispatch or after end."""
    last = current(state, "spans")
    if not last or last["until"] is not None:
        return
    update_last(state, "spans", until=on)
    state["spans"].append({**last, "since": on, "until": None, **changes})


# -- event handlers: (state, event) -> state -------------------------------------------------------


def registered(_: State | None, e: Any) -> State:
    state: State = {name: [] for name in LISTS}
    state.update(dict.fromkeys(LIFECYCLE_FIELDS))
    state.update(registered_on=day(e.timestamp), round=1, tier=None)
    return state


def dispatched(s: State, e: Any) -> State:
    on, lead = day(e.timestamp), e.lead_department
    s.update(lead_department=lead, dispatched_on=on, tier=e.tier)
    s["assignments"].append(assignment(lead, on, due_of(e.due, "sign_for")))
    s["rounds"].append(new_round(1, lead, on))
    s["co_handling"] += [{"department": d, "dispatched_on": on} for d in e.co_departments]
    s["spans"].append(
        {"department": lead, "round": 1, "since": on, "until": None, "due": due_of(e.due, e.tier), "resolved": 0}
    )
    return s


def assignment(department: str, on: str, sign_for_due: str | None) -> Row:
    return {
        "department": department,
        "dispatched_on": on,
        "sign_for_due": sign_for_due,
        "signed_on": None,
        "first_contact_due": None,
        "contacted_on": None,
        "upheld_return": 0,
        "reassigned_on": None,
        "responded_on": None,
        "upheld_on": None,
    }


def new_round(number: int, department: str, on: str) -> Row:
    fields = ("resolved_on", "on_time", "working_days", "evaluated_on", "satisfaction", "solved")
    return {"round": number, "department": department, "started_on": on, **dict.fromkeys(fields)}


def signed_for(s: State, e: Any) -> State:
    if current(s, "assignments").get("signed_on") is None:
        update_last(s, "assignments", signed_on=day(e.timestamp), first_contact_due=due_of(e.due, "first_contact"))
    return s


def contacted(s: State, e: Any) -> State:
    last, on = current(s, "assignments"), day(e.timestamp)
    if last.get("signed_on") is not None and last.get("contacted_on") is None:
        update_last(s, "assignments", contacted_on=on, responded_on=on if responded_on_time(last, on) else None)
    return s


def responded_on_time(a: Row, contacted_on: str) -> bool:
    """Signed for and first-contacted by their due dates, with no return upheld against the department."""
    signed, sign_due, contact_due = a["signed_on"], a["sign_for_due"], a["first_contact_due"]
    return (
        not a["upheld_return"] and bool(sign_due and contact_due) and signed <= sign_due and contacted_on <= contact_due
    )


def returned(s: State, e: Any) -> State:
    s["returns"].append({"department": e.department, "returned_on": day(e.timestamp)})
    return s


def arbitrated(s: State, e: Any) -> State:
    on = day(e.timestamp)
    if e.decision == Arbitration.UPHOLD.value:
        update_last(s, "assignments", upheld_return=1, upheld_on=on, sign_for_due=due_of(e.due, "sign_for"))
        return s
    update_last(s, "assignments", reassigned_on=on)
    s["assignments"].append(assignment(e.department, on, due_of(e.due, "sign_for")))
    s["lead_department"] = e.department
    update_last(s, "rounds", department=e.department, started_on=on)
    change_span(s, on, department=e.department, due=due_of(e.due, s["tier"]) or current(s, "spans").get("due"))
    return s


def extension_decided(s: State, e: Any) -> State:
    due = due_of(e.due, s["tier"]) if e.approved else None
    if due:
        change_span(s, day(e.timestamp), due=due)
    return s


def resolved(s: State, e: Any) -> State:
    on = day(e.timestamp)
    update_last(s, "rounds", resolved_on=on, on_time=int(e.on_time), working_days=e.working_days)
    change_span(s, on, resolved=1)
    return s


def evaluated(s: State, e: Any) -> State:
    for r in s["rounds"]:
        if r["round"] == e.round and r["evaluated_on"] is None:
            r.update(evaluated_on=day(e.timestamp), satisfaction=e.satisfaction, solved=int(e.solved))
    return s


def reopened(s: State, e: Any) -> State:
    on, lead = day(e.timestamp), s["lead_department"]
    s["round"] = e.round
    s["rounds"].append(new_round(e.round, lead, on))
    s["redos"].append({"department": lead, "reopened_on": on})
    change_span(s, on, round=e.round, due=due_of(e.due, s["tier"]), resolved=0)
    return s


def ended(s: State, e: Any, how: str) -> State:
    on = day(e.timestamp)
    s.update(ended_on=on, ended_as=how)
    if current(s, "spans").get("until", on) is None:
        update_last(s, "spans", until=on)
    return s


def withdrawn(s: State, e: Any) -> State:
    s.update(
        withdrawn_on=day(e.timestamp),
        withdrawn_department=None if e.before_dispatch else s["lead_department"],
        withdrawn_before_dispatch=int(e.before_dispatch),
        withdrawn_by_enterprise=int(e.by_enterprise),
    )
    return ended(s, e, "withdrawn")


HANDLERS: tuple[tuple[type[Any], Callable[[Any, Any], State]], ...] = (
    (Case.Created, registered),
    (Case.Dispatched, dispatched),
    (Case.SignedFor, signed_for),
    (Case.Contacted, contacted),
    (Case.Returned, returned),
    (Case.Arbitrated, arbitrated),
    (Case.ExtensionDecided, extension_decided),
    (Case.Resolved, resolved),
    (Case.Evaluated, evaluated),
    (Case.Reopened, reopened),
    (Case.Closed, lambda s, e: ended(s, e, "closed")),
    (Case.Withdrawn, withdrawn),
    (Case.Merged, lambda s, e: ended(s, e, "merged")),
)

BY_TYPE = dict(HANDLERS)


class ReportsProjection(JsonState):
    """Per case: the dated facts the department report counts; the state is the facts themselves, as JSON."""

    name = "reports"
    tables: tuple[Table, ...] = (ASSIGNMENTS, ROUNDS, CO_HANDLING, RETURNS, REDOS, SPANS, LIFECYCLE)
    topics: tuple[str, ...] = tuple(cls.TOPIC for cls, _ in HANDLERS)  # the worker reads no other events

    def __init__(self, mapper: Mapper[Any] | None = None) -> None:
        self.mapper = mapper  # unused: the state is plain JSON; kept for the uniform constructor

    def fold(self, state: State | None, event: Any) -> State | None:
        handler = BY_TYPE.get(type(event))  # no handler class derives from another: the exact type decides
        if handler is None:
            handler = next((h for cls, h in HANDLERS if isinstance(event, cls)), None)
            if handler is None:
                return state
        if state is None and not isinstance(event, Case.Created):
            return None
        return handler(state, event)

    def rows(self, state: State, position: int) -> dict[str, list[Row]]:
        found: dict[str, list[Row]] = {name: list(state[name]) for name in LISTS}
        found["lifecycle"] = [{k: state.get(k) for k in LIFECYCLE_FIELDS}]
        return found

    rollups: tuple[Rollup, ...] = (DAILY,)

    def contribution(self, state: State) -> Deltas:
        """What one case adds to the roll-up: each count of the report's row queries as dated steps."""
        out: Deltas = {}

        def add(department: str | None, on: str, since: str, counter: int, n: int = 1) -> None:
            key = ("daily", department or "", on, since)
            values = out.get(key)
            if values is None:
                values = out[key] = [0] * len(COUNTERS)
            values[counter] += n

        def interval(department: str | None, on: str, start: str | None, stop: str | None, counter: int) -> None:
            """Counted while start <= at < stop (stop None: ever after); nothing when the interval is empty."""
            if start is not None and (stop is None or start < stop):
                add(department, on, start, counter)
                if stop is not None:
                    add(department, on, stop, counter, -1)

        for a in state["assignments"]:
            # assignments(): dispatched in the period, not reassigned away by `at`
            department, on, away, responded = a["department"], a["dispatched_on"], a["reassigned_on"], a["responded_on"]
            interval(department, on, ALWAYS, away, I_DISPATCHED)
            interval(department, on, responded, away, I_RESPONDED)
            interval(department, on, missed_from(a), earliest(responded, away), I_MISSED)
        for r in state["rounds"]:
            if r["resolved_on"] is not None:
                add(r["department"], r["resolved_on"], ALWAYS, I_RESOLVED)
                add(r["department"], r["resolved_on"], ALWAYS, I_ON_TIME, int(r["on_time"] or 0))
                add(r["department"], r["resolved_on"], ALWAYS, I_WORKING_DAYS, int(r["working_days"] or 0))
            if r["evaluated_on"] is not None:
                add(r["department"], r["evaluated_on"], ALWAYS, I_EVALUATIONS)
                add(r["department"], r["evaluated_on"], ALWAYS, I_SOLVED, int(r["solved"] or 0))
                add(r["department"], r["evaluated_on"], ALWAYS, I_SATISFIED, int(r["satisfaction"] in SATISFIED_MARKS))
        for c in state["co_handling"]:
            add(c["department"], c["dispatched_on"], ALWAYS, I_CO_HANDLED)
        for t in state["returns"]:
            add(t["department"], t["returned_on"], ALWAYS, I_RETURNS)
        for t in state["redos"]:
            add(t["department"], t["reopened_on"], ALWAYS, I_REDOS)
        if state.get("withdrawn_on") is not None:
            add(state.get("withdrawn_department"), state["withdrawn_on"], ALWAYS, I_WITHDRAWALS)
        for span in state["spans"]:
            # open_at_end(): the span holding `at`; overdue once its main due date lies before `at`, unresolved
            interval(span["department"], ALWAYS, span["since"], span["until"], I_OPEN)
            if not span["resolved"] and span["due"] is not None:
                interval(
                    span["department"], ALWAYS, max(span["since"], day_after(span["due"])), span["until"], I_OVERDUE
                )
        # undispatched_at_end(): registered by `at`, neither dispatched nor ended by then
        stop = earliest(state.get("dispatched_on"), state.get("ended_on"))
        interval(None, ALWAYS, state["registered_on"], stop, I_OPEN)
        return out


def earliest(*days: str | None) -> str | None:
    found = [d for d in days if d is not None]
    return min(found) if found else None


@lru_cache(maxsize=4096)
def day_after(on: str) -> str:
    """The first day `d` with `on < d` (dates compare as ISO text, as the row queries compare them)."""
    return (date.fromisoformat(on[:10]) + timedelta(days=1)).isoformat()


def missed_from(a: Row) -> str | None:
    """The day from which the assignment's response counts as missed (unless answered by then): a return upheld,
    or the day after a sign-for or first-contact due date that passed without the act by it."""
    signed, sign_due = a["signed_on"], a["sign_for_due"]
    contacted, contact_due = a["contacted_on"], a["first_contact_due"]
    return earliest(
        a["upheld_on"],
        day_after(sign_due) if sign_due is not None and (signed is None or signed > sign_due) else None,
        day_after(contact_due) if contact_due is not None and (contacted is None or contacted > contact_due) else None,
    )
