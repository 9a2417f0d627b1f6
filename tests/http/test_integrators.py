"""What an integrator needs beside the commands: the directory, problems that say where and what, the rule
pages as JSON, and an OpenAPI document that names headers, operations and tags."""

from __future__ import annotations

from fastapi.testclient import TestClient

from domain.rules import Rule
from infrastructure.container import Container
from tests.http.scenario import Tokens, auth, register

DISPATCH = {"tier": "handling", "lead_department": "nowhere", "co_departments": []}


def test_departments_lists_every_code_with_its_chinese_name_and_zone(
    client: TestClient, tokens: Tokens, container: Container
) -> None:
    for token in (tokens.coordinator, tokens.enterprise, tokens.reporter):
        r = client.get("/v1/departments", headers=auth(token))
        assert r.status_code == 200
    items = r.json()["items"]
    assert {d["code"] for d in items} == {d.code for d in container.directory}
    assert {"code": "hi-tech-zone", "name": "成都温江高新技术产业园区", "zone": "zone-1"} in items
    assert client.get("/v1/departments").status_code == 401


def test_zones_lists_the_four_zones_with_names_and_departments(client: TestClient, tokens: Tokens) -> None:
    items = client.get("/v1/zones", headers=auth(tokens.lead)).json()["items"]
    assert [z["code"] for z in items] == ["zone-1", "zone-2", "zone-3", "zone-4"]
    assert items[0] == {"code": "zone-1", "name": "第一战区", "departments": ["hi-tech-zone"]}


def test_dispatch_to_an_unknown_department_is_422_listing_the_valid_codes(client: TestClient, tokens: Tokens) -> None:
    case = register(client, tokens.coordinator)
    path = f"/v1/cases/{case['id']}/dispatch"
    r = client.post(path, json=DISPATCH, headers=auth(tokens.coordinator))
    body = r.json()
    assert (r.status_code, body["rule"]) == (422, "unknown_department")
    assert "econ-info" in body["detail"] and "service-center" in body["detail"]
    assert body["instance"] == path
    assert body["errors"] == [{"loc": ["body"], "msg": body["detail"], "type": "unknown_department"}]


def test_a_malformed_body_is_422_with_an_error_per_field(client: TestClient, tokens: Tokens) -> None:
    r = client.post("/v1/cases", json={"kind": "enterprise_problem", "title": ""}, headers=auth(tokens.coordinator))
    body = r.json()
    assert (r.status_code, body["rule"], body["instance"]) == (422, "invalid_input", "/v1/cases")
    locs = {tuple(e["loc"]) for e in body["errors"]}
    assert {("body", "title"), ("body", "description"), ("body", "enterprise")} <= locs
    assert all(set(e) == {"loc", "msg", "type"} and e["msg"] and e["type"] for e in body["errors"])


def test_every_problem_carries_the_request_path_as_instance(client: TestClient) -> None:
    assert client.get("/v1/cases?limit=5").json()["instance"] == "/v1/cases"


def test_problem_page_answers_json_when_asked(client: TestClient) -> None:
    r = client.get("/problems/version_mismatch", headers={"Accept": "application/json"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["rule"] == "version_mismatch" and body["type"] == "/problems/version_mismatch"
    assert (body["zh"], body["en"]) == (Rule.VERSION_MISMATCH.zh, Rule.VERSION_MISMATCH.en)
    assert "If-Match" in body["what_to_do"]
    listed = client.get("/problems", headers={"Accept": "application/json"}).json()
    assert {r["rule"] for r in listed} == {str(rule) for rule in Rule}
    assert client.get("/problems/version_mismatch").headers["content-type"].startswith("text/html")


def test_an_empty_if_match_counts_as_absent(client: TestClient, tokens: Tokens) -> None:
    case = register(client, tokens.coordinator)
    body = {"tier": "handling", "lead_department": "econ-info", "co_departments": []}
    r = client.post(f"/v1/cases/{case['id']}/dispatch", json=body, headers=auth(tokens.coordinator, **{"If-Match": ""}))
    assert r.status_code == 200, r.text


def test_every_answer_carries_a_request_id_and_a_sane_one_is_kept(client: TestClient) -> None:
    assert len(client.get("/healthz").headers["X-Request-ID"]) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    forged = client.get("/healthz", headers={"X-Request-ID": "not sane " * 10}).headers["X-Request-ID"]
    assert forged != "not sane " * 10


def test_openapi_names_headers_operation_ids_and_tags(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    paths = doc["paths"]
    dispatch = paths["/v1/cases/{case_id}/dispatch"]["post"]
    assert dispatch["operationId"] == "cases_dispatch"
    assert {"ETag", "Idempotent-Replayed", "X-Request-ID"} <= set(dispatch["responses"]["200"]["headers"])
    assert "Retry-After" in dispatch["responses"]["503"]["headers"]
    created = paths["/v1/cases"]["post"]["responses"]["201"]["headers"]
    assert {"Location", "ETag"} <= set(created)
    assert "ETag" in paths["/v1/cases/{case_id}"]["get"]["responses"]["200"]["headers"]
    ids = [op["operationId"] for ops in paths.values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    tags = {t["name"]: t["description"] for t in doc["tags"]}
    used = {tag for ops in paths.values() for op in ops.values() for tag in op.get("tags", [])}
    assert used <= set(tags) and all(tags.values())
