"""The working calendar: official data from chinesecalendar, then statutory holidays forecast by `holidays`.

Days beyond the official data are answered from the `holidays` package's statutory holidays for
China (no make-up working days) plus an operator file, and are marked provisional.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import chinese_calendar
import holidays

OFFICIAL_YEARS = range(2004, max(chinese_calendar.constants.holidays).year + 1)


@dataclass(frozen=True)
class Overrides:
    """An operator's corrections: extra days off and make-up working days (调休补班)."""

    days_off: frozenset[date] = field(default_factory=frozenset)
    working_days: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def load(cls, path: Path) -> Overrides:
        """Read `{"holidays": ["2027-02-08", ...], "working_days": ["2027-02-20", ...]}`."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                frozenset(date.fromisoformat(d) for d in data.get("holidays", [])),
                frozenset(date.fromisoformat(d) for d in data.get("working_days", [])),
            )
        except (OSError, ValueError, AttributeError) as e:
            raise ValueError(
                f"calendar file {path}: {e}. Expected JSON like "
                '{"holidays": ["2027-02-08"], "working_days": ["2027-02-20"]}'
            ) from e


class ChinaWorkingCalendar:
    """Working days in mainland China, by official data where published."""

    def __init__(self, overrides: Overrides | None = None) -> None:
        self.overrides = overrides or Overrides()

    def is_official(self, day: date) -> bool:
        return day.year in OFFICIAL_YEARS

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides.working_days:
            return True
        if day in self.overrides.days_off:
            return False
        if self.is_official(day):
            return _official_workday(day)
        return day.weekday() < 5 and day not in _statutory(day.year)

    def missing_years(self, years: range) -> list[int]:
        return [y for y in years if y not in OFFICIAL_YEARS]


@lru_cache(maxsize=8192)
def _official_workday(day: date) -> bool:
    """chinesecalendar validates every date against the span of its tables (a min and a max over them) before
    answering: ~30 µs a day, and a due date walks many days. The answer for a day never changes."""
    return bool(chinese_calendar.is_workday(day))


@lru_cache(maxsize=16)
def _statutory(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("CN", years=year)
