"""Who did what, by name: the names tokens were issued under, beside the ids and roles events record.

Events keep the actor's token id (names can repeat and change hands; ids cannot). Histories and the audit feed
show the name beside the id when they are read, looked up once per distinct actor of the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Names = Callable[[set[str]], dict[str, str]]  # token ids -> the names they were issued under


def actor_ids(entries: list[dict[str, Any]]) -> set[str]:
    return {e["actor"]["id"] for e in entries if e.get("actor") and e["actor"].get("id")}


def named(entries: list[dict[str, Any]], names: Names) -> list[dict[str, Any]]:
    """The entries with `actor.name` set: the token's name, or None (the CLI, the tracking job, a hidden actor)."""
    ids = actor_ids(entries)
    found = names(ids) if ids else {}
    return [
        {**e, "actor": {**e["actor"], "name": found.get(e["actor"].get("id") or "")}} if e.get("actor") else e
        for e in entries
    ]
