"""Prometheus text metrics: requests by route and status, their latency, and projection lag."""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from starlette.types import ASGIApp, Message, Receive, Scope, Send

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.buckets: dict[tuple[str, float], int] = defaultdict(int)
        self.sums: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self.lock:
            self.requests[(method, route, status)] += 1
            self.sums[route] += seconds
            self.counts[route] += 1
            for bound in BUCKETS:
                if seconds <= bound:
                    self.buckets[(route, bound)] += 1

    def render(self, projections: list[dict[str, int | str]], head: int) -> str:
        lines = ["# TYPE casetrail_requests_total counter"]
        with self.lock:
            for (method, route, status), n in sorted(self.requests.items()):
                lines.append(f'casetrail_requests_total{{method="{method}",route="{route}",status="{status}"}} {n}')
            lines.append("# TYPE casetrail_request_seconds histogram")
            for route in sorted(self.counts):
                for bound in BUCKETS:
                    count = self.buckets[(route, bound)]
                    lines.append(f'casetrail_request_seconds_bucket{{route="{route}",le="{bound}"}} {count}')
                lines.append(f'casetrail_request_seconds_bucket{{route="{route}",le="+Inf"}} {self.counts[route]}')
                lines.append(f'casetrail_request_seconds_sum{{route="{route}"}} {self.sums[route]:.6f}')
                lines.append(f'casetrail_request_seconds_count{{route="{route}"}} {self.counts[route]}')
        lines += [
            "# TYPE casetrail_event_log_head gauge",
            f"casetrail_event_log_head {head}",
            "# TYPE casetrail_projection_position gauge",
            "# TYPE casetrail_projection_lag gauge",
        ]
        for p in projections:
            lines.append(f'casetrail_projection_position{{projection="{p["name"]}"}} {p["position"]}')
            lines.append(f'casetrail_projection_lag{{projection="{p["name"]}"}} {p["lag"]}')
        return "\n".join(lines) + "\n"


class MetricsMiddleware:
    """Times every HTTP request; the route is the path template, so ids do not explode the label set."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"] if scope["method"] in METHODS else "other"  # labels stay a bounded set
            self.metrics.observe(method, route, status, time.perf_counter() - started)
