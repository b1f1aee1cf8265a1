"""CPU-bound vs I/O-bound: one server, two endpoints, side by side in one run.

The model API's POST /work/cpu does the `--cpu-ms` work and skips the `--io-ms` wait; POST /work/io does
the wait and skips the CPU work. Start one server with both knobs and this scenario sends a mix of both:

    python -m labs.model_api --port 8001 --cpu-ms 20 --io-ms 50
    locust -f locust_scenarios/cpu_io_mix.py --host http://127.0.0.1:8001 --headless -u 40 -r 10 -t 60s

What to look for (web UI :8089, the Statistics tab lists both endpoints): an I/O wait is awaited, so many
I/O requests overlap and their latency stays near 50 ms as users grow; CPU work holds the worker's only
thread, so past 1000 / 20 = 50 requests per second per worker the CPU endpoint queues and its P99
climbs, and because both share the event loop, the I/O endpoint's latency climbs with it. Then try
`--workers 2` (two cores: twice the CPU capacity) or `--blocking` (the I/O wait made blocking).

Environment: CPU_WEIGHT, IO_WEIGHT (task weights, default 1 and 1); WAIT_MIN, WAIT_MAX (seconds between
a user's requests, default 0.5 and 1.5).
"""

from common import check_prediction, env_number, house, wait_bounds
from locust import FastHttpUser, between, task

CPU_WEIGHT = env_number("CPU_WEIGHT", 1, int)
IO_WEIGHT = env_number("IO_WEIGHT", 1, int)
if CPU_WEIGHT + IO_WEIGHT == 0:
    raise ValueError("CPU_WEIGHT and IO_WEIGHT cannot both be 0")


class CpuIoUser(FastHttpUser):
    host = "http://127.0.0.1:8001"
    wait_time = between(*wait_bounds(0.5, 1.5))

    @task(CPU_WEIGHT)
    def cpu_bound(self):
        with self.client.post("/work/cpu", json=house(), catch_response=True) as response:
            check_prediction(response)

    @task(IO_WEIGHT)
    def io_bound(self):
        with self.client.post("/work/io", json=house(), catch_response=True) as response:
            check_prediction(response)
