"""Snapshots are a cache of the events: reads through them equal a fold of the events alone, on every store."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import Repository

from application.case_queries import AsOf
from application.execution import CommandContext
from application.store import SNAPSHOT_EVERY
from infrastructure.container import Container
from tests.conftest import LEAD
from tests.unit.case_steps import current, in_progress_case


def notes(container: Container, case_id: UUID, count: int) -> None:
    for i in range(count):
        container.cases.progress(case_id, CommandContext(LEAD), note=f"进展 {i}")


def folded(container: Container, case_id: UUID, version: int | None = None) -> dict[str, Any]:
    """The case's state from its events alone, as if there were no snapshots."""
    events_only: Repository[UUID] = Repository(container.store.events)
    return vars(events_only.get(case_id, version=version))


def snapshot_versions(container: Container, case_id: UUID) -> list[int]:
    assert container.store.snapshots is not None
    return [s.originator_version for s in container.store.snapshots.get(case_id)]


def check_reads_equal_the_fold(container: Container) -> None:
    case_id = in_progress_case(container)
    notes(container, case_id, 2 * SNAPSHOT_EVERY + 7)
    head = current(container, case_id).version
    assert snapshot_versions(container, case_id) == [SNAPSHOT_EVERY, 2 * SNAPSHOT_EVERY]
    assert vars(current(container, case_id)) == folded(container, case_id)
    for version in (SNAPSHOT_EVERY - 1, SNAPSHOT_EVERY, SNAPSHOT_EVERY + 1, head - 1):
        as_of = container.queries.get(case_id, LEAD, AsOf(version=version)).case
        assert as_of.version == version
        assert vars(as_of) == folded(container, case_id, version)


def test_reads_through_snapshots_equal_the_fold_in_memory(container: Container) -> None:
    check_reads_equal_the_fold(container)


def test_reads_through_snapshots_equal_the_fold(durable_container: Container) -> None:
    check_reads_equal_the_fold(durable_container)


def test_a_snapshot_that_cannot_be_written_does_not_fail_the_command(
    container: Container, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    case_id = in_progress_case(container)
    assert container.store.snapshots is not None

    def broken(*_: Any, **__: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(container.store.snapshots, "put", broken)
    before = current(container, case_id).version
    notes(container, case_id, SNAPSHOT_EVERY)
    assert current(container, case_id).version == before + SNAPSHOT_EVERY
    assert snapshot_versions(container, case_id) == []
    assert "not written" in caplog.text
    assert vars(current(container, case_id)) == folded(container, case_id)


def snapshots_table(container: Container) -> str:
    return "casetrail_snapshots" if container.settings.backend == "postgresql" else "stored_snapshots"


def test_audit_finds_a_snapshot_that_differs_from_its_events(durable_container: Container) -> None:
    """An attacker with write access changes a snapshot (the lead department, so another department would see
    the case): reads would trust it, so verification compares every snapshot with the fold of its events."""
    case_id = in_progress_case(durable_container)
    notes(durable_container, case_id, 2 * SNAPSHOT_EVERY + 1)
    assert durable_container.audit.verify_snapshots() == (2, [])
    postgres = durable_container.settings.backend == "postgresql"
    datastore: Any = durable_container.store.recorder.datastore  # type: ignore[attr-defined]
    mark = "%s" if postgres else "?"
    key = case_id if postgres else case_id.hex
    with datastore.transaction(commit=True) as c:
        c.execute(
            f"SELECT state FROM {snapshots_table(durable_container)} WHERE originator_id = {mark} "
            f"AND originator_version = {mark}",
            (key, 2 * SNAPSHOT_EVERY),
        )
        state = bytes(c.fetchone()["state" if postgres else 0])
        assert b'"econ-info"' in state
        c.execute(
            f"UPDATE {snapshots_table(durable_container)} SET state = {mark} WHERE originator_id = {mark} "
            f"AND originator_version = {mark}",
            (state.replace(b'"econ-info"', b'"finance"'), key, 2 * SNAPSHOT_EVERY),
        )
    assert durable_container.audit.verify_snapshots() == (2, [(case_id, 2 * SNAPSHOT_EVERY)])
