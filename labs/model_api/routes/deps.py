"""Dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from labs.model_api.metrics import Metrics
from labs.model_api.service import PredictionService


async def get_service(request: Request) -> PredictionService:
    """The worker's prediction service, built in the app's lifespan (async: no thread-pool hop)."""
    return request.app.state.service


async def get_metrics(request: Request) -> Metrics:
    """The worker's metrics."""
    return request.app.state.metrics


ServiceDep = Annotated[PredictionService, Depends(get_service)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
