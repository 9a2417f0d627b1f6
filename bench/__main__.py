"""Benchmarks: `python -m bench <name> [options]`; each prints its figures beside a same-run baseline."""

from __future__ import annotations

import sys

BENCHMARKS = {
    "projections": "bench.projections",
    "audit": "bench.audit",
    "throttle": "bench.throttle",
    "console_reports": "bench.console_reports",
    "privacy": "bench.privacy",
    "scaleout": "bench.scaleout",
    "commands": "bench.commands",
}


def main() -> None:
    """`python -m bench [options]` runs the service benchmark; `python -m bench NAME [options]` a focused one."""
    if len(sys.argv) > 1 and sys.argv[1] in BENCHMARKS:
        module = __import__(BENCHMARKS[sys.argv[1]], fromlist=["main"])
        module.main(sys.argv[2:])
        return
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        print(f"usage: python -m bench [{'|'.join(BENCHMARKS)}] [options]  (--help for a benchmark's options)")
        raise SystemExit(2)
    from bench.service import main as service

    service(sys.argv[1:])


if __name__ == "__main__":
    main()
