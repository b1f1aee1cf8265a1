"""The lab worker rides out a database outage and stops cleanly on SIGTERM: a real `manage.py labs_worker`
subprocess, a real PostgreSQL cut by a TCP proxy, real lab runs (model API and Locust)."""

import time

import pytest

from labs import processes, runner
from labs.models import Lab, LabRun, RunStatus
from labs.services import start_run
from tests.faults.conftest import proxied_database_url
from tests.labs.workers import Worker, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def learner_for_runs(django_user_model, content):
    return django_user_model.objects.create_user("runner", "runner@example.com", "pw-for-the-runner-42")


@pytest.fixture
def workers(tmp_path, settings):
    settings.LAB_LOCK_FILE = str(tmp_path / "labs.lock")
    started: list[Worker] = []

    def start(**env) -> Worker:
        worker = Worker(tmp_path, tmp_path / "labs.lock", env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def enqueue(user, duration_s: int, lab: str = "first-load-test") -> LabRun:
    from django.utils import timezone

    return start_run(Lab.objects.get(slug=lab), user, {"users": 4, "spawn_rate": 4, "duration_s": duration_s},
                     timezone.now())


def finished(run_id: int) -> LabRun | None:
    run = LabRun.objects.get(pk=run_id)
    return run if run.is_finished else None


def test_the_worker_waits_out_a_database_outage_logs_it_once_and_runs_the_next_lab(
        postgres_proxy, workers, learner_for_runs):
    worker = workers(DATABASE_URL=proxied_database_url(postgres_proxy))
    wait_for(lambda: "Starting worker" in worker.output(), 30, "the worker to start", worker)
    postgres_proxy.close()
    time.sleep(4)  # several polls (every 0.2 s) and retries with the database away
    assert worker.process.poll() is None, worker.output()
    postgres_proxy.reopen()
    wait_for(lambda: "database back" in worker.output(), 15, "the worker to see the database again", worker)
    log = worker.output()
    assert log.count("database unavailable") == 1, log  # once, not once per attempt
    assert "Traceback" not in log

    run = enqueue(learner_for_runs, duration_s=5)
    done = wait_for(lambda: finished(run.pk), 45, "the next run to finish", worker)
    assert done.status == RunStatus.SUCCEEDED, done.failure_reason


def test_a_run_caught_by_a_database_outage_ends_with_a_reason_and_leaves_nothing_running(
        postgres_proxy, workers, learner_for_runs):
    worker = workers(DATABASE_URL=proxied_database_url(postgres_proxy))
    run = enqueue(learner_for_runs, duration_s=40)
    wait_for(lambda: LabRun.objects.get(pk=run.pk).samples.count() >= 1, 30, "a sample", worker)
    postgres_proxy.close()
    time.sleep(3)
    postgres_proxy.reopen()
    done = wait_for(lambda: finished(run.pk), 30, "the run to end", worker)
    assert done.status == RunStatus.FAILED
    assert done.failure_reason == runner.DATABASE_LOST_REASON
    wait_for(lambda: not processes.marked_processes(done.process_marker), 10, "the run's processes to go")
    assert worker.process.poll() is None, worker.output()  # the worker carried on


def test_sigterm_mid_run_fails_the_run_with_a_reason_and_kills_its_processes(workers, learner_for_runs):
    """What `make run`'s supervisor does on Ctrl-C or a restart: SIGTERM, then it waits for the worker."""
    worker = workers()
    run = enqueue(learner_for_runs, duration_s=60)
    wait_for(lambda: LabRun.objects.get(pk=run.pk).samples.count() >= 1, 30, "a sample", worker)
    marker = LabRun.objects.get(pk=run.pk).process_marker
    assert processes.marked_processes(marker)
    stopped_at = time.monotonic()
    worker.process.terminate()
    worker.process.wait(timeout=20)
    took = time.monotonic() - stopped_at
    done = LabRun.objects.get(pk=run.pk)
    assert done.status == RunStatus.FAILED, worker.output()
    assert done.failure_reason == runner.STOPPED_REASON
    assert not processes.marked_processes(marker)
    assert took < 15, f"the worker took {took:.1f} s to stop"
