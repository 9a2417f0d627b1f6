"""Audit benchmark: chain verification rate over the whole log beside the raw read-and-decode rate.

python -m bench audit [--events 100000] [--backend sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.projections import fresh_store, read_and_decode
from bench.seed import seed
from infrastructure.container import build

TARGET = 100_000  # issue 16 (issue 5 asked for 50,000)


def run(backend: str, events: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        container = build(fresh_store(backend, Path(tmp)))
        try:
            written = seed(container, cases=events // 10, events_per_case=10)
            count, elapsed = read_and_decode(container)
            baseline = count / elapsed
            started = time.perf_counter()
            verifier, _ = container.audit.scan()
            rate = written / (time.perf_counter() - started)
            intact = all(check.ok for check in verifier.streams.values())
            print(f"[{backend}] baseline read-and-decode: {baseline:10,.0f} events/s")
            print(
                f"[{backend}] verification            : {rate:10,.0f} events/s over {written} events "
                f"({rate / baseline:.2f}x the baseline; target >= {TARGET:,}); all chains intact: {intact}"
            )
        finally:
            container.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench audit", description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args(argv)
    for backend in ("sqlite", "postgres") if args.backend == "both" else (args.backend,):
        run(backend, args.events)
