"""Statements on tables beside the event store's own (the data keys, the access log, the integrity marker), in the
dialect of the store's recorder: written once with `?` placeholders and `{0}`, `{1}`… for table names."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier


class RecorderSql:
    """SQLite or PostgreSQL, by the recorder: on PostgreSQL table names are schema-qualified and quoted, placeholders
    are `%s`, and rows come as dicts; `first` and `values` read a row either way."""

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder
        self.postgres = isinstance(recorder, PostgresApplicationRecorder)

    def sql(self, text: str, *tables: str) -> Any:
        if self.postgres:
            names = (Identifier(self.recorder.datastore.schema, t) for t in tables)
            return SQL(text.replace("?", "%s")).format(*names)
        return text.format(*tables)

    @contextmanager
    def cursor(self, *, commit: bool) -> Iterator[Any]:
        with self.recorder.datastore.transaction(commit=commit) as c:
            yield c

    def values(self, row: Any) -> list[Any]:
        return list(row.values()) if self.postgres else list(row)

    def first(self, text: str, tables: tuple[str, ...], *params: Any) -> Any:
        """The first column of the first row `text` selects, or None when it selects none."""
        with self.cursor(commit=False) as c:
            c.execute(self.sql(text, *tables), params)
            row = c.fetchone()
        return None if row is None else self.values(row)[0]


def table_exists(cursor: Any, postgres: bool, table: str, schema: str | None = None) -> bool:
    """Whether `table` exists (on PostgreSQL in `schema`, by default the connection's current one), read through
    `cursor`."""
    if postgres:
        qualified = "%s || '.' || %s" if schema else "current_schema() || '.' || %s"
        cursor.execute(f"SELECT to_regclass({qualified}) IS NOT NULL AS found", (schema, table) if schema else (table,))
        row = cursor.fetchone()
        return bool(row["found"] if isinstance(row, dict) else row[0])
    cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
    return cursor.fetchone() is not None
