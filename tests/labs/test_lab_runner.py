"""The runner for real: a model API and Locust as subprocesses, watched to the end, nothing left behind.

These call the task's body in this process (no queue); test_lab_worker.py goes through the worker.
"""

import pytest
from django.utils import timezone

from labs import processes, runner
from labs.models import Lab, LabRun, RunStatus
from tests.labs.conftest import config

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def own_lock(settings, tmp_path):
    settings.LAB_LOCK_FILE = str(tmp_path / "labs.lock")


def queued(user, lab: Lab, **changes) -> LabRun:
    api = changes.pop("api", {})
    run_config = config(lab)
    run_config.update(changes)
    run_config["api"].update(api)
    return LabRun.objects.create(lab=lab, user=user, config=run_config, created_at=timezone.now())


def test_a_short_run_records_samples_and_exact_results(learner, lab):
    """Four seconds of the tutorial's users: a sample a second, exact percentiles, Locust's beside them,
    the API's own view and CPU, and no process left."""
    run = queued(learner, lab, users=8, spawn_rate=8, duration_s=4,
                 api={"delay_median_ms": 20.0, "delay_p99_ms": 80.0})
    assert runner.execute(run.pk) == "succeeded"
    run.refresh_from_db()
    samples = run.samples_since()
    assert run.status == RunStatus.SUCCEEDED and run.failure_reason == ""
    assert len(samples) >= 3 and [s["index"] for s in samples] == list(range(len(samples)))
    # A sample a second from the start of the load: the plugin's timer never fires early, and it keeps its
    # schedule (a late tick is followed by a prompt one), so t grows with the index; a busy machine may
    # delay a tick, so the first one (due at 1 s) is allowed up to a whole second late.
    times = [s["t"] for s in samples]
    assert times == sorted(times) and 0 < times[0] < 2.0, times
    assert samples[1]["users"] == 8
    results = run.results
    assert results["requests"] > 10 and results["requests"] == results["locust_requests"]
    assert results["failures"] == 0
    assert results["p50_ms"] <= results["p95_ms"] <= results["p99_ms"] <= results["max_ms"]
    assert results["p50_ms"] >= 20 * 0.8  # the injected delay's median is 20 ms
    assert results["locust_p99_ms"] == pytest.approx(results["p99_ms"], rel=0.1)
    assert results["server_requests"] >= results["requests"] and results["server_p50_ms"] is not None
    assert results["api_cpu_percent"] is not None and results["generator_saturated"] is False
    assert results["versions"]["locust"] == "2.47.0" and results["config"]["users"] == 8
    assert run.started_at <= run.running_at <= run.finished_at
    assert not processes.marked_processes(run.process_marker)
    # The diagnosis is stored with the results: its step's percentiles come from the per-second histograms
    # the plugin sent (each second's counts add up to that second's requests), and the API's own figures.
    stored = run.samples_since(with_histogram=True)
    assert all(s["histogram"] for s in stored if s["rps"] > 0)
    diagnosis = results["diagnosis"]
    assert diagnosis["version"] == 1 and diagnosis["steps"][0]["users"] == 8
    assert diagnosis["steps"][0]["latency_source"] == "histogram"
    assert diagnosis["steps"][0]["p50_ms"] >= 20 * 0.8
    assert results["api_loop_lag_ms"] is not None and results["api_in_flight_mean"] is not None
    assert results["api_cpu_wait_percent"] is not None and results["server_rps"] > 0


def test_a_distributed_run_merges_every_workers_requests(learner, lab):
    """--processes 2: the master merges both workers' histograms; every request is counted once, and the
    live samples show the requests per second and percentiles while the run goes on."""
    run = queued(learner, lab, users=6, spawn_rate=6, duration_s=6, workers=2,
                 api={"delay_median_ms": 20.0, "delay_p99_ms": 80.0})
    assert runner.execute(run.pk) == "succeeded", run.failure_reason
    run.refresh_from_db()
    results = run.results
    assert results["generator"] == {"role": "master", "processes": 3}
    # A user asks at once, then waits 1-2 s after each answer: in 6 s each of the 6 asks at least twice, even
    # when a busy machine delays its spawn and its two answers by up to 4 s in all (about 4 times when idle).
    assert results["requests"] >= 2 * 6 and results["requests"] == results["locust_requests"]
    assert sum(e["requests"] for e in results["endpoints"]) == results["requests"]
    # Live figures come only from the workers' deltas: each second shows their RPS and window percentiles.
    live = [s for s in run.samples_since() if s["rps"] > 0 and s["p99_ms"] is not None]
    assert len(live) >= 2, run.samples_since()
    assert all(s["p50_ms"] <= s["p95_ms"] <= s["p99_ms"] for s in live)
    assert live[-1]["requests"] <= results["requests"]
    with_counts = [s for s in run.samples_since(with_histogram=True) if s["rps"] > 0]
    assert with_counts and all(s["histogram"] for s in with_counts)  # the workers' deltas carry them too
    assert not processes.marked_processes(run.process_marker)


def test_a_model_api_that_cannot_start_fails_the_run_with_its_reason(learner, lab):
    """Whatever goes wrong is told to the learner, and nothing keeps running."""
    run = queued(learner, lab, users=2, duration_s=3, api={"delay_median_ms": 100.0, "delay_p99_ms": 50.0})
    assert runner.execute(run.pk).startswith("failed")
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "The model API exited (code 2)" in run.failure_reason and "--delay-p99-ms" in run.failure_reason
    assert not processes.marked_processes(run.process_marker)


def test_a_cancelled_run_is_not_started(learner, lab):
    run = queued(learner, lab)
    run.request_cancel(timezone.now())
    assert runner.execute(run.pk) == "not queued (cancelled)"


def test_a_run_cancelled_while_starting_reads_cancelled(learner, lab):
    """The learner cancels as the worker claims the run: the model API and Locust are stopped before any
    load, and the run reads "cancelled" (it read "failed" before), with nothing left running."""
    run = queued(learner, lab, users=4, duration_s=5)
    LabRun.objects.filter(pk=run.pk).update(cancel_requested_at=timezone.now())
    assert runner.execute(run.pk) == "cancelled"
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and "Cancelled" in run.failure_reason
    assert not processes.marked_processes(run.process_marker)
