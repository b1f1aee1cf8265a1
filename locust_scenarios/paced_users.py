"""Closed loop at a target rate: each user sends one request every USERS / RATE seconds, after its answer.

`constant_pacing` starts a user's task at most once per interval. While the answers are quick this looks
exactly like an open loop at RATE requests per second. When the server stalls, it does not: a user that
is still waiting cannot send its next request, and when the answer comes it does not send the ones it
missed. The requests that would have waited the longest are never sent, so never measured: this is
coordinated omission, the way wrk (not wrk2) and most closed-loop tools under-report the tail. Compare
with constant_arrival.py at the same RATE against a stalling server.

    python -m labs.model_api --port 8001 --delay-median-ms 5 --delay-p99-ms 100 --blocking
    RATE=40 locust -f locust_scenarios/paced_users.py --host http://127.0.0.1:8001 --headless -u 4 -r 4 -t 30s

Environment: RATE (requests per second for all users together, default 40), USERS (the -u you pass, to
split RATE between them; default 4), ENDPOINT (/predict, /work/cpu or /work/io; default /predict).
"""

from common import PREDICT_ENDPOINTS, check_prediction, env_choice, env_number, house
from locust import FastHttpUser, constant_pacing, task

RATE = env_number("RATE", 40.0, minimum=0.001)
USERS = env_number("USERS", 4, int, minimum=1)
ENDPOINT = env_choice("ENDPOINT", "/predict", PREDICT_ENDPOINTS)


class PacedUser(FastHttpUser):
    host = "http://127.0.0.1:8001"
    wait_time = constant_pacing(USERS / RATE)

    @task
    def predict(self):
        with self.client.post(ENDPOINT, json=house(), catch_response=True) as response:
            check_prediction(response)
