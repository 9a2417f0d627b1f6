"""Read a command's preconditions from the request: If-Match and Idempotency-Key."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from pydantic import BaseModel

from application.execution import CommandContext, IdempotencyKey
from domain.errors import InvalidCommand
from domain.values import Actor

IfMatch = Annotated[
    str | None,
    Header(description='The version the command expects, as given in ETag (`"3"`); a mismatch answers 412.'),
]
IdemKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="A client string; a retry with the same key and body replays the first answer.",
    ),
]


def parse_if_match(value: str | None) -> int | None:
    if value is None or not value.strip():  # an empty If-Match (a form or proxy sent the header blank) is absent
        return None
    raw = value.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise InvalidCommand("invalid_if_match", 'If-Match must be a version as sent in ETag, e.g. "3"')
    return int(raw)


def keywords(body: BaseModel | None) -> dict[str, Any]:
    """A command body's fields, as the keywords of the use case it is for (the same names, by design)."""
    return {} if body is None else {field: getattr(body, field) for field in type(body).model_fields}


class CommandHeaders:
    def __init__(self, method: str, path: str, if_match: str | None, idempotency_key: str | None) -> None:
        self.method = method
        self.path = path
        self.if_match = if_match
        self.idempotency_key = idempotency_key

    def command(self, by: Actor, body: BaseModel | None = None) -> CommandContext:
        key = None
        if self.idempotency_key:
            payload = body.model_dump_json() if body is not None else "{}"
            fingerprint = hashlib.sha256(f"{self.method} {self.path} {payload}".encode()).hexdigest()
            key = IdempotencyKey(by.id, self.idempotency_key, fingerprint)
        return CommandContext(by, parse_if_match(self.if_match), key)


async def command_headers(
    request: Request, if_match: IfMatch = None, idempotency_key: IdemKey = None
) -> CommandHeaders:
    """Async (no I/O), so FastAPI calls it on the event loop rather than through its thread pool."""
    return CommandHeaders(request.method, request.url.path, if_match, idempotency_key)


HeadersDep = Annotated[CommandHeaders, Depends(command_headers)]
