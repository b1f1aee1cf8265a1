"""Lab fixtures: a finished run with realistic numbers, built the way the runner builds them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from labs import results
from labs.models import Lab, LabRun, RunSample, RunStatus

SUMMARY = {
    "type": "summary", "requests": 400, "failures": 4, "duration_s": 20.0, "rps": 20.0,
    "p50_ms": 52.1, "p90_ms": 120.0, "p95_ms": 160.3, "p99_ms": 238.4, "p999_ms": 301.0, "max_ms": 310.2,
    "min_ms": 4.1, "mean_ms": 61.7,
    "endpoints": [{"method": "POST", "name": "/predict", "requests": 400, "failures": 4, "rps": 20.0,
                   "mean_ms": 61.7, "p50_ms": 52.1, "p90_ms": 120.0, "p95_ms": 160.3, "p99_ms": 238.4,
                   "p999_ms": 301.0, "max_ms": 310.2, "min_ms": 4.1, "locust_p99_ms": 240.0}],
    "locust": {"requests": 400, "failures": 4, "p50_ms": 52.0, "p95_ms": 160.0, "p99_ms": 240.0, "max_ms": 310.2,
               "rps": 20.0},
    "errors": [{"method": "POST", "name": "/predict", "error": "HTTP 500", "occurrences": 4}],
    "generator": {"role": "local", "processes": 1},
    "versions": {"locust": "2.47.0"},
}  # fmt: skip
METRICS = {
    "endpoints": {"/predict": {"count": 402, "mean_ms": 55.0, "p50_ms": 50.2, "p90_ms": 110.0, "p95_ms": 150.0,
                               "p99_ms": 220.0, "p999_ms": 300.0, "max_ms": 305.0},
                  "/healthz": {"count": 3, "p99_ms": 1.0}},
    "counters": {"cache_hits": 0, "cache_misses": 0, "shed": 0, "injected_errors": 4, "cpu_work_seconds": 0.0},
    "workers": [{"worker": 0, "pid": 1, "alive": True, "requests": 405}],
}  # fmt: skip


def samples(count: int = 20, users: int = 20, cpu: float = 30.0) -> list[dict]:
    return [
        {"index": i, "t": float(i + 1), "users": users, "rps": 20.0, "failures_per_s": 0.2, "p50_ms": 52.0,
         "p95_ms": 160.0, "p99_ms": 230.0 + i, "requests": 20 * (i + 1), "failures": i // 5,
         "generator_cpu": cpu, "api_cpu": 12.0}
        for i in range(count)
    ]


def config(lab: Lab, **changes) -> dict:
    from labs.loader import caps_from_settings
    from labs.params import validate_request

    checked = validate_request(lab.spec(), changes, caps_from_settings())
    assert checked.ok, checked.errors
    return checked.config


@pytest.fixture
def lab(db) -> Lab:
    return Lab.objects.get(slug="first-load-test")


@pytest.fixture
def make_run(db):
    """A run of a lab in any state; finished ones carry samples and results."""

    def make(user, lab: Lab, status: str = RunStatus.SUCCEEDED, sample_list: list[dict] | None = None,
             **config_changes) -> LabRun:
        now = timezone.now()
        run_config = config(lab, **config_changes)
        run = LabRun.objects.create(lab=lab, user=user, status=status, config=run_config,
                                    created_at=now - timedelta(seconds=30))
        if status in (RunStatus.RUNNING, RunStatus.SUCCEEDED, RunStatus.STARTING):
            run.started_at = now - timedelta(seconds=29)
            run.running_at = now - timedelta(seconds=28) if status != RunStatus.STARTING else None
            run.heartbeat_at = now
        rows = samples() if sample_list is None else sample_list
        if status in (RunStatus.RUNNING, RunStatus.SUCCEEDED):
            RunSample.objects.bulk_create(RunSample(run=run, **row) for row in rows)
        if status == RunStatus.SUCCEEDED:
            run.finished_at = now
            run.results = results.build(SUMMARY, rows, METRICS, 12.5, run_config, lab.slo_ms, {"python": "3.12"})
        run.save()
        return run

    return make


def step_samples(steps: int = 8, seconds: int = 5, users_per_step: int = 6, capacity: float = 110.0) -> list[dict]:
    """A step load that saturates: each step adds users; RPS rises 24 a step until it stops at `capacity`,
    and the P99 climbs once it has. Jagged like a real chart: the seconds of a step alternate ±10%."""
    rows, requests = [], 0
    for step in range(steps):
        users = users_per_step * (step + 1)
        rps = min(4.0 * users, capacity)
        for second in range(seconds):
            i = step * seconds + second
            jagged = rps * (1.1 if second % 2 else 0.9)
            requests += round(jagged)
            saturated = 4.0 * users > capacity
            p99 = 40.0 + (users - capacity / 4) * 12 if saturated else 40.0
            rows.append({"index": i, "t": float(i + 1), "users": users, "rps": jagged, "failures_per_s": 0.0,
                         "p50_ms": p99 / 3, "p95_ms": p99 * 0.8, "p99_ms": p99, "requests": requests, "failures": 0,
                         "generator_cpu": 30.0, "api_cpu": min(100.0, rps * 0.9)})
    return rows


def diagnosis(**changes) -> dict:
    """A diagnosis in the shape labs.analysis stores in results["diagnosis"] (hand-written for page tests)."""
    steps = [
        {"index": i + 1, "users": 6 * (i + 1), "start_s": 5.0 * i, "end_s": 5.0 * (i + 1), "steady_start_s": 5.0 * i + 2,
         "rps": min(24.0 * (i + 1), 110.0), "p50_ms": 13.0 if i < 4 else 30.0 + 20 * i,
         "p99_ms": 40.0 if i < 4 else 90.0 + 60 * (i - 4), "api_cpu_percent": min(99.0, 22.0 * (i + 1)),
         "errors": 0, "error_percent": 0.0}
        for i in range(8)
    ]
    value = {
        "version": 1, "bottleneck": "cpu",
        "bottleneck_evidence": ["API CPU 99% of the 1 core it may use over steps 5-8"],
        "plateau_rps": 110.0, "plateau_definition": "the median RPS of the last three steps",
        "knee_users": 30, "knee_second": 25, "capacity_at_slo_rps": 110.0, "slo_ms": 100.0,
        "first_breach": {"second": 31, "users": 36, "rps": 108.0}, "warmup_s": 2.0,
        "phases": [{"kind": "warmup", "start_s": 0.0, "end_s": 2.0}, {"kind": "steady", "start_s": 2.0, "end_s": 5.0},
                   {"kind": "ramp", "start_s": 5.0, "end_s": 7.0}, {"kind": "steady", "start_s": 7.0, "end_s": 10.0}],
        "steps": steps,
        "checks": [
            {"id": "littles_law_api", "ok": True, "message": "In flight inside the API agrees with RPS × mean latency.",
             "expected": 3.1, "observed": 3.0},
            {"id": "littles_law_closed_loop", "ok": False,
             "message": "Users and RPS × (response + think time) differ by 14%: the ramp between steps.",
             "expected": 27.0, "observed": 31.0},
        ],
        "findings": [
            {"id": "plateau", "title": "Throughput levelled off at 110 req/s",
             "text": "From 30 users on, the RPS stayed at 110 req/s (the median of the last three steps) while "
                     "the P99 rose from 40 ms to 270 ms."},
            {"id": "bottleneck", "title": "CPU-bound",
             "text": "The API used 99% of its one core from step 5: 9 ms of CPU per request."},
        ],
        "summary": "About 110 req/s per worker at P99 under 100 ms; CPU-bound, so more cores or cheaper "
                   "inference, not async.",
    }
    value.update(changes)
    return value


def with_diagnosis(run: LabRun, **changes) -> LabRun:
    run.results = {**run.results, "diagnosis": diagnosis(**changes)}
    run.save(update_fields=["results"])
    return run
