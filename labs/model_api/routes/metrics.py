"""GET /metrics (Prometheus text) and GET /metrics/summary (JSON percentiles), across all workers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from labs.model_api.metrics import PROMETHEUS_CONTENT_TYPE
from labs.model_api.routes.deps import MetricsDep

router = APIRouter(prefix="/metrics", tags=["metrics"])


@router.get("", response_class=Response, responses={200: {"content": {PROMETHEUS_CONTENT_TYPE: {}}}})
async def prometheus_metrics(metrics: MetricsDep) -> Response:
    """Prometheus text format: requests by endpoint and status, latency histogram, in flight, cache, ..."""
    return Response(metrics.render(), media_type=PROMETHEUS_CONTENT_TYPE)


@router.get("/summary")
async def metrics_summary(metrics: MetricsDep) -> dict[str, Any]:
    """Server-side latency percentiles (within 0.5%) per endpoint, counts and per-worker CPU, as JSON."""
    return metrics.summary()
