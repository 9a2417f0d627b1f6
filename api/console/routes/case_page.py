"""The case page, and the forms on it: each posts to one use case with the version it was rendered at (If-Match)
and its own idempotency key, then redirects (Post/Redirect/Get)."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.commands import CommandHeaders
from api.console import labels, timeline
from api.console.actions import ACTS, body_of, offered, pending_co_replies
from api.console.pages import ConsoleRoute, RenderDep
from api.console.session import PostingViewerDep, Viewer, ViewerDep
from api.deps import AuditDep, CaseQueriesDep, CasesDep, TokensDep, ViewsDep
from application.case_story import CaseStories
from application.errors import NotFound, VersionMismatch
from domain.case import Case
from domain.errors import InvalidCommand, NotPermitted
from domain.rules import Refusal
from domain.values import Role

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
CASE_TOPIC = Case.Created.TOPIC  # what a case stream starts with


async def _stories(queries: CaseQueriesDep, tokens: TokensDep, audit: AuditDep) -> CaseStories:
    return CaseStories(queries, tokens.names, lambda by, case_id: audit.verify_stream(by, case_id, CASE_TOPIC))


StoriesDep = Annotated[CaseStories, Depends(_stories)]


def _case_id(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise NotFound() from None


def _render(
    render: RenderDep,
    stories: CaseStories,
    viewer: Viewer,
    case_id: UUID,
    status: int = 200,
    version: int | None = None,
    **extra: Any,
) -> HTMLResponse:
    found = stories.story(case_id, viewer.actor, version if viewer.actor.role is not Role.ENTERPRISE else None)
    if found.result is None:
        return render("case_unreadable.html", status, viewer=viewer, story=found)
    case = found.result.case
    return render(
        "case.html",
        status,
        viewer=viewer,
        case=case,
        story=found,
        contact=found.result.contact,  # opened by the read (已删除 once erased); the case holds it sealed
        internal=viewer.actor.role is not Role.ENTERPRISE,
        lines=timeline.story(found.events, found.names, render.directory),
        level=_level(case.warnings.values()),
        actions=[] if found.as_of else offered(case, viewer.actor),
        pending_co=pending_co_replies(case),
        key=lambda: secrets.token_urlsafe(16),
        **extra,
    )


def _level(warnings: Any) -> str | None:
    levels = {w["level"] for w in warnings}
    return "red" if "red" in levels else "yellow" if "yellow" in levels else None


@router.get("/console/cases/{case_id}")
def case_page(
    case_id: str,
    viewer: ViewerDep,
    render: RenderDep,
    stories: StoriesDep,
    done: str | None = None,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    """The case now, or for staff as of `version`; auditors also see the chain's verdict and the version list."""
    return _render(render, stories, viewer, _case_id(case_id), version=version, done=done)


@router.post("/console/cases/{case_id}/{action}")
async def act(
    request: Request,
    case_id: str,
    action: str,
    viewer: PostingViewerDep,
    render: RenderDep,
    cases: CasesDep,
    stories: StoriesDep,
    views: ViewsDep,
) -> Response:
    """One form, one use case; a refusal re-renders the page with the rule's explanation at that form."""
    subject, spec = _case_id(case_id), ACTS.get(action)
    if spec is None:
        raise NotFound()
    form = await request.form()
    try:
        if action == "merge":
            form = await run_in_threadpool(_merge_target, form, views, viewer)
        body = body_of(spec, form)
        version = str(form.get("version") or "")
        key = str(form.get("idempotency_key") or "")
        cmd = CommandHeaders("POST", request.url.path, f'"{version}"' if version else None, key).command(
            viewer.actor, body
        )
        await run_in_threadpool(spec.run, action, cases, subject, cmd, body)
    except ValidationError as e:
        errors = {action: labels.field_errors(e.errors())}
        return await run_in_threadpool(_render, render, stories, viewer, subject, 422, errors=errors, failed=action)
    except VersionMismatch:
        return await run_in_threadpool(_render, render, stories, viewer, subject, 409, changed=True, failed=action)
    except Refusal as e:
        if isinstance(e, NotFound | NotPermitted):
            raise
        refusal = {"rule": e.rule, "text": labels.explain(e.rule, e.detail)}
        status = 422 if isinstance(e, InvalidCommand) else 409
        return await run_in_threadpool(
            _render, render, stories, viewer, subject, status, refusal=refusal, failed=action
        )
    return RedirectResponse(f"/console/cases/{subject}?done={action}", status_code=303)


def _merge_target(form: Any, views: ViewsDep, viewer: Viewer) -> Any:
    """People name the surviving case by its reference; the use case takes its id."""
    found = views.case_by_reference(viewer.actor, str(form.get("into") or ""))
    if found is None:
        return form  # an id, or nothing the caller may see: the use case answers for it
    from starlette.datastructures import FormData

    items = [(k, v) for k, v in form.multi_items() if k != "into"]
    return FormData([*items, ("into", found)])
