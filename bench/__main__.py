"""Benchmarks: `python -m bench <name> [options]`; each prints its figures beside a same-run baseline."""

from __future__ import annotations

import sys

BENCHMARKS = {"projections": "bench.projections", "audit": "bench.audit"}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in BENCHMARKS:
        print(f"usage: python -m bench {{{'|'.join(BENCHMARKS)}}} [options]  (--help for a benchmark's options)")
        raise SystemExit(2)
    module = __import__(BENCHMARKS[sys.argv[1]], fromlist=["main"])
    module.main(sys.argv[2:])


if __name__ == "__main__":
    main()
