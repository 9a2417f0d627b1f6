"""Retention of personal data: erase it for cases closed (or withdrawn) before a date, and count the cases
whose contact was stored before sealing existed (it stays in their events in plaintext)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.cases import CaseService
from application.execution import CommandContext
from application.ports import is_sealed
from application.store import EventStore
from domain.case import Case
from domain.values import Actor, Role

RETENTION = Actor(id="system:retention", role=Role.SYSTEM)
ENDED = (Case.Closed.TOPIC, Case.Withdrawn.TOPIC)
BATCH = 1000


@dataclass(frozen=True)
class PrivacyCheck:
    sealed: int  # cases whose contact is sealed under their own key
    plaintext: int  # cases whose contact was stored before sealing, in plaintext (it cannot be erased)
    plaintext_erased: int  # of those, erased: not shown any more, but still in their events
    erased: int  # cases whose personal data was erased


class PrivacyService:
    def __init__(self, store: EventStore, cases: CaseService) -> None:
        self.store = store
        self.cases = cases

    def due_for_erasure(self, closed_before: datetime) -> list[UUID]:
        """Cases closed or withdrawn before the moment whose personal data is not erased yet, oldest first."""
        found: dict[UUID, None] = {}
        for event in self._events(ENDED):
            if event.timestamp < closed_before:
                found[event.originator_id] = None
        erased = self._erased()
        return [i for i in found if i not in erased]

    def purge(self, closed_before: datetime, progress: Callable[[int], None] | None = None) -> list[UUID]:
        """Erase the personal data of every case closed or withdrawn before the moment (`casetrail privacy
        purge --apply`); each is one erasure, recorded like an erasure on request."""
        erased = []
        reason = f"retention period ended: closed before {closed_before.date().isoformat()}"
        for n, case_id in enumerate(self.due_for_erasure(closed_before), 1):
            self.cases.erase_personal_data(case_id, CommandContext(RETENTION), reason=reason)
            erased.append(case_id)
            if progress:
                progress(n)
        return erased

    def check(self) -> PrivacyCheck:
        sealed = plaintext = plaintext_erased = erased = 0
        erased_cases = self._erased()
        for event in self._events((Case.Created.TOPIC,)):
            is_erased = event.originator_id in erased_cases
            erased += is_erased
            if is_sealed(event.contact):
                sealed += 1
            else:
                plaintext += 1
                plaintext_erased += is_erased
        return PrivacyCheck(sealed, plaintext, plaintext_erased, erased)

    def _erased(self) -> set[UUID]:
        """The cases whose personal data was erased: one scan of the erasures, no case loaded."""
        return {event.originator_id for event in self._events((Case.PersonalDataErased.TOPIC,))}

    def _events(self, topics: tuple[str, ...]) -> Iterator[Any]:
        after = 0
        while True:
            rows = self.store.extras.scan(after, BATCH, topics=topics)
            if not rows:
                return
            for row in rows:
                yield self.store.mapper.to_domain_event(row)  # type: ignore[arg-type]  # a RawEvent quacks like one
            after = rows[-1].id
