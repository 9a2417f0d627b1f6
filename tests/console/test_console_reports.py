"""Reports, projects and audit pages in-process: who may open them, the files they hand out, and format negotiation
of the report API (the browser tests check the same pages in Chromium against the demo data)."""

from __future__ import annotations

import csv
import io
import re
import threading
import time
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.report_answers import XLSX
from application.audit import AuditService
from application.reports import COLUMNS
from application.zone_report import ZONE_COLUMNS
from infrastructure.checkpoint_log import CheckpointLog
from infrastructure.container import Container
from tests.conftest import AUDITOR
from tests.console.conftest import Browser, hidden
from tests.http.scenario import CASE_BODY, Tokens, auth, register, step, tier2_life_with_redo
from tests.http.test_projects_api import create

MONTH = {"month": "2026-11"}
PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}


def scenario(client: TestClient, t: Tokens) -> dict[str, object]:
    """A tier-2 case of econ-info with a redo round, and a case withdrawn before dispatch; the JSON report of the
    month once the projection has applied the last event."""
    tier2_life_with_redo(client, t)
    withdrawn = register(client, t.coordinator)
    position = step(client, t.coordinator, withdrawn["id"], "withdrawal", {"reason": "企业自行解决"})["position"]
    params = {**PERIOD, "min_position": position}
    body: dict[str, object] = client.get("/v1/reports/departments", params=params, headers=auth(t.reporter)).json()
    return body


def row_of(html: str, department: str) -> str:
    found = re.search(rf'<tr data-department="{department}">(.*?)</tr>', html, re.S)
    assert found, f"no row for {department}"
    return found.group(1)


def cell(row: str, column: str) -> str:
    found = re.search(rf'data-col="{column}">([^<]*)<', row)
    assert found, column
    return found.group(1)


def test_the_reports_page_shows_the_api_figures_ranked_with_charts(
    client: TestClient, tokens: Tokens, browser: Browser
) -> None:
    api = {r["department"]: r for r in scenario(client, tokens)["items"]}  # type: ignore[attr-defined]
    page = browser(tokens.reporter).get("/console/reports", params=MONTH)
    assert page.status_code == 200
    econ = row_of(page.text, "econ-info")
    assert cell(econ, "response_rate") == f"{api['econ-info']['response_rate'] * 100:.1f}%"
    assert cell(econ, "satisfaction_rate") == f"{api['econ-info']['satisfaction_rate'] * 100:.1f}%"
    assert cell(econ, "composite") == f"{api['econ-info']['composite'] * 100:.1f}"
    assert cell(econ, "redos") == str(api["econ-info"]["redos"])
    assert cell(econ, "dispatched") == str(api["econ-info"]["dispatched"])
    assert "<td>1</td>" in econ  # the only department with a composite ranks first
    assert 'id="chart-rates"' in page.text and 'id="chart-trend"' in page.text
    assert "/console/static/vendor/chartjs/chart.umd.min.js" in page.text
    assert "第一战区" in page.text and "第四战区" in page.text


def test_the_trend_reads_the_same_composites_as_the_report(
    client: TestClient, container: Container, tokens: Tokens
) -> None:
    api = {r["department"]: r["composite"] for r in scenario(client, tokens)["items"]}  # type: ignore[attr-defined]
    reporter = container.tokens.authenticate(tokens.reporter)
    assert reporter is not None
    (november,) = container.reports.composites(reporter, [(date(2026, 11, 1), date(2026, 11, 30))])
    assert november == {code: value for code, value in api.items() if code != "undispatched"}
    assert november["econ-info"] is not None


def test_the_reports_page_defaults_to_the_last_full_month(tokens: Tokens, browser: Browser) -> None:
    page = browser(tokens.coordinator).get("/console/reports")
    assert "2026年10月（2026-10-01 至 2026-10-31）" in page.text
    assert '<option value="2026-10" selected>2026年10月</option>' in page.text
    assert 'value="2026-11"' not in page.text  # a month not yet over is not offered


def test_a_reporter_and_an_auditor_start_on_their_first_screens(tokens: Tokens, browser: Browser) -> None:
    for token, target in ((tokens.reporter, "/console/reports"), (tokens.auditor, "/console/audit")):
        answer = browser(token).get("/console/", follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, target)


def test_the_csv_download_has_a_byte_order_mark_a_file_name_and_the_api_figures(
    client: TestClient, tokens: Tokens, browser: Browser
) -> None:
    api = scenario(client, tokens)
    r = browser(tokens.reporter).get("/console/reports/departments.csv", params=MONTH)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.content.startswith(b"\xef\xbb\xbf")
    disposition = r.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="department-report-2026-11.csv"; ')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "三率报表-2026-11.csv"
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    expected = [{k: "" if v is None else str(v) for k, v in item.items()} for item in api["items"]]  # type: ignore[attr-defined]
    assert rows == expected


def test_the_xlsx_download_has_chinese_headers_percentages_and_the_api_figures(
    client: TestClient, tokens: Tokens, browser: Browser
) -> None:
    api = {r["department"]: r for r in scenario(client, tokens)["items"]}  # type: ignore[attr-defined]
    r = browser(tokens.coordinator).get("/console/reports/departments.xlsx", params=MONTH)
    assert r.headers["content-type"] == XLSX
    assert "filename*=UTF-8''" + "%E4%B8%89%E7%8E%87%E6%8A%A5%E8%A1%A8-2026-11.xlsx" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["三率报表"]
    sheet = book["三率报表"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["部门代码", "部门", "战区"] and "响应率" in header and "综合得分（百分制）" in header
    rows = {row[0].value: {h: c for h, c in zip(COLUMNS, row, strict=True)} for row in sheet.iter_rows(min_row=2)}
    econ, want = rows["econ-info"], api["econ-info"]
    for rate in ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate"):
        assert (econ[rate].value, econ[rate].number_format) == (want[rate], "0.0%")
    assert econ["composite"].value == round(want["composite"] * 100, 2)
    assert [econ[k].value for k in ("dispatched", "open", "overdue", "returns", "redos")] == [
        want[k] for k in ("dispatched", "open", "overdue", "returns", "redos")
    ]
    assert rows["finance"]["response_rate"].value is None


def test_the_zone_downloads_name_the_zone_report(tokens: Tokens, browser: Browser) -> None:
    c = browser(tokens.auditor)
    r = c.get("/console/reports/zones.csv", params=MONTH)
    assert 'filename="zone-report-2026-11.csv"' in r.headers["content-disposition"]
    assert next(csv.reader(io.StringIO(r.content.decode("utf-8-sig")))) == list(ZONE_COLUMNS)
    book = load_workbook(io.BytesIO(c.get("/console/reports/zones.xlsx", params=MONTH).content))
    assert [row[0] for row in book["战区报表"].iter_rows(min_row=2, values_only=True)] == [
        "第一战区",
        "第二战区",
        "第三战区",
        "第四战区",
    ]


@pytest.mark.parametrize(
    ("params", "headers", "media_type"),
    [
        ({}, {}, "application/json"),
        ({}, {"Accept": "text/csv"}, "text/csv; charset=utf-8"),
        ({}, {"Accept": XLSX}, XLSX),
        ({"format": "xlsx"}, {}, XLSX),
        ({"format": "csv"}, {"Accept": "application/json"}, "text/csv; charset=utf-8"),
        ({"format": "json"}, {"Accept": "text/csv"}, "application/json"),
    ],
)
@pytest.mark.parametrize("url", ["/v1/reports/departments", "/v1/reports/zones"])
def test_the_report_api_answers_by_format_first_then_by_accept(
    client: TestClient, tokens: Tokens, url: str, params: dict[str, str], headers: dict[str, str], media_type: str
) -> None:
    r = client.get(url, params={**PERIOD, **params}, headers=auth(tokens.reporter, **headers))
    assert (r.status_code, r.headers["content-type"]) == (200, media_type)
    assert ("content-disposition" in r.headers) == (media_type != "application/json")


def test_an_unknown_format_is_422(client: TestClient, tokens: Tokens) -> None:
    r = client.get("/v1/reports/departments", params={"format": "pdf"}, headers=auth(tokens.reporter))
    assert r.status_code == 422


def test_openapi_documents_both_file_types_and_the_format_parameter(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for url in ("/v1/reports/departments", "/v1/reports/zones"):
        operation = paths[url]["get"]
        assert {"application/json", "text/csv", XLSX} <= operation["responses"]["200"]["content"].keys()
        formats = next(p for p in operation["parameters"] if p["name"] == "format")
        assert all(f in str(formats["schema"]) for f in ("json", "csv", "xlsx"))


@pytest.mark.parametrize(
    "path",
    [
        "/console/reports",
        "/console/reports/departments.csv",
        "/console/reports/zones.xlsx",
        "/console/projects",
        "/console/audit",
    ],
)
def test_handlers_and_enterprises_are_refused_the_pages_the_api_refuses(
    tokens: Tokens, browser: Browser, path: str
) -> None:
    for token in (tokens.lead, tokens.enterprise):
        answer = browser(token).get(path)
        assert answer.status_code == 403, (path, answer.status_code)
        assert "无权进行此操作" in answer.text


def test_reporters_and_coordinators_may_not_open_the_audit_trail(tokens: Tokens, browser: Browser) -> None:
    for token in (tokens.reporter, tokens.coordinator):
        assert browser(token).get("/console/audit").status_code == 403


def test_the_audit_feed_links_entries_to_their_case_and_filters_by_stream(
    client: TestClient, tokens: Tokens, browser: Browser
) -> None:
    first, other = register(client, tokens.coordinator), register(client, tokens.coordinator)
    c = browser(tokens.auditor)
    page = c.get("/console/audit").text
    assert f'href="/console/cases/{first["id"]}?version=1"' in page
    assert ">coordinator {}</a>" in page  # the actor by the name its token was issued under
    assert f'href="/console/cases/{other["id"]}?version=1"' in page
    only = c.get("/console/audit", params={"stream": first["id"]}).text
    assert first["id"] in only and other["id"] not in only


def test_the_audit_filter_form_as_sent_with_empty_dates_finds_a_case_by_its_reference(
    client: TestClient, tokens: Tokens, browser: Browser
) -> None:
    first, other = register(client, tokens.coordinator), register(client, tokens.coordinator)
    form = {"actor": "", "since": "", "until": "", "stream": first["reference"]}  # what the browser sends
    page = browser(tokens.auditor).get("/console/audit", params=form)
    assert page.status_code == 200
    assert f'href="/console/cases/{first["id"]}?version=1"' in page.text and other["id"] not in page.text
    typed = browser(tokens.auditor).get("/console/audit", params={**form, "stream": f" {first['reference'].lower()} "})
    assert f'href="/console/cases/{first["id"]}?version=1"' in typed.text  # as people type it: any case, spaces
    unknown = browser(tokens.auditor).get("/console/audit", params={**form, "stream": "QY-1999-000001"})
    assert unknown.status_code == 200 and "没有符合条件的记录" in unknown.text


def test_an_auditor_verifies_the_whole_store_from_the_audit_page(
    client: TestClient, tokens: Tokens, browser: Browser
) -> None:
    case = register(client, tokens.coordinator)
    step(client, tokens.coordinator, case["id"], "dispatch", {"tier": "handling", "lead_department": "econ-info"})
    c = browser(tokens.auditor)
    page = c.get("/console/audit").text
    assert "尚无自动检查点" in page  # in memory there is no checkpoint log
    forged = c.post("/console/audit/verify", data={"csrf": "not-this-session"})
    assert forged.status_code == 403
    checked = c.post("/console/audit/verify", data={"csrf": hidden(page, "csrf")})
    assert checked.status_code == 200
    badge = re.search(r'id="store-badge">([^<]*)<', checked.text)
    assert badge and badge.group(1).startswith("✓ 全部完整：")
    events = int(re.search(r"的 (\d+) 条记录", badge.group(1)).group(1))  # type: ignore[union-attr]
    assert events >= 2 + 10  # the case's two, and the tokens the scenario issued
    coordinator = browser(tokens.coordinator)
    own_csrf = hidden(coordinator.get("/console/").text, "csrf")  # a valid form of theirs, but not an auditor
    assert coordinator.post("/console/audit/verify", data={"csrf": own_csrf}).status_code == 403


def test_auditors_asking_while_a_store_check_runs_are_answered_by_that_pass(
    tokens: Tokens, browser: Browser, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass over the whole log is the heaviest thing the console can ask for: a second click, or a second
    auditor, while one runs gets its result instead of starting another pass beside it."""
    started, release = threading.Event(), threading.Event()
    passes: list[object] = []
    real = AuditService.verify_store

    def slow(self: AuditService, by: object, *args: object, **kwargs: object) -> object:
        passes.append(by)
        started.set()
        assert release.wait(10)
        return real(self, by, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(AuditService, "verify_store", slow)
    sessions = [browser(tokens.auditor), browser(tokens.auditor)]
    forms = [hidden(c.get("/console/audit").text, "csrf") for c in sessions]
    answers: dict[int, str] = {}

    def verify(n: int) -> None:
        r = sessions[n].post("/console/audit/verify", data={"csrf": forms[n]})
        answers[n] = f"{r.status_code} {r.text}"

    first = threading.Thread(target=verify, args=(0,))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=verify, args=(1,))
    second.start()
    deadline = time.monotonic() + 10
    while container.audit.store_checks.waiting(None) < 1:  # no checkpoint log in memory: the pass of no checkpoint
        assert time.monotonic() < deadline, "the second request did not join the running pass"
        time.sleep(0.01)
    release.set()
    first.join(10)
    second.join(10)
    assert len(passes) == 1
    for n in (0, 1):
        assert answers[n].startswith("200 ") and "✓ 全部完整：" in answers[n]
    again = sessions[1].post("/console/audit/verify", data={"csrf": forms[1]})  # the pass ended: a new one runs
    assert again.status_code == 200 and len(passes) == 2


def test_an_auditor_sees_the_badge_and_reads_the_case_as_of_a_version(
    client: TestClient, tokens: Tokens, browser: Browser
) -> None:
    case = register(client, tokens.coordinator)
    step(client, tokens.coordinator, case["id"], "dispatch", {"tier": "handling", "lead_department": "econ-info"})
    c = browser(tokens.auditor)
    now = c.get(f"/console/cases/{case['id']}").text
    assert "链条完整：2 个事件" in now and "已派单" in now and 'id="as-of"' not in now
    then = c.get(f"/console/cases/{case['id']}", params={"version": 1}).text
    assert 'id="as-of"' in then and "第 1 版" in then
    assert re.search(r'class="status status-registered">已登记<', then)
    assert "status-dispatched" not in then
    coordinator = browser(tokens.coordinator).get(f"/console/cases/{case['id']}").text
    assert 'id="badge"' not in coordinator


def test_a_project_on_its_list_and_its_page_with_milestones_and_open_issues(
    client: TestClient, tokens: Tokens, browser: Browser
) -> None:
    project = create(client, tokens)
    issue = client.post(
        "/v1/cases",
        json={**CASE_BODY, "kind": "project_issue", "project_id": project["id"]},
        headers=auth(tokens.coordinator),
    ).json()
    client.get(
        f"/v1/projects/{project['id']}", params={"min_position": issue["position"]}, headers=auth(tokens.coordinator)
    )
    (on,) = project["lists"]
    lists = browser(tokens.reporter).get("/console/projects").text
    column = lists[lists.index(f'id="list-{on}"') :]
    column = column[: column.index("</section>")]
    assert f'<li class="card card-{project["lists"][on]["colour"]}">' in column and project["name"] in column
    coordinator = browser(tokens.coordinator)
    page = coordinator.get(f"/console/projects/{project['id']}").text
    assert "落地开工" in page and project["planned"]["start"] in page
    assert f'href="/console/cases/{issue["id"]}"' in page and issue["reference"] in page
    reporter_page = browser(tokens.reporter).get(f"/console/projects/{project['id']}").text
    assert "有 1 个未办结问题" in reporter_page and f"/console/cases/{issue['id']}" not in reporter_page
    assert coordinator.get("/console/projects/not-a-uuid").status_code == 404


def test_the_audit_page_compares_the_store_with_the_latest_checkpoint_of_the_log(
    client: TestClient, tokens: Tokens, browser: Browser, container: Container, tmp_path: Path
) -> None:
    """With a checkpoint log, the page names its latest checkpoint, and verifying compares the store with it: one
    taken of this store matches; one of a history that differs does not; a log whose last line is no checkpoint is
    shown as unreadable."""
    container.settings = container.settings.model_copy(update={"checkpoint_log": tmp_path / "checkpoints.jsonl"})
    case = register(client, tokens.coordinator)
    step(client, tokens.coordinator, case["id"], "dispatch", {"tier": "handling", "lead_department": "econ-info"})
    log = CheckpointLog(tmp_path / "checkpoints.jsonl")
    taken = container.audit.checkpoint(AUDITOR, with_hashes=True)
    log.append(taken)
    c = browser(tokens.auditor)
    page = c.get("/console/audit").text
    assert f"最近的自动检查点：位置 {taken['position']}" in page
    checked = c.post("/console/audit/verify", data={"csrf": hidden(page, "csrf")}).text
    assert re.search(r'id="against">[^<]*<span class="good">一致</span>', checked), checked
    log.append({**taken, "root": "0" * 64})  # a checkpoint of some other history
    checked = c.post("/console/audit/verify", data={"csrf": hidden(page, "csrf")}).text
    assert '<span class="bad">不一致</span>：此前的历史被截断或改写' in checked
    log.append({"note": "not a checkpoint"})
    assert "检查点记录无法读取" in c.get("/console/audit").text
