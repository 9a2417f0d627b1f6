"""Command routes without FastAPI's per-request dependency solving (issue #16).

`FastRoute` is an `APIRoute`: it is declared, documented and listed in the OpenAPI document exactly as
before (same parameters, body schema, examples, operation id). Only the handler that answers a request
differs. For a route whose inputs are path parameters, one JSON body model and the dependencies named in
`KNOWN` (the caller, a command's headers, a container service), the inputs are resolved by a plan made once
at start-up instead of by walking the dependency tree on every request, and the endpoint runs in a plain
thread pool (one hop; the request's context variables go with it).

Only the ordinary case is taken this way. Anything unusual (a token this process does not remember, a
throttled client, a body that is not JSON, a value that fails validation, an over-long header) is handed
to FastAPI's own handler, which answers it exactly as it always has: errors, their order and their wording
stay FastAPI's. The plan does nothing with side effects before the endpoint runs, so handing over is always
safe. Routes that do not fit the plan (query parameters, several bodies, other dependencies) keep FastAPI's
handler entirely.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from inspect import signature
from typing import Any, cast

import orjson
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from api.auth import get_caller
from api.commands import CommandHeaders, command_headers
from api.deps import get_container
from api.errors import TooManyFailures
from api.throttle import FailureThrottle

THREADS = 40  # as many as anyio's default limiter lets FastAPI's `def` endpoints use

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
Resolve = Callable[[Request], Any]  # a dependency's value, or raises Fallback


class Fallback(Exception):
    """The request is not the ordinary case: FastAPI's own handler answers it."""


_FALLBACK = Fallback()


@functools.cache
def pool() -> ThreadPoolExecutor:
    """The threads the endpoints run in, made at the first request of the process."""
    return ThreadPoolExecutor(THREADS, thread_name_prefix="casetrail-command")


def _caller(request: Request) -> Any:
    """`get_caller` for a token this process remembers, from a client that is not throttled; else Fallback."""
    authorization = request.headers.get("authorization")
    if not authorization:
        raise _FALLBACK
    scheme, _, secret = authorization.partition(" ")
    secret = secret.strip()
    if not secret or scheme.lower() != "bearer":
        raise _FALLBACK
    throttle: FailureThrottle = request.app.state.auth_throttle
    try:
        throttle.check(request.client.host if request.client else "unknown")
    except TooManyFailures:
        raise _FALLBACK from None
    actor = request.app.state.container.tokens.remembered(secret)
    if actor is None:
        raise _FALLBACK
    return actor


def _headers(request: Request) -> CommandHeaders:
    """`command_headers`, with its one constraint (an Idempotency-Key of at most 200 characters)."""
    headers = request.headers
    key = headers.get("idempotency-key")
    if key is not None and len(key) > 200:
        raise _FALLBACK
    return CommandHeaders(request.method, request.url.path, headers.get("if-match"), key)


def _container(request: Request) -> Any:
    return request.app.state.container


def _resolver(dependency: Dependant) -> Resolve | None:
    call = dependency.call
    if call is get_caller:
        return _caller
    if call is command_headers:
        return _headers
    if call is get_container:
        return _container
    name = getattr(call, "service", None)
    if isinstance(name, str):
        return lambda request: getattr(request.app.state.container, name)
    return None


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json"


def plan(route: APIRoute) -> Callable[[Request, Handler], Awaitable[Response]] | None:
    """The fast handler of `route`, or None when the route's inputs are not of the kind it resolves."""
    d = route.dependant
    endpoint = d.call
    if endpoint is None or asyncio.iscoroutinefunction(endpoint):
        return None
    returns = signature(endpoint).return_annotation
    answers = returns in ("JSONResponse", "Response") or (isinstance(returns, type) and issubclass(returns, Response))
    if not answers:
        return None  # only endpoints that answer with a Response: nothing of FastAPI's serialization to repeat
    if d.query_params or d.header_params or d.cookie_params or len(d.body_params) > 1:
        return None
    if any(
        (
            d.request_param_name,
            d.websocket_param_name,
            d.http_connection_param_name,
            d.response_param_name,
            d.background_tasks_param_name,
            d.security_scopes_param_name,
        )
    ):
        return None
    resolvers: list[tuple[str, Resolve]] = []
    for dependency in d.dependencies:
        resolve = _resolver(dependency)
        if resolve is None or dependency.name is None:
            return None
        resolvers.append((dependency.name, resolve))
    body_field = route.body_field
    if d.body_params:
        assert body_field is not None
        model = body_field.field_info.annotation
        if route._embed_body_fields or not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        if not body_field.field_info.is_required():
            return None
    path_fields = [(f.name, f.alias, f) for f in d.path_params]
    call = cast(Callable[..., Response], endpoint)

    async def handle(request: Request, fallback: Handler) -> Response:
        try:
            values: dict[str, Any] = {name: resolve(request) for name, resolve in resolvers}
            params = request.path_params
            for name, alias, field in path_fields:
                value, errors = field.validate(params.get(alias), values, loc=("path", alias))
                if errors:
                    raise _FALLBACK
                values[name] = value
            if body_field is not None:
                if not _is_json(request.headers.get("content-type")):
                    raise _FALLBACK
                raw = await request.body()
                try:
                    data = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    raise _FALLBACK from None
                value, errors = body_field.validate(data, values, loc=("body",))
                if errors:
                    raise _FALLBACK
                values[body_field.name] = value
        except Fallback:
            return await fallback(request)
        loop = asyncio.get_running_loop()
        run = functools.partial(contextvars.copy_context().run, call, **values)
        return await loop.run_in_executor(pool(), run)

    return handle


class FastRoute(APIRoute):
    """An APIRoute that answers its ordinary requests through `plan`'s handler (see the module's docstring)."""

    def get_route_handler(self) -> Handler:
        fallback = super().get_route_handler()
        fast = plan(self)
        if fast is None:
            return fallback

        async def app(request: Request) -> Response:
            return await fast(request, fallback)

        return app
