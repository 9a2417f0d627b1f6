"""Prometheus metrics (prometheus_client): the families every process records into, and the exposition.

Under `casetrail serve --workers N` each API process writes its samples to files in PROMETHEUS_MULTIPROC_DIR
(set by `serve` before the processes start) and `/metrics` adds them up, whichever process answers. The
families are module-level, as prometheus_client expects: they register once per process, and open nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
disable_created_metrics()  # no `_created` series: they double the text and nobody here reads them

REQUESTS = Counter(
    "casetrail_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "casetrail_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and status.",
    ["route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
COMMANDS = Counter(
    "casetrail_commands",
    "Commands by operation and outcome (recorded, replayed, refused, conflict, error); `rule` names a refusal's rule.",
    ["command", "outcome", "rule"],
)
TRACKING_RUNS = Counter("casetrail_tracking_runs", "Runs of the tracking job in this process.")
WARNINGS_RAISED = Counter(
    "casetrail_tracking_warnings_raised", "Warnings recorded by the tracking job, by level and kind.", ["level", "kind"]
)
GROUP_COMMIT_BATCH = Histogram(
    "casetrail_group_commit_batch_size",
    "Commands committed together in one transaction (PostgreSQL group commit).",
    buckets=(1, 2, 4, 8, 16, 32, 64),
)
REPLICA_FALLBACKS = Counter(
    "casetrail_replica_fallbacks",
    "Reads served by the primary because the read replica (CASETRAIL_READ_DATABASE_URL) did not answer, by kind "
    "(views, case).",
    ["read"],
)


class _Fixed(Collector):
    """Families computed once, for one exposition."""

    def __init__(self, families: Iterable[Any]) -> None:
        self.families = list(families)

    def collect(self) -> Iterable[Any]:
        return self.families


def projection_families(head: int, projections: Sequence[Mapping[str, Any]]) -> list[GaugeMetricFamily]:
    """The event log's head and each projection's position and lag, read from the store at scrape time."""
    head_family = GaugeMetricFamily("casetrail_event_log_head", "Global position of the last recorded event.")
    head_family.add_metric([], head)
    position = GaugeMetricFamily(
        "casetrail_projection_position", "Last event position applied by a projection.", labels=["projection"]
    )
    lag = GaugeMetricFamily(
        "casetrail_projection_lag", "Events a projection is behind the head.", labels=["projection"]
    )
    for p in projections:
        position.add_metric([str(p["name"])], float(p["position"]))
        lag.add_metric([str(p["name"])], float(p["lag"]))
    return [head_family, position, lag]


def replica_families(replica: Mapping[str, Any]) -> list[GaugeMetricFamily]:
    """Whether the read replica answers, and how many events its projections trail the primary's log head."""
    up = GaugeMetricFamily("casetrail_replica_up", "1 when the read replica answers, else 0.")
    up.add_metric([], 1.0 if replica.get("status") == "up" else 0.0)
    families = [up]
    if replica.get("status") == "up":
        lag = GaugeMetricFamily(
            "casetrail_replica_lag",
            "Events the replica's projections trail the primary's log head.",
            labels=["projection"],
        )
        for p in replica.get("projections", ()):
            lag.add_metric([str(p["name"])], float(p["lag"]))
        families.append(lag)
    return families


def exposition(head: int, projections: Sequence[Mapping[str, Any]], replica: Mapping[str, Any] | None = None) -> bytes:
    """Prometheus text for every family: summed over the API processes in multiprocess mode."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_DIR):
        MultiProcessCollector(registry)
    else:
        registry.register(_Fixed(REGISTRY.collect()))
    registry.register(_Fixed(projection_families(head, projections)))
    if replica is not None:
        registry.register(_Fixed(replica_families(replica)))
    return generate_latest(registry)
