"""GET /healthz."""

from __future__ import annotations

from fastapi import APIRouter

from labs.model_api.routes.deps import ServiceDep
from labs.model_api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut)
async def healthz(service: ServiceDep) -> HealthOut:
    """200 once the model is fitted and the worker serves requests."""
    return HealthOut(worker=service.worker, pid=service.pid)
