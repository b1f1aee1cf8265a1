"""GET /healthz: the cheapest answer this stack can give, the baseline the benchmark compares with."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from labs.model_api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut)
async def healthz(request: Request) -> Response:
    """200 once the model is fitted and the worker serves requests.

    The answer never changes for a worker, so it is rendered once, when the app starts.
    """
    return Response(request.app.state.health_body, media_type="application/json")
