"""Reads from a streaming replica (CASETRAIL_READ_DATABASE_URL), falling back to the primary when it does not answer.

The replica is a hot standby of the primary: it holds the same events and, because the projections are written on
the primary, the same view tables and tracking positions, streamed in commit order. So a replica whose `cases`
position is P holds every event up to P, and read-your-writes (`min_position`) is the same wait as on the primary,
against the replica's positions (application/views.py, PositionWaiter).

When a replica read fails with a connection error the route marks the replica down, logs it once, counts the read in
`casetrail_replica_fallbacks_total` and serves it from the primary; for `RETRY_EVERY` seconds every read goes to the
primary, then the replica is tried again. A request that was served a position by the primary stays on the primary
for the rest of that request (a context variable, private to the request), so a replica that comes back behind the
primary can never answer a read whose `min_position` was checked on the primary.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresDatastore

from application.case_execution import CaseResult
from application.case_queries import AsOf, CaseQueries
from application.errors import NotFound
from application.views import Page, PageRequest
from domain.values import Actor
from infrastructure.metrics import REPLICA_FALLBACKS
from infrastructure.recorders import PostgresRecorder
from infrastructure.views.store import SqlViews

log = logging.getLogger("casetrail.replica")
T = TypeVar("T")
RETRY_EVERY = 2.0  # seconds the primary serves every read after the replica failed one
PIN_SECONDS = 30.0  # a request pinned to the primary stays so at most this long (bounds a pin outside requests)
UNAVAILABLE = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)

# Set (to a monotonic deadline) when a read of this request was answered by the primary.
_pinned: contextvars.ContextVar[float] = contextvars.ContextVar("casetrail_replica_pinned", default=0.0)


class ReplicaRoute:
    """Where reads go: the replica while it answers, else the primary (with a log line and a metric)."""

    def __init__(
        self, safe_url: str, retry_every: float = RETRY_EVERY, on_failure: Callable[[], object] | None = None
    ) -> None:
        self.safe_url = safe_url
        self.retry_every = retry_every
        self.on_failure = on_failure
        self.down_until = 0.0
        self.down_since: float | None = None
        self._lock = threading.Lock()
        self._checking = threading.Lock()

    @property
    def up(self) -> bool:
        return time.monotonic() >= self.down_until

    def use_replica(self) -> bool:
        """Whether this read should try the replica: it is not marked down, and this request was not pinned."""
        return self.up and _pinned.get() < time.monotonic()

    def run(self, what: str, replica: Callable[[], T], primary: Callable[[], T], *, missing_too: bool = False) -> T:
        """`replica()` if the replica is up, else (or when it fails to answer) `primary()`. With `missing_too`, a
        NotFound on the replica is asked of the primary as well (the thing may be newer than the replica)."""
        if self.use_replica():
            try:
                found = replica()
                self._recovered()
                return found
            except UNAVAILABLE as e:
                self._failed(what, e)
            except NotFound:
                if not missing_too:
                    raise
        else:
            REPLICA_FALLBACKS.labels(what).inc()
        self.pin()
        return primary()

    def pin(self) -> None:
        """The rest of this request reads from the primary."""
        _pinned.set(time.monotonic() + PIN_SECONDS)

    def _failed(self, what: str, error: BaseException) -> None:
        REPLICA_FALLBACKS.labels(what).inc()
        with self._lock:
            first = self.down_since is None
            self.down_until = time.monotonic() + self.retry_every
            if first:
                self.down_since = time.monotonic()
        if self.on_failure is not None and self._checking.acquire(blocking=False):  # one check at a time, in a
            # thread of its own: the read that failed goes on to the primary at once
            threading.Thread(target=self._check, name="casetrail-replica-check", daemon=True).start()
        if first:
            log.warning(
                "the read replica %s does not answer (%s); reads go to the primary until it does",
                self.safe_url,
                str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__,
            )

    def _check(self) -> None:
        try:
            assert self.on_failure is not None
            self.on_failure()
        except Exception:  # a check of a replica that is down may fail in many ways; the next read will tell
            log.debug("checking the replica's pooled connections failed", exc_info=True)
        finally:
            self._checking.release()

    def _recovered(self) -> None:
        if self.down_since is None:
            return
        with self._lock:
            since, self.down_since = self.down_since, None
        if since is not None:
            log.warning("the read replica %s answers again after %.1f s; reads go to it", self.safe_url,
                        time.monotonic() - since)  # fmt: skip


class ReplicaViews:
    """The read side of the views (what the readers call: generation, position, query) on the replica, each call
    falling back to the primary's views. Anything else a reader asks for goes to whichever store is in use."""

    def __init__(self, replica: SqlViews, primary: SqlViews, route: ReplicaRoute) -> None:
        self.replica = replica
        self.primary = primary
        self.route = route

    def _read(self, read: Callable[[SqlViews], T]) -> T:
        return self.route.run("views", lambda: read(self.replica), lambda: read(self.primary))

    def active_generation(self, name: str) -> int:
        return self._read(lambda views: views.active_generation(name))

    def position(self, name: str, generation: int) -> int:
        return self._read(lambda views: views.position(name, generation))

    def tracked_position(self, application_name: str) -> int | None:
        return self._read(lambda views: views.tracked_position(application_name))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return self._read(lambda views: views.query(sql, params))

    def has_table(self, name: str) -> bool:
        """Whether a view table exists (the report reader asks before reading its roll-up)."""
        return self._read(lambda views: views.has_table(name))

    @property
    def ph(self) -> str:
        return self.primary.ph

    @property
    def dialect(self) -> str:
        return self.primary.dialect

    def __getattr__(self, name: str) -> Any:
        return getattr(self.replica if self.route.use_replica() else self.primary, name)

    def close(self) -> None:
        self.replica.close()


def replica_status(replica: SqlViews, route: ReplicaRoute, projections: Sequence[str], head: int) -> dict[str, Any]:
    """Where the replica stands: each projection's position there and its lag behind the primary's log head, and
    how far its WAL replay trails what it received (seconds since the last replayed commit, when known). A replica
    the route has marked down is answered as down without asking it again (that would wait the pool's timeout on
    every health check); the route itself tries it again after `retry_every` seconds."""
    if not route.up:
        since = time.monotonic() - route.down_since if route.down_since is not None else 0.0
        detail = f"it failed a read {since:.0f} s ago; reads go to the primary, and it is tried again shortly"
        return {"status": "down", "url": route.safe_url, "detail": detail}
    try:
        positions = {name: replica.position(name, replica.active_generation(name)) for name in projections}
        with replica.cursor(commit=False) as c:
            c.execute(
                "SELECT pg_is_in_recovery() AS standby, "
                "EXTRACT(EPOCH FROM (clock_timestamp() - pg_last_xact_replay_timestamp())) AS replay_age"
            )
            row = c.fetchone()
    except UNAVAILABLE as e:
        return {"status": "down", "url": route.safe_url, "detail": str(e).strip().splitlines()[0] if str(e) else ""}
    lag = max((head - p for p in positions.values()), default=0)
    age = row["replay_age"] if row else None
    return {
        "status": "up",
        "url": route.safe_url,
        "standby": bool(row["standby"]) if row else None,
        "lag": max(lag, 0),
        "replay_age_seconds": None if age is None else round(float(age), 3),
        "projections": [{"name": n, "position": p, "lag": max(head - p, 0)} for n, p in positions.items()],
    }


class ReplicaRecorder(PostgresRecorder):
    """The event store's recorder on the replica, for reads only: one attempt per read, so a replica that does not
    answer is given up on after the pool's wait (1 s) and the read goes to the primary, instead of after the three
    attempts the primary's reads make. Writes are refused by PostgreSQL itself (a hot standby is read-only)."""

    def __init__(self, datastore: PostgresDatastore, events_table_name: str = "stored_events") -> None:
        # The library fetches its composite types at construction, which connects; they serve inserts only (which a
        # standby refuses anyway). Skipped, so opening the replica's store never fails when the replica is down.
        datastore.register_type_adapters = lambda: None  # type: ignore[method-assign]
        super().__init__(datastore, events_table_name)

    read_aggregate = PostgresRecorder.read_aggregate.__wrapped__
    select_events = PostgresRecorder.select_events.__wrapped__
    max_notification_id = PostgresRecorder.max_notification_id.__wrapped__


class ReplicaCaseQueries(CaseQueries):
    """Case reads and histories from the replica's event store, each falling back to the primary's (also when the
    case is not on the replica yet: registered a moment ago, not yet replayed there)."""

    def __init__(self, replica: Callable[[], CaseQueries], primary: CaseQueries, route: ReplicaRoute) -> None:
        super().__init__(primary.executor, primary.personal, primary.names)
        self._open_replica, self.primary, self.route = replica, primary, route
        self._replica: CaseQueries | None = None

    @property
    def replica(self) -> CaseQueries:
        """The queries on the replica's store, opened at the first read (opening connects: the replica may have
        been down at start); a failure to open is a failure to answer, and the read goes to the primary."""
        if self._replica is None:
            self._replica = self._open_replica()
        return self._replica

    def replayed(self, position: int | None) -> bool:
        """Whether the replica holds the log up to `position` (a read asking for it goes to the primary if not)."""
        if position is None:
            return True
        return self.route.run(  # a replica that is down (or marked down) has replayed nothing worth asking
            "case", lambda: (self.replica.executor.store.recorder.max_notification_id() or 0) >= position, lambda: False
        )

    def _read(self, read: Callable[[CaseQueries], T], min_position: int | None = None) -> T:
        """`read` on the replica, else on the primary: when the replica fails, has not replayed `min_position`, or
        does not hold the case yet."""
        if not self.replayed(min_position):
            return read(self.primary)
        return self.route.run("case", lambda: read(self.replica), lambda: read(self.primary), missing_too=True)

    def get(self, case_id: UUID, by: Actor, as_of: AsOf | None = None, min_position: int | None = None) -> CaseResult:
        return self._read(lambda queries: queries.get(case_id, by, as_of), min_position)

    def evidence(self, case_id: UUID, by: Actor, version: int) -> tuple[CaseResult, list[dict[str, Any]]]:
        return self._read(lambda queries: queries.evidence(case_id, by, version))

    def history(self, case_id: UUID, by: Actor) -> list[dict[str, Any]]:
        return self._read(lambda queries: queries.history(case_id, by))

    def history_page(self, case_id: UUID, by: Actor, page: PageRequest, min_position: int | None = None) -> Page:
        return self._read(lambda queries: queries.history_page(case_id, by, page), min_position)
