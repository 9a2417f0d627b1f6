"""A real `casetrail serve` process, driven over HTTP as a client team would."""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, start, stop
from tests.http.scenario import (
    EXPECTED_STATUSES,
    Tokens,
    auth,
    check_history,
    issue_tokens,
    register,
    signed_for_case,
    tier2_life_with_redo,
)

pytestmark = pytest.mark.e2e


def migrated_postgres() -> dict[str, str]:
    """The environment of a server on the test PostgreSQL database, emptied and migrated."""
    from tests.conftest import POSTGRES_URL, require_postgres, reset_postgres
    from tests.e2e.conftest import BIN

    require_postgres()
    reset_postgres()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASETRAIL_")}
    env["CASETRAIL_DATABASE_URL"] = POSTGRES_URL
    subprocess.run([str(BIN), "migrate"], env=env, check=True, capture_output=True, timeout=60)
    return env


def admin_token(server: Server) -> str:
    output = server.cli("tokens", "create", "--name", "ops", "--role", "admin")
    return output.strip().splitlines()[-1]


def test_a_case_lives_its_whole_life_over_http(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        tokens = issue_tokens(client, admin_token(server))
        cid, statuses = tier2_life_with_redo(client, tokens)
        assert statuses == EXPECTED_STATUSES
        check_history(client, tokens, cid)
        assert client.get("/docs").status_code == 200
        assert "/v1/cases/{case_id}/sign-for" in client.get("/openapi.json").json()["paths"]


def race_on_one_version(urls: list[str], tokens: Tokens, signed: dict[str, Any], clients: int = 20) -> list[int]:
    """`clients` progress notes at once, all with the same If-Match, spread over the given servers."""

    def send(i: int) -> int:
        headers = auth(tokens.lead, **{"If-Match": f'"{signed["version"]}"'})
        with httpx.Client(base_url=urls[i % len(urls)], timeout=30) as c:
            return c.post(f"/v1/cases/{signed['id']}/progress", json={"note": f"进展 {i}"}, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(send, range(clients)))


def history(url: str, tokens: Tokens, case_id: str) -> list[dict[str, Any]]:
    with httpx.Client(base_url=url, timeout=10) as client:
        return list(client.get(f"/v1/cases/{case_id}/history", headers=auth(tokens.auditor)).json()["events"])


def test_many_clients_on_one_version_exactly_one_wins(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        tokens = issue_tokens(client, admin_token(server))
        signed = signed_for_case(client, tokens)
    codes = race_on_one_version([server.url], tokens, signed)
    assert (codes.count(200), set(codes)) == (1, {200, 412})
    events = history(server.url, tokens, signed["id"])
    assert [e["type"] for e in events].count("CaseProgressLogged") == 1
    assert len(events) == signed["version"] + 1


def test_acknowledged_writes_survive_a_restart(server: Server, server_env: dict[str, str], tmp_path: Path) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        tokens = issue_tokens(client, admin_token(server))
        case = register(client, tokens.coordinator, title="重启后仍在")
    stop(server)
    again = start(server_env, tmp_path)
    try:
        with httpx.Client(base_url=again.url, timeout=10) as client:
            r = client.get(f"/v1/cases/{case['id']}", headers=auth(tokens.coordinator))
            assert (r.status_code, r.json()["title"], r.json()["reference"]) == (200, "重启后仍在", case["reference"])
    finally:
        stop(again)


@pytest.mark.postgres
def test_one_winner_across_two_server_processes_on_postgres(tmp_path: Path) -> None:
    env = migrated_postgres()
    servers = [start(env, tmp_path), start(env, tmp_path)]
    try:
        with httpx.Client(base_url=servers[0].url, timeout=30) as client:
            tokens = issue_tokens(client, admin_token(servers[0]))
            signed = signed_for_case(client, tokens)
        codes = race_on_one_version([s.url for s in servers], tokens, signed)
        assert (codes.count(200), set(codes)) == (1, {200, 412})
        assert len(history(servers[1].url, tokens, signed["id"])) == signed["version"] + 1
    finally:
        for s in servers:
            stop(s)


@pytest.mark.postgres
def test_several_api_processes_share_one_port_on_postgres(tmp_path: Path) -> None:
    """`serve --workers 2`: both processes answer on the port, and a race between them still has one winner."""
    env = migrated_postgres()
    server = start(env, tmp_path, "--workers", "2")
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            tokens = issue_tokens(client, admin_token(server))
            signed = signed_for_case(client, tokens)
        codes = race_on_one_version([server.url, server.url], tokens, signed)
        assert (codes.count(200), set(codes)) == (1, {200, 412})
    finally:
        stop(server)


def test_several_api_processes_are_refused_on_sqlite(tmp_path: Path) -> None:
    from tests.e2e.conftest import BIN

    env = {k: v for k, v in os.environ.items() if not k.startswith("CASETRAIL_")}
    env["CASETRAIL_DATABASE_URL"] = f"sqlite:///{tmp_path / 'casetrail.db'}"
    done = subprocess.run(
        [str(BIN), "serve", "--workers", "2"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert "--workers 1" in done.stdout + done.stderr


@pytest.mark.postgres
def test_a_token_revoked_through_one_process_is_refused_by_the_other_at_once(tmp_path: Path) -> None:
    """Each API process remembers active tokens; a revocation through another process reaches it as it commits."""
    env = migrated_postgres()
    first, second = start(env, tmp_path), start(env, tmp_path)
    try:
        with httpx.Client(base_url=first.url, timeout=30) as a, httpx.Client(base_url=second.url, timeout=30) as b:
            tokens = issue_tokens(a, admin_token(first))
            signed = signed_for_case(a, tokens)
            for _ in range(3):  # read through `second`: from now on it answers this token from memory
                assert b.get(f"/v1/cases/{signed['id']}", headers=auth(tokens.lead)).status_code == 200
            listed = a.get("/v1/tokens", headers=auth(tokens.admin)).json()["items"]
            lead = [t for t in listed if t["role"] == "handler" and t["department"] == "econ-info"]
            for t in lead:
                assert a.delete(f"/v1/tokens/{t['id']}", headers=auth(tokens.admin)).status_code == 204
            assert b.get(f"/v1/cases/{signed['id']}", headers=auth(tokens.lead)).status_code == 401
    finally:
        stop(first)
        stop(second)
