"""Hot keys: a few houses are asked for far more often than the rest, as real traffic is skewed.

Each request prices one house from a fixed catalogue of HOUSES houses, picked with Zipf popularity: the
k-th most popular house is asked for in proportion to 1 / k^ZIPF_S. That skew is what makes a cache
pay: with the model API's `--cache` on, the popular houses are answered from memory, and the hit ratio
depends on how many entries the cache keeps (`--cache-size`) against how skewed the traffic is.

    python -m labs.model_api --port 8001 --cpu-ms 10 --cache --cache-size 200
    locust -f locust_scenarios/hot_keys.py --host http://127.0.0.1:8001 --headless -u 30 -r 10 -t 30s

Compare the API's CPU and the P99 with `--no-cache`, and read the hit ratio from the API's /metrics
(`model_api_cache_hits_total` over hits plus misses).

Environment: HOUSES (catalogue size, default 2000), ZIPF_S (skew, default 1.0; 0 means uniform), SEED
(the catalogue's seed, default 7), WAIT_MIN, WAIT_MAX (seconds between a user's requests, default 0.1
and 0.3).
"""

import bisect
import itertools
import random

from common import LOCATIONS, check_prediction, env_number, wait_bounds
from locust import FastHttpUser, between, task

HOUSES = env_number("HOUSES", 2000, int, minimum=1)
ZIPF_S = env_number("ZIPF_S", 1.0)
SEED = env_number("SEED", 7, int)


def catalogue(size, seed):
    """`size` distinct houses in the tutorial's ranges, always the same for a seed."""
    rng = random.Random(seed)
    seen, houses = set(), []
    while len(houses) < size:
        key = (rng.randint(500, 3000), rng.randint(1, 5), rng.choice(LOCATIONS))
        if key not in seen:
            seen.add(key)
            houses.append({"sqft": key[0], "bedrooms": key[1], "location": key[2]})
    return houses


CATALOGUE = catalogue(HOUSES, SEED)
CUMULATIVE = list(itertools.accumulate(1 / (rank**ZIPF_S) for rank in range(1, HOUSES + 1)))


def popular_house():
    """A house from the catalogue, the popular ones far more often (inverse-CDF sampling)."""
    return CATALOGUE[bisect.bisect_left(CUMULATIVE, random.random() * CUMULATIVE[-1])]


class HotKeysUser(FastHttpUser):
    host = "http://127.0.0.1:8001"
    wait_time = between(*wait_bounds(0.1, 0.3))

    @task
    def predict(self):
        with self.client.post("/predict", json=popular_house(), catch_response=True) as response:
            check_prediction(response)
