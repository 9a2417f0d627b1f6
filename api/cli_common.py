"""What every `casetrail` command shares: the consoles, one-line failures, and the service from the environment."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from infrastructure.container import Container, build
from infrastructure.settings import Settings, SettingsError, redact

# Piped or redirected output is not wrapped at 80 columns: a line of a log or a script stays one line.
out = Console(soft_wrap=not sys.stdout.isatty())
err = Console(stderr=True, soft_wrap=not sys.stderr.isatty())


def fail(message: str, code: int = 2) -> NoReturn:
    """End the command with one line on standard error (passwords redacted) and a non-zero exit."""
    line = " ".join(redact(message).split())
    err.print(f"[red]error:[/red] {escape(line)}", highlight=False)
    raise typer.Exit(code)


def settings_or_fail() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as e:
        fail(str(e))


def open_container(*, create_tables: bool = False) -> Container:
    """The service on the configured store; a bad setting or an unreachable store ends the command with its
    message."""
    settings = settings_or_fail()
    try:
        return build(settings, create_tables=create_tables or settings.backend in ("sqlite", "memory"))
    except (SettingsError, ValueError) as e:
        fail(str(e))
