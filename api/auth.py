"""Bearer-token authentication: the caller of every /v1 request, as an Actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import Unauthorized
from domain.values import Actor
from infrastructure.container import Container

bearer = HTTPBearer(auto_error=False, description="An access token from `casetrail tokens create` or POST /v1/tokens")


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def get_caller(
    container: ContainerDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send Authorization: Bearer <token>")
    actor = container.tokens.authenticate(credentials.credentials)
    if actor is None:
        raise Unauthorized("unknown or revoked token")
    return actor


CallerDep = Annotated[Actor, Depends(get_caller)]
