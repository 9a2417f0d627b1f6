"""The four lists (四张清单): which lists a project is on as of a day, with a colour, a reason and since when."""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

GREEN, YELLOW, RED = "green", "yellow", "red"
COLOURS = (GREEN, YELLOW, RED)
LISTS = ("start", "construction", "completion", "production")
STATISTICS_THRESHOLD = 500.0  # 万元: at or above it, entering statistics (入库入统) is compulsory
COMPLETION_WINDOW = 90  # days before planned completion a project joins the completion list
WARNING_WINDOW = 30  # days before a planned completion or production date the list turns yellow
NEARLY_COMPLETE = 90.0  # percent: within the warning window, a project this far along stays green
BEHIND_YELLOW, BEHIND_RED = 10.0, 30.0  # points behind the time-proportional target (序时进度)


@dataclass(frozen=True)
class Facts:
    """What the lists are computed from: planned dates, milestone dates and the latest percent complete."""

    planned_investment: float
    planned_start: date
    planned_completion: date
    planned_production: date
    started_on: date | None = None
    in_statistics_on: date | None = None
    completed_on: date | None = None
    in_production_on: date | None = None
    percent_complete: float | None = None

    @property
    def needs_statistics(self) -> bool:
        return self.planned_investment >= STATISTICS_THRESHOLD

    def as_of(self, day: date, percent_complete: float | None) -> Facts:
        """The facts as they stood at the end of `day`: later milestones not yet reached."""

        def by(d: date | None) -> date | None:
            return d if d is not None and d <= day else None

        return replace(
            self,
            started_on=by(self.started_on),
            in_statistics_on=by(self.in_statistics_on),
            completed_on=by(self.completed_on),
            in_production_on=by(self.in_production_on),
            percent_complete=percent_complete,
        )


@dataclass(frozen=True)
class Standing:
    """A project's place on one list: its colour, why, and the day the colour began (None while green)."""

    list: str
    colour: str
    reason: str
    since: date | None = None


def standings(f: Facts, today: date) -> dict[str, Standing]:
    """Every list the project is on today, by list name."""
    found = {name: rule(f, today) for name, rule in RULES}
    return {name: s for name, s in found.items() if s is not None}


def worst(found: dict[str, Standing]) -> str | None:
    """The most urgent colour over the lists, or None when the project is on none."""
    return max((s.colour for s in found.values()), key=COLOURS.index, default=None)


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the 31st becomes the month's last day where it has none."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def graded(
    name: str, today: date, yellow_from: date | None, red_from: date | None, reasons: tuple[str, str, str]
) -> Standing:
    """Red from `red_from`, else yellow from `yellow_from`, else green; reasons are (green, yellow, red)."""
    if red_from is not None and today >= red_from:
        return Standing(name, RED, reasons[2], red_from)
    if yellow_from is not None and today >= yellow_from:
        return Standing(name, YELLOW, reasons[1], yellow_from)
    return Standing(name, GREEN, reasons[0])


def start_list(f: Facts, today: date) -> Standing | None:
    """开工入库: not started (yellow from the planned start month, red 3 months late), or started and not in
    statistics at 500万元 or more (yellow 1 month after the start, red 2 months after)."""
    if f.started_on is None:
        planned = f.planned_start
        reasons = (
            f"计划{planned}开工，尚未到开工月份",
            f"已到计划开工月份（计划{planned}），尚未开工",
            f"计划{planned}开工，逾期3个月以上仍未开工",
        )
        return graded("start", today, planned.replace(day=1), add_months(planned, 3), reasons)
    if f.in_statistics_on is None and f.needs_statistics:
        started = f.started_on
        reasons = (
            f"{started}开工，待入库入统",
            f"{started}开工已满1个月，尚未入库入统",
            f"{started}开工已满2个月，仍未入库入统",
        )
        return graded("start", today, add_months(started, 1), add_months(started, 2), reasons)
    return None


def construction_list(f: Facts, today: date) -> Standing | None:
    """加快建设: started, not completed; yellow 10–30 points behind the time-proportional target, red more."""
    if f.started_on is None or f.completed_on is not None:
        return None
    percent = f.percent_complete or 0.0
    target = time_share(f.planned_start, f.planned_completion, today)
    text = f"序时进度{target:.0f}%，实际完成{percent:.0f}%"
    reasons = (
        f"{text}，进度正常",
        f"{text}，落后{target - percent:.0f}个百分点",
        f"{text}，落后{target - percent:.0f}个百分点（超过30个百分点）",
    )
    yellow_from = day_target_reaches(f.planned_start, f.planned_completion, percent + BEHIND_YELLOW, strictly=False)
    red_from = day_target_reaches(f.planned_start, f.planned_completion, percent + BEHIND_RED, strictly=True)
    return graded("construction", today, yellow_from, red_from, reasons)


def completion_list(f: Facts, today: date) -> Standing | None:
    """按期竣工: not completed, planned completion within the next 90 days or passed; yellow within 30 days of it
    below 90% complete, red after it."""
    planned = f.planned_completion
    if f.completed_on is not None or today < planned - timedelta(days=COMPLETION_WINDOW):
        return None
    percent = f.percent_complete or 0.0
    nearly = percent >= NEARLY_COMPLETE
    reasons = (
        f"计划{planned}竣工，完成{percent:.0f}%",
        f"距计划竣工日期{planned}不足30天，完成{percent:.0f}%（低于90%）",
        f"已过计划竣工日期{planned}，尚未竣工",
    )
    yellow_from = None if nearly else planned - timedelta(days=WARNING_WINDOW)
    return graded("completion", today, yellow_from, planned + timedelta(days=1), reasons)


def production_list(f: Facts, today: date) -> Standing | None:
    """投产达效: completed, not in production; yellow within 30 days of the planned production date, red after it."""
    if f.completed_on is None or f.in_production_on is not None:
        return None
    planned = f.planned_production
    reasons = (
        f"已竣工，计划{planned}投产",
        f"距计划投产日期{planned}不足30天，尚未投产",
        f"已过计划投产日期{planned}，尚未投产",
    )
    return graded("production", today, planned - timedelta(days=WARNING_WINDOW), planned + timedelta(days=1), reasons)


def time_share(start: date, end: date, today: date) -> float:
    """The time-proportional target (序时进度), in percent: the elapsed share of start → end, within 0–100."""
    span = (end - start).days
    if span <= 0:
        return 100.0 if today >= start else 0.0
    return min(max((today - start).days / span, 0.0), 1.0) * 100


def day_target_reaches(start: date, end: date, level: float, *, strictly: bool) -> date | None:
    """The first day the target is at least (or, `strictly`, above) `level` percent; None if it never is."""
    if level > 100 or (strictly and level >= 100):
        return None
    span = (end - start).days
    if span <= 0:
        return start
    share = level * span / 100
    days = math.floor(share) + 1 if strictly else math.ceil(share)
    return start + timedelta(days=max(days, 0))


RULES: tuple[tuple[str, Callable[[Facts, date], Standing | None]], ...] = (
    ("start", start_list),
    ("construction", construction_list),
    ("completion", completion_list),
    ("production", production_list),
)
