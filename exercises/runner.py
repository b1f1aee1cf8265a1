"""One submission, executed by the task worker: the learner's locustfile in the sandbox, then the checks.

The learner's code runs only through `labs.sandbox.run_locustfile` (bubblewrap); when the sandbox is
unavailable the submission ends in error and nothing runs. Submissions share the labs' host lock (the
same slots as lab runs, `labs.runner.HostLock`), so a submission never competes with a lab
run for the machine, and they follow the worker's stop request (`labs.runner.STOP`).

While the sandbox runs (in a thread), this thread beats the submission's heartbeat and stores the output
so far once a second; the page polls it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime
from typing import Any

from django.utils import timezone

from exercises.checks import CheckResult, Evidence, run_checks
from exercises.loader import api_args, limits_from_settings
from exercises.models import ACTIVE, Submission, SubmissionStatus, exercise_setting
from exercises.source import read_source
from labs.runner import STOP, HostLock

logger = logging.getLogger(__name__)

OUTPUT_CHARS = 64_000  # what the page shows of Locust's output (the end of it)
UNAVAILABLE = ("Exercises cannot run on this site: the sandbox is unavailable ({reason}). A learner's locustfile "
               "never runs outside it.")


def sandbox_unavailable() -> str | None:
    """None when the sandbox can run a locustfile here, else the plain reason."""
    try:
        from labs.sandbox import availability
    except ImportError:
        return "the sandbox module is not installed"
    return availability()


def execute(submission_id: int) -> str:
    """Run one queued submission to its end (the task's body); returns what happened, for the task result."""
    submission = Submission.objects.select_related("exercise").filter(pk=submission_id).first()
    if submission is None:
        return "missing"
    if submission.status != SubmissionStatus.QUEUED:
        return f"not queued ({submission.status})"
    facts = read_source(submission.source)
    if not facts.parses or not facts.users:  # nothing to run: say why at once, with the line
        results = run_checks(submission.exercise.checks, Evidence(source=submission.source, status="error",
                                                                  reason="It was not run.", error_line=facts.error_line))
        finish(submission, SubmissionStatus.ERROR, reason=results[0].message,
               checks=[r.to_dict() for r in results])
        return "error: " + results[0].message
    reason = sandbox_unavailable()
    if reason:
        finish(submission, SubmissionStatus.ERROR, reason=UNAVAILABLE.format(reason=reason))
        return "sandbox unavailable"
    with submission_lock(submission) as lock:
        if not lock.acquired:
            if STOP.is_set():
                finish(submission, SubmissionStatus.ERROR,
                       reason="The task worker was stopped before this ran. Run it again.")
                return "worker stopped before the run started"
            return "no longer queued"
        return SubmissionSession(submission).perform()


def finish(submission: Submission, status: str, *, reason: str = "", **values: Any) -> bool:
    return bool(Submission.objects.filter(pk=submission.pk, status__in=ACTIVE).update(
        status=status, reason=reason, finished_at=timezone.now(), **values))


def submission_lock(submission: Submission) -> HostLock:
    """A slot of the labs' host lock (`labs.runner.HostLock`, the lock files lab runs take), for one
    submission. While every slot is taken, the queued submission's heartbeat shows that a worker holds it
    (once a second); the wait ends without a slot once the submission is no longer queued."""

    def still_queued(now: datetime) -> bool:
        return bool(Submission.objects.filter(pk=submission.pk, status=SubmissionStatus.QUEUED).update(
            heartbeat_at=now, worker_host=socket.gethostname(), worker_pid=os.getpid()))

    return HostLock(still_waiting=still_queued)


class SubmissionSession:
    """The sandboxed run of one submission, watched from this thread, then checked."""

    def __init__(self, submission: Submission):
        self.submission = submission
        self.exercise = submission.exercise
        self.settings = submission.run
        self.chunks: list[str] = []
        self.size = 0
        self.guard = threading.Lock()
        self.result: Any = None
        self.error: BaseException | None = None

    def on_output(self, text: str) -> None:
        with self.guard:
            self.chunks.append(text)
            self.size += len(text)
            while self.size > 2 * OUTPUT_CHARS and len(self.chunks) > 1:
                self.size -= len(self.chunks.pop(0))

    def output(self) -> str:
        with self.guard:
            text = "".join(self.chunks)
        return text[-OUTPUT_CHARS:]

    def limits(self) -> Any:
        from labs.sandbox import Limits

        site = limits_from_settings()
        duration = float(self.settings["duration_s"])
        return Limits(wall_s=duration + exercise_setting("EXERCISE_GRACE_S", 30), users=site.users,
                      spawn_rate=float(site.spawn_rate))

    def sandbox(self) -> None:
        from labs.sandbox import run_locustfile

        try:
            self.result = run_locustfile(
                self.submission.source,
                duration_s=float(self.settings["duration_s"]),
                users=int(self.settings["users"]),
                spawn_rate=float(self.settings.get("spawn_rate") or 10),
                api_args=api_args(self.settings.get("api") or {}),
                limits=self.limits(),
                on_output=self.on_output,
                should_stop=STOP.is_set,
            )
        except BaseException as exc:  # SandboxUnavailable included: reported, never retried unsandboxed
            self.error = exc

    def perform(self) -> str:
        now = timezone.now()
        claimed = Submission.objects.filter(pk=self.submission.pk, status=SubmissionStatus.QUEUED).update(
            status=SubmissionStatus.RUNNING, started_at=now, heartbeat_at=now, worker_host=socket.gethostname(),
            worker_pid=os.getpid())
        if not claimed:
            return "no longer queued"
        thread = threading.Thread(target=self.sandbox, name=f"submission-{self.submission.pk}", daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(timeout=1.0)
            Submission.objects.filter(pk=self.submission.pk, status=SubmissionStatus.RUNNING).update(
                heartbeat_at=timezone.now(), output=self.output())
        if self.error is not None:
            logger.warning("submission %s: the sandbox failed: %s", self.submission.pk, self.error)
            reason = str(self.error) or type(self.error).__name__
            if type(self.error).__name__ == "SandboxUnavailable":
                reason = UNAVAILABLE.format(reason=reason)
            finish(self.submission, SubmissionStatus.ERROR, reason=reason, output=self.output())
            return "error"
        return self.check(self.result)

    def check(self, run: Any) -> str:
        settings = self.settings
        evidence = Evidence(
            source=self.submission.source, requests=run.requests, stats=run.stats, status=run.status,
            reason=run.reason, error_line=run.error_line, users=int(settings["users"]),
            duration_s=float(settings["duration_s"]), api=settings.get("api") or {},
        )
        results: list[CheckResult] = run_checks(self.exercise.checks, evidence)
        if run.status != "completed":
            status = SubmissionStatus.ERROR
        elif all(r.passed for r in results):
            status = SubmissionStatus.PASSED
        else:
            status = SubmissionStatus.FAILED
        reason = ""
        if status == SubmissionStatus.ERROR:
            where = f" (line {run.error_line})" if run.error_line else ""
            reason = f"{run.reason}{where}" if run.reason else "It stopped on an error."
        finish(self.submission, status, reason=reason, checks=[r.to_dict() for r in results],
               output=(run.output or self.output())[-OUTPUT_CHARS:], requests=len(run.requests),
               to_first_request_s=run.to_first_request_s)
        return str(status)
