"""Access-token use cases: issue (the secret is shown once), list, revoke, authenticate."""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import EventSourcedLog

from application.access import require_role
from application.errors import CorruptHistory, NotFound
from application.execution import CommandContext, StreamExecutor
from application.logs import log_event, next_version
from application.ports import Clock
from application.store import EventStore
from domain.credit_code import is_valid_credit_code
from domain.directory import COORDINATING_CENTRE, Directory
from domain.errors import InvalidCommand
from domain.token import TOKEN_INDEX_ID, AccessToken, TokenIndexed, token_id_for
from domain.values import Actor, Role

log = logging.getLogger("casetrail.tokens")
SECRET_PREFIX = "ct_"  # noqa: S105 - a marker that makes leaked tokens easy to scan for, not a secret


@dataclass(frozen=True)
class IssuedToken:
    token: AccessToken
    secret: str


class ActiveTokens(Protocol):
    """Active tokens remembered between requests, forgotten when any process revokes one."""

    def get(self, token_id: UUID) -> Actor | None: ...

    def stamp(self) -> Any:
        """Taken before reading a token from the store (may block: it starts listening if need be)."""
        ...

    def put(self, token_id: UUID, actor: Actor, stamp: Any) -> None: ...

    def close(self) -> None: ...


class TokenExecutor(StreamExecutor[AccessToken, AccessToken]):
    """Token commands: only admins reach them, and a token answers as itself."""

    kind = AccessToken
    missing = "no such token"

    def result(self, aggregate: AccessToken, position: int, replayed: bool = False) -> AccessToken:
        return aggregate


class TokenService:
    def __init__(
        self, store: EventStore, clock: Clock, directory: Directory, cache: ActiveTokens | None = None
    ) -> None:
        self.store = store
        self.clock = clock
        self.directory = directory
        self.cache = cache
        self.executor = TokenExecutor(store, clock)
        self.index = EventSourcedLog(store.events, TOKEN_INDEX_ID, TokenIndexed)
        self._indexed: set[UUID] = set()  # tokens seen in the index so far (it only grows)
        self._index_read = 0  # the index's version read up to
        self._index_lock = threading.Lock()

    def issue(
        self, by: Actor, *, name: str, role: Role, department: str | None = None, credit_code: str | None = None
    ) -> IssuedToken:
        """Issue a token bound to one role; handlers need a department, enterprises a credit code."""
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)

        def make(at: datetime) -> tuple[AccessToken, TokenIndexed]:
            scope = self._scope(role, department, credit_code)
            token = AccessToken.issue(
                secret=secret,
                by=by,
                at=at,
                name=name,
                role=role.value,
                department=scope[0],
                credit_code=scope[1],
            )
            return token, log_event(TokenIndexed, self.index, next_version(self.index), at, token_id=str(token.id))

        # Concurrent issues contend for the next entry of the token index; the loser takes the one after.
        return IssuedToken(self.executor.create(CommandContext(by), "manage_tokens", make), secret)

    def list_all(self, by: Actor) -> list[AccessToken]:
        """Every token ever issued, revoked ones included, without secrets."""
        require_role(by, "manage_tokens")
        ids = [UUID(e.token_id) for e in self.index.get()]
        return [self.store.load(i) for i in ids]

    def revoke(self, by: Actor, token_id: UUID) -> AccessToken:
        """Revoke at once: the next request with this token is refused."""

        # A concurrent revoke that won makes this one 409 token_revoked. The revocation tells every API process,
        # in the same transaction (`revoked_token`).
        def revoke(token: AccessToken, at: datetime) -> None:
            token.revoke(by, at)

        return self.executor.run(token_id, CommandContext(by), "manage_tokens", revoke, revoked_token=token_id)

    def remembered(self, secret: str) -> Actor | None:
        """The caller, if this process remembers the token as active; no I/O (safe on an event loop)."""
        if self.cache is None or not secret.startswith(SECRET_PREFIX):
            return None
        return self.cache.get(token_id_for(secret))

    def authenticate(self, secret: str) -> Actor | None:
        """The caller a bearer secret stands for, read from the store (and remembered when the process can),
        or None when it is unknown or revoked. `remembered` answers first where no I/O is allowed."""
        if not secret.startswith(SECRET_PREFIX):
            return None
        return self.active(token_id_for(secret))

    def remembered_id(self, token_id: UUID) -> Actor | None:
        """`remembered` for a token known by id (a console session); no I/O."""
        return self.cache.get(token_id) if self.cache is not None else None

    def active(self, token_id: UUID) -> Actor | None:
        """The caller a token id stands for while the token is active, read from the store, else None. Only for
        ids the server itself kept (a console session), never for an id a client sends: ids are not secret."""
        stamp = self.cache.stamp() if self.cache is not None else None
        try:
            token = self.executor.load(token_id)
        except NotFound:
            return None
        except CorruptHistory:
            log.error("token %s fails its integrity check: refused (a token forged in the database?)", token_id)
            return None
        if not token.is_active or not self._in_index(token_id):
            return None
        actor = Actor(
            id=str(token.id), role=Role(token.role), department=token.department, credit_code=token.credit_code
        )
        if self.cache is not None:
            self.cache.put(token_id, actor, stamp)
        return actor

    def _in_index(self, token_id: UUID) -> bool:
        """Whether the token was issued through this service: every issue appends it to the token index, so a
        token stream that is not there was put into the database some other way. Entries read are remembered."""
        with self._index_lock:
            if token_id not in self._indexed:
                for entry in self.index.get(gt=self._index_read):
                    self._indexed.add(UUID(entry.token_id))
                    self._index_read = entry.originator_version
            found = token_id in self._indexed
        if not found:
            log.error("token %s is not in the token index: refused (a token put into the database?)", token_id)
        return found

    def names(self, token_ids: set[str]) -> dict[str, str]:
        """The names tokens were issued under (never their secrets), for showing who did what."""
        found = {}
        for raw in token_ids:
            try:
                found[raw] = self.executor.load(UUID(raw)).name
            except (ValueError, NotFound):
                continue
        return found

    def _scope(self, role: Role, department: str | None, credit_code: str | None) -> tuple[str | None, str | None]:
        if role is Role.SYSTEM:
            raise InvalidCommand("role_not_issuable", "system actors have no tokens")
        if role is Role.ENTERPRISE:
            if not credit_code or not is_valid_credit_code(credit_code):
                raise InvalidCommand(
                    "invalid_credit_code", "an enterprise token needs a valid unified social credit code"
                )
            return None, credit_code
        if credit_code:
            raise InvalidCommand("credit_code_not_allowed", "only enterprise tokens carry a credit code")
        if role is Role.COORDINATOR:
            department = department or COORDINATING_CENTRE
        if role is Role.HANDLER and not department:
            raise InvalidCommand("department_required", "a handler token needs its department")
        if department is not None and department not in self.directory:
            raise InvalidCommand("unknown_department", f"{department} is not in the department directory")
        return department, None
