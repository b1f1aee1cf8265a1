"""GET /metrics (Prometheus text) and GET /metrics/summary (near-exact percentiles)."""

from __future__ import annotations

import math
import random
import threading
import time

import httpx
import numpy as np
import pytest
from model_api_helpers import TUTORIAL_HOUSE, ModelApi
from prometheus_client.parser import text_string_to_metric_families

from labs.model_api.metrics import ENDPOINTS, FINE_RATIO, LATENCY_BUCKETS, Metrics, fine_bucket


def predict_in_parallel(api: ModelApi, *, clients: int, each: int) -> tuple[float, dict]:
    """`clients` threads each send `each` predictions to `api`, one after another: the load's wall seconds
    and the API's /metrics/summary after it."""

    def send():
        with httpx.Client(base_url=api.url) as client:
            for _ in range(each):
                client.post("/predict", json=TUTORIAL_HOUSE, timeout=10)

    started = time.monotonic()
    threads = [threading.Thread(target=send) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    return wall, httpx.get(f"{api.url}/metrics/summary", timeout=5).json()


def test_fine_buckets_are_one_percent_wide():
    """Consecutive latencies one percent apart land in consecutive buckets, from 10 us to 100 s."""
    buckets = [fine_bucket(1e-5 * FINE_RATIO**k * 1.0001) for k in range(0, 1600, 97)]
    assert buckets == sorted(buckets) and len(set(buckets)) == len(buckets)
    assert fine_bucket(0.0) == 0
    assert fine_bucket(1e9) == fine_bucket(1e10)  # overflow bucket


def test_summary_percentiles_are_within_half_a_percent():
    """Recorded latencies give back their exact percentiles within 0.5%, and the exact max."""
    metrics = Metrics(directory=None, worker=0)
    rng = random.Random(8)
    samples = np.array([rng.lognormvariate(math.log(0.04), 0.69) for _ in range(50_000)])
    for seconds in samples:
        metrics.observe(ENDPOINTS.index("/predict"), 200, float(seconds))
    summary = metrics.summary()["endpoints"]["/predict"]
    assert summary["count"] == 50_000
    assert summary["by_status"] == {"200": 50_000}
    ordered = np.sort(samples)
    for name, rank in (("p50", 25_000), ("p90", 45_000), ("p99", 49_500), ("p999", 49_950)):
        exact = (
            ordered[rank - 1] * 1000
        )  # nearest rank: the smallest value with q of the samples at or below it
        assert summary[f"{name}_ms"] == pytest.approx(exact, rel=0.005)
    assert summary["max_ms"] == pytest.approx(samples.max() * 1000, abs=0.0005)  # rounded to the microsecond
    assert summary["mean_ms"] == pytest.approx(samples.mean() * 1000, abs=0.0005)


def test_histogram_buckets_cover_one_millisecond_to_ten_seconds():
    assert LATENCY_BUCKETS[0] < 0.001 and LATENCY_BUCKETS[-1] == 10.0
    assert list(LATENCY_BUCKETS) == sorted(LATENCY_BUCKETS)
    assert sum(1 for b in LATENCY_BUCKETS if 0.001 <= b <= 10.0) >= 20


@pytest.mark.slow
def test_prometheus_text_counts_requests_by_endpoint_and_status(model_api):
    """After 5 good and 2 bad predictions, /metrics says so, with a latency histogram and in-flight gauge."""
    api = model_api()
    with httpx.Client(base_url=api.url, timeout=10) as client:
        for _ in range(5):
            client.post("/predict", json=TUTORIAL_HOUSE)
        for _ in range(2):
            client.post("/predict", json={"sqft": 1})
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {family.name: family for family in text_string_to_metric_families(response.text)}

    requests = {
        (s.labels["endpoint"], s.labels["status"]): s.value
        for s in families["model_api_requests"].samples
        if s.name == "model_api_requests_total"
    }
    assert requests[("/predict", "200")] == 5
    assert requests[("/predict", "422")] == 2

    latency = families["model_api_request_duration_seconds"]
    predict_buckets = {
        s.labels["le"]: s.value
        for s in latency.samples
        if s.name.endswith("_bucket") and s.labels["endpoint"] == "/predict"
    }
    assert predict_buckets["+Inf"] == 7
    assert {"0.001", "0.01", "0.1", "1.0", "10.0"} <= set(predict_buckets)
    count = next(
        s.value for s in latency.samples if s.name.endswith("_count") and s.labels["endpoint"] == "/predict"
    )
    assert count == 7

    assert families["model_api_requests_in_flight"].samples[0].value == 1  # the scrape itself
    info = families["model_api_worker_info"].samples
    assert [(s.labels["worker"], s.labels["pid"]) for s in info] == [("0", str(api.process.pid))]


@pytest.mark.slow
def test_summary_reports_server_side_latency_per_endpoint(model_api):
    """/metrics/summary gives each endpoint's count, status counts and percentiles, and each worker's CPU."""
    api = model_api("--delay-median-ms", "30")  # constant 30 ms
    client_ms = []
    with httpx.Client(base_url=api.url, timeout=10) as client:
        health_checks = client.get("/metrics/summary").json()["endpoints"]["/healthz"]["count"]
        for _ in range(20):
            started = time.perf_counter()
            client.post("/predict", json=TUTORIAL_HOUSE)
            client_ms.append((time.perf_counter() - started) * 1000)
        client.get("/healthz")
        summary = client.get("/metrics/summary").json()
    predict = summary["endpoints"]["/predict"]
    assert predict["count"] == 20 and predict["by_status"] == {"200": 20}
    # Bounds that hold on a busy machine: the 30 ms sleep never ends early, and the server's time is part
    # of the time the client waited for each request (the summary is within 0.5%).
    assert 30 <= predict["p50_ms"] <= float(np.median(client_ms)) * 1.005
    assert predict["p50_ms"] <= predict["p99_ms"] <= predict["max_ms"] <= max(client_ms) * 1.005
    assert summary["endpoints"]["/healthz"]["count"] == health_checks + 1
    assert summary["endpoints"]["/metrics/summary"]["count"] == 1
    assert "/work/cpu" not in summary["endpoints"]  # endpoints without requests are left out
    (worker,) = summary["workers"]
    assert worker["pid"] == api.process.pid and worker["alive"] and worker["cpu_seconds"] > 0
    assert set(summary["counters"]) == {
        "cache_hits",
        "cache_misses",
        "shed",
        "injected_errors",
        "cpu_work_seconds",
    }


@pytest.mark.slow
@pytest.mark.dbfree
def test_the_summary_reports_the_event_loop_lag_and_requests_in_flight(model_api):
    """The event-loop monitor: a blocking 30 ms wait per request makes the loop late; an awaited 30 ms wait
    keeps it on time while about (RPS x 30 ms) requests are in flight, which the in-flight integral shows."""
    figures = {}
    for name, flags in (("blocking", ("--io-ms", "30", "--blocking")), ("async", ("--io-ms", "30"))):
        api = model_api(*flags)
        wall, summary = predict_in_parallel(api, clients=6, each=12)
        api.stop()  # the next API is measured alone
        predict = summary["endpoints"]["/predict"]
        figures[name] = (summary["loop"], predict, wall)
    blocking, _, _ = figures["blocking"]
    loop, predict, wall = figures["async"]
    assert blocking["ticks"] > 0 and blocking["lag_mean_ms"] >= 5, blocking
    assert loop["lag_mean_ms"] < blocking["lag_mean_ms"] / 3, (loop, blocking)
    # Little's law inside the API: the in-flight integral is the sum of the requests' times, within sampling.
    total_latency_s = predict["count"] * predict["mean_ms"] / 1000
    assert loop["in_flight_request_s"] == pytest.approx(total_latency_s, rel=0.35), (loop, total_latency_s)
    assert total_latency_s >= 72 * 0.03 and wall > 0


def test_the_in_flight_sampler_adds_requests_times_seconds():
    """Hand-checked: 2 in flight for 10 ms, then none for 5 ms, then 1 for 2.5 ms = 0.0225 request-s."""
    from labs.model_api.metrics import Metrics

    metrics = Metrics(None, 0)
    metrics.sample_in_flight(2, 0.010)
    metrics.sample_in_flight(0, 0.005)
    metrics.sample_in_flight(1, 0.0025)
    assert metrics.summary()["loop"]["in_flight_request_s"] == 0.0225
    metrics.sample_in_flight(3, 0.0)
    metrics.sample_in_flight(-1, 0.01)  # never below zero
    assert metrics.summary()["loop"]["in_flight_request_s"] == 0.0225


def test_the_in_flight_sampler_thread_counts_while_the_loop_is_held():
    """The sampler is a thread: with one request held in flight and this thread burning CPU (the GIL busy, as
    a CPU-bound handler keeps it), about one request-second per second is counted; stopping ends the thread."""
    metrics = Metrics(None, 0)
    before = threading.active_count()
    stop = metrics.start_sampler(0.005)
    metrics.active = 1
    started = time.perf_counter()
    while time.perf_counter() - started < 0.3:
        sum(range(1000))  # hold the GIL between switch intervals, like a handler computing
    metrics.active = 0
    held = time.perf_counter() - started
    stop()
    counted = metrics.summary()["loop"]["in_flight_request_s"]
    assert threading.active_count() == before
    assert 0.6 * held <= counted <= 1.1 * held + 0.05, (counted, held)


@pytest.mark.slow
@pytest.mark.dbfree
@pytest.mark.parametrize("flags", [("--cpu-ms", "15"), ("--io-ms", "15", "--blocking")], ids=["cpu", "blocking"])
def test_in_flight_count_follows_littles_law_when_handlers_hold_the_loop(model_api, flags):
    """A CPU-bound handler and a blocking one hold the event loop for the whole request, one request at a time:
    the API must still count about RPS x its mean latency in flight (about 1 here), not 0."""
    api = model_api(*flags)
    before = httpx.get(f"{api.url}/metrics/summary", timeout=5).json()["loop"]["in_flight_request_s"]
    wall, summary = predict_in_parallel(api, clients=4, each=15)
    predict = summary["endpoints"]["/predict"]
    rps = predict["count"] / wall
    expected = rps * predict["mean_ms"] / 1000
    observed = (summary["loop"]["in_flight_request_s"] - before) / wall
    print(f"{flags}: {rps:.1f} req/s x {predict['mean_ms']:.1f} ms = {expected:.2f} expected, {observed:.2f} counted")
    assert predict["count"] == 60 and expected > 0.3, (predict, wall)
    assert 0.7 * expected <= observed <= 1.3 * expected + 0.1, (observed, expected, predict, wall)
