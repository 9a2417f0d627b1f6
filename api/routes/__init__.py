"""The HTTP routers, in the order the OpenAPI document lists them."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import audit, cases, health, reports, tokens, views

ROUTERS: list[APIRouter] = [health.router, cases.router, views.router, reports.router, audit.router, tokens.router]
