"""The failed-authentication throttle under many distinct clients: the cost of a request stays flat.

`python -m bench throttle` measures the time of one failed authentication's throttle work (check, then record
the failure) with 1,000 and with 100,000 distinct client addresses, against the same run's baseline: the
same work with a single client. Memory is bounded by the throttle's table size.
"""

from __future__ import annotations

import argparse
import statistics
import time

from api.throttle import MAX_CLIENTS, FailureThrottle


def per_call_us(clients: int, calls: int) -> float:
    throttle = FailureThrottle(limit=10**9)
    addresses = [f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}" for i in range(clients)]
    start = time.perf_counter()
    for n in range(calls):
        address = addresses[n % clients]
        throttle.check(address)  # never refuses here: the limit is out of reach, the work is the same
        throttle.failed(address)
    elapsed = time.perf_counter() - start
    assert len(throttle.counts) <= MAX_CLIENTS
    return elapsed / calls * 1e6


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench throttle")
    parser.add_argument("--calls", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    figures = {}
    for clients in (1, 1_000, 100_000):
        figures[clients] = statistics.median(per_call_us(clients, args.calls) for _ in range(args.rounds))
    base = figures[1]
    print(f"throttle work per failed request (median of {args.rounds} rounds of {args.calls:,} calls):")
    for clients, us in figures.items():
        print(f"  {clients:>7,} distinct clients: {us:6.2f} µs  ({us / base:4.2f}x one client)")
    print(f"  table bounded at {MAX_CLIENTS:,} clients")
