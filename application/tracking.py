"""The tracking job (跟踪预警): find the open cases in the views, record the warnings their state calls for."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol
from uuid import UUID

from application.case_execution import CaseExecutor
from application.errors import LostRace, NotFound
from application.execution import CommandContext
from application.retry import retry
from domain.case import Case
from domain.schedule import Schedule, local_date
from domain.values import SYSTEM_TRACKING
from domain.warnings import Threshold, crossed

log = logging.getLogger("casetrail.tracking")
ATTEMPTS = 5  # saves lost to other writers before a case is left for the next run


CHUNK = 500  # candidates whose view snapshots are read (and held) at a time


@dataclass(frozen=True)
class Candidate:
    """An open case as the cases view last saw it."""

    case_id: UUID
    version: int


class TrackingReader(Protocol):
    def open_cases(self) -> list[Candidate]:
        """Every open case that has been dispatched: the only ones with clocks."""
        ...

    def snapshots(self, case_ids: list[UUID]) -> dict[UUID, bytes]:
        """The view's copy of these cases' states, where it has one."""
        ...


@dataclass(frozen=True)
class RaisedWarning:
    case_id: UUID
    reference: str
    kind: str
    level: str
    due: str | None
    department: str | None


@dataclass
class TrackingSummary:
    at: datetime
    candidates: int = 0  # open cases the view listed
    evaluated: int = 0  # of those, loaded and evaluated (the others were unchanged since an earlier run today)
    raised: list[RaisedWarning] = field(default_factory=list)
    conflicts: int = 0  # cases left for the next run after losing every attempt to other writers


class TrackingService:
    """Runs the tracking job; the thresholds are the domain's (domain/warnings.py)."""

    def __init__(
        self,
        executor: CaseExecutor,
        schedule: Schedule,
        reader: TrackingReader,
        preview: Callable[[bytes], Case] | None = None,
    ) -> None:
        self.executor = executor
        self.schedule = schedule
        self.reader = reader
        self.preview = preview  # decodes a view snapshot: a cheap first look before loading the case itself
        # case -> (version evaluated, local day): thresholds only move with the case or the day.
        self.seen: dict[UUID, tuple[int, date]] = {}

    def run(
        self, now: datetime, stopping: Callable[[], bool] = lambda: False, *, dry_run: bool = False
    ) -> TrackingSummary:
        """Record on each open case the warnings crossed by `now`, once per threshold; never clears one.

        Warnings clear only when their cause ends, by the command that ends it, so a run at an
        earlier or later `now` than the last one records nothing but new thresholds. A `dry_run` records
        nothing: it reports what a run at `now` would raise.
        """
        if now.tzinfo is None:
            raise ValueError("the tracking job needs a timezone-aware time")
        now = now.astimezone(UTC)  # event times are stored in UTC
        today, candidates = local_date(now), self.reader.open_cases()
        summary = TrackingSummary(now, candidates=len(candidates))
        self.seen = {c.case_id: self.seen[c.case_id] for c in candidates if c.case_id in self.seen}
        changed = [c for c in candidates if not self._unchanged(c, today)]
        for first in range(0, len(changed), CHUNK):  # snapshots a chunk at a time: memory stays flat
            chunk = changed[first : first + CHUNK]
            snapshots = self.reader.snapshots([c.case_id for c in chunk]) if self.preview else {}
            for candidate in chunk:
                if stopping():  # the process is shutting down: the next run picks up where this one stopped
                    return summary
                summary.evaluated += 1
                if self._nothing_due(snapshots.get(candidate.case_id), now):
                    self.seen[candidate.case_id] = (candidate.version, today)
                    continue
                self._track(candidate.case_id, now, summary, dry_run)
        if summary.raised or summary.conflicts:
            log.info(
                "tracking at %s: %d warnings raised, %d cases conflicted", now, len(summary.raised), summary.conflicts
            )
        return summary

    def _unchanged(self, candidate: Candidate, today: date) -> bool:
        seen = self.seen.get(candidate.case_id)
        return seen is not None and seen[1] == today and candidate.version <= seen[0]

    def _nothing_due(self, snapshot: bytes | None, now: datetime) -> bool:
        """True when the view's copy of the case calls for no new warning. A stale copy only delays a warning
        to the run after the view catches up (its version then differs); anything found is decided again on
        the case itself."""
        if self.preview is None or snapshot is None:
            return False
        return not crossed(self.preview(snapshot), self.schedule, now)

    def _track(self, case_id: UUID, now: datetime, summary: TrackingSummary, dry_run: bool = False) -> None:
        def attempt() -> bool | None:
            try:
                case = self.executor.load(case_id)
            except NotFound:
                return False
            if case.modified_on > now:
                return False  # a run never writes history before the case's latest event
            found = case.raise_warnings(now, self.schedule)
            if dry_run:
                summary.raised += [_raised(case, t) for t in found]
                return True
            if found and not self.executor.save(case, [], CommandContext(SYSTEM_TRACKING)):
                return None
            self.seen[case_id] = (case.version, local_date(now))
            summary.raised += [_raised(case, t) for t in found]
            return True

        try:
            retry(attempt, ATTEMPTS)
        except LostRace:
            summary.conflicts += 1


def _raised(case: Case, t: Threshold) -> RaisedWarning:
    return RaisedWarning(case.id, case.reference, t.kind, t.level, t.due, t.department)
