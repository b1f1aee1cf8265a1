"""Spike: a steady baseline, a sudden crowd, then back to the baseline.

Does the service survive a burst, and does it recover once the burst is gone? A queue that keeps
growing during the spike shows up as latency that stays high well into the recovery phase.

    python -m labs.model_api --port 8001 --cpu-ms 10 --max-concurrency 20
    BASELINE_USERS=10 SPIKE_USERS=100 locust -f locust_scenarios/spike.py \
        --host http://127.0.0.1:8001 --headless

In the web UI (:8089): the user count jumps, then watch how quickly "Response Times" return to their
baseline after it drops, and whether failures (503s from shedding, timeouts) appear only during the
spike. -u, -r and -t are ignored: the shape below decides.

Environment: BASELINE_USERS (default 10), SPIKE_USERS (100), BASELINE_SECONDS (30), SPIKE_SECONDS (20),
RECOVERY_SECONDS (30), SPIKE_SPAWN_RATE (users started per second for the spike, default SPIKE_USERS,
i.e. all within a second), WAIT_MIN, WAIT_MAX (default 0.5 and 1.5 seconds between requests).
"""

from common import check_prediction, env_number, house, wait_bounds
from locust import FastHttpUser, LoadTestShape, between, task

BASELINE_USERS = env_number("BASELINE_USERS", 10, int, minimum=1)
SPIKE_USERS = env_number("SPIKE_USERS", 100, int, minimum=1)
BASELINE_SECONDS = env_number("BASELINE_SECONDS", 30.0)
SPIKE_SECONDS = env_number("SPIKE_SECONDS", 20.0, minimum=0.1)
RECOVERY_SECONDS = env_number("RECOVERY_SECONDS", 30.0)
SPIKE_SPAWN_RATE = env_number("SPIKE_SPAWN_RATE", float(SPIKE_USERS), minimum=0.1)


class SpikeUser(FastHttpUser):
    host = "http://127.0.0.1:8001"
    wait_time = between(*wait_bounds(0.5, 1.5))

    @task
    def predict(self):
        with self.client.post("/predict", json=house(), catch_response=True) as response:
            check_prediction(response)


class SpikeShape(LoadTestShape):
    """Baseline, spike, recovery at the baseline again, then stop."""

    def tick(self):
        run_time = self.get_run_time()
        if run_time < BASELINE_SECONDS:
            return BASELINE_USERS, BASELINE_USERS
        if run_time < BASELINE_SECONDS + SPIKE_SECONDS:
            return SPIKE_USERS, SPIKE_SPAWN_RATE
        if run_time < BASELINE_SECONDS + SPIKE_SECONDS + RECOVERY_SECONDS:
            return BASELINE_USERS, SPIKE_SPAWN_RATE
        return None
