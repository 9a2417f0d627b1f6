"""Settings from the environment (validated once, at start), and the eventsourcing environment they imply."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse
from uuid import uuid4

from eventsourcing.utils import get_topic
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from application.rates import WriteRates
from infrastructure.recorders import MemoryFactory, PostgresRecorder, SQLiteRecorder
from infrastructure.transcoder import FastJSONTranscoder

DEFAULT_DATABASE_URL = "sqlite:///casetrail.db"
PREFIX = "CASETRAIL_"
SCHEMES = ("sqlite", "postgresql", "postgres", "memory")
# user:password@ in any URL, and password=... in a connection string: what `redact` hides.
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]*@", re.IGNORECASE)
_KV_PASSWORD = re.compile(r"(?P<head>password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable and says what is expected."""


def redact(text: str) -> str:
    """The text with every database password replaced by ***: safe for logs and error messages."""
    return _KV_PASSWORD.sub(r"\g<head>***", _URL_PASSWORD.sub(r"\g<head>***@", text))


POOL = (4, 8)  # PostgreSQL connections a pool keeps open, and how many more it may open at need


class Settings(BaseSettings):
    """Every CASETRAIL_* variable (README, "Configuration"); `from_env` validates them all at start."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, frozen=True, extra="ignore", case_sensitive=False)

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL, description="sqlite:///path or postgresql://user:pass@host/db"
    )
    read_database_url: str | None = Field(
        default=None, description="postgresql://user:pass@host/db of a streaming replica of CASETRAIL_DATABASE_URL"
    )
    directory_file: Path | None = Field(default=None, description="a JSON list replacing the department directory")
    calendar_file: Path | None = Field(default=None, description="operator corrections to the working calendar (JSON)")
    max_body_bytes: int = Field(default=1_000_000, gt=0, description="a whole number of bytes, e.g. 1000000")
    ready_max_lag: int = Field(default=1000, ge=0, description="a whole number of events, e.g. 1000")
    projection_batch: int = Field(default=1000, gt=0, description="a whole number of events, e.g. 1000")
    aggregate_cache: int = Field(
        default=2048, ge=0, description="cases (and as many projects) an API process keeps between commands (0: none)"
    )
    rebuild_processes: int = Field(
        default=0,
        ge=0,
        le=16,
        description="processes a rebuild on PostgreSQL folds in, each a share of the streams "
        "(0: one per core, at most 4; 1: the rebuild's own process only)",
    )
    signing_key_file: Path | None = Field(default=None, description="an Ed25519 private key file (PEM)")
    integrity_key_file: Path | None = Field(default=None, description="the integrity key file (sealing every row)")
    host: str = Field(default="127.0.0.1", min_length=1, description="an interface to listen on, e.g. 0.0.0.0")
    port: int = Field(default=8000, ge=1, le=65535, description="a TCP port, 1-65535")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="debug|info|warning|error"
    )
    log_format: Literal["text", "json"] = Field(default="text", description="text or json (one JSON object a line)")
    trusted_proxies: str = Field(default="", description="proxy addresses whose X-Forwarded-For is believed")
    max_connections: int = Field(default=200, gt=0, description="a whole number of connections, e.g. 200")
    master_key_file: Path | None = Field(default=None, description="the master key file (wraps each case's data key)")
    checkpoint_every: float = Field(
        default=60, ge=0, description="seconds between automatic signed checkpoints, e.g. 60 (0: none)"
    )
    checkpoint_log: Path | None = Field(default=None, description="the append-only checkpoint log (one JSON a line)")
    retention_years: int = Field(default=3, ge=1, description="a whole number of years, e.g. 3")
    cookie_secure: bool = Field(default=False, description="true or false (the console's cookie over https only)")
    write_rate_enterprise: int = Field(
        default=WriteRates.enterprise, ge=0, description="commands a minute per enterprise token (0: unlimited)"
    )
    write_rate_staff: int = Field(
        default=WriteRates.staff, ge=0, description="commands a minute per other token (0: unlimited)"
    )

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if urlparse(value).scheme.split("+")[0] not in SCHEMES:
            raise ValueError("sqlite:///path/to/file.db or postgresql://user:password@host:port/database")
        return value

    @field_validator("read_database_url")
    @classmethod
    def _replica_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if urlparse(value).scheme.split("+")[0] not in ("postgresql", "postgres"):
            raise ValueError("postgresql://user:password@host:port/database (a streaming replica)")
        return value

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @property
    def write_rates(self) -> WriteRates:
        return WriteRates(enterprise=self.write_rate_enterprise, staff=self.write_rate_staff)

    @classmethod
    def from_env(cls) -> Settings:
        """The settings of this process; a bad variable raises SettingsError naming it and what it expects."""
        try:
            return cls()
        except ValidationError as e:
            raise SettingsError(_one_line(cls, e)) from None

    @property
    def backend(self) -> str:
        scheme = urlparse(self.database_url).scheme.split("+")[0]
        return "postgresql" if scheme == "postgres" else scheme

    @property
    def safe_database_url(self) -> str:
        """The database URL without its password, for messages and logs."""
        return redact(self.database_url)

    @property
    def replica(self) -> Settings | None:
        """These settings with the read replica as the database, for the read side; None without a replica (or
        when the primary is not PostgreSQL, where a replica cannot stream from it)."""
        if self.read_database_url is None or self.backend != "postgresql":
            return None
        return self.model_copy(update={"database_url": self.read_database_url, "read_database_url": None})

    @property
    def sqlite_path(self) -> Path:
        url = urlparse(self.database_url)
        return Path(unquote(url.path[1:] if url.path.startswith("/") else url.path) or "casetrail.db")

    @property
    def integrity_key_path(self) -> Path | None:
        """Where the integrity key lives: as configured, else beside a SQLite file, else (PostgreSQL) in the
        user's configuration directory, where every process of the service finds it whatever its working
        directory; None in memory, where a key is made for the process."""
        return self.integrity_key_file or self._default_file(".integrity-key", "XDG_CONFIG_HOME", "integrity.key")

    @property
    def master_key_path(self) -> Path | None:
        """Where the master key (which wraps every case's data key) lives: as configured, else beside the
        integrity key; None in memory, where a key is made for the process."""
        return self.master_key_file or self._default_file(".master-key", "XDG_CONFIG_HOME", "master.key")

    @property
    def signing_key_path(self) -> Path | None:
        """The key that signs the automatic checkpoints: as configured, else beside the integrity key."""
        if self.signing_key_file is not None:
            return self.signing_key_file
        key = self.integrity_key_path
        return None if key is None else key.with_name(key.name.replace("integrity", "signing") + ".pem")

    @property
    def public_key_path(self) -> Path | None:
        """The signing key's public key, written beside it (what auditors verify checkpoints with)."""
        key = self.signing_key_path
        return None if key is None else key.with_name(key.name + ".pub")

    @property
    def checkpoint_log_path(self) -> Path | None:
        """Where automatic checkpoints are appended: as configured, else beside a SQLite file, else (PostgreSQL)
        in the user's data directory; None in memory."""
        return self.checkpoint_log or self._default_file(".checkpoints.jsonl", "XDG_DATA_HOME", "checkpoints.jsonl")

    def _default_file(self, sqlite_suffix: str, xdg: str, name: str) -> Path | None:
        """A file of the service's own: beside a SQLite file; for PostgreSQL under the user's XDG directory
        (configuration or data), where every process finds it whatever its working directory; None in memory."""
        url = urlparse(self.database_url)
        if url.scheme == "sqlite":
            return self.sqlite_path.with_name(self.sqlite_path.name + sqlite_suffix)
        if url.scheme in ("postgresql", "postgres"):
            fallback = Path.home() / (".config" if xdg == "XDG_CONFIG_HOME" else ".local/share")
            return Path(os.environ.get(xdg) or fallback) / "casetrail" / name
        return None

    def eventsourcing_env(self, *, create_table: bool = True, pool: tuple[int, int] = POOL) -> dict[str, str]:
        """The environment for the library, built explicitly so stray process variables cannot leak in; `pool`:
        PostgreSQL connections kept open and how many more may be opened at need."""
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
                "POSTGRES_POOL_SIZE": str(pool[0]),
                "POSTGRES_MAX_OVERFLOW": str(pool[1]),
                # The library's name for how long to wait for a pooled connection; each recorder call retries
                # 10 times, so with the database down a request answers 503 after ~10 x (1 s + 0.2 s), not ~52 s
                # (tests/reliability/test_outage.py). Integer seconds only.
                "POSTGRES_CONNECT_TIMEOUT": "1",
                "POSTGRES_LOCK_TIMEOUT": "5",
                "POSTGRES_PRE_PING": "n",
                "APPLICATION_RECORDER_TOPIC": get_topic(PostgresRecorder),
            }
        raise SettingsError(
            f"CASETRAIL_DATABASE_URL={self.safe_database_url!r}: expected sqlite:///path/to/file.db "
            "or postgresql://user:password@host:port/database"
        )

    def views_env(self, *, create_table: bool = True, pool: tuple[int, int] = POOL) -> dict[str, str]:
        """The views live beside the events (same file or database); in memory, in a private SQLite."""
        if self.backend == "memory":
            return {
                "CREATE_TABLE": "y" if create_table else "n",
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": f"file:casetrail-views-{uuid4().hex}?mode=memory&cache=shared",
            }
        env = self.eventsourcing_env(create_table=create_table, pool=pool)
        env.pop("APPLICATION_RECORDER_TOPIC", None)
        return env


def _one_line(cls: type[Settings], error: ValidationError) -> str:
    """`CASETRAIL_X='given': expected ...` for each bad variable, on one line."""
    parts = []
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else "?"
        field = cls.model_fields.get(name)
        expected = (field.description if field else None) or problem["msg"]
        given = redact(str(problem.get("input", "")))
        parts.append(f"{PREFIX}{name.upper()}={given!r}: expected {expected}")
    return "; ".join(parts)
