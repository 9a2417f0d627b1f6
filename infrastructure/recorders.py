"""Application recorders that also keep idempotency keys, written in the events' own transaction.

A command saved with `idempotency=IdempotencyRecord(...)` stores the key beside its events: both
commit or neither does, so a retried request can never record twice and an acknowledged answer
can always be replayed. The recorders also answer the global position of one stored event.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from typing import Any, NoReturn
from uuid import UUID

from eventsourcing.persistence import (
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from eventsourcing.utils import retry
from psycopg import ClientCursor, Cursor
from psycopg.errors import DivisionByZero
from psycopg.rows import DictRow, args_row, tuple_row
from psycopg.sql import SQL, Composed, Identifier

from application.ports import (
    STREAM_MOVED,
    AggregateRead,
    ExpectedHead,
    IdempotencyRecord,
    RawEvent,
    RawRow,
    in_shard,
)
from infrastructure.group_commit import DataKey, GroupCommit, Row
from infrastructure.token_cache import TOKENS_CHANNEL


def _record_row(r: IdempotencyRecord) -> tuple[Any, ...]:
    return (r.token_id, r.key, r.fingerprint, r.stream_id, r.version, r.created_at.isoformat())


def _from_row(row: Any) -> IdempotencyRecord:
    return IdempotencyRecord(
        token_id=row["token_id"],
        key=row["key"],
        fingerprint=row["fingerprint"],
        stream_id=row["case_id"],
        version=row["version"],
        created_at=datetime.fromisoformat(str(row["created_at"])),
    )


class MemoryRecorder(POPOApplicationRecorder):
    """In-memory recorder for tests and throwaway runs."""

    def __init__(self) -> None:
        super().__init__()
        self._idempotency: dict[tuple[str, str], IdempotencyRecord] = {}
        self.data_keys: dict[str, bytes] = {}  # the key table (infrastructure/key_table.py)

    def _insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        record: IdempotencyRecord | None = kwargs.get("idempotency")
        head: ExpectedHead | None = kwargs.get("expected_head")
        with self._database_lock:
            if record and (record.token_id, record.key) in self._idempotency:
                raise IntegrityError(f"idempotency key {record.key!r} already used")
            if head is not None:
                index = self._stored_events_index.get(str(head.stream_id), {})
                at = index.get(head.version)
                if at is None or head.hash.encode() not in self._stored_events[at].state:
                    raise IntegrityError(STREAM_MOVED)
            ids = super()._insert_events(stored_events, **kwargs)
            if record:
                self._idempotency[(record.token_id, record.key)] = record
            if kwargs.get("data_key") is not None:
                self.data_keys[str(kwargs["data_key"][0])] = kwargs["data_key"][1]
            if kwargs.get("erase_key") is not None:
                self.data_keys.pop(str(kwargs["erase_key"]), None)
            return ids

    def find_idempotency(self, token_id: str, key: str) -> IdempotencyRecord | None:
        with self._database_lock:
            return self._idempotency.get((token_id, key))

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        with self._database_lock:
            index = self._stored_events_index.get(str(originator_id), {})
            return index[version] + 1 if version in index else None

    def scan(
        self,
        after: int,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        shard: tuple[int, int] | None = None,
    ) -> list[RawEvent]:
        found: list[RawEvent] = []
        while len(found) < limit:
            rows = self.select_notifications(after, limit, stop, topics, inclusive_of_start=False)
            found += [
                RawEvent(n.id, n.originator_id, n.originator_version, n.topic, n.state)  # type: ignore[arg-type]
                for n in rows
                if shard is None or in_shard(n.originator_id, shard)  # type: ignore[arg-type]
            ]
            if len(rows) < limit:
                break
            after = rows[-1].id
        return found[:limit]

    def scan_rows(self, after: int, limit: int, stop: int | None = None) -> list[RawRow]:
        rows = self.select_notifications(after, limit, stop, inclusive_of_start=False)
        return [(n.id, str(n.originator_id), n.originator_version, n.topic, n.state) for n in rows]


class MemoryFactory(POPOFactory):
    """Selected with PERSISTENCE_MODULE=infrastructure.recorders:MemoryFactory."""

    def application_recorder(self) -> MemoryRecorder:
        return MemoryRecorder()


# The last byte of an id stored as 32 hex digits (SQLite), as `in_shard` takes it.
SQLITE_LAST_BYTE = (
    "((instr('0123456789abcdef', substr(originator_id, 31, 1)) - 1) * 16"
    " + instr('0123456789abcdef', substr(originator_id, 32, 1)) - 1)"
)


def hyphenated(hex32: str) -> str:
    """A UUID's 32 hex digits as `str(UUID)` writes them."""
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


LAST = 2**62  # a version no stream reaches: "up to the head"
# One round trip for an aggregate: its latest snapshot at or below the version, and the events after it. The
# library's repository asks twice (snapshot, then events) and composes both statements on every call.
READ_AGGREGATE = (
    "WITH snap AS (SELECT originator_version, topic, state FROM {snapshots} "
    "WHERE originator_id = {p} AND originator_version <= {p} ORDER BY originator_version DESC LIMIT 1) "
    "SELECT 1 AS snapshot, originator_version AS version, topic, state FROM snap "
    "UNION ALL "
    "SELECT 0, originator_version, topic, state FROM {events} WHERE originator_id = {p} "
    "AND originator_version > COALESCE((SELECT originator_version FROM snap), 0) AND originator_version <= {p} "
    "ORDER BY 1 DESC, 2"
)


def split_read(originator_id: UUID, rows: list[tuple[Any, int, str, bytes]]) -> AggregateRead:
    """(snapshot or None, events after it) from READ_AGGREGATE's rows."""
    stored = [(bool(r[0]), StoredEvent(originator_id, r[1], r[2], bytes(r[3]))) for r in rows]
    snapshot = stored[0][1] if stored and stored[0][0] else None
    return AggregateRead(snapshot, [e for is_snapshot, e in stored if not is_snapshot])


# Each case's data key, wrapped by the master key (infrastructure/personal_data.py): written with the case's first
# events, deleted with its erasure event, in their transaction.
DATA_KEY_COLUMNS = "case_id TEXT PRIMARY KEY, wrapped {bytes} NOT NULL"
ACCESS_LOG_COLUMNS = (
    "at TEXT NOT NULL, actor_id TEXT NOT NULL, role TEXT NOT NULL, department TEXT, credit_code TEXT, "
    "case_id TEXT NOT NULL, via TEXT NOT NULL"
)
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
    data_keys_table = "data_keys"
    access_log_table = "personal_data_access"

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {self.idempotency_table} ({IDEMPOTENCY_COLUMNS})",
            f"CREATE TABLE IF NOT EXISTS {self.data_keys_table} ({DATA_KEY_COLUMNS.format(bytes='BLOB')})",
            f"CREATE TABLE IF NOT EXISTS {self.access_log_table} "
            f"(id INTEGER PRIMARY KEY AUTOINCREMENT, {ACCESS_LOG_COLUMNS})",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        head: ExpectedHead | None = kwargs.get("expected_head")
        if head is not None:
            # After the insert, which took the write lock: a read first would hold a shared lock that another
            # writer's commit waits on while this one waits to write (SQLite answers "database is locked").
            c.execute(
                f"SELECT instr(state, ?) FROM {self.events_table_name} WHERE originator_id=? AND originator_version=?",  # noqa: S608
                (head.hash.encode(), head.stream_id.hex, head.version),
            )
            found = c.fetchone()
            if found is None or not found[0]:
                raise IntegrityError(STREAM_MOVED)  # rolls back the insert
        record: IdempotencyRecord | None = kwargs.get("idempotency")
        if record:
            c.execute(f"INSERT INTO {self.idempotency_table} VALUES (?,?,?,?,?,?)", _record_row(record))  # noqa: S608
        if kwargs.get("data_key") is not None:
            case_id, wrapped = kwargs["data_key"]
            c.execute(f"INSERT INTO {self.data_keys_table} VALUES (?,?)", (str(case_id), wrapped))  # noqa: S608
        if kwargs.get("erase_key") is not None:
            c.execute(f"DELETE FROM {self.data_keys_table} WHERE case_id = ?", (str(kwargs["erase_key"]),))  # noqa: S608
        return ids

    def find_idempotency(self, token_id: str, key: str) -> IdempotencyRecord | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {self.idempotency_table} WHERE token_id=? AND key=?", (token_id, key))  # noqa: S608
            row = c.fetchone()
        return _from_row(row) if row else None

    def scan(
        self,
        after: int,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        shard: tuple[int, int] | None = None,
    ) -> list[RawEvent]:
        rows = self._select(after, limit, stop, topics, shard)
        return [RawEvent(r[0], UUID(hex=r[1]), r[2], r[3], r[4]) for r in rows]

    def scan_rows(self, after: int, limit: int, stop: int | None = None) -> list[RawRow]:
        """As `scan`, as plain tuples with the stream in its canonical text form (stored here as 32 hex digits,
        hyphenated as `str(UUID)` writes them, with no UUID made per row)."""
        return [(r[0], hyphenated(r[1]), r[2], r[3], r[4]) for r in self._select(after, limit, stop, ())]

    def _select(
        self, after: int, limit: int, stop: int | None, topics: Sequence[str], shard: tuple[int, int] | None = None
    ) -> list[Any]:
        columns = "rowid, originator_id, originator_version, topic, state"
        sql = f"SELECT {columns} FROM {self.events_table_name} WHERE rowid > ?"  # noqa: S608
        params: list[Any] = [after]
        if stop is not None:
            sql, params = sql + " AND rowid <= ?", [*params, stop]
        if topics:
            sql, params = sql + f" AND topic IN ({','.join('?' * len(topics))})", [*params, *topics]
        if shard is not None:  # the id is stored as 32 hex digits: its last byte is the last two
            sql, params = sql + f" AND {SQLITE_LAST_BYTE} % ? = ?", [*params, shard[1], shard[0]]
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql + " ORDER BY rowid LIMIT ?", [*params, limit])
            return list(c.fetchall())

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid FROM {self.events_table_name} WHERE originator_id=? AND originator_version=?",  # noqa: S608
                (originator_id.hex, version),
            )
            row = c.fetchone()
        return int(row[0]) if row else None

    @cached_property
    def snapshots_table_name(self) -> str:
        """The library's snapshot table beside this events table (same file)."""
        return self.events_table_name.removesuffix("_events") + "_snapshots"

    def snapshot_versions(self) -> list[tuple[UUID, int]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_id, originator_version FROM {self.snapshots_table_name} ORDER BY 1, 2"  # noqa: S608
            )
            return [(UUID(hex=r[0]), int(r[1])) for r in c.fetchall()]

    @cached_property
    def _read_aggregate_sql(self) -> str:
        return READ_AGGREGATE.format(snapshots=self.snapshots_table_name, events=self.events_table_name, p="?")

    def read_aggregate(self, originator_id: UUID, version: int | None = None) -> AggregateRead:
        sql = self._read_aggregate_sql
        key, upto = originator_id.hex, version if version is not None else LAST
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, (key, upto, key, upto))
            rows = c.fetchall()
        return split_read(originator_id, [(r[0], r[1], r[2], r[3]) for r in rows])


def _fewer_retries(method: Any) -> Any:
    """The library retries each call 10 times, 0.2 s apart: during an outage a request then waits ~12 s for its
    503. Three attempts still ride out a dropped connection, and an outage is answered in about 4 s."""
    return retry((InterfaceError, OperationalError), max_attempts=3, wait=0.2)(method.__wrapped__)


def _head_params(head: ExpectedHead) -> tuple[UUID, int, bytes]:
    """The parameters of PostgreSQL's head check (`_expect_head`): stream, version, chain hash as stored text."""
    return head.stream_id, head.version, head.hash.encode()


@contextmanager
def _moved() -> Iterator[None]:
    """The ExpectedHead check's division by zero, as the integrity error it stands for: the command's write is
    refused like one that lost a race (the group commit then finds the writer in the wrong, the executor reads
    the stream afresh)."""
    try:
        yield
    except DataError as e:
        if isinstance(e.__cause__, DivisionByZero):
            raise IntegrityError(STREAM_MOVED) from e
        raise


class PostgresRecorder(PostgresApplicationRecorder):
    """The production store: events, notification sequence and idempotency keys in PostgreSQL."""

    insert_events_now = _fewer_retries(PostgresApplicationRecorder.insert_events)
    select_events = _fewer_retries(PostgresApplicationRecorder.select_events)
    select_notifications = _fewer_retries(PostgresApplicationRecorder.select_notifications)
    max_notification_id = _fewer_retries(PostgresApplicationRecorder.max_notification_id)

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> NoReturn:
        """Not available: no NOTIFY is sent on insert (docs/decisions.md 42), so the library's subscription would
        wait forever. Poll instead, as the projection workers do (`select_notifications` or `extras.scan`)."""
        raise NotImplementedError(
            "PostgresRecorder.subscribe() is not supported: casetrail sends no NOTIFY on insert; poll "
            "select_notifications() as the projection workers do"
        )

    def __init__(self, datastore: PostgresDatastore, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self._group = GroupCommit(self._commit_group)
        self.idempotency_table = events_table_name.removesuffix("_events") + "_idempotency"
        table = Identifier(self.datastore.schema, self.idempotency_table)
        self.sql_create_statements.append(
            SQL("CREATE TABLE IF NOT EXISTS {0} (" + IDEMPOTENCY_COLUMNS + ")").format(table)
        )
        self._insert_key = SQL("INSERT INTO {0} VALUES (%s,%s,%s,%s,%s,%s)").format(table)
        prefix = events_table_name.removesuffix("_events")
        self.data_keys_table, self.access_log_table = prefix + "_data_keys", prefix + "_personal_data_access"
        keys = Identifier(self.datastore.schema, self.data_keys_table)
        access = Identifier(self.datastore.schema, self.access_log_table)
        self.sql_create_statements += [
            SQL("CREATE TABLE IF NOT EXISTS {0} (" + DATA_KEY_COLUMNS.format(bytes="BYTEA") + ")").format(keys),
            SQL("CREATE TABLE IF NOT EXISTS {0} (id BIGSERIAL PRIMARY KEY, " + ACCESS_LOG_COLUMNS + ")").format(access),
        ]
        self._insert_data_key = SQL("INSERT INTO {0} VALUES (%s,%s)").format(keys)
        # A division by zero unless the stream's event at that version is still the one with that chain hash: the
        # ExpectedHead check, in the statement list of the command's transaction (see `_moved`).
        self._expect_head = SQL(
            "SELECT 1 / (SELECT count(*) FROM {0} WHERE originator_id = %s AND originator_version = %s "
            "AND position(%s::bytea in state) > 0)"
        ).format(Identifier(self.datastore.schema, self.events_table_name))
        self._erase_data_key = SQL("DELETE FROM {0} WHERE case_id = %s").format(keys)
        self._select_key = SQL("SELECT * FROM {0} WHERE token_id=%s AND key=%s").format(table)
        self._scan = SQL("SELECT notification_id, originator_id, originator_version, topic, state FROM {0}").format(
            Identifier(self.datastore.schema, self.events_table_name)
        )
        self._scan_rows = SQL(
            "SELECT notification_id, originator_id::text, originator_version, topic, state FROM {0}"
        ).format(Identifier(self.datastore.schema, self.events_table_name))
        snapshots = Identifier(self.datastore.schema, events_table_name.removesuffix("_events") + "_snapshots")
        events = Identifier(self.datastore.schema, self.events_table_name)
        # Rendered once: psycopg renders a composed statement again at every execute (a command reads once).
        self._read_aggregate = (
            SQL(READ_AGGREGATE.format(snapshots="{0}", events="{1}", p="%s")).format(snapshots, events).as_bytes(None)
        )
        self._commit_statements: dict[tuple[int, int, int, int], bytes] = {}
        self._snapshot_versions = SQL("SELECT originator_id, originator_version FROM {0} ORDER BY 1, 2").format(
            snapshots
        )
        self._insert_rows = SQL("INSERT INTO {0} (originator_id, originator_version, topic, state) VALUES ").format(
            events
        )
        self._returning = SQL(" RETURNING notification_id")
        self._select_position = SQL(
            "SELECT notification_id FROM {0} WHERE originator_id=%s AND originator_version=%s"
        ).format(Identifier(self.datastore.schema, self.events_table_name))

    def snapshot_versions(self) -> list[tuple[UUID, int]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._snapshot_versions)
            return [(r["originator_id"], int(r["originator_version"])) for r in curs.fetchall()]

    @retry((InterfaceError, OperationalError), max_attempts=3, wait=0.2)
    def read_aggregate(self, originator_id: UUID, version: int | None = None) -> AggregateRead:
        upto = version if version is not None else LAST
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._read_aggregate, (originator_id, upto, originator_id, upto), binary=True)
            rows = curs.fetchall()
        return split_read(originator_id, [(r["snapshot"], r["version"], r["topic"], r["state"]) for r in rows])

    def scan(
        self,
        after: int,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        shard: tuple[int, int] | None = None,
    ) -> list[RawEvent]:
        """Read in windows of positions no wider than what is still wanted, so every query is a short index
        range whatever the planner's statistics say (right after a bulk load they say the table is small,
        and a wide range then becomes a bitmap scan of everything up to `stop`)."""
        # Binary results and plain tuples: about twice as fast as the library's dict rows, in bulk.
        return self._in_windows(self._scan, args_row(RawEvent), after, limit, stop, topics, shard)

    def scan_rows(self, after: int, limit: int, stop: int | None = None) -> list[RawRow]:
        """As `scan`, as plain tuples with the stream as text: no UUID or other object per row (the audit's
        read, about 0.6 of `scan`'s CPU)."""
        return self._in_windows(self._scan_rows, tuple_row, after, limit, stop, ())

    def _in_windows(
        self,
        select: Composed,
        rows: Any,
        after: int,
        limit: int,
        stop: int | None,
        topics: Sequence[str],
        shard: tuple[int, int] | None = None,
    ) -> list[Any]:
        end = stop if stop is not None else self.max_notification_id() or 0
        found: list[Any] = []
        low = after
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=rows) as curs:
            while len(found) < limit and low < end:
                wanted = (limit - len(found)) * (shard[1] if shard else 1)  # a shard holds 1/n of the positions
                high = min(end, low + max(wanted, WINDOW_MIN))
                sql, params = select + SQL(" WHERE notification_id > %s AND notification_id <= %s"), [low, high]
                if topics:
                    sql, params = sql + SQL(" AND topic = ANY(%s)"), [*params, list(topics)]
                if shard is not None:  # the id's last byte, as `in_shard` takes it
                    sql, params = (
                        sql + SQL(" AND get_byte(uuid_send(originator_id), 15) %% %s = %s"),
                        [
                            *params,
                            shard[1],
                            shard[0],
                        ],
                    )
                curs.execute(
                    sql + SQL(" ORDER BY notification_id LIMIT %s"), [*params, limit - len(found)], binary=True
                )
                found += curs.fetchall()
                low = high
        return found

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """Commands' events are committed in groups with those of concurrent commands (group_commit.py); a
        write that carries more than its idempotency key (a tracking position, a revocation notice) commits
        alone, so nothing a group does not carry is dropped."""
        if kwargs.get("tracking") is not None or set(kwargs) - {"tracking", "idempotency", "data_key", "expected_head"}:
            with _moved():
                return self.insert_events_now(stored_events, **kwargs)
        key = kwargs.get("data_key")
        return self._group.submit(
            stored_events,
            kwargs.get("idempotency"),
            DataKey(str(key[0]), key[1]) if key else None,
            kwargs.get("expected_head"),
        )

    def _notify_channel(self, curs: Cursor[DictRow]) -> None:
        """No NOTIFY on every insert: it is for the library's subscriptions, which casetrail does not use (its
        projection workers poll), and at commit it takes PostgreSQL's global notification-queue lock."""

    def _commit_group(self, events: list[StoredEvent], rows: list[Row]) -> Sequence[int]:
        records = [r for r in rows if isinstance(r, IdempotencyRecord)]
        keys = [r for r in rows if isinstance(r, DataKey)]
        heads = [r for r in rows if isinstance(r, ExpectedHead)]
        if not events:
            return self.insert_events_now(events, idempotency_records=records, data_keys=keys) or []
        return self._commit_in_one_trip(events, records, keys, heads)

    @retry((InterfaceError, OperationalError), max_attempts=3, wait=0.2)
    def _commit_in_one_trip(
        self,
        events: list[StoredEvent],
        records: list[IdempotencyRecord],
        keys: list[DataKey],
        heads: Sequence[ExpectedHead] = (),
    ) -> list[int]:
        """What the library's insert does (lock the table, insert, return the notification ids, commit), with the
        idempotency records and data keys, as one multi-statement query: PostgreSQL runs it as one transaction
        (all or nothing; a uniqueness violation raises IntegrityError and leaves nothing behind) in one round
        trip, where the library's pipeline took a dozen socket waits. The table lock is held until that commit,
        so notification ids still commit in their order."""
        params: list[Any] = []
        for head in heads:
            params += _head_params(head)
        for record in records:
            params += _record_row(record)
        for key in keys:
            params += (key.case_id, key.wrapped)
        for e in events:
            params += (e.originator_id, e.originator_version, e.topic, e.state)
        with _moved(), self.datastore.get_connection() as conn, ClientCursor(conn) as curs:
            curs.execute(self._commit_sql(len(heads), len(records), len(keys), len(events)), params)
            while curs.nextset():  # the results of the lock and the other rows, then the INSERT's
                pass
            ids = [int(row["notification_id"]) for row in curs.fetchall()]
        if len(ids) != len(events):
            raise ProgrammingError(f"got {len(ids)} notification ids for {len(events)} events")
        return ids

    def _commit_sql(self, heads: int, records: int, keys: int, events: int) -> bytes:
        """The one-trip commit's statement for a group of this shape, rendered once (psycopg renders a composed
        statement again at every execute); the shapes are few (a group holds at most 64 commands). The head
        checks come right after the lock, so that no insert can slip in between them and the events'."""
        shape = (heads, records, keys, events)
        found = self._commit_statements.get(shape)
        if found is None:
            rows = self._insert_rows + SQL(",").join([SQL("(%s,%s,%s,%s)")] * events) + self._returning
            parts = [
                *self.lock_table_statements,
                *[self._expect_head] * heads,
                *[self._insert_key] * records,
                *[self._insert_data_key] * keys,
                rows,
            ]
            found = SQL("; ").join(parts).as_bytes(None)
            if len(self._commit_statements) >= 1024:
                self._commit_statements.clear()
            self._commit_statements[shape] = found
        return found

    def _insert_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        head: ExpectedHead | None = kwargs.get("expected_head")
        if head is not None:
            curs.execute(self._expect_head, _head_params(head))
        records: list[IdempotencyRecord] = list(kwargs.get("idempotency_records") or ())
        if kwargs.get("idempotency"):
            records.append(kwargs["idempotency"])
        if records:
            curs.executemany(self._insert_key, [_record_row(r) for r in records])
        keys: list[DataKey] = list(kwargs.get("data_keys") or ())
        if kwargs.get("data_key") is not None:
            keys.append(DataKey(str(kwargs["data_key"][0]), kwargs["data_key"][1]))
        if keys:
            curs.executemany(self._insert_data_key, [tuple(k) for k in keys])
        if kwargs.get("erase_key") is not None:
            curs.execute(self._erase_data_key, (str(kwargs["erase_key"]),))
        if kwargs.get("revoked_token") is not None:  # heard by every API process's token cache at commit
            curs.execute("SELECT pg_notify(%s, %s)", (TOKENS_CHANNEL, str(kwargs["revoked_token"])))

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
