"""Command throughput with personal data sealed (AES-GCM, a key row per case) against the same commands without.

`python -m bench privacy` runs, in one process and alternating rounds, the same case life (register, dispatch,
sign-for, a progress note, withdraw) on two services over the same kind of store: one
sealing contacts as casetrail does, one whose PersonalData port passes them through (the baseline). SQLite
always; PostgreSQL too when CASETRAIL_BENCH_POSTGRES_URL (default: the local casetrail_bench_privacy) answers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from application.execution import CommandContext
from application.ports import Protected
from bench.seed import reset
from domain.values import Actor, Kind, Role, Tier
from infrastructure.container import Container, build
from infrastructure.settings import Settings

COORDINATOR = Actor("bench-coordinator", Role.COORDINATOR, "service-center")
LEAD = Actor("bench-lead", Role.HANDLER, "econ-info")
PG_URL = os.environ.get("CASETRAIL_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/casetrail_bench_privacy")


class PassThrough:
    """The baseline: contacts stored as given, no key."""

    def protect(self, case_id: UUID, fields: dict[str, str]) -> Protected:
        return Protected(dict(fields), b"")

    def reveal(self, case_id: UUID, value: dict[str, Any], *, cached: bool = True) -> dict[str, str]:
        return dict(value)

    def forget(self, case_id: UUID) -> None:
        pass


def life(container: Container, n: int) -> int:
    """One case's life; returns the commands it ran. Reads are left out: a read that carries the contact also
    writes its access-log row, a cost of the log, not of sealing (docs/performance.md)."""
    from application.cases import NewCase

    new = NewCase(
        kind=Kind.ENTERPRISE_PROBLEM,
        title=f"基准诉求{n}",
        description="蒸汽管道接入",
        enterprise={"name": "远大医药（中国）有限公司", "credit_code": "91510115MA6C4B7Q2J"},
        category="utilities",
        channel="visit",
        urgency="normal",
        contact={"name": "李锐", "phone": f"139{n:08d}"},
    )
    case_id = container.cases.register(CommandContext(COORDINATOR), new).case.id
    c = CommandContext(COORDINATOR)
    container.cases.dispatch(case_id, c, tier=Tier.HANDLING, lead_department="econ-info", co_departments=[])
    container.cases.sign_for(case_id, CommandContext(LEAD))
    container.cases.progress(case_id, CommandContext(LEAD), note="已联系企业")
    container.cases.withdraw(case_id, c, reason="基准结束")
    return 5


def per_second(container: Container, cases: int, start: int) -> float:
    began, done = time.perf_counter(), 0
    for n in range(start, start + cases):
        done += life(container, n)
    return done / (time.perf_counter() - began)


def compare(label: str, sealed: Container, plain: Container, cases: int, rounds: int) -> None:
    plain.cases.personal = PassThrough()
    plain.queries.personal.data = PassThrough()
    per_second(sealed, 20, 10**7)  # warm both up
    per_second(plain, 20, 2 * 10**7)
    figures: dict[str, list[float]] = {"sealed": [], "plain": []}
    for r in range(rounds):
        figures["plain"].append(per_second(plain, cases, r * cases))
        figures["sealed"].append(per_second(sealed, cases, r * cases))
    s, p = statistics.median(figures["sealed"]), statistics.median(figures["plain"])
    print(f"{label}: commands/s, median of {rounds} alternating rounds of {cases} case lives (5 commands each)")
    print(f"  without sealing (baseline): {p:8.1f}")
    print(f"  with sealing:               {s:8.1f}  ({(s / p - 1) * 100:+.1f}% against the baseline)")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench privacy")
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        sealed = build(Settings(database_url=f"sqlite:///{Path(tmp) / 'sealed.db'}"))
        plain = build(Settings(database_url=f"sqlite:///{Path(tmp) / 'plain.db'}"))
        try:
            compare("SQLite", sealed, plain, args.cases, args.rounds)
        finally:
            sealed.close()
            plain.close()
    try:
        reset(PG_URL)
        reset(PG_URL + "_plain")
    except Exception as e:  # no PostgreSQL here: SQLite's figures stand alone
        print(f"PostgreSQL skipped: {e}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        sealed = build(
            Settings(database_url=PG_URL, master_key_file=Path(tmp) / "m1", integrity_key_file=Path(tmp) / "i1")
        )
        plain = build(
            Settings(
                database_url=PG_URL + "_plain", master_key_file=Path(tmp) / "m2", integrity_key_file=Path(tmp) / "i2"
            )
        )
        try:
            compare("PostgreSQL", sealed, plain, args.cases, args.rounds)
        finally:
            sealed.close()
            plain.close()
