"""Step load: add users in steps until the service breaks, to find its breaking point.

Every STEP_SECONDS another STEP_USERS users join, up to MAX_USERS; each level is held for STEP_SECONDS
(the last one too), then the test stops by itself. Holding each step lets latency settle, so each
plateau in the charts is one measurement of "this many users -> this RPS and this P99".

    python -m labs.model_api --port 8001 --cpu-ms 10
    STEP_USERS=10 STEP_SECONDS=20 MAX_USERS=100 \
        locust -f locust_scenarios/step_load.py --host http://127.0.0.1:8001 --headless

The breaking point is the step where RPS stops growing with users while the P99 (and then failures)
shoot up: in the web UI (:8089), "Total Requests per Second" flattens while "Response Times" climbs.
-u, -r and -t are ignored: the shape below decides.

Environment: STEP_USERS (default 10), STEP_SECONDS (30), MAX_USERS (100), SPAWN_RATE (users started per
second within a step, default STEP_USERS), WAIT_MIN, WAIT_MAX (seconds between a user's requests,
default 0.5 and 1.5), ENDPOINT (/predict, /work/cpu or /work/io; default /predict).
"""

import math

from common import PREDICT_ENDPOINTS, check_prediction, env_choice, env_number, house, wait_bounds
from locust import FastHttpUser, LoadTestShape, between, task

STEP_USERS = env_number("STEP_USERS", 10, int, minimum=1)
STEP_SECONDS = env_number("STEP_SECONDS", 30.0, minimum=0.1)
MAX_USERS = env_number("MAX_USERS", 100, int, minimum=1)
SPAWN_RATE = env_number("SPAWN_RATE", float(STEP_USERS), minimum=0.1)
ENDPOINT = env_choice("ENDPOINT", "/predict", PREDICT_ENDPOINTS)


class StepUser(FastHttpUser):
    host = "http://127.0.0.1:8001"
    wait_time = between(*wait_bounds(0.5, 1.5))

    @task
    def predict(self):
        with self.client.post(ENDPOINT, json=house(), catch_response=True) as response:
            check_prediction(response)


class StepLoadShape(LoadTestShape):
    """STEP_USERS more users every STEP_SECONDS up to MAX_USERS, each level held STEP_SECONDS."""

    steps = math.ceil(MAX_USERS / STEP_USERS)

    def tick(self):
        run_time = self.get_run_time()
        if run_time >= self.steps * STEP_SECONDS:
            return None
        step = int(run_time // STEP_SECONDS) + 1
        return min(MAX_USERS, step * STEP_USERS), SPAWN_RATE
