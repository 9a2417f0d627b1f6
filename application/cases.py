"""Case use cases: one method per command of the lifecycle; each is get, one aggregate method, save."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import EventSourcedLog

from application.case_execution import CaseExecutor, CaseResult
from application.errors import NotFound
from application.execution import Act, CommandContext
from application.logs import log_event, next_version
from application.ports import PersonalData
from domain.case import Case
from domain.directory import Directory
from domain.errors import InvalidCommand, NotPermitted
from domain.reference import ReferenceAllocated, format_reference, reference_log_id
from domain.schedule import Schedule, local_date
from domain.values import Actor, Arbitration, Escalation, Kind, Outcome, Role, Satisfaction, Tier

ProjectLookup = Callable[[str, Actor], bool]  # whether a project id names a project this caller may see


@dataclass(frozen=True)
class NewCase:
    """What a caller states when registering a case (validated at the boundary)."""

    kind: Kind
    title: str
    description: str
    enterprise: dict[str, str]
    category: str
    channel: str
    urgency: str
    contact: dict[str, str]
    project_id: str | None = None


class CaseService:
    """The case lifecycle of DOMAIN.md, one method per use case."""

    def __init__(
        self,
        executor: CaseExecutor,
        schedule: Schedule,
        directory: Directory,
        personal: PersonalData,
        projects: ProjectLookup | None = None,
    ) -> None:
        self.executor = executor
        self.personal = personal
        self.store = executor.store
        self.schedule = schedule
        self.directory = directory
        self.projects = projects

    def register(self, cmd: CommandContext, new: NewCase) -> CaseResult:
        """Register a case; enterprises register only under their own credit code. A project issue names an
        existing project (422 `unknown_project`)."""

        # Every registration appends to the year's reference log, so concurrent ones collide by design;
        # the loser simply builds again with the next number.
        # The personal fields are sealed under a new key of the case; the key is saved with the events.
        case_id = uuid4()
        protected = self.personal.protect(case_id, dict(new.contact))

        def make(at: datetime) -> tuple[Case, ReferenceAllocated]:
            checked = self._checked(new, cmd.by)
            year = local_date(at).year
            log = EventSourcedLog(self.store.events, reference_log_id(checked.kind, year), ReferenceAllocated)
            number = next_version(log)
            reference = format_reference(checked.kind, year, number)
            allocated = log_event(ReferenceAllocated, log, number, at, reference=reference, case_id=str(case_id))
            fields = {**_fields(checked), "contact": protected.envelope}
            return Case.register(id=case_id, by=cmd.by, at=at, reference=reference, **fields), allocated

        key: dict[str, Any] = {"data_key": (case_id, protected.wrapped_key)} if protected.wrapped_key else {}
        return self.executor.create(cmd, "register", make, **key)  # no key: a port that seals nothing

    def dispatch(
        self, case_id: UUID, cmd: CommandContext, *, tier: Tier, lead_department: str, co_departments: list[str]
    ) -> CaseResult:
        """Dispatch (派单) to a lead and, for tier 2, co-handlers; opens the sign-for, main and co-reply clocks."""
        return self._run(
            case_id,
            cmd,
            "dispatch",
            lambda c, at: c.dispatch(
                cmd.by,
                at,
                self.schedule,
                tier=tier,
                lead=lead_department,
                co=co_departments,
                departments=self.directory,
            ),
        )

    def sign_for(self, case_id: UUID, cmd: CommandContext) -> CaseResult:
        """The lead department signs for (签收) the case; opens the first-contact clock."""
        return self._run(case_id, cmd, "sign_for", lambda c, at: c.sign_for(cmd.by, at, self.schedule))

    def return_case(self, case_id: UUID, cmd: CommandContext, *, reason: str, basis: str) -> CaseResult:
        """The lead returns (退单) the case before sign-for, naming the duty or regulation that makes it not theirs."""
        return self._run(case_id, cmd, "return", lambda c, at: c.return_case(cmd.by, at, reason=reason, basis=basis))

    def arbitrate(
        self, case_id: UUID, cmd: CommandContext, *, decision: Arbitration, department: str | None, note: str
    ) -> CaseResult:
        """The coordinator arbitrates (审定) a return: uphold sends it back for good, reassign dispatches anew."""
        return self._run(
            case_id,
            cmd,
            "arbitrate",
            lambda c, at: c.arbitrate(
                cmd.by,
                at,
                self.schedule,
                decision=decision,
                department=department,
                note=note,
                departments=self.directory,
            ),
        )

    def contact(self, case_id: UUID, cmd: CommandContext, *, note: str) -> CaseResult:
        """The lead records first contact (先行联系) with the enterprise."""
        return self._run(case_id, cmd, "contact", lambda c, at: c.record_contact(cmd.by, at, note=note))

    def progress(self, case_id: UUID, cmd: CommandContext, *, note: str) -> CaseResult:
        """The lead or a co-handler logs progress."""
        return self._run(case_id, cmd, "progress", lambda c, at: c.log_progress(cmd.by, at, note=note))

    def co_reply(self, case_id: UUID, cmd: CommandContext, *, note: str) -> CaseResult:
        """A co-handler (协办) replies; the latest reply counts and carries over into redo rounds."""
        return self._run(case_id, cmd, "co_reply", lambda c, at: c.co_reply(cmd.by, at, note=note))

    def waive_co_reply(self, case_id: UUID, cmd: CommandContext, *, department: str, reason: str) -> CaseResult:
        """The coordinator waives a missing co-handler reply so the lead may resolve."""
        return self._run(
            case_id,
            cmd,
            "waive_co_reply",
            lambda c, at: c.waive_co_reply(cmd.by, at, department=department, reason=reason),
        )

    def request_extension(
        self, case_id: UUID, cmd: CommandContext, *, extra_working_days: int, reason: str
    ) -> CaseResult:
        """The lead asks for more working days (延期), at least one working day before the due date."""
        return self._run(
            case_id,
            cmd,
            "request_extension",
            lambda c, at: c.request_extension(
                cmd.by, at, self.schedule, extra_working_days=extra_working_days, reason=reason
            ),
        )

    def decide_extension(self, case_id: UUID, cmd: CommandContext, *, approved: bool, note: str) -> CaseResult:
        """The coordinator approves (the main due date moves) or rejects the pending extension."""
        return self._run(
            case_id,
            cmd,
            "decide_extension",
            lambda c, at: c.decide_extension(cmd.by, at, self.schedule, approved=approved, note=note),
        )

    def escalate(
        self, case_id: UUID, cmd: CommandContext, *, level: Escalation, reason: str, due: date | None
    ) -> CaseResult:
        """The coordinator escalates: urge (催办), supervise (督办, with its own due date), listed (挂牌督办)."""
        return self._run(
            case_id,
            cmd,
            "escalate",
            lambda c, at: c.escalate(cmd.by, at, self.schedule, level=level, reason=reason, due=due),
        )

    def resolve(
        self, case_id: UUID, cmd: CommandContext, *, reply: str, outcome: Outcome, reason: str | None
    ) -> CaseResult:
        """The lead resolves (办结) with the reply to the enterprise; opens the revisit window."""
        return self._run(
            case_id,
            cmd,
            "resolve",
            lambda c, at: c.resolve(cmd.by, at, self.schedule, reply=reply, outcome=outcome, reason=reason),
        )

    def evaluate(
        self, case_id: UUID, cmd: CommandContext, *, satisfaction: Satisfaction, solved: bool, comment: str | None
    ) -> CaseResult:
        """The enterprise, or the coordinator's revisit call (回访), evaluates the round."""
        return self._run(
            case_id,
            cmd,
            "evaluate",
            lambda c, at: c.evaluate(cmd.by, at, satisfaction=satisfaction, solved=solved, comment=comment),
        )

    def reopen(self, case_id: UUID, cmd: CommandContext, *, reason: str) -> CaseResult:
        """After a dissatisfied evaluation the coordinator reopens (重办): a new round, same lead, fresh due date."""
        return self._run(case_id, cmd, "reopen", lambda c, at: c.reopen(cmd.by, at, self.schedule, reason=reason))

    def close(self, case_id: UUID, cmd: CommandContext, *, note: str | None = None) -> CaseResult:
        """Close (销号) after evaluation, or unevaluated after the revisit window with a note."""
        return self._run(case_id, cmd, "close", lambda c, at: c.close(cmd.by, at, note=note))

    def withdraw(self, case_id: UUID, cmd: CommandContext, *, reason: str) -> CaseResult:
        """Withdraw (撤单) an open case, with a reason."""
        return self._run(case_id, cmd, "withdraw", lambda c, at: c.withdraw(cmd.by, at, reason=reason))

    def merge(self, case_id: UUID, cmd: CommandContext, *, into: UUID, note: str | None) -> CaseResult:
        """Merge a duplicate into an open case; the duplicate's history stays readable and points to it."""

        def action(case: Case, at: datetime) -> list[Case]:
            try:
                target = self.executor.load(into)
            except NotFound:
                raise InvalidCommand("unknown_case", f"no case {into} to merge into") from None
            case.merge_into(cmd.by, at, target, note=note)
            return [target]

        return self.executor.run(case_id, cmd, "merge", action)

    def erase_personal_data(self, case_id: UUID, cmd: CommandContext, *, reason: str) -> CaseResult:
        """Erase the case's personal data (the contact's name and phone) on the person's request or at the end of
        retention: records `PersonalDataErased` and destroys the case's key in the same transaction, so the
        ciphertext the events keep opens no more and every answer shows `已删除`; the hash chain and
        checkpoints are untouched. Admins erase any case no longer worked (closed, withdrawn, merged); the
        enterprise its own case once closed or withdrawn. Refused while the case is worked (409
        `erasure_while_open`); erasing again changes nothing. A contact stored before sealing existed stays in
        its event (docs/operations.md): it is no longer shown."""

        def erase(case: Case, at: datetime) -> None:
            case.erase_personal_data(cmd.by, at, reason=reason)

        self.personal.forget(case_id)
        return self._run(case_id, cmd, "erase_personal_data", erase, erase_key=case_id)

    def _run(self, case_id: UUID, cmd: CommandContext, use_case: str, act: Act[Case], **save: Any) -> CaseResult:
        return self.executor.run(case_id, cmd, use_case, act, **save)

    def _checked(self, new: NewCase, by: Actor) -> NewCase:
        if by.role is Role.ENTERPRISE and new.enterprise.get("credit_code") != by.credit_code:
            raise NotPermitted("own_credit_code_only", "an enterprise registers cases under its own credit code only")
        if new.kind is Kind.PROJECT_ISSUE:
            return self._with_project(new, by)
        if new.project_id is not None:
            raise InvalidCommand("project_only_for_project_issues", "only a case of kind project_issue names a project")
        return new

    def _with_project(self, new: NewCase, by: Actor) -> NewCase:
        if not new.project_id:
            raise InvalidCommand("project_required", "a project issue must name its project (project_id)")
        if self.projects is None:
            return new
        if not self.projects(new.project_id, by):
            raise InvalidCommand("unknown_project", f"no project {new.project_id} to raise an issue for")
        return replace(new, project_id=str(UUID(new.project_id)))  # one spelling, so the views can count issues


def _fields(new: NewCase) -> dict[str, Any]:
    return {
        "kind": new.kind.value,
        "title": new.title,
        "description": new.description,
        "enterprise": dict(new.enterprise),
        "category": new.category,
        "channel": new.channel,
        "urgency": new.urgency,
        "contact": dict(new.contact),
        "project_id": new.project_id,
    }
