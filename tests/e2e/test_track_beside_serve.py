"""`casetrail track` run while `casetrail serve` takes commands on the same store: every run ends well."""

from __future__ import annotations

import subprocess
import threading

import httpx
import pytest

from tests.e2e.conftest import BIN, Server
from tests.e2e.test_serve import admin_token
from tests.http.scenario import DISPATCH, issue_tokens, register, step

pytestmark = pytest.mark.e2e
RUNS = 10


def keep_commanding(server: Server, coordinator: str, stop: threading.Event, done: list[int]) -> None:
    """Register and dispatch cases until stopped (each dispatch moves the cases view the job reads)."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        while not stop.is_set():
            case = register(client, coordinator)
            step(client, coordinator, case["id"], "dispatch", DISPATCH)
            done.append(1)


def test_track_beside_a_serve_taking_commands_exits_0_with_its_summary_every_run(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        tokens = issue_tokens(client, admin_token(server))
        for _ in range(5):  # some open cases before the first run
            step(client, tokens.coordinator, register(client, tokens.coordinator)["id"], "dispatch", DISPATCH)
    stop, done = threading.Event(), []
    commanding = threading.Thread(target=keep_commanding, args=(server, tokens.coordinator, stop, done))
    commanding.start()
    runs = []
    try:
        for i in range(RUNS):  # a day past every sign-for due date, so each run has warnings to record
            now = f"2026-12-{10 + i:02d}T09:00:00+08:00"
            runs.append(
                subprocess.run(
                    [str(BIN), "track", "--now", now, "--allow-future"],
                    env=server.env,
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=False,
                )
            )
    finally:
        stop.set()
        commanding.join(timeout=60)

    failed = [(r.returncode, r.stderr[-2000:]) for r in runs if r.returncode != 0]
    assert failed == []
    for r in runs:
        lines = r.stdout.strip().splitlines()
        assert lines[0].startswith("tracked "), r.stdout
        assert lines[-1].startswith("raised "), r.stdout
    assert len(done) > 0  # the server took commands throughout
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
