"""Demo data: Wenjiang enterprises, their major projects and cases in every state, written through the use cases."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from api.demo_data import (
    ASKS,
    CO_REPLIES,
    COMMENTS,
    CONTACT_NOTES,
    CONTACTS,
    DECISIONS,
    ENTERPRISES,
    ESCALATIONS,
    EXTENSIONS,
    MERGED,
    PROGRESS_NOTES,
    REASSIGNED,
    REOPEN,
    REPLIES,
    RETURNS,
    ROUTES,
    TOPICS,
    UNREACHED,
    UNSOLVABLE,
    UPHELD,
    WAIVER,
    WITHDRAW_BY_CENTRE,
    WITHDRAW_BY_ENTERPRISE,
    credit_code,
)
from api.demo_projects import as_project_issue, load_projects
from application.case_execution import CaseResult
from application.cases import NewCase
from application.execution import CommandContext
from domain.directory import COORDINATING_CENTRE
from domain.schedule import LOCAL_TZ, local_date
from domain.values import CLI, Actor, Arbitration, Escalation, Kind, Outcome, Role, Satisfaction, Status, Tier
from infrastructure.clock import FixedClock
from infrastructure.container import Container

DEMO_DAYS = 45
DAY_MINUTES = 450  # office hours in Asia/Shanghai: 09:00-12:00 and 13:30-18:00

# fmt: off

# Final states and their phases after registration; MUST makes each rule of the lifecycle show up at least once.
WORKING = ("dispatch", "arbitration", "sign_for", "work")
PHASES = {
    "registered": (), "dispatched": ("dispatch",), "returned": ("dispatch", "return"), "in_progress": WORKING,
    "resolved": (*WORKING, "resolve"), "evaluated": (*WORKING, "resolve", "evaluate"),
    "closed": (*WORKING, "resolve", "evaluate", "close"), "unreached": (*WORKING, "resolve", "close_unreached"),
    "redo": (*WORKING, "resolve", "dissatisfied", "reopen"), "withdrawn": ("withdrawal",), "merged": (),
}
MUST = (
    ("registered", ""), ("dispatched", "tier2 early"), ("returned", ""), ("in_progress", "uphold"),
    ("in_progress", "reassign tier2 extension_ok listed"), ("redo", "enterprise"), ("resolved", "tier2 extension_no"),
    ("evaluated", "tier2 waiver"), ("closed", "tier2 escalate"), ("unreached", "urgent"), ("merged", ""),
    ("withdrawn", "early enterprise online"), ("withdrawn", "early"), ("withdrawn", ""), ("withdrawn", "enterprise"),
)
FINALS = {"closed": 30, "in_progress": 18, "resolved": 8, "evaluated": 6, "unreached": 6, "redo": 3, "dispatched": 6,
          "registered": 5, "returned": 3, "withdrawn": 8, "merged": 4}
FEATURE_ODDS = {"tier2": 0.4, "urgent": 0.2, "uphold": 0.07, "reassign": 0.07, "waiver": 0.25, "extension_ok": 0.15,
                "extension_no": 0.07, "escalate": 0.15, "early": 0.4, "enterprise": 0.5, "online": 0.3}
# open final states -> up to how many working days before the end such a case may have stood still
STALE = {"registered": 2, "dispatched": 3, "returned": 2, "resolved": 3, "evaluated": 4, "redo": 5, "in_progress": 10}
# fmt: on

Step = Callable[[], CaseResult]
Progress = Callable[[int], object]


@dataclass(frozen=True)
class DemoSummary:
    """What was loaded: the number of cases, how many ended in each status, and one token secret per label."""

    cases: int
    statuses: dict[str, int]
    tokens: dict[str, str]


@dataclass
class Track:
    """One demo case: its script of steps on (working day, minute after 09:00) and, once run, its last result."""

    new: NewCase
    final: str
    features: set[str]
    tier: Tier
    lead: str
    co: list[str]
    minute: int
    day: int = 0
    start: int = 0
    outcome: Outcome = Outcome.SOLVED
    steps: list[tuple[int, int, Step]] = field(default_factory=list)
    result: CaseResult | None = None

    @property
    def id(self) -> UUID:
        assert self.result is not None, "the case is not registered yet"
        return self.result.case.id


def load_demo(
    container: Container, clock: FixedClock, *, cases: int = 100, seed: int = 2026, progress: Progress | None = None
) -> DemoSummary:
    """Load `cases` cases spread over the DEMO_DAYS after the clock's time; the same seed gives the same data."""
    demo = Demo(container, clock, seed)
    tracks = demo.plan(cases)
    demo.run(tracks, progress or (lambda done: None))
    statuses = Counter(Status(t.result.case.status).value for t in tracks if t.result)
    return DemoSummary(cases=len(tracks), statuses=dict(statuses), tokens=demo.tokens)


class Demo:
    """Plans every case as a script of timed commands, then runs all scripts in time order on one clock."""

    def __init__(self, container: Container, clock: FixedClock, seed: int) -> None:
        self.container, self.cases, self.clock = container, container.cases, clock
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
        end = min(datetime.now(UTC), clock.at + timedelta(days=DEMO_DAYS))
        self.days = _working_days(container, local_date(clock.at), local_date(end))
        self.departments = [d.code for d in container.directory if d.code != COORDINATING_CENTRE]
        self.firms = [(name, credit_code(self.rng), CONTACTS[i % len(CONTACTS)]) for i, name in enumerate(ENTERPRISES)]
        self.tokens: dict[str, str] = {}
        self.handlers: dict[str, Actor] = {}
        self.coordinator = self._issue("coordinator", "区企业发展促进中心 王敏", Role.COORDINATOR)
        for label, role in (("auditor", Role.AUDITOR), ("reporter", Role.REPORTER), ("admin", Role.ADMIN)):
            self._issue(label, f"demo {label}", role)
        for dept in (d for d in ("econ-info", "finance", "hi-tech-zone") if d in container.directory):
            name = f"{container.directory.get(dept).name} 经办人"
            self.handlers[dept] = self._issue(f"handler {dept}", name, Role.HANDLER, department=dept)
        name, code, _ = self.firms[0]
        self.firm_token = self._issue(f"enterprise {name}", name, Role.ENTERPRISE, credit_code=code)
        self.owned = load_projects(container, self.coordinator, local_date(end), self.firms, seed)

    def _issue(self, label: str, name: str, role: Role, **scope: str) -> Actor:
        secret = self.container.tokens.issue(CLI, name=name, role=role, **scope).secret
        self.tokens[label] = secret
        actor = self.container.tokens.authenticate(secret)
        assert actor is not None
        return actor

    def plan(self, count: int) -> list[Track]:
        chosen = [(final, set(features.split())) for final, features in MUST[:count]]
        finals, weights = list(FINALS), list(FINALS.values())
        chosen += [(self.rng.choices(finals, weights)[0], self._features()) for _ in range(count - len(chosen))]
        tracks = [self._script(self._track(n, final, f)) for n, (final, f) in enumerate(chosen) if final != "merged"]
        tracks += [self._duplicate(tracks, f) for final, f in chosen if final == "merged"]
        return tracks

    def run(self, tracks: list[Track], progress: Progress) -> None:
        """Run every step in time order, moving the clock to each step's moment; report each finished case."""
        steps = [
            (t.start + day, minute, n, k) for n, t in enumerate(tracks) for k, (day, minute, _) in enumerate(t.steps)
        ]
        done = 0
        for day, minute, n, k in sorted(steps):
            at = self._instant(day, minute)
            if at > self.clock.at:
                self.clock.advance(seconds=(at - self.clock.at).total_seconds())
            track = tracks[n]
            track.result = track.steps[k][2]()
            if k == len(track.steps) - 1:
                done += 1
                progress(done)

    def _instant(self, day: int, minute: int) -> datetime:
        """The UTC instant of an office minute of a working day; minutes after 12:00 skip the lunch break."""
        minute += 90 if minute >= 180 else 0
        return datetime.combine(self.days[day], time(9), LOCAL_TZ).astimezone(UTC) + timedelta(minutes=minute)

    # -- planning a case ----------------------------------------------------------------------------

    def _features(self) -> set[str]:
        return {name for name, odds in FEATURE_ODDS.items() if self.rng.random() < odds}

    def _track(self, n: int, final: str, features: set[str]) -> Track:
        r = self.rng
        category, title, problem = r.choice(TOPICS)
        name, code, contact = self.firms[0] if n % 12 == 0 else r.choice(self.firms)
        new = NewCase(
            Kind.ENTERPRISE_PROBLEM, title, f"{name}反映：{problem}。{r.choice(ASKS)}",
            enterprise={"name": name, "credit_code": code}, category=category,
            channel="online" if "online" in features else r.choice(("visit", "visit", "hotline", "meeting", "letter")),
            urgency="urgent" if "urgent" in features else "normal",
            contact={"name": contact, "phone": f"1{r.choice('3589')}{r.randrange(10**9):09d}"},
        )  # fmt: skip
        new = as_project_issue(new, n, self.owned)
        routes = [d for d in ROUTES[category] if d in self.departments] or self.departments
        lead = r.choice(routes[:2])
        co = r.sample([d for d in routes if d != lead], k=r.randint(1, 2)) if "tier2" in features else []
        return Track(new, final, features, Tier.RESOLUTION if co else Tier.HANDLING, lead, co, r.randint(0, 300))

    def _script(self, t: Track) -> Track:
        self._register(t)
        for phase in PHASES[t.final]:
            getattr(self, f"_{phase}")(t)
        return self._place(t)

    def _place(self, t: Track, earliest: int | None = None) -> Track:
        """Choose the working day the case starts on; open cases stop shortly before the end, as if still busy."""
        latest = len(self.days) - 1 - t.day
        if latest < 0:
            raise ValueError(f"{len(self.days)} working days are too few for a demo case spanning {t.day + 1}")
        if earliest is None:
            earliest = latest - STALE.get(t.final, latest)
        t.start = self.rng.randint(max(0, min(earliest, latest)), latest)
        return t

    def _duplicate(self, tracks: list[Track], features: set[str]) -> Track:
        """A second report of an open case by phone, which the centre merges into the first one."""
        targets = [t for t in tracks if t.final in STALE and t.start + 2 < len(self.days)]
        if not targets:
            return self._script(self._track(len(tracks), "registered", features))
        target = self.rng.choice(targets)
        new = replace(target.new, channel="hotline", description=f"（热线重复来电）{target.new.description}")
        t = Track(new, "merged", features, target.tier, target.lead, [], minute=self.rng.randint(0, 300))
        self._register(t)
        self._merge(t, target)
        return self._place(t, earliest=target.start + 1)

    def _then(self, t: Track, days: int, step: Step) -> None:
        """Add a step `days` working days after the previous one (0: later the same day), in office hours."""
        t.minute += self.rng.randint(10, 90) if days == 0 else 0
        if days > 0 or t.minute > DAY_MINUTES:
            t.day, t.minute = t.day + max(days, 1), self.rng.randint(0, DAY_MINUTES - 90)
        t.steps.append((t.day, t.minute, step))

    def _do(self, t: Track, days: int, use_case: str, by: Actor, **kwargs: Any) -> None:
        """Add a step calling the CaseService method `use_case` on this case."""
        method = getattr(self.cases, use_case)
        self._then(t, days, lambda: method(t.id, CommandContext(by), **kwargs))

    def _gap(self, most: int = 1) -> int:
        return self.rng.randint(0, most)

    def _handler(self, dept: str) -> Actor:
        return self.handlers.get(dept) or Actor(f"demo:handler-{dept}", Role.HANDLER, dept)

    def _firm(self, t: Track) -> Actor:
        code = t.new.enterprise["credit_code"]
        if code == self.firm_token.credit_code:
            return self.firm_token
        return Actor(f"demo:enterprise-{code}", Role.ENTERPRISE, credit_code=code)

    # -- phases of a case ---------------------------------------------------------------------------

    def _register(self, t: Track) -> None:
        by = self._firm(t) if t.new.channel == "online" else self.coordinator
        self._then(t, 0, lambda: self.cases.register(CommandContext(by), t.new))

    def _dispatch(self, t: Track) -> None:
        kwargs = {"tier": t.tier, "lead_department": t.lead, "co_departments": list(t.co)}
        self._do(t, self._gap(), "dispatch", self.coordinator, **kwargs)
        if t.co and t.final == "dispatched" and "early" in t.features:  # co-handlers may reply before sign-for
            self._do(t, 0, "co_reply", self._handler(t.co[0]), note=self.rng.choice(CO_REPLIES))

    def _return(self, t: Track) -> None:
        reason, basis = self.rng.choice(RETURNS)
        self._do(t, self._gap(), "return_case", self._handler(t.lead), reason=reason, basis=basis)

    def _arbitration(self, t: Track) -> None:
        if not t.features & {"uphold", "reassign"}:
            return
        self._return(t)
        if "uphold" in t.features:
            self._do(t, 0, "arbitrate", self.coordinator, decision=Arbitration.UPHOLD, department=None, note=UPHELD)
            return
        others = [d for d in self.departments if d not in (t.lead, *t.co)]
        t.lead = self.rng.choice([d for d in ROUTES[t.new.category] if d in others] or others)
        note = REASSIGNED.format(self.container.directory.get(t.lead).name)
        self._do(t, 0, "arbitrate", self.coordinator, decision=Arbitration.REASSIGN, department=t.lead, note=note)

    def _sign_for(self, t: Track) -> None:
        self._do(t, self._gap(), "sign_for", self._handler(t.lead))

    def _work(self, t: Track) -> None:
        lead = self._handler(t.lead)
        self._do(t, self._gap(), "contact", lead, note=self.rng.choice(CONTACT_NOTES))
        self._extension(t)
        for i, dept in enumerate(t.co):
            if i == 0 and "waiver" in t.features:
                self._do(t, self._gap(), "waive_co_reply", self.coordinator, department=dept, reason=WAIVER)
            else:
                self._do(t, self._gap(), "co_reply", self._handler(dept), note=self.rng.choice(CO_REPLIES))
        for _ in range(self._gap(2)):
            self._do(t, 1 + self._gap(), "progress", lead, note=self.rng.choice(PROGRESS_NOTES))
        self._escalation(t)

    def _extension(self, t: Track) -> None:
        # asked within days of sign-for, well before the 15-working-day resolution limit runs out
        if t.tier is not Tier.RESOLUTION or not t.features & {"extension_ok", "extension_no"}:
            return
        days, reason = self.rng.choice((5, 10)), self.rng.choice(EXTENSIONS)
        self._do(t, 0, "request_extension", self._handler(t.lead), extra_working_days=days, reason=reason)
        ok = "extension_ok" in t.features
        self._do(t, self._gap(), "decide_extension", self.coordinator, approved=ok, note=DECISIONS[ok])

    def _escalation(self, t: Track) -> None:
        if not t.features & {"escalate", "listed"}:
            return
        for level in list(Escalation)[: 3 if "listed" in t.features else self.rng.randint(1, 3)]:
            self._do(t, self._gap(), "escalate", self.coordinator, level=level, reason=ESCALATIONS[level], due=None)

    def _resolve(self, t: Track) -> None:
        t.outcome = self.rng.choices(list(Outcome), (8, 3, 1))[0]
        reason = UNSOLVABLE if t.outcome is Outcome.UNSOLVABLE else None
        reply = REPLIES[t.outcome]
        self._do(t, 1 + self._gap(), "resolve", self._handler(t.lead), reply=reply, outcome=t.outcome, reason=reason)

    def _evaluate(self, t: Track, grade: Satisfaction | None = None) -> None:
        grade = grade or self.rng.choices(list(Satisfaction), (5, 4, 2, 1, 0.3))[0]
        by = self._firm(t) if "enterprise" in t.features else self.coordinator  # or the centre's revisit call
        solved = t.outcome is Outcome.SOLVED and not grade.is_dissatisfied
        comment = COMMENTS[list(Satisfaction).index(grade)]
        self._do(t, self._gap(3), "evaluate", by, satisfaction=grade, solved=solved, comment=comment)

    def _dissatisfied(self, t: Track) -> None:
        self._evaluate(t, self.rng.choice((Satisfaction.DISSATISFIED, Satisfaction.VERY_DISSATISFIED)))

    def _reopen(self, t: Track) -> None:
        self._do(t, self._gap(), "reopen", self.coordinator, reason=REOPEN)
        self._do(t, 1 + self._gap(), "progress", self._handler(t.lead), note=f"重办：{PROGRESS_NOTES[0]}")

    def _close(self, t: Track) -> None:
        self._do(t, self._gap(2), "close", self.coordinator, note=None)

    def _close_unreached(self, t: Track) -> None:
        # the revisit window ends 5 working days after resolution; closure without evaluation comes after it
        self._do(t, 6 + self._gap(2), "close", self.coordinator, note=UNREACHED)

    def _withdrawal(self, t: Track) -> None:
        if "early" not in t.features:
            self._dispatch(t)
            self._sign_for(t)
        by_firm = "enterprise" in t.features
        reason = self.rng.choice(WITHDRAW_BY_ENTERPRISE if by_firm else WITHDRAW_BY_CENTRE)
        self._do(t, self._gap(2), "withdraw", self._firm(t) if by_firm else self.coordinator, reason=reason)

    def _merge(self, t: Track, target: Track) -> None:
        def merge() -> CaseResult:
            assert target.result is not None
            note = MERGED.format(target.result.case.reference)
            return self.cases.merge(t.id, CommandContext(self.coordinator), into=target.id, note=note)

        self._then(t, self._gap(), merge)


def _working_days(container: Container, after: date, before: date) -> list[date]:
    """Working days strictly between two local dates, so every event falls in office hours of the past."""
    days = (after + timedelta(days=i) for i in range(1, (before - after).days))
    return [d for d in days if container.schedule.calendar.is_working_day(d)]


def has_demo_data(container: Container) -> bool:
    """True when an earlier `casetrail demo` loaded this store: its tokens are there (it issues them first)."""
    names = {"demo auditor", "demo reporter", "demo admin"}
    return any(t.name in names for t in container.tokens.list_all(CLI))
