"""The labs API: list labs, start a run, follow it, cancel it, answer its checkpoint questions.

Every error is JSON with the right status: 400 naming the field, 401/403 without an account, 404 for
someone else's run, 409 for a second active run or a question the run cannot grade.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from labs.loader import caps_from_settings
from labs.models import Lab, LabRun
from labs.services import (
    ActiveRunExists,
    CompareError,
    InvalidRun,
    NotAnswerable,
    QueueFull,
    answer_checkpoint,
    comparison,
    runs_to_compare,
    start_run,
)
from quizsite.api import IDEMPOTENCY_KEY, Conflict, active_conflict, idempotency_key, try_later
from quizsite.sitecache.views import ContentCachedMixin


def lab_summary(lab: Lab) -> dict:
    return {
        "slug": lab.slug,
        "title": lab.title,
        "summary": lab.summary,
        "scenario": lab.scenario,
        "url": lab.get_absolute_url(),
        "api_url": f"/api/v1/labs/{lab.slug}/",
    }


def lab_detail(lab: Lab) -> dict:
    caps = caps_from_settings()
    return {
        **lab_summary(lab),
        "slo_ms": lab.slo_ms,
        "steps": lab.steps,
        "knobs": lab.spec().to_dict(),
        "limits": {"users": caps.users, "spawn_rate": caps.spawn_rate, "duration_s": caps.duration_s,
                   "workers": caps.workers, "api_workers": caps.api_workers},
        "questions": [{"slug": q.slug, "title": q.title, "type": q.type} for q in lab.checkpoint_questions()],
    }


def _run_for_user(request, pk: int) -> LabRun:
    run = LabRun.objects.select_related("lab").filter(pk=pk).first()
    if run is None or run.user_id != request.user.pk:
        raise NotFound("No such run.")
    run.expire_if_stale(timezone.now())
    return run


RunStartSerializer = inline_serializer("LabRunStart", {
    "users": serializers.IntegerField(required=False),
    "spawn_rate": serializers.FloatField(required=False),
    "duration_s": serializers.IntegerField(required=False),
    "workers": serializers.IntegerField(required=False, help_text="Locust processes; 2 or more runs distributed."),
    "preset": serializers.CharField(required=False),
    "api": serializers.DictField(required=False, help_text="Model API knobs the lab lets you change."),
})
RunCreatedSerializer = inline_serializer("LabRunCreated", {
    "id": serializers.IntegerField(), "status": serializers.CharField(), "url": serializers.CharField(),
})
StepSerializer = inline_serializer("RunDiagnosisStep", {
    "index": serializers.IntegerField(), "users": serializers.IntegerField(),
    "start_s": serializers.FloatField(), "end_s": serializers.FloatField(),
    "steady_start_s": serializers.FloatField(help_text="The step's first seconds are dropped (queue draining)."),
    "rps": serializers.FloatField(allow_null=True, help_text="Median RPS of the steady seconds."),
    "p50_ms": serializers.FloatField(allow_null=True, help_text="From the step's merged latency histogram."),
    "p99_ms": serializers.FloatField(allow_null=True, help_text="From the step's merged latency histogram."),
    "api_cpu_percent": serializers.FloatField(allow_null=True, help_text="Median, % of one core."),
    "errors": serializers.IntegerField(), "error_percent": serializers.FloatField(),
})
CheckSerializer = inline_serializer("RunDiagnosisCheck", {
    "id": serializers.ChoiceField(choices=["littles_law_api", "littles_law_closed_loop", "coordinated_omission"]),
    "ok": serializers.BooleanField(), "message": serializers.CharField(),
    "expected": serializers.FloatField(allow_null=True), "observed": serializers.FloatField(allow_null=True),
})
DiagnosisSerializer = inline_serializer("RunDiagnosis", {
    "version": serializers.IntegerField(),
    "bottleneck": serializers.ChoiceField(choices=["cpu", "io", "blocking", "concurrency_limit", "generator", "none"]),
    "bottleneck_evidence": serializers.ListField(child=serializers.CharField()),
    "plateau_rps": serializers.FloatField(allow_null=True),
    "plateau_definition": serializers.CharField(),
    "knee_users": serializers.IntegerField(allow_null=True),
    "knee_second": serializers.IntegerField(allow_null=True, help_text="Seconds since the load started."),
    "capacity_at_slo_rps": serializers.FloatField(allow_null=True),
    "slo_ms": serializers.FloatField(allow_null=True),
    "first_breach": inline_serializer("RunDiagnosisBreach", {
        "second": serializers.IntegerField(), "users": serializers.IntegerField(),
        "rps": serializers.FloatField(allow_null=True)}, allow_null=True),
    "warmup_s": serializers.FloatField(),
    "phases": inline_serializer("RunDiagnosisPhase", {
        "kind": serializers.ChoiceField(choices=["warmup", "ramp", "steady"]),
        "start_s": serializers.FloatField(), "end_s": serializers.FloatField()}, many=True),
    "steps": StepSerializer.__class__(many=True),
    "checks": CheckSerializer.__class__(many=True),
    "findings": inline_serializer("RunDiagnosisFinding", {
        "id": serializers.CharField(), "title": serializers.CharField(), "text": serializers.CharField()}, many=True),
    "summary": serializers.CharField(help_text="How you would say it in an interview."),
}, allow_null=True, help_text="What the run means (labs/analysis); null while the run has no results.")
RunResultsSerializer = inline_serializer("LabRunResults", {
    "diagnosis": DiagnosisSerializer,
}, help_text="Every figure of the finished run (content/README.md, Labs) plus its diagnosis.")
RunSerializer = inline_serializer("LabRun", {
    "id": serializers.IntegerField(),
    "lab": serializers.CharField(),
    "status": serializers.CharField(),
    "config": serializers.DictField(),
    "progress": serializers.IntegerField(),
    "failure_reason": serializers.CharField(),
    "samples": serializers.ListField(child=serializers.DictField()),
    "results": RunResultsSerializer,
    "queue": serializers.DictField(allow_null=True, help_text=(
        "While queued: place (1 = next), ahead, slots (runs the live lab workers carry at once), wait_s (estimated "
        "from the runs ahead and recent run lengths; null without a live worker) and text (\"2nd in line, about "
        "1 min.\"); null once the run has started.")),
})


class AnswerSerializer(serializers.Serializer):
    question = serializers.CharField(help_text="The checkpoint question's id.")
    answer = serializers.JSONField(help_text="A number with or without a unit, a choice id, or a list of ids.")


class LabList(ContentCachedMixin, APIView):
    @extend_schema(responses=inline_serializer("LabSummary", {"slug": serializers.CharField()}, many=True))
    def get(self, request):
        return Response([lab_summary(lab) for lab in Lab.objects.live()])


class LabDetail(ContentCachedMixin, APIView):
    @extend_schema(responses=inline_serializer("LabDetail", {"slug": serializers.CharField()}))
    def get(self, request, slug: str):
        return Response(lab_detail(get_object_or_404(Lab.objects.live(), slug=slug)))


class LabRuns(APIView):
    """POST starts a run of the lab; GET lists the caller's runs of it (newest first)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=RunStartSerializer, responses={201: RunCreatedSerializer})
    def post(self, request, slug: str):
        lab = get_object_or_404(Lab.objects.live(), slug=slug)
        try:
            run = start_run(lab, request.user, request.data, timezone.now())
        except InvalidRun as exc:
            raise ValidationError(exc.errors) from None
        except ActiveRunExists as exc:
            raise active_conflict(exc, "run", exc.run) from None
        except QueueFull as exc:
            raise try_later(exc) from None
        return Response({"id": run.pk, "status": run.status, "url": f"/api/v1/runs/{run.pk}"},
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses=inline_serializer("LabRunListItem", {
        "id": serializers.IntegerField(), "status": serializers.CharField(), "config": serializers.DictField(),
        "results": serializers.DictField()}, many=True))
    def get(self, request, slug: str):
        lab = get_object_or_404(Lab.objects.live(), slug=slug)
        runs = LabRun.objects.filter(lab=lab, user=request.user).order_by("-created_at", "-pk")[:50]
        return Response([{"id": r.pk, "status": r.status, "config": r.config, "created_at": r.created_at,
                          "results": {k: v for k, v in r.results.items() if not isinstance(v, (list, dict))}}
                         for r in runs])


class RunDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("since", int, description="Only samples with an index above this one.")],
        responses=RunSerializer,
    )
    def get(self, request, pk: int):
        run = _run_for_user(request, pk)
        try:
            since = int(request.query_params.get("since", -1))
        except ValueError:
            raise ValidationError({"since": "must be a whole number"}) from None
        return Response(run.to_dict(timezone.now(), since=since))


CompareRowSerializer = inline_serializer("LabRunCompareRow", many=True, fields={
    "id": serializers.CharField(), "label": serializers.CharField(), "unit": serializers.CharField(),
    "a": serializers.FloatField(allow_null=True), "b": serializers.FloatField(allow_null=True),
    "ratio": serializers.FloatField(allow_null=True, help_text="b / a"),
    "change": serializers.CharField(help_text='"halved", "doubled", "rose by 35%", ... or "" when not comparable'),
})
CompareSerializer = inline_serializer("LabRunCompare", {
    "a": serializers.IntegerField(), "b": serializers.IntegerField(),
    "rows": CompareRowSerializer,
    "changes": serializers.ListField(child=serializers.CharField(), help_text="What changed from a to b, in words."),
    "summary": serializers.CharField(),
    "bottleneck": serializers.DictField(child=serializers.CharField(allow_null=True)),
    "config_changes": serializers.ListField(child=serializers.DictField()),
    "runs": serializers.DictField(help_text="a and b: id, url, config, summary, created_at, series [{t, rps, p99_ms}]"),
})


class RunCompare(APIView):
    """Two of the caller's finished runs of one lab side by side, and what changed from a to b."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("a", int, required=True, description="The baseline run's id."),
                    OpenApiParameter("b", int, required=True, description="The run compared with it.")],
        responses={200: CompareSerializer},
    )
    def get(self, request):
        try:
            a, b = runs_to_compare(request.user, request.query_params.get("a"), request.query_params.get("b"))
        except CompareError as exc:
            if exc.status == 404:
                raise NotFound(str(exc)) from None
            if exc.status == 409:
                raise Conflict(str(exc)) from None
            raise ValidationError({exc.field or "detail": str(exc)}) from None
        return Response(comparison(a, b))


class RunCancel(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=RunCreatedSerializer)
    def post(self, request, pk: int):
        run = _run_for_user(request, pk)
        if not run.is_active:
            raise Conflict(f"This run has already ended ({run.status}).")
        run.request_cancel(timezone.now())
        return Response({"id": run.pk, "status": run.status, "url": f"/api/v1/runs/{run.pk}",
                         "cancel_requested": True}, status=status.HTTP_202_ACCEPTED)


class RunAnswers(APIView):
    """Answer a checkpoint question, graded against this run's numbers."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=AnswerSerializer, parameters=[IDEMPOTENCY_KEY], responses=inline_serializer("LabGrade", {
        "verdict": serializers.CharField(), "score": serializers.FloatField()}))
    def post(self, request, pk: int):
        run = _run_for_user(request, pk)
        serializer = AnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        slug = serializer.validated_data["question"]
        question = next((q for q in run.lab.checkpoint_questions() if q.slug == slug), None)
        if question is None:
            raise ValidationError({"question": f"{slug!r} is not a checkpoint question of this lab"})
        try:
            result, answer = answer_checkpoint(run, question, serializer.validated_data["answer"], request.user,
                                               timezone.now(), idempotency_key(request))
        except NotAnswerable as exc:
            raise Conflict(str(exc)) from None
        payload = {**result.to_dict(), "counts_as_attempt": result.counts_as_attempt,
                   "answer_id": answer.pk if answer else None, "answer_ref": answer.flag_ref if answer else None}
        return Response(payload, status=status.HTTP_200_OK if answer else status.HTTP_400_BAD_REQUEST)
