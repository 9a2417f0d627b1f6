"""Due dates: the policy's limits laid on the working calendar, as of a command's local day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.policy import Policy
from domain.workdays import Due, WorkingCalendar, add_working_days, count_working_days, previous_working_day

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_date(at: datetime) -> date:
    """The Asia/Shanghai calendar day of an instant; deadlines end with their local day."""
    return at.astimezone(LOCAL_TZ).date()


def as_local(moment: datetime) -> datetime:
    """A time the user typed without an offset means Asia/Shanghai, the handlers' clock."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=LOCAL_TZ)


@dataclass(frozen=True)
class Schedule:
    """Computes due dates under one policy and calendar; results are recorded in events."""

    calendar: WorkingCalendar
    policy: Policy

    def due(self, opened_on: date, working_days: int) -> Due:
        day, provisional = add_working_days(self.calendar, opened_on, working_days)
        return Due(day, provisional, self.policy.version)

    def extend(self, old: Due, working_days: int) -> Due:
        day, provisional = add_working_days(self.calendar, old.due, working_days)
        return Due(day, provisional or old.provisional, self.policy.version)

    def last_day_to_ask(self, due: date) -> date:
        """An extension must be asked at least one working day before the due date."""
        return previous_working_day(self.calendar, due)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when resolved the same day)."""
        return count_working_days(self.calendar, start, end)
