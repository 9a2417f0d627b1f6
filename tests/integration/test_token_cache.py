"""Remembered tokens on PostgreSQL: a revocation in one process is refused by every other one at once."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from uuid import UUID

import psycopg
import pytest

from domain.values import CLI, Role
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from infrastructure.token_cache import TOKENS_CHANNEL, TTL
from tests.conftest import POSTGRES_URL, require_postgres, reset_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture
def two_processes(clock: FixedClock) -> Iterator[tuple[Container, Container]]:
    require_postgres()
    reset_postgres()
    first = build(Settings(database_url=POSTGRES_URL), clock=clock)
    second = build(Settings(database_url=POSTGRES_URL), clock=clock, create_tables=False)
    yield first, second
    first.close()
    second.close()


def soon(condition: Callable[[], bool], seconds: float = 2.0) -> bool:
    """A revocation's notice reaches the other processes when PostgreSQL delivers it, a moment after the commit
    (microseconds; more on a loaded machine)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def handler_secret(container: Container) -> str:
    return container.tokens.issue(CLI, name="lead", role=Role.HANDLER, department="econ-info").secret


def test_a_token_is_remembered_and_refused_everywhere_once_revoked(two_processes: tuple[Container, Container]) -> None:
    first, second = two_processes
    secret = handler_secret(first)
    actor = second.tokens.authenticate(secret)
    assert actor is not None and second.tokens.remembered(secret) == actor  # read once, then from memory
    first.tokens.revoke(CLI, UUID(actor.id))
    assert soon(lambda: second.tokens.remembered(secret) is None)
    assert second.tokens.authenticate(secret) is None


def test_the_revocation_and_its_notice_commit_together(two_processes: tuple[Container, Container]) -> None:
    first, _ = two_processes
    actor = first.tokens.authenticate(handler_secret(first))
    assert actor is not None
    with psycopg.connect(POSTGRES_URL, autocommit=True) as listener:
        listener.execute(f"LISTEN {TOKENS_CHANNEL}")
        first.tokens.revoke(CLI, UUID(actor.id))
        notices = list(listener.notifies(timeout=2, stop_after=1))
    assert [n.payload for n in notices] == [actor.id]


def test_while_not_listening_nothing_is_answered_from_memory(two_processes: tuple[Container, Container]) -> None:
    first, second = two_processes
    secret = handler_secret(first)
    actor = second.tokens.authenticate(secret)
    assert actor is not None and second.tokens.remembered(secret) == actor
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:  # the listening connection dies
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE %s AND pid <> pg_backend_pid()",
            (f"LISTEN {TOKENS_CHANNEL}%",),
        )
    first.tokens.revoke(CLI, UUID(actor.id))  # its notice cannot reach `second`
    assert second.tokens.remembered(secret) is None  # the dead connection empties the cache...
    assert second.tokens.authenticate(secret) is None  # ...and the store says revoked


def test_a_revocation_heard_during_the_read_is_not_remembered(two_processes: tuple[Container, Container]) -> None:
    first, second = two_processes
    secret = handler_secret(first)
    cache = second.tokens.cache
    assert cache is not None
    second.tokens.authenticate(handler_secret(first))  # listening now
    stamp = cache.stamp()
    actor = second.tokens.authenticate(secret)  # cached; now pretend it was read just before a revocation
    assert actor is not None
    cache.actors.clear()
    first.tokens.revoke(CLI, UUID(actor.id))
    assert soon(lambda: cache.get(UUID(actor.id)) is None and cache.heard > 0)  # the notice has arrived...
    cache.put(UUID(actor.id), actor, stamp)  # ...and the stale read arrives after it
    assert second.tokens.remembered(secret) is None


def test_a_token_read_before_a_reconnect_is_not_remembered(two_processes: tuple[Container, Container]) -> None:
    """The stamp names its connection: a read from before the listener died and came back is not trusted, since
    a revocation may have committed while nobody listened."""
    first, second = two_processes
    secret = handler_secret(first)
    cache = second.tokens.cache
    assert cache is not None
    second.tokens.authenticate(handler_secret(first))  # listening now
    stamp = cache.stamp()
    actor = second.tokens.authenticate(secret)
    assert actor is not None
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:  # the listening connection dies...
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE %s AND pid <> pg_backend_pid()",
            (f"LISTEN {TOKENS_CHANNEL}%",),
        )
    first.tokens.revoke(CLI, UUID(actor.id))  # ...the revocation is not heard...
    assert cache.get(UUID(actor.id)) is None  # (the drop is noticed here)
    cache.last_try = 0.0
    assert cache.stamp() is not None  # ...and the cache listens again
    cache.put(UUID(actor.id), actor, stamp)  # the read from before the gap arrives now
    assert second.tokens.remembered(secret) is None


def test_a_remembered_token_expires(
    two_processes: tuple[Container, Container], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = two_processes
    secret = handler_secret(first)
    actor = second.tokens.authenticate(secret)
    assert actor is not None and second.tokens.remembered(secret) == actor
    later = time.monotonic() + TTL + 1
    monkeypatch.setattr("infrastructure.token_cache.time.monotonic", lambda: later)
    assert second.tokens.remembered(secret) is None
