"""`casetrail privacy purge` and `privacy check` as real processes on a SQLite file."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import uuid4

import pytest

from api.cli_privacy import years_before
from application.execution import CommandContext
from application.ports import ERASED
from domain.case import Case
from domain.values import Actor, Role
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from tests.conftest import COORDINATOR, START
from tests.unit import case_steps as s

ADMIN = Actor("admin-1", Role.ADMIN)
BIN = Path(sys.executable).parent / "casetrail"
pytestmark = pytest.mark.sqlite


@pytest.fixture
def store(env: dict[str, str]) -> Iterator[Container]:
    container = build(Settings(database_url=env["CASETRAIL_DATABASE_URL"]), clock=FixedClock(START))
    yield container
    container.close()


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=60, check=False)


def test_privacy_purge_without_apply_changes_nothing_and_with_apply_erases_ended_cases(
    env: dict[str, str], store: Container
) -> None:
    closed, withdrawn, open_case = s.closed_case(store), s.dispatched_case(store), s.dispatched_case(store)
    s.withdraw(store, withdrawn)
    head = s.head_position(store)

    dry = cli(env, "privacy", "purge", "--closed-before", "2027-01-01")
    assert dry.returncode == 0, dry.stderr
    assert "2 cases" in dry.stdout and "nothing was changed" in dry.stdout
    assert s.head_position(store) == head
    early = cli(env, "privacy", "purge", "--closed-before", "2026-11-01", "--apply")
    assert "erased the personal data of 0 cases" in early.stdout, early.stderr

    applied = cli(env, "privacy", "purge", "--closed-before", "2027-01-01", "--apply")
    assert applied.returncode == 0, applied.stderr
    assert "erased the personal data of 2 cases" in applied.stdout
    assert [s.current(store, i).personal_data_erased for i in (closed, withdrawn, open_case)] == [True, True, False]
    assert s.last_event(store, closed)["actor"]["id"] == "system:retention"
    again = cli(env, "privacy", "purge", "--closed-before", "2027-01-01")
    assert "0 cases" in again.stdout


def test_privacy_check_counts_contacts_stored_before_sealing(env: dict[str, str], store: Container) -> None:
    s.register(store)
    legacy = Case.register(
        id=uuid4(),
        by=COORDINATOR,
        at=START,
        reference="QY-2025-000001",
        kind="enterprise_problem",
        title="旧记录",
        description="密封之前登记",
        enterprise={"name": "远大医药（中国）有限公司", "credit_code": "91510115MA6C4B7Q2J"},
        category="other",
        channel="visit",
        urgency="normal",
        contact={"name": "张三", "phone": "13700000000"},
        project_id=None,
    )
    store.store.save(legacy)
    before = cli(env, "privacy", "check")
    assert before.returncode == 0, before.stderr
    assert "sealed contacts: 1; erased: 0" in before.stdout
    assert "plaintext in their events): 1, of which erased" in before.stdout
    assert store.queries.get(legacy.id, COORDINATOR).contact == {"name": "张三", "phone": "13700000000"}

    store.cases.withdraw(legacy.id, CommandContext(COORDINATOR), reason="重复登记")
    store.cases.erase_personal_data(legacy.id, CommandContext(ADMIN), reason="本人要求")
    after = cli(env, "privacy", "check")
    assert "erased (no longer shown, but still in the events; see docs/operations.md): 1" in after.stdout
    assert store.queries.get(legacy.id, COORDINATOR).contact == {"name": ERASED, "phone": ERASED}


def test_years_before_moves_a_leap_day_to_the_28th() -> None:
    assert years_before(date(2028, 2, 29), 3) == date(2025, 2, 28)
    assert years_before(date(2028, 3, 1), 3) == date(2025, 3, 1)
