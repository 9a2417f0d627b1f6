"""Operations routes: liveness and readiness, without authentication."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from api.deps import ContainerDep
from infrastructure.views.status import projection_status

router = APIRouter(tags=["operations"])


@router.get("/healthz", description="The process is up.")
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz", description="The store answers and every projection is within its lag limit; else 503.")
def readyz(container: ContainerDep) -> JSONResponse:
    try:
        status = projection_status(container)
    except Exception as e:  # readiness reports any failure to reach the store, whatever its kind
        return JSONResponse({"status": "unavailable", "detail": str(e)}, status_code=503, headers={"Retry-After": "2"})
    limit = container.settings.ready_max_lag
    ready = all(p["lag"] <= limit for p in status["projections"])
    body = {"status": "ready" if ready else "lagging", "max_lag": limit, **status}
    return JSONResponse(body, status_code=200 if ready else 503, headers={} if ready else {"Retry-After": "2"})


@router.get("/metrics", response_class=PlainTextResponse, description="Prometheus text: requests, latency, lag.")
def metrics(request: Request, container: ContainerDep) -> PlainTextResponse:
    status = projection_status(container)
    body = request.app.state.metrics.render(status["projections"], status["head"])
    return PlainTextResponse(body, media_type="text/plain; version=0.0.4")
