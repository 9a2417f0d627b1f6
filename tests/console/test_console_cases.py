"""Case pages in-process: the same access rules as the API, stale forms, double submits and refusals."""

from __future__ import annotations

import time
from collections.abc import Callable
from uuid import UUID

from fastapi.testclient import TestClient

from application.execution import CommandContext
from domain.rules import Rule
from domain.values import Actor, Role
from infrastructure.container import Container
from tests.console.conftest import Browser, form_fields, hidden
from tests.http.scenario import CODE, Tokens, auth

NEW = {
    "kind": "enterprise_problem",
    "title": "<script>alert(1)</script>",
    "description": "蒸汽通道没有接入路径",
    "enterprise_name": "远大医药（中国）有限公司",
    "enterprise_credit_code": CODE,
    "contact_name": "李锐",
    "contact_phone": "13800000000",
    "category": "utilities",
    "channel": "visit",
    "urgency": "normal",
}


def eventually(check: Callable[[], bool], seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def register(c: TestClient, **overrides: str) -> TestClient | str:
    page = c.get("/console/cases/new").text
    data = {**form_fields(page, "/console/cases/new"), **NEW, **overrides}
    answer = c.post("/console/cases/new", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].split("?")[0]


def act(c: TestClient, case_url: str, action: str, **fields: str | list[str]) -> object:
    page = c.get(case_url).text
    data = {**form_fields(page, f"{case_url}/{action}"), **fields}
    return c.post(f"{case_url}/{action}", data=data, follow_redirects=False)


def test_intake_shows_a_wrong_check_digit_at_the_field(browser: Browser, tokens: Tokens) -> None:
    coordinator = browser(tokens.coordinator)
    page = coordinator.get("/console/cases/new").text
    data = {**form_fields(page, "/console/cases/new"), **NEW, "enterprise_credit_code": CODE[:-1] + "3"}
    answer = coordinator.post("/console/cases/new", data=data)
    assert answer.status_code == 422
    assert 'id="err-enterprise_credit_code"' in answer.text and "校验码" in answer.text


def test_a_case_title_is_shown_as_text_never_run(browser: Browser, tokens: Tokens) -> None:
    coordinator = browser(tokens.coordinator)
    url = register(coordinator)
    html = coordinator.get(url).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html


def test_another_departments_case_is_the_404_page(browser: Browser, tokens: Tokens) -> None:
    coordinator, outsider = browser(tokens.coordinator), browser(tokens.outsider)
    url = register(coordinator)
    assert act(coordinator, url, "dispatch", tier="handling", lead_department="econ-info").status_code == 303
    answer = outsider.get(url)
    assert answer.status_code == 404 and "找不到这个页面" in answer.text
    assert "alert" not in answer.text


def test_an_action_the_role_may_not_take_is_not_offered_and_is_refused_with_403(
    browser: Browser, tokens: Tokens
) -> None:
    coordinator, lead = browser(tokens.coordinator), browser(tokens.lead)
    url = register(coordinator)
    assert act(coordinator, url, "dispatch", tier="handling", lead_department="econ-info").status_code == 303
    page = lead.get(url).text
    assert f"{url}/dispatch" not in page and f"{url}/sign_for" in page
    forged = {
        "csrf": hidden(page, "csrf"),
        "version": "2",
        "idempotency_key": "k1",
        "tier": "handling",
        "lead_department": "finance",
    }
    answer = lead.post(f"{url}/dispatch", data=forged)
    assert answer.status_code == 403 and "无权" in answer.text
    history = lead.get(f"/v1/cases/{url.rsplit('/', 1)[1]}/history", headers=auth(tokens.lead)).json()["events"]
    assert [e["type"] for e in history] == ["CaseRegistered", "CaseDispatched"]


def test_a_stale_form_shows_the_case_changed_and_records_nothing(browser: Browser, tokens: Tokens) -> None:
    coordinator, lead = browser(tokens.coordinator), browser(tokens.lead)
    url = register(coordinator)
    act(coordinator, url, "dispatch", tier="handling", lead_department="econ-info")
    stale = coordinator.get(url).text  # rendered at version 2
    assert act(lead, url, "sign_for").status_code == 303  # version 3
    data = {**form_fields(stale, f"{url}/withdraw"), "reason": "企业已自行解决"}
    answer = coordinator.post(f"{url}/withdraw", data=data)
    assert answer.status_code == 409 and "此诉求在您打开后已被修改" in answer.text
    assert "办理中" in answer.text  # the new state is shown
    case = coordinator.get(f"/v1/cases/{url.rsplit('/', 1)[1]}", headers=auth(tokens.coordinator)).json()
    assert case["status"] == "in_progress" and case["version"] == 3


def test_a_double_submit_records_once(browser: Browser, tokens: Tokens) -> None:
    coordinator = browser(tokens.coordinator)
    url = register(coordinator)
    page = coordinator.get(url).text
    data = {**form_fields(page, f"{url}/dispatch"), "tier": "handling", "lead_department": "econ-info"}
    first = coordinator.post(f"{url}/dispatch", data=data, follow_redirects=False)
    second = coordinator.post(f"{url}/dispatch", data=data, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    history = coordinator.get(f"/v1/cases/{url.rsplit('/', 1)[1]}/history", headers=auth(tokens.coordinator))
    assert [e["type"] for e in history.json()["events"]] == ["CaseRegistered", "CaseDispatched"]


def test_a_refusal_shows_the_rules_explanation_at_the_form(browser: Browser, tokens: Tokens) -> None:
    coordinator = browser(tokens.coordinator)
    url = register(coordinator)
    answer = act(coordinator, url, "dispatch", tier="handling", lead_department="econ-info", co_departments=["finance"])
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert (
        Rule.CO_DEPARTMENTS_NEED_RESOLUTION_TIER.zh in answer.text
        and "co_departments_need_resolution_tier" in answer.text
    )  # type: ignore[attr-defined]


def test_the_whole_life_through_pages_and_the_timeline_names_people(browser: Browser, tokens: Tokens) -> None:
    coordinator, lead = browser(tokens.coordinator), browser(tokens.lead)
    url = register(coordinator, title="新增生产线需增容供电")
    assert act(coordinator, url, "dispatch", tier="handling", lead_department="econ-info").status_code == 303
    assert eventually(lambda: "待签收" in lead.get("/console/").text)  # the inbox is a view: it follows shortly
    assert act(lead, url, "sign_for").status_code == 303
    assert act(lead, url, "contact", note="已电话联系").status_code == 303
    assert act(lead, url, "resolve", outcome="solved", reply="已完成增容").status_code == 303
    assert act(coordinator, url, "evaluate", satisfaction="satisfied", solved="true").status_code == 303
    assert act(coordinator, url, "close").status_code == 303
    html = coordinator.get(url).text
    assert "已销号" in html and "handler {&#39;department&#39;: &#39;econ-info&#39;}" in html
    assert "区经济和信息化局" in html and "econ-info</" not in html
    for words in ("登记诉求", "派单", "签收", "首次联系企业", "办结", "回访评价", "销号"):
        assert words in html


def test_the_warnings_view_filters_by_level_kind_department_and_zone(client: TestClient, tokens: Tokens) -> None:
    case = client.post(
        "/v1/cases",
        json={
            "kind": "enterprise_problem",
            "title": "道路破损",
            "description": "雨天积水",
            "enterprise": {"name": "远大医药", "credit_code": CODE},
            "category": "infrastructure",
            "channel": "visit",
            "contact": {"name": "李锐", "phone": "13800000000"},
        },
        headers=auth(tokens.coordinator),
    ).json()
    r = client.post(
        f"/v1/cases/{case['id']}/dispatch",
        json={"tier": "handling", "lead_department": "hi-tech-zone"},
        headers=auth(tokens.coordinator),
    )
    r = client.post(
        f"/v1/cases/{case['id']}/escalation", json={"level": "urge", "reason": "催办"}, headers=auth(tokens.coordinator)
    )
    position = r.json()["position"]

    def kinds(**q: str) -> list[str]:
        answer = client.get(
            "/v1/views/warnings", params={"min_position": position, **q}, headers=auth(tokens.coordinator)
        )
        assert answer.status_code == 200, answer.text
        return [w["kind"] for w in answer.json()["items"]]

    assert kinds() == ["escalation:urge"]
    assert kinds(kind="escalation") == ["escalation:urge"]
    assert kinds(kind="sign_for") == []
    assert kinds(level="yellow") == ["escalation:urge"] and kinds(level="red") == []
    assert kinds(zone="zone-1") == ["escalation:urge"] and kinds(zone="zone-2") == []
    assert kinds(department="hi-tech-zone") == ["escalation:urge"] and kinds(department="finance") == []
    assert client.get("/v1/views/warnings?level=purple", headers=auth(tokens.coordinator)).status_code == 422


def test_the_case_page_shows_the_contact_and_once_erased_shows_it_deleted(
    browser: Browser, tokens: Tokens, container: Container
) -> None:
    coordinator = browser(tokens.coordinator)
    url = register(coordinator)
    assert "李锐 13800000000" in coordinator.get(url).text
    assert act(coordinator, url, "withdraw", reason="企业已自行解决").status_code == 303  # type: ignore[attr-defined]
    case_id = UUID(str(url).rsplit("/", 1)[1])
    container.cases.erase_personal_data(case_id, CommandContext(Actor("admin-1", Role.ADMIN)), reason="本人要求")
    html = coordinator.get(url).text
    assert "已删除 已删除" in html and "13800000000" not in html
