"""Through the queue: `manage.py labs_worker` in a subprocess runs what the API enqueues.

The worker shares the test database, so it needs a file or a server database: SQLITE_TEST_PATH (a file
for the SQLite test database) or DATABASE_URL (PostgreSQL; the tests use its `test_` database).
"""

import tempfile
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from labs import processes
from labs.models import LabAnswer, LabRun, RunStatus
from tests.labs.workers import Worker, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

@pytest.fixture
def start_worker(tmp_path, settings):
    settings.LAB_LOCK_FILE = str(tmp_path / "labs.lock")
    workers: list[Worker] = []

    def start() -> Worker:
        worker = Worker(tmp_path, tmp_path / "labs.lock")
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def signed_in(api_client, django_user_model):
    call_command("load_content", verbosity=0)  # transactional tests start from an empty database
    user = django_user_model.objects.create_user("runner", "runner@example.com", "pw-for-the-runner-42")
    api_client.force_authenticate(user)
    return api_client


def run_if(client, url: str, condition) -> dict | None:
    """The run as the API shows it, when it meets the condition."""
    run = client.get(url).json()
    return run if condition(run) else None


def test_a_run_goes_from_the_api_through_the_worker_to_a_graded_question(start_worker, signed_in):
    """Enqueue, samples appear while it runs, results are stored, a checkpoint answer is graded against them."""
    worker = start_worker()
    created = signed_in.post("/api/v1/labs/first-load-test/runs",
                             {"users": 8, "spawn_rate": 8, "duration_s": 5,
                              "api": {"delay_median_ms": 20, "delay_p99_ms": 80}}, format="json")
    assert created.status_code == 201
    url = f"/api/v1/runs/{created.json()['id']}"
    enqueued = time.monotonic()

    live = wait_for(lambda: run_if(signed_in, url, lambda r: r["samples"] and r["status"] == "running"), 30,
                    "a live sample", worker)
    first_sample_s = time.monotonic() - enqueued
    assert live["progress"] < 100 and live["samples"][0]["users"] > 0

    done = wait_for(lambda: run_if(signed_in, url, lambda r: r["status"] not in ("queued", "starting", "running")),
                    40, "the end of the run", worker)
    assert done["status"] == "succeeded", done["failure_reason"]
    results = done["results"]
    for key in ("requests", "failures", "rps", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms",
                "locust_p99_ms", "api_cpu_percent", "generator_cpu_percent", "generator_saturated"):
        assert results[key] is not None, key
    assert len(done["samples"]) >= 4

    expected = round(results["requests"] * 0.01, 2)
    answer = signed_in.post(f"{url}/answers", {"question": "lab-first-slower-requests", "answer": str(expected)},
                            format="json")
    assert answer.json()["verdict"] == "correct"
    assert LabAnswer.objects.get().run_id == done["id"]
    print(f"enqueue to first live sample: {first_sample_s:.2f} s")
    # How soon is the benchmark's to hold (bench/lab_accuracy.py: at most 3 s on a quiet machine); a busy
    # one can take any time to start two Pythons, so here the sample only has to come while the run is
    # live, within wait_for's 30 s.


def test_cancelling_stops_the_load_and_keeps_what_ran(start_worker, signed_in):
    worker = start_worker()
    run_id = signed_in.post("/api/v1/labs/first-load-test/runs", {"users": 5, "duration_s": 60},
                            format="json").json()["id"]
    url = f"/api/v1/runs/{run_id}"
    wait_for(lambda: len(signed_in.get(url).json()["samples"]) >= 2, 30, "samples", worker)
    assert signed_in.post(f"{url}/cancel").status_code == 202
    done = wait_for(lambda: run_if(signed_in, url, lambda r: r["status"] == "cancelled"), 20, "the cancellation",
                    worker)
    assert done["results"]["requests"] > 0 and done["elapsed_s"] < 30
    assert not processes.marked_processes(LabRun.objects.get(pk=run_id).process_marker)


def test_a_worker_killed_mid_run_leaves_a_failed_run_and_no_processes(start_worker, signed_in):
    """SIGKILL the worker in the middle of a run: its children die with it (PR_SET_PDEATHSIG), the next
    worker fails the run with a reason at start-up and kills whatever is left."""
    worker = start_worker()
    run_id = signed_in.post("/api/v1/labs/caching-and-workers/runs",
                            {"users": 5, "duration_s": 60, "api": {"workers": 2}}, format="json").json()["id"]
    url = f"/api/v1/runs/{run_id}"
    wait_for(lambda: len(signed_in.get(url).json()["samples"]) >= 1, 30, "a sample", worker)
    run = LabRun.objects.get(pk=run_id)
    assert len(processes.marked_processes(run.process_marker)) >= 4  # Locust + the API and its 2 workers

    worker.process.kill()
    worker.process.wait()
    start_worker()
    wait_for(lambda: LabRun.objects.get(pk=run_id).status == RunStatus.FAILED, 30, "the run to be failed")
    run.refresh_from_db()
    assert "exited in the middle of the run" in run.failure_reason
    wait_for(lambda: not processes.marked_processes(run.process_marker), 10, "no processes of the run")
    # nor its files: the new worker removes them after the kill, in its own time
    wait_for(lambda: not list(Path(tempfile.gettempdir()).glob(f"{run.process_marker}-*")), 10, "the run's files removed")
    assert signed_in.get(url).json()["status"] == "failed"
