"""The command comparison of the service benchmark alone (issue #16): `python -m bench commands [options]`.

    python -m bench commands [--seconds 10] [--cases 4000] [--rounds 3] [--workers 1 2]

The same load as `python -m bench` (`progress` notes from 16 keep-alive connections, `casetrail worker`
running), casetrail against bench/baseline_app.py in alternating rounds, at each given number of API
processes; with one process each it also prints the API's CPU per command, the figure that a shared machine
moves least. Seeding is small (`--cases`), so a run takes a few minutes instead of the full benchmark's ten.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path
from typing import Any

from bench.load import EARLY
from bench.projections import fresh_store
from bench.seed import log
from bench.service import CONNECTIONS, OPEN_CASES, measure_baseline, measure_casetrail, seed_casetrail
from infrastructure.container import build


def run(args: argparse.Namespace) -> dict[str, list[dict[str, Any]]]:
    settings = fresh_store("postgres", Path("."))
    container = build(settings)
    runs: dict[str, list[dict[str, Any]]] = {}
    try:
        open_ids = seed_casetrail(container, args.cases - OPEN_CASES)
        for n in range(1, args.rounds + 1):
            for workers in args.workers:
                log(f"round {n} of {args.rounds}: {CONNECTIONS} connections, {workers} API process(es) each")
                runs.setdefault(f"baseline-{workers}", []).append(measure_baseline(args.seconds, workers))
                runs.setdefault(f"casetrail-{workers}", []).append(
                    measure_casetrail(
                        container, settings.database_url, open_ids, args.seconds, f"c{workers}-{n}", workers
                    )
                )
    finally:
        container.close()
    return runs


def report(runs: dict[str, list[dict[str, Any]]], workers: list[int]) -> None:
    for w in workers:
        base, ours = runs[f"baseline-{w}"], runs[f"casetrail-{w}"]
        ratios = [o["load"]["throughput"] / b["load"]["throughput"] for b, o in zip(base, ours, strict=True)]
        print(f"{w} API process(es) each")
        for name, found in (("baseline", base), ("casetrail", ours)):
            loads = [r["load"] for r in found]
            print(
                f"  {name:<10} commands/s {[round(x['throughput']) for x in loads]}  "
                f"p50 {[round(x['p50_ms'], 1) for x in loads]}  p99 {[round(x['p99_ms'], 1) for x in loads]} "
                f"(first {EARLY:.0%} of the run {[round(x['p99_early_ms'], 1) for x in loads]}, "
                f"then {[round(x['p99_late_ms'], 1) for x in loads]})  "
                f"errors {sum(x['errors'] for x in loads)}"
            )
            if "api_cpu_ms" in found[0]:
                cpu = [r["api_cpu_ms"] for r in found]
                rss = max(r["api_rss_mb"] for r in found)
                each = [round(c, 2) for c in cpu]
                mid = statistics.median(cpu)
                print(f"{'':13}API CPU/command ms {each} (median {mid:.2f})  peak API RSS {rss:.0f} MB")
            if "worker_cpu_ms" in found[0]:
                worker = statistics.median(r["worker_cpu_ms"] for r in found)
                print(f"{'':13}worker CPU/command ms (median) {worker:.2f}")
            postgres = statistics.median(r["postgres_cpu_ms"] for r in found)
            machine = statistics.median(r["machine_cpu_ms"] for r in found)
            busy = statistics.median(r["machine_busy"] for r in found)
            print(
                f"{'':13}PostgreSQL CPU/command ms {postgres:.2f}, whole machine {machine:.2f} "
                f"(medians; the cores {busy:.0%} busy)"
            )
        print(f"  ratio per round {[round(r, 2) for r in ratios]}  median {statistics.median(ratios):.2f}x")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench commands", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds of each load")
    parser.add_argument("--cases", type=int, default=4_000, help="cases in the store (more than 1,600)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="API processes each")
    args = parser.parse_args(argv)
    report(run(args), args.workers)
