"""How project commands run: idempotent replay, optimistic retry and If-Match, one atomic save per command."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.execution import MAX_ATTEMPTS, Command, position_from
from application.ports import Clock, IdempotencyRecord
from application.store import EventStore
from domain.errors import InvalidCommand, LostRace, NotFound, StateConflict, VersionMismatch
from domain.project import Project

ProjectAction = Callable[[Project, datetime], None]


@dataclass(frozen=True)
class ProjectResult:
    """A project as it stands after a command, with the global position of its last event."""

    project: Project
    position: int
    replayed: bool = False


class ProjectExecutor:
    """The project counterpart of `Executor`: the one place that knows about retries and replays of projects."""

    def __init__(self, store: EventStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def load(self, project_id: UUID, version: int | None = None) -> Project:
        try:
            project: object = self.store.repository.get(project_id, version=version)
        except AggregateNotFoundError:
            raise NotFound("no such project") from None
        if not isinstance(project, Project):
            raise NotFound("no such project")
        return project

    def create(self, cmd: Command, make: Callable[[datetime], Project]) -> ProjectResult:
        """Save a new project; its id follows from its code, so a taken code collides on the first version."""
        replay = self.replay(cmd)
        if replay:
            return replay
        project = make(self.clock.now())
        result = self.save(project, cmd)
        if result:
            return result
        raise StateConflict("project_code_taken", f"a project with the code {project.code} is already registered")

    def run(self, project_id: UUID, cmd: Command, action: ProjectAction) -> ProjectResult:
        replay = self.replay(cmd)
        if replay:
            return replay
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0, 0.002 * attempt))  # noqa: S311 - jitter to break lockstep
            project = self.load(project_id)
            if cmd.expected_version is not None and project.version != cmd.expected_version:
                raise VersionMismatch(cmd.expected_version, project.version)
            action(project, self.clock.now())
            result = self.save(project, cmd)
            if result:
                return result
            if cmd.expected_version is not None:
                raise VersionMismatch(cmd.expected_version, self.load(project_id).version)
        raise LostRace()

    def save(self, project: Project, cmd: Command) -> ProjectResult | None:
        """Save atomically; None means another writer got there first."""
        record = None
        if cmd.idempotency is not None:
            k = cmd.idempotency
            record = IdempotencyRecord(
                k.token_id, k.key, k.fingerprint, str(project.id), project.version, self.clock.now()
            )
        try:
            recordings = self.store.save(project, idempotency=record)
        except IntegrityError:
            return self.replay(cmd)
        return ProjectResult(project, position_from(recordings, project.id))

    def replay(self, cmd: Command) -> ProjectResult | None:
        """The first answer to a retried request, or None when this key is new."""
        if cmd.idempotency is None:
            return None
        k = cmd.idempotency
        found = self.store.extras.find_idempotency(k.token_id, k.key)
        if found is None:
            return None
        if found.fingerprint != k.fingerprint:
            raise InvalidCommand(
                "idempotency_key_reused", "this Idempotency-Key was used with another request; use a new key"
            )
        project_id = UUID(found.case_id)
        return ProjectResult(self.load(project_id, found.version), self.position(project_id, found.version), True)

    def position(self, project_id: UUID, version: int) -> int:
        position = self.store.extras.position_of(project_id, version)
        assert position is not None, f"event {project_id}@{version} has no position"
        return position
