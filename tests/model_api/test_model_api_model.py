"""The price model, the CPU burner and the cache, without a server."""

from __future__ import annotations

import time

import numpy as np
import pytest

from labs.model_api.cache import LRUCache
from labs.model_api.model import (
    BEDROOM_PREMIUM,
    LOCATIONS,
    MARKETS,
    SQFT_MAX,
    SQFT_MIN,
    design_matrix,
    fit,
    generate_training_set,
)
from labs.model_api.work import CpuBurner


@pytest.fixture(scope="module")
def model():
    return fit()


def test_fit_is_deterministic(model):
    """Two fits on the generated data give the same coefficients and version."""
    again = fit()
    assert np.array_equal(model.intercept, again.intercept)
    assert model.version == again.version


def test_least_squares_recovers_the_market_prices(model):
    """The fit explains the data and finds each market's price per sqft within 5%."""
    assert model.r2 > 0.9
    for i, location in enumerate(LOCATIONS):
        assert model.per_sqft[i] == pytest.approx(MARKETS[location][1], rel=0.05)
    assert model.per_bedroom == pytest.approx(BEDROOM_PREMIUM, rel=0.25)


def test_coefficients_solve_the_normal_equations(model):
    """The per-location coefficients are the least-squares solution of the design matrix."""
    data = generate_training_set()
    x = design_matrix(data.sqft, data.bedrooms, data.location)
    coef = np.concatenate([model.intercept, model.per_sqft, [model.per_bedroom]])
    gradient = x.T @ (x @ coef - data.price)
    assert np.abs(gradient).max() / np.abs(x.T @ data.price).max() < 1e-9


def test_one_house_and_a_batch_agree_with_the_matrix_form(model):
    """predict(), predict_batch() and design_matrix @ coefficients give the same prices."""
    rng = np.random.default_rng(3)
    sqft = rng.uniform(SQFT_MIN, SQFT_MAX, 200)
    bedrooms = rng.integers(0, 10, 200).astype(float)
    location = rng.integers(0, len(LOCATIONS), 200)
    coef = np.concatenate([model.intercept, model.per_sqft, [model.per_bedroom]])
    expected = design_matrix(sqft, bedrooms, location) @ coef
    batch = model.predict_batch(sqft, bedrooms, location)
    single = [
        model.predict(s, int(b), LOCATIONS[loc]) for s, b, loc in zip(sqft, bedrooms, location, strict=True)
    ]
    np.testing.assert_allclose(batch, expected, rtol=1e-12)
    np.testing.assert_allclose(single, expected, rtol=1e-12)


def test_prices_are_plausible_everywhere_in_range(model):
    """Every valid house has a positive price; the tutorial's NY house costs around a million dollars."""
    for location in LOCATIONS:
        for sqft in (SQFT_MIN, 1500, SQFT_MAX):
            for bedrooms in (0, 3, 20):
                assert model.predict(sqft, bedrooms, location) > 0
    assert 700_000 < model.predict(1500, 3, "NY") < 1_600_000
    assert model.predict(1500, 3, "SF") > model.predict(1500, 3, "NY") > model.predict(1500, 3, "CHI")


def test_cpu_burner_consumes_the_requested_thread_cpu_time(model):
    """burn(20) uses 20 ms of this thread's CPU time (a little more, never less)."""
    burner = CpuBurner(model)
    start = time.thread_time_ns()
    used = burner.burn(20)
    measured = time.thread_time_ns() - start
    assert 20_000_000 <= used <= 25_000_000
    assert measured == pytest.approx(used, rel=0.1)
    assert burner.checksum > 0


def test_lru_cache_evicts_the_least_recently_used_and_counts():
    """Reading an entry keeps it; the oldest untouched one is evicted; hits and misses are counted."""
    cache = LRUCache(2)
    cache.put("a", 1.0)
    cache.put("b", 2.0)
    assert cache.get("a") == 1.0
    cache.put("c", 3.0)
    assert cache.get("b") is None
    assert cache.get("a") == 1.0 and cache.get("c") == 3.0
    assert (cache.hits, cache.misses, len(cache)) == (3, 1, 2)
