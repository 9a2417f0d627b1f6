"""A real `casetrail serve` process, driven over HTTP as a client team would."""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server, start, stop
from tests.http.scenario import (
    EXPECTED_STATUSES,
    auth,
    check_history,
    issue_tokens,
    register,
    step,
    tier2_life_with_redo,
)

pytestmark = pytest.mark.e2e


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


def test_many_clients_on_one_version_exactly_one_wins(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        tokens = issue_tokens(client, admin_token(server))
        case = register(client, tokens.coordinator)
        step(
            client,
            tokens.coordinator,
            case["id"],
            "dispatch",
            {"tier": "handling", "lead_department": "econ-info", "co_departments": []},
        )
        signed = step(client, tokens.lead, case["id"], "sign-for")

    def send(i: int) -> int:
        headers = auth(tokens.lead, **{"If-Match": f'"{signed["version"]}"'})
        with httpx.Client(base_url=server.url, timeout=30) as c:
            return c.post(f"/v1/cases/{case['id']}/progress", json={"note": f"进展 {i}"}, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(send, range(20)))
    assert codes.count(200) == 1
    assert set(codes) <= {200, 412}
    with httpx.Client(base_url=server.url, timeout=10) as client:
        events = client.get(f"/v1/cases/{case['id']}/history", headers=auth(tokens.auditor)).json()["events"]
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
    from tests.conftest import POSTGRES_URL, require_postgres, reset_postgres
    from tests.e2e.conftest import BIN

    require_postgres()
    reset_postgres()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASETRAIL_")}
    env["CASETRAIL_DATABASE_URL"] = POSTGRES_URL
    subprocess.run([str(BIN), "migrate"], env=env, check=True, capture_output=True, timeout=60)
    servers = [start(env, tmp_path), start(env, tmp_path)]
    try:
        with httpx.Client(base_url=servers[0].url, timeout=30) as client:
            tokens = issue_tokens(client, admin_token(servers[0]))
            case = register(client, tokens.coordinator)
            step(
                client,
                tokens.coordinator,
                case["id"],
                "dispatch",
                {"tier": "handling", "lead_department": "econ-info", "co_departments": []},
            )
            signed = step(client, tokens.lead, case["id"], "sign-for")

        def send(i: int) -> int:
            headers = auth(tokens.lead, **{"If-Match": f'"{signed["version"]}"'})
            with httpx.Client(base_url=servers[i % 2].url, timeout=30) as c:
                return c.post(
                    f"/v1/cases/{case['id']}/progress", json={"note": f"进展 {i}"}, headers=headers
                ).status_code

        with ThreadPoolExecutor(max_workers=20) as pool:
            codes = list(pool.map(send, range(20)))
        assert (codes.count(200), set(codes)) == (1, {200, 412})
        with httpx.Client(base_url=servers[1].url, timeout=10) as client:
            events = client.get(f"/v1/cases/{case['id']}/history", headers=auth(tokens.auditor)).json()["events"]
        assert len(events) == signed["version"] + 1
    finally:
        for s in servers:
            stop(s)
