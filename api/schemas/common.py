"""Shared pieces of the HTTP bodies: validated text and codes, the problem answer, history entries."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from domain.credit_code import is_valid_credit_code
from domain.rules import Rule

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


NoteText = Annotated[  # a note on a case: a few paragraphs, not a document (a case's history is read whole)
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4_000),
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


EXAMPLE_ACTOR = {
    "id": "83512789-0f3c-5b0e-9a55-2f1a0d7c1e11",
    "name": "王敏（服务中心）",
    "role": "coordinator",
    "department": "service-center",
}
# The fields a case's full answer and its list row share, as the examples show them.
EXAMPLE_CASE_CORE = {
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
}


def examples(*shown: dict[str, Any]) -> ConfigDict:
    """A model's examples for /docs and the OpenAPI document; a body keeps its base's `extra="forbid"` (pydantic
    merges a subclass's settings into its base's)."""
    return ConfigDict(json_schema_extra={"examples": list(shown)})


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnterpriseIn(Body):
    name: Short
    credit_code: CreditCode


class ContactIn(Body):
    name: Short
    phone: Phone


class ActorOut(BaseModel):
    id: str | None = Field(description="the token that acted; null where the reader may not see it")
    name: str | None = Field(
        None, description="the name the token was issued under (a person or a system); null for the CLI and jobs"
    )
    role: str
    department: str | None
    credit_code: str | None = None


class EventOut(BaseModel):
    version: int
    type: str
    at: str
    actor: ActorOut
    data: dict[str, Any]
    hash: str | None = Field(description="the event's link in its stream's hash chain; null for enterprises")
    prev_hash: str | None = Field(description="the previous event's hash; null for enterprises")


class HistoryOut(BaseModel):
    events: list[EventOut]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page; null on the last")

    model_config = examples(
        {
            "events": [
                {
                    "version": 2,
                    "type": "CaseDispatched",
                    "at": "2026-11-26T06:27:01.601253+00:00",
                    "actor": EXAMPLE_ACTOR,
                    "data": {
                        "tier": "resolution",
                        "lead_department": "econ-info",
                        "co_departments": ["finance"],
                        "due": {},
                    },
                    "prev_hash": "9a1f" + "0" * 60,
                    "hash": "f669" + "0" * 60,
                }
            ],
            "next_cursor": None,
        }
    )


class FieldError(BaseModel):
    """One invalid part of a request (a 422's `errors`)."""

    loc: list[str | int] = Field(description='where: `["body", "contact", "phone"]`, `["query", "limit"]`')
    msg: str
    type: str = Field(description="what kind of mistake (pydantic's error type, or the rule)")


class Problem(BaseModel):
    """An RFC 9457 problem; `rule` names the refused rule."""

    type: str = Field(description="`/problems/<rule>`: the service's page explaining the rule")
    title: str
    status: int
    detail: str
    instance: str | None = Field(None, description="the path of the request that was refused")
    rule: Rule | None = Field(None, description="the rule that refused the request; see `/problems`")
    errors: list[FieldError] | None = Field(None, description="422 only: each invalid field")

    model_config = examples(
        {
            "type": "/problems/closure_requires_evaluation",
            "title": "Conflict",
            "status": 409,
            "detail": "closure is not allowed while the case is dispatched",
            "instance": "/v1/cases/5fdb44bc-62f0-489b-abb3-109bdcce9bbe/closure",
            "rule": "closure_requires_evaluation",
        }
    )


class VerificationOut(BaseModel):
    """A stream's hash chain and integrity seals, and its snapshots checked against the events."""

    ok: bool
    events_checked: int
    first_broken_version: int | None
    snapshots_checked: int = 0
    broken_snapshots: list[int] = Field(default_factory=list)

    model_config = examples(
        {
            "ok": False,
            "events_checked": 13,
            "first_broken_version": 4,
            "snapshots_checked": 0,
            "broken_snapshots": [],
        }
    )
