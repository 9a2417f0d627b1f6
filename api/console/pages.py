"""Rendering console pages: one Jinja2 environment, the Chinese labels as globals, and HTML for refusals."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from api.console import labels
from api.console.session import ForgedRequest, SignInRequired
from api.deps import DirectoryDep
from api.errors import TooManyFailures
from application.errors import NotFound
from domain.directory import Directory
from domain.errors import NotPermitted
from domain.schedule import LOCAL_TZ

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
# Every page names its own sources only: no other host, no inline script (the browser enforces it).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def local_time(value: str | datetime | None) -> str:
    """2026-11-27 14:05, in Asia/Shanghai."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def local_date(value: str | date | None) -> str:
    if not value:
        return "—"
    return value if isinstance(value, str) else value.isoformat()


TEMPLATES.env.filters.update(time=local_time, date=local_date)


class Renderer:
    """Renders a template with the labels and the directory's names; `viewer` is None on the sign-in page."""

    def __init__(self, request: Request, directory: Directory) -> None:
        self.request = request
        self.directory = directory

    def __call__(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context = {**labels.template_globals(self.directory), **context}
        response = TEMPLATES.TemplateResponse(self.request, name, context, status_code=status)
        response.headers.update(SECURITY_HEADERS)
        return response


async def _renderer(request: Request, directory: DirectoryDep) -> Renderer:
    return Renderer(request, directory)


RenderDep = Annotated[Renderer, Depends(_renderer)]


def error_page(request: Request, status: int, title: str, text: str) -> HTMLResponse:
    """The 404, 403 and 429 pages; they need no directory, so a failed dependency can still show them."""
    context: dict[str, Any] = {"title": title, "text": text, "viewer": None, "L": {}, "status": status}
    response = TEMPLATES.TemplateResponse(request, "error.html", context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def not_found(request: Request) -> HTMLResponse:
    return error_page(request, 404, "找不到这个页面", "没有这个诉求，或者您无权查看。请检查编号，或从列表中查找。")


class ConsoleRoute(APIRoute):
    """A console route answers people: a missing session leads to sign-in, refusals are pages, not JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                target = "/console/sign-in"
                if request.method == "GET" and request.url.path != "/console/":
                    target += "?next=" + quote(
                        request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    )
                return RedirectResponse(target, status_code=303)
            except ForgedRequest:
                return error_page(
                    request, 403, "表单已失效", "这个表单缺少有效的防伪标记，未作任何记录。请刷新页面后重新提交。"
                )
            except NotFound:
                return not_found(request)
            except NotPermitted as e:
                return error_page(request, 403, "无权进行此操作", labels.explain(e.rule, e.detail))
            except TooManyFailures as e:
                page = error_page(request, 429, "尝试次数过多", f"登录失败次数过多，请 {e.retry_after} 秒后再试。")
                page.headers["Retry-After"] = str(e.retry_after)
                return page

        return route
