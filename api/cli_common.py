"""What every `casetrail` command shares: the consoles and building the service from the environment."""

from __future__ import annotations

import typer
from rich.console import Console

from infrastructure.container import Container, build
from infrastructure.settings import Settings, SettingsError

out = Console()
err = Console(stderr=True)


def open_container(*, create_tables: bool = False) -> Container:
    """The service on the configured store; a bad setting ends the command with its message."""
    settings = Settings.from_env()
    try:
        return build(settings, create_tables=create_tables or settings.backend in ("sqlite", "memory"))
    except (SettingsError, ValueError) as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
