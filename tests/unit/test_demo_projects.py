"""The demo's major projects: every list in every colour on the last day, project issues linked to them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.demo import DEMO_DAYS, load_demo
from api.demo_projects import PROJECTS
from application.project_views import ProjectFilter
from application.views import PageRequest
from domain.project_lists import COLOURS, LISTS
from domain.values import Actor, Role
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from tests.conftest import REPORTER


@pytest.fixture(scope="module")
def demo() -> tuple[Container, dict[str, str]]:
    now = datetime.now(UTC)
    clock = FixedClock(now - timedelta(days=DEMO_DAYS))
    container = build(Settings(database_url="memory://"), clock=clock)
    tokens = load_demo(container, clock, seed=7).tokens
    clock.at = now  # the lists as the centre sees them today
    for worker in container.workers():
        worker.catch_up()
    return container, tokens


def test_the_demo_has_projects_on_every_list_in_every_colour(demo: tuple[Container, dict[str, str]]) -> None:
    container, _ = demo
    found = {
        (name, item["colour"])
        for name in LISTS
        for item in container.project_views.on_list(REPORTER, name, PageRequest(500)).items
    }
    assert found == {(name, colour) for name in LISTS for colour in COLOURS}


def test_the_demo_links_project_issues_to_projects(demo: tuple[Container, dict[str, str]]) -> None:
    container, tokens = demo
    projects = container.project_views.list_projects(REPORTER, ProjectFilter(), PageRequest(500)).items
    assert len(projects) == len(PROJECTS)
    issues = [container.projects.get(p["id"], _coordinator(container, tokens)).open_issue_ids for p in projects]
    assert sum(map(len, issues)) >= 3


def test_the_demo_enterprise_sees_its_own_project(demo: tuple[Container, dict[str, str]]) -> None:
    container, tokens = demo
    firm = next(
        actor
        for secret in tokens.values()
        if (actor := container.tokens.authenticate(secret)) is not None and actor.role is Role.ENTERPRISE
    )
    own = container.project_views.list_projects(firm, ProjectFilter(), PageRequest(500)).items
    assert [p["owner"]["credit_code"] for p in own] == [firm.credit_code]


def _coordinator(container: Container, tokens: dict[str, str]) -> Actor:
    actor = container.tokens.authenticate(tokens["coordinator"])
    assert actor is not None
    return actor
