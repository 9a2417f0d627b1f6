"""Tracking and warning (跟踪预警): which warnings a case's state calls for, and which open ones have ended.

Pure functions of a case's state, its schedule and an instant; the Case records what they decide.
Every threshold is a matter of local days (a deadline is the end of its local day), so a case's
warnings can only change when the case changes or a new local day begins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain.directory import COORDINATING_CENTRE
from domain.schedule import Schedule, local_date
from domain.values import Escalation, Satisfaction, Status
from domain.workdays import WorkingCalendar, add_working_days, count_working_days, previous_working_day

if TYPE_CHECKING:
    from domain.case import Case

YELLOW, RED = "yellow", "red"
RANK = {YELLOW: 1, RED: 2}
STALLED, DISSATISFIED, REVISIT = "stalled", "dissatisfied", "revisit"
STALL_AFTER = 3  # working days without a progress note from the lead
DISSATISFIED_ROUNDS = 2
LONG_LIMIT = 5  # the 80% rule applies to limits of this many working days or more
# An escalation is a warning of the case (settled after the audit): one open per case, its kind naming the level.
ESCALATION = "escalation"
ESCALATION_LEVEL = {Escalation.URGE: YELLOW, Escalation.SUPERVISE: RED, Escalation.LISTED: RED}
WORKING = (Status.DISPATCHED, Status.RETURNED, Status.IN_PROGRESS)


@dataclass(frozen=True)
class Threshold:
    """A warning a case's state calls for: one per kind (a clock's name, `stalled` or `dissatisfied`)."""

    kind: str
    level: str
    due: str | None  # the deadline it is measured against (ISO date), if it has one
    department: str | None  # who has to act

    def as_fields(self) -> dict[str, Any]:
        return {"kind": self.kind, "level": self.level, "due": self.due, "department": self.department}


def warning_key(kind: str) -> str:
    """Where a warning of this kind is kept in the case: its kind, but one place for every escalation level."""
    return ESCALATION if kind.startswith(ESCALATION + ":") else kind


def escalation(case: Case, level: Escalation) -> Threshold:
    """The warning an escalation is: yellow for `urge`, red for `supervise` and `listed`, the lead's to act on."""
    supervision = case.due.get("supervision") if level is Escalation.SUPERVISE else None
    return Threshold(
        f"{ESCALATION}:{level.value}",
        ESCALATION_LEVEL[level],
        supervision["due"] if supervision else None,
        case.lead_department,
    )


def open_warnings(case: Case) -> list[dict[str, Any]]:
    """The case's open warnings, as its answer and the warnings view show them (each with its `key`).

    A closed, withdrawn or merged case shows none, even before the events clearing its warnings are folded.
    An escalation recorded before escalations were warnings has no warning event: it is shown from the case's
    escalation while the round it was made in is still being worked (after that, its resolution cleared it).
    """
    if not Status(case.status).is_open:
        return []
    found = [{"key": key, **w} for key, w in case.warnings.items()]
    if ESCALATION not in case.warnings and _unrecorded_escalation(case):
        assert case.escalation_level is not None and case.escalated_at is not None
        legacy = escalation(case, Escalation(case.escalation_level)).as_fields()
        found.append({"key": ESCALATION, **legacy, "since": case.escalated_at.isoformat()})
    return found


def _unrecorded_escalation(case: Case) -> bool:
    started = case.round_started_at
    return (
        case.escalation_level is not None
        and case.escalated_at is not None
        and case.status in WORKING
        and (started is None or case.escalated_at >= started)
    )


# -- raising -------------------------------------------------------------------------------------


def crossed(case: Case, schedule: Schedule, at: datetime) -> list[Threshold]:
    """The thresholds crossed by `at` that are not yet recorded: a new warning, or red replacing yellow."""
    return [t for t in called_for(case, schedule, at) if RANK[t.level] > _open_rank(case, t.kind)]


def called_for(case: Case, schedule: Schedule, at: datetime) -> list[Threshold]:
    """Every warning the case's state calls for at `at` (DOMAIN.md "Warnings and supervision")."""
    if not Status(case.status).is_open:
        return []
    today, calendar = local_date(at), schedule.calendar
    found = [_clock(case, calendar, name, clock, today) for name, clock in case.due.items()]
    found += [_stalled(case, calendar, today), _dissatisfied(case)]
    return [t for t in found if t is not None]


def deadline_level(calendar: WorkingCalendar, due: date, opened: date | None, today: date) -> str | None:
    """Red once the deadline's local day has ended; yellow once its last working day has begun, or once
    80% of a limit of 5 or more working days has passed."""
    if today > due:
        return RED
    if today >= last_working_day(calendar, due) or most_elapsed(calendar, opened, due, today):
        return YELLOW
    return None


def last_working_day(calendar: WorkingCalendar, due: date) -> date:
    """The due day itself, or the working day before it (a supervision order may fall on a day off)."""
    return due if calendar.is_working_day(due) else previous_working_day(calendar, due)


def most_elapsed(calendar: WorkingCalendar, opened: date | None, due: date, today: date) -> bool:
    """Whether 80% of the clock's limit has passed, counting the working days that ended before today."""
    if opened is None:
        return False
    limit = count_working_days(calendar, opened, due)
    elapsed = count_working_days(calendar, opened, today - timedelta(days=1))
    return limit >= LONG_LIMIT and 5 * elapsed >= 4 * limit


def responsible(case: Case, kind: str) -> str | None:
    """The department a warning of this kind belongs to."""
    if kind.startswith("co_reply:"):
        return kind.removeprefix("co_reply:")
    return COORDINATING_CENTRE if kind == REVISIT else case.lead_department  # the revisit call is the centre's


def _clock(case: Case, calendar: WorkingCalendar, name: str, clock: dict[str, Any], today: date) -> Threshold | None:
    due = date.fromisoformat(clock["due"])
    if name == REVISIT:  # a window, not a deadline: resolved but not evaluated when it ends
        level = YELLOW if today > due else None
    else:
        opened = case.clocks_opened.get(name)
        level = deadline_level(calendar, due, date.fromisoformat(opened) if opened else None, today)
    return Threshold(name, level, clock["due"], responsible(case, name)) if level else None


def _stalled(case: Case, calendar: WorkingCalendar, today: date) -> Threshold | None:
    if case.status != Status.IN_PROGRESS or case.last_progress_at is None:
        return None
    expected, _ = add_working_days(calendar, local_date(case.last_progress_at), STALL_AFTER)
    return Threshold(STALLED, YELLOW, expected.isoformat(), case.lead_department) if today > expected else None


def _dissatisfied(case: Case) -> Threshold | None:
    rounds = sum(Satisfaction(e["satisfaction"]).is_dissatisfied for e in case.evaluations.values())
    return Threshold(DISSATISFIED, RED, None, case.lead_department) if rounds >= DISSATISFIED_ROUNDS else None


def _open_rank(case: Case, kind: str) -> int:
    warning = case.warnings.get(warning_key(kind))
    return RANK[warning["level"]] if warning else 0


# -- clearing ------------------------------------------------------------------------------------


def ended(case: Case, *, ends_escalation: bool, lead_noted: bool) -> dict[str, str]:
    """The open warnings (kind -> level) whose cause ended with the event just applied.

    A clock's warning ends when the clock is satisfied or stopped, its due date moves (an extension,
    a fresh clock) or its department changes (a reassignment); `stalled` ends with the lead's progress
    note (`lead_noted`) or the end of the in-progress state; an escalation with the events that end it
    (`ends_escalation`: resolution, withdrawal, merge); every warning ends when the case closes, is
    withdrawn or merged.
    """
    return {
        w.get("kind", key): w["level"]
        for key, w in case.warnings.items()
        if _has_ended(case, key, w, ends_escalation, lead_noted)
    }


def _has_ended(case: Case, kind: str, warning: dict[str, Any], ends_escalation: bool, lead_noted: bool) -> bool:
    if not Status(case.status).is_open:
        return True
    if kind == DISSATISFIED:
        return False
    if kind == ESCALATION:
        return ends_escalation
    if kind == STALLED:
        return case.status != Status.IN_PROGRESS or lead_noted
    clock = case.due.get(kind)
    return clock is None or clock["due"] != warning["due"] or responsible(case, kind) != warning["department"]
