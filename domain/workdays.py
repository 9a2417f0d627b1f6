"""Working-day maths: limits count working days from the next day (次日起算)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol


class WorkingCalendar(Protocol):
    """Which days are working days, and whether that answer comes from official data."""

    def is_working_day(self, day: date) -> bool: ...

    def is_official(self, day: date) -> bool:
        """False where the answer is a forecast (no official schedule published yet)."""
        ...


@dataclass(frozen=True)
class Due:
    """A clock's deadline: the end of its local day, with how it was computed."""

    due: date
    provisional: bool
    policy_version: str

    def as_dict(self) -> dict[str, Any]:
        return {"due": self.due.isoformat(), "provisional": self.provisional, "policy_version": self.policy_version}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Due:
        return cls(date.fromisoformat(data["due"]), bool(data["provisional"]), str(data["policy_version"]))


def add_working_days(calendar: WorkingCalendar, start: date, days: int) -> tuple[date, bool]:
    """The date `days` working days after `start`, counting from the next day.

    Returns the date and whether any day counted or skipped on the way was provisional.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day, provisional, counted = start, False, 0
    while counted < days:
        day += timedelta(days=1)
        provisional = provisional or not calendar.is_official(day)
        if calendar.is_working_day(day):
            counted += 1
    return day, provisional


def previous_working_day(calendar: WorkingCalendar, day: date) -> date:
    """The last working day strictly before `day`."""
    day -= timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day


def count_working_days(calendar: WorkingCalendar, start: date, end: date) -> int:
    """Working days d with start < d <= end."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += calendar.is_working_day(day)
    return count
