"""`casetrail serve` and `casetrail worker` as operators run them: log lines, /metrics summed over `--workers N`,
the worker's metrics port, and `make serve PORT=N`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import POSTGRES_URL, require_postgres, reset_postgres
from tests.e2e.conftest import BIN, Server, free_port, start, stop
from tests.e2e.test_serve import admin_token
from tests.http.scenario import CASE_BODY, auth, issue_tokens

pytestmark = pytest.mark.e2e


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("CASETRAIL_", "PROMETHEUS_"))}


def stderr_of(server: Server) -> str:
    stop(server)
    return server.log.read_text(encoding="utf-8")


def test_serve_logs_json_lines_with_time_level_logger_and_request_id_and_no_secret(tmp_path: Path) -> None:
    env = {**clean_env(), "CASETRAIL_DATABASE_URL": f"sqlite:///{tmp_path / 'logs.db'}", "CASETRAIL_LOG_FORMAT": "json"}
    server = start(env, tmp_path)
    try:
        admin = admin_token(server)
        with httpx.Client(base_url=server.url, timeout=10) as client:
            tokens = issue_tokens(client, admin)
            r = client.post("/v1/cases", json=CASE_BODY, headers=auth(tokens.coordinator, **{"X-Request-ID": "req-42"}))
            assert r.status_code == 201 and r.headers["X-Request-ID"] == "req-42"
            phone = CASE_BODY["contact"]["phone"]  # type: ignore[index]
            searched = client.get("/v1/cases", params={"q": phone}, headers=auth(tokens.coordinator))
            assert searched.status_code == 200  # the access line names the path, not the query with the phone
    finally:
        text = stderr_of(server)
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert lines, text
    for line in lines:
        assert {"time", "level", "logger", "request_id", "message"} <= set(line)
        assert datetime.fromisoformat(line["time"]).tzinfo is not None
    assert any(line["logger"] == "casetrail.api" and line["level"] == "INFO" for line in lines), text
    access = [line for line in lines if line["logger"] == "uvicorn.access" and line["request_id"] == "req-42"]
    assert access and "/v1/cases" in access[0]["message"], text
    for secret in (admin, tokens.coordinator, CASE_BODY["contact"]["phone"]):  # type: ignore[index]
        assert secret not in text


@pytest.mark.postgres
def test_metrics_under_two_workers_count_every_request_whichever_process_answers(tmp_path: Path) -> None:
    require_postgres()
    reset_postgres()
    env = {**clean_env(), "CASETRAIL_DATABASE_URL": POSTGRES_URL, "CASETRAIL_LOG_LEVEL": "warning"}
    subprocess.run([str(BIN), "migrate"], env=env, check=True, capture_output=True, timeout=60)
    server = start(env, tmp_path, "--workers", "2")
    try:
        before = healthz_count(server)
        for _ in range(40):
            assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200  # a new connection each
        assert [healthz_count(server) - before for _ in range(5)] == [40] * 5
    finally:
        stop(server)


def healthz_count(server: Server) -> float:
    text = httpx.get(f"{server.url}/metrics", timeout=5).text
    return sum(
        s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "casetrail_http_requests_total" and s.labels.get("route") == "/healthz"
    )


def test_worker_serves_its_metrics_on_the_port_given(tmp_path: Path) -> None:
    """`casetrail worker --metrics-port P`: Prometheus text on P, with the tracking job's run counted."""
    env = {**clean_env(), "CASETRAIL_DATABASE_URL": f"sqlite:///{tmp_path / 'worker.db'}"}
    subprocess.run([str(BIN), "migrate"], env=env, check=True, capture_output=True, timeout=60)
    port = free_port()
    log = tmp_path / "worker.log"
    with log.open("wb") as sink:
        worker = subprocess.Popen([str(BIN), "worker", "--metrics-port", str(port)], env=env, stdout=sink, stderr=sink)
    try:
        runs = 0.0
        deadline = time.monotonic() + 30
        while runs < 1 and time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text(encoding="utf-8")
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            families = {f.name: f for f in text_string_to_metric_families(text)}
            runs = sum(s.value for s in families["casetrail_tracking_runs"].samples if s.name.endswith("_total"))
            time.sleep(0.2)
        assert runs >= 1, "the worker's first tracking run is counted within 30 s"
        assert "casetrail_group_commit_batch_size" in families
    finally:
        worker.terminate()
        assert worker.wait(timeout=15) == 0, log.read_text(encoding="utf-8")


def test_make_serve_listens_on_the_port_given(tmp_path: Path) -> None:
    """`make serve PORT=N` (the README's first command, on another port) answers on N."""
    repo = Path(__file__).resolve().parents[2]
    if not (repo / ".venv" / "bin" / "casetrail").exists() or Path(sys.executable).parent != repo / ".venv" / "bin":
        pytest.fail("run the tests with the repository's own .venv (`make test`): `make serve` starts that one")
    port = free_port()
    env = {**clean_env(), "CASETRAIL_DATABASE_URL": f"sqlite:///{tmp_path / 'make.db'}"}
    log = tmp_path / "make.log"
    with log.open("wb") as sink:
        make = subprocess.Popen(
            ["make", "-C", str(repo), "serve", f"PORT={port}"],
            env=env,
            stdout=sink,
            stderr=sink,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120  # make may first bring the virtualenv up to date
        answered = False
        while not answered and time.monotonic() < deadline:
            assert make.poll() is None, log.read_text(encoding="utf-8")
            try:
                answered = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                time.sleep(0.3)
        assert answered, log.read_text(encoding="utf-8")
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        make.wait(timeout=15)
