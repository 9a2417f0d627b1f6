"""Who may do what, and who may see which case: the access policy of DOMAIN.md."""

from __future__ import annotations

from typing import Any

from application.errors import NotFound
from domain.case import Case
from domain.case_rules import case_involves
from domain.errors import NotPermitted
from domain.values import Actor, Role, Status

C, H, E, AU = Role.COORDINATOR, Role.HANDLER, Role.ENTERPRISE, Role.AUDITOR

# Which roles may attempt each use case; department and state rules are the aggregate's.
PERMITTED: dict[str, frozenset[Role]] = {
    "register": frozenset({C, E}),
    "read": frozenset({C, H, E, AU}),
    "history": frozenset({C, H, E, AU}),
    "dispatch": frozenset({C}),
    "sign_for": frozenset({H}),
    "return": frozenset({H}),
    "arbitrate": frozenset({C}),
    "contact": frozenset({H}),
    "progress": frozenset({H}),
    "co_reply": frozenset({H}),
    "waive_co_reply": frozenset({C}),
    "request_extension": frozenset({H}),
    "decide_extension": frozenset({C}),
    "escalate": frozenset({C}),
    "resolve": frozenset({H}),
    "evaluate": frozenset({C, E}),
    "reopen": frozenset({C}),
    "close": frozenset({C}),
    "withdraw": frozenset({C, E}),
    "merge": frozenset({C}),
    "erase_personal_data": frozenset({Role.ADMIN, E, Role.SYSTEM}),
    "personal_data_access": frozenset({AU}),
    "manage_tokens": frozenset({Role.ADMIN}),
    "views": frozenset({C, H, AU, Role.REPORTER}),
    "list_cases": frozenset({C, H, E, AU}),
    "reports": frozenset({C, AU, Role.REPORTER}),
    "audit": frozenset({AU}),
    "register_project": frozenset({C}),
    "record_milestone": frozenset({C}),
    "report_progress": frozenset({C}),
    "read_project": frozenset({C, H, E, AU, Role.REPORTER}),
    "project_history": frozenset({C, AU}),
    "project_lists": frozenset({C, AU, Role.REPORTER}),
}


def require_role(by: Actor, use_case: str) -> None:
    if by.role not in PERMITTED[use_case]:
        raise NotPermitted("role_not_permitted", f"the {by.role} role may not {use_case.replace('_', ' ')}")


def can_see(by: Actor, case: Case) -> bool:
    if by.role in (C, AU):
        return True
    if by.role is H:
        return by.department is not None and case_involves(case, by.department)
    if by.role is E:
        return by.credit_code is not None and case.enterprise.get("credit_code") == by.credit_code
    return False


def require_visible(by: Actor, case: Case) -> None:
    """A case the caller may not see answers exactly like a case that does not exist."""
    if not can_see(by, case):
        raise NotFound()


NO_STATUS = "\x00no-status"  # a status filter that matches no row
PUBLIC_CLOCKS = ("sign_for", "first_contact", "handling", "resolution", "revisit")
INTERNAL_SUMMARY = ("escalation_level", "warning_level", "extension", "co_replies", "co_departments")


def public_due(due: dict[str, Any]) -> dict[str, Any]:
    """The clocks an enterprise may see: not co-handlers' replies, not supervision orders."""
    return {name: clock for name, clock in due.items() if name in PUBLIC_CLOCKS}


def public_status(status: str) -> str:
    """The status an enterprise sees, matching its public history, which has no returns: a returned case is still
    `dispatched` to it (settled after the audit, DOMAIN.md)."""
    return str(Status.DISPATCHED) if status == Status.RETURNED else str(status)


def public_statuses(status: str) -> tuple[str, ...]:
    """The recorded statuses an enterprise's status filter matches: its `dispatched` covers returned cases, and
    `returned` matches nothing."""
    return tuple(s.value for s in Status if public_status(s.value) == status) or (NO_STATUS,)


def public_summary(item: dict[str, Any]) -> dict[str, Any]:
    """A case-list row as its enterprise sees it: no escalations, warnings, extensions or co-handling."""
    hidden: dict[str, Any] = {
        k: ([] if k in ("co_replies", "co_departments") else None) for k in INTERNAL_SUMMARY if k in item
    }
    status = {"status": public_status(item["status"])} if "status" in item else {}
    return {**item, **hidden, **status, "due": public_due(item.get("due") or {})}
