"""Abuse limits over HTTP: a token past its write rate gets 429 with Retry-After and records nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.http.scenario import CASE_BODY, Tokens, auth, signed_for_case


def test_register_past_the_enterprise_write_rate_is_429(client: TestClient, tokens: Tokens) -> None:
    codes = [client.post("/v1/cases", json=CASE_BODY, headers=auth(tokens.enterprise)).status_code for _ in range(30)]
    assert codes == [201] * 30
    refused = client.post("/v1/cases", json=CASE_BODY, headers=auth(tokens.enterprise))
    assert refused.status_code == 429
    assert refused.json()["rule"] == "write_rate_exceeded"
    assert int(refused.headers["Retry-After"]) >= 1
    feed = client.get("/v1/audit/events", headers=auth(tokens.auditor), params={"limit": 500}).json()["items"]
    assert [e["type"] for e in feed].count("CaseRegistered") == 30


def test_a_note_over_4000_characters_is_422(client: TestClient, tokens: Tokens) -> None:
    case = signed_for_case(client, tokens)
    answer = client.post(f"/v1/cases/{case['id']}/progress", json={"note": "长" * 4001}, headers=auth(tokens.lead))
    assert answer.status_code == 422
    assert answer.json()["rule"] == "invalid_input"
    assert (
        client.post(
            f"/v1/cases/{case['id']}/progress", json={"note": "长" * 4000}, headers=auth(tokens.lead)
        ).status_code
        == 200
    )
