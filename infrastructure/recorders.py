"""Application recorders that also keep idempotency keys, written in the events' own transaction.

A command saved with `idempotency=IdempotencyRecord(...)` stores the key beside its events: both
commit or neither does, so a retried request can never record twice and an acknowledged answer
can always be replayed. The recorders also answer the global position of one stored event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow, args_row
from psycopg.sql import SQL, Identifier

from application.ports import IdempotencyRecord, RawEvent


def _record_row(r: IdempotencyRecord) -> tuple[Any, ...]:
    return (r.token_id, r.key, r.fingerprint, r.case_id, r.version, r.created_at.isoformat())


def _from_row(row: Any) -> IdempotencyRecord:
    return IdempotencyRecord(
        token_id=row["token_id"],
        key=row["key"],
        fingerprint=row["fingerprint"],
        case_id=row["case_id"],
        version=row["version"],
        created_at=datetime.fromisoformat(str(row["created_at"])),
    )


class MemoryRecorder(POPOApplicationRecorder):
    """In-memory recorder for tests and throwaway runs."""

    def __init__(self) -> None:
        super().__init__()
        self._idempotency: dict[tuple[str, str], IdempotencyRecord] = {}

    def _insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        record: IdempotencyRecord | None = kwargs.get("idempotency")
        with self._database_lock:
            if record and (record.token_id, record.key) in self._idempotency:
                raise IntegrityError(f"idempotency key {record.key!r} already used")
            ids = super()._insert_events(stored_events, **kwargs)
            if record:
                self._idempotency[(record.token_id, record.key)] = record
            return ids

    def find_idempotency(self, token_id: str, key: str) -> IdempotencyRecord | None:
        with self._database_lock:
            return self._idempotency.get((token_id, key))

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        with self._database_lock:
            index = self._stored_events_index.get(str(originator_id), {})
            return index[version] + 1 if version in index else None

    def scan(self, after: int, limit: int, stop: int | None = None, topics: Sequence[str] = ()) -> list[RawEvent]:
        rows = self.select_notifications(after, limit, stop, topics, inclusive_of_start=False)
        return [RawEvent(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in rows]  # type: ignore[arg-type]


class MemoryFactory(POPOFactory):
    """Selected with PERSISTENCE_MODULE=infrastructure.recorders:MemoryFactory."""

    def application_recorder(self) -> MemoryRecorder:
        return MemoryRecorder()


WINDOW_MIN = 1000  # positions per scan query at the least: sparse topics need few round trips
IDEMPOTENCY_COLUMNS = (
    "token_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, case_id TEXT NOT NULL, "
    "version INTEGER NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (token_id, key)"
)


class SQLiteRecorder(SQLiteApplicationRecorder):
    """The embedded store: one SQLite file holds events and idempotency keys.

    Table names in SQL strings are constants of this class, never input (hence the S608 waivers).
    """

    idempotency_table = "idempotency_keys"

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {self.idempotency_table} ({IDEMPOTENCY_COLUMNS})",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        record: IdempotencyRecord | None = kwargs.get("idempotency")
        if record:
            c.execute(f"INSERT INTO {self.idempotency_table} VALUES (?,?,?,?,?,?)", _record_row(record))  # noqa: S608
        return ids

    def find_idempotency(self, token_id: str, key: str) -> IdempotencyRecord | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {self.idempotency_table} WHERE token_id=? AND key=?", (token_id, key))  # noqa: S608
            row = c.fetchone()
        return _from_row(row) if row else None

    def scan(self, after: int, limit: int, stop: int | None = None, topics: Sequence[str] = ()) -> list[RawEvent]:
        columns = "rowid, originator_id, originator_version, topic, state"
        sql = f"SELECT {columns} FROM {self.events_table_name} WHERE rowid > ?"  # noqa: S608
        params: list[Any] = [after]
        if stop is not None:
            sql, params = sql + " AND rowid <= ?", [*params, stop]
        if topics:
            sql, params = sql + f" AND topic IN ({','.join('?' * len(topics))})", [*params, *topics]
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql + " ORDER BY rowid LIMIT ?", [*params, limit])
            return [RawEvent(r[0], UUID(hex=r[1]), r[2], r[3], r[4]) for r in c.fetchall()]

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid FROM {self.events_table_name} WHERE originator_id=? AND originator_version=?",  # noqa: S608
                (originator_id.hex, version),
            )
            row = c.fetchone()
        return int(row[0]) if row else None


def _fewer_retries(method: Any) -> Any:
    """The library retries each call 10 times, 0.2 s apart: during an outage a request then waits ~12 s for its
    503. Three attempts still ride out a dropped connection, and an outage is answered in about 4 s."""
    return retry((InterfaceError, OperationalError), max_attempts=3, wait=0.2)(method.__wrapped__)


class PostgresRecorder(PostgresApplicationRecorder):
    """The production store: events, notification sequence and idempotency keys in PostgreSQL."""

    insert_events = _fewer_retries(PostgresApplicationRecorder.insert_events)
    select_events = _fewer_retries(PostgresApplicationRecorder.select_events)
    select_notifications = _fewer_retries(PostgresApplicationRecorder.select_notifications)
    max_notification_id = _fewer_retries(PostgresApplicationRecorder.max_notification_id)

    def __init__(self, datastore: PostgresDatastore, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.idempotency_table = events_table_name.removesuffix("_events") + "_idempotency"
        table = Identifier(self.datastore.schema, self.idempotency_table)
        self.sql_create_statements.append(
            SQL("CREATE TABLE IF NOT EXISTS {0} (" + IDEMPOTENCY_COLUMNS + ")").format(table)
        )
        self._insert_key = SQL("INSERT INTO {0} VALUES (%s,%s,%s,%s,%s,%s)").format(table)
        self._select_key = SQL("SELECT * FROM {0} WHERE token_id=%s AND key=%s").format(table)
        self._scan = SQL("SELECT notification_id, originator_id, originator_version, topic, state FROM {0}").format(
            Identifier(self.datastore.schema, self.events_table_name)
        )
        self._select_position = SQL(
            "SELECT notification_id FROM {0} WHERE originator_id=%s AND originator_version=%s"
        ).format(Identifier(self.datastore.schema, self.events_table_name))

    def scan(self, after: int, limit: int, stop: int | None = None, topics: Sequence[str] = ()) -> list[RawEvent]:
        """Read in windows of positions no wider than what is still wanted, so every query is a short index
        range whatever the planner's statistics say (right after a bulk load they say the table is small,
        and a wide range then becomes a bitmap scan of everything up to `stop`)."""
        end = stop if stop is not None else self.max_notification_id() or 0
        found: list[RawEvent] = []
        low = after
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=args_row(RawEvent)) as curs:
            while len(found) < limit and low < end:
                high = min(end, low + max(limit - len(found), WINDOW_MIN))
                sql, params = self._scan + SQL(" WHERE notification_id > %s AND notification_id <= %s"), [low, high]
                if topics:
                    sql, params = sql + SQL(" AND topic = ANY(%s)"), [*params, list(topics)]
                # Binary results and plain tuples: about twice as fast as the library's dict rows, in bulk.
                curs.execute(
                    sql + SQL(" ORDER BY notification_id LIMIT %s"), [*params, limit - len(found)], binary=True
                )
                found += curs.fetchall()
                low = high
        return found

    def _insert_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        record: IdempotencyRecord | None = kwargs.get("idempotency")
        if record:
            curs.execute(self._insert_key, _record_row(record))

    def find_idempotency(self, token_id: str, key: str) -> IdempotencyRecord | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_key, (token_id, key))
            row = curs.fetchone()
        return _from_row(row) if row else None

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_position, (originator_id, version))
            row = curs.fetchone()
        return int(row["notification_id"]) if row else None
