"""Real CPU work of a known size, measured in CPU time rather than wall time.

`burn_cpu(ms)` scores batches of synthetic houses with the fitted model (vectorised numpy, single
threaded: no BLAS call) until the calling thread has consumed `ms` milliseconds of CPU time by
`time.thread_time_ns`. On a busy machine the wall time stretches, the CPU cost stays exact, which is what a
CPU-bound lesson measures.
"""

from __future__ import annotations

import time

import numpy as np

from labs.model_api.model import LOCATIONS, PriceModel

_BATCH = 512  # houses per step: ~10-20 us of work between two clock reads


class CpuBurner:
    """Spends an exact amount of thread CPU time on model scoring."""

    def __init__(self, model: PriceModel, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self._model = model
        self._sqft = rng.uniform(500.0, 3000.0, _BATCH)
        self._bedrooms = rng.integers(1, 6, _BATCH).astype(np.float64)
        self._location = rng.integers(0, len(LOCATIONS), _BATCH)
        self.checksum = 0.0

    def burn(self, ms: float) -> int:
        """Consume `ms` milliseconds of this thread's CPU time; return the nanoseconds actually used."""
        start = time.thread_time_ns()
        deadline = start + int(ms * 1_000_000)
        now = start
        total = 0.0
        while now < deadline:
            total += float(self._model.predict_batch(self._sqft, self._bedrooms, self._location).sum())
            now = time.thread_time_ns()
        self.checksum = total  # keeps the work observable
        return now - start
