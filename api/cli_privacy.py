"""`casetrail privacy`: erase personal data past its retention period, and report what is not sealed."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

import typer
from rich.progress import Progress

from api.cli_common import open_container, out
from domain.schedule import as_local

privacy_cli = typer.Typer(help="Personal data: retention purge and a check of the store.", no_args_is_help=True)


@privacy_cli.command("purge")
def purge(
    closed_before: Annotated[
        datetime | None,
        typer.Option(
            help="a date (Asia/Shanghai); default: today minus CASETRAIL_RETENTION_YEARS", formats=["%Y-%m-%d"]
        ),
    ] = None,
    apply: Annotated[bool, typer.Option("--apply", help="erase; without it, only say what would be erased")] = False,
) -> None:
    """Erase the personal data of cases closed or withdrawn before the date (the retention period)."""
    container = open_container()
    try:
        years = container.settings.retention_years
        today = container.clock.now().date()
        day = closed_before.date() if closed_before else years_before(today, years)
        cutoff = as_local(datetime.combine(day, time()))
        due = container.privacy.due_for_erasure(cutoff)
        if not apply:
            out.print(f"{len(due)} cases closed or withdrawn before {day} still hold personal data; "
                      "nothing was changed (erase them with --apply)", soft_wrap=True)  # fmt: skip
            return
        with Progress(console=out) as bar:
            task = bar.add_task("erasing", total=len(due))
            erased = container.privacy.purge(cutoff, progress=lambda n: bar.update(task, completed=n))
        out.print(f"erased the personal data of {len(erased)} cases closed or withdrawn before {day}", soft_wrap=True)
    finally:
        container.close()


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier (29 February: the 28th)."""
    return day.replace(year=day.year - years, day=28 if (day.month, day.day) == (2, 29) else day.day)


@privacy_cli.command("check")
def check() -> None:
    """How many cases have their contact sealed, and how many hold it in plaintext (stored before sealing)."""
    container = open_container()
    try:
        found = container.privacy.check()
    finally:
        container.close()
    out.print(f"sealed contacts: {found.sealed}; erased: {found.erased}", soft_wrap=True)
    out.print(
        f"contacts stored before sealing (plaintext in their events): {found.plaintext}, of which erased "
        f"(no longer shown, but still in the events; see docs/operations.md): {found.plaintext_erased}",
        soft_wrap=True,
    )
