"""The contact's phone (personal data) is never logged, and is answered only to the roles whose work needs it."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from infrastructure.container import Container
from tests.conftest import START
from tests.http.scenario import CASE_BODY, DISPATCH, PROJECT, Tokens, auth, register, step

PHONE = "13912345678"
CONTACT = {"name": "李锐", "phone": PHONE}


def life_with_refusals(client: TestClient, t: Tokens) -> tuple[str, str]:
    """A tier-2 and a tier-1 case carrying the phone, through a life with refusals and validation errors."""
    cid = register(client, t.coordinator, contact=CONTACT)["id"]
    tier1 = register(client, t.enterprise, contact=CONTACT, urgency="urgent")["id"]
    step(client, t.coordinator, tier1, "dispatch", {"tier": "handling", "lead_department": "econ-info"})
    step(client, t.coordinator, cid, "dispatch", DISPATCH)
    refusals: list[tuple[str, str, dict[str, Any] | None, int]] = [
        # validation errors whose body carries the phone
        (t.coordinator, "/v1/cases", {**CASE_BODY, "contact": {"name": "李锐", "phone": PHONE + "x"}}, 422),
        (t.coordinator, "/v1/cases", {**CASE_BODY, "contact": {**CONTACT, "mobile": PHONE}}, 422),
        (t.coordinator, "/v1/cases", {**CASE_BODY, "contact": CONTACT, "title": f"电话{PHONE}\u0000"}, 422),
        (t.coordinator, "/v1/cases", {**CASE_BODY, "contact": PHONE}, 422),
        (t.lead, f"/v1/cases/{cid}/progress", {"note": f"已联系 {PHONE}", "phone": PHONE}, 422),
        # refusals of the role, the department, the owner and the state, with the phone in the body
        (t.other_enterprise, "/v1/cases", {**CASE_BODY, "contact": CONTACT}, 403),
        (t.reporter, "/v1/cases", {**CASE_BODY, "contact": CONTACT}, 403),
        (t.co1, f"/v1/cases/{cid}/contact", {"note": f"致电 {PHONE}"}, 403),
        (t.outsider, f"/v1/cases/{cid}/progress", {"note": f"致电 {PHONE}"}, 404),
        (t.coordinator, f"/v1/cases/{cid}/reopen", {"reason": f"企业来电 {PHONE}"}, 409),
    ]
    for token, path, body, status in refusals:
        r = client.post(path, json=body, headers=auth(token))
        assert r.status_code == status, (path, r.text)
    step(client, t.co1, cid, "co-reply", {"note": "同意"})
    step(client, t.lead, cid, "sign-for")
    step(client, t.lead, cid, "contact", {"note": f"已电话联系 {PHONE}"})
    step(client, t.lead, cid, "resolution", {"reply": "已接通", "outcome": "solved"})
    step(client, t.enterprise, cid, "evaluation", {"satisfaction": "dissatisfied", "solved": False})
    step(client, t.coordinator, cid, "reopen", {"reason": "仍未通汽"})
    return cid, tier1


def test_the_phone_never_reaches_a_log_record(
    client: TestClient, tokens: Tokens, container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: every logger of the app, the workers and httpx
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error", "httpx", "casetrail"):
        caplog.set_level(logging.DEBUG, logger=name)
    cid, _ = life_with_refusals(client, tokens)
    last = client.get(f"/v1/cases/{cid}", headers=auth(tokens.auditor)).json()
    for path in ("/v1/cases", "/v1/views/handling", "/v1/views/resolution", "/v1/views/warnings"):
        r = client.get(path, params={"min_position": last["position"]}, headers=auth(tokens.coordinator))
        assert r.status_code == 200, r.text
    container.tracking.run(START + timedelta(days=30))  # the tracking job logs what it raised
    client.get("/v1/views/warnings", headers=auth(tokens.coordinator))
    client.get("/metrics")

    assert caplog.records, "nothing was logged: the capture is not wired"
    assert any(r.name.startswith("httpx") for r in caplog.records), "the request log (access log) was not captured"
    for record in caplog.records:
        seen = " ".join(
            [record.getMessage(), repr(record.args), record.exc_text or "", repr(getattr(record, "__dict__", {}))]
        )
        assert PHONE not in seen, f"{record.name}: {record.getMessage()}"
    assert PHONE not in caplog.text


READ_ROLES = {
    "coordinator": 200,
    "lead": 200,
    "co1": 200,
    "enterprise": 200,
    "auditor": 200,
    "outsider": 404,
    "other_enterprise": 404,
    "reporter": 403,
    "admin": 403,
}


@pytest.mark.parametrize(("who", "status"), READ_ROLES.items())
def test_the_phone_is_answered_only_to_those_who_need_it(
    client: TestClient, tokens: Tokens, who: str, status: int
) -> None:
    cid = register(client, tokens.coordinator, contact=CONTACT)["id"]
    step(client, tokens.coordinator, cid, "dispatch", DISPATCH)
    token = getattr(tokens, who)
    case = client.get(f"/v1/cases/{cid}", headers=auth(token))
    history = client.get(f"/v1/cases/{cid}/history", headers=auth(token))
    assert (case.status_code, history.status_code) == (status, status)
    if status == 200:
        assert case.json()["contact"] == CONTACT
        assert history.json()["events"][0]["data"]["contact"] == CONTACT
    else:
        assert PHONE not in case.text and PHONE not in history.text


@pytest.mark.parametrize("who", ["reporter", "outsider", "other_enterprise", "lead", "coordinator", "auditor"])
def test_lists_views_reports_and_the_feed_carry_no_phone_to_those_without_the_need(
    client: TestClient, tokens: Tokens, who: str
) -> None:
    """Reporters read views and reports only: none of them carries the phone; nor do lists to outsiders."""
    _, tier1 = life_with_refusals(client, tokens)
    last = client.get(f"/v1/cases/{tier1}", headers=auth(tokens.auditor)).json()["position"]
    assert client.post("/v1/projects", json=PROJECT, headers=auth(tokens.coordinator)).status_code == 201
    token = getattr(tokens, who)
    paths = [
        "/v1/views/handling",
        "/v1/views/resolution",
        "/v1/views/warnings",
        "/v1/views/projects?list=start",
        "/v1/reports/departments",
        "/v1/reports/zones",
        "/v1/projects",
    ]
    if who in ("outsider", "other_enterprise", "reporter"):
        paths.append("/v1/cases")
    if who == "reporter":
        paths.append("/v1/audit/events")
    answered = 0
    for path in paths:
        r = client.get(path, params={"min_position": last}, headers=auth(token))
        assert r.status_code < 500, r.text
        assert PHONE not in r.text, path
        answered += r.status_code == 200
    assert answered >= (1 if who in ("outsider", "other_enterprise") else 3)
    if who in ("reporter", "coordinator", "auditor"):  # the queues they read do hold the case, without the phone
        items = client.get("/v1/views/handling", params={"min_position": last}, headers=auth(token)).json()["items"]
        assert tier1 in json.dumps(items) or any(i.get("title") == CASE_BODY["title"] for i in items)


def test_the_reporter_cannot_reach_the_phone_through_the_audit_feed(client: TestClient, tokens: Tokens) -> None:
    register(client, tokens.coordinator, contact=CONTACT)
    r = client.get("/v1/audit/events", headers=auth(tokens.reporter))
    assert (r.status_code, PHONE in r.text) == (403, False)
    r = client.get("/v1/audit/events", headers=auth(tokens.auditor))
    assert PHONE in r.text  # the auditor reads everything, personal data included
