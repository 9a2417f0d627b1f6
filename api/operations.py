"""Stable operation ids: the OpenAPI document's `operationId` and the metrics' `command` label."""

from __future__ import annotations

import re
from functools import cache

from fastapi.routing import APIRoute


@cache
def _id(tag: str, name: str) -> str:
    return re.sub(r"\W+", "_", tag) + "_" + name


def operation_id(route: APIRoute) -> str:
    """`<tag>_<function>`, e.g. `cases_dispatch`."""
    return _id(str(route.tags[0]) if route.tags else "casetrail", route.name)
