"""Access tokens: a bearer secret, stored only as its SHA-256, bound to one role and scope."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import DomainEvent
from eventsourcing.utils import register_topic

from domain.audited import AuditedAggregate
from domain.case_rules import require
from domain.values import Actor


def secret_digest(secret: str) -> str:
    # Secrets are 256-bit random strings, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


def token_id_for(secret: str) -> UUID:
    """The token's id follows from its secret's digest, so authentication is one lookup by id."""
    return uuid5(NAMESPACE_URL, f"/casetrail/tokens/{secret_digest(secret)}")


class AccessToken(AuditedAggregate):
    TOPIC = "casetrail:AccessToken"

    class Created(AuditedAggregate.Created):
        TOPIC = "casetrail:TokenIssued"
        name: str
        role: str
        department: str | None
        credit_code: str | None

        def apply(self, token: AccessToken) -> None:
            token.name = self.name
            token.role = self.role
            token.department = self.department
            token.credit_code = self.credit_code
            token.issued_at = self.timestamp
            token.revoked_at = None

    class Revoked(AuditedAggregate.Event):
        TOPIC = "casetrail:TokenRevoked"

        def apply(self, token: AccessToken) -> None:
            token.revoked_at = self.timestamp

    if TYPE_CHECKING:
        name: str
        role: str
        department: str | None
        credit_code: str | None
        issued_at: datetime
        revoked_at: datetime | None

    @classmethod
    def issue(cls, *, secret: str, by: Actor, at: datetime, **fields: Any) -> AccessToken:
        return cls._start(cls.Created, id=token_id_for(secret), by=by, at=at, **fields)

    def revoke(self, by: Actor, at: datetime) -> None:
        require(self.revoked_at is None, "token_revoked", "this token is already revoked")
        self._record(self.Revoked, by=by, at=at)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class TokenIndexed(DomainEvent):
    """One entry of the append-only list of every token ever issued."""

    TOPIC = "casetrail:TokenIndexed"
    token_id: str


register_topic(TokenIndexed.TOPIC, TokenIndexed)
TOKEN_INDEX_ID = uuid5(NAMESPACE_URL, "/casetrail/tokens")
