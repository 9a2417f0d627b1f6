"""The service benchmark runs as the README says (a short run): it prints every figure and draws its chart.

Figures are not judged here (a shared CI machine is no place for timing); that the run completes, that the
load saw no errors and that the chart is a PNG are.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.conftest import POSTGRES_URL, require_postgres

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]


def drop(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_quick_benchmark_prints_every_figure_and_draws_the_chart(tmp_path: Path) -> None:
    require_postgres()
    url = f"{POSTGRES_URL}_bench"
    chart = tmp_path / "performance.png"
    env = {**os.environ, "CASETRAIL_BENCH_POSTGRES_URL": url, "TMPDIR": str(tmp_path)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench", "--quick", "--chart", str(chart)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        drop(url)
        drop(url + "_baseline")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for figure in ("baseline (bench/baseline_app)", "casetrail at 2,000 cases", "rebuild over", "replay", "scale"):
        assert figure in done.stdout
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    figures = json.loads(chart.with_suffix(".json").read_text())
    for run in (figures["baseline"], figures["small"], figures["grown"]):
        assert run["load"]["requests"] > 0
        assert run["load"]["errors"] == 0, run["load"]["error_samples"]
        assert 0 < run["load"]["p99_early_ms"] <= run["load"]["max_ms"]  # the window's start, and the rest
        assert 0 < run["load"]["p99_late_ms"] <= run["load"]["max_ms"]
    assert figures["small"]["worker_rss_mb"] > 0
