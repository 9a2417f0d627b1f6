"""Guards shared by the Case commands; each refusal names its rule."""

from __future__ import annotations

from collections.abc import Container, Iterable
from typing import TYPE_CHECKING, Any

from domain.errors import InvalidCommand, NotPermitted, StateConflict
from domain.values import Actor, Status, Tier
from domain.workdays import Due

if TYPE_CHECKING:
    from domain.case import Case


def require(condition: bool, rule: str, detail: str) -> None:
    if not condition:
        raise StateConflict(rule, detail)


def require_open(case: Case) -> None:
    require(Status(case.status).is_open, "not_open", f"the case is {case.status}; nothing more can be recorded")


def require_status(case: Case, allowed: Iterable[Status], rule: str, action: str) -> None:
    allowed = tuple(allowed)
    require(case.status in allowed, rule, f"{action} is not allowed while the case is {case.status}")


def require_lead(case: Case, by: Actor, action: str) -> None:
    if by.department is None or by.department != case.lead_department:
        raise NotPermitted("lead_only", f"only the lead department may {action}")


def require_involved(case: Case, by: Actor) -> None:
    if by.department is None or not case_involves(case, by.department):
        raise NotPermitted("not_involved", "only the lead or a co-handling department may do this")


def case_involves(case: Case, department: str) -> bool:
    return department == case.lead_department or department in case.co_departments


def check_departments(tier: Tier, lead: str, co: list[str], departments: Container[str]) -> None:
    unknown = [d for d in [lead, *co] if d not in departments]
    if unknown:
        raise InvalidCommand("unknown_department", f"not in the department directory: {', '.join(unknown)}")
    if lead in co or len(set(co)) != len(co):
        raise InvalidCommand("duplicate_department", "the lead and co-handlers must be distinct departments")
    if tier is Tier.HANDLING and co:
        raise InvalidCommand("co_departments_need_resolution_tier", "tier 1 (handling) has no co-handlers")


def as_dicts(due: dict[str, Due]) -> dict[str, dict[str, Any]]:
    return {name: d.as_dict() for name, d in due.items()}
