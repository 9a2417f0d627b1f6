"""`python -m bench console_reports [--cases N] [--database-url URL]`: the department report (a month, the whole
history) and the reports page (三率报表, its 12-month trend and the zones), read from the roll-up, beside the same
reads scanning the report's row tables (the baseline, same run, same store). The store is seeded with N closed
cases spread over the last twelve months (default 20,000); targets: 50 ms for each report and 200 ms for the page at
200,000 and 500,000 cases. A PostgreSQL URL must name a database whose name contains `bench`: its tables are
dropped first."""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from fastapi.testclient import TestClient

from api.app import create_app
from application.reports import month_end
from bench.seed import reset, seed_in_processes
from domain.values import CLI, Role
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from infrastructure.views.rebuild import rebuild
from infrastructure.views.report_reader import SqlReportReader

TARGET_PAGE_MS = 200.0
TARGET_REPORT_MS = 50.0


def timed(client: TestClient, url: str, rounds: int, **kw: Any) -> tuple[float, float]:
    """Median wall and client-CPU milliseconds of `rounds` GETs (after three warm-ups)."""
    for _ in range(3):
        assert client.get(url, **kw).status_code == 200
    walls, cpus = [], []
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        r = client.get(url, **kw)
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        assert r.status_code == 200, r.text[:300]
    return statistics.median(walls), statistics.median(cpus)


def fresh_postgres(url: str) -> None:
    name = urlparse(url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop the tables of {name!r}: give a database whose name contains 'bench'")
    reset(url)


@contextmanager
def scanning(container: Container) -> Iterator[None]:
    """Reports answered by scanning the row tables (the baseline), as before the roll-up."""
    reports, zones = container.reports.reader, container.zone_reports.cases
    scan = SqlReportReader(container.views, rollups=False)
    container.reports.reader, container.zone_reports.cases = scan, scan
    try:
        yield
    finally:
        container.reports.reader, container.zone_reports.cases = reports, zones


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench console_reports", description=__doc__)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="processes building the seeded cases (default: cores)",
    )
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary directory")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'reports.db'}"
        if url.startswith("postgres"):
            fresh_postgres(url)
        container = build(Settings(database_url=url), create_tables=True)
        now = datetime.now(UTC)
        begin = now - timedelta(days=370)
        spacing = timedelta(days=365) / args.cases
        started = time.perf_counter()
        events = seed_in_processes(container, args.cases, 8, begin, spacing, args.processes)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        for projection in container.projections:
            if projection.name != "cases":  # the reports page reads the reports and projects views only
                rebuild(container, projection, lambda done, total: None)
        projected = time.perf_counter() - started
        print(
            f"seeded {args.cases:,} cases ({events:,} events) in {seeded:.0f} s ({events / seeded:,.0f} events/s, "
            f"built in {args.processes} processes); "
            f"reports and projects views rebuilt in {projected:.0f} s ({2 * events / projected:,.0f} events/s "
            "read: both read the whole log)"
        )
        token = container.tokens.issue(CLI, name="bench-reporter", role=Role.REPORTER).secret
        first = (now.date().replace(day=1) - timedelta(days=1)).replace(day=1)
        last = month_end(first)
        figures: dict[str, dict[str, tuple[float, float]]] = {}
        with TestClient(create_app(lambda: container, run_projections=False), base_url="http://testserver") as c:
            auth = {"Authorization": f"Bearer {token}"}
            month = {"from": str(first), "to": str(last)}
            history = {"from": str(begin.date() - timedelta(days=30)), "to": str(now.date())}
            form = c.get("/console/sign-in").text
            nonce = re.search(r'name="nonce" value="([^"]+)"', form)
            assert nonce
            c.post("/console/sign-in", data={"token": token, "nonce": nonce.group(1), "next": "/console/"})
            for label, context in (("roll-up", nullcontext()), ("scan", scanning(container))):
                with context:
                    figures[label] = {
                        "month": timed(c, "/v1/reports/departments", args.rounds, params=month, headers=auth),
                        "history": timed(c, "/v1/reports/departments", args.rounds, params=history, headers=auth),
                        "zones": timed(c, "/v1/reports/zones", args.rounds, params=month, headers=auth),
                        "page": timed(c, "/console/reports", args.rounds, params={"month": first.strftime("%Y-%m")}),
                    }
        container.close()
    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"{backend}, {args.cases:,} cases; median of {args.rounds} (wall ms / API-process CPU ms)")
    rows = (
        ("month", f"GET /v1/reports/departments ({first:%Y-%m})", TARGET_REPORT_MS),
        ("history", "GET /v1/reports/departments (whole history)", TARGET_REPORT_MS),
        ("zones", f"GET /v1/reports/zones ({first:%Y-%m})", None),
        ("page", "GET /console/reports (month, 12-month trend, zones)", TARGET_PAGE_MS),
    )
    for key, name, target in rows:
        (wall, cpu), (base, base_cpu) = figures["roll-up"][key], figures["scan"][key]
        verdict = "" if target is None else f"  target <= {target:.0f} ms: {'met' if wall <= target else 'MISSED'}"
        print(
            f"{name:<52} {wall:7.1f} ms / {cpu:6.1f} cpu   baseline (row scan) {base:7.1f} ms / {base_cpu:6.1f} cpu"
            f"   {base / wall:5.1f}x{verdict}"
        )
