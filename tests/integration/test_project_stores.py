"""Projects on SQLite and PostgreSQL: one winner per code across processes, the views' SQL, and intact chains."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

from application.execution import CommandContext
from application.project_views import ProjectFilter
from application.views import PageRequest
from domain.errors import StateConflict
from domain.project import Milestone
from domain.values import Kind
from infrastructure.clock import FixedClock
from infrastructure.container import build
from infrastructure.settings import Settings
from tests.conftest import AUDITOR, COORDINATOR, REPORTER, new_case
from tests.unit.project_steps import days, milestone, new_project, progress, register_project


def test_a_code_is_registered_once_across_processes(store_url: str, clock: FixedClock) -> None:
    apps = [build(Settings(database_url=store_url), clock=clock) for _ in range(2)]
    try:

        def register(i: int) -> str:
            try:
                apps[i % 2].projects.register(CommandContext(COORDINATOR), new_project(name=f"项目{i}"))
            except StateConflict as e:
                return e.rule
            return "registered"

        with ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(register, range(8)))
        assert sorted(outcomes) == ["project_code_taken"] * 7 + ["registered"]
    finally:
        for container in apps:
            container.close()


def test_project_views_reports_and_chains_on_a_real_store(store_url: str, clock: FixedClock) -> None:
    container = build(Settings(database_url=store_url), clock=clock)
    try:
        late = register_project(
            container, planned={"start": days(-130), "completion": days(300), "production": days(400)}
        )
        busy = register_project(container, code="WJ-2", name="万春镇冷链物流中心项目", zone="zone-3")
        milestone(container, busy, Milestone.STARTED, days(-10))
        progress(container, busy, 12.5, 1234.56)
        issue = container.cases.register(
            CommandContext(COORDINATOR), new_case(kind=Kind.PROJECT_ISSUE, project_id=str(late))
        )
        for worker in container.workers(batch_size=2):
            worker.catch_up()
        start = container.project_views.on_list(REPORTER, "start", PageRequest()).items
        assert [(i["id"], i["colour"]) for i in start] == [(str(busy), "green"), (str(late), "red")]
        found = container.project_views.list_projects(REPORTER, ProjectFilter(q="冷链"), PageRequest()).items
        assert [(i["id"], i["percent_complete"], i["investment_to_date"]) for i in found] == [
            (str(busy), 12.5, 1234.56)
        ]
        assert container.projects.get(late, COORDINATOR).open_issue_ids == [str(issue.case.id)]
        zones = {
            r["zone"]: r for r in container.zone_reports.zone_report(REPORTER, date(2026, 11, 1), date(2026, 11, 30))
        }
        assert (zones["zone-1"]["start_red"], zones["zone-3"]["investment_to_date"]) == (1, 1234.56)
        for pid in (late, busy):
            assert container.audit.verify_stream(AUDITOR, pid, "casetrail:ProjectRegistered").ok
    finally:
        container.close()
