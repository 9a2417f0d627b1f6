"""Personal data as answers show it: opened through the PersonalData port, `已删除` once erased, and every answer
that carries it recorded in the access log (DOMAIN.md, "Personal data")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import UTC
from typing import Any
from uuid import UUID

from application.access import require_role
from application.ports import (
    CONTACT_FIELDS,
    ERASED,
    AccessFilter,
    AccessLog,
    Clock,
    PersonalData,
    PersonalDataRead,
    is_sealed,
)
from domain.case import Case
from domain.values import Actor

REGISTERED = "CaseRegistered"


def erased_fields() -> dict[str, str]:
    return dict.fromkeys(CONTACT_FIELDS, ERASED)


class PersonalDataReader:
    """Opens the personal fields of the answers that may carry them, and logs who received them."""

    def __init__(
        self, data: PersonalData, log: AccessLog, clock: Clock, is_erased: Callable[[UUID], bool] | None = None
    ) -> None:
        self.data = data
        self.log = log
        self.clock = clock
        self.is_erased = is_erased  # the current state of a case, for plaintext written before sealing

    def contact(self, current: Case, shown: Case, by: Actor, via: str) -> dict[str, str]:
        """The contact of `shown` (the case now or at a past version) as `by` receives it; `current` decides
        whether it was erased, so no past version shows what was erased since."""
        if current.personal_data_erased:
            return erased_fields()
        fields = self.data.reveal(shown.id, shown.contact)
        self._logged(by, via, [shown.id])
        return fields

    def in_history(self, current: Case, entries: list[dict[str, Any]], by: Actor, via: str) -> list[dict[str, Any]]:
        """A case's history entries with their personal fields opened (or erased)."""
        opened = False
        shown = []
        for recorded in entries:
            entry, data = recorded, recorded.get("data")
            if entry.get("type") == REGISTERED and data and "contact" in data:
                if current.personal_data_erased:
                    contact = erased_fields()
                else:
                    contact, opened = self.data.reveal(current.id, data["contact"]), True
                entry = {**entry, "data": {**data, "contact": contact}}
            shown.append(entry)
        if opened:
            self._logged(by, via, [current.id])
        return shown

    def in_feed(self, entries: list[dict[str, Any]], by: Actor, via: str) -> list[dict[str, Any]]:
        """Feed entries of many streams: each key is read from the key table (no process copy), so an erasure
        made by another process shows at once."""
        opened: list[UUID] = []
        shown = []
        for recorded in entries:
            entry, data = recorded, recorded.get("data")
            if entry.get("type") == REGISTERED and data and "contact" in data:
                case_id = UUID(entry["stream"])
                contact = self._feed_contact(case_id, data["contact"])
                if contact != erased_fields():
                    opened.append(case_id)
                entry = {**entry, "data": {**data, "contact": contact}}
            shown.append(entry)
        self._logged(by, via, opened)
        return shown

    def _feed_contact(self, case_id: UUID, value: Any) -> dict[str, str]:
        if not is_sealed(value) and self.is_erased is not None and self.is_erased(case_id):
            return erased_fields()  # plaintext from before sealing stays in the event, but is not shown
        return self.data.reveal(case_id, value, cached=False)

    def _logged(self, by: Actor, via: str, case_ids: list[UUID]) -> None:
        at = self.clock.now().astimezone(UTC)
        self.log.record(
            [
                PersonalDataRead(at, by.id, str(by.role), by.department, by.credit_code, str(case_id), via)
                for case_id in dict.fromkeys(case_ids)
            ]
        )


class AccessLogQueries:
    def __init__(self, log: AccessLog) -> None:
        self.log = log

    def reads(self, by: Actor, f: AccessFilter) -> tuple[list[dict[str, Any]], int | None]:
        """Who received which case's personal data (the contact), when, and through what (`case`, `history`,
        `audit_feed`), oldest first; filtered by actor id, case and time (`since` inclusive, `until` exclusive).
        Auditors only. The log lives outside the cases' streams: a read is not a fact about the case."""
        require_role(by, "personal_data_access")
        found = self.log.select(replace(f, limit=f.limit + 1))
        items = [{"id": n, **asdict(read), "at": read.at.isoformat()} for n, read in found[: f.limit]]
        return items, (found[f.limit - 1][0] if len(found) > f.limit else None)
