"""A database writer without the integrity key cannot forge the trail: each attack is refused or named, on SQLite
and PostgreSQL (the writer edits rows directly, tests/integration/tamper.py)."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest

from application.errors import CorruptHistory, NotFound
from application.execution import CommandContext
from application.store import SNAPSHOT_EVERY
from domain.token import AccessToken
from domain.values import CLI, Role
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.settings import Settings, SettingsError
from tests.conftest import AUDITOR, COORDINATOR, ENTERPRISE, LEAD, OTHER_ENTERPRISE, new_case
from tests.integration.tamper import Tamperer
from tests.integration.test_audit import a_case_with_history

SNAPSHOT_AT = SNAPSHOT_EVERY


def case_with_snapshot(container: Container, notes: int = SNAPSHOT_EVERY - 1) -> UUID:
    """A case of 3 + `notes` events: by default its one snapshot, at SNAPSHOT_EVERY, is what reads start from."""
    return a_case_with_history(container, notes)


def verification(container: Container, case_id: UUID) -> tuple[bool, int | None, tuple[int, ...]]:
    result = container.audit.verify_stream(AUDITOR, case_id, "casetrail:CaseRegistered")
    return result.ok, result.first_broken_version, result.broken_snapshots


def test_integrity_rewritten_event_with_recomputed_chain_is_named(durable_container: Container) -> None:
    case_id = case_with_snapshot(durable_container)
    Tamperer(durable_container).rewrite_from(case_id, 5, "note", "伪造的进展")

    assert verification(durable_container, case_id)[:2] == (False, 5)
    verifier, _ = durable_container.audit.scan()
    assert verifier.streams[str(case_id)].first_broken_version == 5


def test_integrity_changed_snapshot_is_ignored_by_reads_and_named(durable_container: Container) -> None:
    case_id = case_with_snapshot(durable_container)
    tamper = Tamperer(durable_container)
    assert tamper.snapshot_count(case_id) == 1
    state = tamper.snapshot_state(case_id, SNAPSHOT_AT)
    tamper.set_snapshot_state(case_id, SNAPSHOT_AT, state.replace(ENTERPRISE.credit_code.encode(),
                                                                    OTHER_ENTERPRISE.credit_code.encode()))  # fmt: skip

    with pytest.raises(NotFound):  # the other enterprise gains nothing: the events decide
        durable_container.queries.get(case_id, OTHER_ENTERPRISE)
    assert durable_container.queries.get(case_id, ENTERPRISE).case.version == SNAPSHOT_EVERY + 2
    assert verification(durable_container, case_id) == (False, None, (SNAPSHOT_AT,))


def test_integrity_forged_token_stream_does_not_authenticate(durable_container: Container) -> None:
    secret = "ct_forged-by-a-database-writer"
    forged = AccessToken.issue(secret=secret, by=CLI, at=durable_container.clock.now(), name="x", role="auditor",
                               department=None, credit_code=None)  # fmt: skip
    tamper = Tamperer(durable_container)
    for event in forged.collect_events():
        tamper.insert(tamper.keyless().to_stored_event(event))

    assert durable_container.tokens.authenticate(secret) is None


def test_integrity_row_with_a_copied_seal_does_not_open(
    durable_container: Container, store_url: str, clock: FixedClock
) -> None:
    """A sealed row moved to another version keeps its seal, which covers stream and version: it is named, and a
    process that reads the history refuses a command on it. The process that saved the case last acts on its kept
    copy (decision 139), whose chain continues the genuine history: the moved row is still named."""
    case_id = case_with_snapshot(durable_container, notes=6)
    tamper = Tamperer(durable_container)
    tamper.set_state(case_id, 6, tamper.state(case_id, 7))

    assert verification(durable_container, case_id)[:2] == (False, 6)
    reader = build(Settings(database_url=store_url), clock=clock)
    try:
        with pytest.raises(CorruptHistory):
            reader.cases.progress(case_id, CommandContext(LEAD), note="读到被改的历史")
    finally:
        reader.close()
    durable_container.cases.progress(case_id, CommandContext(LEAD), note="在保留的副本上")
    assert verification(durable_container, case_id)[:2] == (False, 6)


def test_integrity_store_written_before_seals_is_sealed_once_and_keeps_its_checkpoint(
    store_url: str, clock: FixedClock, tmp_path: Path
) -> None:
    container = build(Settings(database_url=store_url), clock=clock)
    case_id = case_with_snapshot(container)
    before = container.audit.checkpoint(AUDITOR)
    Tamperer(container).unseal_everything()  # as a store written before seals existed
    container.close()

    reopened = build(Settings(database_url=store_url), clock=clock)
    try:
        assert verification(reopened, case_id) == (True, None, ())
        assert reopened.audit.verify_against(before)["ok"]
        assert reopened.queries.get(case_id, COORDINATOR).case.version == SNAPSHOT_EVERY + 2
    finally:
        reopened.close()


def test_integrity_store_with_sealed_rows_and_no_marker_is_refused(store_url: str, clock: FixedClock) -> None:
    container = build(Settings(database_url=store_url), clock=clock)
    container.cases.register(CommandContext(COORDINATOR), new_case())
    Tamperer(container).delete_marker()
    container.close()

    with pytest.raises(SettingsError, match="integrity marker is missing"):
        build(Settings(database_url=store_url), clock=clock)


def test_integrity_store_opened_with_another_key_is_refused(store_url: str, clock: FixedClock, tmp_path: Path) -> None:
    build(Settings(database_url=store_url), clock=clock).close()
    other = tmp_path / "other.key"
    other.write_text("ab" * 32)

    with pytest.raises(SettingsError, match="another integrity key"):
        build(Settings(database_url=store_url, integrity_key_file=other), clock=clock)


def test_integrity_api_process_refuses_a_store_not_sealed_yet(store_url: str, clock: FixedClock) -> None:
    container = build(Settings(database_url=store_url), clock=clock)
    container.cases.register(CommandContext(COORDINATOR), new_case())
    Tamperer(container).unseal_everything()
    container.close()

    with pytest.raises(SettingsError, match="casetrail migrate"):
        build(Settings(database_url=store_url), clock=clock, create_tables=False)


def test_sqlite_file_and_integrity_key_are_private(tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "casetrail.db"
    build(Settings(database_url=f"sqlite:///{path}"), clock=clock).close()
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "casetrail.db.integrity-key").stat().st_mode & 0o777 == 0o600


def test_integrity_token_stream_outside_the_token_index_does_not_authenticate(durable_container: Container) -> None:
    """Even sealed with the stolen integrity key, a token not issued through the service is not in the index."""
    secret = "ct_sealed-but-never-issued"
    forged = AccessToken.issue(secret=secret, by=CLI, at=durable_container.clock.now(), name="x", role="auditor",
                               department=None, credit_code=None)  # fmt: skip
    tamper = Tamperer(durable_container)
    for event in forged.collect_events():
        tamper.insert(durable_container.store.mapper.to_stored_event(event))

    assert durable_container.tokens.authenticate(secret) is None
    issued = durable_container.tokens.issue(CLI, name="real", role=Role.AUDITOR).secret
    assert durable_container.tokens.authenticate(issued) is not None
