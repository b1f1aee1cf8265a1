"""Locustfile exercises (content) and the learners' submissions, each run in the sandbox and checked."""

from __future__ import annotations

import socket
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from quizsite.lib.markdown import render_markdown


def exercise_setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


class ExerciseQuerySet(models.QuerySet):
    def live(self) -> ExerciseQuerySet:
        return self.filter(is_retired=False)


class Exercise(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(help_text="One or two sentences for the list (Markdown).")
    position = models.PositiveIntegerField(default=0)
    instructions = models.TextField(help_text="Markdown, shown beside the editor.")
    starting_file = models.TextField(blank=True, help_text="What the editor holds at first.")
    hints = models.JSONField(default=list, help_text="Markdown hints, shown one at a time.")
    solution = models.TextField(help_text="A reference solution that passes every check.")
    run = models.JSONField(default=dict, help_text="users, spawn_rate, duration_s and model API knobs.")
    checks = models.JSONField(default=list, help_text="[{id, title, kind, ...}] (exercises.checks).")
    source_file = models.CharField(max_length=300, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    is_retired = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExerciseQuerySet.as_manager()

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("exercises-detail", args=[self.slug])

    def summary_html(self) -> str:
        return render_markdown(self.summary)

    def instructions_html(self) -> str:
        return render_markdown(self.instructions)

    def hints_html(self) -> list[str]:
        return [render_markdown(hint) for hint in self.hints]

    def check_titles(self) -> list[dict[str, str]]:
        """Every check the page lists before a run: the two built-in ones, then the exercise's."""
        from exercises.checks import BUILT_IN

        return [{"id": i, "title": t} for i, t, _ in BUILT_IN] + [
            {"id": c["id"], "title": c["title"]} for c in self.checks
        ]

    def run_summary(self) -> str:
        run = self.run
        knobs = ", ".join(f"{k}={v}" for k, v in (run.get("api") or {}).items())
        return (f"{run.get('users')} users, {run.get('duration_s')} s" + (f"; model API {knobs}" if knobs else ""))


class SubmissionStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    ERROR = "error", "Error"


ACTIVE = (SubmissionStatus.QUEUED, SubmissionStatus.RUNNING)
FINISHED = (SubmissionStatus.PASSED, SubmissionStatus.FAILED, SubmissionStatus.ERROR)


class SubmissionQuerySet(models.QuerySet):
    def active(self) -> SubmissionQuerySet:
        return self.filter(status__in=ACTIVE)


class Submission(models.Model):
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="submissions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exercise_submissions")
    source = models.TextField()
    status = models.CharField(max_length=16, choices=SubmissionStatus.choices, default=SubmissionStatus.QUEUED)
    run = models.JSONField(default=dict, help_text="The run settings used (the exercise's, at submission).")
    checks = models.JSONField(default=list, blank=True, help_text="[{id, title, passed, message}]")
    output = models.TextField(blank=True, help_text="Locust's output (live while running, capped).")
    reason = models.TextField(blank=True, help_text="Why it ended in error, in plain words.")
    requests = models.PositiveIntegerField(default=0, help_text="Requests the model API recorded.")
    to_first_request_s = models.FloatField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker_host = models.CharField(max_length=255, blank=True)
    worker_pid = models.PositiveIntegerField(null=True, blank=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "exercise", "-created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(status__in=["queued", "running"]),
                                    name="exercises_one_active_submission_per_user"),
        ]

    def __str__(self) -> str:
        return f"Submission {self.pk} of {self.exercise_id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("exercises-submission", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def passed_count(self) -> int:
        return sum(1 for check in self.checks if check.get("passed"))

    @property
    def duration_s(self) -> float:
        return float(self.run.get("duration_s") or 0)

    def progress(self, now: datetime) -> int:
        """Percent of the planned duration done (100 once finished)."""
        if not self.is_active:
            return 100
        if self.status != SubmissionStatus.RUNNING or self.started_at is None or not self.duration_s:
            return 0
        return min(99, int(100 * (now - self.started_at).total_seconds() / self.duration_s))

    def stale_reason(self, now: datetime) -> str:
        if not self.is_active:
            return ""
        if self.heartbeat_at is not None:
            silent = (now - self.heartbeat_at).total_seconds()
            if silent > exercise_setting("LAB_STALE_AFTER_S", 15):
                return f"The worker running this stopped responding (no heartbeat for {int(silent)} s). Run it again."
            if self.worker_host == socket.gethostname() and self.worker_pid and not _pid_alive(self.worker_pid):
                return "The worker running this exited in the middle of the run. Run it again."
            return ""
        timeout = exercise_setting("LAB_QUEUE_TIMEOUT_S", 300)
        if (now - self.created_at).total_seconds() > timeout:
            return f"No task worker picked this up within {timeout} s. Is the worker running (`make run`)?"
        return ""

    def expire_if_stale(self, now: datetime) -> bool:
        reason = self.stale_reason(now)
        if not reason:
            return False
        ended = Submission.objects.filter(pk=self.pk, status__in=ACTIVE).update(
            status=SubmissionStatus.ERROR, reason=reason, finished_at=now)
        self.refresh_from_db()
        return bool(ended)

    def check_rows(self) -> list[dict[str, Any]]:
        """Every check of the exercise with its result so far; `passed` is None while not yet answered."""
        stored = {c["id"]: c for c in self.checks}
        rows = [{"id": c["id"], "title": c["title"], "passed": stored.get(c["id"], {}).get("passed"),
                 "message": stored.get(c["id"], {}).get("message", "")} for c in self.exercise.check_titles()]
        known = {row["id"] for row in rows}
        return rows + [{"id": c["id"], "title": c.get("title", ""), "passed": c["passed"], "message": c["message"]}
                       for c in self.checks if c["id"] not in known]  # checks the exercise has since dropped

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.pk,
            "exercise": self.exercise.slug,
            "status": self.status,
            "checks": self.check_rows(),
            "output": self.output,
            "reason": self.reason,
            "progress": self.progress(now),
            "requests": self.requests,
            "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "url": self.get_absolute_url(),
        }


def _pid_alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
