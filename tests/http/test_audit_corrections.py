"""The corrections settled after the domain audit (DOMAIN.md, 2026-11-29), over HTTP in-process."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from fastapi.testclient import TestClient

from infrastructure.clock import FixedClock
from infrastructure.container import Container
from tests.http.scenario import CODE, Tokens, auth, register, step
from tests.unit.tracking_steps import local

RESOLUTION = {"tier": "resolution", "lead_department": "econ-info", "co_departments": ["finance", "housing"]}
HANDLING = {"tier": "handling", "lead_department": "econ-info", "co_departments": []}
RETURN = {"reason": "不属于本部门职责", "basis": "《三定方案》第三条"}
REASSIGN = {"decision": "reassign", "department": "ecology", "note": "职责在生态环境局"}


def get(client: TestClient, token: str, path: str, **params: object) -> Any:
    r = client.get(path, params=params, headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()


def at(clock: FixedClock, day: int, month: int = 12) -> None:
    clock.at = local(2026, month, day).astimezone(UTC)


def returned_until_co_reply_red(
    client: TestClient, t: Tokens, container: Container, clock: FixedClock
) -> dict[str, Any]:
    """Dispatched Thu 26 Nov (co-replies due Tue 1 Dec), returned at once; tracked Wed 2 Dec while in the return."""
    case = register(client, t.coordinator, enterprise={"name": "远大医药（中国）有限公司", "credit_code": CODE})
    step(client, t.coordinator, case["id"], "dispatch", RESOLUTION)
    case = step(client, t.lead, case["id"], "return", RETURN)
    container.view_service.wait("cases", case["position"])
    container.tracking.run(local(2026, 12, 2))
    assert {"co_reply:finance", "co_reply:housing"} <= {
        w["kind"] for w in get(client, t.coordinator, f"/v1/cases/{case['id']}")["warnings"]
    }
    at(clock, 3)
    return case


def test_arbitration_reassign_restarts_the_co_reply_clocks_and_ends_their_red_warnings(
    client: TestClient, tokens: Tokens, container: Container, clock: FixedClock
) -> None:
    case = returned_until_co_reply_red(client, tokens, container, clock)

    body = step(client, tokens.coordinator, case["id"], "arbitration", REASSIGN)

    assert {k: v["due"] for k, v in body["due"].items()} == {
        "sign_for": "2026-12-04",
        "resolution": "2026-12-24",
        "co_reply:finance": "2026-12-08",
        "co_reply:housing": "2026-12-08",
    }
    assert body["warnings"] == []
    items = get(client, tokens.coordinator, "/v1/views/warnings", min_position=body["position"])["items"]
    assert [i for i in items if i["kind"].startswith("co_reply")] == []


def test_resolution_after_reassignment_counts_working_days_from_it_in_the_report(
    client: TestClient, tokens: Tokens, container: Container, clock: FixedClock
) -> None:
    case = returned_until_co_reply_red(client, tokens, container, clock)
    step(client, tokens.coordinator, case["id"], "arbitration", REASSIGN)
    step(client, tokens.outsider, case["id"], "sign-for")
    step(client, tokens.co1, case["id"], "co-reply", {"note": "同意"})
    step(client, tokens.co2, case["id"], "co-reply", {"note": "同意"})
    at(clock, 10)
    reply = {"reply": "已协调解决", "outcome": "solved"}
    resolved = step(client, tokens.outsider, case["id"], "resolution", reply)

    report = get(
        client,
        tokens.reporter,
        "/v1/reports/departments",
        **{"from": "2026-12-01", "to": "2026-12-10"},
        min_position=resolved["position"],
    )
    ecology = next(r for r in report["items"] if r["department"] == "ecology")
    # Fri 4, Mon 7, Tue 8, Wed 9, Thu 10 Dec after the reassignment on Thu 3 Dec, by the fresh due date.
    assert (ecology["avg_working_days"], ecology["on_time_rate"]) == (5.0, 1.0)


def test_department_report_over_http_leaves_running_clocks_out_and_never_reads_past_today(
    client: TestClient, tokens: Tokens, clock: FixedClock
) -> None:
    """Thu 26 Nov: P signed for and contacted (met), Q not signed for, R signed for only. Mon 30 Nov (today): S
    dispatched. Q's and R's due dates (27 Nov) passed: missed; S runs. Handling clocks are due Thu 3 Dec."""
    ids = {k: register(client, tokens.coordinator)["id"] for k in "PQR"}
    for cid in ids.values():
        step(client, tokens.coordinator, cid, "dispatch", HANDLING)
    step(client, tokens.lead, ids["P"], "sign-for")
    step(client, tokens.lead, ids["P"], "contact", {"note": "已电话联系"})
    step(client, tokens.lead, ids["R"], "sign-for")
    at(clock, 30, 11)
    s = register(client, tokens.coordinator)
    last = step(client, tokens.coordinator, s["id"], "dispatch", HANDLING)

    def econ(to: str) -> dict[str, Any]:
        params = {"from": "2026-11-26", "to": to, "min_position": last["position"]}
        rows = get(client, tokens.reporter, "/v1/reports/departments", **params)["items"]
        return dict(next(r for r in rows if r["department"] == "econ-info"))

    now, future = econ("2026-11-30"), econ("2026-12-31")
    assert [(r["dispatched"], r["response_rate"], r["open"], r["overdue"]) for r in (now, future)] == [
        (4, 0.3333, 4, 0),  # 1 met ÷ (1 met + 2 missed); S left out
        (4, 0.3333, 4, 0),  # read as of today, not 31 Dec, when every handling clock would be overdue
    ]
    assert econ("2026-11-27")["response_rate"] == 1.0  # as of 27 Nov, Q and R were still running


def test_enterprise_reads_a_returned_case_as_dispatched_and_a_reassignment_as_a_dispatch(
    client: TestClient, tokens: Tokens, container: Container, clock: FixedClock
) -> None:
    case = returned_until_co_reply_red(client, tokens, container, clock)
    path = f"/v1/cases/{case['id']}"

    assert (get(client, tokens.enterprise, path)["status"], get(client, tokens.coordinator, path)["status"]) == (
        "dispatched",
        "returned",
    )
    listed = get(client, tokens.enterprise, "/v1/cases", min_position=case["position"])["items"]
    assert [i["status"] for i in listed] == ["dispatched"]
    assert get(client, tokens.enterprise, "/v1/cases", status="returned")["items"] == []

    step(client, tokens.coordinator, case["id"], "arbitration", REASSIGN)

    history = get(client, tokens.enterprise, f"{path}/history")["events"]
    dispatches = [e["data"] for e in history if e["type"] == "CaseDispatched"]
    assert dispatches == [
        {"tier": "resolution", "lead_department": "econ-info"},
        {"tier": "resolution", "lead_department": "ecology"},
    ]
    assert get(client, tokens.enterprise, path)["lead_department"] == "ecology"


def test_escalation_over_http_is_a_warning_of_the_case_until_resolution(client: TestClient, tokens: Tokens) -> None:
    case = register(client, tokens.coordinator)
    step(client, tokens.coordinator, case["id"], "dispatch", HANDLING)
    step(client, tokens.lead, case["id"], "sign-for")

    body = step(client, tokens.coordinator, case["id"], "escalation", {"level": "supervise", "reason": "督办"})

    assert [(w["kind"], w["level"], w["due"], w["department"]) for w in body["warnings"]] == [
        ("escalation:supervise", "red", "2026-12-03", "econ-info")
    ]
    items = get(client, tokens.coordinator, "/v1/views/warnings", min_position=body["position"])["items"]
    assert [(i["kind"], i["level"]) for i in items] == [("escalation:supervise", "red")]

    resolved = step(client, tokens.lead, case["id"], "resolution", {"reply": "已解决", "outcome": "solved"})

    assert resolved["warnings"] == []
    assert get(client, tokens.coordinator, "/v1/views/warnings", min_position=resolved["position"])["items"] == []
