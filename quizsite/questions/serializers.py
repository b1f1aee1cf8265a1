from rest_framework import serializers

from quizsite.questions.models import GradeFlag, Question, Topic


class TopicSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="slug")
    question_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Topic
        fields = ["id", "name", "description", "question_count"]


class QuestionListSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="slug")
    topic = serializers.CharField(source="topic.slug")
    difficulty = serializers.CharField(source="get_difficulty_display")
    tags = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = ["id", "title", "topic", "type", "difficulty", "tags", "url"]

    def get_tags(self, question: Question) -> list[str]:
        return [tag.slug for tag in question.tags.all()]

    def get_url(self, question: Question) -> str:
        return question.get_absolute_url()

    def to_representation(self, question: Question) -> dict:
        """The fields above, built directly: DRF's generic field walk (a signature inspection per source
        attribute per row) was most of a page of questions' serialisation time. Same keys, same values."""
        return {
            "id": question.slug,
            "title": question.title,
            "topic": question.topic.slug,
            "type": question.type,
            "difficulty": question.get_difficulty_display(),
            "tags": self.get_tags(question),
            "url": self.get_url(question),
        }


class QuestionDetailSerializer(QuestionListSerializer):
    """Everything a learner may see before answering: never the answer key."""

    prompt = serializers.SerializerMethodField()
    choices = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField()
    variables = serializers.SerializerMethodField()

    class Meta(QuestionListSerializer.Meta):
        fields = QuestionListSerializer.Meta.fields + ["prompt", "choices", "unit", "variables"]

    def to_representation(self, question: Question) -> dict:
        return {**super().to_representation(question), "prompt": self.get_prompt(question),
                "choices": self.get_choices(question), "unit": self.get_unit(question),
                "variables": self.get_variables(question)}

    def _variables(self, question: Question) -> dict:
        seed = self.context.get("seed")
        return question.variables_for(seed) if seed and question.is_calculated else {}

    def get_prompt(self, question: Question) -> str:
        return question.prompt_text(self._variables(question))

    def get_choices(self, question: Question) -> list[dict[str, str]]:
        return question.public_choices()

    def get_unit(self, question: Question) -> str:
        return question.unit()

    def get_variables(self, question: Question) -> dict:
        return self._variables(question)


class GradeRequestSerializer(serializers.Serializer):
    answer = serializers.JSONField(help_text="A choice id, a list of ids, a number or text such as '200 ms'.")


class GradeResponseSerializer(serializers.Serializer):
    score = serializers.FloatField()
    verdict = serializers.ChoiceField(choices=["correct", "partial", "incorrect", "invalid"])
    label = serializers.CharField(help_text='The verdict in words: "Correct", "Mostly right", "Partly right", '
                                  '"Not yet" or "Not graded".')
    feedback = serializers.ListField(child=serializers.CharField())
    expected = serializers.CharField()
    concepts_found = serializers.ListField(child=serializers.DictField())
    concepts_missed = serializers.ListField(child=serializers.DictField())
    misconceptions = serializers.ListField(child=serializers.DictField())
    explanation = serializers.CharField()
    answer_ref = serializers.CharField(
        allow_null=True, help_text="The stored answer, to flag its grade (POST /api/v1/grade-flags); null when "
                                   "nothing was stored (anonymous callers, invalid input).")


class GradeFlagRequestSerializer(serializers.Serializer):
    answer_ref = serializers.CharField(
        max_length=64, help_text='The graded answer, as `answer_ref` in a grade (e.g. "answer:12").')
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="",
                                    help_text="Optional: what the grader got wrong.")


class GradeFlagSerializer(serializers.ModelSerializer):
    question = serializers.CharField(source="question.slug")
    answer_ref = serializers.CharField()

    class Meta:
        model = GradeFlag
        fields = ["id", "answer_ref", "question", "source", "answer_text", "score", "verdict", "grade", "comment",
                  "status", "created_at"]
