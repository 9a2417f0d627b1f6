"""Opening a store: under its integrity key, and at a schema version this release knows.

A store is sealed once, and then only ever opened with that key.

A store written before seals existed is sealed in place by `casetrail migrate` (or the first `serve` on
SQLite): each row's state gets its seal in front, the events themselves and their hash chains unchanged. The
store then keeps a marker made with the key. A store whose marker is missing while sealed rows exist was
tampered with (or restored without its key) and is refused, so a writer cannot have rows of its own sealed by
deleting the marker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from infrastructure.integrity import PREFIX, Seal
from infrastructure.recorder_sql import RecorderSql, table_exists

Progress = Callable[[int], None]
BATCH = 1000

# The store's layout this release writes and reads. A store records the version that last set it up (`migrate`, or
# `serve`, which sets up what is missing): an older one is brought up to date by `migrate`; a newer one, written by
# a later release, is refused rather than misread. Raise it with each change an older release could not read, and
# say here what the step does (the steps themselves run in `build`, each safe to run again).
SCHEMA_VERSION = 1
SCHEMA_STEPS = {
    1: "every row sealed with the integrity key; tables for personal-data keys, the access log and console sessions",
}


class StoreRefused(Exception):
    """The store cannot be opened under this key; the message says what to do."""


def open_sealed(recorder: Any, seal: Seal, *, may_seal: bool, progress: Progress | None = None) -> int:
    """Check the store's marker; with `may_seal`, seal a store written before seals (returns rows sealed)."""
    if not isinstance(recorder, (SQLiteApplicationRecorder, PostgresApplicationRecorder)):
        return 0  # in memory: every row was written by this process, sealed
    db = _Tables(recorder)
    db.ensure()
    marker = db.marker()
    if marker == seal.marker():
        return 0
    if marker is not None:
        raise StoreRefused(
            "this store was sealed with another integrity key: set CASETRAIL_INTEGRITY_KEY_FILE to its key"
        )
    if db.any_sealed():
        raise StoreRefused(
            "this store holds sealed rows but its integrity marker is missing: the database was changed "
            "behind casetrail's back, or restored without its key. Run `casetrail audit verify` and restore "
            "from a backup together with its key."
        )
    if not may_seal:
        raise StoreRefused("this store is not sealed yet: run `casetrail migrate` once, then start again")
    sealed = db.seal_all(seal, progress)
    db.set_marker(seal.marker())
    return sealed


def check_schema(recorder: Any, *, may_upgrade: bool) -> int | None:
    """Refuse a store newer than this release, and (unless this is a set-up that may upgrade) an older one; the
    version the store records (None: none yet, or in memory)."""
    if not isinstance(recorder, (SQLiteApplicationRecorder, PostgresApplicationRecorder)):
        return None  # in memory: made by this process
    stored = _Tables(recorder).schema_version()
    if stored is not None and stored > SCHEMA_VERSION:
        raise StoreRefused(
            f"this store is at schema version {stored}, newer than this release of casetrail knows "
            f"({SCHEMA_VERSION}): it was set up by a later release. Run that release (or a newer one); this one "
            "would misread it."
        )
    if not may_upgrade and (stored or 0) < SCHEMA_VERSION:
        raise StoreRefused(
            f"this store is at schema version {stored or 0} and this release needs {SCHEMA_VERSION}: run "
            "`casetrail migrate` once, then start again"
        )
    return stored


def record_schema(recorder: Any, stored: int | None) -> None:
    """Record that the store is now set up at this release's schema version (after every step has run). Written
    only when `stored` (what check_schema read) differs: every command sets up on SQLite, and a write beside a
    busy `serve` would wait for its lock."""
    if stored != SCHEMA_VERSION and isinstance(recorder, (SQLiteApplicationRecorder, PostgresApplicationRecorder)):
        _Tables(recorder).set_schema_version(SCHEMA_VERSION)


class _Tables(RecorderSql):
    """The few statements sealing needs, on SQLite and PostgreSQL. Table names are the recorder's own."""

    def __init__(self, recorder: Any) -> None:
        super().__init__(recorder)
        events = recorder.events_table_name
        self.tables = (events, events.removesuffix("_events") + "_snapshots")
        self.marker_table = events.removesuffix("_events") + "_integrity"
        self.schema_table = events.removesuffix("_events") + "_schema"

    def _exists(self, cursor: Any, table: str) -> bool:
        return table_exists(cursor, self.postgres, table, self.recorder.datastore.schema if self.postgres else None)

    def ensure(self) -> None:
        with self.cursor(commit=True) as c:
            c.execute(self.sql("CREATE TABLE IF NOT EXISTS {0} (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
                                self.marker_table))  # fmt: skip

    def marker(self) -> str | None:
        found = self.first("SELECT value FROM {0} WHERE name = 'sealed'", (self.marker_table,))
        return None if found is None else str(found)

    def set_marker(self, value: str) -> None:
        with self.cursor(commit=True) as c:
            c.execute(self.sql("INSERT INTO {0} (name, value) VALUES ('sealed', ?)", self.marker_table), (value,))

    def schema_version(self) -> int | None:
        with self.cursor(commit=False) as c:
            if not self._exists(c, self.schema_table):
                return None
            c.execute(self.sql("SELECT value FROM {0} WHERE name = 'version'", self.schema_table))
            row = c.fetchone()
        return None if row is None else int(self.values(row)[0])

    def set_schema_version(self, version: int) -> None:
        with self.cursor(commit=True) as c:
            c.execute(self.sql("CREATE TABLE IF NOT EXISTS {0} (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
                                self.schema_table))  # fmt: skip
            c.execute(self.sql("INSERT INTO {0} (name, value) VALUES ('version', ?) ON CONFLICT (name) DO UPDATE "
                                "SET value = excluded.value", self.schema_table), (str(version),))  # fmt: skip

    def any_sealed(self) -> bool:
        with self.cursor(commit=False) as c:
            for table in self.tables:
                if not self._exists(c, table):
                    continue
                c.execute(self.sql("SELECT 1 FROM {0} WHERE substr(state, 1, ?) = ? LIMIT 1", table),
                          (len(PREFIX), PREFIX))  # fmt: skip
                if c.fetchone() is not None:
                    return True
        return False

    def seal_all(self, seal: Seal, progress: Progress | None) -> int:
        done = 0
        for table in self.tables:
            with self.cursor(commit=False) as c:
                if not self._exists(c, table):
                    continue
            select = self.sql("SELECT originator_id, originator_version, topic, state FROM {0}", table)
            update = self.sql("UPDATE {0} SET state = ? WHERE originator_id = ? AND originator_version = ?", table)
            with self.cursor(commit=True) as c:
                c.execute(select)
                rows = [self._row(r) for r in c.fetchall()]
                for first in range(0, len(rows), BATCH):
                    batch = [seal.close(r) for r in rows[first : first + BATCH]]
                    c.executemany(update, [(s.state, self._id(s.originator_id), s.originator_version) for s in batch])
                    done += len(batch)
                    if progress:
                        progress(done)
        return done

    def _row(self, r: Any) -> StoredEvent:
        if self.postgres:
            return StoredEvent(r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"]))
        return StoredEvent(UUID(hex=r[0]), r[1], r[2], bytes(r[3]))

    def _id(self, originator_id: Any) -> Any:
        return originator_id if self.postgres else originator_id.hex
