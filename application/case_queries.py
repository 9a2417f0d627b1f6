"""Case queries: the current state, the state as of a version or a moment, and the history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.access import require_role
from application.case_execution import CaseExecutor, CaseResult, Links
from application.cursors import decode_cursor, encode_cursor
from application.errors import NotFound
from application.names import Names, named
from application.personal_data import PersonalDataReader
from application.views import Page, PageRequest
from domain.errors import InvalidCommand
from domain.schedule import as_local
from domain.values import Actor, Arbitration, Role

TYPE_PREFIX = "casetrail:"

# What an enterprise may read of its own case: event type -> the data fields it sees.
PUBLIC_EVENTS: dict[str, tuple[str, ...]] = {
    "CaseRegistered": (
        "reference",
        "kind",
        "title",
        "description",
        "enterprise",
        "category",
        "channel",
        "urgency",
        "contact",
        "project_id",
    ),
    "CaseDispatched": ("tier", "lead_department"),
    "CaseSignedFor": (),
    "CaseContacted": (),
    "CaseResolved": ("reply", "outcome", "reason"),
    "CaseEvaluated": ("round", "satisfaction", "solved", "comment"),
    "CaseReopened": ("round",),
    "CaseClosed": (),
    "CaseWithdrawn": ("reason",),
    "CaseMerged": ("into", "into_reference"),
    "CasePersonalDataErased": ("reason",),
}
REASSIGNMENT = "CaseReturnArbitrated"
NOT_DATA = {"originator_id", "originator_version", "originator_topic", "timestamp", "actor", "hash", "prev_hash"}


@dataclass(frozen=True)
class AsOf:
    """A past state of a case to read: as it stood right after `version`, or at `moment` (a naive one is
    Asia/Shanghai time). One of the two, never both."""

    version: int | None = None
    moment: datetime | None = None

    def __post_init__(self) -> None:
        if (self.version is None) == (self.moment is None):
            raise InvalidCommand("invalid_input", "give as_of_version or as_of, not both")
        if self.moment is not None:
            object.__setattr__(self, "moment", as_local(self.moment))

    @classmethod
    def asked(cls, version: int | None, moment: datetime | None) -> AsOf | None:
        """What a request asked for: None for the case now."""
        return None if version is None and moment is None else cls(version, moment)


class CaseQueries:
    def __init__(self, executor: CaseExecutor, personal: PersonalDataReader, names: Names) -> None:
        self.executor = executor
        self.personal = personal
        self.names = names

    def get(self, case_id: UUID, by: Actor, as_of: AsOf | None = None, min_position: int | None = None) -> CaseResult:
        """The case now, or as it stood at a version or a moment (404 before registration or past the head).
        `min_position` (the `position` a command answered): the answer includes that write; the primary store always
        does, a read replica answers only once it has replayed it (else the primary answers)."""
        require_role(by, "read")
        case = current = self.executor.load_visible(case_id, by)  # access first: as-of reads see nothing more
        public = by.role is Role.ENTERPRISE
        version = case.version
        if as_of is not None:  # only an as-of read needs the versions it may land on
            versions = self._public_versions(case_id) if public else list(range(1, case.version + 1))
            if as_of.version is not None:
                if not 1 <= as_of.version <= len(versions):
                    raise NotFound(f"the case has versions 1 to {len(versions)}")
                version = versions[as_of.version - 1]
            elif as_of.moment is not None:
                version = self._version_at(case_id, as_of.moment, set(versions))
        if version != case.version:
            case = self.executor.load(case_id, version)
        links = self._own_links(case.merged_into, case.duplicates, by) if public else None
        contact = self.personal.contact(current, case, by, "case")
        return CaseResult(case, self.executor.position(case_id, version), links=links, contact=contact)

    def evidence(self, case_id: UUID, by: Actor, version: int) -> tuple[CaseResult, list[dict[str, Any]]]:
        """For auditors, who may read every case: the case as of `version` and its history up to it, reading no row
        after it, so a case whose later rows fail their seals can still be examined up to its last intact version. No
        personal data is opened: whether it was erased since is recorded in rows that cannot be trusted."""
        require_role(by, "audit")
        case = self.executor.load(case_id, version)
        entries = []
        for event in self.executor.store.events.get(case_id, lte=version):
            entry = history_entry(event)
            if "contact" in entry["data"]:
                entry["data"] = {**entry["data"], "contact": None}
            entries.append(entry)
        return CaseResult(case, self.executor.position(case_id, version), contact=None), entries

    def history(self, case_id: UUID, by: Actor) -> list[dict[str, Any]]:
        """Every event of the case with its actor and hashes; enterprises see the public part only."""
        require_role(by, "history")
        current = self.executor.load_visible(case_id, by)
        entries = [history_entry(e) for e in self.executor.store.events.get(case_id)]
        entries = self.personal.in_history(current, entries, by, "history")
        if by.role is not Role.ENTERPRISE:
            return entries
        shown = []
        for n, entry in enumerate(public_history(entries), 1):
            data = entry["data"]
            if entry["type"] == "CaseMerged" and self._own_links(data.get("into"), [], by).merged_into is None:
                data = {}  # merged into another enterprise's case: nothing of that case is shown
            # Numbered as the enterprise sees them (no gaps where internal events are), without the chain's
            # hashes, which would reveal that there are events it does not see.
            shown.append({**entry, "data": data, "version": n, "hash": None, "prev_hash": None})
        return shown

    def history_page(self, case_id: UUID, by: Actor, page: PageRequest, min_position: int | None = None) -> Page:
        """A page of the case's history, in version order: at most `limit` events (1,000 at the most), from the
        `next_cursor` of the page before. Staff see every event with its actor and hashes; an enterprise its
        public history, numbered as it sees it. `min_position`: as for a case read, the page includes that write."""
        after = _history_after(page.cursor)
        if by.role is Role.ENTERPRISE:
            entries = [e for e in self.history(case_id, by) if e["version"] > after][: page.limit + 1]
        else:
            require_role(by, "history")
            current = self.executor.load_visible(case_id, by)
            events = self.executor.store.events.get(case_id, gt=after, limit=page.limit + 1)
            entries = self.personal.in_history(current, [history_entry(e) for e in events], by, "history")
        shown = named(entries[: page.limit], self.names)
        more = len(entries) > page.limit
        return Page(shown, encode_cursor([HISTORY_CURSOR, str(shown[-1]["version"])]) if more else None)

    def _public_versions(self, case_id: UUID) -> list[int]:
        """The recorded versions an enterprise sees, in order: its as-of reads land only on these."""
        entries = [history_entry(e) for e in self.executor.store.events.get(case_id)]
        return [e["version"] for e in public_history(entries)]

    def _version_at(self, case_id: UUID, moment: datetime, allowed: set[int]) -> int:
        events: list[Any] = list(self.executor.store.events.get(case_id))
        versions = [e.originator_version for e in events if e.timestamp <= moment and e.originator_version in allowed]
        if not versions:
            raise NotFound("the case was not yet registered at that moment")
        return max(versions)

    def _own_links(self, merged_into: str | None, duplicates: list[str], by: Actor) -> Links:
        """The linked cases that are the enterprise's own; another enterprise's case is not shown at all."""

        def own(case_id: str) -> bool:
            try:
                return self.executor.load(UUID(case_id)).enterprise.get("credit_code") == by.credit_code
            except NotFound:
                return False

        return Links(merged_into if merged_into and own(merged_into) else None, tuple(d for d in duplicates if own(d)))


def history_entry(event: Any) -> dict[str, Any]:
    """One event as histories and the audit feed show it; log entries have no actor or chain."""
    actor = getattr(event, "actor", None)
    return {
        "version": event.originator_version,
        "type": type(event).TOPIC.removeprefix(TYPE_PREFIX),
        "at": event.timestamp,
        "actor": {k: actor.get(k) for k in ("id", "role", "department", "credit_code")} if actor else None,
        "data": {k: v for k, v in vars(event).items() if k not in NOT_DATA},
        "hash": getattr(event, "hash", None),
        "prev_hash": getattr(event, "prev_hash", None),
    }


def public_history(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What an enterprise reads of its case's history. It sees no returns, so a reassignment after a return is
    shown as what it is to the enterprise: a dispatch to the new department (same tier), and the status it reads
    stays `dispatched` throughout (DOMAIN.md, settled after the audit)."""
    shown, tier = [], None
    for recorded in entries:
        entry = recorded
        if entry["type"] == "CaseDispatched":
            tier = entry["data"]["tier"]
        elif entry["type"] == REASSIGNMENT and entry["data"]["decision"] == Arbitration.REASSIGN:
            data = {"tier": tier, "lead_department": entry["data"]["department"]}
            entry = {**entry, "type": "CaseDispatched", "data": data}
        if entry["type"] in PUBLIC_EVENTS:
            shown.append(_public(entry))
    return shown


def _public(entry: dict[str, Any]) -> dict[str, Any]:
    shown = PUBLIC_EVENTS[entry["type"]]
    actor = entry["actor"]
    return {
        **entry,
        "actor": {
            "id": None,
            "role": actor["role"],
            "department": actor["department"],
            "credit_code": actor["credit_code"],
        },
        "data": {k: v for k, v in entry["data"].items() if k in shown},
    }


HISTORY_CURSOR = "history"


def _history_after(cursor: str | None) -> int:
    if cursor is None:
        return 0
    kind, version = decode_cursor(cursor)
    if kind != HISTORY_CURSOR or not version.isdigit():
        raise InvalidCommand("invalid_cursor", "cursor is not one this server handed out for a history")
    return int(version)
