from django.db.models import Count, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics

from quizsite.questions.models import Question, Topic
from quizsite.questions.serializers import QuestionDetailSerializer, QuestionListSerializer, TopicSerializer
from quizsite.questions.views import filtered_questions


class TopicList(generics.ListAPIView):
    serializer_class = TopicSerializer
    pagination_class = None

    def get_queryset(self):
        return Topic.objects.filter(is_retired=False).annotate(
            question_count=Count("questions", filter=Q(questions__is_retired=False))
        )


@extend_schema(parameters=[
    OpenApiParameter("topic", OpenApiTypes.STR, description="topic id"),
    OpenApiParameter("tag", OpenApiTypes.STR),
    OpenApiParameter("difficulty", OpenApiTypes.INT, enum=[1, 2, 3]),
    OpenApiParameter("type", OpenApiTypes.STR, enum=Question.Type.values),
    OpenApiParameter("q", OpenApiTypes.STR, description="search text"),
])
class QuestionList(generics.ListAPIView):
    serializer_class = QuestionListSerializer

    def get_queryset(self):
        questions, _ = filtered_questions(self.request.query_params)
        return questions.prefetch_related("tags")


class QuestionDetail(generics.RetrieveAPIView):
    serializer_class = QuestionDetailSerializer
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
