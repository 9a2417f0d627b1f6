"""Projection benchmark: the live loop catching up from a backlog, rebuild throughput (each projection, and all of
them over one read of the log) beside the raw read-and-decode rate, and lag under load.

    python -m bench projections [--events 100000] [--rate 200] [--seconds 10] [--backend sqlite|postgres|both]

Every figure is printed beside its baseline measured in the same run on the same machine: the backlog beside the
loop applying one projection at a time (each reading the log itself, 1,000 events a batch, as before), the rebuild
of all beside rebuilding them one after another. CPU seconds are this process's (the machine may be shared).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from application.cases import NewCase
from application.execution import CommandContext
from bench.seed import FIELDS, reset, seed
from domain.values import Actor, Kind, Role, Tier
from infrastructure.checkpoint_log import CheckpointLog
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from infrastructure.views.rebuild import rebuild, rebuild_all
from infrastructure.views.runner import ProjectionLoop, collect_less_often

PG_URL = os.environ.get("CASETRAIL_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/casetrail_bench")
TARGET_REBUILD_PG = 30_000
TARGET_BACKLOG = 20_000
TARGET_LAG_P99_MS = 150
NEW_CASE = NewCase(**{**FIELDS, "kind": Kind.ENTERPRISE_PROBLEM, "title": "基准测试诉求"})


def fresh_store(backend: str, workdir: Path) -> Settings:
    if backend == "sqlite":
        return Settings(database_url=f"sqlite:///{workdir / 'bench.db'}")
    reset(PG_URL)
    return Settings(database_url=PG_URL)


def read_and_decode(container: Container, batch: int = 5000) -> tuple[int, float]:
    """The baseline: read every stored event (the fastest bulk read we have) and decode it, nothing else."""
    started, position, count = time.perf_counter(), 0, 0
    while True:
        rows = container.store.extras.scan(position, batch)
        if not rows:
            return count, time.perf_counter() - started
        for n in rows:
            container.store.mapper.to_domain_event(n)
        count, position = count + len(rows), rows[-1].id


def rebuild_rates(container: Container) -> dict[str, float]:
    """Events/s of `rebuild_figures` (bench/service.py)."""
    return {name: rate for name, (rate, _) in rebuild_figures(container).items()}


def cpu_with_children() -> float:
    """CPU seconds of this process and of its finished children (a rebuild's folding processes)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def rebuild_figures(container: Container) -> dict[str, tuple[float, float]]:
    """Events/s and CPU seconds (with the rebuild's own processes): each projection rebuilt alone, all one after
    another, and all over one read."""
    head = container.store.recorder.max_notification_id() or 0
    rates = {}
    total, total_cpu = 0.0, 0.0
    for projection in container.projections:
        started, cpu = time.perf_counter(), cpu_with_children()
        rebuild(container, projection, lambda done, total: None)
        elapsed, cpu = time.perf_counter() - started, cpu_with_children() - cpu
        rates[projection.name] = (head / elapsed, cpu)
        total, total_cpu = total + elapsed, total_cpu + cpu
    rates["all, one after another"] = (head / total, total_cpu)
    started, cpu = time.perf_counter(), cpu_with_children()
    rebuild_all(container, container.projections, lambda done, total: None)
    rates["all over one read"] = (head / (time.perf_counter() - started), cpu_with_children() - cpu)
    return rates


def backlog_rates(container: Container) -> dict[str, tuple[float, float]]:
    """The live loop (as `casetrail worker` runs it) catching up from the whole log on fresh generations: the loop
    applying one projection at a time (the baseline), and feeding all from one read (one commit per batch)."""
    head = container.store.recorder.max_notification_id() or 0
    rates = {}
    for label in ("one projection at a time", "all from one read"):
        for projection in container.projections:
            old = container.views.active_generation(projection.name)
            container.views.create_generation(projection, active=True)
            container.views.drop_generation(projection, old)
        loop = ProjectionLoop(container.workers(1000))
        started, cpu = time.perf_counter(), time.process_time()
        if label == "one projection at a time":
            while any([loop.step(w) for w in loop.workers]):
                pass
        while loop.step_all():
            pass
        assert reached(container) == head
        rates[label] = (head / (time.perf_counter() - started), time.process_time() - cpu)
    return rates


def signed_for_cases(container: Container, count: int) -> list[tuple[Any, Actor]]:
    coordinator = Actor("bench-coordinator", Role.COORDINATOR, "service-center")
    lead = Actor("bench-lead", Role.HANDLER, "econ-info")
    ids = []
    for _ in range(count):
        case = container.cases.register(CommandContext(coordinator), NEW_CASE).case
        container.cases.dispatch(
            case.id, CommandContext(coordinator), tier=Tier.HANDLING, lead_department="econ-info", co_departments=[]
        )
        container.cases.sign_for(case.id, CommandContext(lead))
        ids.append((case.id, lead))
    return ids


def lag_under_load(
    container: Container, settings: Settings, rate: int, seconds: float, workdir: Path, processes: int = 2
) -> dict[str, float]:
    """Commands at a steady rate from several processes (as API processes would send them); lag is
    commit-to-visible-in-the-view, per command."""
    targets = [case_id for case_id, _ in signed_for_cases(container, 64)]
    checkpoints = CheckpointLog(workdir / "checkpoints.jsonl")
    started_at = time.perf_counter()
    worker = start_worker(container, settings, checkpoints.path)
    # Start the clock only once the worker runs, or its start-up counts as lag: caught up, and its first automatic
    # checkpoint taken (a pass over the whole log, in the worker's process: see docs/performance.md).
    wait_caught_up(container)
    took = wait_first_checkpoint(checkpoints, worker, container.store.recorder.max_notification_id() or 0)
    start_up = time.perf_counter() - started_at if took else float("nan")
    committed: list[tuple[int, float]] = []
    lock = threading.Lock()
    visible: dict[int, float] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(container, committed, lock, visible, stop), daemon=True)
    watcher.start()
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    started = time.monotonic() + 2  # every load process starts on the same beat
    loaders = [
        context.Process(
            target=load,
            args=(settings.database_url, targets[i::processes], rate / processes, seconds, started, results),
        )
        for i in range(processes)
    ]
    for p in loaders:
        p.start()
    done = 0
    while done < processes:
        item = results.get(timeout=seconds + 120)
        if item is None:
            done += 1
            continue
        with lock:
            committed.append(item)
    for p in loaders:
        p.join()
    achieved = len(committed) / seconds
    deadline = time.monotonic() + 30
    while len(visible) < len(committed) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    stop_worker(worker)
    lags = sorted((visible[p] - t) * 1000 for p, t in committed if p in visible)
    return {
        "start_up_s": start_up,
        "commands": len(committed),
        "achieved_rate": achieved,
        "p50_ms": percentile(lags, 50),
        "p99_ms": percentile(lags, 99),
        "max_ms": lags[-1] if lags else float("nan"),
        "unseen": len(committed) - len(lags),
    }


def load(url: str, targets: list[Any], rate: float, seconds: float, start: float, results: Any) -> None:
    """One load process: progress notes at `rate` per second; reports (position, commit time) of each."""
    container = build(Settings(database_url=url), create_tables=False)
    lead = Actor("bench-lead", Role.HANDLER, "econ-info")
    total = int(rate * seconds)

    def one(i: int) -> None:
        result = container.cases.progress(targets[i % len(targets)], CommandContext(lead), note=f"进展 {i}")
        results.put((result.position, time.monotonic()))

    with ThreadPoolExecutor(max_workers=4) as pool:
        for i in range(total):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, i)
    results.put(None)
    container.close()


def wait_caught_up(container: Container, timeout: float = 60) -> None:
    deadline = time.perf_counter() + timeout
    while reached(container) < (container.store.recorder.max_notification_id() or 0):
        if time.perf_counter() > deadline:
            raise RuntimeError("the projection worker did not catch up; is `casetrail worker` failing?")
        time.sleep(0.05)


def wait_first_checkpoint(log: CheckpointLog, worker: Any, head: int, timeout: float = 300) -> bool:
    """Wait until a worker process has appended its first checkpoint (at `head` or beyond); False when the worker
    is the embedded loop, which takes none."""
    if isinstance(worker, ProjectionLoop):
        return False
    deadline = time.perf_counter() + timeout
    while (latest := log.latest()) is None or int(latest["position"]) < head:
        if time.perf_counter() > deadline:
            raise RuntimeError("the worker took no checkpoint; is `casetrail worker` failing?")
        time.sleep(0.05)
    return True


def reached(container: Container) -> int:
    return min(
        container.views.position(p.name, container.views.active_generation(p.name)) for p in container.projections
    )


def watch(
    container: Container,
    committed: list[tuple[int, float]],
    lock: threading.Lock,
    visible: dict[int, float],
    stop: threading.Event,
) -> None:
    while not stop.is_set():
        position_now = reached(container)
        now = time.monotonic()
        with lock:
            for position, _ in committed:
                if position <= position_now and position not in visible:
                    visible[position] = now
        time.sleep(0.005)


def start_worker(container: Container, settings: Settings, checkpoint_log: Path | None = None) -> Any:
    if settings.backend == "postgresql":  # the production shape: a separate worker process
        env = {**os.environ, "CASETRAIL_DATABASE_URL": settings.database_url}
        if checkpoint_log is not None:  # the bench's own, not the machine's default log
            env["CASETRAIL_CHECKPOINT_LOG"] = str(checkpoint_log)
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "casetrail"), "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    loop = ProjectionLoop(container.workers())  # the embedded shape: a thread of the serving process
    loop.start()
    return loop


def stop_worker(worker: Any) -> None:
    if isinstance(worker, ProjectionLoop):
        worker.stop()
    else:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=10)


def percentile(values: list[float], p: int) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def run(backend: str, events: int, rate: int, seconds: float) -> None:
    collect_less_often()  # as `casetrail worker` and `projections rebuild` do: the loops run here in process
    with tempfile.TemporaryDirectory() as tmp:
        settings = fresh_store(backend, Path(tmp))
        container = build(settings)
        try:
            started = time.perf_counter()
            written = seed(container, cases=events // 10, events_per_case=10)
            print(f"[{backend}] seeded {written} events in {time.perf_counter() - started:.1f} s")
            count, elapsed = read_and_decode(container)
            baseline = count / elapsed
            print(f"[{backend}] baseline  read-and-decode of the log: {baseline:10,.0f} events/s ({count} events)")
            load = os.getloadavg()[0]
            backlog = backlog_rates(container)
            before = backlog["one projection at a time"][0]
            for name, (rate_, cpu) in backlog.items():
                target = f"  target >= {TARGET_BACKLOG:,}" if name == "all from one read" else ""
                print(
                    f"[{backend}] backlog   {name:<24}: {rate_:10,.0f} events/s ({cpu:5.1f} s CPU) = "
                    f"{rate_ / before:.2f}x the one-at-a-time loop{target}"
                )
            for name, (rate_, cpu) in rebuild_figures(container).items():
                target = f"  target >= {TARGET_REBUILD_PG:,}" if name == "all over one read" else ""
                print(
                    f"[{backend}] rebuild   {name:<24}: {rate_:10,.0f} events/s ({cpu:5.1f} s CPU) = "
                    f"{rate_ / baseline:.2f}x the read-and-decode baseline{target}"
                )
            print(f"[{backend}] load average at the start of the measurements: {load:.1f}")
            lag = lag_under_load(container, settings, rate, seconds, Path(tmp))
            print(
                f"[{backend}] worker start-up (caught up and its first checkpoint over the whole log): "
                f"{lag['start_up_s']:.1f} s"
            )
            print(
                f"[{backend}] lag at {lag['achieved_rate']:.0f} commands/s over {lag['commands']} commands: "
                f"p50 {lag['p50_ms']:.0f} ms, p99 {lag['p99_ms']:.0f} ms, max {lag['max_ms']:.0f} ms "
                f"(target p99 <= {TARGET_LAG_P99_MS} ms), not seen: {lag['unseen']}"
            )
        finally:
            container.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench projections", description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=200, help="commands per second in the lag test")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args(argv)
    print(f"casetrail projection benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores")
    for backend in ("sqlite", "postgres") if args.backend == "both" else (args.backend,):
        run(backend, args.events, args.rate, args.seconds)
