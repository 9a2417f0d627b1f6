"""The FastAPI application: built around a container made once, in the lifespan or by the caller."""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp

from api import __version__, console, errors
from api.edge import Edge
from api.openapi import TAGS, problem_responses
from api.operations import operation_id
from api.routes import ROUTERS
from api.throttle import FailureThrottle
from infrastructure.checkpoint_runner import start_checkpoints
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from infrastructure.tracking_runner import start_tracking
from infrastructure.views.runner import ProjectionLoop

log = logging.getLogger("casetrail.api")
DESCRIPTION = """
casetrail is the system of record of the enterprise service centre's three-tier guarantee system
(三级保障体系): every case is an immutable event stream. Authenticate with `Authorization: Bearer <token>`;
errors are `application/problem+json` with a `rule` naming the refused rule.
"""


class App(FastAPI):
    """FastAPI with the edge layer (api/edge.py) outermost: every request passes it first, and the planned
    command routes are answered from there without FastAPI's middleware and router."""

    max_body_bytes = 1_000_000

    def build_middleware_stack(self) -> ASGIApp:
        return Edge(super().build_middleware_stack(), self.max_body_bytes)


def create_app(
    make_container: Callable[[], Container],
    *,
    max_body_bytes: int = 1_000_000,
    run_projections: bool = False,
    run_tracking: bool = False,
) -> FastAPI:
    """The app; `make_container` runs at start-up, so nothing opens a pool at import.

    With `run_projections` and `run_tracking` (the embedded SQLite set-up) the projections and the
    minutely tracking job run in threads of this process.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container = make_container()
        app.state.container = container
        # Everything built so far lives as long as the process: keep it out of the cyclic collector's full
        # passes, which otherwise walk it again and again and show up as latency spikes (p99).
        gc.collect()
        gc.freeze()
        loop = ProjectionLoop(container.workers(container.settings.projection_batch)) if run_projections else None
        if loop:
            loop.start()
        stop_tracking = start_tracking(container) if run_tracking else None
        stop_checkpoints = start_checkpoints(container) if run_tracking else None
        log.info("casetrail %s ready: %s store, process %d", __version__, container.settings.backend, os.getpid())
        try:
            yield
        finally:
            if stop_tracking:
                stop_tracking()
            if stop_checkpoints:
                stop_checkpoints()
            if loop:
                loop.stop()
            container.close()

    app = App(
        title="casetrail",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=TAGS,
        generate_unique_id_function=operation_id,
        docs_url=None,  # served by the console with local assets (no CDN)
        redoc_url=None,
    )
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    console.install(app)
    app.openapi = lambda: problem_responses(app)  # type: ignore[method-assign]
    app.state.auth_throttle = FailureThrottle()
    app.max_body_bytes = max_body_bytes  # request id, metrics, body limit: the edge, one layer
    return app


def from_environment() -> FastAPI:
    """The app as `casetrail serve` runs it, configured from the CASETRAIL_* variables (each API process of
    `--workers N` builds its own). On SQLite the projections and the tracking job run inside it."""
    settings = Settings.from_env()
    embedded = settings.backend == "sqlite"
    return create_app(
        lambda: build(settings, create_tables=embedded),
        max_body_bytes=settings.max_body_bytes,
        run_projections=embedded,
        run_tracking=embedded,
    )
