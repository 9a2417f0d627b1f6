"""Request and response bodies of the HTTP contract (API.md), with the examples /docs shows."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from domain.credit_code import is_valid_credit_code
from domain.rules import Rule
from domain.values import Arbitration, Category, Channel, Escalation, Kind, Outcome, Role, Satisfaction, Tier, Urgency

EXAMPLE_CODE = "91510115MA6C4B7Q2J"


def _credit_code(value: str) -> str:
    if not is_valid_credit_code(value):
        raise ValueError("not a valid unified social credit code (GB 32100-2015: 18 characters, check character)")
    return value


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def no_control_characters(value: str) -> str:
    """Text is stored and searched as is; NUL and other control characters (but tab and newlines) are refused."""
    if CONTROL.search(value):
        raise ValueError("control characters (such as NUL) are not allowed in text")
    return value


CreditCode = Annotated[str, AfterValidator(_credit_code)]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000),
    AfterValidator(no_control_characters),
]
Short = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(no_control_characters)
]
SearchText = Annotated[str, StringConstraints(max_length=100), AfterValidator(no_control_characters)]
# Dates a person could mean: far-off years are typing errors, and date arithmetic must not overflow.
SaneDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 -]{4,19}$")]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnterpriseIn(Body):
    name: Short
    credit_code: CreditCode


class ContactIn(Body):
    name: Short
    phone: Phone


class RegisterCase(Body):
    kind: Kind
    title: Short
    description: Text
    enterprise: EnterpriseIn
    category: Category
    channel: Channel
    urgency: Urgency = Urgency.NORMAL
    contact: ContactIn
    project_id: str | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "enterprise_problem",
                    "title": "核药车间蒸汽管道无接入路径",
                    "description": "核药车间需要蒸汽保证洁净环境，现有蒸汽通道没有接入路径。",
                    "enterprise": {"name": "远大医药（中国）有限公司", "credit_code": EXAMPLE_CODE},
                    "category": "utilities",
                    "channel": "visit",
                    "urgency": "normal",
                    "contact": {"name": "李锐", "phone": "13800000000"},
                }
            ]
        },
    )


class Dispatch(Body):
    tier: Tier
    lead_department: Code
    co_departments: list[Code] = Field(default_factory=list, max_length=20)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"tier": "resolution", "lead_department": "econ-info", "co_departments": ["finance"]}]
        },
    )


class Empty(Body):
    pass


class Return(Body):
    reason: Text
    basis: Text

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "蒸汽管网不属于本局职责", "basis": "《温江区职能配置规定》第三条"}]},
    )


class ArbitrationIn(Body):
    decision: Arbitration
    department: Code | None = None
    note: Text

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"decision": "reassign", "department": "hi-tech-zone", "note": "园区负责管网配套"}]
        },
    )


class Note(Body):
    note: Text

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "已电话联系企业负责人，约定现场踏勘"}]}
    )


class Waiver(Body):
    department: Code
    reason: Text

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"department": "finance", "reason": "不涉及资金事项"}]}
    )


class ExtensionRequest(Body):
    extra_working_days: int = Field(ge=1, le=30)
    reason: Text

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"extra_working_days": 5, "reason": "管线迁改需等待电力部门停电窗口"}]},
    )


class ExtensionDecision(Body):
    approved: bool
    note: Text

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"approved": True, "note": "同意延期"}]})


class EscalationIn(Body):
    level: Escalation
    reason: Text
    due: SaneDate | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"level": "supervise", "reason": "临近期限仍无进展", "due": "2026-12-10"}]},
    )


class Resolution(Body):
    reply: Text
    outcome: Outcome
    reason: Text | None = None

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reply": "已协调园区完成蒸汽管道接入", "outcome": "solved"}]}
    )


class Evaluation(Body):
    satisfaction: Satisfaction
    solved: bool
    comment: Text | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"satisfaction": "satisfied", "solved": True, "comment": "处理及时"}]},
    )


class Reason(Body):
    reason: Text

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "企业对答复不满意，要求重新办理"}]}
    )


class Closure(Body):
    note: Text | None = None

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"note": "回访期满，多次联系企业未果"}]})


class Merge(Body):
    into: UUID
    note: Text | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"into": "5fdb44bc-62f0-489b-abb3-109bdcce9bbe", "note": "与已登记诉求重复"}]},
    )


class TokenIn(Body):
    name: Short
    role: Role
    department: Code | None = None
    credit_code: CreditCode | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "经信局-王敏", "role": "handler", "department": "econ-info"}]},
    )


class DueOut(BaseModel):
    due: date
    provisional: bool
    policy_version: str


class WarningOut(BaseModel):
    level: str
    kind: str
    since: str
    due: str | None = None
    department: str | None = None


class CaseOut(BaseModel):
    """A case as answered by every read and command."""

    id: str
    reference: str
    kind: Kind
    title: str
    description: str
    enterprise: dict[str, str]
    category: str
    channel: str
    urgency: str
    contact: dict[str, str] | None
    project_id: str | None
    status: str
    tier: str | None
    lead_department: str | None
    co_departments: list[str]
    round: int
    due: dict[str, DueOut]
    warnings: list[WarningOut]
    escalation_level: str | None
    co_replies: dict[str, Any] | None = None
    pending_extension: dict[str, Any] | None = None
    resolution: dict[str, Any] | None
    evaluations: dict[str, Any]
    merged_into: str | None
    duplicates: list[str]
    registered_at: str
    updated_at: str
    version: int
    position: int

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5fdb44bc-62f0-489b-abb3-109bdcce9bbe",
                    "reference": "QY-2026-000001",
                    "kind": "enterprise_problem",
                    "title": "核药车间蒸汽管道无接入路径",
                    "description": "核药车间需要蒸汽保证洁净环境。",
                    "enterprise": {"name": "远大医药（中国）有限公司", "credit_code": EXAMPLE_CODE},
                    "category": "utilities",
                    "channel": "visit",
                    "urgency": "normal",
                    "contact": {"name": "李锐", "phone": "13800000000"},
                    "project_id": None,
                    "status": "dispatched",
                    "tier": "resolution",
                    "lead_department": "econ-info",
                    "co_departments": ["finance"],
                    "round": 1,
                    "escalation_level": None,
                    "warnings": [],
                    "version": 2,
                    "position": 12,
                    "due": {
                        "sign_for": {"due": "2026-11-27", "provisional": False, "policy_version": "2026.1"},
                        "resolution": {"due": "2026-12-17", "provisional": False, "policy_version": "2026.1"},
                        "co_reply:finance": {"due": "2026-12-01", "provisional": False, "policy_version": "2026.1"},
                    },
                    "co_replies": {},
                    "pending_extension": None,
                    "resolution": None,
                    "evaluations": {},
                    "merged_into": None,
                    "duplicates": [],
                    "registered_at": "2026-11-26T06:20:11.120334+00:00",
                    "updated_at": "2026-11-26T06:27:01.601253+00:00",
                }
            ]
        }
    )


class ActorOut(BaseModel):
    id: str | None
    role: str
    department: str | None
    credit_code: str | None = None


class EventOut(BaseModel):
    version: int
    type: str
    at: str
    actor: ActorOut
    data: dict[str, Any]
    hash: str
    prev_hash: str


class HistoryOut(BaseModel):
    events: list[EventOut]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "events": [
                        {
                            "version": 2,
                            "type": "CaseDispatched",
                            "at": "2026-11-26T06:27:01.601253+00:00",
                            "actor": {
                                "id": "83512789-0f3c-5b0e-9a55-2f1a0d7c1e11",
                                "role": "coordinator",
                                "department": "service-center",
                            },
                            "data": {
                                "tier": "resolution",
                                "lead_department": "econ-info",
                                "co_departments": ["finance"],
                                "due": {},
                            },
                            "prev_hash": "9a1f" + "0" * 60,
                            "hash": "f669" + "0" * 60,
                        }
                    ]
                }
            ]
        }
    )


class TokenOut(BaseModel):
    id: str
    name: str
    role: str
    department: str | None
    credit_code: str | None
    issued_at: str
    revoked_at: str | None
    token: str | None = Field(default=None, description="The secret; present only in the answer that issues it.")


class TokenList(BaseModel):
    items: list[TokenOut]
    next_cursor: str | None = None


class Problem(BaseModel):
    """An RFC 9457 problem; `rule` names the refused rule."""

    type: str = Field(description="`/problems/<rule>`: the service's page explaining the rule")
    title: str
    status: int
    detail: str
    rule: Rule | None = Field(None, description="the rule that refused the request; see `/problems`")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/closure_requires_evaluation",
                    "title": "Conflict",
                    "status": 409,
                    "detail": "closure is not allowed while the case is dispatched",
                    "rule": "closure_requires_evaluation",
                }
            ]
        }
    )


class CaseSummary(BaseModel):
    """A row of the case list and of the tier views."""

    id: str
    reference: str
    kind: str
    title: str
    enterprise: dict[str, str]
    project_id: str | None
    category: str
    status: str
    tier: str | None
    lead_department: str | None
    co_departments: list[str]
    round: int
    escalation_level: str | None
    warning_level: str | None
    due: dict[str, DueOut]
    main_due: str | None
    co_replies: list[dict[str, Any]]
    extension: dict[str, Any] | None
    registered_at: str
    updated_at: str
    version: int
    position: int


class CaseSummaryPage(BaseModel):
    items: list[CaseSummary]
    next_cursor: str | None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "id": "5fdb44bc-62f0-489b-abb3-109bdcce9bbe",
                            "reference": "QY-2026-000001",
                            "kind": "enterprise_problem",
                            "title": "核药车间蒸汽管道无接入路径",
                            "enterprise": {"name": "远大医药（中国）有限公司", "credit_code": EXAMPLE_CODE},
                            "project_id": None,
                            "category": "utilities",
                            "status": "dispatched",
                            "tier": "resolution",
                            "lead_department": "econ-info",
                            "co_departments": ["finance"],
                            "round": 1,
                            "escalation_level": None,
                            "warning_level": None,
                            "due": {
                                "sign_for": {"due": "2026-11-27", "provisional": False, "policy_version": "2026.1"}
                            },
                            "main_due": "2026-12-17",
                            "co_replies": [{"department": "finance", "status": "pending", "due": "2026-12-01"}],
                            "extension": {"extended_working_days": 0, "pending": None},
                            "registered_at": "2026-11-26T06:20:11+00:00",
                            "updated_at": "2026-11-26T06:27:01+00:00",
                            "version": 2,
                            "position": 12,
                        }
                    ],
                    "next_cursor": None,
                }
            ]
        }
    )


class WarningItem(BaseModel):
    id: str
    key: str
    level: str
    kind: str
    since: str
    department: str
    subject: str
    reference: str


class WarningPage(BaseModel):
    items: list[WarningItem]
    next_cursor: str | None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "id": "5fdb44bc-62f0-489b-abb3-109bdcce9bbe",
                            "key": "escalation",
                            "level": "red",
                            "kind": "escalation:supervise",
                            "since": "2026-12-03T02:00:00+00:00",
                            "department": "econ-info",
                            "subject": "QY-2026-000001 核药车间蒸汽管道无接入路径",
                            "reference": "QY-2026-000001",
                        }
                    ],
                    "next_cursor": None,
                }
            ]
        }
    )


class VerificationOut(BaseModel):
    ok: bool
    events_checked: int
    first_broken_version: int | None

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"ok": False, "events_checked": 13, "first_broken_version": 4}]}
    )


class AuditEvent(BaseModel):
    position: int
    stream: str
    version: int
    type: str
    at: str | None
    actor: ActorOut | None
    data: dict[str, Any] | None
    hash: str | None
    prev_hash: str | None = None
    error: str | None = None


class AuditPage(BaseModel):
    items: list[AuditEvent]
    next_cursor: str | None = Field(description="the last position read; pass it as `after` for the next page")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "position": 12,
                            "stream": "5fdb44bc-62f0-489b-abb3-109bdcce9bbe",
                            "version": 2,
                            "type": "CaseDispatched",
                            "at": "2026-11-26T06:27:01.601253+00:00",
                            "actor": {
                                "id": "83512789-0f3c-5b0e-9a55-2f1a0d7c1e11",
                                "role": "coordinator",
                                "department": "service-center",
                            },
                            "data": {"tier": "resolution", "lead_department": "econ-info"},
                            "hash": "f669" + "0" * 60,
                            "prev_hash": "9a1f" + "0" * 60,
                        }
                    ],
                    "next_cursor": "12",
                }
            ]
        }
    )


class Checkpoint(BaseModel):
    position: int
    streams: int
    root: str
    signature: str | None = None
    hashes: dict[str, list[str]] | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"position": 4211, "streams": 318, "root": "3f2a" + "0" * 60, "signature": "MEUCIQ…"}]
        }
    )
