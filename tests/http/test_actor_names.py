"""Who did what, by name: histories and the audit feed show the name a token was issued under beside its id and
role; an enterprise's view of its case names no staff member; what the CLI did carries no name."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.http.scenario import CASE_BODY, DISPATCH, PROJECT, Tokens, auth


def _register_and_dispatch(client: TestClient, tokens: Tokens) -> str:
    case = client.post("/v1/cases", json=CASE_BODY, headers=auth(tokens.coordinator)).json()
    r = client.post(
        f"/v1/cases/{case['id']}/dispatch", json=DISPATCH, headers=auth(tokens.coordinator, **{"If-Match": '"1"'})
    )
    assert r.status_code == 200, r.text
    return str(case["id"])


def _actors(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["actor"] for e in events]


def test_case_history_names_each_staff_actor_beside_id_and_role(client: TestClient, tokens: Tokens) -> None:
    case_id = _register_and_dispatch(client, tokens)
    r = client.post(f"/v1/cases/{case_id}/sign-for", headers=auth(tokens.lead, **{"If-Match": '"2"'}))
    assert r.status_code == 200, r.text
    events = client.get(f"/v1/cases/{case_id}/history", headers=auth(tokens.coordinator)).json()["events"]
    actors = _actors(events)
    assert [(a["role"], a["name"]) for a in actors] == [
        ("coordinator", "coordinator {}"),
        ("coordinator", "coordinator {}"),
        ("handler", "handler {'department': 'econ-info'}"),
    ]
    assert all(a["id"] for a in actors)
    assert actors[0]["id"] == actors[1]["id"] != actors[2]["id"]


def test_an_enterprise_reads_no_staff_names_in_its_case_history(client: TestClient, tokens: Tokens) -> None:
    case_id = _register_and_dispatch(client, tokens)
    events = client.get(f"/v1/cases/{case_id}/history", headers=auth(tokens.enterprise)).json()["events"]
    assert events, "the enterprise sees its registration and dispatch"
    assert all(a["id"] is None and a["name"] is None for a in _actors(events))


def test_the_audit_feed_names_the_actors(client: TestClient, tokens: Tokens) -> None:
    case_id = _register_and_dispatch(client, tokens)
    items = client.get("/v1/audit/events?limit=500", headers=auth(tokens.auditor)).json()["items"]
    of_case = [i for i in items if i["stream"] == case_id]
    assert [i["actor"]["name"] for i in of_case] == ["coordinator {}", "coordinator {}"]
    issued = [(i["actor"]["id"], i["actor"]["name"]) for i in items if i["type"] == "TokenIssued"]
    assert issued[0] == ("cli", None)  # the admin token, issued on the command line
    assert {name for _, name in issued[1:]} == {"admin"}  # the rest, by the admin token over HTTP


def test_project_history_names_the_coordinator(client: TestClient, tokens: Tokens) -> None:
    project = client.post("/v1/projects", json=PROJECT, headers=auth(tokens.coordinator))
    assert project.status_code == 201, project.text
    events = client.get(f"/v1/projects/{project.json()['id']}/history", headers=auth(tokens.coordinator)).json()
    assert [e["actor"]["name"] for e in events["events"]] == ["coordinator {}"]
