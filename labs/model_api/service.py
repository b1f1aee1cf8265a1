"""What one prediction costs and returns, shaped by the knobs.

Per request, in this order:

1. Shedding: with `--max-concurrency K`, a request arriving while K are already in flight in this worker
   is refused at once (`Overloaded`, answered 503).
2. Delay: with `--delay-median-ms`, a lognormal delay drawn from this worker's seeded stream.
3. Cache: with `--cache`, identical inputs seen before are answered from an LRU cache, skipping step 4.
4. Work: `--cpu-ms` of real CPU work, then an `--io-ms` downstream wait, then the model's prediction.
   `Work.CPU` (POST /work/cpu) skips the I/O wait, `Work.IO` (POST /work/io) skips the CPU work, so one
   server configured with both knobs serves a CPU-bound and an I/O-bound endpoint side by side.
5. Errors: with `--error-rate R`, a fraction R of requests (drawn from a second seeded stream) end in
   `InjectedError`, answered 500, after having taken their normal time.
6. Bad answers: with `--bad-answer-every N`, every Nth prediction this worker answers (counting only
   those that got past steps 1 and 5) is wrong on purpose: a 200 whose price is negative. With one worker
   a run of P answered predictions holds exactly floor(P / N) bad ones; a load test that checks its
   answers (`catch_response`) can find each of them.

With `--blocking`, the delay and the I/O wait use `time.sleep`, which blocks the worker's event loop:
concurrent requests then queue behind each other, which is the lesson.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import dataclass
from enum import StrEnum

from labs.model_api.cache import LRUCache
from labs.model_api.config import Config
from labs.model_api.delays import LognormalDelay
from labs.model_api.metrics import Metrics
from labs.model_api.model import PriceModel
from labs.model_api.work import CpuBurner


class Work(StrEnum):
    """Which of the configured work a request performs."""

    ALL = "all"  # POST /predict: CPU work and I/O wait
    CPU = "cpu"  # POST /work/cpu: CPU work only
    IO = "io"  # POST /work/io: I/O wait only


class Overloaded(Exception):
    """Refused by the concurrency limit."""

    def __init__(self, in_flight: int, limit: int) -> None:
        self.in_flight = in_flight
        self.limit = limit
        super().__init__(
            f"overloaded: {in_flight} requests already in flight in this worker (--max-concurrency {limit})"
        )


class InjectedError(Exception):
    """A deliberate failure drawn by the error-rate knob."""

    def __init__(self, rate: float) -> None:
        super().__init__(f"injected error (--error-rate {rate:g})")


@dataclass(frozen=True, slots=True)
class Prediction:
    """A price in USD, whether it came from the cache, and whether it is wrong on purpose."""

    price: float
    cached: bool
    bad: bool = False


class PredictionService:
    """One worker's prediction path: the fitted model plus the knobs of `config`."""

    def __init__(self, config: Config, model: PriceModel, metrics: Metrics, worker: int) -> None:
        self.config = config
        self.model = model
        self.metrics = metrics
        self.worker = worker
        self.pid = os.getpid()
        self.in_flight = 0
        self._limit = config.max_concurrency
        self._delay = (
            LognormalDelay(config.delay_median_ms, config.effective_delay_p99_ms)
            if config.delay_median_ms > 0
            else None
        )
        self._delay_rng = random.Random(f"{config.seed}:{worker}:delay")
        self._error_rng = random.Random(f"{config.seed}:{worker}:errors")
        self._error_rate = config.error_rate
        self._cache = LRUCache(config.cache_size) if config.cache else None
        self._cpu_ms = config.cpu_ms
        self._io_s = config.io_ms / 1000.0
        self._burner = CpuBurner(model, seed=config.seed) if config.cpu_ms > 0 else None
        self._blocking = config.blocking
        self._bad_every = config.bad_answer_every
        self.answered = 0  # predictions answered with a 200 by this worker
        self.bad_answers = 0

    async def predict(self, sqft: float, bedrooms: int, location: str, work: Work = Work.ALL) -> Prediction:
        """Price one house, applying every configured knob (see the module docstring for the order)."""
        if self._limit and self.in_flight >= self._limit:
            self.metrics.shed()
            raise Overloaded(self.in_flight, self._limit)
        self.in_flight += 1
        try:
            if self._delay is not None:
                await self._wait(self._delay.sample_seconds(self._delay_rng))
            prediction = await self._price(sqft, bedrooms, location, work)
            if self._error_rate and self._error_rng.random() < self._error_rate:
                self.metrics.injected_error()
                raise InjectedError(self._error_rate)
            self.answered += 1
            if self._bad_every and self.answered % self._bad_every == 0:
                self.bad_answers += 1
                return Prediction(-abs(prediction.price) or -1.0, prediction.cached, bad=True)
            return prediction
        finally:
            self.in_flight -= 1

    async def _price(self, sqft: float, bedrooms: int, location: str, work: Work) -> Prediction:
        cache = self._cache
        if cache is not None:
            key = (sqft, bedrooms, location)
            price = cache.get(key)
            if price is not None:
                self.metrics.cache_hit()
                return Prediction(price, cached=True)
            self.metrics.cache_miss()
        if self._burner is not None and work is not Work.IO:
            self.metrics.cpu_worked(self._burner.burn(self._cpu_ms))
        if self._io_s and work is not Work.CPU:
            await self._wait(self._io_s)
        price = round(self.model.predict(sqft, bedrooms, location), 2)
        if cache is not None:
            cache.put(key, price)
        return Prediction(price, cached=False)

    async def _wait(self, seconds: float) -> None:
        if self._blocking:
            time.sleep(seconds)  # noqa: ASYNC251 -- deliberately blocks the event loop: the --blocking lesson
        else:
            await asyncio.sleep(seconds)
