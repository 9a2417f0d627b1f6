"""The service benchmark (issue #7): casetrail against the obvious FastAPI + eventsourcing service.

    python -m bench [--seconds 10] [--cases 10000] [--grown 200000] [--quick] [--chart docs/performance.png]

On PostgreSQL (CASETRAIL_BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/casetrail_bench), in
one run on one machine, each figure beside its baseline:

- commands: `progress` notes on signed-for cases over HTTP from 16 keep-alive connections (a separate load
  process, bench/load.py), casetrail (`casetrail serve` + `casetrail worker`) against bench/baseline_app.py;
- rebuild of every projection against the raw read-and-decode rate of the same log;
- replay: a case's state and history at 50 and at 1,000 events, against the baseline's `repository.get`;
- scale: command latency and report time at `--cases` and again after growing the store to `--grown` cases
  (older history: the reported month holds the same cases at both sizes);
- memory: peak RSS (VmHWM) of the API, the worker and the baseline under the command load.

The figures are printed, written as JSON beside the chart, and drawn as a PNG chart.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import Repository

from bench import baseline_app
from bench.load import EARLY, LoadResult, ProgressNotes, run_load_in_process
from bench.projections import PG_URL, fresh_store, reached, read_and_decode, rebuild_rates
from bench.seed import log, one_case, reset, save_in_bulk, seed, signed_for_case
from bench.servers import BIN, Process, free_port, machine_cpu_seconds, postgres_cpu_seconds, start
from domain.values import CLI, Actor, Role
from infrastructure.container import Container, build

BASELINE_URL = PG_URL + "_baseline"
CONNECTIONS = 16
MANY = 2  # API processes in the scaled-out comparison (issue #16: one and two each), one per core here
OPEN_CASES = 1600  # signed-for cases the load writes to: 100 per connection, each its own
REPORT_MONTH = (date(2026, 10, 1), date(2026, 10, 31))  # the month the first `--cases` cases fall in
RECENT = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)  # their first registration
HISTORY = datetime(2025, 1, 1, 1, 0, tzinfo=UTC)  # where the older history added by growing begins
AUDITOR = Actor("bench-auditor", Role.AUDITOR)
TARGETS = {  # the command targets are issue #16's
    "throughput_ratio": 2.0,
    "p99_ms": 50,
    "command_growth": 0.10,
    "replay_1000_ms": 20,
    "growth": 0.20,
    "report_ms": 50,
    "api_rss_mb": 150,
}


# -- casetrail ------------------------------------------------------------------------------------------------------


def seed_casetrail(container: Container, closed: int) -> list[UUID]:
    """The first store: `closed` closed cases of 12 events in the report month, and OPEN_CASES cases signed for
    just now (so that no warning falls due while the load runs: the worker's tracking job would write them)."""
    spacing = timedelta(days=27) / closed
    written = seed(container, closed, events_per_case=12, start=RECENT, spacing=spacing, batch=500)
    now = datetime.now(UTC) - timedelta(minutes=5)
    open_ids = []
    for low in range(0, OPEN_CASES, 400):
        built = [signed_for_case(container, n, now, "econ-info") for n in range(low, low + 400)]
        written += save_in_bulk(container, built)
        open_ids += [c.id for c in built]
    log(f"seeded {closed + OPEN_CASES:,} cases ({written:,} events)")
    return open_ids


def grow(container: Container, cases: int, first: int) -> None:
    """Add `cases` older closed cases of 7 events (history before the report month)."""
    spacing = (RECENT - HISTORY) / cases
    total = cases * 7
    step = max(1, total // 10)
    marks = iter(range(step, total + step, step))
    mark = next(marks)

    def progress(done: int) -> None:
        nonlocal mark
        if done >= mark:
            log(f"  grown by {done:,} of {total:,} events")
            mark = next(marks, total + 1)

    seed(
        container, cases, events_per_case=7, start=HISTORY, spacing=spacing, batch=1000, first=first, progress=progress
    )


def start_casetrail(url: str, workers: int = 1) -> tuple[Process, Process, int]:
    # One handler token stands for all 16 clients here: the per-token write rate would measure itself.
    env = {"CASETRAIL_DATABASE_URL": url, "CASETRAIL_WRITE_RATE_STAFF": "0"}
    port = free_port()
    worker = start("casetrail-worker", [str(BIN / "casetrail"), "worker"], env)
    api = start(
        "casetrail-api",
        [str(BIN / "casetrail"), "serve", "--port", str(port), "--no-access-log", "--workers", str(workers)],
        env,
        port=port,
    )
    return api, worker, port


def wait_caught_up(container: Container, timeout: float = 600) -> None:
    head = container.store.recorder.max_notification_id() or 0
    deadline = time.monotonic() + timeout
    last = -1.0
    while (position := reached(container)) < head:
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not catch up; see $TMPDIR/bench-casetrail-worker.log")
        if time.monotonic() - last > 10:
            log(f"  projections at {position:,} of {head:,}")
            last = time.monotonic()
        time.sleep(0.2)


def get_ms(port: int, path: str, token: str, times: int) -> float:
    """The median time of `times` GETs of `path` (after one unmeasured), failing on any non-200."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    spent = []
    try:
        for i in range(times + 1):
            started = time.perf_counter()
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
            if i:
                spent.append((time.perf_counter() - started) * 1000)
    finally:
        conn.close()
    return statistics.median(spent)


def measure_casetrail(
    container: Container, url: str, open_ids: list[UUID], seconds: float, label: str, workers: int = 1
) -> dict[str, Any]:
    """The command load on `casetrail serve --workers N` with `casetrail worker` beside it; with one API process
    also its peak memory and the report times (with several, VmHWM would be the supervisor's)."""
    handler = container.tokens.issue(CLI, name=f"bench-{label}", role=Role.HANDLER, department="econ-info").secret
    reporter = container.tokens.issue(CLI, name=f"bench-reporter-{label}", role=Role.REPORTER).secret
    api, worker, port = start_casetrail(url, workers)
    try:
        wait_caught_up(container)
        notes = ProgressNotes(
            [f"/v1/cases/{i}/progress" for i in open_ids], {"Authorization": f"Bearer {handler}"}, CONNECTIONS
        )
        cpu = (api.cpu_seconds(), worker.cpu_seconds())
        machine = Machine()
        result = run_load_in_process("127.0.0.1", port, notes, CONNECTIONS, seconds, warmup=1.0)
        if workers > 1:
            return {"load": load_figures(result), "workers": workers, **machine.per_command(result, seconds)}
        spent = cpu_per_command(result, api.cpu_seconds() - cpu[0], seconds)
        memory = {
            **machine.per_command(result, seconds),
            "api_rss_mb": api.peak_rss_mb(),
            "worker_rss_mb": worker.peak_rss_mb(),
            "api_cpu_ms": spent,
            "worker_cpu_ms": cpu_per_command(result, worker.cpu_seconds() - cpu[1], seconds),
        }
        first, last = REPORT_MONTH
        reports = {
            "report_month_ms": get_ms(port, f"/v1/reports/departments?from={first}&to={last}", reporter, 10),
            "report_year_ms": get_ms(port, "/v1/reports/departments?from=2025-01-01&to=2026-12-31", reporter, 5),
        }
    finally:
        api.stop()
        worker.stop()
    return {"load": load_figures(result), **memory, **reports}


def cpu_per_command(result: LoadResult, cpu_seconds: float, seconds: float) -> float:
    """CPU milliseconds per command; the CPU was measured over warm-up and window alike, so is the count."""
    commands = result.throughput * (seconds + 1.0)
    return cpu_seconds * 1000 / commands if commands else float("nan")


class Machine:
    """The whole machine's CPU over one load, started at construction: PostgreSQL's share per command, all the
    machine's busy CPU per command, and how busy its cores were (whether the load was bound by the CPU)."""

    def __init__(self) -> None:
        self.postgres = postgres_cpu_seconds()
        self.busy, self.idle = machine_cpu_seconds()

    def per_command(self, result: LoadResult, seconds: float) -> dict[str, float]:
        busy, idle = machine_cpu_seconds()
        busy, idle = busy - self.busy, idle - self.idle
        return {
            "postgres_cpu_ms": cpu_per_command(result, postgres_cpu_seconds() - self.postgres, seconds),
            "machine_cpu_ms": cpu_per_command(result, busy, seconds),
            "machine_busy": busy / (busy + idle) if busy + idle else float("nan"),
        }


def load_figures(result: LoadResult) -> dict[str, Any]:
    figures = asdict(result)
    figures["statuses"] = {str(k): v for k, v in result.statuses.items()}
    return figures


# -- the baseline ---------------------------------------------------------------------------------------------------


def measure_baseline(seconds: float, workers: int = 1) -> dict[str, Any]:
    reset(BASELINE_URL)
    ids = baseline_app.seed_baseline(BASELINE_URL, OPEN_CASES)
    port = free_port()
    argv = [sys.executable, "-m", "bench.baseline_app", "--port", str(port), "--database-url", BASELINE_URL]
    server = start("baseline-api", [*argv, "--workers", str(workers)], {}, port=port)
    try:
        notes = ProgressNotes([f"/cases/{i}/progress" for i in ids], {}, CONNECTIONS)
        cpu = server.cpu_seconds()
        machine = Machine()
        result = run_load_in_process("127.0.0.1", port, notes, CONNECTIONS, seconds, warmup=1.0)
        shares = machine.per_command(result, seconds)
        if workers > 1:  # the process started is uvicorn's supervisor: its CPU and memory say nothing
            return {"load": load_figures(result), "workers": workers, **shares}
        spent = cpu_per_command(result, server.cpu_seconds() - cpu, seconds)
        rss = server.peak_rss_mb()
    finally:
        server.stop()
    return {"load": load_figures(result), "api_rss_mb": rss, "api_cpu_ms": spent, **shares}


# -- replay ---------------------------------------------------------------------------------------------------------


def timed(action: Callable[[], Any], times: int = 20) -> float:
    action()
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        action()
        spent.append((time.perf_counter() - started) * 1000)
    return statistics.median(spent)


def measure_replay(container: Container) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    cases = baseline_app.open_cases(BASELINE_URL)
    events_only: Repository[UUID] = Repository(container.store.events)
    try:
        for size in (50, 1000):
            case = one_case(container, random.Random(size), 9_000_000 + size, RECENT, size)
            container.store.save(case)  # through the store: snapshots as the service takes them
            other = baseline_app.Case(title="诉求 蒸汽管道", description="核药车间需要蒸汽。", enterprise="远大医药")
            other.dispatch("econ-info")
            other.sign_for("bench-lead")
            for i in range(size - 3):
                other.log_progress(f"进展 {i}")
            cases.save(other)
            figures[str(size)] = {
                "state_ms": timed(lambda c=case: container.queries.get(c.id, AUDITOR)),
                "state_without_snapshots_ms": timed(lambda c=case: events_only.get(c.id)),
                "history_ms": timed(lambda c=case: container.queries.history(c.id, AUDITOR)),
                "baseline_state_ms": timed(lambda b=other.id: cases.get(b)),
            }
    finally:
        cases.close()
    return figures


# -- the run --------------------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = fresh_store("postgres", Path("."))
    url = settings.database_url
    figures: dict[str, Any] = {
        "when": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "cores": os.cpu_count(),
        "seconds": args.seconds,
        "connections": CONNECTIONS,
    }
    container = build(settings)
    try:
        open_ids = seed_casetrail(container, args.cases - OPEN_CASES)

        log("rebuild: every projection, beside reading and decoding the log")
        count, elapsed = read_and_decode(container)
        figures["rebuild"] = {"events": count, "read_and_decode": count / elapsed, **rebuild_rates(container)}

        # Baseline and casetrail take turns, round after round, and each keeps its median round: on a shared
        # machine a neighbour's burst then costs both sides alike instead of deciding the comparison.
        runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "small": [], "baseline_many": [], "many": []}
        for n in range(1, args.rounds + 1):
            log(f"round {n} of {args.rounds}: {CONNECTIONS} connections for {args.seconds:.0f} s, 1 API process each")
            runs["baseline"].append(measure_baseline(args.seconds))
            casetrail = measure_casetrail(container, url, open_ids, args.seconds, f"small-{n}")
            runs["small"].append({"cases": args.cases, **casetrail})
            log(f"round {n} of {args.rounds}: {MANY} API processes each")
            runs["baseline_many"].append(measure_baseline(args.seconds, workers=MANY))
            runs["many"].append(measure_casetrail(container, url, open_ids, args.seconds, f"many-{n}", workers=MANY))
        figures.update({name: median_run(found) for name, found in runs.items()})
        figures["rounds"] = {name: [r["load"]["throughput"] for r in found] for name, found in runs.items()}
        figures["rounds_p99"] = {name: [r["load"]["p99_ms"] for r in found] for name, found in runs.items()}

        log("replay at 50 and 1,000 events")
        figures["replay"] = measure_replay(container)

        log(f"growing the store to {args.grown:,} cases with older history")
        grow(container, args.grown - args.cases, first=args.cases)
        log("rebuilding every projection over the grown log")
        count, elapsed = read_and_decode(container)
        figures["rebuild_grown"] = {"events": count, "read_and_decode": count / elapsed, **rebuild_rates(container)}
        log(
            "VACUUM ANALYZE and CHECKPOINT after the bulk load and rebuild (autovacuum's and the checkpointer's "
            "work, long done before a real month-end)"
        )
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
            # The load wrote ~1 GB of WAL: without this, a checkpoint it forced spends the measured rounds writing
            # its dirty pages out (seen in PostgreSQL's log: "checkpoint starting: wal" as round 1 began).
            conn.execute("CHECKPOINT")
        grown = []
        for n in range(1, args.rounds + 1):
            log(f"casetrail at {args.grown:,} cases, round {n} of {args.rounds}")
            grown.append(
                {"cases": args.grown, **measure_casetrail(container, url, open_ids, args.seconds, f"grown-{n}")}
            )
        figures["grown"] = median_run(grown)
        figures["rounds"]["grown"] = [r["load"]["throughput"] for r in grown]
        figures["rounds_p99"]["grown"] = [r["load"]["p99_ms"] for r in grown]
    finally:
        container.close()
    return figures


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run whose throughput is the median (the lower middle one of an even count)."""
    return sorted(runs, key=lambda r: r["load"]["throughput"])[(len(runs) - 1) // 2]


def verdicts(f: dict[str, Any]) -> list[tuple[str, str, bool]]:
    small, grown, base = f["small"], f["grown"], f["baseline"]
    ratio = small["load"]["throughput"] / base["load"]["throughput"]
    ratio_many = f["many"]["load"]["throughput"] / f["baseline_many"]["load"]["throughput"]
    command_growth = grown["load"]["p50_ms"] / small["load"]["p50_ms"] - 1
    p99_growth = grown["load"]["p99_ms"] / small["load"]["p99_ms"] - 1
    report_growth = grown["report_month_ms"] / small["report_month_ms"] - 1
    errors = sum(f[k]["load"]["errors"] for k in ("small", "grown", "many"))
    times, p99 = f"{TARGETS['throughput_ratio']:.1f}x", max(small["load"]["p99_ms"], f["many"]["load"]["p99_ms"])
    growth = f"{TARGETS['command_growth']:.0%}"
    return [
        (f"commands >= {times} the baseline (1 process each)", f"{ratio:.2f}x", ratio >= TARGETS["throughput_ratio"]),
        (
            f"commands >= {times} the baseline ({MANY} processes each)",
            f"{ratio_many:.2f}x",
            ratio_many >= TARGETS["throughput_ratio"],
        ),
        (f"command p99 <= {TARGETS['p99_ms']} ms", f"{p99:.0f} ms", p99 <= TARGETS["p99_ms"]),
        ("no errors", f"{errors} errors", errors == 0),
        (
            "replay of a 1,000-event case <= 20 ms",
            f"{f['replay']['1000']['state_ms']:.1f} ms",
            f["replay"]["1000"]["state_ms"] <= TARGETS["replay_1000_ms"],
        ),
        (f"command p50 grows <= {growth}", f"{command_growth:+.0%}", command_growth <= TARGETS["command_growth"]),
        (f"command p99 grows <= {growth}", f"{p99_growth:+.0%}", p99_growth <= TARGETS["command_growth"]),
        ("report time grows <= 20%", f"{report_growth:+.0%}", report_growth <= TARGETS["growth"]),
        (
            f"report <= {TARGETS['report_ms']} ms at {grown['cases']:,} cases",
            f"{grown['report_month_ms']:.0f} ms",
            grown["report_month_ms"] <= TARGETS["report_ms"],
        ),
        (
            f"API RSS <= {TARGETS['api_rss_mb']} MB",
            f"{max(small['api_rss_mb'], grown['api_rss_mb']):.0f} MB",
            max(small["api_rss_mb"], grown["api_rss_mb"]) <= TARGETS["api_rss_mb"],
        ),
    ]


def print_figures(f: dict[str, Any]) -> None:
    def load_line(name: str, load: dict[str, Any]) -> str:
        return (
            f"  {name:<28} {load['throughput']:8,.0f} commands/s  p50 {load['p50_ms']:6.1f} ms  "
            f"p99 {load['p99_ms']:6.1f} ms (first {EARLY:.0%} {load['p99_early_ms']:5.1f}, then "
            f"{load['p99_late_ms']:5.1f})  max {load['max_ms']:6.1f} ms  errors {load['errors']}"
        )

    small, grown, base, rebuild = f["small"], f["grown"], f["baseline"], f["rebuild"]
    print(f"\ncasetrail service benchmark, {f['when']}, {f['cores']} cores, PostgreSQL on the same machine")
    print(
        f"commands: progress notes over HTTP, {f['connections']} keep-alive connections, {f['seconds']:.0f} s a run; "
        f"the median of {len(f['rounds']['small'])} rounds, baseline and casetrail in turn "
        f"(commands/s of every round: {json.dumps({k: [round(x) for x in v] for k, v in f['rounds'].items()})}; "
        f"p99 ms of every round: {json.dumps({k: [round(x) for x in v] for k, v in f['rounds_p99'].items()})})"
    )
    print(load_line("baseline (bench/baseline_app)", base["load"]))
    print(load_line(f"casetrail at {small['cases']:,} cases", small["load"]))
    print(load_line(f"baseline, {MANY} API processes", f["baseline_many"]["load"]))
    print(load_line(f"casetrail, {MANY} API processes", f["many"]["load"]))
    print(load_line(f"casetrail at {grown['cases']:,} cases", grown["load"]))
    print(
        f"CPU per command: baseline API {base['api_cpu_ms']:.2f} ms; casetrail API {small['api_cpu_ms']:.2f} ms "
        f"+ worker {small['worker_cpu_ms']:.2f} ms (projections and tracking)"
    )
    for r in (rebuild, f["rebuild_grown"]):
        print(f"rebuild over {r['events']:,} events (baseline: read and decode {r['read_and_decode']:,.0f}/s)")
        for name in ("cases", "reports", "projects"):
            print(f"  {name:<10} {r[name]:10,.0f} events/s = {r[name] / r['read_and_decode']:.2f}x")
    print("replay (median of 20 reads)")
    for size, r in f["replay"].items():
        print(
            f"  {int(size):>5} events: state {r['state_ms']:6.2f} ms (without snapshots "
            f"{r['state_without_snapshots_ms']:6.2f} ms; baseline repository.get {r['baseline_state_ms']:6.2f} ms), "
            f"history {r['history_ms']:6.2f} ms"
        )
    print("scale (department report, median)")
    for g in (small, grown):
        print(
            f"  {g['cases']:>8,} cases: report for {REPORT_MONTH[0]:%Y-%m} {g['report_month_ms']:6.1f} ms, "
            f"for 2025-2026 {g['report_year_ms']:6.1f} ms"
        )
    print("memory (peak RSS under the command load)")
    print(f"  baseline API {base['api_rss_mb']:.0f} MB")
    for g in (small, grown):
        print(f"  at {g['cases']:>8,} cases: API {g['api_rss_mb']:.0f} MB, worker {g['worker_rss_mb']:.0f} MB")
    print("targets")
    for what, value, met in verdicts(f):
        print(f"  {'met ' if met else 'MISS'}  {what:<50} {value}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds of each command load")
    parser.add_argument("--cases", type=int, default=10_000, help="cases in the store at the first measurement")
    parser.add_argument("--grown", type=int, default=200_000, help="cases in the store at the second measurement")
    parser.add_argument("--chart", type=Path, default=Path("docs/performance.png"), help="where to draw the chart")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the command comparison (median kept)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 round of 2 s loads, 2,000/4,000 cases")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.cases, args.grown, args.rounds = 2.0, 2_000, 4_000, 1
    if args.cases <= OPEN_CASES or args.grown <= args.cases:
        parser.error(f"need {OPEN_CASES} < --cases < --grown")
    figures = run(args)
    print_figures(figures)
    args.chart.parent.mkdir(parents=True, exist_ok=True)
    args.chart.with_suffix(".json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    from bench.chart import draw

    draw(figures, args.chart)
    print(f"\nfigures: {args.chart.with_suffix('.json')}, chart: {args.chart}")
