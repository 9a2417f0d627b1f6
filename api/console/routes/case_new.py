"""Intake (登记诉求): the coordinator registers an enterprise's case, validated by the API's own schema."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.commands import CommandHeaders
from api.console import labels
from api.console.pages import ConsoleRoute, RenderDep
from api.console.session import PostingViewerDep, Viewer, ViewerDep
from api.deps import CasesDep, ProjectViewsDep
from api.schemas.cases import RegisterCase
from application.project_views import ProjectFilter
from application.views import PageRequest
from domain.errors import NotPermitted
from domain.rules import Refusal
from domain.values import Role

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
FIELDS = ("kind", "title", "description", "category", "channel", "urgency", "project_id")
NESTED = ("enterprise_name", "enterprise_credit_code", "contact_name", "contact_phone")


def _coordinator(viewer: Viewer) -> None:
    if viewer.actor.role is not Role.COORDINATOR:
        raise NotPermitted("role_not_permitted", "intake is the coordinator's")


def _page(
    render: RenderDep, viewer: Viewer, projects: ProjectViewsDep, values: dict[str, Any], **extra: Any
) -> HTMLResponse:
    found = projects.list_projects(viewer.actor, ProjectFilter(), PageRequest(200)).items
    return render("case_new.html", viewer=viewer, values=values, projects=found, key=secrets.token_urlsafe(16), **extra)


@router.get("/console/cases/new")
def new_case(viewer: ViewerDep, render: RenderDep, projects: ProjectViewsDep) -> HTMLResponse:
    _coordinator(viewer)
    return _page(render, viewer, projects, {"kind": "enterprise_problem", "urgency": "normal"})


def _body(values: dict[str, Any]) -> RegisterCase:
    data: dict[str, Any] = {k: values[k] for k in FIELDS if values.get(k)}
    data["enterprise"] = {
        "name": values.get("enterprise_name", ""),
        "credit_code": values.get("enterprise_credit_code", ""),
    }
    data["contact"] = {"name": values.get("contact_name", ""), "phone": values.get("contact_phone", "")}
    return RegisterCase.model_validate(data)


@router.post("/console/cases/new")
async def register(
    request: Request, viewer: PostingViewerDep, render: RenderDep, cases: CasesDep, projects: ProjectViewsDep
) -> Response:
    _coordinator(viewer)
    form = await request.form()
    values = {k: str(form.get(k) or "").strip() for k in (*FIELDS, *NESTED)}
    try:
        body = _body(values)
        new = body.new_case()
        cmd = CommandHeaders("POST", "/v1/cases", None, str(form.get("idempotency_key") or "")).command(
            viewer.actor, body
        )
        result = await run_in_threadpool(cases.register, cmd, new)
    except ValidationError as e:
        errors = labels.field_errors(e.errors())
        return await run_in_threadpool(_page, render, viewer, projects, values, errors=errors, status=422)
    except Refusal as e:
        if isinstance(e, NotPermitted):
            raise
        refusal = labels.explain(e.rule, e.detail)
        return await run_in_threadpool(_page, render, viewer, projects, values, refusal=refusal, status=422)
    return RedirectResponse(f"/console/cases/{result.case.id}?done=register", status_code=303)
