"""Labs (content), the learners' runs of them, one sample row per second, and checkpoint answers."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from labs import results as results_maths
from labs.params import RunSpec
from quizsite.lib.markdown import render_markdown
from quizsite.questions.flags import answer_ref
from quizsite.questions.models import Question

FLAG_KIND = "lab"


def lab_setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


class LabQuerySet(models.QuerySet):
    def live(self) -> LabQuerySet:
        return self.filter(is_retired=False)


class Lab(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(help_text="One or two sentences for the list of labs (Markdown).")
    position = models.PositiveIntegerField(default=0)
    scenario = models.CharField(max_length=200, help_text="A locustfile in locust_scenarios/.")
    steps = models.JSONField(default=list, help_text="[{title, body}] with Markdown bodies.")
    run_spec = models.JSONField(default=dict, help_text="Knobs, bounds and presets (labs.params.RunSpec).")
    slo_ms = models.FloatField(null=True, blank=True, help_text="The P99 objective a lab measures against.")
    questions = models.ManyToManyField(Question, through="LabQuestion", related_name="labs")
    source_file = models.CharField(max_length=300, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    is_retired = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LabQuerySet.as_manager()

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("labs-detail", args=[self.slug])

    def spec(self) -> RunSpec:
        return RunSpec.from_dict(self.run_spec)

    def summary_html(self) -> str:
        return render_markdown(self.summary)

    def steps_html(self) -> list[dict[str, str]]:
        return [{"title": step["title"], "html": render_markdown(step["body"])} for step in self.steps]

    def checkpoint_questions(self) -> list[Question]:
        items = self.items.select_related("question").filter(question__is_retired=False).order_by("position")
        return [item.question for item in items]


class LabQuestion(models.Model):
    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="lab_items")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["lab", "position"]
        constraints = [models.UniqueConstraint(fields=["lab", "question"], name="labs_question_once_per_lab")]

    def __str__(self) -> str:
        return f"{self.lab.slug} #{self.position}: {self.question.slug}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    STARTING = "starting", "Starting"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE = (RunStatus.QUEUED, RunStatus.STARTING, RunStatus.RUNNING)
FINISHED = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)


class LabRunQuerySet(models.QuerySet):
    def active(self) -> LabRunQuerySet:
        return self.filter(status__in=ACTIVE)

    def for_user(self, user) -> LabRunQuerySet:
        return self.filter(user=user)

    def fail_stale(self, now: datetime) -> int:
        """Fail every active run whose worker went silent (see LabRun.stale_reason); returns how many."""
        failed = 0
        for run in self.active():
            reason = run.stale_reason(now)
            if reason and run.fail(reason, now):
                failed += 1
        return failed


class LabRun(models.Model):
    lab = models.ForeignKey(Lab, on_delete=models.PROTECT, related_name="runs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lab_runs")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    config = models.JSONField(default=dict, help_text="users, spawn_rate, duration_s, workers, api knobs.")
    task_id = models.CharField(max_length=64, blank=True, help_text="The django.tasks result id.")
    created_at = models.DateTimeField(help_text="When the run was enqueued.")
    started_at = models.DateTimeField(null=True, blank=True)
    running_at = models.DateTimeField(null=True, blank=True, help_text="When the load started.")
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    worker_host = models.CharField(max_length=255, blank=True)
    worker_pid = models.PositiveIntegerField(null=True, blank=True)
    process_groups = models.JSONField(default=list, blank=True, help_text="Process groups to kill if orphaned.")
    results = models.JSONField(default=dict, blank=True)
    log_tail = models.TextField(blank=True, help_text="The end of Locust's and the model API's output.")

    objects = LabRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "lab", "-created_at"]), models.Index(fields=["status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(status__in=["queued", "starting", "running"]),
                name="labs_one_active_run_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.lab_id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("labs-run", args=[self.pk])

    # -- state ------------------------------------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def has_results(self) -> bool:
        return bool(self.results.get("requests"))

    @property
    def process_marker(self) -> str:
        """Set in the environment of every process this run starts (see labs.processes)."""
        return f"labrun-{self.pk}-{int(self.created_at.timestamp() * 1_000_000)}"

    @property
    def duration_s(self) -> int:
        return int(self.config.get("duration_s", 0))

    def elapsed_s(self, now: datetime) -> float:
        if self.running_at is None:
            return 0.0
        end = self.finished_at or now
        elapsed = max(0.0, (end - self.running_at).total_seconds())
        return min(elapsed, float(self.duration_s)) if self.duration_s else elapsed

    def progress(self, now: datetime) -> int:
        """Percent of the planned duration done (100 once finished)."""
        if self.is_finished:
            return 100
        if not self.duration_s:
            return 0
        return min(99, int(100 * self.elapsed_s(now) / self.duration_s))

    def stale_reason(self, now: datetime) -> str:
        """Why this active run can no longer finish, or "" while it is healthy."""
        if not self.is_active:
            return ""
        stale_s = lab_setting("LAB_STALE_AFTER_S", 15)
        if self.heartbeat_at is not None:
            silent = (now - self.heartbeat_at).total_seconds()
            if silent > stale_s:
                return (f"The worker running this lab stopped responding (no heartbeat for {int(silent)} s), "
                        "so the run was stopped. Start it again.")
            if self.worker_host == _host_name() and self.worker_pid and not _pid_alive(self.worker_pid):
                return "The worker running this lab exited in the middle of the run. Start it again."
            return ""
        queue_timeout = lab_setting("LAB_QUEUE_TIMEOUT_S", 300)
        if self.status == RunStatus.QUEUED and (now - self.created_at).total_seconds() > queue_timeout:
            from labs.slots import live_slots

            if live_slots(now) == 0:  # while workers are alive, a long queue waits its turn
                return (f"No task worker picked this run up within {queue_timeout} s. Is the worker running "
                        "(`make run` starts it)?")
        return ""

    def fail(self, reason: str, now: datetime) -> bool:
        """Mark an active run failed and kill whatever it left behind; False if it had already ended."""
        updated = LabRun.objects.filter(pk=self.pk, status__in=ACTIVE).update(
            status=RunStatus.FAILED, failure_reason=reason, finished_at=now
        )
        self.refresh_from_db()
        if updated:
            from labs.processes import kill_run_processes

            kill_run_processes(self)
        return bool(updated)

    def request_cancel(self, now: datetime) -> None:
        """A queued run is cancelled at once; a starting or running one is stopped by its worker."""
        if LabRun.objects.filter(pk=self.pk, status=RunStatus.QUEUED).update(
            status=RunStatus.CANCELLED, finished_at=now, cancel_requested_at=now,
            failure_reason="Cancelled before it started.",
        ):
            self.refresh_from_db()
            return
        LabRun.objects.filter(pk=self.pk, status__in=ACTIVE, cancel_requested_at=None).update(
            cancel_requested_at=now
        )
        self.refresh_from_db()

    def expire_if_stale(self, now: datetime) -> None:
        reason = self.stale_reason(now)
        if reason:
            self.fail(reason, now)

    # -- numbers ----------------------------------------------------------------------------------------

    def measurements(self) -> dict[str, float]:
        """The numbers a checkpoint question may read with `from_run` (see results.measurements)."""
        return results_maths.measurements(self.results_with_diagnosis(), self.config)

    def diagnosis(self) -> dict | None:
        """What the run means (labs/analysis): stored when the run ended; for a run finished before the
        analysis existed, computed now from its samples (not stored). None while it has no results."""
        if not self.results:
            return None
        stored = self.results.get("diagnosis")
        if isinstance(stored, dict) and stored.get("version"):
            return stored
        samples = self.samples_since(with_histogram=True)
        return results_maths.diagnosis_of(self.results, samples, self.config, self.lab.slo_ms,
                                          self.config.get("scenario") or self.lab.scenario, os.cpu_count())

    def results_with_diagnosis(self) -> dict:
        """The results, with the diagnosis (computed for an older run that lacks it)."""
        if not self.results or "diagnosis" in self.results:
            return self.results
        return {**self.results, "diagnosis": self.diagnosis()}

    def samples_since(self, index: int = -1, with_histogram: bool = False) -> list[dict]:
        """The samples after `index`; `with_histogram` adds each second's latency histogram (for the analysis)."""
        return [s.to_dict(with_histogram) for s in self.samples.filter(index__gt=index).order_by("index")]

    def config_summary(self) -> str:
        """One line: "20 users, 30 s, cpu_ms=5"."""
        return results_maths.describe_config(self.config)

    def queue_place(self, now: datetime) -> dict | None:
        """While queued: {place, ahead, slots, wait_s, text} ("2nd in line, about 1 min."), see labs.slots."""
        from labs.slots import queue_place

        return queue_place(self, now)

    def to_dict(self, now: datetime, since: int = -1) -> dict:
        return {
            "id": self.pk,
            "lab": self.lab.slug,
            "status": self.status,
            "config": self.config,
            "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "running_at": self.running_at.isoformat() if self.running_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "elapsed_s": round(self.elapsed_s(now), 1),
            "progress": self.progress(now),
            "cancel_requested": self.cancel_requested_at is not None,
            "queue": self.queue_place(now),
            "failure_reason": self.failure_reason,
            "samples": self.samples_since(since),
            "results": self.results_with_diagnosis() if self.is_finished else self.results,
            "url": self.get_absolute_url(),
        }


def _host_name() -> str:
    from labs.slots import host_name

    return host_name()


def _pid_alive(pid: int) -> bool:
    import psutil

    try:
        process = psutil.Process(pid)
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class RunSample(models.Model):
    """One second of a run, as the telemetry plugin saw it (plus the model API's CPU)."""

    run = models.ForeignKey(LabRun, on_delete=models.CASCADE, related_name="samples")
    index = models.PositiveIntegerField()
    t = models.FloatField(help_text="Seconds since the load started.")
    users = models.PositiveIntegerField(default=0)
    rps = models.FloatField(default=0)
    failures_per_s = models.FloatField(default=0)
    p50_ms = models.FloatField(null=True, blank=True)
    p95_ms = models.FloatField(null=True, blank=True)
    p99_ms = models.FloatField(null=True, blank=True)
    requests = models.PositiveIntegerField(default=0, help_text="Requests so far.")
    failures = models.PositiveIntegerField(default=0, help_text="Failures so far.")
    generator_cpu = models.FloatField(null=True, blank=True, help_text="Busiest Locust process, % of a core.")
    api_cpu = models.FloatField(null=True, blank=True, help_text="All model API processes, % of one core.")
    histogram = models.JSONField(
        default=list, blank=True,
        help_text="The second's latencies, log buckets: [first bucket, counts...] (labs/analysis/histogram.py).",
    )
    # Streamed (LLM) runs only; the percentiles cover the last 3 s, as p50_ms..p99_ms do.
    ttft_p50_ms = models.FloatField(null=True, blank=True, help_text="Time to first token, median (last 3 s).")
    ttft_p99_ms = models.FloatField(null=True, blank=True, help_text="Time to first token, P99 (last 3 s).")
    itl_p50_ms = models.FloatField(null=True, blank=True, help_text="Inter-token gap, median (last 3 s).")
    itl_p99_ms = models.FloatField(null=True, blank=True, help_text="Inter-token gap, P99 (last 3 s).")
    tokens_per_s = models.FloatField(null=True, blank=True, help_text="Output tokens per second (last 3 s).")
    goodput_rps = models.FloatField(null=True, blank=True, help_text="Requests/s that met both SLOs (last 3 s).")

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="labs_one_sample_per_second")]

    def __str__(self) -> str:
        return f"run {self.run_id} t={self.t:.0f}s"

    FIELDS = ("index", "t", "users", "rps", "failures_per_s", "p50_ms", "p95_ms", "p99_ms", "requests", "failures",
              "generator_cpu", "api_cpu", "ttft_p50_ms", "ttft_p99_ms", "itl_p50_ms", "itl_p99_ms", "tokens_per_s",
              "goodput_rps")
    LLM_FIELDS = ("ttft_p50_ms", "ttft_p99_ms", "itl_p50_ms", "itl_p99_ms", "tokens_per_s", "goodput_rps")

    def to_dict(self, with_histogram: bool = False) -> dict:
        row = {name: getattr(self, name) for name in self.FIELDS}
        if with_histogram:
            row["histogram"] = self.histogram
        return row


class LabAnswer(models.Model):
    """A checkpoint answer, graded against the numbers of the run it refers to."""

    run = models.ForeignKey(LabRun, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="lab_answers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lab_answers")
    response = models.JSONField()
    variables = models.JSONField(default=dict, blank=True)
    score = models.FloatField()
    verdict = models.CharField(max_length=16)
    grade = models.JSONField()
    created_at = models.DateTimeField()

    idempotency_key = models.CharField(
        max_length=64, blank=True,
        help_text="Sent by the page with each submission and kept when it retries: a retried answer is stored once.",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["run", "question", "-created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["run", "question", "idempotency_key"],
                                    condition=~Q(idempotency_key=""), name="labs_answer_stored_once_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.question_id} on run {self.run_id}: {self.verdict}"

    @property
    def flag_ref(self) -> str:
        return answer_ref(FLAG_KIND, self.pk)


class LabWorker(models.Model):
    """A `labs_worker` process as it last reported itself (every second or so, idle or busy). The queue's
    wait estimate counts the slots of the live ones; a worker silent for LAB_STALE_AFTER_S is forgotten, so
    a dead host's slots stop counting (its run is failed by LabRun.stale_reason)."""

    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    slots = models.PositiveSmallIntegerField(default=1, help_text="LAB_SLOTS on its host.")
    started_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField()

    class Meta:
        ordering = ["host", "pid"]
        constraints = [models.UniqueConstraint(fields=["host", "pid"], name="labs_one_row_per_worker")]

    def __str__(self) -> str:
        return f"worker {self.pid} on {self.host} ({self.slots} slot(s))"
