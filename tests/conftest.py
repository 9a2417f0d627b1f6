"""Shared fixtures: a fixed clock, actors of every role, and the service on each store."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import psycopg
import pytest

from application.case_execution import CaseResult
from application.cases import NewCase
from application.execution import CommandContext
from domain.values import Actor, Kind, Role
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.postgres_admin import ensure_database
from infrastructure.settings import Settings

# Thursday 2026-11-26, 09:00 in Asia/Shanghai: the day of API.md's example.
START = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
CODE = "91510115MA6C4B7Q2J"
OTHER_CODE = "91110000600037341L"
# Each test session gets its own database (suffixed with the process id), so two suites never collide.
POSTGRES_BASE_URL = os.environ.get("CASETRAIL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/casetrail_test")
POSTGRES_URL = f"{POSTGRES_BASE_URL}_{os.getpid()}"

COORDINATOR = Actor("coordinator-1", Role.COORDINATOR, "service-center")
LEAD = Actor("handler-econ", Role.HANDLER, "econ-info")
CO = Actor("handler-finance", Role.HANDLER, "finance")
CO2 = Actor("handler-housing", Role.HANDLER, "housing")
OUTSIDER = Actor("handler-ecology", Role.HANDLER, "ecology")
ENTERPRISE = Actor("enterprise-1", Role.ENTERPRISE, credit_code=CODE)
OTHER_ENTERPRISE = Actor("enterprise-2", Role.ENTERPRISE, credit_code=OTHER_CODE)
AUDITOR = Actor("auditor-1", Role.AUDITOR)
REPORTER = Actor("reporter-1", Role.REPORTER)


def new_case(**overrides: object) -> NewCase:
    fields: dict[str, object] = {
        "kind": Kind.ENTERPRISE_PROBLEM,
        "title": "核药车间蒸汽管道无接入路径",
        "description": "核药车间需要蒸汽保证洁净环境，原有蒸汽通道没有接入路径。",
        "enterprise": {"name": "远大医药（中国）有限公司", "credit_code": CODE},
        "category": "utilities",
        "channel": "visit",
        "urgency": "normal",
        "contact": {"name": "李锐", "phone": "13800000000"},
    }
    fields.update(overrides)
    return NewCase(**fields)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def container(clock: FixedClock) -> Iterator[Container]:
    """The service on in-memory persistence: where most tests run."""
    container = build(Settings(database_url="memory://"), clock=clock)
    yield container
    container.close()


@pytest.fixture
def register(container: Container) -> Callable[..., CaseResult]:
    def _register(by: Actor = COORDINATOR, **overrides: object) -> CaseResult:
        return container.cases.register(CommandContext(by), new_case(**overrides))

    return _register


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        ensure_database(POSTGRES_URL)
    except Exception as e:
        return str(e)
    return None


@pytest.fixture(scope="session", autouse=True)
def drop_session_database() -> Iterator[None]:
    yield
    if postgres_available() is None:
        name = POSTGRES_URL.rsplit("/", 1)[1]
        admin = POSTGRES_URL.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reset_postgres() -> None:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
        for (name,) in tables:
            conn.execute(f'DROP TABLE IF EXISTS "{name}" CASCADE')


def require_postgres() -> None:
    why = postgres_available()
    if why is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required under CI=true and is not reachable at {POSTGRES_URL}: {why}")
    pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL} ({why}); set CASETRAIL_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh, empty store of each durable kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('store') / 'casetrail.db'}"
    require_postgres()
    reset_postgres()
    return POSTGRES_URL


@pytest.fixture
def durable_container(store_url: str, clock: FixedClock) -> Iterator[Container]:
    container = build(Settings(database_url=store_url), clock=clock)
    yield container
    container.close()
