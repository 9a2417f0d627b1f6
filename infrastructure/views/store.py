"""View stores on SQLite and PostgreSQL: the library's tracking recorders plus generation-numbered tables.

Each projection's tables exist per generation (`cases_g2_summary`); readers use the active one.
A rebuild fills the next generation beside the active one and switches when it has caught up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder

from application.projections.base import (
    Projection,
    Rollup,
    StreamChange,
    Table,
    Write,
    rollups_of,
    tracking_name,
)
from infrastructure.recorder_sql import table_exists

SQL_TYPES = {
    "sqlite": {"text": "TEXT", "int": "INTEGER", "bool": "INTEGER", "real": "REAL", "blob": "BLOB"},
    "postgres": {"text": "TEXT", "int": "BIGINT", "bool": "INTEGER", "real": "DOUBLE PRECISION", "blob": "BYTEA"},
}
CHUNK = 500
UPSERT_ROWS = 500  # rows in one upsert statement, fewer when they have many columns:
UPSERT_PARAMETERS = 16_000  # values in one (PostgreSQL takes at most 65,535; SQLite 32,766 since 3.32)


def table_name(projection: str, generation: int, table: str) -> str:
    return f"{projection}_g{generation}_{table}"


class SqlViews:
    """The SQL both databases share, mixed into the library's tracking recorders; subclasses give the dialect."""

    dialect = "sqlite"
    ph = "?"
    tracking_table = "tracking"
    updated_in_place = ""  # the options of a table whose rows are updated in place (`write_in`)
    # Provided by the library's tracking recorder each concrete store also derives from:
    datastore: Any
    _insert_tracking: Callable[[Any, Tracking], None]
    max_tracking_id: Callable[[str], int | None]

    @contextmanager
    def cursor(self, *, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as c:
            yield c

    def write_tracking(self, curs: Any, tracking: Tracking) -> None:
        self._insert_tracking(curs, tracking)

    def tracked_position(self, application_name: str) -> int | None:
        return self.max_tracking_id(application_name)

    def close(self) -> None:
        self.datastore.close()

    # -- generations -----------------------------------------------------------------------

    def create_registry(self, curs: Any) -> None:
        curs.execute(
            "CREATE TABLE IF NOT EXISTS projection_generations (name TEXT NOT NULL, generation INTEGER NOT NULL, "
            "active INTEGER NOT NULL, PRIMARY KEY (name, generation))"
        )

    def active_generation(self, name: str) -> int:
        with self.cursor(commit=False) as c:
            c.execute(
                f"SELECT MAX(generation) AS g FROM projection_generations WHERE name={self.ph} AND active=1", (name,)
            )
            row = c.fetchone()
        generation = row["g"] if row else None
        if generation is None:
            raise LookupError(f"projection {name} has no tables; run `casetrail migrate`")
        return int(generation)

    def generations(self, name: str) -> list[tuple[int, bool]]:
        with self.cursor(commit=False) as c:
            c.execute(
                f"SELECT generation, active FROM projection_generations WHERE name={self.ph} ORDER BY generation",
                (name,),
            )
            return [(int(r["generation"]), bool(r["active"])) for r in c.fetchall()]

    def create_generation(self, projection: Projection, *, active: bool) -> int:
        """Create the next generation's tables; the first one becomes active at once."""
        with self.cursor(commit=True) as c:
            c.execute(
                f"SELECT MAX(generation) AS g FROM projection_generations WHERE name={self.ph}", (projection.name,)
            )
            row = c.fetchone()
            generation = int(row["g"] or 0) + 1 if row else 1
            # A generation built beside the live one gets its query indexes at the switch: bulk loading
            # into unindexed tables and indexing once is much faster than maintaining indexes per row.
            for statement in self.ddl(projection, generation, query_indexes=active):
                c.execute(statement)
            c.execute(
                f"INSERT INTO projection_generations VALUES ({self.ph}, {self.ph}, {self.ph})",
                (projection.name, generation, int(active)),
            )
        return generation

    def ensure(self, projection: Projection) -> int:
        with self.cursor(commit=True) as c:
            self.create_registry(c)
        try:
            return self.active_generation(projection.name)
        except LookupError:
            return self.create_generation(projection, active=True)

    def add_query_indexes(self, projection: Projection, generation: int) -> None:
        with self.cursor(commit=True) as c:
            for statement in self.index_ddl(projection, generation):
                c.execute(statement)

    def switch(self, projection: Projection, generation: int) -> None:
        """Make `generation` the one readers use (its query indexes first)."""
        self.add_query_indexes(projection, generation)
        with self.cursor(commit=True) as c:
            self._activate(c, projection.name, generation)

    def switch_if_caught_up(self, projection: Projection, old: int, new: int) -> bool:
        """Switch from `old` to `new` only if `new` has reached `old`, checked and switched in one transaction
        that holds the old generation's tracking row, so the live worker cannot move ahead in between."""
        name = projection.name
        with self.cursor(commit=True) as c:
            c.execute(
                f"UPDATE {self.tracking_table} SET notification_id = notification_id WHERE application_name={self.ph}",
                (tracking_name(name, old),),
            )  # takes the row (and on SQLite the write lock) until this transaction ends
            c.execute(
                f"SELECT application_name, notification_id FROM {self.tracking_table} "
                f"WHERE application_name IN ({self.ph}, {self.ph})",
                (tracking_name(name, old), tracking_name(name, new)),
            )
            positions = {r["application_name"]: int(r["notification_id"]) for r in c.fetchall()}
            if positions.get(tracking_name(name, new), 0) < positions.get(tracking_name(name, old), 0):
                return False
            self._activate(c, name, new)
            return True

    def _activate(self, c: Any, name: str, generation: int) -> None:
        c.execute(
            f"UPDATE projection_generations SET active = CASE WHEN generation={self.ph} THEN 1 ELSE 0 END "
            f"WHERE name={self.ph}",
            (generation, name),
        )

    def drop_generation(self, projection: Projection, generation: int, *, unless_live: bool = False) -> bool:
        """Drop the generation's tables, registry row and position; with `unless_live`, nothing when it is live
        (checked in the same transaction). True when it was dropped."""
        with self.cursor(commit=True) as c:
            c.execute(
                f"DELETE FROM projection_generations WHERE name={self.ph} AND generation={self.ph}"
                + (" AND active=0" if unless_live else "")
                + " RETURNING generation",
                (projection.name, generation),
            )
            if unless_live and not c.fetchall():
                return False
            names = [t.name for t in projection.tables] + [r.name for r in rollups_of(projection)] + ["state"]
            for name in names:
                c.execute(f"DROP TABLE IF EXISTS {table_name(projection.name, generation, name)}")
                self.forget(table_name(projection.name, generation, name))
            # A later generation may get this number again: it must start from the beginning.
            c.execute(
                f"DELETE FROM {self.tracking_table} WHERE application_name={self.ph}",
                (tracking_name(projection.name, generation),),
            )
        return True

    def index_ddl(self, projection: Projection, generation: int) -> list[str]:
        statements = []
        for table in projection.tables:
            name = table_name(projection.name, generation, table.name)
            for i, cols in enumerate(table.indexes):
                statements.append(f"CREATE INDEX IF NOT EXISTS {name}_i{i} ON {name} ({', '.join(cols)})")
        for rollup in rollups_of(projection):
            name = table_name(projection.name, generation, rollup.name)
            for i, cols in enumerate(rollup.indexes):
                statements.append(f"CREATE INDEX IF NOT EXISTS {name}_i{i} ON {name} ({', '.join(cols)})")
        return statements

    def ddl(self, projection: Projection, generation: int, *, query_indexes: bool = True) -> list[str]:
        types = SQL_TYPES[self.dialect]
        state = table_name(projection.name, generation, "state")
        statements = [
            f"CREATE TABLE IF NOT EXISTS {state} (stream_id TEXT PRIMARY KEY, state {types['blob']} NOT NULL)"
            + self.updated_in_place
        ]
        for table in projection.tables:
            name = table_name(projection.name, generation, table.name)
            columns = ", ".join(f"{c.name} {types[c.type]}" for c in table.columns)
            options = self.updated_in_place if table.one_per_stream else ""
            statements.append(f"CREATE TABLE IF NOT EXISTS {name} (stream_id TEXT NOT NULL, {columns}){options}")
            unique = "UNIQUE " if table.one_per_stream else ""  # `one_row_each`
            statements.append(f"CREATE {unique}INDEX IF NOT EXISTS {name}_stream ON {name} (stream_id)")
        for rollup in rollups_of(projection):
            name = table_name(projection.name, generation, rollup.name)
            keys = ", ".join(f"{k} TEXT NOT NULL" for k in rollup.keys)
            counters = ", ".join(f"{c} {types['int']} NOT NULL DEFAULT 0" for c in rollup.counters)
            statements.append(
                f"CREATE TABLE IF NOT EXISTS {name} ({keys}, {counters}, PRIMARY KEY ({', '.join(rollup.keys)}))"
            )
        return statements + (self.index_ddl(projection, generation) if query_indexes else [])

    # -- the worker's side -----------------------------------------------------------------

    def position(self, name: str, generation: int) -> int:
        return self.tracked_position(tracking_name(name, generation)) or 0

    def load_states(self, name: str, generation: int, stream_ids: Sequence[UUID]) -> dict[UUID, bytes]:
        found: dict[UUID, bytes] = {}
        table = table_name(name, generation, "state")
        with self.cursor(commit=False) as c:
            for chunk in chunks([str(i) for i in stream_ids]):
                c.execute(f"SELECT stream_id, state FROM {table} WHERE stream_id IN ({self.marks(len(chunk))})", chunk)
                found.update({UUID(r["stream_id"]): bytes(r["state"]) for r in c.fetchall()})
        return found

    def write_many(self, writes: Sequence[Write]) -> None:
        """Several projections' batches in one transaction (one commit instead of one each): all or none."""
        with self.cursor(commit=True) as c:
            for write in writes:
                self.write_in(c, write)

    def write_in(self, c: Any, write: Write) -> None:
        projection, generation, changes, tracking, deltas = write
        if tracking is not None:  # None: a rebuild's shard (`Shard`), whose position the rebuild writes at the end
            self.write_tracking(c, tracking)  # raises IntegrityError if this position was already applied
        # A stream the view held and still holds has its state row and its row in each one-row-per-stream table
        # written over in place (on PostgreSQL a heap-only update when no indexed column changed, which leaves the
        # indexes alone). Its other rows, and every row of a stream that left the view, are deleted and inserted
        # again; streams new to the view only need inserts.
        known = [str(sid) for sid, change in changes.items() if change.existed]
        kept = {sid: ch for sid, ch in changes.items() if ch.existed and ch.state is not None}
        left = [str(sid) for sid, ch in changes.items() if ch.existed and ch.state is None]
        fresh = {sid: ch for sid, ch in changes.items() if not ch.existed}
        state = table_name(projection.name, generation, "state")
        self.delete_rows(c, state, left)
        self.upsert(c, state, ("stream_id", "state"), [(str(sid), ch.state) for sid, ch in kept.items()])
        states = [(str(sid), ch.state) for sid, ch in fresh.items() if ch.state is not None]
        self.bulk_insert(c, state, ("stream_id", "state"), states)
        for table in projection.tables:
            name = table_name(projection.name, generation, table.name)
            if not (table.one_per_stream and self.one_row_each(name, c)):
                self.delete_rows(c, name, known)
                self.insert_rows(c, name, table, changes)
                continue
            rowless = [str(sid) for sid, ch in kept.items() if not ch.rows.get(table.name)]
            self.delete_rows(c, name, left + rowless)
            self.upsert(c, name, ("stream_id", *(col.name for col in table.columns)), row_tuples(table, kept))
            self.insert_rows(c, name, table, fresh)
        for rollup in rollups_of(projection):
            name = table_name(projection.name, generation, rollup.name)
            if self.has_table(name, c):  # a generation made before the roll-up existed has none (until rebuilt)
                rows = [(*key[1:], *values) for key, values in (deltas or {}).items() if key[0] == rollup.name]
                self.add_to_rollup(c, name, rollup, rows)

    def add_to_rollup(self, c: Any, name: str, rollup: Rollup, rows: list[tuple[Any, ...]]) -> None:
        """Add each row's counters to the roll-up's row of the same keys (created at zero if absent)."""
        if not rows:
            return
        columns = (*rollup.keys, *rollup.counters)
        sums = ", ".join(f"{col} = {name}.{col} + excluded.{col}" for col in rollup.counters)
        c.executemany(
            f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({self.marks(len(columns))}) "
            f"ON CONFLICT ({', '.join(rollup.keys)}) DO UPDATE SET {sums}",
            rows,
        )

    def insert_rows(self, c: Any, name: str, table: Table, changes: dict[UUID, StreamChange]) -> None:
        self.bulk_insert(c, name, ("stream_id", *(col.name for col in table.columns)), row_tuples(table, changes))

    def delete_rows(self, c: Any, name: str, streams: list[str]) -> None:
        for chunk in chunks(streams):
            c.execute(f"DELETE FROM {name} WHERE stream_id IN ({self.marks(len(chunk))})", chunk)

    def upsert(self, c: Any, name: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Each row (its stream first, each stream once) written over its stream's row, or added; the table's
        stream_id is unique. One statement per few hundred rows: a statement per row costs more than it saves."""
        sets = ", ".join(f"{col} = excluded.{col}" for col in columns[1:])
        one = f"({self.marks(len(columns))})"
        step = max(1, min(UPSERT_ROWS, UPSERT_PARAMETERS // len(columns)))
        for i in range(0, len(rows), step):
            chunk = rows[i : i + step]
            c.execute(
                f"INSERT INTO {name} ({', '.join(columns)}) VALUES {', '.join([one] * len(chunk))} "
                f"ON CONFLICT (stream_id) DO UPDATE SET {sets}",
                [value for row in chunk for value in row],
            )

    def one_row_each(self, name: str, c: Any) -> bool:
        """Whether the table's stream index is unique (made so since one-row-per-stream tables are written in
        place); a generation made before keeps having its rows deleted and inserted until it is rebuilt."""
        return self.remembered("unique", name, lambda: self.stream_index_unique(c, name))

    def stream_index_unique(self, c: Any, name: str) -> bool:
        c.execute('SELECT "unique" AS u FROM pragma_index_list(?) WHERE name = ?', (name, f"{name}_stream"))
        row = c.fetchone()
        return bool(row and row["u"])

    def bulk_insert(self, c: Any, name: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if rows:
            c.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({self.marks(len(columns))})", rows)

    def has_table(self, name: str, c: Any = None) -> bool:
        """`table_exists`, remembered."""
        return self.remembered("exists", name, lambda: self.table_exists(name, c))

    def remembered(self, what: str, name: str, find: Callable[[], bool]) -> bool:
        """A fact about a generation's table, read once: its tables are made with it and dropped with it (`forget`
        then)."""
        known: dict[tuple[str, str], bool] = self.__dict__.setdefault("_known", {})
        if (what, name) not in known:
            known[(what, name)] = find()
        return known[(what, name)]

    def forget(self, name: str) -> None:
        """What `remembered` holds of the table: it was dropped, or changed behind this process."""
        for key in [k for k in self.__dict__.get("_known", {}) if k[1] == name]:
            del self.__dict__["_known"][key]

    def table_exists(self, name: str, c: Any = None) -> bool:
        """Whether the table exists; read through `c` when inside a transaction (SQLite has one writer)."""
        if c is not None:
            return table_exists(c, self.dialect == "postgres", name)
        with self.cursor(commit=False) as own:
            return table_exists(own, self.dialect == "postgres", name)

    def marks(self, n: int) -> str:
        return ", ".join([self.ph] * n)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.cursor(commit=False) as c:
            c.execute(sql.replace("?", self.ph), tuple(params))
            return [dict(r) for r in c.fetchall()]


def row_tuples(table: Table, changes: dict[UUID, StreamChange]) -> list[tuple[Any, ...]]:
    """The table's rows of these changes as tuples: the stream, then the columns in the table's order."""
    names = [col.name for col in table.columns]
    rows = []
    for sid, change in changes.items():
        found = change.rows.get(table.name)
        if found:
            stream = str(sid)
            rows += [(stream, *[row.get(n) for n in names]) for row in found]
    return rows


def chunks(items: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


class SQLiteViewStore(SqlViews, SQLiteTrackingRecorder):
    dialect, ph = "sqlite", "?"
    tracking_table = "tracking"


class PostgresViewStore(SqlViews, PostgresTrackingRecorder):
    dialect, ph = "postgres", "%s"
    # A fifth of each page left free, so that an update in place finds room beside the old row on its page: a
    # heap-only update, which writes no index entry (the old row is pruned when the page is next read).
    updated_in_place = " WITH (fillfactor = 80)"

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.tracking_table = f"{self.datastore.schema}.{self.tracking_table_name}"

    def stream_index_unique(self, c: Any, name: str) -> bool:
        c.execute(  # in the schema the tables are made in, as `table_exists` looks
            "SELECT indisunique FROM pg_index WHERE indexrelid = to_regclass(current_schema() || '.' || %s)",
            (f"{name}_stream",),
        )
        row = c.fetchone()
        return bool(row and row["indisunique"])

    def bulk_insert(self, c: Any, name: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if rows:  # COPY is several times faster than one INSERT per row
            with c.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
