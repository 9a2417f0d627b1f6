"""`casetrail track` and `casetrail calendar check` as real processes on a SQLite file."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from application.views import PageRequest
from domain.schedule import local_date
from domain.values import Tier
from infrastructure.calendar import OFFICIAL_YEARS
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from tests.conftest import COORDINATOR, START
from tests.unit import case_steps as s
from tests.unit.tracking_steps import local

BIN = Path(sys.executable).parent / "casetrail"
pytestmark = pytest.mark.sqlite


@pytest.fixture
def store(env: dict[str, str]) -> Iterator[tuple[Container, FixedClock]]:
    clock = FixedClock(START)
    container = build(Settings(database_url=env["CASETRAIL_DATABASE_URL"]), clock=clock)
    yield container, clock
    container.close()


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=60, check=False)


def test_track_now_raises_red_sign_for_once_and_sign_for_clears_it(
    env: dict[str, str], store: tuple[Container, FixedClock]
) -> None:
    container, clock = store
    case = s.dispatch(
        container, s.register(container), tier=Tier.HANDLING
    )  # today, Thursday 2026-11-26; no view applied yet

    first = cli(env, "track", "--now", "2026-12-08T09:00:00+08:00", "--allow-future")
    again = cli(env, "track", "--now", "2026-12-08T09:00:00+08:00", "--allow-future")

    assert first.returncode == 0, first.stderr
    assert f"{case.reference}  red     sign_for" in first.stdout
    assert "raised 2 warnings" in first.stdout
    assert (again.returncode, again.stdout.strip().splitlines()[-1]) == (0, "raised nothing new")
    assert s.current(container, case.id).warnings["sign_for"]["level"] == "red"
    view = container.view_service.warnings(COORDINATOR, PageRequest()).items  # the command brought the view up to date
    assert {(i["kind"], i["level"]) for i in view} == {("sign_for", "red"), ("handling", "red")}
    clock.at = local(2026, 12, 8, 10).astimezone(UTC)
    assert "sign_for" not in s.sign_for(container, case.id).warnings


def test_track_reads_a_time_without_offset_as_shanghai_time(
    env: dict[str, str], store: tuple[Container, FixedClock]
) -> None:
    container, _ = store
    case_id = s.dispatched_case(container, tier=Tier.HANDLING)  # sign-for due Friday 2026-11-27

    done = cli(env, "track", "--now", "2026-11-27T00:30")  # 00:30 in Shanghai is still Thursday in UTC

    assert done.returncode == 0, done.stderr
    assert s.current(container, case_id).warnings["sign_for"]["level"] == "yellow"


def test_track_refuses_a_malformed_time(env: dict[str, str]) -> None:
    done = cli(env, "track", "--now", "next tuesday")

    assert done.returncode == 2
    assert "ISO 8601" in done.stderr


def test_calendar_check_names_years_without_official_data(env: dict[str, str]) -> None:
    this_year = local_date(datetime.now(UTC)).year

    done = cli(env, "calendar", "check", "--years", "3")

    assert done.returncode == (0 if this_year in OFFICIAL_YEARS else 1)
    assert f"official holiday data (chinesecalendar): 2004-{OFFICIAL_YEARS.stop - 1}" in done.stdout
    for year in range(this_year, this_year + 3):
        expected = "official" if year in OFFICIAL_YEARS else "no official data: due dates are provisional"
        assert f"  {year}  {expected}" in done.stdout
    assert "operator file: none" in done.stdout


def test_calendar_check_reports_the_operator_file(env: dict[str, str], tmp_path: Path) -> None:
    this_year = local_date(datetime.now(UTC)).year
    corrections = tmp_path / "calendar.json"
    corrections.write_text(json.dumps({"holidays": [f"{this_year + 1}-02-08"], "working_days": [f"{this_year}-12-26"]}))

    done = cli({**env, "CASETRAIL_CALENDAR_FILE": str(corrections)}, "calendar", "check")

    assert done.returncode == 0, done.stdout
    assert f"operator file: {corrections} (1 days off, 1 make-up working days)" in done.stdout


def test_calendar_check_refuses_a_broken_operator_file(env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "calendar.json"
    broken.write_text("{not json")

    done = cli({**env, "CASETRAIL_CALENDAR_FILE": str(broken)}, "calendar", "check")

    assert done.returncode == 2
    assert "calendar file" in done.stderr
