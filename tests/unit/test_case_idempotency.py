"""Idempotency-Key replays and If-Match (expected_version) preconditions: retries never record twice."""

from __future__ import annotations

import pytest

from application.errors import IdempotencyKeyReused, NotFound, VersionMismatch
from application.execution import CommandContext, IdempotencyKey
from domain.errors import StateConflict
from domain.values import Arbitration, Outcome, Tier
from infrastructure.clock import FixedClock
from infrastructure.container import Container
from tests.conftest import COORDINATOR, LEAD, new_case
from tests.unit import case_steps as s
from tests.unit.case_steps import refused


def key(
    value: str = "key-1", fingerprint: str = "POST /v1/cases/x/sign-for {}", token: str = "token-1"
) -> IdempotencyKey:
    return IdempotencyKey(token_id=token, key=value, fingerprint=fingerprint)


def test_sign_for_retried_with_same_key_returns_the_first_result(container: Container) -> None:
    case_id = s.dispatched_case(container)
    first = container.cases.sign_for(case_id, CommandContext(LEAD, idempotency=key()))
    position = s.head_position(container)

    again = container.cases.sign_for(case_id, CommandContext(LEAD, idempotency=key()))

    assert again.replayed is True
    assert first.replayed is False
    assert (again.case.id, again.case.version, again.case.status) == (case_id, 3, "in_progress")
    assert again.position == first.position
    assert s.head_position(container) == position
    assert s.types(container, case_id).count("CaseSignedFor") == 1


def test_replay_returns_the_first_result_after_the_case_moved_on(container: Container) -> None:
    case_id = s.dispatched_case(container)
    first = container.cases.sign_for(case_id, CommandContext(LEAD, idempotency=key()))
    container.cases.contact(case_id, s.cmd(LEAD), note="已联系")

    again = container.cases.sign_for(case_id, CommandContext(LEAD, idempotency=key()))

    assert again.case.version == first.case.version == 3
    assert s.version(container, case_id) == 4


def test_progress_retried_with_same_key_records_one_event(container: Container) -> None:
    case_id = s.in_progress_case(container)
    cmd = CommandContext(LEAD, idempotency=key(fingerprint="POST progress 进展"))

    for _ in range(3):
        container.cases.progress(case_id, cmd, note="进展")

    assert s.types(container, case_id).count("CaseProgressLogged") == 1


def test_register_retried_with_same_key_returns_the_same_case_and_reference(container: Container) -> None:
    cmd = CommandContext(COORDINATOR, idempotency=key(fingerprint="POST /v1/cases {...}"))
    first = container.cases.register(cmd, new_case())
    position = s.head_position(container)

    again = container.cases.register(cmd, new_case())

    assert (again.case.id, again.case.reference, again.replayed) == (first.case.id, "QY-2026-000001", True)
    assert s.head_position(container) == position
    assert container.cases.register(CommandContext(COORDINATOR), new_case()).case.reference == "QY-2026-000002"


def test_merge_retried_with_same_key_records_nothing_new(container: Container) -> None:
    survivor, duplicate = s.register(container), s.register(container)
    cmd = CommandContext(COORDINATOR, idempotency=key(fingerprint="POST merge"))
    first = container.cases.merge(duplicate, cmd, into=survivor, note=None)
    position = s.head_position(container)

    again = container.cases.merge(duplicate, cmd, into=survivor, note=None)

    assert (again.replayed, again.case.status, again.position) == (True, "merged", first.position)
    assert s.head_position(container) == position
    assert s.current(container, survivor).duplicates == [str(duplicate)]


def test_sign_for_with_same_key_and_another_fingerprint_is_invalid(container: Container) -> None:
    case_id = s.dispatched_case(container)
    container.cases.sign_for(case_id, CommandContext(LEAD, idempotency=key()))
    other = CommandContext(LEAD, idempotency=key(fingerprint="POST /v1/cases/x/contact {note}"))

    refused(
        container,
        case_id,
        IdempotencyKeyReused,
        "idempotency_key_reused",
        lambda: container.cases.contact(case_id, other, note="已联系"),
    )


def test_register_with_same_key_and_another_fingerprint_is_invalid(container: Container) -> None:
    container.cases.register(CommandContext(COORDINATOR, idempotency=key(fingerprint="body-1")), new_case())
    position = s.head_position(container)

    with pytest.raises(IdempotencyKeyReused) as e:
        container.cases.register(
            CommandContext(COORDINATOR, idempotency=key(fingerprint="body-2")), new_case(title="另一个问题")
        )

    assert e.value.rule == "idempotency_key_reused"
    assert s.head_position(container) == position


def test_same_key_under_another_token_is_a_new_command(container: Container) -> None:
    first = container.cases.register(CommandContext(COORDINATOR, idempotency=key(token="token-1")), new_case())
    second = container.cases.register(CommandContext(COORDINATOR, idempotency=key(token="token-2")), new_case())

    assert second.replayed is False
    assert second.case.id != first.case.id
    assert second.case.reference == "QY-2026-000002"


def test_refused_command_is_not_stored_and_a_retry_is_judged_anew(container: Container) -> None:
    case_id = s.dispatched_case(container, co=[])
    cmd = CommandContext(LEAD, idempotency=key(fingerprint="POST resolution"))

    def resolve() -> object:
        return container.cases.resolve(case_id, cmd, reply="已办结", outcome=Outcome.SOLVED, reason=None)

    refused(container, case_id, StateConflict, "not_in_progress", resolve)
    s.sign_for(container, case_id)

    result = resolve()

    assert (result.replayed, result.case.status) == (False, "resolved")


def test_expected_version_matching_records_the_command(container: Container) -> None:
    case_id = s.register(container)

    result = container.cases.dispatch(
        case_id,
        CommandContext(COORDINATOR, expected_version=1),
        tier=Tier.HANDLING,
        lead_department="econ-info",
        co_departments=[],
    )

    assert (result.case.version, result.case.status) == (2, "dispatched")


@pytest.mark.parametrize("expected", [1, 3, 0])
def test_sign_for_with_stale_expected_version_is_refused(container: Container, expected: int) -> None:
    case_id = s.dispatched_case(container)

    error = refused(
        container,
        case_id,
        VersionMismatch,
        "version_mismatch",
        lambda: container.cases.sign_for(case_id, CommandContext(LEAD, expected_version=expected)),
    )

    assert (error.expected, error.actual) == (expected, 2)  # type: ignore[attr-defined]


def test_merge_with_stale_expected_version_records_nothing_on_either_case(container: Container) -> None:
    survivor, duplicate = s.register(container), s.register(container)
    s.dispatch(container, duplicate)
    before = s.version(container, survivor)

    refused(
        container,
        duplicate,
        VersionMismatch,
        "version_mismatch",
        lambda: container.cases.merge(
            duplicate, CommandContext(COORDINATOR, expected_version=1), into=survivor, note=None
        ),
    )

    assert s.version(container, survivor) == before


def test_replay_wins_over_a_stale_expected_version(container: Container, clock: FixedClock) -> None:
    case_id = s.dispatched_case(container)
    cmd = CommandContext(LEAD, expected_version=2, idempotency=key())
    container.cases.sign_for(case_id, cmd)
    clock.advance(hours=1)

    again = container.cases.sign_for(case_id, cmd)  # the retry of an acknowledged request answers as the first did

    assert (again.replayed, again.case.version) == (True, 3)


def test_return_replayed_by_a_department_that_lost_the_case_is_not_found(container: Container) -> None:
    """The replay reads the case as the caller may see it now: after reassignment the former lead gets 404."""
    case_id = s.dispatched_case(container)
    returned = container.cases.return_case(
        case_id, CommandContext(LEAD, idempotency=key(fingerprint="return")), reason="非本部门职责", basis="三定方案"
    )
    assert returned.case.status == "returned"
    s.arbitrate(container, case_id, Arbitration.REASSIGN, department="finance")

    with pytest.raises(NotFound):
        container.cases.return_case(
            case_id,
            CommandContext(LEAD, idempotency=key(fingerprint="return")),
            reason="非本部门职责",
            basis="三定方案",
        )
