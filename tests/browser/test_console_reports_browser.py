"""Reports, the four lists and the audit trail in Chromium, over the demo data of a real `casetrail serve`."""

from __future__ import annotations

import csv
import io
import sqlite3
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from tests.browser.conftest import Person
from tests.browser.test_console_browser import only_this_server
from tests.e2e.conftest import Server

pytestmark = pytest.mark.browser


def demo_tokens(server: Server) -> dict[str, str]:
    """Loads the demo data set; its tokens by label (coordinator, auditor, reporter, …)."""
    lines = server.cli("demo").splitlines()
    return {
        lines[i].strip().rstrip(":"): lines[i + 1].strip()
        for i, line in enumerate(lines[:-1])
        if line.startswith("  ") and line.strip().endswith(":") and lines[i + 1].strip().startswith("ct_")
    }


def last_full_month() -> tuple[date, date]:
    first = date.today().replace(day=1)
    end = first - timedelta(days=1)
    return end.replace(day=1), end


def api(server: Server, token: str, path: str, **params: Any) -> Any:
    r = httpx.get(server.url + path, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def settled_report(server: Server, token: str) -> list[dict[str, Any]]:
    """The month's department report once the projections have caught up with the demo (two equal reads)."""
    start, end = last_full_month()
    before: Any = None
    for _ in range(100):
        now = api(server, token, "/v1/reports/departments", **{"from": str(start), "to": str(end)})["items"]
        if now == before and sum(r["dispatched"] for r in now) > 0:
            return list(now)
        before = now
        time.sleep(0.3)
    raise AssertionError("the reports projection did not settle")


def shown(value: float | None, score: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.1f}" + ("" if score else "%")


def test_the_reports_page_shows_the_api_figures_and_downloads_open_into_them(
    people: Any, server: Server, tmp_path: Path
) -> None:
    tokens = demo_tokens(server)
    report = settled_report(server, tokens["reporter"])
    p: Person = people(1366, 900)
    p.sign_in(tokens["reporter"])
    assert p.page.url.endswith("/console/reports")  # a reporter's first screen
    p.page.wait_for_selector("#chart-rates[data-drawn='1']")
    p.page.wait_for_selector("#chart-trend[data-drawn='1']")
    assert p.page.locator("#chart-rates").bounding_box()["height"] > 200  # type: ignore[index]
    rows = p.page.locator("#ranked tbody tr")
    departments = [r for r in report if r["department"] != "undispatched"]
    assert rows.count() == len(departments)
    composites = []
    for i in range(rows.count()):
        row = rows.nth(i)
        want = next(r for r in departments if r["department"] == row.get_attribute("data-department"))
        cells = {
            c: row.locator(f"[data-col={c}]").inner_text()
            for c in (
                "dispatched",
                "response_rate",
                "resolution_rate",
                "satisfaction_rate",
                "composite",
                "overdue",
                "redos",
            )
        }
        assert cells == {
            "dispatched": str(want["dispatched"]),
            "response_rate": shown(want["response_rate"]),
            "resolution_rate": shown(want["resolution_rate"]),
            "satisfaction_rate": shown(want["satisfaction_rate"]),
            "composite": shown(want["composite"], score=True),
            "overdue": str(want["overdue"]),
            "redos": str(want["redos"]),
        }
        composites.append(want["composite"])
    ranked = [c for c in composites if c is not None]
    assert ranked and ranked == sorted(ranked, reverse=True) and composites[: len(ranked)] == ranked
    assert p.page.locator("#zone-table tbody tr").count() == 4
    p.shot("reports")

    month = last_full_month()[0].strftime("%Y-%m")
    with p.page.expect_download() as got:
        p.page.get_by_role("link", name="三率报表（CSV）").click()
    download = got.value
    assert download.suggested_filename == f"三率报表-{month}.csv"
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    opened = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert opened == [{k: "" if v is None else str(v) for k, v in r.items()} for r in report]

    with p.page.expect_download() as got:
        p.page.get_by_role("link", name="三率报表（Excel）").click()
    assert got.value.suggested_filename == f"三率报表-{month}.xlsx"
    sheet = load_workbook(io.BytesIO(Path(got.value.path()).read_bytes()))["三率报表"]
    header = [c.value for c in sheet[1]]
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    for r in report:
        xl = by_code[r["department"]]
        assert (xl["部门"], xl["派单数"], xl["响应率"], xl["解决率"], xl["满意率"], xl["超期"], xl["重办"]) == (
            r["name"],
            r["dispatched"],
            r["response_rate"],
            r["resolution_rate"],
            r["satisfaction_rate"],
            r["overdue"],
            r["redos"],
        )
        assert xl["综合得分（百分制）"] == (None if r["composite"] is None else round(r["composite"] * 100, 2))
    only_this_server(p, server)


def test_the_projects_page_shows_every_demo_project_on_its_lists_in_its_colour(people: Any, server: Server) -> None:
    tokens = demo_tokens(server)
    listed = {
        name: api(server, tokens["coordinator"], "/v1/views/projects", list=name, limit=500)["items"]
        for name in ("start", "construction", "completion", "production")
    }
    every = api(server, tokens["coordinator"], "/v1/projects", limit=500)["items"]
    assert every and all(
        any(p["id"] in {i["id"] for i in items} for items in listed.values()) or not p["lists"] for p in every
    )
    p: Person = people(1366, 900)
    p.sign_in(tokens["coordinator"])
    p.goto("/console/projects")
    for name, items in listed.items():
        column = p.page.locator(f"#list-{name}")
        assert column.locator(".card").count() == len(items)
        for item in items:
            card = column.locator(".card", has=p.page.get_by_role("link", name=item["name"], exact=True))
            assert card.get_attribute("class") == f"card card-{item['colour']}"
            assert (
                card.locator(".light").inner_text()
                == {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}[item["colour"]]
            )
    p.shot("projects")
    p.goto("/console/projects?list=start&zone=zone-2")
    assert p.page.locator(".list-col").count() == 1
    zone2 = [i for i in listed["start"] if i["zone"] == "zone-2"]
    assert p.page.locator("#list-start .card").count() == len(zone2)
    with_issues = next(
        (x for x in every if x["id"] and api(server, tokens["coordinator"], f"/v1/projects/{x['id']}")["open_issues"]),
        every[0],
    )
    p.goto(f"/console/projects/{with_issues['id']}")
    assert p.page.get_by_role("heading", name=with_issues["name"]).is_visible()
    assert p.page.locator("#milestones tbody tr").count() == 5
    issues = api(server, tokens["coordinator"], f"/v1/projects/{with_issues['id']}")["open_issue_ids"]
    for case_id in issues:
        assert p.page.locator(f"a[href='/console/cases/{case_id}']").count() == 1
    p.shot("project")
    only_this_server(p, server)


def test_an_auditor_sees_the_badge_break_at_the_changed_version_and_reads_a_past_version(
    people: Any, server: Server
) -> None:
    tokens = demo_tokens(server)
    closed = api(server, tokens["auditor"], "/v1/cases", status="closed", limit=1)["items"][0]
    case = f"/console/cases/{closed['id']}"
    p: Person = people(1366, 900)
    p.sign_in(tokens["auditor"])
    assert p.page.url.endswith("/console/audit")  # an auditor's first screen
    assert p.page.locator("#feed tbody tr").count() > 10
    p.page.get_by_role("button", name="立即核验全部记录").click()
    assert p.page.locator("#store-badge").inner_text().startswith("✓ 全部完整"), p.page.locator(
        "#store-badge"
    ).inner_text()
    p.shot("audit")
    p.page.fill("#stream", closed["reference"])  # a search by reference number
    p.page.get_by_role("button", name="筛选").click()
    assert p.page.locator("#feed tbody tr").count() == closed["version"]
    assert all(
        closed["id"] in href
        for href in p.page.locator("#feed tbody td:nth-child(5) a").evaluate_all("links => links.map(a => a.href)")
    )
    p.goto(case)
    assert p.page.locator("#badge").inner_text().startswith("✓ 链条完整")
    p.goto(case + "?version=1")
    assert p.page.locator(".case-state .status").inner_text() == "已登记"
    assert p.page.locator("#as-of").is_visible()
    assert p.page.locator("#actions form").count() == 0
    p.shot("case-as-of")

    path = server.env["CASETRAIL_DATABASE_URL"].removeprefix("sqlite:///")
    stream = closed["id"].replace("-", "")
    with sqlite3.connect(path) as db:
        (state,) = db.execute(
            "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = 3", (stream,)
        ).fetchone()
        changed = bytearray(state)
        changed[-3] ^= 0x01  # one bit of one byte of the event's JSON
        db.execute(
            "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = 3",
            (bytes(changed), stream),
        )
    p.goto(case)
    badge = p.page.locator("#badge").inner_text()
    assert badge.startswith("✗ 链条断裂：自第 3 版起"), badge
    assert p.page.locator("#as-of").is_visible()  # the page reads the case no further than version 2
    assert p.page.locator("details.versions li").nth(2).inner_text().startswith("第 3 版 未通过核验")
    p.shot("case-broken")
    p.goto("/console/audit")
    p.page.get_by_role("button", name="立即核验全部记录").click()
    store = p.page.locator("#store-badge").inner_text()
    assert store.startswith("✗ 发现问题：1 个对象的哈希链断裂"), store
    assert f"{closed['id'].replace('-', '')}：自第 3 版起" in p.page.locator("ul.broken").inner_text().replace("-", "")
    p.shot("audit-broken")
    only_this_server(p, server)
