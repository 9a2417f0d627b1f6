"""Crash: `casetrail serve` and `casetrail worker` are SIGKILLed mid-load on PostgreSQL, then restarted.

What a crash may do: lose commands that were never answered. What it may not: lose a command answered 2xx,
or leave anything half-written (a stream with a gap, an event whose hash chain does not verify).

The worker is killed in the same instant, and the test checks only that the restarted worker brings the
views up to the log's head with every acknowledged registration in them. That a worker killed mid-batch
resumes *exactly* (views equal to a full rebuild, nothing applied twice) is proven in
tests/integration/test_worker.py::test_worker_killed_mid_stream_resumes_to_a_full_rebuild; not repeated here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import POSTGRES_URL, require_postgres, reset_postgres
from tests.e2e.conftest import BIN, start, stop
from tests.http.scenario import CASE_BODY, Tokens, auth, issue_tokens, signed_for_case

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

THREADS = 6
LOAD_SECONDS = 3.0
KILL_AFTER = 2.0  # seconds into the load: the process dies with requests in flight


@dataclass
class Acked:
    """What the clients were told was done: notes per case id, and registered cases (id, title, reference)."""

    notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    registered: list[tuple[str, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def pg_env() -> dict[str, str]:
    require_postgres()
    reset_postgres()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASETRAIL_")}
    env["CASETRAIL_DATABASE_URL"] = POSTGRES_URL
    env["CASETRAIL_PROJECTION_BATCH"] = "5"  # small batches, so the kill lands between two of them
    subprocess.run([str(BIN), "migrate"], env=env, check=True, capture_output=True, timeout=60)
    return env


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(BIN), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture
def processes(pg_env: dict[str, str], tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Every process the test starts, killed at the end whatever happened."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)


def load(url: str, tokens: Tokens, case_id: str, n: int, until: float, acked: Acked) -> None:
    """One client: mostly progress notes on its own case, every fourth command a new registration."""
    with httpx.Client(base_url=url, timeout=10) as client:
        i = 0
        while time.monotonic() < until:
            i += 1
            marker = f"crash-{n}-{i}"
            try:
                if i % 4 == 0:
                    r = client.post("/v1/cases", json={**CASE_BODY, "title": marker}, headers=auth(tokens.coordinator))
                    if r.status_code == 201:
                        with acked.lock:
                            acked.registered.append((r.json()["id"], marker, r.json()["reference"]))
                else:
                    r = client.post(f"/v1/cases/{case_id}/progress", json={"note": marker}, headers=auth(tokens.lead))
                    if r.status_code == 200:
                        with acked.lock:
                            acked.notes[case_id].append(marker)
                assert r.status_code < 500 or r.status_code == 503, f"{marker}: {r.status_code} {r.text}"
            except httpx.TransportError:
                time.sleep(0.05)  # the server is gone: the outcome of this command is unknown, and that is allowed


def audit_feed(client: httpx.Client, token: str) -> list[dict[str, Any]]:
    """Every stored event, in global order, straight from the log (not from a view)."""
    items: list[dict[str, Any]] = []
    after = "0"
    while True:
        r = client.get("/v1/audit/events", params={"after": after, "limit": 500}, headers=auth(token))
        assert r.status_code == 200, r.text
        page = r.json()
        items.extend(page["items"])
        if page["next_cursor"] is None:
            return items
        after = page["next_cursor"]


def wait_for_views(client: httpx.Client, token: str, head: int, seconds: float) -> list[dict[str, Any]]:
    """The case list once the views have reached `head` (503 until then), all pages."""
    deadline = time.monotonic() + seconds
    while True:
        r = client.get("/v1/cases", params={"min_position": head, "limit": 100}, headers=auth(token))
        if r.status_code == 200:
            break
        assert r.status_code == 503, r.text
        assert time.monotonic() < deadline, f"the restarted worker did not reach position {head} in {seconds} s"
        time.sleep(0.2)
    items: list[dict[str, Any]] = list(r.json()["items"])
    while r.json()["next_cursor"]:
        r = client.get("/v1/cases", params={"cursor": r.json()["next_cursor"], "limit": 100}, headers=auth(token))
        assert r.status_code == 200, r.text
        items.extend(r.json()["items"])
    return items


def test_acknowledged_commands_survive_sigkill_of_api_and_worker_mid_load(
    pg_env: dict[str, str], tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    server = start(pg_env, tmp_path)
    processes.append(server.process)
    worker = start_worker(pg_env)
    processes.append(worker)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        tokens = issue_tokens(client, server.cli("tokens", "create", "--name", "ops", "--role", "admin").split()[-1])
        cases = [signed_for_case(client, tokens, title=f"crash-base-{n}")["id"] for n in range(THREADS)]

    acked = Acked()
    until = time.monotonic() + LOAD_SECONDS
    threads = [
        threading.Thread(target=load, args=(server.url, tokens, cases[n], n, until, acked)) for n in range(THREADS)
    ]
    for t in threads:
        t.start()
    time.sleep(KILL_AFTER)
    kill(server.process)
    kill(worker)
    for t in threads:
        t.join(timeout=30)
    assert sum(map(len, acked.notes.values())) > 0 and acked.registered, "no load was acknowledged before the kill"

    again = start(pg_env, tmp_path)
    processes.append(again.process)
    processes.append(start_worker(pg_env))
    try:
        with httpx.Client(base_url=again.url, timeout=10) as client:
            check_nothing_lost_or_half_written(client, tokens, acked)
    finally:
        stop(again)


def check_nothing_lost_or_half_written(client: httpx.Client, tokens: Tokens, acked: Acked) -> None:
    # Every acknowledged note is in its case's history, once.
    for cid, notes in acked.notes.items():
        r = client.get(f"/v1/cases/{cid}/history", headers=auth(tokens.auditor))
        assert r.status_code == 200, r.text
        text = json.dumps(r.json()["events"], ensure_ascii=False)
        missing = [n for n in notes if text.count(f'"{n}"') != 1]
        assert not missing, f"acknowledged notes lost or doubled on {cid}: {missing}"
    # Every acknowledged registration reads back with its title and reference.
    for cid, title, reference in acked.registered:
        r = client.get(f"/v1/cases/{cid}", headers=auth(tokens.coordinator))
        assert r.status_code == 200, r.text
        assert (r.json()["title"], r.json()["reference"]) == (title, reference)

    # Nothing half-written: every stream in the log has versions 1..n, and every case's chain verifies,
    # including cases whose registration was in flight at the kill (stored but never answered).
    events = audit_feed(client, tokens.auditor)
    versions: dict[str, list[int]] = defaultdict(list)
    for e in events:
        assert e.get("error") is None, e
        versions[e["stream"]].append(e["version"])
    for stream, vs in versions.items():
        assert vs == list(range(1, len(vs) + 1)), f"stream {stream} has versions {vs}"
    case_ids = {e["stream"] for e in events if str(e["type"]).endswith("CaseRegistered")}
    assert {cid for cid, _, _ in acked.registered} | set(acked.notes) <= case_ids
    for cid in case_ids:
        r = client.get(f"/v1/cases/{cid}/verification", headers=auth(tokens.auditor))
        assert r.status_code == 200, r.text
        assert r.json()["ok"] is True, f"{cid}: {r.json()}"
        assert r.json()["events_checked"] == len(versions[cid])
    references = [e["data"]["reference"] for e in events if str(e["type"]).endswith("CaseRegistered")]
    assert len(references) == len(set(references)), "a reference number was given twice"

    # The restarted worker brings the views to the log's head, with every acknowledged registration.
    listed = wait_for_views(client, tokens.coordinator, max(e["position"] for e in events), 20)
    assert {cid for cid, _, _ in acked.registered} <= {c["id"] for c in listed}
    assert {c["id"] for c in listed} == case_ids
