"""Erasure and the personal-data access log over HTTP: status codes, rules, and what the bodies carry."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.http.scenario import DISPATCH, Tokens, auth, register, step

CONTACT = {"name": "李锐", "phone": "13912345678"}
ERASURE = {"reason": "联系人来函要求删除其个人信息"}
GONE = {"name": "已删除", "phone": "已删除"}


def erasure(client: TestClient, token: str, case_id: str) -> tuple[int, dict[str, object]]:
    r = client.post(f"/v1/cases/{case_id}/personal-data-erasure", json=ERASURE, headers=auth(token))
    return r.status_code, r.json()


def withdrawn_case(client: TestClient, t: Tokens) -> str:
    cid = str(register(client, t.enterprise, contact=CONTACT)["id"])
    step(client, t.coordinator, cid, "withdrawal", {"reason": "企业已自行解决"})
    return cid


def test_erase_personal_data_of_a_worked_case_is_409_with_its_rule(client: TestClient, tokens: Tokens) -> None:
    cid = str(register(client, tokens.coordinator, contact=CONTACT)["id"])
    step(client, tokens.coordinator, cid, "dispatch", DISPATCH)
    status, body = erasure(client, tokens.admin, cid)
    assert (status, body["rule"]) == (409, "erasure_while_open")
    assert client.get(f"/v1/cases/{cid}", headers=auth(tokens.coordinator)).json()["contact"] == CONTACT


def test_erase_personal_data_by_admin_then_every_read_shows_erased(client: TestClient, tokens: Tokens) -> None:
    cid = withdrawn_case(client, tokens)
    status, body = erasure(client, tokens.admin, cid)
    assert (status, body["personal_data_erased"], body["contact"]) == (200, True, None)
    again_status, again = erasure(client, tokens.admin, cid)
    assert (again_status, again["version"]) == (200, body["version"])
    case = client.get(f"/v1/cases/{cid}", params={"as_of_version": 1}, headers=auth(tokens.coordinator)).text
    history = client.get(f"/v1/cases/{cid}/history", headers=auth(tokens.enterprise)).json()["events"]
    feed = client.get("/v1/audit/events", headers=auth(tokens.auditor)).text
    assert CONTACT["phone"] not in case + feed and '"phone":"已删除"' in case.replace(" ", "")
    assert history[0]["data"]["contact"] == GONE and history[-1]["type"] == "CasePersonalDataErased"


def test_erase_personal_data_by_the_enterprise_only_of_its_own_ended_case(client: TestClient, tokens: Tokens) -> None:
    cid = withdrawn_case(client, tokens)
    assert erasure(client, tokens.other_enterprise, cid)[0] == 404
    assert erasure(client, tokens.coordinator, cid)[0] == 403
    status, body = erasure(client, tokens.enterprise, cid)
    assert (status, body["personal_data_erased"]) == (200, True)


def test_personal_data_access_lists_a_coordinators_read_and_not_a_reporters(client: TestClient, tokens: Tokens) -> None:
    cid = str(register(client, tokens.coordinator, contact=CONTACT)["id"])
    assert client.get(f"/v1/cases/{cid}", headers=auth(tokens.coordinator)).status_code == 200
    assert client.get(f"/v1/cases/{cid}", headers=auth(tokens.reporter)).status_code == 403
    assert client.get(f"/v1/cases/{cid}", headers=auth(tokens.outsider)).status_code == 404
    r = client.get("/v1/audit/personal-data-access", params={"case_id": cid}, headers=auth(tokens.auditor))
    assert r.status_code == 200, r.text
    assert [(i["role"], i["via"]) for i in r.json()["items"]] == [("coordinator", "case")]
    later = client.get(
        "/v1/audit/personal-data-access", params={"since": "2099-01-01T00:00:00"}, headers=auth(tokens.auditor)
    )
    assert later.json()["items"] == []
    assert client.get("/v1/audit/personal-data-access", headers=auth(tokens.coordinator)).status_code == 403
