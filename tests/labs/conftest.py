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
