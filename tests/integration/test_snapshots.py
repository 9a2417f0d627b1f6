"""Snapshots are a cache of the events: reads through them equal a fold of the events alone, on every store."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import Repository

from application.execution import CommandContext
from application.store import SNAPSHOT_EVERY
from infrastructure.container import Container
from tests.conftest import LEAD
from tests.unit.case_steps import current, in_progress_case


def notes(app: Container, case_id: UUID, count: int) -> None:
    for i in range(count):
        app.cases.progress(case_id, CommandContext(LEAD), note=f"进展 {i}")


def folded(app: Container, case_id: UUID, version: int | None = None) -> dict[str, Any]:
    """The case's state from its events alone, as if there were no snapshots."""
    events_only: Repository[UUID] = Repository(app.store.events)
    return vars(events_only.get(case_id, version=version))


def snapshot_versions(app: Container, case_id: UUID) -> list[int]:
    assert app.store.snapshots is not None
    return [s.originator_version for s in app.store.snapshots.get(case_id)]


def check_reads_equal_the_fold(app: Container) -> None:
    case_id = in_progress_case(app)
    notes(app, case_id, 2 * SNAPSHOT_EVERY + 7)
    head = current(app, case_id).version
    assert snapshot_versions(app, case_id) == [SNAPSHOT_EVERY, 2 * SNAPSHOT_EVERY]
    assert vars(current(app, case_id)) == folded(app, case_id)
    for version in (SNAPSHOT_EVERY - 1, SNAPSHOT_EVERY, SNAPSHOT_EVERY + 1, head - 1):
        as_of = app.queries.get(case_id, LEAD, as_of_version=version).case
        assert as_of.version == version
        assert vars(as_of) == folded(app, case_id, version)


def test_reads_through_snapshots_equal_the_fold_in_memory(app: Container) -> None:
    check_reads_equal_the_fold(app)


def test_reads_through_snapshots_equal_the_fold(durable_app: Container) -> None:
    check_reads_equal_the_fold(durable_app)


def test_a_snapshot_that_cannot_be_written_does_not_fail_the_command(
    app: Container, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    case_id = in_progress_case(app)
    assert app.store.snapshots is not None

    def broken(*_: Any, **__: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(app.store.snapshots, "put", broken)
    before = current(app, case_id).version
    notes(app, case_id, SNAPSHOT_EVERY)
    assert current(app, case_id).version == before + SNAPSHOT_EVERY
    assert snapshot_versions(app, case_id) == []
    assert "not written" in caplog.text
    assert vars(current(app, case_id)) == folded(app, case_id)


def snapshots_table(app: Container) -> str:
    return "casetrail_snapshots" if app.settings.backend == "postgresql" else "stored_snapshots"


def test_audit_finds_a_snapshot_that_differs_from_its_events(durable_app: Container) -> None:
    """An attacker with write access changes a snapshot (the lead department, so another department would see
    the case): reads would trust it, so verification compares every snapshot with the fold of its events."""
    case_id = in_progress_case(durable_app)
    notes(durable_app, case_id, 2 * SNAPSHOT_EVERY + 1)
    assert durable_app.audit.verify_snapshots() == (2, [])
    postgres = durable_app.settings.backend == "postgresql"
    datastore: Any = durable_app.store.recorder.datastore  # type: ignore[attr-defined]
    mark = "%s" if postgres else "?"
    key = case_id if postgres else case_id.hex
    with datastore.transaction(commit=True) as c:
        c.execute(
            f"SELECT state FROM {snapshots_table(durable_app)} WHERE originator_id = {mark} "
            f"AND originator_version = {mark}",
            (key, 2 * SNAPSHOT_EVERY),
        )
        state = bytes(c.fetchone()["state" if postgres else 0])
        assert b'"econ-info"' in state
        c.execute(
            f"UPDATE {snapshots_table(durable_app)} SET state = {mark} WHERE originator_id = {mark} "
            f"AND originator_version = {mark}",
            (state.replace(b'"econ-info"', b'"finance"'), key, 2 * SNAPSHOT_EVERY),
        )
    assert durable_app.audit.verify_snapshots() == (2, [(case_id, 2 * SNAPSHOT_EVERY)])
