"""Operations routes: liveness and readiness, without authentication."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.auth import ContainerDep

router = APIRouter(tags=["operations"])


@router.get("/healthz", description="The process is up.")
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz", description="The store answers; 503 with Retry-After when it does not.")
def readyz(app: ContainerDep) -> JSONResponse:
    try:
        position = app.store.recorder.max_notification_id()
    except Exception as e:
        return JSONResponse({"status": "unavailable", "detail": str(e)}, status_code=503, headers={"Retry-After": "2"})
    return JSONResponse({"status": "ready", "position": position or 0})
