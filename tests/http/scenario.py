"""A case's whole life over HTTP, shared by the in-process, SQLite, PostgreSQL and real-server tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Protocol

CODE = "91510115MA6C4B7Q2J"


class Client(Protocol):
    def post(self, url: str, **kw: Any) -> Any: ...
    def get(self, url: str, **kw: Any) -> Any: ...
    def delete(self, url: str, **kw: Any) -> Any: ...


@dataclass
class Tokens:
    """Bearer secrets, one per actor of the scenario."""

    admin: str
    coordinator: str
    lead: str
    co1: str
    co2: str
    outsider: str
    enterprise: str
    other_enterprise: str
    auditor: str
    reporter: str


def auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def issue_tokens(client: Client, admin: str) -> Tokens:
    def issue(role: str, **scope: str) -> str:
        r = client.post("/v1/tokens", json={"name": f"{role} {scope}", "role": role, **scope}, headers=auth(admin))
        assert r.status_code == 201, r.text
        return str(r.json()["token"])

    return Tokens(
        admin=admin,
        coordinator=issue("coordinator"),
        lead=issue("handler", department="econ-info"),
        co1=issue("handler", department="finance"),
        co2=issue("handler", department="housing"),
        outsider=issue("handler", department="ecology"),
        enterprise=issue("enterprise", credit_code=CODE),
        other_enterprise=issue("enterprise", credit_code="91110000600037341L"),
        auditor=issue("auditor"),
        reporter=issue("reporter"),
    )


CASE_BODY = {
    "kind": "enterprise_problem",
    "title": "核药车间蒸汽管道无接入路径",
    "description": "核药车间需要蒸汽保证洁净环境，原有蒸汽通道没有接入路径。",
    "enterprise": {"name": "远大医药（中国）有限公司", "credit_code": CODE},
    "category": "utilities",
    "channel": "visit",
    "urgency": "normal",
    "contact": {"name": "李锐", "phone": "13800000000"},
}

# A major project as a coordinator registers it, and a tier-2 dispatch with one co-handler.
PROJECT = {
    "name": "远大医药放射性药物研发及生产基地项目",
    "code": "WJ-2026-001",
    "owner": {"name": "远大医药（中国）有限公司", "credit_code": CODE},
    "zone": "zone-1",
    "planned_investment": 120000,
    "planned": {"start": "2026-07-19", "completion": "2027-12-31", "production": "2028-06-30"},
    "signed_on": "2025-03-18",
}
DISPATCH = {"tier": "resolution", "lead_department": "econ-info", "co_departments": ["finance"]}


def step(client: Client, token: str, case_id: str, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    r = client.post(f"/v1/cases/{case_id}/{action}", json=body, headers=auth(token))
    assert r.status_code == 200, f"{action}: {r.status_code} {r.text}"
    assert r.headers["ETag"] == f'"{r.json()["version"]}"'
    return dict(r.json())


def register(client: Client, token: str, **overrides: Any) -> dict[str, Any]:
    r = client.post("/v1/cases", json={**CASE_BODY, **overrides}, headers=auth(token))
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"/v1/cases/{r.json()['id']}"
    return dict(r.json())


def tier2_life_with_redo(client: Client, t: Tokens) -> tuple[str, list[str]]:
    """Register, dispatch to a lead and two co-handlers, ..., redo round, closure. Returns the id and statuses."""
    case = register(client, t.coordinator)
    cid, statuses = case["id"], [case["status"]]
    steps: list[tuple[str, str, dict[str, Any] | None]] = [
        (
            t.coordinator,
            "dispatch",
            {"tier": "resolution", "lead_department": "econ-info", "co_departments": ["finance", "housing"]},
        ),
        (t.lead, "sign-for", None),
        (t.lead, "contact", {"note": "已电话联系李锐，约定现场踏勘"}),
        (t.co1, "co-reply", {"note": "财政资金可支持管网改造"}),
        (t.co2, "co-reply", {"note": "住建局同意占道施工"}),
        (t.lead, "resolution", {"reply": "已协调管网接入方案", "outcome": "solved"}),
        (t.enterprise, "evaluation", {"satisfaction": "dissatisfied", "solved": False, "comment": "尚未通汽"}),
        (t.coordinator, "reopen", {"reason": "企业反映仍未通汽"}),
        (t.lead, "progress", {"note": "管道已铺设至厂区门口"}),
        (t.lead, "resolution", {"reply": "蒸汽管道已接至项目门口并通汽", "outcome": "solved"}),
        (t.coordinator, "evaluation", {"satisfaction": "very_satisfied", "solved": True}),
        (t.coordinator, "closure", {"note": "归档"}),
    ]
    for token, action, body in steps:
        statuses.append(step(client, token, cid, action, body)["status"])
    return cid, statuses


EXPECTED_STATUSES = [
    "registered",
    "dispatched",
    "in_progress",
    "in_progress",
    "in_progress",
    "in_progress",
    "resolved",
    "evaluated",
    "in_progress",
    "in_progress",
    "resolved",
    "evaluated",
    "closed",
]
EXPECTED_TYPES = [
    "CaseRegistered",
    "CaseDispatched",
    "CaseSignedFor",
    "CaseContacted",
    "CaseCoReplied",
    "CaseCoReplied",
    "CaseResolved",
    "CaseEvaluated",
    "CaseReopened",
    "CaseProgressLogged",
    "CaseResolved",
    "CaseEvaluated",
    "CaseClosed",
]


def check_history(client: Client, t: Tokens, cid: str) -> None:
    events = client.get(f"/v1/cases/{cid}/history", headers=auth(t.auditor)).json()["events"]
    assert [e["type"] for e in events] == EXPECTED_TYPES
    assert [e["version"] for e in events] == list(range(1, len(EXPECTED_TYPES) + 1))
    roles = [e["actor"]["role"] for e in events]
    assert roles[:3] == ["coordinator", "coordinator", "handler"]
    assert events[7]["actor"]["role"] == "enterprise"
    assert events[2]["actor"]["department"] == "econ-info"
    for prev, event in itertools.pairwise(events):
        assert event["prev_hash"] == prev["hash"]
    for version, status in enumerate(EXPECTED_STATUSES, start=1):
        r = client.get(f"/v1/cases/{cid}", params={"as_of_version": version}, headers=auth(t.auditor))
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["version"]) == (status, version)
    r = client.get(f"/v1/cases/{cid}", params={"as_of_version": len(EXPECTED_TYPES) + 1}, headers=auth(t.auditor))
    assert r.status_code == 404
    both = {"as_of_version": 1, "as_of": events[0]["at"]}
    r = client.get(f"/v1/cases/{cid}", params=both, headers=auth(t.auditor))
    assert (r.status_code, r.json()["rule"]) == (422, "invalid_input"), r.text


HANDLING_TO_ECON_INFO = {"tier": "handling", "lead_department": "econ-info", "co_departments": []}


def signed_for_case(client: Client, t: Tokens, **overrides: Any) -> dict[str, Any]:
    """A fresh tier-1 case (`overrides` of its body), dispatched to econ-info and signed for by its lead: the case
    as answered then."""
    case = register(client, t.coordinator, **overrides)
    step(client, t.coordinator, case["id"], "dispatch", HANDLING_TO_ECON_INFO)
    return step(client, t.lead, case["id"], "sign-for")
