"""The case endpoints in-process: the contract of API.md, status by status."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from tests.http.scenario import (
    CASE_BODY,
    EXPECTED_STATUSES,
    Tokens,
    auth,
    check_history,
    register,
    step,
    tier2_life_with_redo,
)

PROBLEM = "application/problem+json"


def dispatched(client: TestClient, t: Tokens, **body: object) -> dict:
    case = register(client, t.coordinator)
    dispatch = {"tier": "resolution", "lead_department": "econ-info", "co_departments": ["finance"], **body}
    return step(client, t.coordinator, case["id"], "dispatch", dispatch)


def test_tier2_life_with_redo_round_over_http(client: TestClient, tokens: Tokens) -> None:
    cid, statuses = tier2_life_with_redo(client, tokens)
    assert statuses == EXPECTED_STATUSES
    check_history(client, tokens, cid)


def test_dispatch_answers_due_dates_of_the_api_example(client: TestClient, tokens: Tokens) -> None:
    case = dispatched(client, tokens)
    assert case["due"] == {
        "sign_for": {"due": "2026-11-27", "provisional": False, "policy_version": "2026.1"},
        "resolution": {"due": "2026-12-17", "provisional": False, "policy_version": "2026.1"},
        "co_reply:finance": {"due": "2026-12-01", "provisional": False, "policy_version": "2026.1"},
    }
    assert case["reference"] == "QY-2026-000001"
    assert case["position"] > 0


def test_refusal_is_409_problem_with_rule_and_records_nothing(client: TestClient, tokens: Tokens) -> None:
    case = dispatched(client, tokens)
    r = client.post(f"/v1/cases/{case['id']}/closure", json={}, headers=auth(tokens.coordinator))
    assert r.status_code == 409
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["rule"] == "closure_requires_evaluation"
    assert {"type", "title", "status", "detail"} <= body.keys()
    after = client.get(f"/v1/cases/{case['id']}", headers=auth(tokens.coordinator)).json()
    assert after["version"] == case["version"]


def test_wrong_role_is_403(client: TestClient, tokens: Tokens) -> None:
    case = dispatched(client, tokens)
    r = client.post(f"/v1/cases/{case['id']}/sign-for", headers=auth(tokens.coordinator))
    assert (r.status_code, r.json()["rule"]) == (403, "role_not_permitted")
    r = client.post(f"/v1/cases/{case['id']}/sign-for", headers=auth(tokens.co1))
    assert (r.status_code, r.json()["rule"]) == (403, "lead_only")
    r = client.get(f"/v1/cases/{case['id']}", headers=auth(tokens.reporter))
    assert r.status_code == 403


def test_invisible_case_is_404_for_uninvolved_handler_and_other_enterprise(client: TestClient, tokens: Tokens) -> None:
    case = dispatched(client, tokens)
    for token in (tokens.outsider, tokens.other_enterprise):
        assert client.get(f"/v1/cases/{case['id']}", headers=auth(token)).status_code == 404
        assert client.get(f"/v1/cases/{case['id']}/history", headers=auth(token)).status_code == 404
    r = client.post(f"/v1/cases/{case['id']}/sign-for", headers=auth(tokens.outsider))
    assert r.status_code == 404
    assert client.get(f"/v1/cases/{case['id']}", headers=auth(tokens.co1)).status_code == 200
    assert client.get(f"/v1/cases/{case['id']}", headers=auth(tokens.enterprise)).status_code == 200


def test_missing_or_unknown_or_revoked_token_is_401(client: TestClient, tokens: Tokens) -> None:
    assert client.get("/v1/tokens").status_code == 401
    r = client.get("/v1/tokens", headers=auth("ct_nonsense"))
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "Bearer"
    listed = client.get("/v1/tokens", headers=auth(tokens.admin)).json()["items"]
    reporter = next(t for t in listed if t["role"] == "reporter")
    assert "token" not in reporter
    assert client.delete(f"/v1/tokens/{reporter['id']}", headers=auth(tokens.admin)).status_code == 204
    assert (
        client.get("/v1/cases/00000000-0000-0000-0000-000000000000", headers=auth(tokens.reporter)).status_code == 401
    )


def test_malformed_input_is_422(client: TestClient, tokens: Tokens) -> None:
    bad_code = {**CASE_BODY, "enterprise": {"name": "x", "credit_code": "91510115MA6C4B7Q2X"}}
    unknown_field = {**CASE_BODY, "colour": "red"}
    for body in (bad_code, unknown_field, {**CASE_BODY, "channel": "pigeon"}):
        r = client.post("/v1/cases", json=body, headers=auth(tokens.coordinator))
        assert r.status_code == 422, r.text
        assert r.json()["rule"] == "invalid_input"
    r = client.post(
        "/v1/cases", content=b"{not json", headers=auth(tokens.coordinator, **{"content-type": "application/json"})
    )
    assert r.status_code == 422
    case = register(client, tokens.coordinator)
    r = client.post(
        f"/v1/cases/{case['id']}/dispatch",
        json={"tier": "handling", "lead_department": "nowhere"},
        headers=auth(tokens.coordinator),
    )
    assert (r.status_code, r.json()["rule"]) == (422, "unknown_department")


def test_enterprise_registers_only_under_its_own_credit_code(client: TestClient, tokens: Tokens) -> None:
    assert client.post("/v1/cases", json=CASE_BODY, headers=auth(tokens.enterprise)).status_code == 201
    r = client.post("/v1/cases", json=CASE_BODY, headers=auth(tokens.other_enterprise))
    assert (r.status_code, r.json()["rule"]) == (403, "own_credit_code_only")


def test_stale_if_match_is_412_and_current_one_applies(client: TestClient, tokens: Tokens) -> None:
    case = dispatched(client, tokens)
    url = f"/v1/cases/{case['id']}/sign-for"
    r = client.post(url, headers=auth(tokens.lead, **{"If-Match": '"1"'}))
    assert (r.status_code, r.json()["rule"]) == (412, "version_mismatch")
    r = client.post(url, headers=auth(tokens.lead, **{"If-Match": f'"{case["version"]}"'}))
    assert r.status_code == 200
    got = client.get(f"/v1/cases/{case['id']}", headers=auth(tokens.lead))
    assert got.headers["ETag"] == f'"{case["version"] + 1}"'


def test_idempotent_retry_replays_first_answer_and_records_once(client: TestClient, tokens: Tokens) -> None:
    headers = auth(tokens.coordinator, **{"Idempotency-Key": "reg-1"})
    first = client.post("/v1/cases", json=CASE_BODY, headers=headers)
    again = client.post("/v1/cases", json=CASE_BODY, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    other = client.post("/v1/cases", json={**CASE_BODY, "title": "另一个"}, headers=headers)
    assert (other.status_code, other.json()["rule"]) == (422, "idempotency_key_reused")
    nxt = register(client, tokens.coordinator)
    assert nxt["reference"] == "QY-2026-000002"


def test_refusals_are_not_stored_under_an_idempotency_key(client: TestClient, tokens: Tokens) -> None:
    case = register(client, tokens.coordinator)
    url, headers = f"/v1/cases/{case['id']}/reopen", auth(tokens.coordinator, **{"Idempotency-Key": "k"})
    assert client.post(url, json={"reason": "x"}, headers=headers).status_code == 409
    assert client.post(url, json={"reason": "x"}, headers=headers).status_code == 409


def test_oversized_body_is_413(client: TestClient, tokens: Tokens) -> None:
    body = {**CASE_BODY, "description": "字" * 60_000}
    r = client.post("/v1/cases", json=body, headers=auth(tokens.coordinator))
    assert r.status_code == 413
    assert r.json()["rule"] == "body_too_large"


def test_enterprise_reads_public_history_only(client: TestClient, tokens: Tokens) -> None:
    case = dispatched(client, tokens)
    cid = case["id"]
    client.post(f"/v1/cases/{cid}/co-reply", json={"note": "内部意见"}, headers=auth(tokens.co1))
    client.post(
        f"/v1/cases/{cid}/escalation", json={"level": "urge", "reason": "催办"}, headers=auth(tokens.coordinator)
    )
    events = client.get(f"/v1/cases/{cid}/history", headers=auth(tokens.enterprise)).json()["events"]
    assert [e["type"] for e in events] == ["CaseRegistered", "CaseDispatched"]
    assert events[1]["data"] == {"tier": "resolution", "lead_department": "econ-info"}
    assert all(e["actor"]["id"] is None for e in events)
    seen = client.get(f"/v1/cases/{cid}", headers=auth(tokens.enterprise)).json()
    assert seen["escalation_level"] is None
    assert seen["co_replies"] is None


def test_as_of_time_gives_the_state_then(client: TestClient, tokens: Tokens) -> None:
    case = dispatched(client, tokens)
    history = client.get(f"/v1/cases/{case['id']}/history", headers=auth(tokens.auditor)).json()["events"]
    r = client.get(f"/v1/cases/{case['id']}", params={"as_of": history[0]["at"]}, headers=auth(tokens.auditor))
    assert (r.json()["status"], r.json()["version"]) == ("registered", 1)
    r = client.get(f"/v1/cases/{case['id']}", params={"as_of": "2020-01-01T00:00:00Z"}, headers=auth(tokens.auditor))
    assert r.status_code == 404


def test_openapi_describes_every_endpoint_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for action in (
        "dispatch",
        "sign-for",
        "return",
        "arbitration",
        "contact",
        "progress",
        "co-reply",
        "co-reply-waiver",
        "extension-request",
        "extension-decision",
        "escalation",
        "resolution",
        "evaluation",
        "reopen",
        "closure",
        "withdrawal",
        "merge",
    ):
        assert f"/v1/cases/{{case_id}}/{action}" in paths
        assert paths[f"/v1/cases/{{case_id}}/{action}"]["post"]["description"]
    assert {"/v1/cases", "/v1/cases/{case_id}", "/v1/cases/{case_id}/history", "/v1/tokens", "/healthz"} <= paths.keys()
    schemas = spec["components"]["schemas"]
    for name in ("RegisterCase", "Dispatch", "CaseOut", "Problem", "HistoryOut", "TokenIn"):
        assert schemas[name].get("examples"), name
    assert client.get("/docs").status_code == 200


def test_failed_authentication_is_rate_limited_per_client(
    client: TestClient, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = [client.get("/v1/tokens", headers=auth(f"ct_guess{i}")).status_code for i in range(25)]
    assert codes[:20] == [401] * 20
    assert set(codes[20:]) == {429}
    r = client.get("/v1/tokens", headers=auth("ct_another_guess"))
    assert int(r.headers["Retry-After"]) > 0
    assert r.json()["rule"] == "too_many_failed_authentications"
    # Refused before the lookup, so a guess that hits gets no further than a wrong one...
    assert client.get("/v1/tokens", headers=auth(tokens.admin)).status_code == 429
    later = time.monotonic() + 61
    monkeypatch.setattr("api.throttle.time.monotonic", lambda: later)
    assert client.get("/v1/tokens", headers=auth(tokens.admin)).status_code == 200  # ...until the window passes


def test_an_oversized_chunked_body_is_413_too(client: TestClient, tokens: Tokens) -> None:
    def chunks():  # no Content-Length: the body arrives in pieces
        for _ in range(50):
            yield b"x" * 10_000

    r = client.post(
        "/v1/cases", content=chunks(), headers=auth(tokens.coordinator, **{"content-type": "application/json"})
    )
    assert (r.status_code, r.json()["rule"]) == (413, "body_too_large")
    small = client.post(
        "/v1/cases",
        content=iter([b'{"kind": "enterprise_problem"}']),
        headers=auth(tokens.coordinator, **{"content-type": "application/json"}),
    )
    assert small.status_code == 422  # a chunked body under the limit reaches the application whole
