"""Bearer-token authentication: the caller of every /v1 request, as an Actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import ContainerDep
from api.throttle import FailureThrottle
from application.errors import Unauthenticated
from domain.values import Actor

bearer = HTTPBearer(auto_error=False, description="An access token from `casetrail tokens create` or POST /v1/tokens")


async def get_caller(
    request: Request,
    container: ContainerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    """On the event loop: a token this process remembers answers at once; any other is read from the store in
    the thread pool."""
    throttle: FailureThrottle = request.app.state.auth_throttle
    client = request.client.host if request.client else "unknown"
    throttle.check(client)  # before any lookup: a throttled client cannot go on guessing, nor cost reads
    actor = None
    if credentials:
        secret = credentials.credentials
        actor = container.tokens.remembered(secret) or await run_in_threadpool(container.tokens.authenticate, secret)
    if actor is not None:
        return actor
    throttle.failed(client)
    raise Unauthenticated("send Authorization: Bearer <token>" if credentials is None else "unknown or revoked token")


CallerDep = Annotated[Actor, Depends(get_caller)]
