"""The HTTP routers, in the order the OpenAPI document lists them."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import audit, cases, directory, health, problems, projects, reports, tokens, views, zone_reports

ROUTERS: list[APIRouter] = [
    health.router,
    cases.router,
    projects.router,
    views.router,
    reports.router,
    zone_reports.router,
    directory.router,
    audit.router,
    tokens.router,
    problems.router,
]
