"""The tutorial's locustfile: a user who asks for a house price every 1-2 seconds.

Start the model API, then Locust, then open the web UI at http://localhost:8089:

    python -m labs.model_api --port 8001
    locust -f locust_scenarios/predict.py --host http://127.0.0.1:8001

or without the UI, for 30 seconds with 50 users spawned 10 per second:

    locust -f locust_scenarios/predict.py --host http://127.0.0.1:8001 --headless -u 50 -r 10 -t 30s

The file stands alone (nothing to import but Locust) so it can be copied anywhere. Each response is
checked: a 200 with a positive numeric price is a success, anything else a failure with its reason.
"""

import math
import random

from locust import HttpUser, between, task


class MLUser(HttpUser):
    host = "http://127.0.0.1:8001"  # the default; --host or the web UI overrides it
    wait_time = between(1, 2)  # each user waits 1-2 s between requests

    @task
    def predict_home(self):
        payload = {
            "sqft": random.randint(500, 3000),
            "bedrooms": random.randint(1, 5),
            "location": "NY",
        }
        with self.client.post("/predict", json=payload, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
                return
            try:
                price = response.json().get("price")
            except (ValueError, AttributeError):
                response.failure(f"not a JSON object: {response.text[:200]}")
                return
            if isinstance(price, bool) or not isinstance(price, (int, float)) or not math.isfinite(price):
                response.failure(f"no numeric price in {response.text[:200]}")
            elif price <= 0:
                response.failure(f"price is not positive: {price}")
            else:
                response.success()
