"""Steps for the tracking tests: run the job as of a moment, and read warnings from the case, history and view."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from application.tracking import TrackingService, TrackingSummary
from application.views import PageRequest
from domain.schedule import LOCAL_TZ
from domain.values import Actor
from infrastructure.container import Container
from tests.conftest import COORDINATOR
from tests.unit import case_steps as s


def local(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """An instant given as Asia/Shanghai wall-clock time, the handlers' clock."""
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


def catch_up(container: Container) -> None:
    for worker in container.workers():
        worker.catch_up()


def track(container: Container, at: datetime) -> TrackingSummary:
    """The job as `serve` runs it (remembering what it evaluated today), after the views caught up."""
    catch_up(container)
    return container.tracking.run(at)


def track_afresh(container: Container, at: datetime) -> TrackingSummary:
    """The job as `casetrail track` runs it: a new service that remembers nothing of earlier runs."""
    catch_up(container)
    service = container.tracking
    return TrackingService(service.executor, service.schedule, service.reader).run(at)


def raised(summary: TrackingSummary) -> set[tuple[str, str]]:
    return {(w.kind, w.level) for w in summary.raised}


def warnings(container: Container, case_id: UUID) -> dict[str, str]:
    """The case's open warnings, kind -> level."""
    return {kind: w["level"] for kind, w in s.current(container, case_id).warnings.items()}


def events(container: Container, case_id: UUID, type_: str) -> list[dict[str, Any]]:
    return [e for e in s.history(container, case_id) if e["type"] == type_]


def cleared(container: Container, case_id: UUID) -> list[tuple[str, str, str, str]]:
    """(kind, level, cause, actor id) of every CaseWarningCleared event."""
    return [
        (e["data"]["kind"], e["data"]["level"], e["data"]["cause"], e["actor"]["id"])
        for e in events(container, case_id, "CaseWarningCleared")
    ]


def view_warnings(container: Container, by: Actor = COORDINATOR) -> list[dict[str, Any]]:
    catch_up(container)
    return container.view_service.warnings(by, PageRequest(limit=500)).items


def view_kinds(container: Container, case_id: UUID, by: Actor = COORDINATOR) -> dict[str, tuple[str, str]]:
    """The warnings view's rows of one case: kind -> (level, department)."""
    return {r["kind"]: (r["level"], r["department"]) for r in view_warnings(container, by) if r["id"] == str(case_id)}
