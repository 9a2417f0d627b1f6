"""The view endpoints in-process: read-your-writes, the tier queues, warnings and scoping."""

from __future__ import annotations

from fastapi.testclient import TestClient

from application.execution import CommandContext
from domain.values import CLI, Role
from infrastructure.container import Container
from tests.conftest import COORDINATOR, new_case
from tests.http.scenario import Tokens, auth, register, step

RESOLUTION = {"tier": "resolution", "lead_department": "econ-info", "co_departments": ["finance", "housing"]}
HANDLING = {"tier": "handling", "lead_department": "econ-info", "co_departments": []}


def dispatch(client: TestClient, t: Tokens, body: dict, **overrides: object) -> dict:
    case = register(client, t.coordinator, **overrides)
    return step(client, t.coordinator, case["id"], "dispatch", body)


def view(client: TestClient, token: str, path: str, **params: object) -> dict:
    r = client.get(path, params=params, headers=auth(token))
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_a_view_read_with_min_position_shows_the_change(client: TestClient, tokens: Tokens) -> None:
    case = dispatch(client, tokens, HANDLING)
    items = view(client, tokens.coordinator, "/v1/views/handling", min_position=case["position"])["items"]
    assert [i["reference"] for i in items] == [case["reference"]]
    assert items[0]["status"] == "dispatched"
    assert items[0]["due"]["sign_for"]["due"] == "2026-11-27"


def test_min_position_never_written_is_422_at_once(client: TestClient, tokens: Tokens) -> None:
    for path in ("/v1/views/handling", "/v1/cases", "/v1/reports/departments", "/v1/projects"):
        r = client.get(path, params={"min_position": 10**9}, headers=auth(tokens.coordinator))
        assert (r.status_code, r.json()["rule"]) == (422, "min_position_beyond_head"), path


def test_min_position_not_yet_reached_answers_503_with_retry_after(container: Container) -> None:
    from api.app import create_app

    token = container.tokens.issue(CLI, name="c", role=Role.COORDINATOR).secret
    case = container.cases.register(CommandContext(COORDINATOR), new_case())  # written, but no projection runs here
    with TestClient(create_app(lambda: container)) as still:
        r = still.get("/v1/views/handling", params={"min_position": case.position}, headers=auth(token))
    assert (r.status_code, r.json()["rule"]) == (503, "min_position_not_reached")
    assert r.headers["Retry-After"]


def test_handling_view_lists_open_tier1_cases_only(client: TestClient, tokens: Tokens) -> None:
    tier1 = dispatch(client, tokens, HANDLING, title="营业执照变更")
    tier2 = dispatch(client, tokens, RESOLUTION)
    closed = dispatch(client, tokens, HANDLING, title="已撤回的事项")
    last = step(client, tokens.coordinator, closed["id"], "withdrawal", {"reason": "企业撤回"})
    items = view(client, tokens.coordinator, "/v1/views/handling", min_position=last["position"])["items"]
    assert [i["id"] for i in items] == [tier1["id"]]
    resolution = view(client, tokens.coordinator, "/v1/views/resolution")["items"]
    assert [i["id"] for i in resolution] == [tier2["id"]]


def test_resolution_view_shows_co_handlers_and_their_replies(client: TestClient, tokens: Tokens) -> None:
    case = dispatch(client, tokens, RESOLUTION)
    replied = step(client, tokens.co1, case["id"], "co-reply", {"note": "同意"})
    items = view(client, tokens.coordinator, "/v1/views/resolution", min_position=replied["position"])["items"]
    assert items[0]["co_replies"] == [
        {"department": "finance", "status": "replied", "due": None},
        {"department": "housing", "status": "pending", "due": "2026-12-01"},
    ]
    assert items[0]["round"] == 1
    assert items[0]["extension"] == {"extended_working_days": 0, "pending": None}


def test_a_handlers_queue_holds_only_its_department(client: TestClient, tokens: Tokens) -> None:
    ours = dispatch(client, tokens, HANDLING)
    theirs = dispatch(client, tokens, {"tier": "handling", "lead_department": "ecology", "co_departments": []})
    position = theirs["position"]
    lead = view(client, tokens.lead, "/v1/views/handling", min_position=position)["items"]
    assert [i["id"] for i in lead] == [ours["id"]]
    outsider = view(client, tokens.outsider, "/v1/views/handling", min_position=position)["items"]
    assert [i["id"] for i in outsider] == [theirs["id"]]
    everyone = view(client, tokens.reporter, "/v1/views/handling", min_position=position)["items"]
    assert len(everyone) == 2


def test_escalations_appear_as_warnings_scoped_to_the_department(client: TestClient, tokens: Tokens) -> None:
    case = dispatch(client, tokens, RESOLUTION)
    escalated = step(client, tokens.coordinator, case["id"], "escalation", {"level": "supervise", "reason": "督办"})
    items = view(client, tokens.auditor, "/v1/views/warnings", min_position=escalated["position"])["items"]
    assert [(i["level"], i["kind"], i["department"]) for i in items] == [("red", "escalation:supervise", "econ-info")]
    assert items[0]["subject"].startswith(case["reference"])
    assert view(client, tokens.outsider, "/v1/views/warnings")["items"] == []
    assert len(view(client, tokens.co1, "/v1/views/warnings")["items"]) == 1


def test_enterprises_see_no_views_and_reporters_no_case_list(client: TestClient, tokens: Tokens) -> None:
    for path in ("/v1/views/handling", "/v1/views/resolution", "/v1/views/warnings"):
        assert client.get(path, headers=auth(tokens.enterprise)).status_code == 403
    assert client.get("/v1/cases", headers=auth(tokens.reporter)).status_code == 403


def test_case_list_filters_searches_chinese_text_and_pages(client: TestClient, tokens: Tokens) -> None:
    cases = [register(client, tokens.coordinator, title=f"诉求{i}：蒸汽管道接入") for i in range(5)]
    other = register(client, tokens.coordinator, title="人才公寓申请")
    wait = {"min_position": other["position"]}
    found = view(client, tokens.coordinator, "/v1/cases", q="蒸汽管道", **wait)["items"]
    assert {i["id"] for i in found} == {c["id"] for c in cases}
    assert view(client, tokens.coordinator, "/v1/cases", q="人才")["items"][0]["id"] == other["id"]
    assert (
        view(client, tokens.coordinator, "/v1/cases", reference=cases[2]["reference"])["items"][0]["id"]
        == (cases[2]["id"])
    )
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = view(client, tokens.coordinator, "/v1/cases", **params)
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 6
    assert seen[0] == other["id"]  # newest first


def test_case_list_is_scoped_for_handlers_and_enterprises(client: TestClient, tokens: Tokens) -> None:
    ours = dispatch(client, tokens, HANDLING)
    foreign = dispatch(
        client,
        tokens,
        {"tier": "handling", "lead_department": "ecology", "co_departments": []},
        enterprise={"name": "别家", "credit_code": "91110000600037341L"},
    )
    wait = {"min_position": foreign["position"]}
    assert [i["id"] for i in view(client, tokens.lead, "/v1/cases", **wait)["items"]] == [ours["id"]]
    assert view(client, tokens.lead, "/v1/cases", department="ecology")["items"] == []
    assert [i["id"] for i in view(client, tokens.enterprise, "/v1/cases")["items"]] == [ours["id"]]
    assert view(client, tokens.enterprise, "/v1/cases", credit_code="91110000600037341L")["items"] == []
    assert len(view(client, tokens.auditor, "/v1/cases")["items"]) == 2


def test_a_bad_cursor_is_422(client: TestClient, tokens: Tokens) -> None:
    r = client.get("/v1/cases", params={"cursor": "not-a-cursor"}, headers=auth(tokens.coordinator))
    assert (r.status_code, r.json()["rule"]) == (422, "invalid_cursor")


def test_readyz_reports_projection_positions(client: TestClient, tokens: Tokens) -> None:
    case = register(client, tokens.coordinator)
    view(client, tokens.coordinator, "/v1/cases", min_position=case["position"])
    body = client.get("/readyz").json()
    assert body["status"] == "ready"
    assert {p["name"] for p in body["projections"]} >= {"cases"}
    assert body["head"] >= case["position"]
