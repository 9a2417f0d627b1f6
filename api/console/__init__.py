"""The console: server-rendered pages for the people who work the cases, over the same use cases as /v1."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from api.console.pages import ConsoleRoute, not_found
from api.console.routes import case_list, case_new, case_page, home, sign_in, warnings

STATIC = Path(__file__).parent / "static"
VENDOR = "/console/static/vendor"

fallback = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@fallback.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/console/", status_code=307)


@fallback.get("/console")
def console_root() -> RedirectResponse:
    return RedirectResponse("/console/", status_code=307)


@fallback.get("/docs")
def swagger() -> HTMLResponse:
    """Swagger UI with its scripts from this server: an intranet without internet still sees it."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="casetrail API",
        swagger_js_url=f"{VENDOR}/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{VENDOR}/swagger-ui/swagger-ui.css",
        swagger_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png",
        swagger_ui_parameters={"validatorUrl": None},
    )


@fallback.get("/redoc")
def redoc() -> HTMLResponse:
    return get_redoc_html(
        openapi_url="/openapi.json",
        title="casetrail API",
        redoc_js_url=f"{VENDOR}/redoc/redoc.standalone.js",
        redoc_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png",
        with_google_fonts=False,
    )


@fallback.get("/console/{path:path}")
def unknown(request: Request, path: str) -> HTMLResponse:
    return not_found(request)


def install(app: FastAPI) -> None:
    """Static assets, the page routes, and the local /docs and /redoc (create the app with docs_url=None)."""
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
    for module in (sign_in, home, case_list, case_new, case_page, warnings):
        app.include_router(module.router)
    app.include_router(fallback)
