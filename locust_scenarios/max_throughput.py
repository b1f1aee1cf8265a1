"""Maximum throughput: users that send the next request the moment the previous one returns.

No think time, so each user keeps exactly one request in flight: this is a closed loop, and the RPS it
reaches is the server's capacity for that many concurrent users (or the load generator's, if Locust runs
out of CPU first: watch its CPU warning). FastHttpUser is Locust's faster HTTP client, needed to push a
fast API hard.

    python -m labs.model_api --port 8001
    locust -f locust_scenarios/max_throughput.py --host http://127.0.0.1:8001 --headless -u 32 -r 32 -t 20s

In the web UI (:8089), watch "Total Requests per Second" level off while "Response Times" keep rising
as users are added: past that knee, more users only queue.

Environment: LOCATION (default: a random market per request).
"""

import os

from common import check_prediction, house
from locust import FastHttpUser, constant, task


class MaxThroughputUser(FastHttpUser):
    host = "http://127.0.0.1:8001"
    wait_time = constant(0)
    location = os.environ.get("LOCATION") or None

    @task
    def predict(self):
        with self.client.post("/predict", json=house(self.location), catch_response=True) as response:
            check_prediction(response)
