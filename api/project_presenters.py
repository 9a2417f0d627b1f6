"""Turn project answers into HTTP bodies: the project, its ETag, its open issues and its place on the lists."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from application.project_views import standing_body
from application.projects import ProjectAnswer
from domain.project import Milestone
from domain.project_lists import worst


def project_body(answer: ProjectAnswer) -> dict[str, Any]:
    p = answer.project
    progress = p.progress or {}
    return {
        "id": str(p.id),
        "name": p.name,
        "code": p.code,
        "owner": p.owner,
        "zone": p.zone,
        "planned_investment": p.planned_investment,
        "planned": p.planned,
        "signed_on": p.signed_on,
        "milestones": {m.value: p.milestones.get(m.value) for m in Milestone},
        "percent_complete": progress.get("percent_complete"),
        "investment_to_date": progress.get("investment_to_date"),
        "progress": p.progress,
        "lists": {name: standing_body(s) for name, s in answer.lists.items()},
        "colour": worst(answer.lists),
        "open_issues": len(answer.open_issue_ids),
        "open_issue_ids": answer.open_issue_ids,
        "registered_at": p.created_on.isoformat(),
        "updated_at": p.modified_on.isoformat(),
        "version": p.version,
        "position": answer.position,
    }


def project_response(answer: ProjectAnswer, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    all_headers = {"ETag": f'"{answer.project.version}"', **(headers or {})}
    if answer.replayed:
        all_headers["Idempotent-Replayed"] = "true"
    return JSONResponse(project_body(answer), status_code=status, headers=all_headers)
