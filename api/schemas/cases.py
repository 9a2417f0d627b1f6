"""Case command bodies and the case answer (API.md), with the examples /docs shows."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.common import (
    EXAMPLE_CASE_CORE,
    EXAMPLE_CODE,
    Body,
    Code,
    ContactIn,
    EnterpriseIn,
    NoteText,
    SaneDate,
    Short,
    Text,
    examples,
)
from application.cases import NewCase
from domain.values import Arbitration, Category, Channel, Escalation, Kind, Outcome, Satisfaction, Tier, Urgency


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

    model_config = examples(
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
    )

    def new_case(self) -> NewCase:
        """The use case's input, as the API and the console's intake form both hand it over."""
        return NewCase(
            kind=self.kind,
            title=self.title,
            description=self.description,
            enterprise=self.enterprise.model_dump(),
            category=self.category.value,
            channel=self.channel.value,
            urgency=self.urgency.value,
            contact=self.contact.model_dump(),
            project_id=self.project_id,
        )


class Dispatch(Body):
    tier: Tier
    lead_department: Code
    co_departments: list[Code] = Field(default_factory=list, max_length=20)

    model_config = examples({"tier": "resolution", "lead_department": "econ-info", "co_departments": ["finance"]})


class Empty(Body):
    pass


class Return(Body):
    reason: Text
    basis: Text

    model_config = examples({"reason": "蒸汽管网不属于本局职责", "basis": "《温江区职能配置规定》第三条"})


class ArbitrationIn(Body):
    decision: Arbitration
    department: Code | None = None
    note: Text

    model_config = examples({"decision": "reassign", "department": "hi-tech-zone", "note": "园区负责管网配套"})


class Note(Body):
    note: NoteText

    model_config = examples({"note": "已电话联系企业负责人，约定现场踏勘"})


class Waiver(Body):
    department: Code
    reason: Text

    model_config = examples({"department": "finance", "reason": "不涉及资金事项"})


class ExtensionRequest(Body):
    extra_working_days: int = Field(ge=1, le=30)
    reason: Text

    model_config = examples({"extra_working_days": 5, "reason": "管线迁改需等待电力部门停电窗口"})


class ExtensionDecision(Body):
    approved: bool
    note: Text

    model_config = examples({"approved": True, "note": "同意延期"})


class EscalationIn(Body):
    level: Escalation
    reason: Text
    due: SaneDate | None = None

    model_config = examples({"level": "supervise", "reason": "临近期限仍无进展", "due": "2026-12-10"})


class Resolution(Body):
    reply: Text
    outcome: Outcome
    reason: Text | None = None

    model_config = examples({"reply": "已协调园区完成蒸汽管道接入", "outcome": "solved"})


class Evaluation(Body):
    satisfaction: Satisfaction
    solved: bool
    comment: Text | None = None

    model_config = examples({"satisfaction": "satisfied", "solved": True, "comment": "处理及时"})


class Reason(Body):
    reason: Text

    model_config = examples({"reason": "企业对答复不满意，要求重新办理"})


class Erasure(Body):
    reason: Text

    model_config = examples({"reason": "联系人李锐于2026-12-01来函要求删除其个人信息"})


class Closure(Body):
    note: Text | None = None

    model_config = examples({"note": "回访期满，多次联系企业未果"})


class Merge(Body):
    into: UUID
    note: Text | None = None

    model_config = examples({"into": "5fdb44bc-62f0-489b-abb3-109bdcce9bbe", "note": "与已登记诉求重复"})


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
    contact: dict[str, str] | None = Field(
        description="the contact's name and phone (personal data): in reads only, `已删除` once erased; command "
        "answers carry none (null)"
    )
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
    personal_data_erased: bool = Field(description="the contact was erased (PIPL); its fields read `已删除`")
    version: int
    position: int

    model_config = examples(
        {
            **EXAMPLE_CASE_CORE,
            "description": "核药车间需要蒸汽保证洁净环境。",
            "channel": "visit",
            "urgency": "normal",
            "contact": {"name": "李锐", "phone": "13800000000"},
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
            "personal_data_erased": False,
        }
    )
