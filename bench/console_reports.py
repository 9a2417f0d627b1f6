"""`python -m bench console_reports [--cases N]`: the reports page (三率报表, its 12-month trend and the zones) beside
the report API, on a store seeded with N closed cases spread over the last twelve months (default 20,000; the
target is 200 ms for the page at 200,000 cases, which takes long to seed here: pass --cases 200000)."""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from bench.seed import seed
from domain.values import CLI, Role
from infrastructure.container import build
from infrastructure.settings import Settings
from infrastructure.views.rebuild import rebuild

TARGET_MS = 200.0


def timed(client: TestClient, url: str, rounds: int, **kw: object) -> float:
    """Median milliseconds of `rounds` GETs (after one warm-up)."""
    assert client.get(url, **kw).status_code == 200  # type: ignore[arg-type]
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        r = client.get(url, **kw)  # type: ignore[arg-type]
        times.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200, r.text[:300]
    return statistics.median(times)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench console_reports", description=__doc__)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary directory")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'reports.db'}"
        container = build(Settings(database_url=url), create_tables=True)
        now = datetime.now(UTC)
        spacing = timedelta(days=365) / args.cases
        started = time.perf_counter()
        events = seed(container, args.cases, events_per_case=8, start=now - timedelta(days=370), spacing=spacing)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        for projection in container.projections:
            rebuild(container, projection, lambda done, total: None)
        projected = time.perf_counter() - started
        print(f"seeded {args.cases:,} cases ({events:,} events) in {seeded:.0f} s; projections in {projected:.0f} s")
        token = container.tokens.issue(CLI, name="bench-reporter", role=Role.REPORTER).secret
        first = (now.date().replace(day=1) - timedelta(days=1)).replace(day=1)
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        with TestClient(create_app(lambda: container, run_projections=False), base_url="http://testserver") as c:
            auth = {"Authorization": f"Bearer {token}"}
            period = {"from": str(first), "to": str(last)}
            api_ms = timed(c, "/v1/reports/departments", args.rounds, params=period, headers=auth)
            zones_ms = timed(c, "/v1/reports/zones", args.rounds, params=period, headers=auth)
            form = c.get("/console/sign-in").text
            nonce = re.search(r'name="nonce" value="([^"]+)"', form)
            assert nonce
            c.post("/console/sign-in", data={"token": token, "nonce": nonce.group(1), "next": "/console/"})
            page_ms = timed(c, "/console/reports", args.rounds, params={"month": first.strftime("%Y-%m")})
        container.close()
    print(f"GET /v1/reports/departments (one month)    median {api_ms:7.1f} ms")
    print(f"GET /v1/reports/zones (one month)          median {zones_ms:7.1f} ms")
    print(f"GET /console/reports (month, 12-month trend, zones)  median {page_ms:7.1f} ms  (target {TARGET_MS:.0f} ms)")
