"""Console sign-in sessions, kept server-side beside the views (same SQLite file or PostgreSQL database).

The browser holds only a random session id; the table keeps its SHA-256, the token's id (never its
secret), the anti-forgery token and the expiry. Every API process reads the same table, so a session
started through one process is honoured by all, and signing out ends it everywhere.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from uuid import UUID

from infrastructure.views.store import SqlViews

TABLE = "console_sessions"


@dataclass(frozen=True)
class Session:
    token_id: UUID
    csrf: str
    expires_at: int


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SqlSessions:
    def __init__(self, views: SqlViews) -> None:
        self.views = views
        self._ready = False
        self._lock = threading.Lock()

    def _ensure(self) -> None:
        if self._ready:
            return
        with self._lock, self.views.cursor(commit=True) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (id TEXT PRIMARY KEY, token_id TEXT NOT NULL, "
                "csrf TEXT NOT NULL, expires_at BIGINT NOT NULL)"
            )
        self._ready = True

    def start(self, token_id: UUID, lifetime_seconds: int) -> tuple[str, Session]:
        """A new session for a token; answers the id to hand to the browser (shown nowhere else)."""
        self._ensure()
        session_id = secrets.token_urlsafe(32)
        session = Session(token_id, secrets.token_urlsafe(32), int(time.time()) + lifetime_seconds)
        ph = self.views.ph
        with self.views.cursor(commit=True) as c:
            c.execute(f"DELETE FROM {TABLE} WHERE expires_at < {ph}", (int(time.time()),))
            c.execute(
                f"INSERT INTO {TABLE} (id, token_id, csrf, expires_at) VALUES ({ph}, {ph}, {ph}, {ph})",
                (_digest(session_id), str(session.token_id), session.csrf, session.expires_at),
            )
        return session_id, session

    def get(self, session_id: str) -> Session | None:
        """The live session of this id, or None when unknown, ended or expired."""
        self._ensure()
        rows = self.views.query(
            f"SELECT token_id, csrf, expires_at FROM {TABLE} WHERE id = ?",
            [_digest(session_id)],
        )
        if not rows or int(rows[0]["expires_at"]) <= time.time():
            return None
        row = rows[0]
        return Session(UUID(row["token_id"]), row["csrf"], int(row["expires_at"]))

    def end(self, session_id: str) -> None:
        self._ensure()
        with self.views.cursor(commit=True) as c:
            c.execute(f"DELETE FROM {TABLE} WHERE id = {self.views.ph}", (_digest(session_id),))
