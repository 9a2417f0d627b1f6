"""`casetrail calendar check` and `casetrail track`: the working calendar's data, and the tracking job run once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from eventsourcing.persistence import IntegrityError

from api.cli_common import err, fail, open_container, out, settings_or_fail
from application.tracking import TrackingSummary
from domain.schedule import LOCAL_TZ, as_local, local_date
from infrastructure.calendar import OFFICIAL_YEARS, ChinaWorkingCalendar, Overrides
from infrastructure.container import Container

CATCH_UP_ATTEMPTS = 5
calendar_cli = typer.Typer(help="The working calendar: which years have official holiday data.", no_args_is_help=True)


@calendar_cli.command("check")
def calendar_check(
    years: Annotated[int, typer.Option(min=1, help="How many years to check, this one first.")] = 3,
) -> None:
    """Which years lack official holiday data (their due dates are provisional), and whether an operator file is
    loaded. Exits 1 when this year lacks official data and the operator file corrects none of its days."""
    settings = settings_or_fail()
    try:
        overrides = Overrides.load(settings.calendar_file) if settings.calendar_file else Overrides()
    except ValueError as e:
        fail(str(e))
    this_year = local_date(datetime.now(UTC)).year
    checked = range(this_year, this_year + years)
    missing = ChinaWorkingCalendar(overrides).missing_years(checked)
    out.print(f"official holiday data (chinesecalendar): {OFFICIAL_YEARS.start}-{OFFICIAL_YEARS.stop - 1}")
    for year in checked:
        out.print(f"  {year}  {_year_line(year in missing, _corrections(overrides, year))}", soft_wrap=True)
    out.print(_file_line(settings.calendar_file, overrides), soft_wrap=True)
    if this_year in missing and not _corrections(overrides, this_year):
        raise typer.Exit(1)


def _corrections(overrides: Overrides, year: int) -> int:
    return sum(day.year == year for day in overrides.days_off | overrides.working_days)


def _year_line(missing: bool, corrections: int) -> str:
    if not missing:
        return "official"
    return (
        "no official data: due dates are provisional (statutory holidays from `holidays`, no make-up days; "
        f"{corrections} days corrected by the operator file)"
    )


def _file_line(path: Path | None, overrides: Overrides) -> str:
    if path is None:
        return "operator file: none (set CASETRAIL_CALENDAR_FILE to correct years without official data)"
    return (
        f"operator file: {path} ({len(overrides.days_off)} days off, "
        f"{len(overrides.working_days)} make-up working days)"
    )


def track(
    now: Annotated[
        str | None,
        typer.Option(help="Evaluate as of this ISO 8601 time instead of now; without an offset, Asia/Shanghai."),
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Record nothing: only print what a run would raise.")] = False,
    allow_future: Annotated[
        bool, typer.Option(help="Let --now lie in the future (its warnings are recorded for good).")
    ] = False,
) -> None:
    """Run the tracking job once: record the warnings crossed by now (or --now) and print them."""
    at = _parse_now(now) if now else None
    container = open_container()
    try:
        if at is not None and at > container.clock.now() and not (dry_run or allow_future):
            fail(
                f"--now {now} lies in the future: its warnings would be recorded for good, dated then. "
                "Use --dry-run to see what it would raise, or --allow-future to record them anyway"
            )
        embedded = container.settings.backend in ("sqlite", "memory")
        if embedded and not dry_run:
            _catch_up_cases(container)
        summary = container.tracking.run(at or container.clock.now(), dry_run=dry_run)
        if embedded and not dry_run:
            _catch_up_cases(container)  # so the warnings view shows them before a server runs again
    finally:
        container.close()
    _print_summary(summary, dry_run)


def _parse_now(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--now {value!r} is not an ISO 8601 time, e.g. 2026-12-08T09:00:00+08:00")
    return as_local(at)


def _catch_up_cases(container: Container) -> None:
    """The job finds its cases in the cases view; on SQLite no worker keeps it current while no server runs.

    A running `casetrail serve` applies the same view meanwhile: a batch it applied first is its win
    (`IntegrityError`), and this one goes on from the new position; if `serve` keeps winning, it is keeping the
    view current itself."""
    for worker in container.workers(container.settings.projection_batch):
        if worker.projection.name != "cases":
            continue
        for _ in range(CATCH_UP_ATTEMPTS):
            try:
                worker.catch_up()
                break
            except IntegrityError:
                continue


def _print_summary(summary: TrackingSummary, dry_run: bool = False) -> None:
    local = summary.at.astimezone(LOCAL_TZ)
    out.print(
        f"tracked {summary.candidates} open cases as of {local:%Y-%m-%d %H:%M} (Asia/Shanghai), "
        f"{summary.evaluated} evaluated",
        soft_wrap=True,
    )
    for w in sorted(summary.raised, key=lambda w: (w.reference, w.kind)):
        line = f"  {w.reference}  {w.level:<6}  {w.kind:<24}  due {w.due or '-':<10}  {w.department or '-'}"
        out.print(line, soft_wrap=True, highlight=False)
    verb = "would raise" if dry_run else "raised"
    out.print(f"{verb} {len(summary.raised)} warnings" if summary.raised else f"{verb} nothing new")
    if dry_run:
        out.print("dry run: nothing was recorded")
    if summary.conflicts:
        err.print(f"{summary.conflicts} cases were being written meanwhile; the next run tracks them")
