"""The Case aggregate's events: each only assigns state, so replay never re-decides anything.

`Case` nests each of them (`Case.Dispatched`, ...), as the library wants: it redefines the events nested in an
aggregate as subclasses of the aggregate's own event class. Stored names are data: every event has an explicit
TOPIC, and a TOPIC is never renamed.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.audited import AuditedAggregate
from domain.schedule import local_date
from domain.values import Arbitration, Status
from domain.warnings import warning_key

if TYPE_CHECKING:
    from domain.case import Case


class CaseState:
    """The state the events below assign, declared for type checkers only: the library turns runtime
    annotations on an aggregate into fields of its created event. `Case` has these fields."""

    reference: str
    kind: str
    title: str
    description: str
    enterprise: dict[str, str]
    category: str
    channel: str
    urgency: str
    contact: dict[str, Any]  # personal data: a sealed envelope (application/personal_data.py), or legacy plaintext
    project_id: str | None
    status: Status
    tier: str | None
    lead_department: str | None
    co_departments: list[str]
    round: int
    due: dict[str, dict[str, Any]]
    warnings: dict[str, dict[str, Any]]
    escalation_level: str | None
    co_replies: dict[str, dict[str, str]]
    waived: list[str]
    barred_from_return: list[str]
    pending_extension: dict[str, Any] | None
    extended_days: int
    evaluations: dict[str, dict[str, Any]]
    resolution: dict[str, Any] | None
    merged_into: str | None
    duplicates: list[str]
    contacted: bool
    round_started_at: datetime | None
    escalated_at: datetime | None
    clocks_opened: dict[str, str]
    last_progress_at: datetime | None
    personal_data_erased: bool


class Created(AuditedAggregate.Created):
    TOPIC = "casetrail:CaseRegistered"
    reference: str
    kind: str
    title: str
    description: str
    enterprise: dict[str, str]
    category: str
    channel: str
    urgency: str
    contact: dict[str, Any]
    project_id: str | None

    def apply(self, case: Case) -> None:
        case.reference = self.reference
        case.kind = self.kind
        case.title = self.title
        case.description = self.description
        case.enterprise = self.enterprise
        case.category = self.category
        case.channel = self.channel
        case.urgency = self.urgency
        case.contact = self.contact
        case.project_id = self.project_id
        case.status = Status.REGISTERED
        case.tier = None
        case.lead_department = None
        case.co_departments = []
        case.round = 1
        case.due = {}
        case.warnings = {}
        case.escalation_level = None
        case.co_replies = {}
        case.waived = []
        case.barred_from_return = []
        case.pending_extension = None
        case.extended_days = 0
        case.evaluations = {}
        case.resolution = None
        case.merged_into = None
        case.duplicates = []
        case.contacted = False
        case.round_started_at = None
        case.escalated_at = None
        case.clocks_opened = {}
        case.last_progress_at = None


class Dispatched(AuditedAggregate.Event):
    TOPIC = "casetrail:CaseDispatched"
    tier: str
    lead_department: str
    co_departments: list[str]
    due: dict[str, dict[str, Any]]

    def apply(self, case: Case) -> None:
        case.status = Status.DISPATCHED
        case.tier = self.tier
        case.lead_department = self.lead_department
        case.co_departments = list(self.co_departments)
        case.round_started_at = self.timestamp
        open_clocks(case, self.due, self.timestamp)


class SignedFor(AuditedAggregate.Event):
    TOPIC = "casetrail:CaseSignedFor"
    due: dict[str, dict[str, Any]]

    def apply(self, case: Case) -> None:
        case.status = Status.IN_PROGRESS
        case.last_progress_at = self.timestamp
        case.due.pop("sign_for", None)
        open_clocks(case, self.due, self.timestamp)


class Returned(AuditedAggregate.Event):
    TOPIC = "casetrail:CaseReturned"
    department: str
    reason: str
    basis: str

    def apply(self, case: Case) -> None:
        case.status = Status.RETURNED
        case.due.pop("sign_for", None)


class Arbitrated(AuditedAggregate.Event):
    TOPIC = "casetrail:CaseReturnArbitrated"
    decision: str
    department: str
    note: str
    due: dict[str, dict[str, Any]]

    def apply(self, case: Case) -> None:
        case.status = Status.DISPATCHED
        if self.decision == Arbitration.UPHOLD:
            case.barred_from_return.append(self.department)
        else:
            case.lead_department = self.department
            if self.department in case.co_departments:
                case.co_departments.remove(self.department)
                case.due.pop(f"co_reply:{self.department}", None)
        open_clocks(case, self.due, self.timestamp)


class Contacted(AuditedAggregate.Event):
    TOPIC = "casetrail:CaseContacted"
    note: str

    def apply(self, case: Case) -> None:
        case.contacted = True
        case.due.pop("first_contact", None)


class ProgressLogged(AuditedAggregate.Event):
    TOPIC = "casetrail:CaseProgressLogged"
    department: str
    note: str

    def apply(self, case: Case) -> None:
        if self.department == case.lead_department:
            case.last_progress_at = self.timestamp


class CoReplied(AuditedAggregate.Event):
    TOPIC = "casetrail:CaseCoReplied"
    department: str
    note: str

    def apply(self, case: Case) -> None:
        case.co_replies[self.department] = {"note": self.note, "at": self.timestamp.isoformat()}
        case.due.pop(f"co_reply:{self.department}", None)


class CoReplyWaived(AuditedAggregate.Event):
    TOPIC = "casetrail:CaseCoReplyWaived"
    department: str
    reason: str

    def apply(self, case: Case) -> None:
        case.waived.append(self.department)
        case.due.pop(f"co_reply:{self.department}", None)


class ExtensionRequested(AuditedAggregate.Event):
    TOPIC = "casetrail:CaseExtensionRequested"
    extra_working_days: int
    reason: str

    def apply(self, case: Case) -> None:
        case.pending_extension = {"extra_working_days": self.extra_working_days, "reason": self.reason}


class ExtensionDecided(AuditedAggregate.Event):
    TOPIC = "casetrail:CaseExtensionDecided"
    approved: bool
    extra_working_days: int
    note: str
    due: dict[str, dict[str, Any]]

    def apply(self, case: Case) -> None:
        case.pending_extension = None
        if self.approved:
            case.extended_days += self.extra_working_days
            case.due.update(self.due)


class Escalated(AuditedAggregate.Event):
    TOPIC = "casetrail:CaseEscalated"
    level: str
    reason: str
    due: dict[str, dict[str, Any]]

    def apply(self, case: Case) -> None:
        case.escalation_level = self.level
        case.escalated_at = self.timestamp
        open_clocks(case, self.due, self.timestamp)


class Resolved(AuditedAggregate.Event):
    TOPIC = "casetrail:CaseResolved"
    reply: str
    outcome: str
    reason: str | None
    on_time: bool
    working_days: int
    due: dict[str, dict[str, Any]]

    def apply(self, case: Case) -> None:
        case.status = Status.RESOLVED
        case.pending_extension = None
        case.resolution = {"reply": self.reply, "outcome": self.outcome, "reason": self.reason}
        case.due = {}
        open_clocks(case, self.due, self.timestamp)


class Evaluated(AuditedAggregate.Event):
    TOPIC = "casetrail:CaseEvaluated"
    round: int
    satisfaction: str
    solved: bool
    comment: str | None

    def apply(self, case: Case) -> None:
        case.status = Status.EVALUATED
        case.evaluations[str(self.round)] = {
            "satisfaction": self.satisfaction,
            "solved": self.solved,
            "comment": self.comment,
            "by": self.actor["role"],
        }
        case.due.pop("revisit", None)


class Reopened(AuditedAggregate.Event):
    TOPIC = "casetrail:CaseReopened"
    round: int
    reason: str
    due: dict[str, dict[str, Any]]

    def apply(self, case: Case) -> None:
        case.status = Status.IN_PROGRESS
        case.round = self.round
        case.extended_days = 0
        case.round_started_at = self.timestamp
        case.last_progress_at = self.timestamp
        case.resolution = None
        case.due = {}
        open_clocks(case, self.due, self.timestamp)


class Closed(AuditedAggregate.Event):
    TOPIC = "casetrail:CaseClosed"
    note: str | None
    evaluated: bool

    def apply(self, case: Case) -> None:
        case.status = Status.CLOSED
        case.due = {}


class Withdrawn(AuditedAggregate.Event):
    TOPIC = "casetrail:CaseWithdrawn"
    reason: str
    before_dispatch: bool
    by_enterprise: bool

    def apply(self, case: Case) -> None:
        case.status = Status.WITHDRAWN
        case.due = {}


class PersonalDataErased(AuditedAggregate.Event):
    """The case's personal fields were erased (PIPL): their key is destroyed in this event's transaction, so the
    ciphertext the earlier events keep opens no more. The event itself carries no personal data."""

    TOPIC = "casetrail:CasePersonalDataErased"
    reason: str

    def apply(self, case: Case) -> None:
        case.personal_data_erased = True


class Merged(AuditedAggregate.Event):
    TOPIC = "casetrail:CaseMerged"
    into: str
    into_reference: str
    note: str | None

    def apply(self, case: Case) -> None:
        case.status = Status.MERGED
        case.merged_into = self.into
        case.due = {}


class DuplicateAttached(AuditedAggregate.Event):
    TOPIC = "casetrail:CaseDuplicateAttached"
    duplicate: str
    duplicate_reference: str

    def apply(self, case: Case) -> None:
        case.duplicates.append(self.duplicate)


class WarningRaised(AuditedAggregate.Event):
    """The tracking job saw a threshold crossed; a red warning replaces a yellow one of the same kind."""

    TOPIC = "casetrail:CaseWarningRaised"
    kind: str
    level: str
    due: str | None
    department: str | None

    def apply(self, case: Case) -> None:
        since = self.timestamp.isoformat()
        case.warnings[warning_key(self.kind)] = {
            "level": self.level,
            "kind": self.kind,
            "since": since,
            "due": self.due,
            "department": self.department,
        }


class WarningCleared(AuditedAggregate.Event):
    """A warning's cause ended; `cause` names the event that ended it."""

    TOPIC = "casetrail:CaseWarningCleared"
    kind: str
    level: str
    cause: str

    def apply(self, case: Case) -> None:
        case.warnings.pop(warning_key(self.kind), None)


def open_clocks(case: Case, due: dict[str, dict[str, Any]], at: datetime) -> None:
    """Set the clocks an event opens, and the local day each opened (the 80% warning counts from it)."""
    case.due.update(due)
    opened = local_date(at).isoformat()
    # getattr: view states snapshotted before `clocks_opened` existed lack it.
    case.clocks_opened = {**getattr(case, "clocks_opened", {}), **dict.fromkeys(due, opened)}
