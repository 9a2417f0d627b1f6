"""What an attacker with write access to the database can do to stored events, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.chain import event_hash
from infrastructure.container import Container


class Tamperer:
    def __init__(self, container: Container) -> None:
        self.container = container
        self.postgres = container.settings.backend == "postgresql"
        self.table = "casetrail_events" if self.postgres else "stored_events"

    def sql(self, statement: str, params: tuple[Any, ...]) -> None:
        datastore = self.container.store.recorder.datastore  # type: ignore[attr-defined]
        if self.postgres:
            statement = statement.replace("?", "%s")
        with datastore.transaction(commit=True) as c:
            c.execute(statement, params)

    def key(self, stream: UUID) -> Any:
        return stream if self.postgres else stream.hex

    def state(self, stream: UUID, version: int) -> bytes:
        return bytes(self.container.store.recorder.select_events(stream, gt=version - 1, lte=version)[0].state)

    def set_state(self, stream: UUID, version: int, state: bytes) -> None:
        self.sql(
            f"UPDATE {self.table} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (state, self.key(stream), version),
        )

    def flip_byte(self, stream: UUID, version: int, find: bytes, replace: bytes) -> None:
        state = self.state(stream, version)
        assert find in state
        self.set_state(stream, version, state.replace(find, replace, 1))

    def delete(self, stream: UUID, *versions: int) -> None:
        for v in versions:
            self.sql(
                f"DELETE FROM {self.table} WHERE originator_id = ? AND originator_version = ?", (self.key(stream), v)
            )

    def swap(self, stream: UUID, a: int, b: int) -> None:
        state_a, state_b = self.state(stream, a), self.state(stream, b)
        self.set_state(stream, a, state_b)
        self.set_state(stream, b, state_a)

    def rewrite_from(self, stream: UUID, version: int, field: str, value: Any) -> None:
        """Change one event's data and recompute every later hash: the chain alone still verifies."""
        mapper = self.container.store.mapper
        events = [mapper.to_domain_event(s) for s in self.container.store.recorder.select_events(stream)]
        prev = events[version - 2].hash if version > 1 else "0" * 64
        for event in events[version - 1 :]:
            state = dict(vars(event))
            if event.originator_version == version:
                state[field] = value
            content = {
                k: v
                for k, v in state.items()
                if k not in {"originator_id", "originator_version", "originator_topic", "hash", "prev_hash"}
            }
            state["prev_hash"] = prev
            state["hash"] = prev = event_hash(type(event).TOPIC, stream, event.originator_version, content, prev)
            forged = object.__new__(type(event))
            object.__setattr__(forged, "__dict__", state)
            self.set_state(stream, event.originator_version, mapper.to_stored_event(forged).state)
