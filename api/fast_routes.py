"""Command routes without FastAPI's per-request dependency solving (issue #16).

`FastRoute` is an `APIRoute`: it is declared, documented and listed in the OpenAPI document exactly as
before (same parameters, body schema, examples, operation id). Only the handler that answers a request
differs. For a route whose inputs are path parameters, one JSON body model and the dependencies
`_resolver` knows (the caller, a command's headers, a container service), the inputs are resolved by a plan
made once at start-up instead of by walking the dependency tree on every request, and the endpoint runs in a
plain thread pool (one hop; the request's context variables go with it). A token this process does not
remember is read from the store in that same hop, before the endpoint.

Only the ordinary case is taken this way. Anything unusual (no bearer token, an unknown or revoked one, a
throttled client, a body that is not JSON, a value that fails validation, an over-long header) is handed to
FastAPI's own handler, which answers it exactly as it always has: errors, their order and their wording stay
FastAPI's. Nothing with side effects happens before that hand-over, so it is always safe. Routes that do not
fit the plan (query parameters, several bodies, other dependencies) keep FastAPI's handler entirely.
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


class _Lookup:
    """A bearer secret this process does not remember: read from the store in the endpoint's thread."""

    __slots__ = ("secret",)

    def __init__(self, secret: str) -> None:
        self.secret = secret


def _caller(request: Request) -> Any:
    """`get_caller` up to the store: the remembered caller, or a `_Lookup` of the secret; Fallback for no bearer
    token or a throttled client (FastAPI's handler answers those as before)."""
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
    return request.app.state.container.tokens.remembered(secret) or _Lookup(secret)


def _headers(request: Request) -> CommandHeaders:
    """`command_headers`, with its one constraint (an Idempotency-Key of at most 200 characters)."""
    headers = request.headers
    key = headers.get("idempotency-key")
    if key is not None and len(key) > 200:
        raise _FALLBACK
    # request.url.path without building the URL: the path as Starlette's URL escapes it (the fingerprint of an
    # Idempotency-Key must not change).
    path = request.scope["path"].replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    return CommandHeaders(request.method, path, headers.get("if-match"), key)


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


def _answers(endpoint: Callable[..., Any]) -> bool:
    """A `def` endpoint that answers with a Response: nothing of FastAPI's serialization to repeat."""
    if asyncio.iscoroutinefunction(endpoint):
        return False
    returns = signature(endpoint).return_annotation
    return returns in ("JSONResponse", "Response") or (isinstance(returns, type) and issubclass(returns, Response))


def _resolvers(route: APIRoute) -> list[tuple[str, Resolve]] | None:
    """How each dependency of `route` is resolved, or None when its inputs are not of the kind `plan` takes:
    only path parameters, at most one required JSON body model, and the dependencies `_resolver` knows."""
    d = route.dependant
    if d.call is None or not _answers(d.call):
        return None
    if d.query_params or d.header_params or d.cookie_params or len(d.body_params) > 1:
        return None
    special = (
        d.request_param_name,
        d.websocket_param_name,
        d.http_connection_param_name,
        d.response_param_name,
        d.background_tasks_param_name,
        d.security_scopes_param_name,
    )
    if any(special):
        return None
    if d.body_params:
        field = route.body_field
        model = field.field_info.annotation if field else None
        if route._embed_body_fields or not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        if field is None or not field.field_info.is_required():
            return None
    resolvers: list[tuple[str, Resolve]] = []
    for dependency in d.dependencies:
        resolve = _resolver(dependency)
        if resolve is None or dependency.name is None:
            return None
        resolvers.append((dependency.name, resolve))
    return resolvers


def plan(route: APIRoute) -> Callable[[Request, Handler], Awaitable[Response]] | None:
    """The fast handler of `route`, or None when the route's inputs are not of the kind it resolves."""
    resolvers = _resolvers(route)
    if resolvers is None:
        return None
    d = route.dependant
    body_field = route.body_field if d.body_params else None
    path_fields = [(f.name, f.alias, f) for f in d.path_params]
    caller = next((name for name, resolve in resolvers if resolve is _caller), None)
    call = cast(Callable[..., Response], d.call)

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
        lookup = values.get(caller) if caller else None
        if isinstance(lookup, _Lookup) and caller:
            tokens = request.app.state.container.tokens
            context = contextvars.copy_context()
            run = functools.partial(context.run, _authenticated, call, tokens, lookup, caller, values)
        else:
            run = functools.partial(contextvars.copy_context().run, call, **values)
        answer = await loop.run_in_executor(pool(), run)
        return await fallback(request) if answer is None else answer

    return handle


def _authenticated(
    call: Callable[..., Response], tokens: Any, lookup: _Lookup, caller: str, values: dict[str, Any]
) -> Response | None:
    """Authenticate from the store, then run the endpoint; None (FastAPI's handler answers: 401, and the failure
    is counted once, there) when the token is unknown or revoked."""
    actor = tokens.authenticate(lookup.secret)
    if actor is None:
        return None
    return call(**{**values, caller: actor})


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
