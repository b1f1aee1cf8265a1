"""The worker's side of a submission, with the real sandbox: a passing file, a file that raises at import,
and the host lock shared with lab runs."""

from __future__ import annotations

import fcntl
import os
import socket
import threading
import time
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from exercises import runner
from exercises.models import Exercise, Submission, SubmissionStatus
from tests.labs.workers import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lock_file(tmp_path, settings):
    """A lock file of this test's own; the content loaded (a transactional test starts from an empty database
    when an earlier one flushed it)."""
    if not Exercise.objects.exists():
        call_command("load_content", verbosity=0)
    settings.LAB_LOCK_FILE = str(tmp_path / "labs.lock")
    return tmp_path / "labs.lock"


def _submit(user, slug: str, source: str) -> Submission:
    exercise = Exercise.objects.get(slug=slug)
    return Submission.objects.create(exercise=exercise, user=user, source=source, run=exercise.run,
                                     created_at=timezone.now())


def test_the_reference_solution_passes_in_the_worker(learner, lock_file):
    """execute() runs the file in the sandbox, stores the checks, Locust's output and the request count."""
    submission = _submit(learner, "write-mluser", Exercise.objects.get(slug="write-mluser").solution)
    assert runner.execute(submission.pk) == "passed"
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PASSED and submission.reason == ""
    assert [c["id"] for c in submission.checks] == ["file", "runs", "predictions", "valid-json", "wait-time"]
    assert all(c["passed"] for c in submission.checks)
    assert submission.requests >= 10 and "/predict" in submission.output
    assert submission.started_at <= submission.finished_at and submission.heartbeat_at is not None
    assert submission.to_first_request_s is not None and submission.to_first_request_s > 0


def test_a_file_that_raises_at_import_ends_in_error_with_its_line(learner, lock_file):
    source = "from locust import HttpUser, task\n\nimport no_such_module_here\n\n" \
             "class U(HttpUser):\n    @task\n    def t(self):\n        self.client.get('/healthz')\n"
    submission = _submit(learner, "write-mluser", source)
    assert runner.execute(submission.pk) == "error"
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.ERROR
    assert "no_such_module_here" in submission.reason and "line 3" in submission.reason
    runs = next(c for c in submission.checks if c["id"] == "runs")
    assert runs["passed"] is False and "line 3" in runs["message"]
    assert "Traceback" not in submission.reason


def test_a_submission_waits_for_the_lab_machine(learner, lock_file):
    """While a lab run holds the host lock the submission stays queued (its heartbeat beating), then runs."""
    # A user that raises at import: it needs the machine (the sandbox) but ends quickly once it has it.
    source = "from locust import HttpUser, task\n\nraise RuntimeError('boom')\n\nclass U(HttpUser):\n    @task\n" \
             "    def t(self):\n        pass\n"
    submission = _submit(learner, "write-mluser", source)
    holder = open(lock_file, "a+")
    fcntl.flock(holder, fcntl.LOCK_EX)
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(runner.execute(submission.pk)))
    try:
        worker.start()
        time.sleep(1.5)
        submission.refresh_from_db()
        assert submission.status == SubmissionStatus.QUEUED and submission.heartbeat_at is not None
    finally:
        fcntl.flock(holder, fcntl.LOCK_UN)
        holder.close()
    worker.join(timeout=120)
    assert outcome == ["error"]
    submission.refresh_from_db()
    assert "boom" in submission.reason and submission.started_at is not None


def _wait_in_thread(lock) -> threading.Thread:
    """Enter `lock` in a thread of its own (its own database connection, closed when it is done)."""

    def enter():
        try:
            lock.__enter__()
        finally:
            connections.close_all()

    waiter = threading.Thread(target=enter)
    waiter.start()
    return waiter


@contextmanager
def _slot_held(lock_file):
    """The machine's one slot taken, as a lab run holds it, until the block ends."""
    holder = open(lock_file, "a+")  # noqa: SIM115 - released in finally
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(holder, fcntl.LOCK_UN)
        holder.close()


def _heartbeat(submission: Submission):
    return Submission.objects.get(pk=submission.pk).heartbeat_at


def test_a_waiting_submission_beats_its_heartbeat_until_a_slot_is_free(learner, lock_file):
    """While a lab run holds the machine's one slot, the queued submission's heartbeat moves on, naming this
    worker; once the slot is let go the submission takes it."""
    submission = _submit(learner, "write-mluser", "")
    lock = runner.submission_lock(submission)
    with _slot_held(lock_file):
        waiter = _wait_in_thread(lock)
        first = wait_for(lambda: _heartbeat(submission), timeout=30, what="the first heartbeat")
        wait_for(lambda: _heartbeat(submission) > first, timeout=30, what="the heartbeat to move on")
        submission.refresh_from_db()
        assert submission.status == SubmissionStatus.QUEUED and not lock.acquired
        assert submission.worker_host == socket.gethostname() and submission.worker_pid == os.getpid()
    waiter.join(timeout=30)
    assert not waiter.is_alive() and lock.acquired and lock.slot == 0
    lock.__exit__(None, None, None)


def test_a_submission_no_longer_queued_stops_waiting_for_a_slot(learner, lock_file):
    """A submission that leaves the queue while every slot is taken (ended by the stale check, say) is not
    run: the wait ends without a slot, while the lab run still holds the machine."""
    submission = _submit(learner, "write-mluser", "")
    lock = runner.submission_lock(submission)
    with _slot_held(lock_file):
        waiter = _wait_in_thread(lock)
        wait_for(lambda: _heartbeat(submission), timeout=30, what="the first heartbeat")
        assert runner.finish(submission, SubmissionStatus.ERROR, reason="ended elsewhere")
        waiter.join(timeout=30)
        assert not waiter.is_alive() and not lock.acquired
