"""Settings from the environment, and the eventsourcing environment they imply."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse
from uuid import uuid4

from eventsourcing.utils import get_topic

from application.rates import WriteRates
from infrastructure.recorders import MemoryFactory, PostgresRecorder, SQLiteRecorder
from infrastructure.transcoder import FastJSONTranscoder

DEFAULT_DATABASE_URL = "sqlite:///casetrail.db"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says how to fix it."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    directory_file: Path | None = None
    calendar_file: Path | None = None
    max_body_bytes: int = 1_000_000
    ready_max_lag: int = 1000
    projection_batch: int = 1000
    signing_key_file: Path | None = None
    integrity_key_file: Path | None = None
    trusted_proxies: str = ""
    write_rates: WriteRates = field(default_factory=WriteRates)
    max_connections: int = 200
    cookie_secure: bool = False  # the console's session cookie is sent over https only
    master_key_file: Path | None = None
    retention_years: int = 3

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("CASETRAIL_DATABASE_URL", DEFAULT_DATABASE_URL),
            directory_file=_path(env.get("CASETRAIL_DIRECTORY_FILE")),
            calendar_file=_path(env.get("CASETRAIL_CALENDAR_FILE")),
            max_body_bytes=int(env.get("CASETRAIL_MAX_BODY_BYTES", "1000000")),
            ready_max_lag=int(env.get("CASETRAIL_READY_MAX_LAG", "1000")),
            projection_batch=int(env.get("CASETRAIL_PROJECTION_BATCH", "1000")),
            signing_key_file=_path(env.get("CASETRAIL_SIGNING_KEY_FILE")),
            integrity_key_file=_path(env.get("CASETRAIL_INTEGRITY_KEY_FILE")),
            trusted_proxies=env.get("CASETRAIL_TRUSTED_PROXIES", ""),
            write_rates=WriteRates(
                enterprise=int(env.get("CASETRAIL_WRITE_RATE_ENTERPRISE", str(WriteRates.enterprise))),
                staff=int(env.get("CASETRAIL_WRITE_RATE_STAFF", str(WriteRates.staff))),
            ),
            max_connections=int(env.get("CASETRAIL_MAX_CONNECTIONS", "200")),
            cookie_secure=env.get("CASETRAIL_COOKIE_SECURE", "").lower() in ("1", "true", "yes"),
            master_key_file=_path(env.get("CASETRAIL_MASTER_KEY_FILE")),
            retention_years=int(env.get("CASETRAIL_RETENTION_YEARS", "3")),
        )

    @property
    def backend(self) -> str:
        return urlparse(self.database_url).scheme.split("+")[0]

    @property
    def sqlite_path(self) -> Path:
        url = urlparse(self.database_url)
        return Path(unquote(url.path[1:] if url.path.startswith("/") else url.path) or "casetrail.db")

    @property
    def integrity_key_path(self) -> Path | None:
        """Where the integrity key lives: as configured, else beside a SQLite file, else (PostgreSQL) in the
        user's configuration directory, where every process of the service finds it whatever its working
        directory; None in memory, where a key is made for the process."""
        if self.integrity_key_file is not None:
            return self.integrity_key_file
        url = urlparse(self.database_url)
        if url.scheme == "sqlite":
            return self.sqlite_path.with_name(self.sqlite_path.name + ".integrity-key")
        if url.scheme in ("postgresql", "postgres"):
            config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
            return config / "casetrail" / "integrity.key"
        return None

    @property
    def master_key_path(self) -> Path | None:
        """Where the master key (which wraps every case's data key) lives: as configured, else beside the
        integrity key; None in memory, where a key is made for the process."""
        if self.master_key_file is not None:
            return self.master_key_file
        url = urlparse(self.database_url)
        if url.scheme == "sqlite":
            return self.sqlite_path.with_name(self.sqlite_path.name + ".master-key")
        if url.scheme in ("postgresql", "postgres"):
            config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
            return config / "casetrail" / "master.key"
        return None

    def eventsourcing_env(self, *, create_table: bool = True) -> dict[str, str]:
        """The environment for the library, built explicitly so stray process variables cannot leak in."""
        url = urlparse(self.database_url)
        common = {"CREATE_TABLE": "y" if create_table else "n", "TRANSCODER_TOPIC": get_topic(FastJSONTranscoder)}
        if url.scheme == "memory":
            return {**common, "PERSISTENCE_MODULE": get_topic(MemoryFactory)}
        if url.scheme == "sqlite":
            path = unquote(url.path[1:] if url.path.startswith("/") else url.path) or "casetrail.db"
            return {
                **common,
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": path,
                "SQLITE_LOCK_TIMEOUT": "10",
                "APPLICATION_RECORDER_TOPIC": get_topic(SQLiteRecorder),
            }
        if url.scheme in ("postgresql", "postgres"):
            return {
                **common,
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": url.path.lstrip("/") or "casetrail",
                "POSTGRES_HOST": url.hostname or "127.0.0.1",
                "POSTGRES_PORT": str(url.port or 5432),
                "POSTGRES_USER": unquote(url.username or "postgres"),
                "POSTGRES_PASSWORD": unquote(url.password or ""),
                "POSTGRES_POOL_SIZE": "4",
                "POSTGRES_MAX_OVERFLOW": "8",
                # The library's name for how long to wait for a pooled connection; each recorder call retries
                # 10 times, so with the database down a request answers 503 after ~10 x (1 s + 0.2 s), not ~52 s
                # (tests/reliability/test_outage.py). Integer seconds only.
                "POSTGRES_CONNECT_TIMEOUT": "1",
                "POSTGRES_LOCK_TIMEOUT": "5",
                "POSTGRES_PRE_PING": "n",
                "APPLICATION_RECORDER_TOPIC": get_topic(PostgresRecorder),
            }
        raise SettingsError(
            f"CASETRAIL_DATABASE_URL={self.database_url!r} is not understood; use sqlite:///path/to/file.db "
            "or postgresql://user:password@host:port/database"
        )

    def views_env(self, *, create_table: bool = True) -> dict[str, str]:
        """The views live beside the events (same file or database); in memory, in a private SQLite."""
        if self.backend == "memory":
            return {
                "CREATE_TABLE": "y" if create_table else "n",
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": f"file:casetrail-views-{uuid4().hex}?mode=memory&cache=shared",
            }
        env = self.eventsourcing_env(create_table=create_table)
        env.pop("APPLICATION_RECORDER_TOPIC", None)
        return env


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None
