"""The injected latency: a lognormal with exactly the requested median and P99."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from labs.model_api.delays import Z_99, LognormalDelay


@pytest.mark.parametrize(("median", "p99"), [(40.0, 200.0), (5.0, 12.0), (250.0, 2500.0)])
def test_seeded_draws_have_the_requested_median_and_p99(median, p99):
    """Over 100,000 seeded draws, the sample median and P99 are within 2% of the requested values."""
    delay = LognormalDelay(median, p99)
    rng = random.Random(12345)
    draws = np.array([delay.sample_ms(rng) for _ in range(100_000)])
    assert np.median(draws) == pytest.approx(median, rel=0.02)
    assert np.percentile(draws, 99) == pytest.approx(p99, rel=0.02)


def test_parameters_follow_from_median_and_p99():
    """mu = ln M and sigma = (ln P - ln M) / z99; the exact quantiles give M and P back."""
    delay = LognormalDelay(40, 200)
    assert delay.mu == pytest.approx(math.log(40))
    assert delay.sigma == pytest.approx((math.log(200) - math.log(40)) / 2.3263478740408408)
    assert Z_99 == 2.3263478740408408
    assert delay.quantile_ms(0.5) == pytest.approx(40)
    assert delay.quantile_ms(0.99) == pytest.approx(200)
    assert delay.mean_ms > delay.median_ms  # skewed to the right


def test_same_seed_same_delays():
    """Draws are a pure function of the seed: a lab can reproduce them."""
    delay = LognormalDelay(40, 200)
    first = [delay.sample_ms(random.Random("0:0:delay")) for _ in range(3)]
    again = [delay.sample_ms(random.Random("0:0:delay")) for _ in range(3)]
    assert first == again
    rng = random.Random(1)
    assert len({delay.sample_ms(rng) for _ in range(100)}) == 100


def test_equal_median_and_p99_is_a_constant_delay():
    """P99 == median means sigma 0: every draw is the median."""
    delay = LognormalDelay(25, 25)
    rng = random.Random(0)
    assert {delay.sample_ms(rng) for _ in range(50)} == {25}
    assert delay.sample_seconds(rng) == 0.025


@pytest.mark.parametrize(("median", "p99"), [(0, 10), (-1, 10), (50, 10), (10, math.inf)])
def test_impossible_distributions_are_refused(median, p99):
    with pytest.raises(ValueError):
        LognormalDelay(median, p99)
