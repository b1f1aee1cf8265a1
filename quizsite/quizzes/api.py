from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from quizsite.api import IDEMPOTENCY_KEY, idempotency_key
from quizsite.questions.grading import Grade
from quizsite.questions.locks import hidden_question_ids
from quizsite.questions.models import Question
from quizsite.questions.serializers import GradeRequestSerializer, GradeResponseSerializer
from quizsite.quizzes.models import Answer, Attempt, Quiz
from quizsite.quizzes.serializers import (
    AttemptAnswerSerializer,
    AttemptSerializer,
    QuizDetailSerializer,
    QuizSerializer,
    StartAttemptSerializer,
)
from quizsite.quizzes.services import Learner, answer_in_attempt, submit_answer
from quizsite.sitecache.views import ContentCachedMixin
from quizsite.throttling import AnonThrottle, UserThrottle


class GradeAnonThrottle(AnonThrottle):
    scope = "grade_anon"


class GradeUserThrottle(UserThrottle):
    scope = "grade_user"


def grade_payload(question: Question, result: Grade, answer: Answer | None = None) -> dict:
    """The grade as the API shows it; `answer_ref` names the stored answer for POST /api/v1/grade-flags."""
    return {
        **result.to_dict(),
        "counts_as_attempt": result.counts_as_attempt,
        "explanation": question.explanation if result.counts_as_attempt else "",
        "answer_ref": answer.flag_ref if answer is not None else None,
    }


class GradeQuestion(APIView):
    """Grade an answer. Open to anonymous callers (rate limited); signed-in answers are recorded."""

    throttle_classes = [GradeAnonThrottle, GradeUserThrottle]

    @extend_schema(request=GradeRequestSerializer, responses=GradeResponseSerializer, parameters=[IDEMPOTENCY_KEY])
    def post(self, request, slug: str):
        question = get_object_or_404(Question, slug=slug, is_retired=False)
        if question.needs_run:
            return Response(
                {"error": "This question is graded against a lab run's own measurements.",
                 "detail": "Answer it for a run with POST /api/v1/runs/<id>/answers."},
                status=status.HTTP_409_CONFLICT,
            )
        if question.pk in hidden_question_ids(request.user, request.session.session_key or "", timezone.now()):
            message = ("This question is in your exam in progress: answer it in the exam. Its answer and "
                       "explanation come with your results when the exam ends.")
            return Response({"error": message, "detail": message}, status=status.HTTP_409_CONFLICT)
        serializer = GradeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        response = serializer.validated_data["answer"]
        if request.user.is_authenticated:
            learner = Learner(request.user, "")
            result, answer = submit_answer(question, response, learner, timezone.now(), source="api",
                                           idempotency_key=idempotency_key(request))
        else:
            seed = request.session.session_key
            variables = question.variables_for(f"session-{seed}") if seed else question.variables_for("anonymous")
            result, answer = question.grade(response, variables or None), None
        return Response(grade_payload(question, result, answer))


class QuizList(ContentCachedMixin, generics.ListAPIView):
    serializer_class = QuizSerializer
    pagination_class = None

    def get_queryset(self):
        return Quiz.objects.curated().annotate(n_questions=Count("items"))


class QuizDetail(ContentCachedMixin, generics.RetrieveAPIView):
    serializer_class = QuizDetailSerializer
    lookup_field = "slug"
    queryset = Quiz.objects.curated()


def _attempt_for_user(request, pk: int) -> Attempt:
    attempt = Attempt.objects.select_related("quiz").filter(pk=pk).first()
    if attempt is None or attempt.user_id != request.user.pk:
        raise NotFound("No such attempt.")
    return attempt


class StartAttempt(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=StartAttemptSerializer, responses={201: AttemptSerializer})
    def post(self, request, slug: str):
        quiz = get_object_or_404(Quiz.objects.curated(), slug=slug)
        serializer = StartAttemptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        minutes = serializer.validated_data.get("time_limit_minutes")
        now = timezone.now()
        attempt = Attempt.start(quiz, serializer.validated_data["mode"], request.user, "", now,
                                minutes * 60 if minutes else None)
        return Response(AttemptSerializer(attempt, context={"now": now}).data, status=status.HTTP_201_CREATED)


class AttemptDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=AttemptSerializer)
    def get(self, request, pk: int):
        attempt = _attempt_for_user(request, pk)
        now = timezone.now()
        if not attempt.is_finished and attempt.is_past_deadline(now):
            attempt.finish(now)
        return Response(AttemptSerializer(attempt, context={"now": now}).data)


class AttemptAnswer(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=AttemptAnswerSerializer, responses=GradeResponseSerializer, parameters=[IDEMPOTENCY_KEY])
    def post(self, request, pk: int):
        attempt = _attempt_for_user(request, pk)
        serializer = AttemptAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        now = timezone.now()
        if attempt.is_finished:
            raise PermissionDenied("This attempt has finished.")
        if attempt.is_past_deadline(now):
            attempt.finish(now)
            raise PermissionDenied("Time is up: this exam has finished.")
        question = next((q for q in attempt.quiz.ordered_questions()
                         if q.slug == serializer.validated_data["question"]), None)
        if question is None:
            raise ValidationError({"question": ["That question is not in this quiz."]})
        result, answer = answer_in_attempt(attempt, question, serializer.validated_data["answer"],
                                           Learner(request.user, ""), now, idempotency_key(request))
        if attempt.is_exam and answer is not None:
            return Response({"saved": True, "verdict": None, "counts_as_attempt": True})
        return Response(grade_payload(question, result, answer))


class FinishAttempt(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=AttemptSerializer)
    def post(self, request, pk: int):
        attempt = _attempt_for_user(request, pk)
        now = timezone.now()
        attempt.finish(now)
        return Response(AttemptSerializer(attempt, context={"now": now}).data)
