"""Steps that drive a case through its lifecycle on the application layer, and refusal checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import pytest

from application.execution import CommandContext
from domain.case import Case
from domain.errors import DomainError
from domain.values import Actor, Arbitration, Outcome, Satisfaction, Tier
from infrastructure.container import Container
from tests.conftest import CO, CO2, COORDINATOR, LEAD, new_case

CO_DEPARTMENTS = ("finance", "housing")
HANDLER_OF = {"econ-info": LEAD, "finance": CO, "housing": CO2}


def cmd(by: Actor = COORDINATOR, **kwargs: Any) -> CommandContext:
    return CommandContext(by, **kwargs)


# -- reading -----------------------------------------------------------------------------------


def current(container: Container, case_id: UUID) -> Case:
    return container.queries.get(case_id, COORDINATOR).case


def version(container: Container, case_id: UUID) -> int:
    return current(container, case_id).version


def history(container: Container, case_id: UUID, by: Actor = COORDINATOR) -> list[dict[str, Any]]:
    return container.queries.history(case_id, by)


def types(container: Container, case_id: UUID, by: Actor = COORDINATOR) -> list[str]:
    return [e["type"] for e in history(container, case_id, by)]


def last_event(container: Container, case_id: UUID) -> dict[str, Any]:
    return history(container, case_id)[-1]


def due_dates(case: Case) -> dict[str, str]:
    """The open clocks of a case by name, as ISO dates."""
    return {name: clock["due"] for name, clock in case.due.items()}


def head_position(container: Container) -> int:
    """The global position of the last stored event: unchanged when nothing was recorded."""
    return container.store.recorder.max_notification_id() or 0


# -- single steps ------------------------------------------------------------------------------


def register(container: Container, by: Actor = COORDINATOR, **overrides: Any) -> UUID:
    return container.cases.register(CommandContext(by), new_case(**overrides)).case.id


def dispatch(
    container: Container,
    case_id: UUID,
    *,
    tier: Tier = Tier.RESOLUTION,
    lead: str = "econ-info",
    co: Sequence[str] = CO_DEPARTMENTS,
) -> Case:
    co = list(co) if tier is Tier.RESOLUTION else []
    return container.cases.dispatch(case_id, cmd(), tier=tier, lead_department=lead, co_departments=co).case


def sign_for(container: Container, case_id: UUID, by: Actor = LEAD) -> Case:
    return container.cases.sign_for(case_id, cmd(by)).case


def return_case(container: Container, case_id: UUID, by: Actor = LEAD) -> Case:
    return container.cases.return_case(case_id, cmd(by), reason="不属于本部门职责", basis="《三定方案》第三条").case


def arbitrate(container: Container, case_id: UUID, decision: Arbitration, department: str | None = None) -> Case:
    return container.cases.arbitrate(case_id, cmd(), decision=decision, department=department, note="审定意见").case


def co_reply(container: Container, case_id: UUID, by: Actor = CO, note: str = "协办意见：同意支持") -> Case:
    return container.cases.co_reply(case_id, cmd(by), note=note).case


def co_replies(container: Container, case_id: UUID) -> None:
    for department in current(container, case_id).co_departments:
        co_reply(container, case_id, HANDLER_OF[department])


def resolve(container: Container, case_id: UUID, by: Actor = LEAD, outcome: Outcome = Outcome.SOLVED) -> Case:
    return container.cases.resolve(case_id, cmd(by), reply="已协调蒸汽管道接入方案", outcome=outcome, reason=None).case


def evaluate(
    container: Container,
    case_id: UUID,
    satisfaction: Satisfaction = Satisfaction.SATISFIED,
    by: Actor = COORDINATOR,
    solved: bool = True,
) -> Case:
    return container.cases.evaluate(case_id, cmd(by), satisfaction=satisfaction, solved=solved, comment="回访意见").case


def reopen(container: Container, case_id: UUID) -> Case:
    return container.cases.reopen(case_id, cmd(), reason="企业不满意，重办").case


def close(container: Container, case_id: UUID, note: str | None = None) -> Case:
    return container.cases.close(case_id, cmd(), note=note).case


def request_extension(container: Container, case_id: UUID, days: int, by: Actor = LEAD) -> Case:
    return container.cases.request_extension(case_id, cmd(by), extra_working_days=days, reason="需协调管网改造").case


def decide_extension(container: Container, case_id: UUID, approved: bool) -> Case:
    return container.cases.decide_extension(case_id, cmd(), approved=approved, note="审批意见").case


def withdraw(container: Container, case_id: UUID, by: Actor = COORDINATOR) -> Case:
    return container.cases.withdraw(case_id, cmd(by), reason="企业自行解决").case


# -- driving a new case to a state ---------------------------------------------------------------


def dispatched_case(
    container: Container, *, tier: Tier = Tier.RESOLUTION, co: Sequence[str] = CO_DEPARTMENTS, **overrides: Any
) -> UUID:
    case_id = register(container, **overrides)
    dispatch(container, case_id, tier=tier, co=co)
    return case_id


def returned_case(container: Container, **kwargs: Any) -> UUID:
    case_id = dispatched_case(container, **kwargs)
    return_case(container, case_id)
    return case_id


def in_progress_case(container: Container, **kwargs: Any) -> UUID:
    case_id = dispatched_case(container, **kwargs)
    sign_for(container, case_id)
    return case_id


def resolved_case(container: Container, **kwargs: Any) -> UUID:
    case_id = in_progress_case(container, **kwargs)
    co_replies(container, case_id)
    resolve(container, case_id)
    return case_id


def evaluated_case(container: Container, satisfaction: Satisfaction = Satisfaction.SATISFIED, **kwargs: Any) -> UUID:
    case_id = resolved_case(container, **kwargs)
    evaluate(container, case_id, satisfaction)
    return case_id


def closed_case(container: Container, **kwargs: Any) -> UUID:
    case_id = evaluated_case(container, **kwargs)
    close(container, case_id)
    return case_id


# -- refusals ----------------------------------------------------------------------------------


def refused(
    container: Container, case_id: UUID, error: type[DomainError], rule: str, action: Callable[[], object]
) -> DomainError:
    """The action is refused with `error` naming `rule`, and nothing at all is recorded."""
    before, position = version(container, case_id), head_position(container)
    with pytest.raises(error) as e:
        action()
    assert e.value.rule == rule, e.value.detail
    assert version(container, case_id) == before
    assert head_position(container) == position
    return e.value
