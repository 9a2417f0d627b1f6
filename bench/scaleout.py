"""Scale-out figures (issue #17): commands/s and reads/s with 1 and 2 API processes, reads on the primary and on a
streaming replica, for the sizing table of docs/operations.md.

    python -m bench scaleout [--seconds 8] [--cases 2000]

It starts its own PostgreSQL primary and a streaming replica (tests/reliability/pg_instance.py: initdb,
pg_basebackup -R, private ports and directories, removed at the end), seeds `--cases` closed cases plus 400
signed-for ones, runs one `casetrail worker`, and measures from 16 keep-alive connections (bench/load.py, a process
of its own):

- commands: progress notes (`POST /v1/cases/{id}/progress`), `serve --workers 1` and `--workers 2`;
- reads: the case list (`GET /v1/cases?limit=20`, a view) and a case (`GET /v1/cases/{id}`, folded from its
  events) alternately, with 1 and 2 API processes, reading from the primary (no CASETRAIL_READ_DATABASE_URL) and
  from the replica.

Beside each read figure: the CPU the primary's PostgreSQL processes spent per 1,000 reads (what a replica takes off
the primary) and the replica's. The baseline of each read figure is the same-run figure on the primary. Everything
shares the machine's cores (the load generator too), so the figures are what one machine gives, not a cluster.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.load import LoadResult, ProgressNotes, Request, run_load_in_process
from bench.projections import reached
from bench.seed import log, save_in_bulk, seed, signed_for_case
from bench.servers import BIN, Process, free_port, start
from domain.values import CLI, Role
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from tests.reliability.pg_instance import PgInstance, private_postgres, replay_lag_bytes, streaming_replica

CONNECTIONS = 16
OPEN_CASES = 400
RECENT = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)


class Reads:
    """A picklable `make_request`: the case list and single cases, alternately."""

    def __init__(self, case_ids: list[str], token: str) -> None:
        self.case_ids = case_ids
        self.headers = {"Authorization": f"Bearer {token}"}

    def __call__(self, connection_index: int, sequence: int) -> Request:
        if sequence % 2 == 0:
            return Request("GET", "/v1/cases?limit=20", self.headers)
        case = self.case_ids[(connection_index * 7919 + sequence) % len(self.case_ids)]
        return Request("GET", f"/v1/cases/{case}", self.headers)


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by process `root` and every live descendant (uvicorn's API processes under
    `serve --workers N`; a PostgreSQL postmaster's backends, WAL sender or receiver and replay)."""
    parents, used = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid, spent in used.items():
        p = pid
        while p not in (0, 1, root) and p in parents:
            p = parents[p]
        if p == root:
            total += spent
    return total


def postgres_cpu(instance: PgInstance) -> float:
    return tree_cpu(int((instance.data / "postmaster.pid").read_text().split()[0]))


@dataclass
class Bench:
    primary: PgInstance
    replica: PgInstance
    env: dict[str, str]
    seconds: float
    worker: Process

    def serve(self, processes: int, *, replica: bool) -> tuple[Process, int]:
        env = dict(self.env)
        if replica:
            env["CASETRAIL_READ_DATABASE_URL"] = self.replica.url
        port = free_port()
        argv = [str(BIN / "casetrail"), "serve", "--port", str(port), "--no-access-log", "--workers", str(processes)]
        return start(f"scaleout-api-{processes}-{'replica' if replica else 'primary'}", argv, env, port=port), port

    def measure(self, make: Any, processes: int, *, replica: bool) -> dict[str, Any]:
        api, port = self.serve(processes, replica=replica)
        try:
            run_load_in_process("127.0.0.1", port, make, CONNECTIONS, 1.0, warmup=0.5)  # warm the pools

            def cpu() -> tuple[float, ...]:
                return tree_cpu(api.popen.pid), postgres_cpu(self.primary), postgres_cpu(self.replica), worker()

            worker = self.worker.cpu_seconds
            before = cpu()
            result: LoadResult = run_load_in_process("127.0.0.1", port, make, CONNECTIONS, self.seconds, warmup=1.0)
            spent = [b - a for a, b in zip(before, cpu(), strict=True)]
        finally:
            api.stop()
        if result.errors:
            raise RuntimeError(f"{result.errors} errors: {result.error_samples}")
        requests = result.throughput * (self.seconds + 1.0)  # the CPU was measured over warm-up and window alike
        per_request = [round(seconds * 1000 / requests, 2) if requests else None for seconds in spent]
        return {
            "per_second": round(result.throughput, 1),
            "p50_ms": round(result.p50_ms, 1),
            "p99_ms": round(result.p99_ms, 1),
            "api_cpu_ms": per_request[0],
            "primary_cpu_ms": per_request[1],
            "replica_cpu_ms": per_request[2],
            "worker_cpu_ms": per_request[3],
        }


@contextmanager
def cluster(base: Path) -> Iterator[tuple[PgInstance, PgInstance, dict[str, str]]]:
    with private_postgres(max_connections=200) as primary:
        env = {
            "CASETRAIL_DATABASE_URL": primary.url,
            "CASETRAIL_INTEGRITY_KEY_FILE": str(base / "integrity.key"),
            "CASETRAIL_MASTER_KEY_FILE": str(base / "master.key"),
            "CASETRAIL_CHECKPOINT_LOG": str(base / "checkpoints.jsonl"),
            "CASETRAIL_WRITE_RATE_STAFF": "0",  # one token stands for every client: the rate would measure itself
        }
        with streaming_replica(primary) as replica:
            yield primary, replica, env


def seeded(env: dict[str, str], cases: int) -> tuple[Container, list[str]]:
    container = build(Settings(**{k.removeprefix("CASETRAIL_").lower(): v for k, v in env.items()}))
    seed(container, cases, events_per_case=12, start=RECENT, spacing=timedelta(days=27) / cases, batch=500)
    now = datetime.now(UTC) - timedelta(minutes=5)
    built = [signed_for_case(container, n, now, "econ-info") for n in range(OPEN_CASES)]
    save_in_bulk(container, built)
    return container, [str(c.id) for c in built]


def wait_caught_up(container: Container, primary: PgInstance) -> None:
    head = container.store.recorder.max_notification_id() or 0
    deadline = time.monotonic() + 600
    while True:
        if reached(container) >= head and replay_lag_bytes(primary) == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("the worker or the replica did not catch up")
        time.sleep(0.2)


def run(args: argparse.Namespace) -> dict[str, Any]:
    base = Path(tempfile.mkdtemp(prefix="casetrail-scaleout-"))
    with cluster(base) as (primary, replica, env):
        subprocess.run([str(BIN / "casetrail"), "migrate"], env={**os.environ, **env}, check=True, capture_output=True)
        container, open_ids = seeded(env, args.cases)
        log(f"seeded {args.cases + OPEN_CASES:,} cases on the primary")
        worker = start("scaleout-worker", [str(BIN / "casetrail"), "worker"], env)
        try:
            wait_caught_up(container, primary)
            log("projections and replica caught up")
            handler = container.tokens.issue(CLI, name="bench-handler", role=Role.HANDLER, department="econ-info")
            reader = container.tokens.issue(CLI, name="bench-reader", role=Role.COORDINATOR).secret
            notes = ProgressNotes(
                [f"/v1/cases/{i}/progress" for i in open_ids], {"Authorization": f"Bearer {handler.secret}"},
                CONNECTIONS,
            )  # fmt: skip
            reads = Reads(open_ids, reader)
            bench = Bench(primary, replica, env, args.seconds, worker)
            figures: dict[str, Any] = {
                "seconds": args.seconds,
                "cases": args.cases + OPEN_CASES,
                "cpus": os.cpu_count(),
            }
            for processes in (1, 2):
                figures[f"commands_{processes}"] = bench.measure(notes, processes, replica=True)
                log(f"commands, {processes} API process(es): {figures[f'commands_{processes}']}")
                wait_caught_up(container, primary)
                for where in ("primary", "replica"):
                    key = f"reads_{processes}_{where}"
                    figures[key] = bench.measure(reads, processes, replica=where == "replica")
                    log(f"reads, {processes} API process(es), on the {where}: {figures[key]}")
        finally:
            worker.stop()
            container.close()
    return figures


def print_figures(f: dict[str, Any]) -> None:
    print(f"\nscale-out on this machine ({f['cpus']} CPUs shared; {f['cases']:,} cases; {f['seconds']:.0f} s windows)")
    print("CPU ms per request: of the API process(es), the primary's PostgreSQL, the replica's, the worker")
    print(f"{'load':<34}{'per s':>8}{'p50 ms':>8}{'p99 ms':>8}{'API':>8}{'primary':>9}{'replica':>9}{'worker':>8}")
    rows = [
        ("commands, 1 API process", "commands_1"),
        ("commands, 2 API processes", "commands_2"),
        ("reads, 1 API process, primary", "reads_1_primary"),
        ("reads, 1 API process, replica", "reads_1_replica"),
        ("reads, 2 API processes, primary", "reads_2_primary"),
        ("reads, 2 API processes, replica", "reads_2_replica"),
    ]
    for label, key in rows:
        r = f[key]
        print(
            f"{label:<34}{r['per_second']:>8.1f}{r['p50_ms']:>8.1f}{r['p99_ms']:>8.1f}{r['api_cpu_ms']:>8.2f}"
            f"{r['primary_cpu_ms']:>9.2f}{r['replica_cpu_ms']:>9.2f}{r['worker_cpu_ms']:>8.2f}"
        )
    for n in (1, 2):
        base, rep = f[f"reads_{n}_primary"], f[f"reads_{n}_replica"]
        print(
            f"reads with {n} API process(es): on the replica {rep['per_second'] / base['per_second']:.2f}x the rate "
            f"on the primary (baseline: same run); the primary's CPU per read {base['primary_cpu_ms']:.2f} ms -> "
            f"{rep['primary_cpu_ms']:.2f} ms"
        )
    ratio = f["commands_2"]["per_second"] / f["commands_1"]["per_second"]
    print(f"commands: 2 API processes {ratio:.2f}x one (baseline: one, same run)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench scaleout", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per figure")
    parser.add_argument("--cases", type=int, default=2000, help="closed cases seeded besides the 400 open ones")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    figures = run(args)
    print_figures(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
