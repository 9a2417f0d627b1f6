"""The one pure ASGI layer every HTTP request passes first: its request id, its metrics and the body limit. It
stands outside FastAPI's own middleware (api/app.py), so an error page gets its request id too.

It does in one frame what used to be three nested middlewares (their order kept: the id outermost, then the
timing, then the body limit), so a request pays for one coroutine and one `send` wrapper instead of three.
- Every request gets an id (the client's X-Request-ID when it is sane, else a new one): in every log line
  written while it is answered, and answered back as X-Request-ID (api/request_id.py).
- Every request is counted and timed, and a write under /v1 counted as a command by its operation id and
  outcome (api/metrics.py).
- A body over the limit is refused with 413 before the application reads it (api/limits.py).
- A command the planned routes answer is handed to its route here, past the router (api/fast_routes.py).
"""

from __future__ import annotations

import time
from random import getrandbits

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.fast_routes import Direct
from api.limits import read_body, refuse, replay
from api.metrics import observe
from api.request_id import SANE
from infrastructure.logs import REQUEST_ID


class Edge:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.direct: Direct | None = None

    async def inner(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The rest of the stack, or the planned route straight away (built at the first request, when the
        application's routes are all there)."""
        if self.direct is None:
            self.direct = Direct.of(scope["app"], self.app)
        found = self.direct.find(scope)
        if found is None:
            await self.app(scope, receive, send)
        else:
            await self.direct.answer(found, scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given: bytes | None = None
        declared: bytes | None = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id" and given is None:
                given = value  # the first one, as before
            elif name == b"content-length":
                declared = value  # the last one, as before
        # A new id is 128 random bits as 32 hex digits: an id to find log lines by, not a secret, so drawn without
        # a system call (uuid4 reads the OS's random source, releasing the GIL on every request).
        request_id = given.decode() if given is not None and SANE.fullmatch(given) else f"{getrandbits(128):032x}"
        encoded = request_id.encode()
        started, status, replayed = time.perf_counter(), 500, False

        async def edge_send(message: Message) -> None:
            nonlocal status, replayed
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.get("headers", ())
                replayed = any(name == b"idempotent-replayed" for name, _ in headers)
                message["headers"] = [*headers, (b"x-request-id", encoded)]
            await send(message)

        token = REQUEST_ID.set(request_id)
        try:
            try:
                if declared is not None and declared.isdigit():
                    if int(declared) > self.max_bytes:
                        await refuse(scope, edge_send, self.max_bytes)
                        return
                    await self.inner(scope, receive, edge_send)
                    return
                body = await read_body(receive, self.max_bytes)
                if body is None:
                    await refuse(scope, edge_send, self.max_bytes)
                    return
                await self.inner(scope, replay(body, receive), edge_send)
            finally:
                observe(scope, status, replayed, time.perf_counter() - started)
        finally:
            REQUEST_ID.reset(token)
