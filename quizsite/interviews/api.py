"""The interview API: the signed-in candidate's sessions. Every error is JSON (409 for a state conflict).

Follow-ups (solo interviews): `next` and `finish` ask the current question's follow-up first when its answer
missed a core point and time allows; they then answer the current question with its `follow_up` set (and
`finish` does not finish). The follow-up is answered with `answer` and `"part": "follow-up"`; calling
`next` or `finish` again moves on.
"""

from django.utils import timezone
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from quizsite.interviews.models import FollowUp, Interview, InterviewError, InterviewQuestion, NoQuestions
from quizsite.interviews.scorecard import build_scorecard
from quizsite.interviews.serializers import (
    CreateInterviewSerializer,
    InterviewSerializer,
    SaveAnswerSerializer,
)
from quizsite.interviews.services import finish_interview


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "That is not possible in the interview's current state."
    default_code = "conflict"


def _interview_for_user(request, pk: int) -> Interview:
    interview = Interview.objects.filter(pk=pk, user=request.user).first()
    if interview is None:
        raise NotFound("No such interview.")
    return interview


def current_payload(interview: Interview, item: InterviewQuestion, now) -> dict:
    """What the candidate may see of the current question: never the rubric or the model answer."""
    question = item.question
    return {
        "interview": interview.pk,
        "status": interview.status,
        "number": item.number,
        "of": interview.question_count,
        "is_last": interview.is_last_question,
        "question": {
            "id": question.slug,
            "title": question.title,
            "prompt": question.prompt_text(),
            "follow_ups": list(question.follow_ups or []),
            "competency": question.competency,
        },
        "answer": item.answer,
        "follow_up": follow_up_payload(item.get_follow_up(), now),
        "saved_at": item.saved_at.isoformat() if item.saved_at else None,
        "is_late": item.is_late,
        "late_by_s": item.late_by_seconds,
        "question_deadline": item.deadline.isoformat() if item.deadline else None,
        "question_remaining_s": item.remaining_seconds(now),
        "deadline": interview.deadline.isoformat(),
        "remaining_s": interview.remaining_seconds(now),
        "time_up": interview.is_time_up(now),
    }


def follow_up_payload(follow_up: FollowUp | None, now) -> dict | None:
    """The follow-up asked on the current question, as the candidate sees it (its grade comes at the end)."""
    if follow_up is None:
        return None
    return {
        "prompt": follow_up.prompt,
        "answer": follow_up.answer,
        "saved_at": follow_up.saved_at.isoformat() if follow_up.saved_at else None,
        "deadline": follow_up.deadline.isoformat(),
        "remaining_s": follow_up.remaining_seconds(now),
        "time_up": follow_up.is_time_up(now),
    }


class InterviewList(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=InterviewSerializer(many=True))
    def get(self, request):
        interviews = Interview.objects.filter(user=request.user).prefetch_related("topics")[:100]
        return Response(InterviewSerializer(interviews, many=True,
                                            context={"now": timezone.now(), "request": request}).data)

    @extend_schema(request=CreateInterviewSerializer, responses={201: InterviewSerializer})
    def post(self, request):
        serializer = CreateInterviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        now = timezone.now()
        try:
            interview = Interview.start(request.user, data["track"], int(data["duration_minutes"]),
                                        data["question_count"], now, topics=data.get("topics") or [],
                                        with_interviewer=data["with_interviewer"])
        except NoQuestions as exc:
            raise Conflict(str(exc)) from None
        body = InterviewSerializer(interview, context={"now": now, "request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class InterviewDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=InterviewSerializer)
    def get(self, request, pk: int):
        interview = _interview_for_user(request, pk)
        return Response(InterviewSerializer(interview, context={"now": timezone.now(), "request": request}).data)


class CurrentQuestion(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk: int):
        interview = _interview_for_user(request, pk)
        if interview.is_finished:
            raise Conflict("This interview has finished: get its scorecard.")
        return Response(current_payload(interview, interview.current_item(), timezone.now()))


class SaveAnswer(APIView):
    """Save the current answer. Idempotent (PUT or POST); a late save is kept and marked late."""

    permission_classes = [IsAuthenticated]

    def _save(self, request, pk: int):
        interview = _interview_for_user(request, pk)
        serializer = SaveAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        position = data.get("position")
        position0 = position - 1 if position else None
        try:
            if data["part"] == SaveAnswerSerializer.FOLLOW_UP:
                follow_up, changed = interview.save_follow_up(data["text"], timezone.now(), position0)
                return Response({"position": interview.current_position + 1, "part": data["part"],
                                 "saved_at": follow_up.saved_at.isoformat(), "changed": changed,
                                 "is_late": False, "late_by_s": 0})
            item, changed = interview.save_answer(data["text"], timezone.now(), position0)
        except InterviewError as exc:
            raise Conflict(str(exc)) from None
        return Response({"position": item.number, "part": data["part"], "saved_at": item.saved_at.isoformat(),
                         "changed": changed, "is_late": item.is_late, "late_by_s": item.late_by_seconds})

    @extend_schema(request=SaveAnswerSerializer, responses=OpenApiTypes.OBJECT)
    def put(self, request, pk: int):
        return self._save(request, pk)

    @extend_schema(request=SaveAnswerSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk: int):
        return self._save(request, pk)


class NextQuestion(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk: int):
        interview = _interview_for_user(request, pk)
        now = timezone.now()
        try:
            item = interview.advance(now)
        except InterviewError as exc:
            raise Conflict(str(exc)) from None
        return Response(current_payload(interview, item, now))


class FinishInterview(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk: int):
        interview = _interview_for_user(request, pk)
        now = timezone.now()
        if interview.ask_follow_up(now) is not None:
            return Response(current_payload(interview, interview.current_item(), now))
        finish_interview(interview, now)
        return Response(build_scorecard(interview, now).to_dict())


class Scorecard(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk: int):
        interview = _interview_for_user(request, pk)
        if not interview.is_finished:
            raise Conflict("The scorecard is ready when the interview ends.")
        return Response(build_scorecard(interview, timezone.now()).to_dict())
