"""PostgreSQL housekeeping that the library does not do: creating the database itself."""

from __future__ import annotations

from urllib.parse import urlparse

import psycopg
from psycopg import sql


def ensure_database(database_url: str) -> bool:
    """Create the database named in the URL when it is missing; True when it was created."""
    url = urlparse(database_url)
    name = url.path.lstrip("/") or "casetrail"
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True
