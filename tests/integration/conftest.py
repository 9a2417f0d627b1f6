"""What the tests of the real `casetrail` command share."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The command's environment: none of this shell's CASETRAIL_ settings, a fresh SQLite store, and an
    80-column terminal width (output piped to a file must not wrap at it)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CASETRAIL_")}
    return {**clean, "CASETRAIL_DATABASE_URL": f"sqlite:///{tmp_path / 'casetrail.db'}", "COLUMNS": "80"}
