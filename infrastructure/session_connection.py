"""A PostgreSQL connection of its own, for what lives in a session: advisory locks (the worker's, a rebuild's) and
LISTEN (the token cache). The server never ends it for sitting idle (`idle_session_timeout`, PostgreSQL 14 and
later), and both sides send TCP keepalives: a connection that dies silently is noticed by the client, and a lost
machine's session, with its locks, is ended by the server, within `idle + interval x count` seconds."""

from __future__ import annotations

import hashlib
from typing import Any

import psycopg


def session_connection(
    conninfo: str, *, connect_timeout: int = 5, keepalive: tuple[int, int, int] = (30, 10, 3)
) -> psycopg.Connection[Any]:
    """An autocommit connection; `keepalive` is (idle, interval, count) in seconds. Raises `psycopg.Error`."""
    idle, interval, count = keepalive
    conn = psycopg.connect(
        conninfo,
        autocommit=True,
        connect_timeout=connect_timeout,
        keepalives=1,
        keepalives_idle=idle,
        keepalives_interval=interval,
        keepalives_count=count,
    )
    try:
        if conn.info.server_version >= 140000:
            conn.execute("SET idle_session_timeout = 0")
        conn.execute(
            f"SET tcp_keepalives_idle = {int(idle)}; SET tcp_keepalives_interval = {int(interval)}; "
            f"SET tcp_keepalives_count = {int(count)}"
        )
    except psycopg.Error:
        conn.close()
        raise
    return conn


def advisory_key(what: str) -> int:
    """A PostgreSQL advisory lock's key (a signed 64-bit integer) named by `what`."""
    return int.from_bytes(hashlib.sha256(what.encode()).digest()[:8], "big", signed=True)


def try_lock(conn: psycopg.Connection[Any], key: int) -> bool:
    """Take the session advisory lock `key` if it is free; True when this session holds it."""
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
    return bool(row and row[0])
