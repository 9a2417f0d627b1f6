"""Hostile and odd input found in review: each answers a clear 4xx, records nothing, and leaks nothing."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from tests.http.scenario import CASE_BODY, Tokens, auth, register, step


def forged(values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


@pytest.mark.parametrize("title", ["标题\u0000尾", "bell\u0007", "escape\u001b[31m"])
def test_control_characters_in_text_are_422_and_nothing_is_recorded(
    client: TestClient, tokens: Tokens, title: str
) -> None:
    r = client.post("/v1/cases", json={**CASE_BODY, "title": title}, headers=auth(tokens.coordinator))
    assert (r.status_code, r.json()["rule"]) == (422, "invalid_input")
    assert client.get("/v1/cases", headers=auth(tokens.coordinator)).json()["items"] == []
    assert client.get("/v1/cases", params={"q": "a\u0000"}, headers=auth(tokens.coordinator)).status_code == 422


def test_text_keeps_newlines_and_tabs(client: TestClient, tokens: Tokens) -> None:
    case = register(client, tokens.coordinator, description="第一行\n第二行\t缩进")
    assert case["description"] == "第一行\n第二行\t缩进"


@pytest.mark.parametrize("values", [[{}, {}], [[1], [2]], ["a", 10**30], "x", [1, 2, 3]])
@pytest.mark.parametrize("path", ["/v1/cases", "/v1/views/handling", "/v1/views/warnings", "/v1/projects"])
def test_a_forged_cursor_is_422(client: TestClient, tokens: Tokens, values: object, path: str) -> None:
    r = client.get(path, params={"cursor": forged(values)}, headers=auth(tokens.coordinator))
    assert (r.status_code, r.json()["rule"]) == (422, "invalid_cursor")


def test_far_off_project_dates_are_422(client: TestClient, tokens: Tokens) -> None:
    body = {
        "name": "远方项目",
        "code": "P-9999",
        "owner": {"name": "远大", "credit_code": CASE_BODY["enterprise"]["credit_code"]},
        "zone": "zone-1",
        "planned_investment": 800,
        "planned": {"start": "9999-11-15", "completion": "9999-12-31", "production": "9999-12-31"},
    }
    assert client.post("/v1/projects", json=body, headers=auth(tokens.coordinator)).status_code == 422
    assert client.get("/v1/projects", headers=auth(tokens.coordinator)).json()["items"] == []


def test_a_supervision_order_a_decade_away_is_refused(client: TestClient, tokens: Tokens) -> None:
    case = register(client, tokens.coordinator)
    step(
        client,
        tokens.coordinator,
        case["id"],
        "dispatch",
        {"tier": "handling", "lead_department": "econ-info", "co_departments": []},
    )
    r = client.post(
        f"/v1/cases/{case['id']}/escalation",
        json={"level": "supervise", "reason": "督办", "due": "2036-01-01"},
        headers=auth(tokens.coordinator),
    )
    assert (r.status_code, r.json()["rule"]) == (422, "due_too_far")


def test_only_project_issues_name_a_project(client: TestClient, tokens: Tokens) -> None:
    r = client.post(
        "/v1/cases", json={**CASE_BODY, "project_id": "not-a-uuid-<script>"}, headers=auth(tokens.enterprise)
    )
    assert (r.status_code, r.json()["rule"]) == (422, "project_only_for_project_issues")


def test_an_enterprise_list_hides_escalations_extensions_and_co_handling(client: TestClient, tokens: Tokens) -> None:
    case = register(client, tokens.coordinator)
    cid = case["id"]
    step(
        client,
        tokens.coordinator,
        cid,
        "dispatch",
        {"tier": "resolution", "lead_department": "econ-info", "co_departments": ["finance"]},
    )
    step(client, tokens.lead, cid, "sign-for")
    step(client, tokens.lead, cid, "extension-request", {"extra_working_days": 3, "reason": "内部原因 SECRET"})
    last = step(client, tokens.coordinator, cid, "escalation", {"level": "supervise", "reason": "督办"})
    items = client.get("/v1/cases", params={"min_position": last["position"]}, headers=auth(tokens.enterprise)).json()
    row = items["items"][0]
    assert "SECRET" not in json.dumps(row, ensure_ascii=False)
    assert (row["escalation_level"], row["warning_level"], row["extension"]) == (None, None, None)
    assert row["co_replies"] == [] and row["co_departments"] == []
    assert set(row["due"]) <= {"sign_for", "first_contact", "handling", "resolution", "revisit"}
    seen = client.get(f"/v1/cases/{cid}", headers=auth(tokens.enterprise)).json()
    assert "supervision" not in seen["due"] and not any(k.startswith("co_reply") for k in seen["due"])
    assert seen["co_departments"] == []


def test_tokens_issued_concurrently_all_succeed(client: TestClient, tokens: Tokens) -> None:
    def issue(i: int) -> int:
        body = {"name": f"批量 {i}", "role": "reporter"}
        return client.post("/v1/tokens", json=body, headers=auth(tokens.admin)).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(issue, range(40)))
    assert codes == [201] * 40
    listed = client.get("/v1/tokens", headers=auth(tokens.admin)).json()["items"]
    assert len({t["id"] for t in listed}) == len(listed) >= 40
