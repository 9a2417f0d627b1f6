"""Outcomes of running a request that are not rules of the domain: access, concurrency, read-your-writes."""

from __future__ import annotations

from domain.rules import Refusal, Rule


class NotFound(Refusal):
    """The object does not exist or the caller may not see it (HTTP 404)."""

    def __init__(self, detail: str = "no such case") -> None:
        super().__init__(Rule.NOT_FOUND, detail)


class Unauthenticated(Refusal):
    """No token, or an unknown or revoked one (HTTP 401)."""

    def __init__(self, detail: str) -> None:
        super().__init__(Rule.UNAUTHENTICATED, detail)


class VersionMismatch(Refusal):
    """The caller's If-Match names a version that is no longer current (HTTP 412)."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(Rule.VERSION_MISMATCH, f"If-Match names version {expected}, the object is at {actual}")
        self.expected = expected
        self.actual = actual


class LostRace(Refusal):
    """Other writers kept changing the object while the command was re-applied (HTTP 409)."""

    def __init__(self) -> None:
        super().__init__(Rule.VERSION_MISMATCH, "the object kept changing under concurrent writers; retry")


class IdempotencyKeyReused(Refusal):
    """An Idempotency-Key sent again with another request (HTTP 422)."""

    def __init__(self) -> None:
        super().__init__(
            Rule.IDEMPOTENCY_KEY_REUSED, "this Idempotency-Key was used with another request; use a new key"
        )


class MinPositionNotReached(Refusal):
    """The view did not reach the asked position within the wait limit (HTTP 503, Retry-After)."""

    def __init__(self, wanted: int, reached: int) -> None:
        super().__init__(Rule.MIN_POSITION_NOT_REACHED, f"the view is at position {reached}, not yet {wanted}; retry")


class CorruptHistory(Refusal):
    """A stored event fails its integrity check (changed, added or moved without the key): nothing is read
    from it, and an auditor must look (HTTP 500, `audit verify` names it)."""

    def __init__(self, stream: object, version: int) -> None:
        super().__init__(Rule.INTEGRITY_VIOLATION, f"event {stream}@{version} fails its integrity check")
        self.stream = stream
        self.version = version


class TooManyWrites(Refusal):
    """This token recorded as many commands as its role may in a minute (HTTP 429, Retry-After)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(Rule.WRITE_RATE_EXCEEDED, f"too many commands from this token; retry in {retry_after} s")
        self.retry_after = retry_after
