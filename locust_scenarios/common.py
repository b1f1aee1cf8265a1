"""Helpers shared by the lab scenarios (predict.py stands alone and does not use them).

Locust puts a locustfile's folder on the import path, so the scenarios import this as `common`. It
imports nothing from the site: only the standard library.
"""

import math
import os
import random

LOCATIONS = ("AUS", "BOS", "CHI", "LA", "MIA", "NY", "SEA", "SF")
PREDICT_ENDPOINTS = ("/predict", "/work/cpu", "/work/io")


def house(location=None):
    """A random house in the tutorial's ranges; in `location`, or in a random market when None."""
    return {
        "sqft": random.randint(500, 3000),
        "bedrooms": random.randint(1, 5),
        "location": location or random.choice(LOCATIONS),
    }


def check_prediction(response):
    """Mark a `catch_response=True` response: success only for a 200 with a positive numeric price."""
    if response.status_code != 200:
        reason = getattr(response, "error", None) if response.status_code == 0 else None
        response.failure(f"HTTP {response.status_code}: {reason or (response.text or '')[:200]}")
        return
    try:
        body = response.json()
    except ValueError:
        response.failure(f"not JSON: {(response.text or '')[:200]}")
        return
    price = body.get("price") if isinstance(body, dict) else None
    if isinstance(price, bool) or not isinstance(price, (int, float)) or not math.isfinite(price):
        response.failure(f"no numeric price in {(response.text or '')[:200]}")
    elif price <= 0:
        response.failure(f"price is not positive: {price}")
    else:
        response.success()


def env_number(name, default, kind=float, minimum=0):
    """The environment variable `name` as a number >= `minimum`, or `default`; a clear error otherwise."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(
            f"{name} must be {'an integer' if kind is int else 'a number'}, got {raw!r}"
        ) from None
    if not math.isfinite(value) or value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {raw!r}")
    return value


def env_choice(name, default, choices):
    """The environment variable `name`, which must be one of `choices`, or `default`."""
    value = os.environ.get(name, "").strip() or default
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def wait_bounds(default_min, default_max):
    """(WAIT_MIN, WAIT_MAX) seconds between a user's requests, from the environment or the defaults."""
    low = env_number("WAIT_MIN", default_min)
    high = env_number("WAIT_MAX", max(default_max, low))
    if high < low:
        raise ValueError(f"WAIT_MAX ({high}) must be >= WAIT_MIN ({low})")
    return low, high
