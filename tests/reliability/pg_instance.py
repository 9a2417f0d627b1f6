"""A private PostgreSQL instance a test owns: `initdb` into a temporary directory, its own port, start/stop at will;
and a streaming replica of one (`pg_basebackup -R`: a hot standby that follows the primary's WAL).

The machine's shared PostgreSQL server is never touched: each instance has its own data directory, port and
socket directory, and is stopped (immediately) and deleted when the context manager exits.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

RUN_AS = "postgres"  # initdb and postgres refuse to run as root


def find_bin_dir() -> Path | None:
    """The newest `/usr/lib/postgresql/*/bin` holding `initdb` and `pg_ctl`, or one from PATH; None if absent."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major, reverse=True)
    if not candidates and (found := shutil.which("initdb")):
        candidates = [found]
    for initdb in candidates:
        bin_dir = Path(initdb).parent
        if (bin_dir / "pg_ctl").exists():
            return bin_dir
    return None


def _major(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgInstance:
    bin_dir: Path
    base: Path
    port: int
    as_root: bool
    max_connections: int = 50

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/casetrail"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", RUN_AS, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr or done.stdout}")
        return done

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")

    def start(self, wait_seconds: float = 20) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.base} "
            f"-c fsync=off -c max_connections={self.max_connections}"
        )
        self._run("pg_ctl", "start", "-D", str(self.data), "-o", options, "-l", str(self.base / "log"), "-w")
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                with psycopg.connect(self.admin_url, connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self, mode: str = "immediate") -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w")

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def running(self) -> bool:
        cmd = [str(self.bin_dir / "pg_ctl"), "status", "-D", str(self.data)]
        if self.as_root:
            cmd = ["runuser", "-u", RUN_AS, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, timeout=30, check=False).returncode == 0


def _base(prefix: str, as_root: bool) -> Path:
    base = Path(tempfile.mkdtemp(prefix=prefix))
    if as_root:
        shutil.chown(base, user=RUN_AS)
    return base


@contextmanager
def _owned(instance: PgInstance) -> Iterator[PgInstance]:
    try:
        yield instance
    finally:
        try:
            if instance.data.exists() and instance.running():
                instance.stop("immediate")
        finally:
            shutil.rmtree(instance.base, ignore_errors=True)


@contextmanager
def private_postgres(max_connections: int = 50) -> Iterator[PgInstance]:
    """Init and start a throwaway instance; always stopped and removed afterwards. Raises if PostgreSQL is absent."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise FileNotFoundError("initdb/pg_ctl not found under /usr/lib/postgresql/*/bin or on PATH")
    as_root = os.geteuid() == 0
    instance = PgInstance(bin_dir, _base("casetrail-pg-", as_root), _free_port(), as_root, max_connections)
    with _owned(instance):
        instance.init()
        instance.start()
        yield instance


@contextmanager
def streaming_replica(primary: PgInstance) -> Iterator[PgInstance]:
    """A hot standby of `primary` on its own port and directory: `pg_basebackup -R` (which writes standby.signal
    and the primary's conninfo), then started; it replays the primary's WAL as it streams in, answers reads and
    refuses writes. initdb's pg_hba.conf admits replication connections from 127.0.0.1 (trust), so the primary
    needs no change. Always stopped and removed afterwards."""
    replica = PgInstance(
        primary.bin_dir, _base("casetrail-pg-replica-", primary.as_root), _free_port(), primary.as_root,
        primary.max_connections,
    )  # fmt: skip
    with _owned(replica):
        replica._run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-D", str(replica.data),
            "-R", "-X", "stream", "-c", "fast", "--no-sync", timeout=120,
        )  # fmt: skip
        replica.start()
        yield replica


def replay_lag_bytes(primary: PgInstance) -> int | None:
    """How many bytes of WAL the replica has yet to replay, as the primary sees it; None without a replica."""
    with psycopg.connect(primary.admin_url, autocommit=True, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication"
        ).fetchone()
    return None if row is None or row[0] is None else int(row[0])
