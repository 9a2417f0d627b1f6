"""How case commands run: the shared executor, with the case's visibility to the caller."""

from __future__ import annotations

from dataclasses import dataclass

from application.access import require_visible
from application.execution import StreamExecutor
from domain.case import Case
from domain.values import Actor, Role


@dataclass(frozen=True)
class Links:
    """The cases a merge links a case to, as far as an enterprise may see them (its own cases only)."""

    merged_into: str | None = None
    duplicates: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseResult:
    """A case as it stands after a command (or as of a past version), with its global position. `links` is set
    where an enterprise's read resolved which linked cases are its own; without it, it sees none."""

    case: Case
    position: int
    replayed: bool = False
    links: Links | None = None
    contact: dict[str, str] | None = None  # opened for reads only: command answers carry no personal data


class CaseExecutor(StreamExecutor[Case, CaseResult]):
    """Case commands: a caller that may not see the case gets 404 before anything else is read or written."""

    kind = Case
    missing = "no such case"

    def result(self, aggregate: Case, position: int, replayed: bool = False) -> CaseResult:
        return CaseResult(aggregate, position, replayed)

    def require_visible(self, by: Actor, aggregate: Case) -> None:
        if by.role in (Role.ADMIN, Role.SYSTEM):
            return  # their use cases (erasure, retention) act on any case; the role table admits them to no read
        require_visible(by, aggregate)
