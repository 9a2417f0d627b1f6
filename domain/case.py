"""The Case aggregate: one enterprise problem or project issue, from registration to closure.

Public methods check the rules of DOMAIN.md and compute values (due dates, next status), then record an event
(domain/case_events.py) that only assigns state, so replay never re-decides anything.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import case_events as events
from domain.audited import AuditedAggregate
from domain.case_rules import (
    as_dicts,
    check_departments,
    require,
    require_involved,
    require_lead,
    require_open,
    require_status,
)
from domain.errors import InvalidCommand, NotPermitted
from domain.rules import Rule
from domain.schedule import Schedule, local_date
from domain.values import (
    SYSTEM_TRACKING,
    Actor,
    Arbitration,
    Escalation,
    Outcome,
    Role,
    Satisfaction,
    Status,
    Tier,
    Urgency,
)
from domain.warnings import ESCALATION, Threshold, crossed, ended, escalation
from domain.workdays import Due

WORKING = (Status.DISPATCHED, Status.RETURNED, Status.IN_PROGRESS)
MAX_SUPERVISION_DAYS = 366  # an order is about this case's work, not next decade's
MAX_EVENTS = 2000  # a case's history is read whole by people; past this it is abuse, not casework


if TYPE_CHECKING:
    State = events.CaseState  # the state's declared types, for type checkers only
else:
    State = object


class Case(AuditedAggregate, State):
    TOPIC = "casetrail:Case"

    # -- events (domain/case_events.py); stored names are data: never rename a TOPIC --------------

    Created = events.Created
    Dispatched = events.Dispatched
    SignedFor = events.SignedFor
    Returned = events.Returned
    Arbitrated = events.Arbitrated
    Contacted = events.Contacted
    ProgressLogged = events.ProgressLogged
    CoReplied = events.CoReplied
    CoReplyWaived = events.CoReplyWaived
    ExtensionRequested = events.ExtensionRequested
    ExtensionDecided = events.ExtensionDecided
    Escalated = events.Escalated
    Resolved = events.Resolved
    Evaluated = events.Evaluated
    Reopened = events.Reopened
    Closed = events.Closed
    Withdrawn = events.Withdrawn
    Merged = events.Merged
    DuplicateAttached = events.DuplicateAttached
    WarningRaised = events.WarningRaised
    WarningCleared = events.WarningCleared
    PersonalDataErased = events.PersonalDataErased

    personal_data_erased = False  # not annotated (annotations become created-event fields); old snapshots lack it

    # -- commands -----------------------------------------------------------------------------

    @classmethod
    def register(cls, *, id: UUID, by: Actor, at: datetime, reference: str, **fields: Any) -> Case:  # noqa: A002
        """Register a case; the fields are validated at the boundary, the reference allocated by the caller."""
        return cls._start(cls.Created, id=id, by=by, at=at, reference=reference, **fields)

    @property
    def main_clock(self) -> str:
        return Tier(self.tier).value if self.tier else Tier.HANDLING.value

    def _record(self, event_class: type[Any], *, by: Actor, at: datetime, **fields: Any) -> None:
        """Record an event; a command's event is followed by clearing each warning whose cause it ended."""
        # warnings are facts the job must record whatever the case's size; an erasure is the person's right
        uncapped = by.role is Role.SYSTEM or event_class is self.PersonalDataErased
        require(uncapped or self.version < MAX_EVENTS, Rule.CASE_HISTORY_FULL, f"the case holds {MAX_EVENTS} events")
        super()._record(event_class, by=by, at=at, **fields)
        if event_class in (self.WarningRaised, self.WarningCleared):
            return
        lead_noted = event_class is self.ProgressLogged and by.department == self.lead_department
        ending = ended(self, ends_escalation=event_class in ESCALATION_ENDS, lead_noted=lead_noted)
        cause = event_class.TOPIC.removeprefix("casetrail:")  # stored in the clearing event, as before
        for kind, level in ending.items():
            super()._record(self.WarningCleared, by=by, at=at, kind=kind, level=level, cause=cause)

    def raise_warnings(self, at: datetime, schedule: Schedule) -> list[Threshold]:
        """The tracking job: record each warning threshold crossed by `at` and not yet recorded, once."""
        found = crossed(self, schedule, at)
        for threshold in found:
            self._record(self.WarningRaised, by=SYSTEM_TRACKING, at=at, **threshold.as_fields())
        return found

    def dispatch(
        self,
        by: Actor,
        at: datetime,
        schedule: Schedule,
        *,
        tier: Tier,
        lead: str,
        co: list[str],
        departments: Container[str],
    ) -> None:
        require_open(self)
        require_status(self, (Status.REGISTERED,), "not_registered", "dispatch")
        check_departments(tier, lead, co, departments)
        today, policy = local_date(at), schedule.policy
        due = {
            "sign_for": schedule.due(today, policy.sign_for),
            tier.value: schedule.due(today, policy.main_limit(tier, Urgency(self.urgency))),
        }
        due |= {f"co_reply:{d}": schedule.due(today, policy.co_reply) for d in co}
        self._record(
            self.Dispatched,
            by=by,
            at=at,
            tier=tier.value,
            lead_department=lead,
            co_departments=list(co),
            due=as_dicts(due),
        )

    def sign_for(self, by: Actor, at: datetime, schedule: Schedule) -> None:
        require_open(self)
        require_lead(self, by, "sign for")
        require_status(self, (Status.DISPATCHED,), "not_dispatched", "sign-for")
        first_contact = schedule.due(local_date(at), schedule.policy.first_contact)
        self._record(self.SignedFor, by=by, at=at, due={"first_contact": first_contact.as_dict()})

    def return_case(self, by: Actor, at: datetime, *, reason: str, basis: str) -> None:
        require_open(self)
        require_lead(self, by, "return")
        require(
            self.status != Status.IN_PROGRESS, "return_after_sign_for", "a case can be returned only before sign-for"
        )
        require(
            by.department not in self.barred_from_return,
            "return_already_arbitrated",
            "a return by this department was upheld; it may not return this case again",
        )
        require_status(self, (Status.DISPATCHED,), "not_dispatched", "return")
        self._record(self.Returned, by=by, at=at, department=self.lead_department, reason=reason, basis=basis)

    def arbitrate(
        self,
        by: Actor,
        at: datetime,
        schedule: Schedule,
        *,
        decision: Arbitration,
        department: str | None,
        note: str,
        departments: Container[str],
    ) -> None:
        require_open(self)
        require_status(self, (Status.RETURNED,), "not_returned", "arbitration")
        assert self.lead_department is not None
        today, policy = local_date(at), schedule.policy
        due = {"sign_for": schedule.due(today, policy.sign_for)}
        if decision is Arbitration.UPHOLD:
            department = self.lead_department
        else:
            if department is None or department not in departments:
                raise InvalidCommand("unknown_department", "reassign needs a department of the directory")
            if department == self.lead_department:
                raise InvalidCommand("reassign_to_same_department", "reassign needs another department; use uphold")
            due[self.main_clock] = schedule.due(today, policy.main_limit(Tier(self.main_clock), Urgency(self.urgency)))
            due |= {f"co_reply:{d}": schedule.due(today, policy.co_reply) for d in self._co_replies_owed(department)}
        self._record(
            self.Arbitrated, by=by, at=at, decision=decision.value, department=department, note=note, due=as_dicts(due)
        )

    def _co_replies_owed(self, new_lead: str) -> list[str]:
        """The co-handlers still owing a reply once `new_lead` leads (a co-handler made lead owes none)."""
        return [d for d in self.co_departments if d != new_lead and d not in self.co_replies and d not in self.waived]

    def record_contact(self, by: Actor, at: datetime, *, note: str) -> None:
        require_open(self)
        require_lead(self, by, "record first contact")
        require_status(self, (Status.IN_PROGRESS,), "not_in_progress", "contact")
        self._record(self.Contacted, by=by, at=at, note=note)

    def log_progress(self, by: Actor, at: datetime, *, note: str) -> None:
        require_open(self)
        require_involved(self, by)
        allowed = (Status.IN_PROGRESS,) if by.department == self.lead_department else WORKING
        require_status(self, allowed, "not_in_progress", "progress")
        self._record(self.ProgressLogged, by=by, at=at, department=by.department, note=note)

    def co_reply(self, by: Actor, at: datetime, *, note: str) -> None:
        require_open(self)
        if by.department not in self.co_departments:
            raise NotPermitted("co_handler_only", "only a co-handling department replies as co-handler")
        require(by.department not in self.waived, "co_reply_waived", "this department's reply was waived")
        require_status(self, WORKING, "not_in_progress", "co-reply")
        self._record(self.CoReplied, by=by, at=at, department=by.department, note=note)

    def waive_co_reply(self, by: Actor, at: datetime, *, department: str, reason: str) -> None:
        require_open(self)
        if department not in self.co_departments:
            raise InvalidCommand("not_co_handler", f"{department} is not a co-handler of this case")
        require(department not in self.waived, "co_reply_waived", f"the reply of {department} is already waived")
        require(department not in self.co_replies, "co_reply_given", f"{department} has already replied")
        require_status(self, WORKING, "not_in_progress", "co-reply waiver")
        self._record(self.CoReplyWaived, by=by, at=at, department=department, reason=reason)

    def request_extension(
        self, by: Actor, at: datetime, schedule: Schedule, *, extra_working_days: int, reason: str
    ) -> None:
        require_open(self)
        require_lead(self, by, "request an extension")
        require_status(self, (Status.IN_PROGRESS,), "not_in_progress", "extension request")
        require(self.pending_extension is None, "extension_pending", "an extension request is already pending")
        main = Due.from_dict(self.due[self.main_clock])
        require(
            local_date(at) <= schedule.last_day_to_ask(main.due),
            "extension_too_late",
            f"an extension must be requested at least 1 working day before the due date {main.due}",
        )
        base = schedule.policy.main_limit(Tier(self.main_clock), Urgency(self.urgency))
        total = base + self.extended_days + extra_working_days
        require(
            total <= schedule.policy.extension_maximum,
            "extension_exceeds_maximum",
            f"the total limit would be {total} working days; the maximum is {schedule.policy.extension_maximum}",
        )
        self._record(self.ExtensionRequested, by=by, at=at, extra_working_days=extra_working_days, reason=reason)

    def decide_extension(self, by: Actor, at: datetime, schedule: Schedule, *, approved: bool, note: str) -> None:
        require_open(self)
        require(self.pending_extension is not None, "no_extension_pending", "no extension request is pending")
        assert self.pending_extension is not None
        days = int(self.pending_extension["extra_working_days"])
        due = {}
        if approved:
            due[self.main_clock] = schedule.extend(Due.from_dict(self.due[self.main_clock]), days).as_dict()
        self._record(
            self.ExtensionDecided, by=by, at=at, approved=approved, extra_working_days=days, note=note, due=due
        )

    def escalate(
        self, by: Actor, at: datetime, schedule: Schedule, *, level: Escalation, reason: str, due: Any = None
    ) -> None:
        require_open(self)
        require_status(self, WORKING, "not_in_progress", "escalation")
        current = Escalation(self.escalation_level) if self.escalation_level else None
        require(
            current is None or level.rank >= current.rank,
            "escalation_cannot_descend",
            f"the case is already at {current}; escalation levels never go down",
        )
        today, clocks = local_date(at), {}
        if level is Escalation.SUPERVISE:
            if due is not None and due <= today:
                raise InvalidCommand("due_not_in_future", "a supervision order's due date must lie after today")
            if due is not None and (due - today).days > MAX_SUPERVISION_DAYS:
                raise InvalidCommand("due_too_far", f"a supervision order is due within {MAX_SUPERVISION_DAYS} days")
            if due is None:
                clocks["supervision"] = schedule.due(today, schedule.policy.supervision)
            else:  # a date given, not counted: provisional while official calendar data does not reach it
                clocks["supervision"] = Due(due, not schedule.calendar.is_official(due), schedule.policy.version)
        elif due is not None:
            raise InvalidCommand("due_only_for_supervise", "only a supervise escalation carries a due date")
        self._record(self.Escalated, by=by, at=at, level=level.value, reason=reason, due=as_dicts(clocks))
        # An escalation is a warning of the case too, raised by the coordinator who escalates (once per rung).
        warning = escalation(self, level)
        if self.warnings.get(ESCALATION, {}).get("kind") != warning.kind:
            self._record(self.WarningRaised, by=by, at=at, **warning.as_fields())

    def resolve(
        self, by: Actor, at: datetime, schedule: Schedule, *, reply: str, outcome: Outcome, reason: str | None
    ) -> None:
        require_open(self)
        require_lead(self, by, "resolve")
        require_status(self, (Status.IN_PROGRESS,), "not_in_progress", "resolution")
        missing = [d for d in self.co_departments if d not in self.co_replies and d not in self.waived]
        require(not missing, "co_reply_missing", f"co-handler replies missing from: {', '.join(missing)}")
        if outcome is Outcome.UNSOLVABLE and not reason:
            raise InvalidCommand("reason_required", "an unsolvable outcome needs a reason")
        today = local_date(at)
        on_time = today <= Due.from_dict(self.due[self.main_clock]).due
        revisit = schedule.due(today, schedule.policy.revisit_window)
        self._record(
            self.Resolved,
            by=by,
            at=at,
            reply=reply,
            outcome=outcome.value,
            reason=reason,
            on_time=on_time,
            working_days=schedule.working_days_between(self._main_clock_opened(), today),
            due={"revisit": revisit.as_dict()},
        )

    def _main_clock_opened(self) -> date:
        """The day the lead's work began: the dispatch it received (first or by reassignment) or the reopen.

        Every one of those events opens the main clock (an extension moves its due date, not its opening)."""
        opened = getattr(self, "clocks_opened", {}).get(self.main_clock)  # older view states lack it
        if opened is not None:
            return date.fromisoformat(opened)
        assert self.round_started_at is not None
        return local_date(self.round_started_at)

    def evaluate(
        self, by: Actor, at: datetime, *, satisfaction: Satisfaction, solved: bool, comment: str | None
    ) -> None:
        require_open(self)
        require(self.status != Status.EVALUATED, "already_evaluated", f"round {self.round} has already been evaluated")
        require_status(self, (Status.RESOLVED,), "not_resolved", "evaluation")
        self._record(
            self.Evaluated,
            by=by,
            at=at,
            round=self.round,
            satisfaction=satisfaction.value,
            solved=solved,
            comment=comment,
        )

    def reopen(self, by: Actor, at: datetime, schedule: Schedule, *, reason: str) -> None:
        require_open(self)
        latest = self.evaluations.get(str(self.round))
        require(
            self.status == Status.EVALUATED
            and latest is not None
            and Satisfaction(latest["satisfaction"]).is_dissatisfied,
            "reopen_requires_dissatisfied",
            "a case is reopened only after a dissatisfied evaluation of its current round",
        )
        limit = schedule.policy.main_limit(Tier(self.main_clock), Urgency(self.urgency))
        due = {self.main_clock: schedule.due(local_date(at), limit)}
        self._record(self.Reopened, by=by, at=at, round=self.round + 1, reason=reason, due=as_dicts(due))

    def close(self, by: Actor, at: datetime, *, note: str | None) -> None:
        require_open(self)
        if self.status == Status.EVALUATED:
            self._record(self.Closed, by=by, at=at, note=note, evaluated=True)
            return
        revisit = self.due.get("revisit")
        window_over = revisit is not None and local_date(at) > Due.from_dict(revisit).due
        require(
            self.status == Status.RESOLVED and window_over and bool(note),
            "closure_requires_evaluation",
            f"closure is not allowed while the case is {self.status}: it needs an evaluation, "
            "or the revisit window to have ended and a note saying the enterprise could not be reached",
        )
        self._record(self.Closed, by=by, at=at, note=note, evaluated=False)

    def withdraw(self, by: Actor, at: datetime, *, reason: str) -> None:
        require_open(self)
        self._record(
            self.Withdrawn,
            by=by,
            at=at,
            reason=reason,
            before_dispatch=self.status == Status.REGISTERED,
            by_enterprise=by.role == "enterprise",
        )

    def erase_personal_data(self, by: Actor, at: datetime, *, reason: str) -> bool:
        """Erase the personal fields once the case is no longer worked (closed, withdrawn or merged); an
        enterprise erases only its own case once closed or withdrawn. Erasing twice records nothing (False)."""
        if self.personal_data_erased:
            return False
        require(not Status(self.status).is_open, "erasure_while_open", f"the case is {self.status}")
        if by.role is Role.ENTERPRISE:
            require(
                self.status in (Status.CLOSED, Status.WITHDRAWN),
                "erasure_while_open",
                f"an enterprise erases its case's personal data once it is closed or withdrawn, not {self.status}",
            )
        if not reason.strip():
            raise InvalidCommand("reason_required", "an erasure states its reason (the request it answers)")
        self._record(self.PersonalDataErased, by=by, at=at, reason=reason)
        return True

    def merge_into(self, by: Actor, at: datetime, target: Case, *, note: str | None) -> None:
        require_open(self)
        if target.id == self.id:
            raise InvalidCommand("merge_into_self", "a case cannot be merged into itself")
        require(Status(target.status).is_open, "merge_target_not_open", f"the target case is {target.status}")
        self._record(self.Merged, by=by, at=at, into=str(target.id), into_reference=target.reference, note=note)
        target._record(
            target.DuplicateAttached, by=by, at=at, duplicate=str(self.id), duplicate_reference=self.reference
        )


ESCALATION_ENDS = (Case.Resolved, Case.Withdrawn, Case.Merged)  # an escalation is a warning until these
