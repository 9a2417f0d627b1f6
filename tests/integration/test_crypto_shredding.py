"""Crypto-shredding on SQLite and PostgreSQL: after an erasure the phone is nowhere in the database, while the
chain, an earlier checkpoint, every past version and the rebuilt views still hold; bad master keys stop start-up."""

from __future__ import annotations

import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest

from application.audit import FeedFilter
from application.case_queries import AsOf
from application.execution import CommandContext, IdempotencyKey
from application.ports import ERASED, UNREADABLE
from domain.values import Actor, Role, Tier
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.key_table import KeyTable
from infrastructure.settings import Settings, SettingsError
from infrastructure.views.rebuild import rebuild
from tests.conftest import AUDITOR, COORDINATOR, LEAD, new_case
from tests.projections.folds import folded_rows, projected_rows

PHONE = "13912345678"
NAME = "欧阳修远"
ADMIN = Actor("admin-1", Role.ADMIN)
TITLE = "核药车间蒸汽管道无接入路径"


def database_text(container: Container) -> str:
    """Every row of every table (events, snapshots, keys, idempotency records, access log, views) as text,
    with bytes both decoded and in hex, so a value is found however it was stored."""
    parts: list[str] = []

    def add(value: Any) -> None:
        if isinstance(value, (bytes, bytearray, memoryview)):
            raw = bytes(value)
            parts.extend([raw.decode("utf-8", "replace"), raw.hex()])
        elif value is not None:
            parts.append(str(value))

    settings = container.settings
    if settings.backend == "sqlite":
        conn: Any = sqlite3.connect(settings.sqlite_path)
        listing = "SELECT name FROM sqlite_master WHERE type='table'"
    else:
        conn = psycopg.connect(settings.database_url)
        listing = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    with conn:
        for (table,) in conn.execute(listing).fetchall():
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    add(value)
    return "\n".join(parts)


def holds(text: str, value: str) -> bool:
    return value in text or value.encode().hex() in text or json.dumps(value)[1:-1] in text


def worked_and_withdrawn_case(container: Container) -> UUID:
    key = IdempotencyKey("token-1", "key-1", "fingerprint")
    contact = {"name": NAME, "phone": PHONE}
    case = container.cases.register(CommandContext(COORDINATOR, idempotency=key), new_case(contact=contact)).case
    container.cases.dispatch(
        case.id, CommandContext(COORDINATOR), tier=Tier.HANDLING, lead_department="econ-info", co_departments=[]
    )
    container.cases.sign_for(case.id, CommandContext(LEAD))
    container.store.take_snapshot(case.id)  # snapshots hold the case's state, its contact included
    assert container.queries.get(case.id, COORDINATOR).contact == contact  # a read, logged
    container.cases.withdraw(case.id, CommandContext(COORDINATOR), reason="企业已自行解决")
    return case.id


def catch_up(container: Container) -> None:
    for worker in container.workers():
        worker.catch_up()


def erase(container: Container, case_id: UUID) -> None:
    container.cases.erase_personal_data(case_id, CommandContext(ADMIN), reason="本人来函要求删除")


def test_erase_personal_data_leaves_the_phone_nowhere_in_the_database(durable_container: Container) -> None:
    case_id = worked_and_withdrawn_case(durable_container)
    catch_up(durable_container)
    erase(durable_container, case_id)
    catch_up(durable_container)
    durable_container.audit.feed(AUDITOR, FeedFilter())
    text = database_text(durable_container)
    assert holds(text, TITLE) and holds(text, str(case_id)), "the search does not see the tables"
    assert not holds(text, PHONE)
    assert not holds(text, NAME)
    assert KeyTable(durable_container.store.recorder).get(case_id) is None
    assert durable_container.queries.get(case_id, COORDINATOR).contact == {"name": ERASED, "phone": ERASED}


def test_erase_personal_data_keeps_the_chain_and_an_earlier_checkpoint_valid(durable_container: Container) -> None:
    case_id = worked_and_withdrawn_case(durable_container)
    saved = durable_container.audit.checkpoint(AUDITOR, with_hashes=True)
    erase(durable_container, case_id)
    result = durable_container.audit.verify_stream(AUDITOR, case_id, "casetrail:CaseRegistered")
    assert (result.ok, result.events_checked) == (True, 5)
    assert durable_container.audit.verify_against(saved)["ok"]
    verifier, _ = durable_container.audit.scan()
    assert all(check.ok for check in verifier.streams.values())


def test_erase_personal_data_leaves_every_version_readable(durable_container: Container) -> None:
    case_id = worked_and_withdrawn_case(durable_container)
    erase(durable_container, case_id)
    head = durable_container.queries.get(case_id, AUDITOR).case.version
    statuses = [
        durable_container.queries.get(case_id, AUDITOR, AsOf(version=v)).case.status for v in range(1, head + 1)
    ]
    assert statuses == ["registered", "dispatched", "in_progress", "withdrawn", "withdrawn"]
    history = durable_container.queries.history(case_id, AUDITOR)
    assert history[0]["data"]["contact"] == {"name": ERASED, "phone": ERASED}
    assert history[-1]["type"] == "CasePersonalDataErased"


def test_erase_personal_data_projections_rebuild_to_the_same_views(durable_container: Container) -> None:
    case_id = worked_and_withdrawn_case(durable_container)
    erase(durable_container, case_id)
    catch_up(durable_container)
    for projection in durable_container.projections:
        before = projected_rows(durable_container, projection)
        assert before == folded_rows(durable_container, projection), projection.name
        rebuild(durable_container, projection, lambda done, head: None)
        assert projected_rows(durable_container, projection) == before, projection.name


def test_erase_personal_data_audit_export_holds_no_plaintext(durable_container: Container) -> None:
    case_id = worked_and_withdrawn_case(durable_container)
    before, _ = durable_container.audit.feed(AUDITOR, FeedFilter(limit=500))
    assert PHONE in json.dumps(before, default=str, ensure_ascii=False)  # the auditor reads it until the erasure
    erase(durable_container, case_id)
    after, _ = durable_container.audit.feed(AUDITOR, FeedFilter(limit=500))
    exported = json.dumps(after, default=str, ensure_ascii=False)
    assert PHONE not in exported and NAME not in exported
    assert len(after) == len(before) + 1


def rebuilt(container: Container, **settings: Any) -> Container:
    return build(
        Settings(database_url=container.settings.database_url, **settings), clock=FixedClock(container.clock.now())
    )


def test_start_with_another_master_key_is_refused(durable_container: Container, tmp_path: Path) -> None:
    worked_and_withdrawn_case(durable_container)
    other = tmp_path / "other.key"
    other.write_text("ab" * 32 + "\n")
    with pytest.raises(SettingsError, match="not the master key this store"):
        rebuilt(durable_container, master_key_file=other)


def test_start_without_the_master_key_is_refused(durable_container: Container, tmp_path: Path) -> None:
    worked_and_withdrawn_case(durable_container)
    missing = tmp_path / "absent.key"
    with pytest.raises(SettingsError, match="is missing"):
        rebuilt(durable_container, master_key_file=missing)
    assert not missing.exists()  # never replaced by a new key, which would open nothing


def test_start_with_a_malformed_master_key_is_refused(durable_container: Container, tmp_path: Path) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n")
    with pytest.raises(SettingsError, match="64 hexadecimal"):
        rebuilt(durable_container, master_key_file=bad)


def test_a_damaged_key_row_affects_only_its_case(durable_container: Container) -> None:
    damaged = worked_and_withdrawn_case(durable_container)
    intact = durable_container.cases.register(CommandContext(COORDINATOR), new_case()).case.id
    KeyTable(durable_container.store.recorder).replace(damaged, b"\x01" * 60)
    restarted = rebuilt(durable_container)
    try:
        assert restarted.queries.get(damaged, COORDINATOR).contact == {"name": UNREADABLE, "phone": UNREADABLE}
        assert restarted.queries.get(intact, COORDINATOR).contact == {"name": "李锐", "phone": "13800000000"}
    finally:
        restarted.close()


def test_concurrent_registrations_each_keep_their_data_key(durable_container: Container) -> None:
    """On PostgreSQL concurrent registrations commit in groups: each case's key row goes with its events."""

    def register(n: int) -> UUID:
        body = new_case(contact={"name": f"联系人{n}", "phone": f"139000000{n:02d}"})
        return durable_container.cases.register(CommandContext(COORDINATOR), body).case.id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(register, range(16)))

    phones = [durable_container.queries.get(i, COORDINATOR).contact["phone"] for i in ids]
    assert phones == [f"139000000{n:02d}" for n in range(16)]
