"""Opaque list cursors: the sort key of a page's last item, as two strings."""

from __future__ import annotations

import base64
import binascii
import json

from domain.errors import InvalidCommand


def encode_cursor(values: list[str]) -> str:
    return base64.urlsafe_b64encode(json.dumps([str(v) for v in values]).encode()).decode()


def decode_cursor(cursor: str) -> list[str]:
    """The sort key a cursor carries; anything this server did not hand out is 422 `invalid_cursor`."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error, UnicodeError):
        values = None
    if not (isinstance(values, list) and len(values) == 2 and all(isinstance(v, str) for v in values)):
        raise InvalidCommand("invalid_cursor", "cursor is not one this server handed out")
    return values
