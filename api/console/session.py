"""Who is looking at a console page: the session cookie, re-authenticated on every request, and its anti-forgery
token, checked on every form that changes something."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlparse

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import SettingsDep, TokensDep, get_container
from domain.values import Actor
from infrastructure.console_sessions import SqlSessions
from infrastructure.container import Container
from infrastructure.settings import Settings

COOKIE = "casetrail_session"
SIGN_IN_COOKIE = "casetrail_sign_in"  # double-submit token of the sign-in form (no session exists yet)
LIFETIME = 12 * 3600  # a working day, and never more than 12 hours


class SignInRequired(Exception):
    """No live session: the person is sent to the sign-in page."""


class ForgedRequest(Exception):
    """A form arrived without this session's anti-forgery token, or from another site."""


@dataclass(frozen=True)
class Viewer:
    actor: Actor
    csrf: str


async def _sessions(request: Request, container: Annotated[Container, Depends(get_container)]) -> SqlSessions:
    """One session store per app, beside the views (built on first use, no I/O here)."""
    sessions: SqlSessions | None = getattr(request.app.state, "console_sessions", None)
    if sessions is None or sessions.views is not container.views:
        sessions = request.app.state.console_sessions = SqlSessions(container.views)
    return sessions


SessionsDep = Annotated[SqlSessions, Depends(_sessions)]


async def get_viewer(request: Request, tokens: TokensDep, sessions: SessionsDep) -> Viewer:
    """The signed-in person; their token is checked again on every request, so a revoked one is refused at once."""
    session_id = request.cookies.get(COOKIE)
    session = await run_in_threadpool(sessions.get, session_id) if session_id else None
    if session is None or session_id is None:
        raise SignInRequired()
    actor = tokens.remembered_id(session.token_id) or await run_in_threadpool(tokens.active, session.token_id)
    if actor is None:
        await run_in_threadpool(sessions.end, session_id)
        raise SignInRequired()
    return Viewer(actor, session.csrf)


ViewerDep = Annotated[Viewer, Depends(get_viewer)]


def check_origin(request: Request) -> None:
    """A browser names the page's origin on a POST; one from another host is refused (defence in depth)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin and origin != "null" and urlparse(origin).netloc != request.headers.get("host", ""):
        raise ForgedRequest()


async def posting_viewer(request: Request, viewer: ViewerDep) -> Viewer:
    """The signed-in person, for a form that changes something: its `csrf` field must be this session's."""
    check_origin(request)
    form = await request.form()
    sent = form.get("csrf")
    if not isinstance(sent, str) or not hmac.compare_digest(sent, viewer.csrf):
        raise ForgedRequest()
    return viewer


PostingViewerDep = Annotated[Viewer, Depends(posting_viewer)]


def cookie_options(settings: Settings) -> dict[str, object]:
    return {"httponly": True, "samesite": "strict", "secure": settings.cookie_secure, "path": "/"}


__all__ = ["LIFETIME", "SessionsDep", "SettingsDep", "Viewer", "ViewerDep", "cookie_options"]
