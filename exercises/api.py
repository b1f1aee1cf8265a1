"""The exercises API: list exercises, submit a locustfile, follow a submission.

Every error is JSON: 400 naming the field, 401/403 without an account, 404 for someone else's submission,
409 for a second active submission, 429 past the hourly limit, 503 when the sandbox is unavailable.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from exercises.models import Exercise, Submission
from exercises.services import (
    ActiveSubmissionExists,
    InvalidSubmission,
    SandboxUnavailable,
    TooManySubmissions,
    submit,
)
from quizsite.api import active_conflict, try_later


class Unavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Exercises cannot run on this site."
    default_code = "sandbox_unavailable"


def exercise_summary(exercise: Exercise) -> dict:
    return {
        "slug": exercise.slug,
        "title": exercise.title,
        "summary": exercise.summary,
        "instructions": exercise.instructions,
        "starting_file": exercise.starting_file,
        "run": exercise.run,
        "checks": exercise.check_titles(),
        "url": exercise.get_absolute_url(),
        "submissions_url": f"/api/v1/exercises/{exercise.slug}/submissions",
    }


class ExerciseSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    instructions = serializers.CharField(help_text="Markdown.")
    starting_file = serializers.CharField()
    run = serializers.DictField(help_text="users, spawn_rate, duration_s and the model API's knobs.")
    checks = serializers.ListField(child=serializers.DictField(), help_text="[{id, title}]")
    url = serializers.CharField()
    submissions_url = serializers.CharField()
SubmitSerializer = inline_serializer("SubmissionCreate", {
    "locustfile": serializers.CharField(help_text="The locustfile's Python source (at most 64 KB)."),
})
CreatedSerializer = inline_serializer("SubmissionCreated", {
    "id": serializers.IntegerField(), "status": serializers.CharField(), "url": serializers.CharField(),
})
class CheckSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    passed = serializers.BooleanField(allow_null=True, help_text="null until the check is answered.")
    message = serializers.CharField(help_text="What was seen, e.g. '3,412 requests to /predict, 0 to /healthz'.")
class SubmissionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    exercise = serializers.CharField()
    status = serializers.ChoiceField(choices=["queued", "running", "passed", "failed", "error"])
    checks = CheckSerializer(many=True)
    output = serializers.CharField(help_text="Locust's output (so far, while running).")
    reason = serializers.CharField(help_text="Why it ended in error.")
    progress = serializers.IntegerField(help_text="Percent of the run's duration done.")
    requests = serializers.IntegerField(help_text="Requests the model API recorded.")


class ExerciseList(APIView):
    @extend_schema(responses=ExerciseSerializer(many=True))
    def get(self, request):
        return Response([exercise_summary(e) for e in Exercise.objects.live()])


class ExerciseSubmissions(APIView):
    """POST runs a locustfile for this exercise; GET lists the caller's submissions of it (newest first)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=SubmitSerializer, responses={201: CreatedSerializer})
    def post(self, request, slug: str):
        exercise = get_object_or_404(Exercise.objects.live(), slug=slug)
        try:
            submission = submit(exercise, request.user, request.data, timezone.now())
        except InvalidSubmission as exc:
            raise ValidationError(exc.errors) from None
        except ActiveSubmissionExists as exc:
            raise active_conflict(exc, "submission", exc.submission) from None
        except TooManySubmissions as exc:
            raise try_later(exc) from None
        except SandboxUnavailable as exc:
            raise Unavailable(str(exc)) from None
        return Response({"id": submission.pk, "status": submission.status,
                         "url": f"/api/v1/submissions/{submission.pk}"}, status=status.HTTP_201_CREATED)

    @extend_schema(responses=SubmissionSerializer(many=True))
    def get(self, request, slug: str):
        exercise = get_object_or_404(Exercise.objects.live(), slug=slug)
        now = timezone.now()
        rows = Submission.objects.filter(exercise=exercise, user=request.user).select_related("exercise")[:50]
        return Response([s.to_dict(now) for s in rows])


class SubmissionDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=SubmissionSerializer)
    def get(self, request, pk: int):
        submission = Submission.objects.select_related("exercise").filter(pk=pk).first()
        if submission is None or submission.user_id != request.user.pk:
            raise NotFound("No such submission.")
        now = timezone.now()
        submission.expire_if_stale(now)
        return Response(submission.to_dict(now))
