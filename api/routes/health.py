"""Operations routes: liveness, readiness and metrics, without authentication."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from api.deps import ContainerDep
from infrastructure.container import Container
from infrastructure.metrics import CONTENT_TYPE, exposition
from infrastructure.settings import redact
from infrastructure.views.status import projection_status

router = APIRouter(tags=["operations"])


@router.get("/healthz", description="The process is up.")
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get(
    "/readyz",
    description="The store answers and every projection is within its lag limit; else 503. With a read replica "
    "(CASETRAIL_READ_DATABASE_URL), `replica` says whether it answers and how many events its projections trail the "
    "primary's log head (`lag`, and per projection); a replica that is down or behind does not make the process "
    "unready, since reads then go to the primary and `min_position` reads wait for the replica.",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "status": "ready",
                        "max_lag": 1000,
                        "head": 1200,
                        "projections": [{"name": "cases", "generation": 1, "position": 1200, "lag": 0}],
                        "replica": {
                            "status": "up",
                            "url": "postgresql://casetrail:***@replica:5432/casetrail",
                            "standby": True,
                            "lag": 3,
                            "replay_age_seconds": 0.012,
                            "projections": [{"name": "cases", "position": 1197, "lag": 3}],
                        },
                    }
                }
            }
        }
    },
)
def readyz(container: ContainerDep) -> JSONResponse:
    try:
        status = projection_status(container)
    except Exception as e:  # readiness reports any failure to reach the store, whatever its kind
        return JSONResponse(
            {"status": "unavailable", "detail": redact(str(e))}, status_code=503, headers={"Retry-After": "2"}
        )
    limit = container.settings.ready_max_lag
    ready = all(p["lag"] <= limit for p in status["projections"])
    body = {"status": "ready" if ready else "lagging", "max_lag": limit, **status}
    replica = replica_status(container, status)
    if replica is not None:
        body["replica"] = replica
    return JSONResponse(body, status_code=200 if ready else 503, headers={} if ready else {"Retry-After": "2"})


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {"schema": {"type": "string"}}}}},
    description="Prometheus text: requests and latency by route, commands by outcome, projection position and lag, "
    "tracking runs and warnings, group-commit batch sizes, and with a read replica whether it answers, its lag and "
    "the reads the primary served for it; summed over the API processes of `serve --workers N`.",
)
def metrics(container: ContainerDep) -> Response:
    status = projection_status(container)
    replica = replica_status(container, status)
    return Response(exposition(status["head"], status["projections"], replica), media_type=CONTENT_TYPE)


def replica_status(container: Container, status: dict[str, Any]) -> dict[str, Any] | None:
    """The read replica beside the primary's projection `status`: whether it answers, its lag; None without one."""
    if container.replica is None:
        return None
    return container.replica.status([p["name"] for p in status["projections"]], status["head"])
