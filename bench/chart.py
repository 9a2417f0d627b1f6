"""Draw the service benchmark's figures (bench/service.py) as one PNG: throughput, latency, scale, replay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no screen: draw straight to a file
import matplotlib.pyplot as plt

from bench.service import TARGETS

BASELINE, CASETRAIL, GROWN, TWO = "#9e9e9e", "#1565c0", "#64b5f6", "#0d47a1"


def draw(f: dict[str, Any], path: Path) -> None:
    small, grown, base = f["small"], f["grown"], f["baseline"]
    fig, axes = plt.subplots(1, 4, figsize=(18, 4.4))
    fig.suptitle(
        f"casetrail vs the obvious FastAPI + eventsourcing service - {f['when']}, {f['cores']} cores, "
        f"{f['connections']} connections, PostgreSQL",
        fontsize=11,
    )

    names = ["baseline", f"casetrail\n{small['cases']:,} cases", f"casetrail\n{grown['cases']:,} cases"]
    loads = [base["load"], small["load"], grown["load"]]
    colours = [BASELINE, CASETRAIL, GROWN]
    ax = axes[0]
    bars = ax.bar(
        [*names, f"baseline\n{f['many']['workers']} processes", f"casetrail\n{f['many']['workers']} processes"],
        [x["throughput"] for x in [*loads, f["baseline_many"]["load"], f["many"]["load"]]],
        color=[*colours, BASELINE, TWO],
    )
    ax.tick_params(axis="x", labelsize=8)
    ax.bar_label(bars, fmt="{:,.0f}")
    ax.set_title("commands per second (higher is better)")

    ax = axes[1]
    width = 0.25
    for i, (name, load, colour) in enumerate(zip(names, loads, colours, strict=True)):
        xs = [j + (i - 1) * width for j in range(2)]
        bars = ax.bar(xs, [load["p50_ms"], load["p99_ms"]], width, color=colour, label=name.replace("\n", " "))
        ax.bar_label(bars, fmt="{:.0f}", fontsize=8)
    ax.axhline(
        TARGETS["p99_ms"], color="#c62828", linestyle="--", linewidth=1, label=f"p99 target {TARGETS['p99_ms']} ms"
    )
    ax.set_xticks([0, 1], ["p50", "p99"])
    ax.set_title("command latency, ms (lower is better)")
    ax.legend(fontsize=7)

    ax = axes[2]
    sizes = [f"{small['cases']:,}", f"{grown['cases']:,}"]
    bars = ax.bar(
        [0, 1], [small["report_month_ms"], grown["report_month_ms"]], 0.4, color=[CASETRAIL, GROWN], label="report"
    )
    ax.bar_label(bars, fmt="{:.0f}")
    ax.axhline(
        TARGETS["report_ms"], color="#c62828", linestyle="--", linewidth=1, label=f"target {TARGETS['report_ms']} ms"
    )
    ax.set_xticks([0, 1], [f"{s} cases" for s in sizes])
    ax.set_title("one month's department report, ms")
    ax.legend(fontsize=7)

    ax = axes[3]
    replay = f["replay"]
    labels = list(replay)
    width = 0.25
    series = [
        ("baseline repository.get", "baseline_state_ms", BASELINE),
        ("casetrail state (snapshots)", "state_ms", CASETRAIL),
        ("casetrail history", "history_ms", GROWN),
    ]
    for i, (name, key, colour) in enumerate(series):
        xs = [j + (i - 1) * width for j in range(len(labels))]
        bars = ax.bar(xs, [replay[s][key] for s in labels], width, color=colour, label=name)
        ax.bar_label(bars, fmt="{:.1f}", fontsize=8)
    ax.set_xticks(range(len(labels)), [f"{int(s):,} events" for s in labels])
    ax.set_title("reading a case, ms (lower is better)")
    ax.legend(fontsize=7)

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
