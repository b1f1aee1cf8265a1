"""The FastAPI application: `create_app(config)` builds one worker's app.

uvicorn imports `labs.model_api.app:app_from_env` as a factory in every worker process, so each worker
builds its app from the `MODEL_API_*` environment that `python -m labs.model_api` exported.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from labs.model_api.config import Config
from labs.model_api.llm import api as llm_api
from labs.model_api.metrics import Metrics, MetricsMiddleware, claim_worker_index, multiproc_dir
from labs.model_api.model import LOCATIONS, fit
from labs.model_api.record import Recorder, RecordMiddleware, note_error
from labs.model_api.routes import health, info, login, metrics, predict, work
from labs.model_api.routes.login import Unauthorized
from labs.model_api.schemas import HealthOut
from labs.model_api.service import InjectedError, Overloaded, PredictionService


def create_app(config: Config | None = None) -> FastAPI:
    """A model API app for this process; the model is fitted when the app starts (its lifespan)."""
    config = Config() if config is None else config
    directory = multiproc_dir()
    worker = claim_worker_index(directory)
    worker_metrics = Metrics(directory, worker)
    recorder = Recorder(config.record) if config.record else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service = PredictionService(config, fit(), worker_metrics, worker)
        app.state.health_body = HealthOut(worker=worker, pid=os.getpid()).model_dump_json().encode()
        monitor = asyncio.create_task(worker_metrics.monitor())
        stop_sampler = worker_metrics.start_sampler()
        try:
            yield
        finally:
            stop_sampler()
            monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await monitor
            await llm_api.shutdown(app)
            worker_metrics.close()
            if recorder is not None:
                recorder.close()

    app = FastAPI(
        title="Breaking Point model API",
        summary="A house-price model (numpy least squares) with knobs that shape its behaviour "
        "for load tests.",
        version="1",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI loads from a CDN; the schema stays at /openapi.json
        redoc_url=None,
        # No OpenTelemetry: otherwise every request checks for configured providers.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.config = config
    app.state.metrics = worker_metrics
    for module in (predict, work, health, metrics, info, login):
        app.include_router(module.router)
    llm_api.install(app, config, worker_metrics.registry)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Overloaded, _overloaded)
    app.add_exception_handler(InjectedError, _injected_error)
    app.add_exception_handler(Unauthorized, _unauthorized)
    app.add_middleware(MetricsMiddleware, metrics=worker_metrics)
    if recorder is not None:
        app.add_middleware(RecordMiddleware, recorder=recorder)
    return app


def app_from_env() -> FastAPI:
    """The uvicorn factory: an app configured by the `MODEL_API_*` environment variables."""
    return create_app(Config.from_env())


def _describe(error: dict[str, Any]) -> dict[str, Any]:
    loc = tuple(error.get("loc", ()))
    path = (
        [str(part) for part in loc[1:] if isinstance(part, str)]
        if loc[:1] == ("body",)
        else list(map(str, loc))
    )
    field = ".".join(path) or "body"
    message = error.get("msg", "invalid")
    kind = error.get("type", "invalid")
    if field == "location" and kind == "literal_error":
        message = f"unknown location {error.get('input')!r}; valid locations: {', '.join(LOCATIONS)}"
    elif kind == "json_invalid":
        message = f"malformed JSON: {error.get('ctx', {}).get('error', 'cannot be parsed')}"
    elif kind == "missing" and field == "body":
        message = 'a JSON body is required, e.g. {"sqft": 1500, "bedrooms": 3, "location": "NY"}'
    elif kind in ("model_type", "model_attributes_type"):
        message = 'the body must be a JSON object, e.g. {"sqft": 1500, "bedrooms": 3, "location": "NY"}'
    return {"field": field, "msg": message, "type": kind, "loc": list(loc)}


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [_describe(error) for error in exc.errors()]
    message = "; ".join(f"{e['field']}: {e['msg']}" for e in errors)
    note_error(request.scope, message, body_invalid=True)
    return JSONResponse({"detail": errors, "message": message}, status_code=422)


async def _overloaded(request: Request, exc: Exception) -> JSONResponse:
    note_error(request.scope, str(exc))
    return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "1"})


async def _injected_error(request: Request, exc: Exception) -> JSONResponse:
    note_error(request.scope, str(exc))
    return JSONResponse({"detail": str(exc)}, status_code=500)


async def _unauthorized(request: Request, exc: Exception) -> JSONResponse:
    note_error(request.scope, str(exc))
    return JSONResponse({"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
