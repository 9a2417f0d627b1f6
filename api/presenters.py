"""Turn results into answers: the case body, its ETag and the public view an enterprise gets."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse

from application.access import public_due, public_status
from application.audit import Verification
from application.case_execution import CaseResult, Links
from domain.token import AccessToken
from domain.values import Actor, Role
from domain.warnings import open_warnings


class FastJSONResponse(JSONResponse):
    """A JSONResponse encoded by orjson: the same compact UTF-8 JSON as Starlette's, in a tenth of the time."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def case_body(result: CaseResult, viewer: Actor) -> dict[str, Any]:
    case = result.case
    internal = viewer.role is not Role.ENTERPRISE
    links = Links(case.merged_into, tuple(case.duplicates)) if internal else result.links or Links()
    return {
        "id": str(case.id),
        "reference": case.reference,
        "kind": case.kind,
        "title": case.title,
        "description": case.description,
        "enterprise": case.enterprise,
        "category": case.category,
        "channel": case.channel,
        "urgency": case.urgency,
        "contact": result.contact,  # opened for reads; command answers carry no personal data
        "project_id": case.project_id,
        "status": str(case.status) if internal else public_status(case.status),
        "tier": case.tier,
        "lead_department": case.lead_department,
        "co_departments": case.co_departments if internal else [],
        "round": case.round,
        "due": case.due if internal else public_due(case.due),
        "warnings": [{k: v for k, v in w.items() if k != "key"} for w in open_warnings(case)] if internal else [],
        "escalation_level": case.escalation_level if internal else None,
        "co_replies": case.co_replies if internal else None,
        "pending_extension": case.pending_extension if internal else None,
        "resolution": case.resolution,
        "evaluations": case.evaluations,
        "merged_into": links.merged_into,
        "duplicates": list(links.duplicates),
        "registered_at": case.created_on.isoformat(),
        "updated_at": case.modified_on.isoformat(),
        "personal_data_erased": case.personal_data_erased,
        "version": case.version,
        "position": result.position,
    }


def case_response(
    result: CaseResult, viewer: Actor, status: int = 200, headers: dict[str, str] | None = None
) -> JSONResponse:
    all_headers = {"ETag": f'"{result.case.version}"', **(headers or {})}
    if result.replayed:
        all_headers["Idempotent-Replayed"] = "true"
    return FastJSONResponse(case_body(result, viewer), status_code=status, headers=all_headers)


def token_body(token: AccessToken, secret: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(token.id),
        "name": token.name,
        "role": token.role,
        "department": token.department,
        "credit_code": token.credit_code,
        "issued_at": token.issued_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }
    if secret is not None:
        body["token"] = secret
    return body


def verification_body(result: Verification) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "events_checked": result.events_checked,
        "first_broken_version": result.first_broken_version,
        "snapshots_checked": result.snapshots_checked,
        "broken_snapshots": list(result.broken_snapshots),
    }
