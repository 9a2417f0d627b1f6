"""Audit feed and checkpoint bodies."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import EXAMPLE_ACTOR, ActorOut, examples

EXAMPLE_EVENT: dict[str, Any] = {
    "position": 12,
    "stream": "5fdb44bc-62f0-489b-abb3-109bdcce9bbe",
    "version": 2,
    "type": "CaseDispatched",
    "at": "2026-11-26T06:27:01.601253+00:00",
    "actor": EXAMPLE_ACTOR,
    "data": {"tier": "resolution", "lead_department": "econ-info"},
    "hash": "f669" + "0" * 60,
    "prev_hash": "9a1f" + "0" * 60,
}
EXAMPLE_ACCESS: dict[str, Any] = {
    "id": 41,
    "at": "2026-11-26T06:30:00.120334+00:00",
    "actor_id": "83512789-0f3c-5b0e-9a55-2f1a0d7c1e11",
    "role": "coordinator",
    "department": "service-center",
    "credit_code": None,
    "case_id": "5fdb44bc-62f0-489b-abb3-109bdcce9bbe",
    "via": "case",
}


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

    model_config = examples(EXAMPLE_EVENT)


class AuditPage(BaseModel):
    items: list[AuditEvent]
    next_cursor: str | None = Field(description="the last position read; pass it as `after` for the next page")

    model_config = examples({"items": [EXAMPLE_EVENT], "next_cursor": "12"})


class AccessEntry(BaseModel):
    id: int
    at: str
    actor_id: str
    role: str
    department: str | None
    credit_code: str | None
    case_id: str
    via: str = Field(description="what carried the personal data: case, history or audit_feed")

    model_config = examples(EXAMPLE_ACCESS)


class AccessPage(BaseModel):
    items: list[AccessEntry]
    next_cursor: str | None = Field(description="the last entry id read; pass it as `after` for the next page")

    model_config = examples({"items": [EXAMPLE_ACCESS], "next_cursor": None})


class Checkpoint(BaseModel):
    position: int
    streams: int
    root: str
    signature: str | None = None
    hashes: dict[str, list[str]] | None = None

    model_config = examples({"position": 4211, "streams": 318, "root": "3f2a" + "0" * 60, "signature": "MEUCIQ…"})
