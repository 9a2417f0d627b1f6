"""Seed a store quickly with realistic case histories, built by the domain and saved in batches."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from domain.case import Case
from domain.values import Actor, Outcome, Role, Satisfaction, Tier
from infrastructure.container import Container

COORDINATOR = Actor("bench-coordinator", Role.COORDINATOR, "service-center")
DEPARTMENTS = ("econ-info", "finance", "housing", "hi-tech-zone", "wanchun", "ecology", "sci-tech")
FIELDS = {
    "kind": "enterprise_problem",
    "description": "核药车间需要蒸汽保证洁净环境，原有蒸汽通道没有接入路径。",
    "enterprise": {"name": "远大医药（中国）有限公司", "credit_code": "91510115MA6C4B7Q2J"},
    "category": "utilities",
    "channel": "visit",
    "urgency": "normal",
    "contact": {"name": "李锐", "phone": "13800000000"},
    "project_id": None,
}


def one_case(app: Container, rng: random.Random, n: int, at: datetime, events: int) -> Case:
    """A case with about `events` events: registered, dispatched, signed for, progress notes, resolved, evaluated."""
    lead = rng.choice(DEPARTMENTS)
    by = Actor(f"bench-{lead}", Role.HANDLER, lead)
    case = Case.register(
        id=uuid4(), by=COORDINATOR, at=at, reference=f"BENCH-{n:07d}", title=f"诉求{n} 蒸汽管道", **FIELDS
    )
    steps = [
        lambda t: case.dispatch(
            COORDINATOR, t, app.schedule, tier=Tier.HANDLING, lead=lead, co=[], departments=app.directory
        ),
        lambda t: case.sign_for(by, t, app.schedule),
        lambda t: case.record_contact(by, t, note="已联系企业"),
    ]
    for step in steps:
        at += timedelta(hours=1)
        step(at)
    while case.version < events - 2:
        at += timedelta(hours=1)
        case.log_progress(by, at, note="推进中")
    at += timedelta(hours=1)
    case.resolve(by, at, app.schedule, reply="已办结", outcome=Outcome.SOLVED, reason=None)
    at += timedelta(hours=1)
    case.evaluate(COORDINATOR, at, satisfaction=rng.choice(list(Satisfaction)), solved=True, comment=None)
    return case


def seed(app: Container, cases: int, events_per_case: int = 10, batch: int = 200, progress=None) -> int:
    """Save `cases` cases; returns the number of events written."""
    rng = random.Random(7)
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    written = 0
    for first in range(0, cases, batch):
        built = [
            one_case(app, rng, n, start + timedelta(minutes=n), events_per_case)
            for n in range(first, min(cases, first + batch))
        ]
        written += sum(len(c.pending_events) for c in built)
        app.store.save(*built)
        if progress:
            progress(written)
    return written
