"""Submitting a locustfile: the one path used by the exercise page and the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction

from exercises.checks import BUILT_IN, CheckResult, Evidence
from exercises.loader import MAX_SOURCE_BYTES, limits_from_settings, run_problems
from exercises.models import Exercise, Submission, exercise_setting
from exercises.source import read_source


class InvalidSubmission(Exception):
    """The source is missing, not text or too large; `errors` is keyed by field."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


class ActiveSubmissionExists(Exception):
    def __init__(self, submission: Submission | None):
        self.submission = submission
        super().__init__("You already have a locustfile queued or running. Wait for it to finish first.")


class SandboxUnavailable(Exception):
    """Exercises cannot run here; the message says why."""


class TooManySubmissions(Exception):
    def __init__(self, message: str, retry_after_s: int):
        self.retry_after_s = retry_after_s
        super().__init__(message)


def active_submission_for(user, now: datetime) -> Submission | None:
    """The learner's active submission, after ending it if its worker went silent."""
    submission = Submission.objects.filter(user=user).active().select_related("exercise").first()
    if submission is not None and submission.expire_if_stale(now):
        return None
    return submission


def clean_source(data: Any) -> str:
    source = data.get("locustfile") if isinstance(data, dict) else None
    if not isinstance(source, str):
        raise InvalidSubmission({"locustfile": "required: the locustfile's Python source, as text"})
    if len(source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        raise InvalidSubmission({"locustfile": f"must be at most {MAX_SOURCE_BYTES // 1024} KB"})
    if not source.strip():
        raise InvalidSubmission({"locustfile": "is empty: write a locustfile first"})
    if "\x00" in source:
        raise InvalidSubmission({"locustfile": "must not contain NUL characters"})
    return source


def static_check(source: str) -> CheckResult:
    """The built-in `file` check, answered from the file alone: shown as soon as it is submitted."""
    file_id, title, function = BUILT_IN[0]
    passed, message = function(Evidence(source=source), read_source(source))
    return CheckResult(file_id, passed, message, title)


def submit(exercise: Exercise, user, data: Any, now: datetime) -> Submission:
    """Check the request, store the submission and enqueue it; raises one of the exceptions above."""
    from exercises.runner import UNAVAILABLE, sandbox_unavailable
    from exercises.tasks import run_submission

    source = clean_source(data)
    over = run_problems(exercise.run, limits_from_settings())
    if over:  # the site's limits were lowered below the exercise's settings
        raise InvalidSubmission({"run": "; ".join(f"{where} {message}" for where, message in over)})
    reason = sandbox_unavailable()
    if reason:
        raise SandboxUnavailable(UNAVAILABLE.format(reason=reason))
    active = active_submission_for(user, now)
    if active is not None:
        raise ActiveSubmissionExists(active)
    per_hour = exercise_setting("EXERCISE_SUBMISSIONS_PER_HOUR", 30)
    hour_ago = now - timedelta(hours=1)
    recent = list(Submission.objects.filter(user=user, created_at__gt=hour_ago).order_by("created_at")
                  .values_list("created_at", flat=True)[:per_hour])
    if len(recent) >= per_hour:
        wait = max(1, int((recent[0] - hour_ago).total_seconds()) + 1)
        raise TooManySubmissions(f"You have run {len(recent)} locustfiles in the last hour, this site's limit. "
                                 f"Try again in {max(1, round(wait / 60))} minutes.", wait)
    try:
        with transaction.atomic():
            submission = Submission.objects.create(exercise=exercise, user=user, source=source,
                                                   run=exercise.run, created_at=now,
                                                   checks=[static_check(source).to_dict()])
            result = run_submission.enqueue(submission.pk)
            submission.task_id = str(result.id)
            submission.save(update_fields=["task_id"])
    except IntegrityError:
        raise ActiveSubmissionExists(Submission.objects.filter(user=user).active().first()) from None
    return submission
