from rest_framework import serializers

from quizsite.interviews.models import DURATIONS, MAX_ANSWER_CHARS, MAX_QUESTIONS, Interview, Track
from quizsite.questions.models import Topic


class CreateInterviewSerializer(serializers.Serializer):
    track = serializers.ChoiceField(choices=Track.choices, default=Track.GENERAL)
    topics = serializers.SlugRelatedField(
        slug_field="slug", queryset=Topic.objects.filter(is_retired=False), many=True, required=False,
        help_text="Topic ids, for the 'custom' track.",
    )
    duration_minutes = serializers.ChoiceField(choices=DURATIONS, default=30)
    question_count = serializers.IntegerField(min_value=1, max_value=MAX_QUESTIONS, default=3)
    with_interviewer = serializers.BooleanField(default=False)

    def validate(self, data):
        if data["track"] == Track.CUSTOM and not data.get("topics"):
            raise serializers.ValidationError({"topics": ["Choose at least one topic for the custom track."]})
        return data


class SaveAnswerSerializer(serializers.Serializer):
    ANSWER, FOLLOW_UP = "answer", "follow-up"

    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=MAX_ANSWER_CHARS)
    position = serializers.IntegerField(min_value=1, required=False,
                                        help_text="The question number the client shows; a stale save is refused.")
    part = serializers.ChoiceField(
        choices=[ANSWER, FOLLOW_UP], default=ANSWER,
        help_text="The question's answer, or the answer to the follow-up it asked (refused once its time is up).")


class InterviewSerializer(serializers.ModelSerializer):
    track_label = serializers.SerializerMethodField()
    remaining_s = serializers.SerializerMethodField()
    current = serializers.SerializerMethodField()
    interviewer_url = serializers.SerializerMethodField()

    class Meta:
        model = Interview
        fields = ["id", "track", "track_label", "duration_minutes", "question_count", "with_interviewer",
                  "status", "started_at", "deadline", "finished_at", "remaining_s", "current", "score",
                  "interviewer_url"]

    def get_track_label(self, interview: Interview) -> str:
        return interview.track_label()

    def get_remaining_s(self, interview: Interview) -> int:
        return interview.remaining_seconds(self.context["now"])

    def get_current(self, interview: Interview) -> int:
        return interview.current_position + 1

    def get_interviewer_url(self, interview: Interview) -> str | None:
        if not interview.with_interviewer or not interview.interviewer_token:
            return None
        request = self.context.get("request")
        path = interview.interviewer_path()
        return request.build_absolute_uri(path) if request else path
