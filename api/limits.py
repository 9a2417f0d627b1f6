"""Oversized request bodies are refused with 413 before the application reads them (by api/edge.py)."""

from __future__ import annotations

import json

from starlette.types import Message, Receive, Scope, Send

from api.errors import problem_body
from domain.rules import Rule


async def read_body(receive: Receive, max_bytes: int) -> bytes | None:
    """The whole body of a request that declared no length (chunked), or None once it passes `max_bytes`: read
    here, up to the limit, and handed on whole, so a refusal is always a clean 413, never a parse error."""
    parts: list[bytes] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts)
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > max_bytes:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)


async def refuse(scope: Scope, send: Send, max_bytes: int) -> None:
    """Answer 413 body_too_large (a body with a Content-Length over the limit is refused before it is read)."""
    detail = f"request bodies are limited to {max_bytes} bytes"
    body = problem_body(413, "Content Too Large", detail, Rule.BODY_TOO_LARGE, scope.get("path"))
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands over the buffered body once, then whatever the client sends next (a disconnect)."""
    delivered = False

    async def again() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return again
