"""Refusals by a rule of the domain: each is a DomainError subclass carrying a `Rule` (domain/rules.py)."""

from __future__ import annotations

from domain.rules import Refusal


class DomainError(Refusal):
    """A command was refused by a rule of the domain; nothing was recorded."""


class StateConflict(DomainError):
    """The object's current state forbids the command (HTTP 409)."""


class NotPermitted(DomainError):
    """This caller's role or department may not do this (HTTP 403)."""


class InvalidCommand(DomainError):
    """The command's values break a rule that needs no state to check (HTTP 422)."""
