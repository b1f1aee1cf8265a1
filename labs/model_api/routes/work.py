"""POST /work/cpu and POST /work/io: the CPU-bound and the I/O-bound halves of /predict.

Both take and return exactly what /predict does. /work/cpu performs the `--cpu-ms` work but skips the
`--io-ms` wait; /work/io performs the wait but skips the CPU work. Everything else (delay, cache, errors,
shedding, blocking) applies as on /predict. One server started with `--cpu-ms 20 --io-ms 50` therefore
serves a CPU-bound endpoint and an I/O-bound endpoint at once, for the CPU vs I/O lesson.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from labs.model_api.routes.predict import ERROR_RESPONSES, REQUEST_BODY, answer
from labs.model_api.schemas import PredictOut
from labs.model_api.service import Work

router = APIRouter(prefix="/work", tags=["work"])


@router.post("/cpu", response_model=PredictOut, responses=ERROR_RESPONSES, openapi_extra=REQUEST_BODY)
async def work_cpu(request: Request) -> Response:
    """/predict doing only the CPU work (`--cpu-ms`), no I/O wait."""
    return await answer(request, Work.CPU)


@router.post("/io", response_model=PredictOut, responses=ERROR_RESPONSES, openapi_extra=REQUEST_BODY)
async def work_io(request: Request) -> Response:
    """/predict doing only the I/O wait (`--io-ms`), no CPU work."""
    return await answer(request, Work.IO)
