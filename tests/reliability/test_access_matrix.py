"""Every role against every endpoint of API.md: 2xx, 403 (role or department may not) or 404 (may not see it).

One row per endpoint, one expected answer per role, read left to right in the order of ROLES. A case is
dispatched at tier 2 to econ-info (the lead, `lead`) with finance co-handling (`co1`); ecology
(`outsider`) is uninvolved; `enterprise` owns the case and the project, `other_enterprise` does not.
Each command cell runs on a fresh object in the state where the permitted caller succeeds, so a 2xx in
the table is a real success, and a refusal is the access policy speaking, never the case's state.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.http.scenario import CASE_BODY, DISPATCH, PROJECT, Tokens, auth, register, step

ROLES = ("coordinator", "lead", "co1", "outsider", "enterprise", "other_enterprise", "auditor", "reporter", "admin")
#        coord lead  co1   outs  ent   other aud   rep   admin

CODES = itertools.count(100)


# --- states: each builds a fresh object and answers the ids the path needs ---------------------------------

Ids = dict[str, str]
State = Callable[[TestClient, Tokens], Ids]


def nothing(client: TestClient, t: Tokens) -> Ids:
    return {}


def registered(client: TestClient, t: Tokens) -> Ids:
    return {"case": register(client, t.coordinator)["id"]}


def dispatched(client: TestClient, t: Tokens) -> Ids:
    ids = registered(client, t)
    step(client, t.coordinator, ids["case"], "dispatch", DISPATCH)
    return ids


def two_open_cases(client: TestClient, t: Tokens) -> Ids:
    return {**dispatched(client, t), "target": register(client, t.coordinator)["id"]}


def returned(client: TestClient, t: Tokens) -> Ids:
    ids = dispatched(client, t)
    step(client, t.lead, ids["case"], "return", {"reason": "不属本局职责", "basis": "三定方案"})
    return ids


def in_progress(client: TestClient, t: Tokens) -> Ids:
    """Signed for, with the co-handler's reply in, so the lead may resolve."""
    ids = dispatched(client, t)
    step(client, t.co1, ids["case"], "co-reply", {"note": "财政资金可支持"})
    step(client, t.lead, ids["case"], "sign-for")
    return ids


def extension_pending(client: TestClient, t: Tokens) -> Ids:
    ids = in_progress(client, t)
    step(client, t.lead, ids["case"], "extension-request", {"extra_working_days": 3, "reason": "需第三方评估"})
    return ids


def resolved(client: TestClient, t: Tokens) -> Ids:
    ids = in_progress(client, t)
    step(client, t.lead, ids["case"], "resolution", {"reply": "已接通", "outcome": "solved"})
    return ids


def evaluated_dissatisfied(client: TestClient, t: Tokens) -> Ids:
    ids = resolved(client, t)
    step(client, t.enterprise, ids["case"], "evaluation", {"satisfaction": "dissatisfied", "solved": False})
    return ids


def project(client: TestClient, t: Tokens) -> Ids:
    r = client.post("/v1/projects", json={**PROJECT, "code": f"WJ-2026-{next(CODES):03}"}, headers=auth(t.coordinator))
    assert r.status_code == 201, r.text
    return {"project": r.json()["id"]}


def throwaway_token(client: TestClient, t: Tokens) -> Ids:
    r = client.post("/v1/tokens", json={"name": "throwaway", "role": "reporter"}, headers=auth(t.admin))
    assert r.status_code == 201, r.text
    return {"token": r.json()["id"]}


def case_and_project(client: TestClient, t: Tokens) -> Ids:
    return {**dispatched(client, t), **project(client, t)}


# --- the matrix ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expected: tuple[int, ...]  # one per role, in the order of ROLES
    state: State = nothing
    body: dict[str, Any] | None = None
    params: dict[str, Any] | None = None

    @property
    def writes(self) -> bool:
        return self.method != "GET"


CASE_READ = (200, 200, 200, 404, 200, 404, 200, 403, 403)
AUDITOR_ONLY = (403, 403, 403, 403, 403, 403, 200, 403, 403)
COORDINATOR_ONLY = (200, 403, 403, 403, 403, 403, 403, 403, 403)
LEAD_ONLY = (403, 200, 403, 404, 403, 403, 403, 403, 403)
VIEW = (200, 200, 200, 200, 403, 403, 200, 200, 403)
REPORT = (200, 403, 403, 403, 403, 403, 200, 200, 403)
ADMIN_ONLY = (403, 403, 403, 403, 403, 403, 403, 403, 200)

ROWS: dict[str, Row] = {
    # cases: reads
    "GET case": Row("GET", "/v1/cases/{case}", CASE_READ, dispatched),
    "GET case as of version 1": Row("GET", "/v1/cases/{case}", CASE_READ, dispatched, params={"as_of_version": 1}),
    "GET case history": Row("GET", "/v1/cases/{case}/history", CASE_READ, dispatched),
    "GET case verification": Row("GET", "/v1/cases/{case}/verification", AUDITOR_ONLY, dispatched),
    "GET case list": Row("GET", "/v1/cases", (200, 200, 200, 200, 200, 200, 200, 403, 403), dispatched),
    # cases: commands
    "POST register": Row("POST", "/v1/cases", (201, 403, 403, 403, 201, 403, 403, 403, 403), body=CASE_BODY),
    "POST dispatch": Row("POST", "/v1/cases/{case}/dispatch", COORDINATOR_ONLY, registered, DISPATCH),
    "POST sign-for": Row("POST", "/v1/cases/{case}/sign-for", LEAD_ONLY, dispatched),
    "POST return": Row(
        "POST", "/v1/cases/{case}/return", LEAD_ONLY, dispatched, {"reason": "不属本局职责", "basis": "三定方案"}
    ),
    "POST arbitration": Row(
        "POST", "/v1/cases/{case}/arbitration", COORDINATOR_ONLY, returned, {"decision": "uphold", "note": "维持"}
    ),
    "POST contact": Row("POST", "/v1/cases/{case}/contact", LEAD_ONLY, in_progress, {"note": "已电话联系"}),
    "POST progress": Row(
        "POST",
        "/v1/cases/{case}/progress",
        (403, 200, 200, 404, 403, 403, 403, 403, 403),
        in_progress,
        {"note": "进展"},
    ),
    "POST co-reply": Row(
        "POST", "/v1/cases/{case}/co-reply", (403, 403, 200, 404, 403, 403, 403, 403, 403), dispatched, {"note": "协办"}
    ),
    "POST co-reply-waiver": Row(
        "POST",
        "/v1/cases/{case}/co-reply-waiver",
        COORDINATOR_ONLY,
        dispatched,
        {"department": "finance", "reason": "免"},
    ),
    "POST extension-request": Row(
        "POST",
        "/v1/cases/{case}/extension-request",
        LEAD_ONLY,
        in_progress,
        {"extra_working_days": 3, "reason": "需第三方评估"},
    ),
    "POST extension-decision": Row(
        "POST",
        "/v1/cases/{case}/extension-decision",
        COORDINATOR_ONLY,
        extension_pending,
        {"approved": True, "note": "同意"},
    ),
    "POST escalation": Row(
        "POST", "/v1/cases/{case}/escalation", COORDINATOR_ONLY, dispatched, {"level": "urge", "reason": "催办"}
    ),
    "POST resolution": Row(
        "POST", "/v1/cases/{case}/resolution", LEAD_ONLY, in_progress, {"reply": "已接通", "outcome": "solved"}
    ),
    "POST evaluation": Row(
        "POST",
        "/v1/cases/{case}/evaluation",
        (200, 403, 403, 403, 200, 404, 403, 403, 403),
        resolved,
        {"satisfaction": "satisfied", "solved": True},
    ),
    "POST reopen": Row(
        "POST", "/v1/cases/{case}/reopen", COORDINATOR_ONLY, evaluated_dissatisfied, {"reason": "未通汽"}
    ),
    "POST closure": Row("POST", "/v1/cases/{case}/closure", COORDINATOR_ONLY, evaluated_dissatisfied, {"note": "归档"}),
    "POST withdrawal": Row(
        "POST",
        "/v1/cases/{case}/withdrawal",
        (200, 403, 403, 403, 200, 404, 403, 403, 403),
        dispatched,
        {"reason": "撤"},
    ),
    "POST merge": Row("POST", "/v1/cases/{case}/merge", COORDINATOR_ONLY, two_open_cases, {"into": "{target}"}),
    # views and reports
    "GET view handling": Row("GET", "/v1/views/handling", VIEW),
    "GET view resolution": Row("GET", "/v1/views/resolution", VIEW),
    "GET view warnings": Row("GET", "/v1/views/warnings", VIEW),
    "GET view projects": Row("GET", "/v1/views/projects", REPORT, params={"list": "start"}),
    "GET report departments": Row("GET", "/v1/reports/departments", REPORT),
    "GET report zones": Row("GET", "/v1/reports/zones", REPORT),
    # projects
    "GET project list": Row("GET", "/v1/projects", (200, 200, 200, 200, 200, 200, 200, 200, 403), project),
    "GET project": Row("GET", "/v1/projects/{project}", (200, 200, 200, 200, 200, 404, 200, 200, 403), project),
    "GET project history": Row(
        "GET", "/v1/projects/{project}/history", (200, 403, 403, 403, 403, 403, 200, 403, 403), project
    ),
    "GET project verification": Row("GET", "/v1/projects/{project}/verification", AUDITOR_ONLY, project),
    "POST project": Row("POST", "/v1/projects", (201, 403, 403, 403, 403, 403, 403, 403, 403), body=PROJECT),
    "POST project milestone": Row(
        "POST",
        "/v1/projects/{project}/milestones",
        COORDINATOR_ONLY,
        project,
        {"milestone": "started", "date": "2026-08-28"},
    ),
    "POST project progress": Row(
        "POST",
        "/v1/projects/{project}/progress",
        COORDINATOR_ONLY,
        project,
        {"percent_complete": 5, "investment_to_date": 900},
    ),
    # audit
    "GET audit feed": Row("GET", "/v1/audit/events", AUDITOR_ONLY, dispatched),
    "GET audit checkpoint": Row("GET", "/v1/audit/checkpoint", AUDITOR_ONLY, dispatched),
    # tokens
    "POST token": Row(
        "POST", "/v1/tokens", (403, 403, 403, 403, 403, 403, 403, 403, 201), body={"name": "x", "role": "reporter"}
    ),
    "GET tokens": Row("GET", "/v1/tokens", ADMIN_ONLY),
    "DELETE token": Row("DELETE", "/v1/tokens/{token}", (403, 403, 403, 403, 403, 403, 403, 403, 204), throwaway_token),
}


def fill(value: Any, ids: Ids) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


def call(client: TestClient, token: str, row: Row, ids: Ids) -> Any:
    kw: dict[str, Any] = {"headers": auth(token), "params": row.params}
    if row.body is not None:
        kw["json"] = fill(row.body, ids)
    return client.request(row.method, fill(row.path, ids), **kw)


@pytest.mark.parametrize("name", list(ROWS))
def test_access_matrix(client: TestClient, tokens: Tokens, name: str) -> None:
    row = ROWS[name]
    ids = row.state(client, tokens)
    answered: dict[str, int] = {}
    for role in ROLES:
        r = call(client, getattr(tokens, role), row, ids)
        answered[role] = r.status_code
        if r.status_code >= 400:
            assert r.headers["content-type"].startswith("application/problem+json"), (role, r.text)
            assert r.json()["status"] == r.status_code
        if r.status_code == 403:
            assert r.json()["rule"], (role, r.text)
        if row.writes and r.status_code < 300:
            ids = row.state(client, tokens)  # the next role acts on a fresh object in the same state
    assert answered == dict(zip(ROLES, row.expected, strict=True))


def test_every_route_of_the_app_is_in_the_matrix(client: TestClient) -> None:
    routes = {
        (method, route.path)
        for route in client.app.routes  # type: ignore[attr-defined]
        if getattr(route, "path", "").startswith("/v1")
        for method in getattr(route, "methods", ())
    }
    covered = {(row.method, row.path.replace("{case}", "{case_id}")) for row in ROWS.values()}
    covered = {(m, p.replace("{project}", "{project_id}").replace("{token}", "{token_id}")) for m, p in covered}
    assert routes - covered == set()


# --- BOLA: an object one may not see answers exactly like one that does not exist -----------------------


@pytest.mark.parametrize("who", ["outsider", "other_enterprise"])
def test_an_invisible_case_answers_like_a_missing_one(client: TestClient, tokens: Tokens, who: str) -> None:
    cid = dispatched(client, tokens)["case"]
    missing = "00000000-0000-4000-8000-000000000000"
    token = getattr(tokens, who)
    for suffix in ("", "/history"):
        seen = client.get(f"/v1/cases/{cid}{suffix}", headers=auth(token))
        absent = client.get(f"/v1/cases/{missing}{suffix}", headers=auth(token))
        # the same answer but for `instance`, which is each request's own path
        same = {**absent.json(), "instance": seen.json().get("instance")}
        assert (seen.status_code, seen.json()) == (absent.status_code, same) == (404, same)
        assert seen.json()["instance"] == f"/v1/cases/{cid}{suffix}"
    assert cid not in client.get("/v1/cases", headers=auth(token)).text


def test_an_invisible_case_is_never_written(client: TestClient, tokens: Tokens) -> None:
    cid = dispatched(client, tokens)["case"]
    before = client.get(f"/v1/cases/{cid}", headers=auth(tokens.auditor)).json()["version"]
    attempts = [
        (tokens.outsider, "sign-for", None),
        (tokens.outsider, "progress", {"note": "x"}),
        (tokens.outsider, "co-reply", {"note": "x"}),
        (tokens.outsider, "return", {"reason": "x", "basis": "y"}),
        (tokens.other_enterprise, "withdrawal", {"reason": "x"}),
        (tokens.other_enterprise, "evaluation", {"satisfaction": "satisfied", "solved": True}),
    ]
    for token, action, body in attempts:
        assert client.post(f"/v1/cases/{cid}/{action}", json=body, headers=auth(token)).status_code == 404
    assert client.get(f"/v1/cases/{cid}", headers=auth(tokens.auditor)).json()["version"] == before


def test_a_former_lead_loses_sight_after_reassignment(client: TestClient, tokens: Tokens) -> None:
    cid = returned(client, tokens)["case"]
    body = {"decision": "reassign", "department": "ecology", "note": "改派生态环境局"}
    step(client, tokens.coordinator, cid, "arbitration", body)
    assert client.get(f"/v1/cases/{cid}", headers=auth(tokens.lead)).status_code == 404
    assert client.get(f"/v1/cases/{cid}", headers=auth(tokens.outsider)).status_code == 200
    r = client.post(f"/v1/cases/{cid}/progress", json={"note": "x"}, headers=auth(tokens.lead))
    assert r.status_code == 404


def test_an_enterprise_lists_only_its_own_projects(client: TestClient, tokens: Tokens) -> None:
    pid = project(client, tokens)["project"]
    seen = client.get(f"/v1/projects/{pid}", headers=auth(tokens.coordinator)).json()["position"]
    after = {"min_position": seen}
    own = client.get("/v1/projects", params=after, headers=auth(tokens.enterprise)).json()["items"]
    other = client.get("/v1/projects", params=after, headers=auth(tokens.other_enterprise)).json()["items"]
    assert [p["id"] for p in own] == [pid]
    assert other == []


# --- revocation ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["coordinator", "lead", "auditor", "admin"])
def test_a_revoked_token_is_refused_on_its_very_next_request(client: TestClient, tokens: Tokens, who: str) -> None:
    cid = dispatched(client, tokens)["case"]
    token = getattr(tokens, who)
    probe = "/v1/tokens" if who == "admin" else f"/v1/cases/{cid}"
    assert client.get(probe, headers=auth(token)).status_code == 200
    listed = client.get("/v1/tokens", headers=auth(tokens.admin)).json()["items"]
    mine = [t for t in listed if t["role"] == ("handler" if who == "lead" else who)]
    if who == "lead":
        mine = [t for t in mine if t.get("department") == "econ-info"]
    if who == "admin":  # the admin revokes itself; only the CLI-issued admin exists
        assert len(mine) == 1
    for t in mine:
        assert client.delete(f"/v1/tokens/{t['id']}", headers=auth(tokens.admin)).status_code == 204
    r = client.get(probe, headers=auth(token))
    assert (r.status_code, r.json()["rule"], r.headers["WWW-Authenticate"]) == (401, "unauthenticated", "Bearer")
    r = client.post(f"/v1/cases/{cid}/escalation", json={"level": "urge", "reason": "x"}, headers=auth(token))
    assert r.status_code == 401
    witness = tokens.coordinator if who == "auditor" else tokens.auditor
    assert client.get(f"/v1/cases/{cid}", headers=auth(witness)).json()["version"] == 2  # nothing recorded
