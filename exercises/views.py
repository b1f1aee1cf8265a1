"""Exercise pages: the list, an exercise with its editor, and a submission followed live."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from exercises import runner
from exercises.models import Exercise, Submission, SubmissionStatus
from exercises.services import (
    ActiveSubmissionExists,
    InvalidSubmission,
    SandboxUnavailable,
    TooManySubmissions,
    active_submission_for,
    submit,
)

EARLIER = 10


def _get_exercise(slug: str) -> Exercise:
    return get_object_or_404(Exercise.objects.live(), slug=slug)


def _get_submission_for_user(request: HttpRequest, pk: int) -> Submission:
    submission = get_object_or_404(Submission.objects.select_related("exercise"), pk=pk)
    if submission.user_id != request.user.pk:
        raise Http404("No such submission")
    submission.expire_if_stale(timezone.now())
    return submission


def exercise_list(request: HttpRequest) -> HttpResponse:
    exercises = list(Exercise.objects.live())
    passed: set[int] = set()
    tried: set[int] = set()
    if request.user.is_authenticated:
        for exercise_id, status in Submission.objects.filter(user=request.user).values_list("exercise_id", "status"):
            tried.add(exercise_id)
            if status == SubmissionStatus.PASSED:
                passed.add(exercise_id)
    rows = [(e, "passed" if e.pk in passed else "tried" if e.pk in tried else "") for e in exercises]
    return render(request, "exercises/list.html", {"rows": rows, "unavailable": runner.sandbox_unavailable()})


def exercise_detail(request: HttpRequest, slug: str, source: str | None = None, error: str = "",
                    status: int = 200) -> HttpResponse:
    exercise = _get_exercise(slug)
    earlier: list[Submission] = []
    active = None
    if request.user.is_authenticated:
        earlier = list(Submission.objects.filter(exercise=exercise, user=request.user)[:EARLIER])
        active = active_submission_for(request.user, timezone.now())
    latest = earlier[0] if earlier else None
    if source is None:
        source = latest.source if latest is not None else exercise.starting_file
    context = {
        "exercise": exercise,
        "source": source,
        "error": error,
        "earlier": earlier,
        "latest": latest,
        "active": active,
        "passed": any(s.status == SubmissionStatus.PASSED for s in earlier),
        "unavailable": runner.sandbox_unavailable(),
        "checks": exercise.check_titles(),
    }
    return render(request, "exercises/detail.html", context, status=status)


@login_required
@require_POST
def exercise_submit(request: HttpRequest, slug: str) -> HttpResponse:
    exercise = _get_exercise(slug)
    wants_json = "application/json" in request.headers.get("Accept", "")
    source = request.POST.get("locustfile")
    try:
        submission = submit(exercise, request.user, {"locustfile": source}, timezone.now())
    except InvalidSubmission as exc:
        message, code = "; ".join(exc.errors.values()), 400
    except ActiveSubmissionExists as exc:
        message, code = str(exc), 409
    except TooManySubmissions as exc:
        message, code = str(exc), 429
    except SandboxUnavailable as exc:
        message, code = str(exc), 503
    else:
        if wants_json:
            return JsonResponse({"id": submission.pk, "status": submission.status,
                                 "url": submission.get_absolute_url(),
                                 "api_url": f"/api/v1/submissions/{submission.pk}"}, status=201)
        return redirect(submission)
    if wants_json:
        return JsonResponse({"detail": message}, status=code)
    text = source if isinstance(source, str) and len(source) <= 256 * 1024 else None
    return exercise_detail(request, slug, source=text, error=message, status=code)


@login_required
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _get_submission_for_user(request, pk)
    exercise = submission.exercise
    checks = submission.check_rows()
    earlier = list(Submission.objects.filter(exercise=exercise, user=request.user)[:EARLIER])
    return render(request, "exercises/submission.html", {
        "submission": submission, "exercise": exercise, "checks": checks, "earlier": earlier,
        "progress": submission.progress(timezone.now()),
        "passed": submission.status == SubmissionStatus.PASSED,
    })


@login_required
@require_POST
def submission_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Back to the editor with this submission's file in it."""
    submission = _get_submission_for_user(request, pk)
    messages.info(request, f"The editor holds your file from submission #{submission.pk}.")
    return exercise_detail(request, submission.exercise.slug, source=submission.source)
