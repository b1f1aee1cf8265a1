"""Injected latency with a known distribution.

A lognormal delay is fixed by its median M and its 99th percentile P: ln(delay) is normal with
mu = ln M and sigma = (ln P - ln M) / z_0.99, where z_0.99 = 2.3263478740408408 is the standard normal
99th percentile. A lab that sets M and P therefore knows the true distribution of what it measures.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from statistics import NormalDist

Z_99 = 2.3263478740408408
"""The 99th percentile of the standard normal distribution."""


@dataclass(frozen=True)
class LognormalDelay:
    """A lognormal delay in milliseconds with exactly the given median and P99 (P99 == median: constant)."""

    median_ms: float
    p99_ms: float

    def __post_init__(self) -> None:
        if not (self.median_ms > 0 and math.isfinite(self.median_ms)):
            raise ValueError(f"median must be a positive finite number of ms, got {self.median_ms}")
        if not (self.p99_ms >= self.median_ms and math.isfinite(self.p99_ms)):
            raise ValueError(f"p99 ({self.p99_ms}) must be finite and >= the median ({self.median_ms})")

    @property
    def mu(self) -> float:
        """Mean of ln(delay in ms)."""
        return math.log(self.median_ms)

    @property
    def sigma(self) -> float:
        """Standard deviation of ln(delay in ms)."""
        return (math.log(self.p99_ms) - math.log(self.median_ms)) / Z_99

    @property
    def mean_ms(self) -> float:
        """The distribution's mean, exp(mu + sigma^2 / 2): above the median, as lognormals are skewed."""
        return math.exp(self.mu + self.sigma**2 / 2)

    def quantile_ms(self, q: float) -> float:
        """The exact q-quantile (0 < q < 1) of the delay, in ms."""
        if self.sigma == 0:
            return self.median_ms
        return math.exp(self.mu + self.sigma * NormalDist().inv_cdf(q))

    def sample_ms(self, rng: random.Random) -> float:
        """One delay in ms drawn with `rng`."""
        if self.sigma == 0:
            return self.median_ms
        return rng.lognormvariate(self.mu, self.sigma)

    def sample_seconds(self, rng: random.Random) -> float:
        """One delay in seconds drawn with `rng`, ready for a sleep."""
        return self.sample_ms(rng) / 1000.0
