"""A deliberately heavy load generator for the analysis's truth tests: Locust's slower HttpUser (requests),
no think time, and extra client-side work per request, in steps (STEP_USERS, STEP_SECONDS, MAX_USERS).

Against a fast API with two workers the Locust process runs out of CPU long before the API does: the run
measures the load generator, and the analysis must say so (bottleneck "generator").
"""

import json
import math
import os
import random

from locust import HttpUser, LoadTestShape, constant, task

STEP_USERS = int(os.environ.get("STEP_USERS", "10"))
STEP_SECONDS = float(os.environ.get("STEP_SECONDS", "4"))
MAX_USERS = int(os.environ.get("MAX_USERS", "40"))


class HeavyUser(HttpUser):
    wait_time = constant(0)

    @task
    def predict(self):
        house = {"sqft": random.randint(500, 3000), "bedrooms": random.randint(1, 5), "location": "NY"}
        with self.client.post("/predict", json=house, catch_response=True) as response:
            # Client-side work per answer (parsing and checking it many times over): the generator's CPU.
            for _ in range(40):
                json.loads(response.text)
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")


class StepShape(LoadTestShape):
    steps = math.ceil(MAX_USERS / STEP_USERS)

    def tick(self):
        run_time = self.get_run_time()
        if run_time >= self.steps * STEP_SECONDS:
            return None
        return min(MAX_USERS, (int(run_time // STEP_SECONDS) + 1) * STEP_USERS), STEP_USERS * 4
