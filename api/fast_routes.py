"""Command routes without FastAPI's per-request dependency solving (issue #16).

`FastRoute` is an `APIRoute`: it is declared, documented and listed in the OpenAPI document exactly as
before (same parameters, body schema, examples, operation id). Only the handler that answers a request
differs. For a route whose inputs are path parameters, one JSON body model and the dependencies
`_resolver` knows (the caller, a command's headers, a container service), the inputs are resolved by a plan
made once at start-up instead of by walking the dependency tree on every request, and the endpoint runs in a
plain thread pool (one hop; the request's context variables go with it). A token this process does not
remember is read from the store in that same hop, before the endpoint.

`Direct` goes one step further for the ordinary request (issue #16): the edge layer (api/edge.py) finds the
planned route itself and answers through its handler, skipping Starlette's exception middleware, FastAPI's
router and its per-route wrappers (a third of the API's CPU under the command load). The route it picks is the
one the router would pick: the first route, in the router's order, whose path and method match. The endpoint's
exceptions are answered by the application's own exception handlers, as the exception middleware would;
anything else goes through the whole stack unchanged.

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
import inspect
import re
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from inspect import signature
from typing import Any, cast

import orjson
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.convertors import Convertor
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import get_caller
from api.commands import CommandHeaders, command_headers
from api.deps import get_container
from api.errors import TooManyFailures
from api.limits import replay
from api.throttle import FailureThrottle

THREADS = 40  # as many as anyio's default limiter lets FastAPI's `def` endpoints use

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
Fallen = Callable[[Request], Awaitable[Response | None]]  # the whole stack answers; None when it already has
_FOUND = "casetrail.direct"  # the scope key that hands the route found to the guarded answer
Planned = Callable[[Request, Fallen], Awaitable[Response | None]]
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


def plan(route: APIRoute) -> Planned | None:
    """The fast handler of `route`, or None when the route's inputs are not of the kind it resolves."""
    resolvers = _resolvers(route)
    if resolvers is None:
        return None
    d = route.dependant
    body_field = route.body_field if d.body_params else None
    path_fields = [(f.name, f.alias, f) for f in d.path_params]
    caller = next((name for name, resolve in resolvers if resolve is _caller), None)
    call = cast(Callable[..., Response], d.call)

    async def handle(request: Request, fallback: Fallen) -> Response | None:
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
            return cast(Response, await fast(request, fallback))

        return app


class _Target:
    """A route in the router's order, for the methods it answers: planned (`handle`) or not (None)."""

    __slots__ = ("convertors", "handle", "regex", "route")

    def __init__(
        self, regex: re.Pattern[str], convertors: dict[str, Convertor[Any]], route: Any, handle: Planned | None
    ) -> None:
        self.regex, self.convertors, self.route, self.handle = regex, convertors, route, handle


def _holds_planned(route: Any) -> bool:
    """Whether `route` is, or an included router holds, a FastRoute (read from the declared routes: cheap)."""
    if isinstance(route, FastRoute):
        return True
    inner = getattr(route, "original_router", None)
    return inner is not None and any(_holds_planned(r) for r in inner.routes)


def _routes(routes: list[BaseRoute]) -> Iterator[Any]:
    """The application's routes in the order its router tries them (included routers' routes in place, as FastAPI
    builds them for this application), up to the last that holds a planned route: what follows it can never
    stand in front of one, so FastAPI is not made to build it here."""
    last = max((i for i, r in enumerate(routes) if _holds_planned(r)), default=-1)
    for route in routes[: last + 1]:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            yield from contexts()
        else:
            yield route


class Direct:
    """The planned routes, found at the edge the way the router would find them (see the module's docstring)."""

    def __init__(
        self, routes: list[BaseRoute], handlers: dict[Any, Callable[..., Any]], rest: ASGIApp, debug: bool = False
    ) -> None:
        self.rest = rest
        self.handlers = {k: v for k, v in handlers.items() if isinstance(k, type) and k is not Exception}
        # What the endpoint raises and no handler answers is answered as the whole stack answers it: 500, logged.
        last = handlers.get(500, handlers.get(Exception))
        self.guarded = ServerErrorMiddleware(self._answer, handler=last, debug=debug)
        ordered: list[tuple[_Target, Any]] = []
        for context in _routes(routes):
            original = getattr(context, "original_route", context)
            regex = getattr(context, "path_regex", None)
            # A route matched otherwise than by its path (a host): whatever it stands before goes the whole way.
            methods = getattr(context, "methods", None) if regex is not None else None
            # Planned from the route as this application includes it (its dependencies included), as it is served.
            handle = plan(context) if isinstance(original, FastRoute) else None
            convertors = getattr(context, "param_convertors", {})
            ordered.append((_Target(regex or re.compile(""), convertors, original, handle), methods))
        named = {m for _, methods in ordered for m in methods or ()}
        self.targets: dict[str, list[_Target]] = {}
        for method in named:  # a route for every method (a mount) stands where it stood in the order
            found = [t for t, methods in ordered if methods is None or method in methods]
            if any(t.handle is not None for t in found):
                self.targets[method] = found

    @classmethod
    def of(cls, app: Any, rest: ASGIApp) -> Direct:
        """The planned routes of the FastAPI application `app`; `rest` is its whole stack (what the edge wraps)."""
        return cls(app.router.routes, app.exception_handlers, rest, app.debug)

    def find(self, scope: Scope) -> tuple[_Target, dict[str, Any]] | None:
        """The planned route the router would pick for this request and its path parameters, or None."""
        targets = self.targets.get(scope["method"])
        if targets is None or scope.get("root_path"):
            return None
        path = scope["path"]
        for target in targets:
            match = target.regex.match(path)
            if match is None:
                continue
            if target.handle is None:
                return None
            params = {k: target.convertors[k].convert(v) for k, v in match.groupdict().items()}
            return target, params
        return None

    async def answer(self, found: tuple[_Target, dict[str, Any]], scope: Scope, receive: Receive, send: Send) -> None:
        """Answer through the planned handler; the whole stack answers whatever it hands back."""
        scope[_FOUND] = found
        await self.guarded(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        target, params = scope.pop(_FOUND)
        handle = cast(Planned, target.handle)
        scope["route"], scope["path_params"] = target.route, params
        request = Request(scope, receive)
        fell_back = False

        async def fallback(request: Request) -> None:
            nonlocal fell_back
            fell_back = True
            body = getattr(request, "_body", None)
            await self.rest(scope, receive if body is None else replay(body, receive), send)

        try:
            response = await handle(request, fallback)
        except Exception as exc:
            handler = None if fell_back else self._handler(exc)
            if handler is None:
                raise
            response = handler(request, exc)  # handlers that do no I/O, so they run here, not in a thread
            if inspect.isawaitable(response):
                response = await response
        if response is not None:
            await response(scope, receive, send)

    def _handler(self, exc: Exception) -> Callable[..., Any] | None:
        """The application's handler for `exc`, looked up as Starlette's exception middleware looks it up."""
        for kind in type(exc).__mro__:
            if kind in self.handlers:
                return self.handlers[kind]
        return None
