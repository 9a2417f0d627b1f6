"""Named refusals: every broken rule is a DomainError subclass carrying a stable `rule` code."""

from __future__ import annotations


class DomainError(Exception):
    """A command was refused by a rule of the domain; nothing was recorded."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule
        self.detail = detail


class StateConflict(DomainError):
    """The case's current state forbids the command (HTTP 409)."""


class NotPermitted(DomainError):
    """This caller's role or department may not do this (HTTP 403)."""


class InvalidCommand(DomainError):
    """The command's values break a rule that needs no state to check (HTTP 422)."""


class NotFound(DomainError):
    """The object does not exist or the caller may not see it (HTTP 404)."""

    def __init__(self, detail: str = "no such case") -> None:
        super().__init__("not_found", detail)


class VersionMismatch(DomainError):
    """The caller's If-Match names a version that is no longer current (HTTP 412)."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__("version_mismatch", f"If-Match names version {expected}, the case is at {actual}")
        self.expected = expected
        self.actual = actual


class LostRace(DomainError):
    """Other writers kept changing the case while the command was re-applied (HTTP 409)."""

    def __init__(self) -> None:
        super().__init__("version_mismatch", "the case kept changing under concurrent writers; retry")
