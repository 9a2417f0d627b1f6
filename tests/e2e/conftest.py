"""Start `casetrail serve` as a real process, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import POSTGRES_URL, require_postgres, reset_postgres

BIN = Path(sys.executable).parent / "casetrail"


@dataclass
class Server:
    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path  # the server's standard error: its log lines (a file, so a chatty server never blocks on a pipe)

    def cli(self, *args: str) -> str:
        done = subprocess.run([str(BIN), *args], env=self.env, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(env: dict[str, str], cwd: Path, *options: str) -> Server:
    port = free_port()
    log = cwd / f"serve-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(BIN), "serve", "--port", str(port), *options], env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=sink
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"casetrail serve exited: {log.read_text(encoding='utf-8', errors='replace')}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return Server(url, env, process, log)
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("casetrail serve did not answer /healthz within 30 s")


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASETRAIL_")}
    if request.param == "sqlite":
        env["CASETRAIL_DATABASE_URL"] = f"sqlite:///{tmp_path / 'e2e.db'}"
    else:
        require_postgres()
        reset_postgres()
        env["CASETRAIL_DATABASE_URL"] = POSTGRES_URL
        subprocess.run([str(BIN), "migrate"], env=env, check=True, capture_output=True, timeout=60)
    return env


@pytest.fixture
def server(server_env: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    s = start(server_env, tmp_path)
    yield s
    stop(s)
