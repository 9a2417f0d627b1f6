"""The case page's forms: each posts to the use case its API route calls, with the API's own body schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from starlette.datastructures import FormData

from api.commands import keywords
from api.schemas import cases as bodies
from application.access import PERMITTED
from application.cases import CaseService
from application.execution import CommandContext
from domain.case import Case
from domain.values import Actor, Role, Satisfaction, Status

NOT_BODY = {"csrf", "version", "idempotency_key"}


@dataclass(frozen=True)
class Act:
    """A form of the case page. Its name (the key in ACTS) is the access policy's name for the use case
    (application/access.py); the body's fields are the use case's keywords, as in the API's route."""

    schema: type[BaseModel] | None
    method: str | None = None  # the CaseService method, where it is not named as the use case
    lists: tuple[str, ...] = ()  # fields a form sends as several values (checkboxes)

    def run(self, name: str, cases: CaseService, case_id: UUID, cmd: CommandContext, body: BaseModel | None) -> Any:
        return getattr(cases, self.method or name)(case_id, cmd, **keywords(body))


ACTS: dict[str, Act] = {
    "dispatch": Act(bodies.Dispatch, lists=("co_departments",)),
    "sign_for": Act(None),
    "return": Act(bodies.Return, method="return_case"),
    "arbitrate": Act(bodies.ArbitrationIn),
    "contact": Act(bodies.Note),
    "progress": Act(bodies.Note),
    "co_reply": Act(bodies.Note),
    "waive_co_reply": Act(bodies.Waiver),
    "request_extension": Act(bodies.ExtensionRequest),
    "decide_extension": Act(bodies.ExtensionDecision),
    "escalate": Act(bodies.EscalationIn),
    "resolve": Act(bodies.Resolution),
    "evaluate": Act(bodies.Evaluation),
    "reopen": Act(bodies.Reason),
    "close": Act(bodies.Closure),
    "withdraw": Act(bodies.Reason),
    "merge": Act(bodies.Merge),
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
    return [name for name in ACTS if by.role in PERMITTED[name] and _fits(name, case, by)]


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
