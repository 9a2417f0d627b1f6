"""The console in a real browser, through its pages alone, against a real `casetrail serve` (SQLite)."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.browser.conftest import Person, issue, token_of
from tests.e2e.conftest import Server
from tests.http.scenario import CODE

pytestmark = pytest.mark.browser


def register(p: Person, title: str) -> str:
    p.goto("/console/")
    p.page.get_by_role("link", name="登记诉求").first.click()
    p.page.get_by_label("企业名称").fill("远大医药（中国）有限公司")
    p.page.get_by_label("统一社会信用代码").fill(CODE)
    p.page.get_by_label("联系人").fill("李锐")
    p.page.get_by_label("联系电话").fill("13800000000")
    p.page.get_by_label("标题").fill(title)
    p.page.get_by_label("诉求内容").fill("洁净车间需要稳定蒸汽，现有蒸汽管网没有接入路径。")
    p.page.get_by_label("问题类别").select_option("utilities")
    p.page.get_by_label("来源渠道").select_option("visit")
    p.page.get_by_role("button", name="登记", exact=True).click()
    p.page.wait_for_url(re.compile(r"/console/cases/[0-9a-f-]{36}\?done=register"))
    return urlparse(p.page.url).path


def dispatch(p: Person, case: str, lead: str = "区经济和信息化局") -> None:
    p.goto(case)
    p.open_action("dispatch")
    p.page.get_by_label("主办单位").select_option(label=lead)
    p.page.locator("#act-dispatch").get_by_role("button", name="派单").click()
    p.page.wait_for_url("**done=dispatch")


def do(p: Person, case: str, action: str, button: str, **fields: str) -> None:
    p.goto(case)
    p.open_action(action)
    form = p.page.locator(f"#act-{action}")
    for label, value in fields.items():
        form.get_by_label(label).fill(value)
    form.get_by_role("button", name=button).click()
    p.page.wait_for_url(f"**done={action}")


def only_this_server(p: Person, server: Server, refusals: tuple[int, ...] = ()) -> None:
    """Every request went to the server; the console shows no error but the refusals the test provoked (Chromium
    logs a page answered 4xx as "Failed to load resource")."""
    host = urlparse(server.url).netloc
    assert p.requests and all(urlparse(u).netloc == host for u in p.requests if not u.startswith("data:")), p.requests
    expected = [f"status of {code} " for code in refusals]
    assert [e for e in p.errors if not any(x in e for x in expected)] == [], p.errors


def test_sign_in_and_out(people: Any, server: Server) -> None:
    p = people()
    token = token_of(issue(server, "coordinator"))
    p.goto("/")
    assert p.page.url.endswith("/console/sign-in")
    p.shot("sign-in")
    p.page.get_by_label("访问令牌").fill("ct_wrong")
    p.page.get_by_role("button", name="登录").click()
    assert p.page.get_by_role("alert").inner_text().startswith("访问令牌无效")
    p.sign_in(token)
    assert p.page.get_by_role("heading", name="工作台").is_visible()
    p.page.get_by_role("button", name="退出").click()
    p.page.wait_for_url("**/console/sign-in")
    p.goto("/console/")
    assert p.page.url.endswith("/console/sign-in")
    only_this_server(p, server, refusals=(401,))


def test_a_case_from_intake_to_closure_through_the_pages(people: Any, server: Server) -> None:
    coordinator, lead, outsider = people(), people(), people()
    coordinator.sign_in(token_of(issue(server, "coordinator")))
    lead.sign_in(token_of(issue(server, "handler", department="econ-info")))
    outsider.sign_in(token_of(issue(server, "handler", department="ecology")))

    case = register(coordinator, "核药车间蒸汽管道无接入路径")
    dispatch(coordinator, case)
    coordinator.shot("case-dispatched")

    lead.goto("/console/")
    for _ in range(50):  # the inbox is a view; it follows the event within a moment
        if lead.page.get_by_text("核药车间蒸汽管道无接入路径").count():
            break
        time.sleep(0.1)
        lead.page.reload()
    assert lead.page.get_by_text("待签收").first.is_visible()
    lead.shot("handler-inbox")

    outsider.goto(case)
    assert outsider.page.get_by_role("heading", name="找不到这个页面").is_visible()
    assert "核药车间" not in outsider.page.content()

    do(lead, case, "sign_for", "签收")
    do(lead, case, "contact", "首次联系", 联系情况="已电话联系企业负责人，约定现场踏勘")
    lead.goto(case)
    lead.open_action("resolve")
    lead.page.locator("#act-resolve").get_by_label("答复企业").fill("已协调园区完成蒸汽管道接入")
    lead.page.locator("#act-resolve").get_by_role("button", name="办结").click()
    lead.page.wait_for_url("**done=resolve")

    coordinator.goto(case)
    coordinator.open_action("evaluate")
    coordinator.page.locator("#act-evaluate").get_by_label("满意度").select_option(label="满意")
    coordinator.page.locator("#act-evaluate").get_by_role("button", name="回访评价").click()
    coordinator.page.wait_for_url("**done=evaluate")
    do(coordinator, case, "close", "销号")
    assert coordinator.page.locator(".case-state").get_by_text("已销号").is_visible()
    timeline = coordinator.page.locator("#timeline").inner_text()
    words = ("王敏", "张伟", "登记诉求", "派单", "签收", "首次联系企业", "办结", "回访评价", "销号", "区经济和信息化局")
    for line in words:
        assert line in timeline
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", timeline)  # names, never token ids
    coordinator.shot("case-closed")
    for p in (coordinator, lead):
        only_this_server(p, server)
    only_this_server(outsider, server, refusals=(404,))


def test_a_stale_form_and_a_double_click(people: Any, server: Server) -> None:
    coordinator, other = people(), people()
    token = token_of(issue(server, "coordinator"))
    coordinator.sign_in(token)
    other.sign_in(token)
    case = register(coordinator, "新增生产线需增容供电")

    coordinator.goto(case)  # rendered at version 1
    dispatch(other, case, "区财政局")  # someone else changes the case meanwhile
    coordinator.open_action("withdraw")
    coordinator.page.locator("#act-withdraw").get_by_label("理由").fill("企业已自行解决")
    coordinator.page.locator("#act-withdraw").get_by_role("button", name="撤回").click()
    assert coordinator.page.get_by_text("此诉求在您打开后已被修改").is_visible()
    assert coordinator.page.locator(".case-state").get_by_text("已派单").is_visible()
    coordinator.shot("case-stale-form")

    coordinator.goto(case)
    coordinator.open_action("escalate")
    coordinator.page.locator("#act-escalate").get_by_label("理由").fill("临近期限仍无进展")
    coordinator.page.evaluate("document.querySelectorAll('[data-sent]').forEach(f => delete f.dataset.sent)")
    coordinator.page.locator("#act-escalate").get_by_role("button", name="督办").dblclick()
    coordinator.page.wait_for_url("**done=escalate")
    timeline = coordinator.page.locator("#timeline").inner_text()
    assert timeline.count("临近期限仍无进展") == 1
    only_this_server(coordinator, server, refusals=(409,))


def test_script_in_a_title_is_shown_as_text(people: Any, server: Server) -> None:
    p = people()
    p.sign_in(token_of(issue(server, "coordinator")))
    dialogs: list[str] = []
    p.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    case = register(p, "<script>alert(1)</script>")
    p.goto(case)
    assert p.page.get_by_role("heading", name="<script>alert(1)</script>").is_visible()
    p.goto("/console/")
    assert dialogs == []
    only_this_server(p, server)


def test_the_board_lights_red_after_tracking_passes_a_deadline(people: Any, server: Server) -> None:
    p = people()
    p.sign_in(token_of(issue(server, "coordinator")))
    case = register(p, "厂区门前道路破损积水")
    dispatch(p, case)
    later = (date.today() + timedelta(days=20)).isoformat() + "T10:00:00"
    server.cli("track", "--now", later, "--allow-future")
    for _ in range(50):
        p.goto("/console/")
        if p.page.locator("#board-tracking").locator("..").locator(".rows .light-red").count():
            break
        time.sleep(0.1)
    board = p.page.locator("#board-tracking").locator("..")
    assert board.locator(".rows .light-red").first.inner_text() == "超期"
    p.shot("home-coordinator")
    p.goto("/console/warnings?level=red")
    assert p.page.get_by_text("厂区门前道路破损积水").first.is_visible()
    p.shot("warnings")
    p.goto(case)
    assert p.page.locator(".case-state .light-red").inner_text() == "超期"
    p.goto("/console/cases")
    p.shot("cases")
    p.goto("/console/cases/new")
    p.shot("case-new")
    only_this_server(p, server)


def test_a_form_without_its_anti_forgery_token_is_refused(people: Any, server: Server) -> None:
    p = people()
    p.sign_in(token_of(issue(server, "coordinator")))
    case = register(p, "食品生产许可证延续办理")
    p.goto(case)
    p.page.evaluate("document.querySelector('#act-withdraw input[name=csrf]').value = 'forged'")
    p.open_action("withdraw")
    p.page.locator("#act-withdraw").get_by_label("理由").fill("测试")
    p.page.locator("#act-withdraw").get_by_role("button", name="撤回").click()
    assert p.page.get_by_role("heading", name="表单已失效").is_visible()
    p.goto(case)
    assert p.page.locator(".case-state").get_by_text("已登记").is_visible()
    only_this_server(p, server, refusals=(403,))


def test_the_pages_fit_a_phone(people: Any, server: Server) -> None:
    p = people(390, 844)
    p.sign_in(token_of(issue(server, "coordinator")))
    case = register(p, "高层次人才子女入学")
    p.goto(case)
    width = p.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400
    p.shot("case-phone")
    p.goto("/docs")
    p.page.wait_for_selector(".swagger-ui .info", timeout=15_000)
    only_this_server(p, server)
