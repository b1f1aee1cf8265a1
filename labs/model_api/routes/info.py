"""GET /config and GET /: what this server is and how it is configured."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import APIRouter

from labs.model_api.routes.deps import ServiceDep

router = APIRouter(tags=["info"])

ENDPOINT_INDEX = {
    "POST /predict": "price one house: {'sqft': 1500, 'bedrooms': 3, 'location': 'NY'}",
    "POST /work/cpu": "same as /predict, CPU work only (--cpu-ms)",
    "POST /work/io": "same as /predict, I/O wait only (--io-ms)",
    "POST /login": "{'username': 'ada', 'password': 'locust'} -> {'token': ...} for 'Authorization: Bearer'",
    "POST /v1/completions": "OpenAI-style completion, streaming or not: {'prompt': '...', 'max_tokens': 16}",
    "POST /v1/chat/completions": "OpenAI-style chat completion: {'messages': [{'role': 'user', 'content': '...'}]}",
    "GET /v1/models": "the one model served",
    "GET /healthz": "liveness",
    "GET /config": "effective knobs, model and versions",
    "GET /metrics": "Prometheus text format, all workers",
    "GET /metrics/summary": "JSON latency percentiles, all workers",
}


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("fastapi", "uvicorn", "numpy", "pydantic", "prometheus-client"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "unknown"
    return found


@router.get("/")
async def index() -> dict[str, Any]:
    """The endpoints this API serves."""
    return {"service": "Breaking Point model API", "endpoints": ENDPOINT_INDEX}


@router.get("/config")
async def config(service: ServiceDep) -> dict[str, Any]:
    """The effective knobs, the answering worker, the fitted model and package versions."""
    return {
        "config": service.config.to_dict(),
        "worker": service.worker,
        "pid": service.pid,
        "metrics_mode": "multiprocess" if service.metrics.directory else "single-process",
        "model": service.model.to_dict(),
        "versions": _versions(),
    }
