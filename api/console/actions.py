"""The case page's forms: each posts to the use case its API route calls, with the API's own body schema."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from starlette.datastructures import FormData

from api.schemas.cases import (
    ArbitrationIn,
    Closure,
    Dispatch,
    EscalationIn,
    Evaluation,
    ExtensionDecision,
    ExtensionRequest,
    Merge,
    Note,
    Reason,
    Resolution,
    Return,
    Waiver,
)
from application.access import PERMITTED
from application.case_execution import CaseResult
from application.cases import CaseService
from application.execution import CommandContext
from domain.case import Case
from domain.values import Actor, Role, Satisfaction, Status

Run = Callable[[CaseService, UUID, CommandContext, Any], CaseResult]
NOT_BODY = {"csrf", "version", "idempotency_key"}


@dataclass(frozen=True)
class Act:
    use_case: str  # the access policy's name for it (application/access.py)
    schema: type[BaseModel] | None
    run: Run
    lists: tuple[str, ...] = ()  # fields a form sends as several values (checkboxes)


ACTS: dict[str, Act] = {
    "dispatch": Act(
        "dispatch",
        Dispatch,
        lambda s, i, c, b: s.dispatch(
            i, c, tier=b.tier, lead_department=b.lead_department, co_departments=b.co_departments
        ),
        lists=("co_departments",),
    ),
    "sign_for": Act("sign_for", None, lambda s, i, c, b: s.sign_for(i, c)),
    "return": Act("return", Return, lambda s, i, c, b: s.return_case(i, c, reason=b.reason, basis=b.basis)),
    "arbitrate": Act(
        "arbitrate",
        ArbitrationIn,
        lambda s, i, c, b: s.arbitrate(i, c, decision=b.decision, department=b.department, note=b.note),
    ),
    "contact": Act("contact", Note, lambda s, i, c, b: s.contact(i, c, note=b.note)),
    "progress": Act("progress", Note, lambda s, i, c, b: s.progress(i, c, note=b.note)),
    "co_reply": Act("co_reply", Note, lambda s, i, c, b: s.co_reply(i, c, note=b.note)),
    "waive_co_reply": Act(
        "waive_co_reply", Waiver, lambda s, i, c, b: s.waive_co_reply(i, c, department=b.department, reason=b.reason)
    ),
    "request_extension": Act(
        "request_extension",
        ExtensionRequest,
        lambda s, i, c, b: s.request_extension(i, c, extra_working_days=b.extra_working_days, reason=b.reason),
    ),
    "decide_extension": Act(
        "decide_extension",
        ExtensionDecision,
        lambda s, i, c, b: s.decide_extension(i, c, approved=b.approved, note=b.note),
    ),
    "escalate": Act(
        "escalate", EscalationIn, lambda s, i, c, b: s.escalate(i, c, level=b.level, reason=b.reason, due=b.due)
    ),
    "resolve": Act(
        "resolve", Resolution, lambda s, i, c, b: s.resolve(i, c, reply=b.reply, outcome=b.outcome, reason=b.reason)
    ),
    "evaluate": Act(
        "evaluate",
        Evaluation,
        lambda s, i, c, b: s.evaluate(i, c, satisfaction=b.satisfaction, solved=b.solved, comment=b.comment),
    ),
    "reopen": Act("reopen", Reason, lambda s, i, c, b: s.reopen(i, c, reason=b.reason)),
    "close": Act("close", Closure, lambda s, i, c, b: s.close(i, c, note=b.note)),
    "withdraw": Act("withdraw", Reason, lambda s, i, c, b: s.withdraw(i, c, reason=b.reason)),
    "merge": Act("merge", Merge, lambda s, i, c, b: s.merge(i, c, into=b.into, note=b.note)),
}


def body_of(act: Act, form: FormData) -> BaseModel | None:
    """The form's fields as the API's body (validated by the same schema); empty optional fields are left out."""
    if act.schema is None:
        return None
    data: dict[str, Any] = {}
    for name in act.schema.model_fields:
        if name in act.lists:
            data[name] = [v for v in form.getlist(name) if isinstance(v, str) and v]
            continue
        value = form.get(name)
        if isinstance(value, str) and value.strip():
            data[name] = value
    return act.schema.model_validate(data)


WORKING = (Status.DISPATCHED, Status.RETURNED, Status.IN_PROGRESS)


def offered(case: Case, by: Actor) -> list[str]:
    """The forms worth showing this person now: their role may take the action (the access policy) and the case's
    state calls for it. The use case remains the judge: a form shown here can still be refused, with its rule."""
    return [name for name, act in ACTS.items() if by.role in PERMITTED[act.use_case] and _fits(name, case, by)]


def _fits(name: str, case: Case, by: Actor) -> bool:  # noqa: PLR0912 - one line per action reads best
    status = Status(case.status)
    lead = by.role is Role.HANDLER and by.department == case.lead_department
    co = by.role is Role.HANDLER and by.department in case.co_departments
    if not status.is_open:
        return False
    if name == "dispatch":
        return status is Status.REGISTERED
    if name in ("sign_for", "return"):
        return (
            lead
            and status is Status.DISPATCHED
            and (name == "sign_for" or by.department not in case.barred_from_return)
        )
    if name == "arbitrate":
        return status is Status.RETURNED
    if name == "contact":
        return lead and status is Status.IN_PROGRESS and not case.contacted
    if name == "progress":
        return (lead and status is Status.IN_PROGRESS) or (co and status in WORKING)
    if name == "co_reply":
        return co and status in WORKING and by.department not in case.waived
    if name == "waive_co_reply":
        return status in WORKING and bool(pending_co_replies(case))
    if name in ("request_extension", "resolve"):
        pending = name == "request_extension" and case.pending_extension is not None
        return lead and status is Status.IN_PROGRESS and not pending
    if name == "decide_extension":
        return case.pending_extension is not None
    if name == "escalate":
        return status in WORKING
    if name == "evaluate":
        return status is Status.RESOLVED
    if name == "reopen":
        latest = case.evaluations.get(str(case.round))
        return (
            status is Status.EVALUATED and latest is not None and Satisfaction(latest["satisfaction"]).is_dissatisfied
        )
    if name == "close":
        return status in (Status.RESOLVED, Status.EVALUATED)
    return True  # withdraw, merge: any open case


def pending_co_replies(case: Case) -> list[str]:
    return [d for d in case.co_departments if d not in case.co_replies and d not in case.waived]
