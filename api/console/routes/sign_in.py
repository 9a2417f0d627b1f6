"""Sign-in and sign-out: an access token becomes a server-side session held by an HttpOnly cookie."""

from __future__ import annotations

import hmac
import secrets
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.pages import ConsoleRoute, RenderDep
from api.console.session import (
    COOKIE,
    LIFETIME,
    SIGN_IN_COOKIE,
    ForgedRequest,
    PostingViewerDep,
    SessionsDep,
    check_origin,
    cookie_options,
)
from api.deps import SettingsDep, TokensDep
from api.throttle import FailureThrottle

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


def _next(target: str | None) -> str:
    """Only a console page of this site, so the sign-in page cannot be used to send people elsewhere."""
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console/"


def _form(render: RenderDep, settings: SettingsDep, target: str, error: str | None, status: int) -> HTMLResponse:
    nonce = secrets.token_urlsafe(24)
    page = render("sign_in.html", status, viewer=None, nonce=nonce, next=target, error=error)
    page.set_cookie(SIGN_IN_COOKIE, nonce, max_age=600, **cookie_options(settings))  # type: ignore[arg-type]
    return page


@router.get("/console/sign-in")
def sign_in_page(render: RenderDep, settings: SettingsDep, next: str | None = None) -> HTMLResponse:  # noqa: A002
    return _form(render, settings, _next(next), None, 200)


@router.post("/console/sign-in")
async def sign_in(
    request: Request, render: RenderDep, settings: SettingsDep, tokens: TokensDep, sessions: SessionsDep
) -> Response:
    """Failed sign-ins count against the same per-address limit as failed API authentication."""
    check_origin(request)
    form = await request.form()
    nonce, expected = form.get("nonce"), request.cookies.get(SIGN_IN_COOKIE)
    if not isinstance(nonce, str) or not expected or not hmac.compare_digest(nonce, expected):
        raise ForgedRequest()
    target = _next(str(form.get("next") or ""))
    throttle: FailureThrottle = request.app.state.auth_throttle
    client = request.client.host if request.client else "unknown"
    throttle.check(client)  # before any lookup, as for the API: a throttled client cannot go on guessing
    secret = str(form.get("token") or "").strip()
    actor = tokens.remembered(secret) or await run_in_threadpool(tokens.authenticate, secret)
    if actor is None:
        throttle.failed(client)
        return _form(render, settings, target, "访问令牌无效或已被吊销，请核对后重新输入。", 401)
    session_id, _ = await run_in_threadpool(sessions.start, UUID(actor.id), LIFETIME)
    answer = RedirectResponse(target, status_code=303)
    answer.set_cookie(COOKIE, session_id, max_age=LIFETIME, **cookie_options(settings))  # type: ignore[arg-type]
    answer.delete_cookie(SIGN_IN_COOKIE, path="/")
    return answer


@router.post("/console/sign-out")
async def sign_out(
    request: Request, viewer: PostingViewerDep, sessions: SessionsDep, settings: SettingsDep
) -> Response:
    session_id = request.cookies.get(COOKIE)
    if session_id:
        await run_in_threadpool(sessions.end, session_id)
    answer = RedirectResponse("/console/sign-in", status_code=303)
    answer.delete_cookie(COOKIE, **cookie_options(settings))  # type: ignore[arg-type]
    return answer
