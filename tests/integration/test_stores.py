"""The same scenarios on SQLite and PostgreSQL: the life of a case, idempotency and races, for real."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from application.errors import LostRace, VersionMismatch
from application.execution import CommandContext, IdempotencyKey
from domain.values import CLI, Role, Tier
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from tests.conftest import COORDINATOR, LEAD, new_case
from tests.http.scenario import EXPECTED_STATUSES, Tokens, check_history, issue_tokens, tier2_life_with_redo


@pytest.fixture
def client(durable_container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(lambda: durable_container)) as c:
        yield c


@pytest.fixture
def tokens(client: TestClient, durable_container: Container) -> Tokens:
    return issue_tokens(client, durable_container.tokens.issue(CLI, name="admin", role=Role.ADMIN).secret)


def test_tier2_life_with_redo_round_is_stored_and_replayed(client: TestClient, tokens: Tokens) -> None:
    cid, statuses = tier2_life_with_redo(client, tokens)
    assert statuses == EXPECTED_STATUSES
    check_history(client, tokens, cid)


def test_state_survives_a_restart(store_url: str, clock: FixedClock) -> None:
    first = build(Settings(database_url=store_url), clock=clock)
    case = first.cases.register(CommandContext(COORDINATOR), new_case()).case
    first.cases.dispatch(
        case.id, CommandContext(COORDINATOR), tier=Tier.HANDLING, lead_department="econ-info", co_departments=[]
    )
    first.close()
    second = build(Settings(database_url=store_url), clock=clock)
    try:
        again = second.queries.get(case.id, COORDINATOR)
        assert (again.case.status, again.case.version, again.case.reference) == ("dispatched", 2, "QY-2026-000001")
        assert again.position >= 2
    finally:
        second.close()


def test_references_stay_unique_across_processes(store_url: str, clock: FixedClock) -> None:
    """Two service instances on one database (as two API processes) never hand out one number twice."""
    apps = [build(Settings(database_url=store_url), clock=clock) for _ in range(2)]
    try:

        def register(i: int) -> str:
            return apps[i % 2].cases.register(CommandContext(COORDINATOR), new_case(title=f"诉求 {i}")).case.reference

        with ThreadPoolExecutor(max_workers=8) as pool:
            references = list(pool.map(register, range(24)))
        assert len(set(references)) == 24
        assert sorted(references) == [f"QY-2026-{n:06d}" for n in range(1, 25)]
    finally:
        for a in apps:
            a.close()


def test_concurrent_commands_on_one_version_exactly_one_wins(durable_container: Container) -> None:
    case = durable_container.cases.register(CommandContext(COORDINATOR), new_case()).case
    durable_container.cases.dispatch(
        case.id, CommandContext(COORDINATOR), tier=Tier.RESOLUTION, lead_department="econ-info", co_departments=[]
    )
    durable_container.cases.sign_for(case.id, CommandContext(LEAD))
    version = 3

    def progress(i: int) -> str:
        try:
            durable_container.cases.progress(case.id, CommandContext(LEAD, expected_version=version), note=f"进展 {i}")
        except VersionMismatch:
            return "412"
        return "ok"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(progress, range(20)))
    assert outcomes.count("ok") == 1
    assert outcomes.count("412") == 19
    assert durable_container.queries.get(case.id, COORDINATOR).case.version == version + 1


def test_concurrent_commands_without_if_match_are_reapplied_never_lost_or_doubled(durable_container: Container) -> None:
    case = durable_container.cases.register(CommandContext(COORDINATOR), new_case()).case
    durable_container.cases.dispatch(
        case.id, CommandContext(COORDINATOR), tier=Tier.RESOLUTION, lead_department="econ-info", co_departments=[]
    )
    durable_container.cases.sign_for(case.id, CommandContext(LEAD))

    def progress(i: int) -> str | None:
        try:
            durable_container.cases.progress(case.id, CommandContext(LEAD), note=f"进展 {i}")
        except LostRace:
            return None
        return f"进展 {i}"

    with ThreadPoolExecutor(max_workers=4) as pool:
        applied = [n for n in pool.map(progress, range(12)) if n]
    notes = [e["data"]["note"] for e in durable_container.queries.history(case.id, COORDINATOR)[3:]]
    assert sorted(notes) == sorted(applied)
    assert len(applied) >= 10  # re-application resolves nearly every race; a 409 is the rare exception


def test_idempotency_key_is_honoured_across_processes(store_url: str, clock: FixedClock) -> None:
    apps = [build(Settings(database_url=store_url), clock=clock) for _ in range(2)]
    try:
        key = IdempotencyKey("token-1", "k-1", "fingerprint")
        first = apps[0].cases.register(CommandContext(COORDINATOR, idempotency=key), new_case())
        second = apps[1].cases.register(CommandContext(COORDINATOR, idempotency=key), new_case())
        assert second.replayed
        assert (second.case.id, second.position) == (first.case.id, first.position)
        assert apps[1].cases.register(CommandContext(COORDINATOR), new_case()).case.reference == "QY-2026-000002"
    finally:
        for a in apps:
            a.close()


def test_rebuild_on_each_store_switches_to_an_equal_view(durable_container: Container, clock: FixedClock) -> None:
    from infrastructure.views.rebuild import rebuild
    from tests.projections.folds import folded_rows, projected_rows
    from tests.projections.random_commands import random_history

    random_history(durable_container, clock, seed=13, cases=6, steps=60)
    for worker in durable_container.workers():
        worker.catch_up()
    for projection in durable_container.projections:
        before = projected_rows(durable_container, projection)
        old = durable_container.views.active_generation(projection.name)
        assert rebuild(durable_container, projection, lambda done, head: None, batch_size=7) == old + 1
        assert projected_rows(durable_container, projection) == before == folded_rows(durable_container, projection)


def test_concurrent_commands_on_many_cases_are_each_recorded_once(durable_container: Container) -> None:
    """Many writers at once (on PostgreSQL their commits are grouped): every acknowledged command is in its case's
    history exactly once, at the position it was answered with, and every idempotency key replays its answer."""
    cases = []
    for _ in range(8):
        case = durable_container.cases.register(CommandContext(COORDINATOR), new_case()).case
        durable_container.cases.dispatch(
            case.id, CommandContext(COORDINATOR), tier=Tier.RESOLUTION, lead_department="econ-info", co_departments=[]
        )
        durable_container.cases.sign_for(case.id, CommandContext(LEAD))
        cases.append(case.id)

    def progress(i: int) -> tuple[int, int]:
        key = IdempotencyKey(LEAD.id, f"note-{i}", f"fingerprint-{i}")
        result = durable_container.cases.progress(cases[i % 8], CommandContext(LEAD, idempotency=key), note=f"进展 {i}")
        return i, result.position

    with ThreadPoolExecutor(max_workers=16) as pool:
        answered = dict(pool.map(progress, range(64)))
    assert len(set(answered.values())) == 64
    for n, case_id in enumerate(cases):
        notes = [e["data"]["note"] for e in durable_container.queries.history(case_id, COORDINATOR)[3:]]
        assert sorted(notes) == sorted(f"进展 {i}" for i in range(n, 64, 8))
    for i in (0, 31, 63):
        again = durable_container.cases.progress(
            cases[i % 8],
            CommandContext(LEAD, idempotency=IdempotencyKey(LEAD.id, f"note-{i}", f"fingerprint-{i}")),
            note="x",
        )
        assert again.replayed and again.position == answered[i]


@pytest.mark.postgres
def test_postgres_subscribe_raises_not_implemented_instead_of_waiting_forever(clock: FixedClock) -> None:
    from tests.conftest import POSTGRES_URL, require_postgres, reset_postgres

    require_postgres()
    reset_postgres()
    container = build(Settings(database_url=POSTGRES_URL), clock=clock)
    try:
        with pytest.raises(NotImplementedError, match="poll"):
            container.store.recorder.subscribe(gt=0)
    finally:
        container.close()
