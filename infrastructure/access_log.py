"""The personal-data access log: one row per answer that carried a case's personal data, in the store's
database but outside the events (a read is not a fact about the case)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from threading import Lock
from typing import Any

from application.ports import AccessFilter, PersonalDataRead
from infrastructure.recorder_sql import RecorderSql

COLUMNS = ("at", "actor_id", "role", "department", "credit_code", "case_id", "via")


def _row(r: PersonalDataRead) -> tuple[Any, ...]:
    return (r.at.isoformat(), r.actor_id, r.role, r.department, r.credit_code, r.case_id, r.via)


def _read(values: Sequence[Any]) -> PersonalDataRead:
    at, actor_id, role, department, credit_code, case_id, via = values
    return PersonalDataRead(datetime.fromisoformat(at), actor_id, role, department, credit_code, case_id, via)


class SqlAccessLog(RecorderSql):
    """On SQLite and PostgreSQL. Times are stored as ISO text in UTC, so text order is time order."""

    def __init__(self, recorder: Any) -> None:
        super().__init__(recorder)
        self.table = recorder.access_log_table

    def record(self, reads: Sequence[PersonalDataRead]) -> None:
        if not reads:
            return
        insert = self.sql(f"INSERT INTO {{0}} ({', '.join(COLUMNS)}) VALUES (?,?,?,?,?,?,?)", self.table)  # noqa: S608
        with self.cursor(commit=True) as c:
            c.executemany(insert, [_row(r) for r in reads])

    def select(self, f: AccessFilter) -> list[tuple[int, PersonalDataRead]]:
        where, params = ["id > ?"], list[Any]([f.after])
        for column, op, value in (
            ("actor_id", "=", f.actor),
            ("case_id", "=", str(f.case_id) if f.case_id else None),
            ("at", ">=", f.since.astimezone(UTC).isoformat() if f.since else None),
            ("at", "<", f.until.astimezone(UTC).isoformat() if f.until else None),
        ):
            if value is not None:
                where.append(f"{column} {op} ?")
                params.append(value)
        sql = f"SELECT id, {', '.join(COLUMNS)} FROM {{0}} WHERE {' AND '.join(where)} ORDER BY id LIMIT ?"  # noqa: S608
        with self.cursor(commit=False) as c:
            c.execute(self.sql(sql, self.table), [*params, f.limit])
            rows = [self.values(r) for r in c.fetchall()]
        return [(int(r[0]), _read(r[1:])) for r in rows]


class MemoryAccessLog:
    def __init__(self) -> None:
        self.rows: list[PersonalDataRead] = []
        self._lock = Lock()

    def record(self, reads: Sequence[PersonalDataRead]) -> None:
        with self._lock:
            self.rows.extend(reads)

    def select(self, f: AccessFilter) -> list[tuple[int, PersonalDataRead]]:
        with self._lock:
            numbered = list(enumerate(self.rows, 1))
        found = [
            (n, r)
            for n, r in numbered
            if n > f.after
            and (f.actor is None or r.actor_id == f.actor)
            and (f.case_id is None or r.case_id == str(f.case_id))
            and (f.since is None or r.at >= f.since)
            and (f.until is None or r.at < f.until)
        ]
        return found[: f.limit]
