"""Scale-out drill: a private PostgreSQL primary and a streaming replica, two `casetrail serve` processes reading from
the replica, two `casetrail worker` processes, under command load; then the failures scale-out must survive.

1. kill -9 of the active worker: the standby holds every projection lock and the tracking and checkpoint locks
   within `TAKEOVER_BOUND` seconds (measured on the primary's pg_locks), and the views reach the log's head;
2. the replica stopped and restarted: reads keep answering 200 meanwhile (from the primary: a log line and the
   fallback metric say so), a `min_position` read after a command included, and reads return to the replica;
3. kill -9 of an API process: each command it had in flight was either answered 2xx and is in the history once,
   or never answered and is in the history at most once (recorded or not, never twice).

Afterwards every view, on the primary and on the replica, equals a fold of the events from scratch (nothing applied
twice or skipped across the takeover), every stream's versions run 1..n and `casetrail audit verify` passes.
Each instance has its own directories and ports and is stopped and deleted at the end (pg_instance.py).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
import psycopg
import pytest

from infrastructure.checkpoint_runner import LOCK_NAME as CHECKPOINT_LOCK
from infrastructure.tracking_runner import LOCK_NAME as TRACKING_LOCK
from infrastructure.views.runner import lock_key
from tests.e2e.conftest import BIN, Server, start
from tests.http.scenario import CASE_BODY, Tokens, auth, issue_tokens, signed_for_case
from tests.projections.folds import folded_rows, projected_rows
from tests.reliability.pg_instance import (
    PgInstance,
    find_bin_dir,
    private_postgres,
    replay_lag_bytes,
    streaming_replica,
)

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

TAKEOVER_BOUND = 5.0  # seconds from kill -9 of the active worker to the standby holding all its locks
READ_BOUND = 4.0  # seconds a read may take while the replica is down (one 1 s pool wait, then the primary)
THREADS = 4
PROJECTIONS = ("cases", "reports", "projects")


@dataclass
class Cluster:
    primary: PgInstance
    replica: PgInstance
    env: dict[str, str]
    tmp: Path


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    if find_bin_dir() is None:
        why = "initdb/pg_ctl/pg_basebackup not found (looked in /usr/lib/postgresql/*/bin and PATH)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the scale-out drill needs private PostgreSQL instances under CI=true: {why}")
        pytest.skip(why)
    with private_postgres(max_connections=200) as primary:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CASETRAIL_")}
        env.update(
            CASETRAIL_DATABASE_URL=primary.url,
            CASETRAIL_INTEGRITY_KEY_FILE=str(tmp_path / "integrity.key"),
            CASETRAIL_MASTER_KEY_FILE=str(tmp_path / "master.key"),
            CASETRAIL_CHECKPOINT_LOG=str(tmp_path / "checkpoints.jsonl"),
            CASETRAIL_CHECKPOINT_EVERY="5",
            CASETRAIL_PROJECTION_BATCH="20",  # several batches per second under load: the kill lands between two
        )
        subprocess.run([str(BIN), "migrate"], env=env, check=True, capture_output=True, timeout=120)
        with streaming_replica(primary) as replica:
            env["CASETRAIL_READ_DATABASE_URL"] = replica.url
            yield Cluster(primary, replica, env, tmp_path)


@dataclass
class Processes:
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def worker(self, env: dict[str, str], name: str, log: Path) -> subprocess.Popen[bytes]:
        """A worker whose connections carry `name` as their application_name (libpq's PGAPPNAME)."""
        with log.open("wb") as sink:
            p = subprocess.Popen(
                [str(BIN), "worker"], env={**env, "PGAPPNAME": name}, stdout=subprocess.DEVNULL, stderr=sink
            )
        self.started.append(p)
        return p

    def serve(self, env: dict[str, str], cwd: Path) -> Server:
        server = start(env, cwd)
        self.started.append(server.process)
        return server


@pytest.fixture
def processes() -> Iterator[Processes]:
    """Every process the drill starts, killed at the end whatever happened."""
    procs = Processes()
    yield procs
    for p in procs.started:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)


def kill9(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


@dataclass
class Outcomes:
    """Per command marker: what the client was told (status), or -1 when the connection died before an answer."""

    acked_notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    unknown_notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    unknown_registrations: list[str] = field(default_factory=list)
    registered: list[tuple[str, str]] = field(default_factory=list)
    transport_errors: list[tuple[float, str, str]] = field(default_factory=list)  # (monotonic time, url, error)
    read_statuses: list[int] = field(default_factory=list)
    command_statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Load:
    """`THREADS` clients sending commands (progress notes, every fifth a registration) and reads, each to its API
    process; a client whose process died moves to the other one."""

    def __init__(self, urls: list[str], tokens: Tokens, cases: list[str]) -> None:
        self.urls, self.tokens, self.cases = urls, tokens, cases
        self.out = Outcomes()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(THREADS)]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in self.threads)

    def _client(self, n: int) -> None:
        url = self.urls[n % len(self.urls)]
        case = self.cases[n]
        i = 0
        while not self.stopping.is_set():
            i += 1
            marker = f"drill-{n}-{i}"
            with httpx.Client(base_url=url, timeout=15) as client:
                try:
                    self._one(client, n, i, case, marker)
                except httpx.TransportError as e:
                    with self.out.lock:
                        if i % 5 == 0:
                            self.out.unknown_registrations.append(marker)
                        else:
                            self.out.unknown_notes[case].append(marker)
                        self.out.transport_errors.append((time.monotonic(), url, type(e).__name__))
                    if isinstance(e, httpx.ConnectError):  # the process is gone: go to the other one
                        url = next(u for u in self.urls if u != url)
                    time.sleep(0.05)

    def _one(self, client: httpx.Client, n: int, i: int, case: str, marker: str) -> None:
        t = self.tokens
        if i % 5 == 0:
            r = client.post("/v1/cases", json={**CASE_BODY, "title": marker}, headers=auth(t.coordinator))
            with self.out.lock:
                self.out.command_statuses.append(r.status_code)
                if r.status_code == 201:
                    self.out.registered.append((r.json()["id"], marker))
        else:
            r = client.post(f"/v1/cases/{case}/progress", json={"note": marker}, headers=auth(t.lead))
            with self.out.lock:
                self.out.command_statuses.append(r.status_code)
                if r.status_code == 200:
                    self.out.acked_notes[case].append(marker)
        if i % 2 == 0:
            path = "/v1/cases" if i % 4 == 0 else f"/v1/cases/{case}/history"
            read = client.get(path, headers=auth(t.coordinator if i % 4 == 0 else t.auditor))
            with self.out.lock:
                self.out.read_statuses.append(read.status_code)


def half_sent_note(url: str, token: str, case: str, marker: str) -> socket.socket:
    """A progress note whose headers and half its body have reached the API process, which waits for the rest."""
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps({"note": marker}).encode()
    conn = socket.create_connection((host, int(port)), timeout=15)
    conn.sendall(
        f"POST /v1/cases/{case}/progress HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body[: len(body) // 2]
    )
    time.sleep(0.2)  # the process has read what was sent
    return conn


def held_locks(primary: PgInstance) -> dict[str, str]:
    """Which worker (its connections' application_name, PGAPPNAME) holds each of the worker's advisory locks."""
    names = [*PROJECTIONS, TRACKING_LOCK, CHECKPOINT_LOCK]
    keys = {lock_key(n) & MASK: n for n in names}
    with psycopg.connect(primary.url, autocommit=True, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT a.application_name, (l.classid::bigint << 32) | l.objid::bigint FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted"
        ).fetchall()
    return {keys[key & MASK]: str(app) for app, key in rows if key & MASK in keys}


MASK = 0xFFFFFFFFFFFFFFFF


def wait_until(condition: Any, seconds: float, what: str, every: float = 0.05) -> float:
    """Seconds until `condition()` held; fails after `seconds`."""
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < seconds, f"timed out after {seconds} s waiting for {what}"
        time.sleep(every)
    return time.monotonic() - began


def head(primary: PgInstance) -> int:
    with psycopg.connect(primary.url, autocommit=True, connect_timeout=5) as conn:
        row = conn.execute("SELECT MAX(notification_id) FROM casetrail_events").fetchone()
    return int(row[0] or 0) if row else 0


def metric(client: httpx.Client, name: str) -> float:
    total = 0.0
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def views_reach(client: httpx.Client, token: str, position: int) -> bool:
    r = client.get("/v1/cases", params={"min_position": position, "limit": 1}, headers=auth(token))
    assert r.status_code in (200, 503), r.text
    return r.status_code == 200


def test_scale_out_drill_worker_failover_replica_restart_and_api_kill(cluster: Cluster, processes: Processes) -> None:
    timings: dict[str, float] = {}
    drill_began = time.monotonic()
    tmp, env = cluster.tmp, cluster.env
    first = processes.worker(env, "worker-1", tmp / "worker-1.log")
    wait_until(lambda: len(held_locks(cluster.primary)) == 5, 30, "the first worker to take every lock")
    assert set(held_locks(cluster.primary).values()) == {"worker-1"}
    second = processes.worker(env, "worker-2", tmp / "worker-2.log")
    a, b = processes.serve(env, tmp), processes.serve(env, tmp)

    with httpx.Client(base_url=a.url, timeout=15) as client:
        admin = a.cli("tokens", "create", "--name", "ops", "--role", "admin").strip().splitlines()[-1]
        tokens = issue_tokens(client, admin)
        cases = [signed_for_case(client, tokens, title=f"drill-base-{n}")["id"] for n in range(THREADS)]
        ready = client.get("/readyz").json()
        assert ready["replica"]["status"] == "up" and ready["replica"]["standby"] is True, ready

    load = Load([a.url, b.url], tokens, cases)
    load.start()
    try:
        time.sleep(2.0)

        # 1. kill -9 of the active worker: the standby takes every lock over.
        assert held_locks(cluster.primary) == dict.fromkeys([*PROJECTIONS, TRACKING_LOCK, CHECKPOINT_LOCK], "worker-1")
        assert second.poll() is None
        killed = time.monotonic()
        kill9(first)
        takeover = wait_until(
            lambda: set((locks := held_locks(cluster.primary)).values()) == {"worker-2"} and len(locks) == 5,
            TAKEOVER_BOUND + 10,
            "the standby to take every lock",
        )
        timings["worker takeover (s)"] = takeover
        assert takeover <= TAKEOVER_BOUND, f"the standby took {takeover:.2f} s to take over"
        with httpx.Client(base_url=a.url, timeout=15) as client:
            target = head(cluster.primary)
            timings["views at head after the kill (s)"] = (
                time.monotonic()
                - killed
                + wait_until(
                    lambda: views_reach(client, tokens.coordinator, target), 20, "the standby's views to reach the head"
                )
            )
        worker2_log = (tmp / "worker-2.log").read_text(encoding="utf-8", errors="replace")
        assert "now holds the tracking lock" in worker2_log and "now holds the cases lock" in worker2_log

        # 2. The replica stopped, then started again: reads keep answering, from the primary meanwhile.
        with httpx.Client(base_url=a.url, timeout=15) as client:
            fallbacks_before = metric(client, "casetrail_replica_fallbacks_total")
            assert fallbacks_before == 0, "reads went to the primary while the replica was up"
            statuses_before = len(load.out.read_statuses)
            cluster.replica.stop("immediate")
            down = time.monotonic()
            slowest = 0.0
            while time.monotonic() - down < 3.0:
                began = time.monotonic()
                r = client.get("/v1/cases", params={"limit": 5}, headers=auth(tokens.coordinator))
                slowest = max(slowest, time.monotonic() - began)
                assert r.status_code == 200, f"a read while the replica is down: {r.status_code} {r.text}"
                h = client.get(f"/v1/cases/{cases[0]}/history", headers=auth(tokens.auditor))
                assert h.status_code == 200, h.text
            # Read-your-writes while the replica is down: the wait and the read both go to the primary.
            note = client.post(
                f"/v1/cases/{cases[0]}/progress", json={"note": "replica-down"}, headers=auth(tokens.lead)
            )
            assert note.status_code == 200, note.text
            position = note.json()["position"]
            seen = client.get("/v1/cases", params={"min_position": position}, headers=auth(tokens.coordinator))
            assert seen.status_code == 200, seen.text
            assert slowest < READ_BOUND, f"a read took {slowest:.1f} s while the replica was down"
            assert client.get("/readyz").json()["replica"]["status"] == "down"
            assert metric(client, "casetrail_replica_fallbacks_total") > fallbacks_before
            assert "does not answer" in a.log.read_text(encoding="utf-8", errors="replace")
            cluster.replica.start()
            back = time.monotonic()
            timings["replica answers again after start (s)"] = wait_until(
                lambda: client.get("/readyz").json()["replica"]["status"] == "up", 30, "the replica to answer again"
            )
            wait_until(lambda: replay_lag_bytes(cluster.primary) == 0, 30, "the replica to catch up")
            # Reads return to the replica: soon a run of list and case reads needs no fallback at all (each pool
            # reconnects with its own backoff, so this takes a few seconds after the replica answers).

            def all_on_replica() -> bool:
                before = metric(client, "casetrail_replica_fallbacks_total")
                for _ in range(10):
                    assert client.get("/v1/cases", headers=auth(tokens.coordinator)).status_code == 200
                    assert client.get(f"/v1/cases/{cases[0]}", headers=auth(tokens.coordinator)).status_code == 200
                return metric(client, "casetrail_replica_fallbacks_total") == before

            timings["reads back on the replica after start (s)"] = (
                time.monotonic() - back + wait_until(all_on_replica, 30, "reads to return to the replica", every=0.5)
            )
            assert "answers again" in a.log.read_text(encoding="utf-8", errors="replace")
            timings["replica outage (s)"] = back - down
        assert set(load.out.read_statuses[statuses_before:]) == {200}, "the load's reads failed during the outage"

        # 3. kill -9 of an API process with commands in flight. Whether one of the load's requests is inside the
        # process at that instant is timing; one is made certain: a command whose body has only half arrived.
        time.sleep(1.0)
        partial = half_sent_note(b.url, tokens.lead, cases[0], "drill-partial")
        api_killed = time.monotonic()
        kill9(b.process)
        try:
            cut_off = partial.recv(1024) == b""  # the process died with the request unanswered
        except ConnectionResetError:
            cut_off = True
        partial.close()
        time.sleep(2.0)
    finally:
        load.stop()

    out = load.out
    assert sum(map(len, out.acked_notes.values())) > 50 and out.registered, "too little load was acknowledged"
    assert set(out.command_statuses) <= {200, 201}, f"unexpected command answers: {set(out.command_statuses)}"
    assert set(out.read_statuses) == {200}, f"unexpected read answers: {set(out.read_statuses)}"
    early = [e for e in out.transport_errors if e[0] < api_killed or e[1] != b.url]
    assert not early, f"requests failed before the API process was killed, or on the other one: {early}"
    assert cut_off, "the half-sent command was answered: the API process was not killed mid-request"
    cut = [e for e in out.transport_errors if e[2] != "ConnectError"]
    timings["load requests cut mid-flight"] = len(cut)  # often some; the half-sent command always

    with httpx.Client(base_url=a.url, timeout=30) as client:
        end = head(cluster.primary)
        wait_until(lambda: views_reach(client, tokens.coordinator, end), 30, "the views to reach the head", every=0.2)
        for cid in cases:
            text = json.dumps(history(client, tokens.auditor, cid), ensure_ascii=False)
            doubled_or_lost = [m for m in out.acked_notes[cid] if text.count(f'"{m}"') != 1]
            assert not doubled_or_lost, f"acknowledged notes lost or doubled on {cid}: {doubled_or_lost}"
            doubled = [m for m in out.unknown_notes[cid] if text.count(f'"{m}"') > 1]
            assert not doubled, f"unanswered notes recorded twice on {cid}: {doubled}"
        partial_text = json.dumps(history(client, tokens.auditor, cases[0]), ensure_ascii=False)
        assert '"drill-partial' not in partial_text, "a command whose body never arrived was recorded"
        for cid, title in out.registered:
            r = client.get(f"/v1/cases/{cid}", headers=auth(tokens.coordinator))
            assert r.status_code == 200 and r.json()["title"] == title, r.text
        # Registrations: each answered one is a case once; each unanswered one at most once.
        titles = [item["title"] for item in all_cases(client, tokens.coordinator)]
        assert all(titles.count(t) == 1 for _, t in out.registered), "an answered registration is not one case"
        assert all(titles.count(t) <= 1 for t in out.unknown_registrations), "an unanswered registration doubled"

    wait_until(lambda: replay_lag_bytes(cluster.primary) == 0, 30, "the replica to replay everything")
    check_views_equal_a_rebuild(cluster)
    verify = subprocess.run(
        [str(BIN), "audit", "verify"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert ": 0 broken" in verify.stdout, verify.stdout
    timings["whole drill (s)"] = time.monotonic() - drill_began
    print("scale-out drill: " + ", ".join(f"{k} {v:.2f}" for k, v in timings.items()))


def all_cases(client: httpx.Client, token: str) -> list[dict[str, Any]]:
    """Every case in the case list, all pages."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        r = client.get("/v1/cases", params=params, headers=auth(token))
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        if not r.json()["next_cursor"]:
            return items
        params = {"limit": 100, "cursor": r.json()["next_cursor"]}


def history(client: httpx.Client, token: str, case_id: str) -> list[dict[str, Any]]:
    """Every event of the case, all pages."""
    events: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 1000}
    while True:
        r = client.get(f"/v1/cases/{case_id}/history", params=params, headers=auth(token))
        assert r.status_code == 200, r.text
        events += r.json()["events"]
        if not r.json()["next_cursor"]:
            return events
        params = {"limit": 1000, "cursor": r.json()["next_cursor"]}


def check_views_equal_a_rebuild(cluster: Cluster) -> None:
    """On the primary and on the replica, every projection's tables equal a fold of the events from scratch; and
    every stream's versions run 1..n."""
    from infrastructure.container import Container, build, build_views
    from infrastructure.settings import Settings

    keys = {k.removeprefix("CASETRAIL_").lower(): v for k, v in cluster.env.items() if k.startswith("CASETRAIL_")}
    keys.pop("read_database_url")
    primary = build(Settings(**keys), create_tables=False)
    # Only the replica's view tables (a container opens the store read-write: a hot standby refuses that).
    replica_views = build_views(Settings(**{**keys, "database_url": cluster.replica.url}), create_tables=False)
    replica = cast(Container, SimpleNamespace(views=replica_views))
    try:
        versions: dict[Any, list[int]] = defaultdict(list)
        for n in primary.store.recorder.select_notifications(start=None, limit=10**9):
            versions[n.originator_id].append(n.originator_version)
        for stream, vs in versions.items():
            assert vs == list(range(1, len(vs) + 1)), f"stream {stream} has versions {vs}"
        for projection in primary.projections:
            folded = folded_rows(primary, projection)
            assert projected_rows(primary, projection) == folded, f"{projection.name} on the primary"
            assert projected_rows(replica, projection) == folded, f"{projection.name} on the replica"
    finally:
        primary.close()
        replica_views.close()
