"""Warnings over HTTP: on the case answer, in the warnings view (scoped per department), in the history."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from infrastructure.container import Container
from tests.http.scenario import Tokens, auth, register, step
from tests.unit.tracking_steps import local

RESOLUTION = {"tier": "resolution", "lead_department": "econ-info", "co_departments": ["finance", "housing"]}


def dispatched_and_tracked(client: TestClient, t: Tokens, container: Container) -> tuple[dict[str, Any], int]:
    """A tier-2 case dispatched on Thursday 2026-11-26 and tracked 12 days later; the log's head after the run."""
    case = register(client, t.coordinator)
    case = step(client, t.coordinator, case["id"], "dispatch", RESOLUTION)
    container.view_service.wait("cases", case["position"])  # the job finds its cases in the cases view
    summary = container.tracking.run(local(2026, 12, 8))
    assert summary.raised
    return case, container.store.recorder.max_notification_id() or 0


def get(client: TestClient, token: str, path: str, **params: object) -> dict[str, Any]:
    r = client.get(path, params=params, headers=auth(token))
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_warnings_appear_on_the_case_answer(client: TestClient, tokens: Tokens, container: Container) -> None:
    case, _ = dispatched_and_tracked(client, tokens, container)

    body = get(client, tokens.lead, f"/v1/cases/{case['id']}")

    assert {(w["kind"], w["level"]) for w in body["warnings"]} == {
        ("sign_for", "red"),
        ("co_reply:finance", "red"),
        ("co_reply:housing", "red"),
    }
    assert all(w["since"] == "2026-12-08T01:00:00+00:00" for w in body["warnings"])
    assert body["version"] == case["version"] + 3


def test_warnings_view_lists_them_with_the_department_that_must_act(
    client: TestClient, tokens: Tokens, container: Container
) -> None:
    case, head = dispatched_and_tracked(client, tokens, container)

    items = get(client, tokens.coordinator, "/v1/views/warnings", min_position=head)["items"]

    assert sorted((i["kind"], i["level"], i["department"]) for i in items) == [
        ("co_reply:finance", "red", "finance"),
        ("co_reply:housing", "red", "housing"),
        ("sign_for", "red", "econ-info"),
    ]
    assert {i["reference"] for i in items} == {case["reference"]}
    queue = get(client, tokens.coordinator, "/v1/views/resolution", min_position=head)["items"]
    assert (queue[0]["warning_level"], queue[0]["escalation_level"]) == ("red", None)


def test_handlers_see_the_warnings_of_their_departments_cases_only(
    client: TestClient, tokens: Tokens, container: Container
) -> None:
    _, head = dispatched_and_tracked(client, tokens, container)

    lead = get(client, tokens.lead, "/v1/views/warnings", min_position=head)["items"]
    co = get(client, tokens.co1, "/v1/views/warnings", min_position=head)["items"]
    outsider = get(client, tokens.outsider, "/v1/views/warnings", min_position=head)["items"]

    assert (len(lead), len(co), outsider) == (3, 3, [])


def test_signing_for_over_http_clears_the_sign_for_warning(
    client: TestClient, tokens: Tokens, container: Container
) -> None:
    case, _ = dispatched_and_tracked(client, tokens, container)

    signed = step(client, tokens.lead, case["id"], "sign-for")

    assert "sign_for" not in {w["kind"] for w in signed["warnings"]}
    items = get(client, tokens.coordinator, "/v1/views/warnings", min_position=signed["position"])["items"]
    assert {i["kind"] for i in items} == {"co_reply:finance", "co_reply:housing"}
    history = get(client, tokens.auditor, f"/v1/cases/{case['id']}/history")["events"]
    assert history[-1]["type"] == "CaseWarningCleared"
    assert history[-1]["data"] == {"kind": "sign_for", "level": "red", "cause": "CaseSignedFor"}


def test_enterprises_see_no_warnings_and_auditors_see_who_raised_them(
    client: TestClient, tokens: Tokens, container: Container
) -> None:
    case, _ = dispatched_and_tracked(client, tokens, container)

    own = get(client, tokens.enterprise, f"/v1/cases/{case['id']}")
    public = get(client, tokens.enterprise, f"/v1/cases/{case['id']}/history")["events"]
    full = get(client, tokens.auditor, f"/v1/cases/{case['id']}/history")["events"]

    assert own["warnings"] == []
    assert [e["type"] for e in public] == ["CaseRegistered", "CaseDispatched"]
    raised = [e for e in full if e["type"] == "CaseWarningRaised"]
    assert {(e["actor"]["id"], e["actor"]["role"]) for e in raised} == {("system:tracking", "system")}
