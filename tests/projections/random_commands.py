"""Random but legal-looking command sequences; refusals are part of the mix and record nothing."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from application.execution import CommandContext
from application.projects import NewProject
from domain.errors import DomainError
from domain.project import Milestone
from domain.schedule import local_date
from domain.values import Actor, Arbitration, Escalation, Kind, Outcome, Role, Satisfaction, Tier
from infrastructure.clock import FixedClock
from infrastructure.container import Container
from tests.conftest import CODE, COORDINATOR, new_case

DEPARTMENTS = ("econ-info", "finance", "housing", "hi-tech-zone", "wanchun")
SATISFACTION = list(Satisfaction)
PLAN = {"start": 0, "completion": 400, "production": 500}  # days after a random planned start


def handler(department: str) -> Actor:
    return Actor(f"handler-{department}", Role.HANDLER, department)


def random_step(container: Container, rng: random.Random, case_id: UUID) -> None:
    """One command on the case, chosen by its status; a refused one is simply skipped."""
    case = container.queries.get(case_id, COORDINATOR).case
    lead = handler(case.lead_department) if case.lead_department else COORDINATOR
    co = [handler(d) for d in case.co_departments]
    c, s = container.cases, case.status
    options: list[Callable[[], Any]] = []
    if s == "registered":
        tier = rng.choice(list(Tier))
        picks = rng.sample(DEPARTMENTS, 3)
        cos = picks[1 : 1 + rng.randint(0, 2)] if tier is Tier.RESOLUTION else []
        options.append(
            lambda: c.dispatch(
                case_id, CommandContext(COORDINATOR), tier=tier, lead_department=picks[0], co_departments=cos
            )
        )
    if s == "dispatched":
        options += [
            lambda: c.sign_for(case_id, CommandContext(lead)),
            lambda: c.return_case(case_id, CommandContext(lead), reason="非本部门职责", basis="三定方案"),
        ]
    if s == "returned":
        other = rng.choice([d for d in DEPARTMENTS if d != case.lead_department])
        decision = rng.choice(list(Arbitration))
        options.append(
            lambda: c.arbitrate(
                case_id,
                CommandContext(COORDINATOR),
                decision=decision,
                department=other if decision is Arbitration.REASSIGN else None,
                note="审定",
            )
        )
    if s == "in_progress":
        options += [
            lambda: c.contact(case_id, CommandContext(lead), note="已联系"),
            lambda: c.progress(case_id, CommandContext(lead), note="推进中"),
            lambda: c.request_extension(
                case_id, CommandContext(lead), extra_working_days=rng.randint(1, 5), reason="需协调"
            ),
            lambda: c.resolve(
                case_id,
                CommandContext(lead),
                reply="已办结",
                outcome=rng.choice(list(Outcome)),
                reason="无法解决的原因",
            ),
        ]
    if s in ("dispatched", "returned", "in_progress"):
        options += [
            lambda: c.co_reply(case_id, CommandContext(rng.choice(co)), note="协办意见") if co else None,
            lambda: c.escalate(
                case_id, CommandContext(COORDINATOR), level=rng.choice(list(Escalation)), reason="督办", due=None
            ),
        ]
        if case.pending_extension:
            options.append(
                lambda: c.decide_extension(
                    case_id, CommandContext(COORDINATOR), approved=rng.random() < 0.6, note="审批"
                )
            )
        for d in case.co_departments:
            options.append(
                lambda d=d: c.waive_co_reply(case_id, CommandContext(COORDINATOR), department=d, reason="免于回复")
            )
    if s == "resolved":
        options.append(
            lambda: c.evaluate(
                case_id,
                CommandContext(COORDINATOR),
                satisfaction=rng.choice(SATISFACTION),
                solved=rng.random() < 0.5,
                comment=None,
            )
        )
    if s == "evaluated":
        options += [
            lambda: c.reopen(case_id, CommandContext(COORDINATOR), reason="企业不满意"),
            lambda: c.close(case_id, CommandContext(COORDINATOR), note=None),
        ]
    if rng.random() < 0.03:
        options.append(lambda: c.withdraw(case_id, CommandContext(COORDINATOR), reason="企业撤回"))
    if options:
        with contextlib.suppress(DomainError):  # a refusal records nothing: part of the mix
            rng.choice(options)()


def random_history(container: Container, clock: FixedClock, seed: int, cases: int = 20, steps: int = 200) -> list[UUID]:
    rng = random.Random(seed)
    ids = [
        container.cases.register(CommandContext(COORDINATOR), new_case(title=f"诉求{i} 蒸汽管道")).case.id
        for i in range(cases)
    ]
    for _ in range(steps):
        clock.advance(hours=rng.choice([1, 3, 20, 50]))
        random_step(container, rng, rng.choice(ids))
    if len(ids) > 2 and rng.random() < 0.9:
        with contextlib.suppress(DomainError):
            container.cases.merge(ids[0], CommandContext(COORDINATOR), into=ids[1], note=None)
    return ids


def random_project_step(container: Container, rng: random.Random, pid: UUID, on: date) -> None:
    """One project command (a milestone, a progress report or a project issue); a refused one is skipped."""
    options: list[Callable[[], Any]] = [
        lambda: container.projects.record_milestone(
            pid, CommandContext(COORDINATOR), milestone=rng.choice(list(Milestone)), date=on, evidence=None
        ),
        lambda: container.projects.report_progress(
            pid,
            CommandContext(COORDINATOR),
            percent_complete=rng.uniform(0, 100),
            investment_to_date=rng.uniform(0, 9e3),
            note=None,
        ),
        lambda: container.cases.register(
            CommandContext(COORDINATOR), new_case(kind=Kind.PROJECT_ISSUE, project_id=str(pid))
        ),
    ]
    with contextlib.suppress(DomainError):  # a refusal records nothing: part of the mix
        rng.choice(options)()


def random_project_history(
    container: Container, clock: FixedClock, seed: int, projects: int = 6, steps: int = 60
) -> list[UUID]:
    """Projects with random milestones (refusals included), progress reports and project issues."""
    rng = random.Random(seed)
    today = local_date(clock.now())
    ids = []
    for i in range(projects):
        offset = rng.randint(-300, 300)
        new = NewProject(
            name=f"重大项目{i}",
            code=f"RND-{seed}-{i}",
            owner={"name": "远大医药（中国）有限公司", "credit_code": CODE},
            zone=rng.choice(("zone-1", "zone-2", "zone-3", "zone-4")),
            planned_investment=rng.choice([300.0, 500.0, 12_000.5]),
            planned={k: today + timedelta(days=offset + d) for k, d in PLAN.items()},
            signed_on=today - timedelta(days=400),
        )
        with contextlib.suppress(DomainError):
            ids.append(container.projects.register(CommandContext(COORDINATOR), new).project.id)
    for _ in range(steps):
        clock.advance(hours=rng.choice([1, 20, 50]))
        on = local_date(clock.now()) - timedelta(days=rng.randint(0, 30))
        random_project_step(container, rng, rng.choice(ids), on)
    return ids


def random_history_with_tracking(
    container: Container, clock: FixedClock, seed: int, cases: int = 20, steps: int = 200, every: int = 5
) -> list[UUID]:
    """Like `random_history`, with the tracking job run as of the clock every `every` steps: warnings are raised
    and cleared among the commands. The job finds its cases in the cases view, so that is caught up first."""
    rng = random.Random(seed)
    ids = [
        container.cases.register(CommandContext(COORDINATOR), new_case(title=f"诉求{i} 供地")).case.id
        for i in range(cases)
    ]
    for step in range(steps):
        clock.advance(hours=rng.choice([1, 3, 20, 50]))
        random_step(container, rng, rng.choice(ids))
        if step % every == 0:
            for worker in container.workers():
                worker.catch_up()
            container.tracking.run(clock.now())
    return ids
