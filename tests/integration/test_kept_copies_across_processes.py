"""Two service instances on one store (as two API processes, or an API process and the CLI): what one keeps of
a case goes stale when the other writes, and the stored state decides every answer (docs/decisions.md 139)."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest

from application.errors import NotFound, VersionMismatch
from application.execution import CommandContext
from domain.errors import DomainError
from domain.values import Actor, Arbitration, Role
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from tests.conftest import AUDITOR, CO, COORDINATOR, LEAD
from tests.integration.tamper import Tamperer
from tests.unit import case_steps as s

ADMIN = Actor("admin-1", Role.ADMIN)


@pytest.fixture
def pair(store_url: str, clock: FixedClock) -> Iterator[tuple[Container, Container]]:
    one, other = (build(Settings(database_url=store_url), clock=clock) for _ in range(2))
    yield one, other
    one.close()
    other.close()


def kept_version(container: Container, case_id: UUID) -> int:
    cache = container.cases.executor.cache
    assert cache is not None
    found = cache.take(case_id)
    assert found is not None
    cache.keep(found)
    return int(found.version)


def test_a_command_on_a_copy_the_other_process_outdated_lands_on_the_stored_head(
    pair: tuple[Container, Container],
) -> None:
    one, other = pair
    case_id = s.in_progress_case(one)
    assert kept_version(one, case_id) == 3
    other.cases.progress(case_id, s.cmd(LEAD), note="另一进程的进展一")
    other.cases.progress(case_id, s.cmd(LEAD), note="另一进程的进展二")

    answer = one.cases.progress(case_id, s.cmd(LEAD), note="本进程的进展")

    assert answer.case.version == 6
    assert s.types(other, case_id).count("CaseProgressLogged") == 3
    assert kept_version(one, case_id) == 6


def test_a_refusal_the_stale_copy_would_give_is_judged_on_the_stored_state(pair: tuple[Container, Container]) -> None:
    """The kept copy says dispatched (progress refused); the store says signed for (progress allowed)."""
    one, other = pair
    case_id = s.dispatched_case(one)
    assert kept_version(one, case_id) == 2
    s.sign_for(other, case_id)

    answer = one.cases.progress(case_id, s.cmd(LEAD), note="进展")

    assert (answer.case.version, answer.case.status) == (4, "in_progress")


def test_what_the_stale_copy_would_allow_is_refused_on_the_stored_state(pair: tuple[Container, Container]) -> None:
    """The kept copy says in progress (progress allowed); the store says withdrawn (refused, nothing recorded)."""
    one, other = pair
    case_id = s.in_progress_case(one)
    s.withdraw(other, case_id)

    with pytest.raises(DomainError):
        one.cases.progress(case_id, s.cmd(LEAD), note="进展")

    assert s.types(one, case_id)[-1] == "CaseWithdrawn"
    assert s.version(one, case_id) == 4
    one.cases.erase_personal_data(case_id, CommandContext(ADMIN), reason="撤单后删除")  # allowed once withdrawn
    assert (s.version(one, case_id), kept_version(one, case_id)) == (5, 5)


def test_if_match_is_judged_on_the_stored_version(pair: tuple[Container, Container]) -> None:
    one, other = pair
    case_id = s.in_progress_case(one)
    other.cases.progress(case_id, s.cmd(LEAD), note="另一进程的进展")  # the store is at 4, the copy at 3

    answer = one.cases.progress(case_id, CommandContext(LEAD, expected_version=4), note="按最新版本")
    assert answer.case.version == 5

    other.cases.progress(case_id, s.cmd(LEAD), note="另一进程的进展二")  # the store at 6, the copy at 5
    with pytest.raises(VersionMismatch):
        one.cases.progress(case_id, CommandContext(LEAD, expected_version=5), note="按旧版本")
    assert s.version(one, case_id) == 6


def test_a_case_the_other_process_reassigned_is_hidden_from_the_old_department(
    pair: tuple[Container, Container],
) -> None:
    one, other = pair
    case_id = s.dispatched_case(one)  # the copy: dispatched to econ-info, LEAD's department
    s.return_case(other, case_id)
    s.arbitrate(other, case_id, Arbitration.REASSIGN, "finance")

    with pytest.raises(NotFound):
        s.sign_for(one, case_id, LEAD)

    assert s.version(one, case_id) == 4
    s.sign_for(one, case_id, CO)  # the process that held the stale copy goes on from the stored state
    assert (s.version(one, case_id), kept_version(one, case_id)) == (5, 5)


def test_two_processes_writing_one_case_in_turn_record_every_command_once(pair: tuple[Container, Container]) -> None:
    """Every copy is stale (the other process wrote last): each command is still recorded once, in order."""
    one, other = pair
    case_id = s.in_progress_case(one)

    versions = [
        (one if n % 2 else other).cases.progress(case_id, s.cmd(LEAD), note=f"进展 {n}").case.version for n in range(40)
    ]

    assert versions == list(range(4, 44))
    notes = [e["data"]["note"] for e in s.history(one, case_id) if e["type"] == "CaseProgressLogged"]
    assert notes == [f"进展 {n}" for n in range(40)]


def test_a_copy_ahead_of_the_store_is_refused_and_the_stored_head_decides(pair: tuple[Container, Container]) -> None:
    """The store lost the copy's last event (a failover that lost a commit, a restore, a removed tail): the
    command is written at the stored head, leaving no gap, instead of after the lost event."""
    one, _ = pair
    case_id = s.in_progress_case(one)
    one.cases.progress(case_id, s.cmd(LEAD), note="将丢失的进展")
    assert kept_version(one, case_id) == 4
    Tamperer(one).delete(case_id, 4)

    answer = one.cases.progress(case_id, s.cmd(LEAD), note="丢失之后的进展")

    assert answer.case.version == 4
    assert [e["version"] for e in s.history(one, case_id)] == [1, 2, 3, 4]
    assert s.last_event(one, case_id)["data"]["note"] == "丢失之后的进展"
    assert one.audit.verify_stream(AUDITOR, case_id, "casetrail:CaseRegistered").ok


def test_a_copy_of_a_history_rewritten_since_is_refused(pair: tuple[Container, Container]) -> None:
    """The copy's last event was lost and another process wrote that version anew: same version, another event;
    the command goes after the event the store holds."""
    one, other = pair
    case_id = s.in_progress_case(one)
    one.cases.progress(case_id, s.cmd(LEAD), note="将丢失的进展")
    Tamperer(one).delete(case_id, 4)
    other.cases.progress(case_id, s.cmd(LEAD), note="另一进程重写的进展")

    answer = one.cases.progress(case_id, s.cmd(LEAD), note="本进程的进展")

    assert answer.case.version == 5
    notes = [e["data"]["note"] for e in s.history(one, case_id) if e["type"] == "CaseProgressLogged"]
    assert notes == ["另一进程重写的进展", "本进程的进展"]
    assert one.audit.verify_stream(AUDITOR, case_id, "casetrail:CaseRegistered").ok


def test_an_erasure_acted_on_a_copy_ahead_of_the_store_is_judged_on_the_stored_state(
    pair: tuple[Container, Container],
) -> None:
    """An erasure destroys the case's key in its own transaction (not a group commit): the head check goes with
    it. The copy says withdrawn (erasure allowed); the store lost the withdrawal (in progress: refused)."""
    one, _ = pair
    case_id = s.in_progress_case(one)
    s.withdraw(one, case_id)
    Tamperer(one).delete(case_id, 4)

    with pytest.raises(DomainError):
        one.cases.erase_personal_data(case_id, CommandContext(ADMIN), reason="申请删除")

    assert [e["version"] for e in s.history(one, case_id)] == [1, 2, 3]
    contact = one.queries.get(case_id, COORDINATOR).contact
    assert contact is not None and contact["name"] == "李锐"  # the key was not destroyed
