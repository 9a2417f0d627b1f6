"""What an attacker with write access to the database can do to stored events, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent

from domain.chain import event_hash
from infrastructure.container import Container
from infrastructure.integrity import PREFIX, TAG


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

    def rewrite_from(self, stream: UUID, version: int, field: str, value: Any, *, with_key: bool = False) -> None:
        """Change one event's data and recompute every later hash, so the chain alone still verifies. Without the
        integrity key the rows carry no seal; `with_key` plays a writer who also stole the key."""
        mapper = self.container.store.mapper
        encode = mapper.to_stored_event if with_key else self.keyless().to_stored_event
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
            self.set_state(stream, event.originator_version, encode(forged).state)

    def keyless(self) -> Mapper[UUID]:
        """What a writer without the integrity key can encode with: the library's mapper, no seal."""
        return Mapper(self.container.store.mapper.transcoder)

    def insert(self, stored: StoredEvent) -> None:
        """A row the writer adds, as casetrail would store it but without a valid seal."""
        self.sql(
            f"INSERT INTO {self.table} (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)",
            (self.key(stored.originator_id), stored.originator_version, stored.topic, stored.state),
        )

    def snapshot_table(self) -> str:
        return self.table.removesuffix("_events") + "_snapshots"

    def snapshot_count(self, stream: UUID) -> int:
        assert self.container.store.snapshots is not None
        return len(self.container.store.snapshots.recorder.select_events(stream))

    def snapshot_state(self, stream: UUID, version: int) -> bytes:
        assert self.container.store.snapshots is not None
        rows = self.container.store.snapshots.recorder.select_events(stream, gt=version - 1, lte=version)
        return bytes(rows[0].state)

    def set_snapshot_state(self, stream: UUID, version: int, state: bytes) -> None:
        self.sql(
            f"UPDATE {self.snapshot_table()} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (state, self.key(stream), version),
        )

    def unseal_everything(self) -> None:
        """Strip every row's seal and the store's marker: the store as it was before seals existed."""
        seal = PREFIX + b"x" * TAG
        for table in (self.table, self.snapshot_table()):
            if self.postgres:
                self.sql(f"UPDATE {table} SET state = substring(state from ?)", (len(seal) + 1,))
            else:
                self.sql(f"UPDATE {table} SET state = substr(state, ?)", (len(seal) + 1,))
        self.delete_marker()

    def delete_marker(self) -> None:
        self.sql(f"DELETE FROM {self.table.removesuffix('_events')}_integrity", ())
