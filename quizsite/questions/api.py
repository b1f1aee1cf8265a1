from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from quizsite.questions.flags import FlagError, flag_grade
from quizsite.questions.models import GradeFlag, Question, Topic
from quizsite.questions.serializers import (
    GradeFlagRequestSerializer,
    GradeFlagSerializer,
    QuestionDetailSerializer,
    QuestionListSerializer,
    TopicSerializer,
)
from quizsite.questions.views import filtered_questions
from quizsite.sitecache.views import ContentCachedMixin


class TopicList(ContentCachedMixin, generics.ListAPIView):
    serializer_class = TopicSerializer
    pagination_class = None

    def get_queryset(self):
        return Topic.objects.with_question_counts()


@extend_schema(parameters=[
    OpenApiParameter("topic", OpenApiTypes.STR, description="topic id"),
    OpenApiParameter("tag", OpenApiTypes.STR),
    OpenApiParameter("difficulty", OpenApiTypes.INT, enum=[1, 2, 3]),
    OpenApiParameter("type", OpenApiTypes.STR, enum=Question.Type.values),
    OpenApiParameter("q", OpenApiTypes.STR, description="search text"),
])
class QuestionList(ContentCachedMixin, generics.ListAPIView):
    serializer_class = QuestionListSerializer

    def get_queryset(self):
        questions, _ = filtered_questions(self.request.query_params)
        # Only the listed fields: the grading spec, prompt and explanation are the bulk of a row.
        return questions.only("slug", "title", "type", "difficulty", "topic__slug").prefetch_related("tags")


class QuestionDetail(ContentCachedMixin, generics.RetrieveAPIView):
    serializer_class = QuestionDetailSerializer
    content_cache_anonymous_only = True  # a calculated question's numbers are seeded per learner
    lookup_field = "slug"
    lookup_url_kwarg = "slug"

    def get_queryset(self):
        return Question.objects.bank().select_related("topic").prefetch_related("tags")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        if user.is_authenticated:
            context["seed"] = f"user-{user.pk}"
        elif self.request.session.session_key:
            context["seed"] = f"session-{self.request.session.session_key}"
        return context


class FlagRefused(APIException):
    """A flag the service refused, with its status: 404 (not your answer), 409 (already flagged, or the grade
    is not shown yet), 429 (daily cap), 400 (comment too long)."""

    def __init__(self, exc: FlagError):
        self.status_code = exc.status
        super().__init__(str(exc))


class GradeFlags(generics.ListCreateAPIView):
    """Flag the grade of one of your graded answers ("I think this grade is wrong"), or list your flags."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "grade_flag"
    serializer_class = GradeFlagSerializer

    def get_queryset(self):
        return GradeFlag.objects.filter(user=self.request.user).select_related("question").order_by("-created_at")

    @extend_schema(request=GradeFlagRequestSerializer, responses={201: GradeFlagSerializer})
    def post(self, request):
        serializer = GradeFlagRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            flag = flag_grade(data["answer_ref"], request.user, "", data["comment"], timezone.now())
        except FlagError as exc:
            raise FlagRefused(exc) from None
        return Response(GradeFlagSerializer(flag).data, status=status.HTTP_201_CREATED)
