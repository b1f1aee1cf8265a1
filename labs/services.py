"""Starting a run and answering a checkpoint question: the one path used by the pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from labs.loader import caps_from_settings
from labs.models import Lab, LabAnswer, LabRun, RunStatus
from labs.params import validate_request
from quizsite.lib.idempotency import clean_idempotency_key
from quizsite.questions.flags import FlagTarget, response_text
from quizsite.questions.grading import Grade, Verdict
from quizsite.questions.models import AnswerSource, Question
from quizsite.questions.signals import answer_graded
from quizsite.quizzes.services import jsonable_response


class InvalidRun(Exception):
    """The request asks for values the lab or the site does not allow; `errors` is keyed by field."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


class QueueFull(Exception):
    """Too many runs: the site's queue is full or the learner has started their share for the hour."""

    def __init__(self, message: str, retry_after_s: int):
        self.retry_after_s = retry_after_s
        super().__init__(message)


class ActiveRunExists(Exception):
    """A learner has one run at a time; `run` is the one still active."""

    def __init__(self, run: LabRun | None):
        self.run = run
        super().__init__("You already have a lab run queued or running. Wait for it or cancel it first.")


class NotAnswerable(Exception):
    """This run cannot grade this question (it failed, or did not measure what the question needs)."""


def active_run_for(user, now: datetime) -> LabRun | None:
    """The learner's active run, after failing it if its worker went silent."""
    run = LabRun.objects.for_user(user).active().select_related("lab").first()
    if run is not None:
        run.expire_if_stale(now)
        if not run.is_active:
            return None
    return run


def check_queue(user, now: datetime) -> None:
    """QueueFull when the site has LAB_MAX_QUEUED_RUNS runs waiting or running, or this learner has started
    LAB_RUNS_PER_USER_PER_HOUR runs in the last hour: a few accounts cannot keep everyone else's runs waiting
    past the queue timeout."""
    waiting = LabRun.objects.active().count()
    if waiting >= settings.LAB_MAX_QUEUED_RUNS:
        raise QueueFull(f"The lab machine is busy: {waiting} runs are queued or running, this site's limit. "
                        f"Try again in a few minutes.", 60)
    hour_ago = now - timedelta(hours=1)
    recent = list(LabRun.objects.filter(user=user, created_at__gt=hour_ago).order_by("created_at")
                  .values_list("created_at", flat=True)[:settings.LAB_RUNS_PER_USER_PER_HOUR])
    if len(recent) >= settings.LAB_RUNS_PER_USER_PER_HOUR:
        wait = max(1, int((recent[0] - hour_ago).total_seconds()) + 1)
        raise QueueFull(f"You have started {len(recent)} runs in the last hour, this site's limit per learner. "
                        f"Try again in {max(1, round(wait / 60))} minutes.", wait)


def start_run(lab: Lab, user, data: Any, now: datetime) -> LabRun:
    """Check the request, create the run and enqueue it; InvalidRun or ActiveRunExists otherwise."""
    from labs.tasks import run_lab

    checked = validate_request(lab.spec(), data, caps_from_settings())
    if not checked.ok:
        raise InvalidRun(checked.errors)
    active = active_run_for(user, now)
    if active is not None:
        raise ActiveRunExists(active)
    check_queue(user, now)
    try:
        with transaction.atomic():
            run = LabRun.objects.create(lab=lab, user=user, config=checked.config, created_at=now)
            result = run_lab.enqueue(run.pk)
            run.task_id = str(result.id)
            run.save(update_fields=["task_id"])
    except IntegrityError:
        raise ActiveRunExists(LabRun.objects.for_user(user).active().first()) from None
    return run


def question_variables(run: LabRun, question: Question) -> dict[str, float]:
    """The variables that fill and grade a checkpoint question with this run's numbers."""
    if run.status != RunStatus.SUCCEEDED or not run.has_results:
        raise NotAnswerable("Checkpoint questions are graded against a finished run's numbers.")
    if not question.is_calculated:
        return {}
    values = question.variables_for(f"run-{run.pk}")
    measured = run.measurements()
    for name, definition in (question.spec.get("variables") or {}).items():
        if isinstance(definition, dict) and "from_run" in definition:
            key = definition["from_run"]
            if key not in measured:
                raise NotAnswerable(_unmeasured(run, key))
            values[name] = measured[key]
    return values


def _unmeasured(run: LabRun, key: str) -> str:
    """Why a run cannot fill a `from_run` name: for the diagnosis's figures, the diagnosis's own reason."""
    if key == "diagnosis_plateau_rps":
        definition = (run.diagnosis() or {}).get("plateau_definition") or ""
        reason = definition.removeprefix("none: ")
        return (f"This run found no plateau{f' ({reason})' if reason else ''}, which the question needs. "
                f"Run a preset that saturates the API.")
    if key in ("knee_users", "knee_second"):
        return "This run found no knee (throughput still rose with the users), which the question needs."
    return f"This run did not measure {key.replace('_', ' ')}, which the question needs."


@dataclass(frozen=True)
class CheckpointState:
    """How far a learner is with one checkpoint question of one run."""

    used: int
    solved: bool

    @property
    def left(self) -> int:
        return max(settings.LAB_CHECKPOINT_ATTEMPTS - self.used, 0)

    @property
    def revealed(self) -> bool:
        """The expected value and the explanation show once the question is solved or out of attempts."""
        return self.solved or self.left == 0

    def shown(self, grade: Grade) -> Grade:
        """The grade as the learner may see it now."""
        if self.revealed or not grade.counts_as_attempt:
            return grade
        plural = "attempt" if self.left == 1 else "attempts"
        return grade.withheld(f"{self.left} {plural} left on this run; the expected value and the explanation "
                              f"are shown after your last attempt.")


def checkpoint_state(run: LabRun, question: Question) -> CheckpointState:
    verdicts = list(run.answers.filter(question=question).values_list("verdict", flat=True))
    return CheckpointState(used=len(verdicts), solved=str(Verdict.CORRECT) in verdicts)


def answer_checkpoint(run: LabRun, question: Question, response: Any, user,
                      now: datetime, idempotency_key: str = "") -> tuple[Grade, LabAnswer | None]:
    """Grade an answer against the run's numbers and store it with the run. Invalid input is not stored.
    A retry with the same idempotency key returns the answer already stored (runs are the learner's own).
    Each question allows LAB_CHECKPOINT_ATTEMPTS answers per run (a solved one, none more): the grade comes
    back as the learner may see it, without the expected value until the last attempt or a correct one."""
    variables = question_variables(run, question)
    key = clean_idempotency_key(idempotency_key)
    stored = LabAnswer.objects.filter(run=run, question=question, user=user, idempotency_key=key).first() \
        if key else None
    if stored is not None:
        return checkpoint_state(run, question).shown(Grade.from_dict(stored.grade)), stored
    try:
        with transaction.atomic():
            # One answer at a time per run: the attempt count cannot be raced past its limit.
            LabRun.objects.select_for_update().filter(pk=run.pk).first()
            state = checkpoint_state(run, question)
            if state.revealed:
                raise NotAnswerable("This question is settled for this run (answered correctly or out of "
                                    "attempts); its expected value is shown with your answers. Start a new run to "
                                    "try again.")
            result = question.grade(response, variables or None)
            if not result.counts_as_attempt:
                return result, None
            answer = LabAnswer.objects.create(
                run=run, question=question, user=user, response=jsonable_response(response), variables=variables,
                score=result.score, verdict=str(result.verdict), grade=result.to_dict(), created_at=now,
                idempotency_key=key,
            )
    except IntegrityError:  # the same submission arrived twice at once: the other copy stored it
        stored = LabAnswer.objects.get(run=run, question=question, idempotency_key=key)
        return checkpoint_state(run, question).shown(Grade.from_dict(stored.grade)), stored
    answer_graded.send(sender=Question, user=user, question=question, grade=result, source="lab")
    state = CheckpointState(used=state.used + 1, solved=state.solved or result.is_correct)
    return state.shown(result), answer


def flag_target(pk: int, user, session_key: str) -> FlagTarget | None:
    """The learner's own checkpoint answer, for questions.flags (kind "lab")."""
    if user is None or not user.is_authenticated:
        return None
    answer = LabAnswer.objects.select_related("question").filter(pk=pk, user=user).first()
    if answer is None:
        return None
    return FlagTarget(question=answer.question, answer_text=response_text(answer.response), grade=answer.grade,
                      source=AnswerSource.LAB)


MAX_ID = 2**63 - 1  # the largest primary key a database holds: beyond it a lookup fails instead of missing


class CompareError(Exception):
    """Two runs that cannot be compared; `status` is the HTTP status that says why (400, 404 or 409)."""

    def __init__(self, message: str, status: int, field: str = ""):
        self.status = status
        self.field = field
        super().__init__(message)


def _run_id(raw: Any, field: str) -> int:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise CompareError(f"{field} must be the id of one of your runs (a whole number)", 400, field) from None
    if not 1 <= value <= MAX_ID:
        raise CompareError(f"{field} must be the id of one of your runs (a whole number)", 400, field)
    return value


def runs_to_compare(user, raw_a: Any, raw_b: Any) -> tuple[LabRun, LabRun]:
    """The learner's two finished runs of one lab, or CompareError: 400 for a missing or malformed id, 404 for
    a run that is not theirs (someone else's run is not found, as everywhere), 409 for a run that has not
    succeeded or two runs of different labs."""
    a, b = _run_id(raw_a, "a"), _run_id(raw_b, "b")
    if a == b:
        raise CompareError("b must be a different run from a", 400, "b")
    runs = {r.pk: r for r in LabRun.objects.select_related("lab").filter(pk__in=(a, b), user=user)}
    for pk, field in ((a, "a"), (b, "b")):
        if pk not in runs:
            raise CompareError(f"{field}: no run {pk} of yours", 404, field)
    for pk, field in ((a, "a"), (b, "b")):
        run = runs[pk]
        if run.status != RunStatus.SUCCEEDED or not run.has_results:
            raise CompareError(f"run {pk} ({field}) has not finished with results (it is {run.status})", 409, field)
    if runs[a].lab_id != runs[b].lab_id:
        raise CompareError(f"runs {a} and {b} are of different labs ({runs[a].lab.slug}, {runs[b].lab.slug})",
                           409, "b")
    return runs[a], runs[b]


def run_diagnosis(run: LabRun) -> dict | None:
    """The run's diagnosis ("What happened"), or None before the run has finished with results. A run finished
    before the analysis existed gets one computed from its samples (not stored): LabRun.diagnosis()."""
    if not run.has_results:
        return None
    return run.diagnosis() or None


def run_figures(run: LabRun):
    """What the comparison reads of a run (labs.analysis.compare.RunFigures)."""
    from labs.analysis.compare import RunFigures

    return RunFigures(run.pk, {**run.results, "diagnosis": run_diagnosis(run) or {}}, run.config)


def comparison(a: LabRun, b: LabRun) -> dict[str, Any]:
    """Two runs side by side: the figures, what changed in words, and both runs' RPS and P99 a second."""
    from labs.analysis.compare import compare

    result = compare(run_figures(a), run_figures(b))
    result["runs"] = {}
    for key, run in (("a", a), ("b", b)):
        result["runs"][key] = {
            "id": run.pk, "url": run.get_absolute_url(), "config": run.config, "summary": run.config_summary(),
            "created_at": run.created_at.isoformat(),
            "series": [{"t": s["t"], "rps": s["rps"], "p99_ms": s["p99_ms"]} for s in run.samples_since()],
        }
    return result
