"""A case as a person reads it: its state, its history (the part the reader may see) and who acted, by name; for an
auditor also the verdict on its chain and every version, to read the case as of any of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from application.audit import Verification
from application.case_execution import CaseResult
from application.case_queries import AsOf, CaseQueries
from application.names import Names, actor_ids
from domain.values import Actor, Role

Verify = Callable[[Actor, UUID], Verification]


@dataclass(frozen=True)
class CaseStory:
    result: CaseResult | None  # None: not even the first version can be trusted
    events: list[dict[str, Any]]  # the history up to the version shown
    names: dict[str, str]
    head: int = 0  # the case's latest version
    versions: list[dict[str, Any]] = field(default_factory=list)  # auditors: every version; `intact` False past a break
    verification: Verification | None = None

    @property
    def as_of(self) -> bool:
        """Whether an earlier version than the latest is shown."""
        return self.result is not None and self.result.case.version != self.head


class CaseStories:
    def __init__(self, queries: CaseQueries, names: Names, verify: Verify | None = None) -> None:
        self.queries = queries
        self.names = names
        self.verify = verify

    def story(self, case_id: UUID, by: Actor, as_of_version: int | None = None) -> CaseStory:
        """The case now (or as of a version), its history up to that version as `by` may read it, and the names of
        the actors. An auditor's story also carries the chain's verdict and the version list; when the chain is
        broken at version N, the case is read no further than N - 1 (later rows may be forged)."""
        if by.role is Role.AUDITOR and self.verify is not None:
            return self._audited(case_id, by, as_of_version)
        result = self.queries.get(case_id, by, AsOf.asked(as_of_version, None))
        history = self.queries.history(case_id, by)
        events = [e for e in history if e["version"] <= result.case.version]
        # The latest version is the history's last (read once: a second read of the case would open, and log,
        # its personal data again).
        head = max(result.case.version, history[-1]["version"] if history else 0)
        return CaseStory(result, events, self._names(events), head)

    def _audited(self, case_id: UUID, by: Actor, as_of_version: int | None) -> CaseStory:
        assert self.verify is not None
        verification = self.verify(by, case_id)
        head = verification.events_checked
        broken = verification.first_broken_version
        trusted = head if broken is None else broken - 1
        if trusted < 1:
            return CaseStory(None, [], {}, head, self._versions([], head, trusted), verification)
        version = min(as_of_version or trusted, trusted)
        if broken is None:  # the ordinary reads, personal data and all
            result = self.queries.get(case_id, by, None if version == head else AsOf(version))
            history = self.queries.history(case_id, by)
        else:  # read no row past the break
            result, history = self.queries.evidence(case_id, by, trusted)
            if version != trusted:
                result, _ = self.queries.evidence(case_id, by, version)
        events = [e for e in history if e["version"] <= version]
        return CaseStory(
            result, events, self._names(events), head, self._versions(history, head, trusted), verification
        )

    @staticmethod
    def _versions(history: list[dict[str, Any]], head: int, trusted: int) -> list[dict[str, Any]]:
        known = {e["version"]: e for e in history}
        return [
            {
                "version": v,
                "type": known[v]["type"] if v in known else None,
                "at": known[v]["at"] if v in known else None,
                "intact": v <= trusted,
            }
            for v in range(1, head + 1)
        ]

    def _names(self, events: list[dict[str, Any]]) -> dict[str, str]:
        return self.names(actor_ids(events))
