"""The Project aggregate: a major project (重大项目) from signing through its milestones to production.

Public methods check the rules of DOMAIN.md; the nested event classes only assign state. Dates are ISO
strings and amounts (万元) JSON numbers in the events, so replay and the hash chain see the same values.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import NAMESPACE_URL, UUID, uuid5

from domain import project_events as events
from domain.audited import AuditedAggregate
from domain.directory import ZONES
from domain.errors import InvalidCommand, StateConflict
from domain.project_lists import STATISTICS_THRESHOLD, Facts
from domain.schedule import local_date
from domain.values import Actor


class Milestone(StrEnum):
    STARTED = "started"  # 落地开工
    IN_STATISTICS = "in_statistics"  # 入库入统
    COMPLETED = "completed"  # 竣工投运
    IN_PRODUCTION = "in_production"  # 投产达效


ORDER = tuple(Milestone)


def next_milestone(reached: Collection[str], planned_investment: float) -> Milestone | None:
    """The first milestone not reached yet, in order (entering statistics only where it is compulsory); None when
    every one due is reached."""
    for milestone in ORDER:
        if milestone is Milestone.IN_STATISTICS and planned_investment < STATISTICS_THRESHOLD:
            continue
        if milestone.value not in reached:
            return milestone
    return None


def project_id_for(code: str) -> UUID:
    """A project's id follows from its code, so a second registration of a code collides on the stream's start,
    in any process (codes compare without case)."""
    return uuid5(NAMESPACE_URL, f"/casetrail/projects/{code.strip().upper()}")


if TYPE_CHECKING:
    State = events.ProjectState  # the state's declared types, for type checkers only
else:
    State = object


class Project(AuditedAggregate, State):
    TOPIC = "casetrail:Project"

    # -- events (domain/project_events.py); stored names are data: never rename a TOPIC -----------

    Created = events.Created
    MilestoneRecorded = events.MilestoneRecorded
    ProgressReported = events.ProgressReported

    # -- commands -----------------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        *,
        by: Actor,
        at: datetime,
        name: str,
        code: str,
        owner: dict[str, str],
        zone: str,
        planned_investment: float,
        planned: dict[str, date],
        signed_on: date | None,
    ) -> Project:
        """Register a signed project (签约注册); `signed_on` defaults to the local day of registration."""
        today = local_date(at)
        signed = signed_on or today
        _check_registration(zone, planned_investment, planned, signed, today)
        return cls._start(
            cls.Created,
            id=project_id_for(code),
            by=by,
            at=at,
            name=name,
            code=code.strip(),
            owner=dict(owner),
            zone=zone,
            planned_investment=float(planned_investment),
            planned={k: planned[k].isoformat() for k in ("start", "completion", "production")},
            signed_on=signed.isoformat(),
        )

    def record_milestone(
        self, by: Actor, at: datetime, *, milestone: Milestone, on: date, evidence: str | None
    ) -> None:
        """Record a milestone with its real date: in order, once, not before signing and not in the future."""
        if on > local_date(at):
            raise InvalidCommand("milestone_in_future", f"the {milestone} date {on} lies in the future")
        if milestone.value in self.milestones:
            raise StateConflict("milestone_already_recorded", f"{milestone} is already recorded")
        self._require_order(milestone, on)
        if on < date.fromisoformat(self.signed_on):
            raise InvalidCommand(
                "milestone_before_signing", f"the {milestone} date {on} precedes the signing on {self.signed_on}"
            )
        self._record(
            self.MilestoneRecorded, by=by, at=at, milestone=milestone.value, date=on.isoformat(), evidence=evidence
        )

    def report_progress(
        self, by: Actor, at: datetime, *, percent_complete: float, investment_to_date: float, note: str | None
    ) -> None:
        """Report percent complete (0–100) and the investment to date (万元, not negative)."""
        if not (math.isfinite(percent_complete) and 0 <= percent_complete <= 100):
            raise InvalidCommand("invalid_percent", "percent complete lies between 0 and 100")
        if not (math.isfinite(investment_to_date) and investment_to_date >= 0):
            raise InvalidCommand("invalid_investment", "the investment to date is a number of 万元, not negative")
        self._record(
            self.ProgressReported,
            by=by,
            at=at,
            percent_complete=float(percent_complete),
            investment_to_date=float(investment_to_date),
            note=note,
        )

    # -- reading ------------------------------------------------------------------------------

    def milestone_date(self, milestone: Milestone) -> date | None:
        recorded = self.milestones.get(milestone.value)
        return date.fromisoformat(recorded["date"]) if recorded else None

    @property
    def needs_statistics(self) -> bool:
        return self.planned_investment >= STATISTICS_THRESHOLD

    def facts(self) -> Facts:
        """What the four lists are computed from."""
        return Facts(
            planned_investment=self.planned_investment,
            planned_start=date.fromisoformat(self.planned["start"]),
            planned_completion=date.fromisoformat(self.planned["completion"]),
            planned_production=date.fromisoformat(self.planned["production"]),
            started_on=self.milestone_date(Milestone.STARTED),
            in_statistics_on=self.milestone_date(Milestone.IN_STATISTICS),
            completed_on=self.milestone_date(Milestone.COMPLETED),
            in_production_on=self.milestone_date(Milestone.IN_PRODUCTION),
            percent_complete=self.progress["percent_complete"] if self.progress else None,
        )

    def _require_order(self, milestone: Milestone, on: date) -> None:
        """Earlier milestones first (statistics only where compulsory), none later yet, and dates that follow."""
        index = ORDER.index(milestone)
        later = [m for m in ORDER[index + 1 :] if m.value in self.milestones]
        if later:
            raise StateConflict(
                "milestone_out_of_order", f"{later[0]} is already recorded; {milestone} comes before it"
            )
        missing = [m for m in ORDER[:index] if m.value not in self.milestones and self._required_before(m, milestone)]
        if missing:
            raise StateConflict("milestone_out_of_order", f"{milestone} needs {missing[0]} first")
        previous = [d for m in ORDER[:index] if (d := self.milestone_date(m)) is not None]
        if previous and on < max(previous):
            raise StateConflict("milestone_out_of_order", f"the {milestone} date {on} precedes an earlier milestone")

    def _required_before(self, earlier: Milestone, milestone: Milestone) -> bool:
        if earlier is Milestone.IN_STATISTICS:
            return milestone is not Milestone.IN_PRODUCTION and self.needs_statistics
        return True


def _check_registration(zone: str, investment: float, planned: dict[str, date], signed: date, today: date) -> None:
    if zone not in ZONES:
        raise InvalidCommand("unknown_zone", f"unknown zone {zone!r}; zones are {', '.join(ZONES)}")
    if not (math.isfinite(investment) and investment > 0):
        raise InvalidCommand("invalid_investment", "the planned investment is a positive number of 万元")
    if not planned["start"] <= planned["completion"] <= planned["production"]:
        raise InvalidCommand("planned_dates_out_of_order", "planned dates go start, then completion, then production")
    if signed > today:
        raise InvalidCommand("signed_on_in_future", f"the signing date {signed} lies in the future")
