"""Active tokens remembered in the API process, forgotten the moment any process revokes one (PostgreSQL).

A revocation commits its event and a NOTIFY on TOKENS_CHANNEL in one transaction (recorders.py), so every
process listening hears of it when it commits, and a crash cannot separate the two. Before answering from
memory the cache reads whatever notifications have arrived on its listening connection (a non-blocking read
of the socket, no round trip). If that connection fails, the cache forgets everything and answers nothing
until it listens again (the caller then reads the token from the store, as without a cache): a revocation
can never be missed because the connection that would have carried it was down. A stamp names the connection
it was taken on: a token read from the store while the cache reconnected is not remembered (a revocation may
have committed between the two connections). Remembered tokens also expire after `TTL` seconds, so even an
unforeseen miss heals itself.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from uuid import UUID

import psycopg

from domain.values import Actor
from infrastructure.session_connection import session_connection

log = logging.getLogger("casetrail.tokens")
TOKENS_CHANNEL = "casetrail_tokens"
RECONNECT_EVERY = 1.0  # seconds between attempts to listen again after a failure
TTL = 300.0  # seconds a token is answered from memory before it is read from the store again
Stamp = tuple[int, int]  # (listening connection, revocations heard on it)


class TokenCache:
    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.lock = threading.Lock()
        self.actors: dict[UUID, tuple[Actor, float]] = {}  # token -> (actor, when to read it again)
        self.connection = 0  # which listening connection this is; a new one starts a new count
        self.heard = 0  # revocations heard so far
        self.revoked: dict[UUID, int] = {}  # token -> the count of revocations heard when it was revoked
        self.conn: psycopg.Connection[tuple[object, ...]] | None = None
        self.last_try = 0.0

    def get(self, token_id: UUID) -> Actor | None:
        """The token's actor if it is remembered and nothing since said it was revoked; never blocks."""
        with self.lock:
            if not self._drain():
                return None
            remembered = self.actors.get(token_id)
            if remembered is None or remembered[1] <= time.monotonic():
                return None
            return remembered[0]

    def stamp(self) -> Stamp | None:
        """Taken before reading a token from the store, handed back to `put`; None when not listening. Starts
        listening if need be, so it may block: call it from a worker thread, never from the event loop."""
        self._listen()
        with self.lock:
            return (self.connection, self.heard) if self._drain() else None

    def put(self, token_id: UUID, actor: Actor, stamp: Stamp | None) -> None:
        """Remember an active token read from the store after `stamp`, unless a revocation of it has been heard
        since (it may have committed after the read); a later one is heard before the next `get` answers."""
        with self.lock:
            if stamp is None or not self._drain() or stamp[0] != self.connection:
                return  # not listening, or listening on another connection than when the token was read
            if self.revoked.get(token_id, -1) <= stamp[1]:
                self.actors[token_id] = (actor, time.monotonic() + TTL)

    def _listen(self) -> None:
        """(Re)open the listening connection if it is down; at most once a second. It connects outside the lock,
        so `get` on the event loop never waits for a connect."""
        with self.lock:
            if self.conn is not None or time.monotonic() - self.last_try < RECONNECT_EVERY:
                return
            self.last_try = time.monotonic()
        try:
            # A connection that dies silently (no FIN) is noticed within about 10 s.
            conn = session_connection(self.conninfo, connect_timeout=2, keepalive=(5, 2, 2))
            conn.execute(f"LISTEN {TOKENS_CHANNEL}")
        except psycopg.Error as e:
            log.warning("token cache off: cannot listen for revocations: %s", e)
            return
        with self.lock:
            if self.conn is not None:  # another thread got there first
                conn.close()
                return
            self.actors.clear()  # whatever was revoked while nobody listened is forgotten with the rest
            self.connection += 1
            self.conn = conn

    def close(self) -> None:
        with self.lock:
            self._drop()

    def _drain(self) -> bool:
        """Apply every revocation that has arrived; False (and everything forgotten) when not listening."""
        if self.conn is None:
            return False
        pgconn = self.conn.pgconn
        try:
            # Read until the socket has nothing more: a closed connection shows as a readable socket whose read
            # fails after the server's last message, and the notices (even ones that came with that message)
            # are kept. Nothing arrived (the usual case on every request): one select, no read.
            while select.select([pgconn.socket], [], [], 0)[0]:
                pgconn.consume_input()
            while (notice := pgconn.notifies()) is not None:
                token_id = UUID(notice.extra.decode())
                self.heard += 1
                self.revoked[token_id] = self.heard
                self.actors.pop(token_id, None)
        except (psycopg.Error, ValueError) as e:
            log.warning("token cache off until it listens again: %s", e)
            self._drop()
            return False
        if pgconn.status != psycopg.pq.ConnStatus.OK:
            self._drop()
            return False
        return True

    def _drop(self) -> None:
        self.actors.clear()
        self.connection += 1  # stamps taken on the dropped connection are no good any more
        if self.conn is not None:
            self.conn.close()
            self.conn = None
