"""The table of per-case data keys, read outside the events' transactions (they write and delete its rows).

One row is not a case's: the master key's check value, which proves at start-up that the configured master key
is the one this store's keys were wrapped with.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from infrastructure.recorder_sql import RecorderSql
from infrastructure.recorders import MemoryRecorder

CHECK_ROW = "master-key-check"  # never a case id (those are UUIDs)


class KeyTable(RecorderSql):
    """Reads of the data-key table of the store's recorder (SQLite, PostgreSQL or memory)."""

    def __init__(self, recorder: Any) -> None:
        super().__init__(recorder)
        self.memory: dict[str, bytes] | None = recorder.data_keys if isinstance(recorder, MemoryRecorder) else None
        self.table = getattr(recorder, "data_keys_table", "data_keys")

    def _one(self, text: str, *params: Any) -> Any:
        return self.first(text, (self.table,), *params)

    def get(self, case_id: UUID | str) -> bytes | None:
        if self.memory is not None:
            return self.memory.get(str(case_id))
        found = self._one("SELECT wrapped FROM {0} WHERE case_id = ?", str(case_id))
        return None if found is None else bytes(found)

    def count(self) -> int:
        """The data keys held (the check row aside)."""
        if self.memory is not None:
            return len([k for k in self.memory if k != CHECK_ROW])
        return int(self._one("SELECT count(*) FROM {0} WHERE case_id <> ?", CHECK_ROW))

    def check_value(self) -> bytes | None:
        return self.get(CHECK_ROW)

    def set_check_value(self, value: bytes) -> None:
        if self.memory is not None:
            self.memory[CHECK_ROW] = value
            return
        with self.cursor(commit=True) as c:
            c.execute(self.sql("INSERT INTO {0} VALUES (?, ?)", self.table), (CHECK_ROW, value))

    def replace(self, case_id: UUID | str, wrapped: bytes) -> None:
        """Overwrite one key row: for tests that damage a key, never used by the service."""
        if self.memory is not None:
            self.memory[str(case_id)] = wrapped
            return
        with self.cursor(commit=True) as c:
            c.execute(self.sql("UPDATE {0} SET wrapped = ? WHERE case_id = ?", self.table), (wrapped, str(case_id)))
