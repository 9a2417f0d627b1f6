"""The project endpoints in-process: commands, reads, roles, the four lists, warnings and the zone report."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.zone_report import ZONE_COLUMNS
from tests.http.scenario import CASE_BODY, PROJECT, Tokens, auth


def create(client: TestClient, t: Tokens, **overrides: Any) -> dict[str, Any]:
    r = client.post("/v1/projects", json={**PROJECT, **overrides}, headers=auth(t.coordinator))
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"/v1/projects/{r.json()['id']}"
    assert r.headers["ETag"] == '"1"'
    return dict(r.json())


def post(client: TestClient, token: str, pid: str, action: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(f"/v1/projects/{pid}/{action}", json=body, headers=auth(token, **headers))


def get(client: TestClient, token: str, path: str, **params: Any) -> Any:
    return client.get(path, params=params, headers=auth(token))


def test_register_answers_the_project_with_its_lists(client: TestClient, tokens: Tokens) -> None:
    p = create(client, tokens)
    assert (p["code"], p["zone"], p["planned_investment"], p["signed_on"]) == (
        "WJ-2026-001",
        "zone-1",
        120000.0,
        "2025-03-18",
    )
    assert p["milestones"] == {"started": None, "in_statistics": None, "completed": None, "in_production": None}
    assert (p["open_issues"], p["open_issue_ids"], p["version"]) == (0, [], 1)
    assert p["lists"]["start"]["colour"] == "red"  # 130 days late to start
    assert p["colour"] == "red"


def test_a_taken_code_is_409(client: TestClient, tokens: Tokens) -> None:
    create(client, tokens)
    r = client.post("/v1/projects", json={**PROJECT, "name": "重复"}, headers=auth(tokens.coordinator))
    assert (r.status_code, r.json()["rule"]) == (409, "project_code_taken")


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"colour": "red"}, "invalid_input"),
        ({"zone": "zone-9"}, "invalid_input"),
        ({"owner": {"name": "某公司", "credit_code": "123"}}, "invalid_input"),
        (
            {"planned": {"start": "2027-01-01", "completion": "2026-12-01", "production": "2028-01-01"}},
            "planned_dates_out_of_order",
        ),
        ({"signed_on": "2026-11-27"}, "signed_on_in_future"),
    ],
)
def test_malformed_registrations_are_422(client: TestClient, tokens: Tokens, change: dict[str, Any], rule: str) -> None:
    r = client.post("/v1/projects", json={**PROJECT, **change}, headers=auth(tokens.coordinator))
    assert (r.status_code, r.json()["rule"]) == (422, rule)


def test_milestones_progress_and_their_refusals(client: TestClient, tokens: Tokens) -> None:
    pid = create(client, tokens)["id"]
    c = tokens.coordinator
    r = post(client, c, pid, "milestones", {"milestone": "in_production", "date": "2026-11-01"})
    assert (r.status_code, r.json()["rule"]) == (409, "milestone_out_of_order")
    r = post(client, c, pid, "milestones", {"milestone": "started", "date": "2026-11-27"})
    assert (r.status_code, r.json()["rule"]) == (422, "milestone_in_future")
    r = post(client, c, pid, "milestones", {"milestone": "started", "date": "2026-08-28", "evidence": "施工许可证"})
    assert (r.status_code, r.headers["ETag"]) == (200, '"2"')
    assert r.json()["milestones"]["started"] == {"date": "2026-08-28", "evidence": "施工许可证"}
    assert r.json()["lists"]["start"]["reason"] == "2026-08-28开工已满2个月，仍未入库入统"
    r = post(client, c, pid, "milestones", {"milestone": "started", "date": "2026-08-29"})
    assert (r.status_code, r.json()["rule"]) == (409, "milestone_already_recorded")
    r = post(client, c, pid, "progress", {"percent_complete": 5, "investment_to_date": 900}, **{"If-Match": '"1"'})
    assert (r.status_code, r.json()["rule"]) == (412, "version_mismatch")
    r = post(client, c, pid, "progress", {"percent_complete": 101, "investment_to_date": 900})
    assert (r.status_code, r.json()["rule"]) == (422, "invalid_input")
    r = post(client, c, pid, "progress", {"percent_complete": 5, "investment_to_date": 900}, **{"If-Match": '"2"'})
    assert (r.status_code, r.json()["percent_complete"], r.json()["investment_to_date"]) == (200, 5.0, 900.0)


def test_a_retried_command_replays_its_first_answer(client: TestClient, tokens: Tokens) -> None:
    pid = create(client, tokens)["id"]
    body = {"percent_complete": 5, "investment_to_date": 900}
    first = post(client, tokens.coordinator, pid, "progress", body, **{"Idempotency-Key": "p-1"})
    again = post(client, tokens.coordinator, pid, "progress", body, **{"Idempotency-Key": "p-1"})
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (200, "true")
    assert again.json()["version"] == first.json()["version"] == 2


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("coordinator", 200),
        ("lead", 200),
        ("auditor", 200),
        ("reporter", 200),
        ("enterprise", 200),
        ("other_enterprise", 404),
        ("admin", 403),
    ],
)
def test_who_reads_a_project(client: TestClient, tokens: Tokens, who: str, status: int) -> None:
    pid = create(client, tokens)["id"]
    assert get(client, getattr(tokens, who), f"/v1/projects/{pid}").status_code == status


@pytest.mark.parametrize("who", ["lead", "auditor", "reporter", "enterprise"])
def test_only_coordinators_write(client: TestClient, tokens: Tokens, who: str) -> None:
    pid = create(client, tokens)["id"]
    r = post(client, getattr(tokens, who), pid, "progress", {"percent_complete": 5, "investment_to_date": 1})
    assert (r.status_code, r.json()["rule"]) == (403, "role_not_permitted")


def test_history_and_verification(client: TestClient, tokens: Tokens) -> None:
    pid = create(client, tokens)["id"]
    post(client, tokens.coordinator, pid, "milestones", {"milestone": "started", "date": "2026-08-28"})
    events = get(client, tokens.auditor, f"/v1/projects/{pid}/history").json()["events"]
    assert [e["type"] for e in events] == ["ProjectRegistered", "ProjectMilestoneRecorded"]
    assert events[1]["prev_hash"] == events[0]["hash"]
    assert get(client, tokens.lead, f"/v1/projects/{pid}/history").status_code == 403
    verdict = get(client, tokens.auditor, f"/v1/projects/{pid}/verification").json()
    assert verdict == {
        "ok": True,
        "events_checked": 2,
        "first_broken_version": None,
        "snapshots_checked": 0,
        "broken_snapshots": [],
    }
    assert get(client, tokens.coordinator, f"/v1/projects/{pid}/verification").status_code == 403


def test_a_project_issue_raises_the_open_issue_count(client: TestClient, tokens: Tokens) -> None:
    pid = create(client, tokens)["id"]
    r = client.post(
        "/v1/cases", json={**CASE_BODY, "kind": "project_issue", "project_id": pid}, headers=auth(tokens.coordinator)
    )
    assert r.status_code == 201, r.text
    project = get(client, tokens.coordinator, f"/v1/projects/{pid}", min_position=r.json()["position"]).json()
    assert (project["open_issues"], project["open_issue_ids"]) == (1, [r.json()["id"]])
    r = client.post(
        "/v1/cases", json={**CASE_BODY, "kind": "project_issue", "project_id": "nope"}, headers=auth(tokens.coordinator)
    )
    assert (r.status_code, r.json()["rule"]) == (422, "unknown_project")


def test_the_four_lists_and_the_project_list(client: TestClient, tokens: Tokens) -> None:
    red = create(client, tokens)
    green = create(client, tokens, code="WJ-2026-002", name="万春镇冷链物流园项目", zone="zone-3",
                   owner={"name": "某公司", "credit_code": "91110000600037341L"},
                   planned={"start": "2027-03-01", "completion": "2028-03-01", "production": "2028-09-01"})  # fmt: skip
    at = green["position"]
    items = get(client, tokens.reporter, "/v1/views/projects", list="start", min_position=at).json()["items"]
    assert [(i["code"], i["list"], i["colour"]) for i in items] == [
        ("WJ-2026-002", "start", "green"),
        ("WJ-2026-001", "start", "red"),
    ]
    assert "逾期3个月" in items[1]["reason"]
    assert get(client, tokens.lead, "/v1/views/projects", list="start").status_code == 403
    assert get(client, tokens.reporter, "/v1/views/projects", list="late").json()["rule"] == "invalid_input"
    found = get(client, tokens.lead, "/v1/projects", list="start", colour="red", min_position=at).json()
    assert ([i["id"] for i in found["items"]], found["next_cursor"]) == ([red["id"]], None)
    assert [i["id"] for i in get(client, tokens.coordinator, "/v1/projects", zone="zone-3").json()["items"]] == [
        green["id"]
    ]
    assert [i["id"] for i in get(client, tokens.enterprise, "/v1/projects").json()["items"]] == [red["id"]]
    first = get(client, tokens.auditor, "/v1/projects", limit=1).json()
    second = get(client, tokens.auditor, "/v1/projects", limit=1, cursor=first["next_cursor"]).json()
    assert [first["items"][0]["id"], second["items"][0]["id"], second["next_cursor"]] == [green["id"], red["id"], None]


def test_project_warnings_show_in_the_warnings_view(client: TestClient, tokens: Tokens) -> None:
    p = create(client, tokens)
    items = get(client, tokens.coordinator, "/v1/views/warnings", min_position=p["position"]).json()["items"]
    assert [(i["id"], i["level"], i["kind"], i["department"], i["reference"]) for i in items] == [
        (p["id"], "red", "project:start", "service-center", "WJ-2026-001")
    ]
    assert get(client, tokens.lead, "/v1/views/warnings").json()["items"] == []


def test_zone_report_as_json_and_csv(client: TestClient, tokens: Tokens) -> None:
    p = create(client, tokens)
    params = {"from": "2026-11-01", "to": "2026-11-30", "min_position": p["position"]}
    body = get(client, tokens.reporter, "/v1/reports/zones", **params).json()
    assert (body["from"], body["to"], [r["zone"] for r in body["items"]]) == (
        "2026-11-01",
        "2026-11-30",
        ["zone-1", "zone-2", "zone-3", "zone-4"],
    )
    one = body["items"][0]
    assert (one["projects"], one["start_red"], one["start_rate"], one["statistics_rate"]) == (1, 1, 0.0, None)
    r = client.get("/v1/reports/zones", params=params, headers=auth(tokens.auditor, Accept="text/csv"))
    assert r.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(r.text)))
    assert (lines[0], len(lines)) == (list(ZONE_COLUMNS), 5)
    assert get(client, tokens.lead, "/v1/reports/zones").status_code == 403


def test_openapi_documents_the_project_endpoints_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert "milestone_out_of_order" in paths["/v1/projects/{project_id}/milestones"]["post"]["description"]
    assert "examples" in spec["components"]["schemas"]["RegisterProject"]
    assert {"list", "limit", "cursor", "min_position"} <= {
        p["name"] for p in paths["/v1/views/projects"]["get"]["parameters"]
    }
    assert "text/csv" in paths["/v1/reports/zones"]["get"]["responses"]["200"]["content"]
