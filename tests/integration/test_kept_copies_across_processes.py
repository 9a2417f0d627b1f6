"""Two service instances on one store (as two API processes, or an API process and the CLI): what one keeps of
a case goes stale when the other writes, and the stored state decides every answer (docs/decisions.md 139)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from application.errors import NotFound, VersionMismatch
from application.execution import CommandContext
from domain.errors import DomainError
from domain.values import Arbitration
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from tests.conftest import LEAD
from tests.unit import case_steps as s


@pytest.fixture
def pair(store_url: str, clock: FixedClock) -> Iterator[tuple[Container, Container]]:
    one, other = (build(Settings(database_url=store_url), clock=clock) for _ in range(2))
    yield one, other
    one.close()
    other.close()


def kept_version(container: Container, case_id: object) -> int:
    cache = container.cases.executor.cache
    assert cache is not None
    copy = cache.take(case_id)  # type: ignore[arg-type]
    assert copy is not None
    cache.keep(copy)
    return int(copy.version)


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
