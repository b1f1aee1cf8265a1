"""Open loop: requests arrive at a constant RATE per second, whatever the server's response times.

Closed vs open. A normal Locust user is a closed loop: it sends a request, waits for the answer, thinks,
and only then sends the next one. When the server slows down, closed-loop users slow down with it and
send fewer requests; even `wait_time = constant_throughput(n)` only paces a user *between* answers, so
a response slower than the pacing interval still delays the next request. Real traffic is open: people
keep arriving at their own rate no matter how slow the service is, so a slow server faces a growing
queue rather than politely fewer requests.

Coordinated omission. In a closed loop, the requests that would have been sent while the generator sat
waiting on a slow response are never sent, so they are never measured: the load generator has
"coordinated" with the server to omit exactly the samples that would have shown the stall. Percentiles
from a closed-loop test can therefore look far better than what users of an open system would see.

How this file stays open. Each arrival user runs a schedule of send times fixed in advance (every
1/rate seconds, or exponential gaps with ARRIVALS=poisson) and, at each send time, spawns a separate
greenlet for the request: it never waits for a response before sending the next one. If the generator
itself falls behind its schedule (out of CPU), late arrivals are sent at once and the lag is logged as a
warning at the end, because that lag would be omitted from the measurements. If MAX_IN_FLIGHT requests
are already outstanding, a new arrival is recorded as a failure ("dropped") rather than silently skipped.

    python -m labs.model_api --port 8001 --delay-median-ms 40 --delay-p99-ms 200
    RATE=50 DURATION=60 locust -f locust_scenarios/constant_arrival.py --host http://127.0.0.1:8001 --headless

In the web UI (:8089) the RPS stays flat at RATE while response times vary: compare its P99 with a
closed-loop run (max_throughput.py) on a slowed server. -u, -r and -t are ignored: the shape below runs
ARRIVAL_USERS schedules for DURATION seconds. Requests still in flight when the run ends are abandoned
and counted neither as successes nor as failures.

Environment: RATE (arrivals per second in total, default 10), DURATION (seconds, default 60), ARRIVALS
(uniform or poisson, default uniform), ARRIVAL_USERS (schedules sharing RATE, default 1; raise it with
--processes N so every process gets one), MAX_IN_FLIGHT (default 1000), ENDPOINT (/predict, /work/cpu or
/work/io; default /predict).
"""

import logging
import random
import time

import gevent
from common import PREDICT_ENDPOINTS, check_prediction, env_choice, env_number, house
from gevent.pool import Pool
from locust import FastHttpUser, LoadTestShape, constant, task

RATE = env_number("RATE", 10.0, minimum=0.001)
DURATION = env_number("DURATION", 60.0, minimum=0.1)
ARRIVALS = env_choice("ARRIVALS", "uniform", ("uniform", "poisson"))
ARRIVAL_USERS = env_number("ARRIVAL_USERS", 1, int, minimum=1)
MAX_IN_FLIGHT = env_number("MAX_IN_FLIGHT", 1000, int, minimum=1)
ENDPOINT = env_choice("ENDPOINT", "/predict", PREDICT_ENDPOINTS)
LAG_WARNING_S = 0.05

logger = logging.getLogger(__name__)


class ArrivalUser(FastHttpUser):
    """One arrival schedule of RATE / ARRIVAL_USERS requests per second, each request on its own greenlet."""

    host = "http://127.0.0.1:8001"
    wait_time = constant(0)
    concurrency = MAX_IN_FLIGHT  # connections the client may open: a busy pool must not delay a send

    def on_start(self):
        self.in_flight = Pool(MAX_IN_FLIGHT)
        self.max_lag = 0.0

    @task
    def arrive_on_schedule(self):
        interval = ARRIVAL_USERS / RATE
        next_send = time.perf_counter() + random.uniform(0, interval)  # spread the users' phases
        while True:
            delay = next_send - time.perf_counter()
            if delay > 0:
                gevent.sleep(delay)
            else:
                self.max_lag = max(self.max_lag, -delay)
            if self.in_flight.full():
                self._record_drop()
            else:
                self.in_flight.spawn(self._send)
            next_send += random.expovariate(1 / interval) if ARRIVALS == "poisson" else interval

    def _send(self):
        with self.client.post(ENDPOINT, json=house(), catch_response=True) as response:
            check_prediction(response)

    def _record_drop(self):
        self.environment.events.request.fire(
            request_type="POST",
            name=ENDPOINT,
            response_time=0,
            response_length=0,
            exception=RuntimeError(f"arrival dropped: {MAX_IN_FLIGHT} requests already in flight"),
            context={},
        )

    def on_stop(self):
        self.in_flight.kill(block=False)
        if self.max_lag > LAG_WARNING_S:
            logger.warning(
                "the generator fell up to %.0f ms behind its arrival schedule: those delays are not in the "
                "response times (add --processes or lower RATE)",
                self.max_lag * 1000,
            )


class ConstantArrivalShape(LoadTestShape):
    """ARRIVAL_USERS schedules, all started at once, for DURATION seconds."""

    def tick(self):
        if self.get_run_time() >= DURATION:
            return None
        return ARRIVAL_USERS, ARRIVAL_USERS
