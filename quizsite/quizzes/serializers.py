from rest_framework import serializers

from quizsite.quizzes.models import Attempt, Mode, Quiz


class QuizSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="slug")
    question_count = serializers.SerializerMethodField()

    class Meta:
        model = Quiz
        fields = ["id", "title", "description", "default_mode", "time_limit_s", "question_count"]

    def get_question_count(self, quiz: Quiz) -> int:
        return getattr(quiz, "n_questions", None) or quiz.items.count()


class QuizDetailSerializer(QuizSerializer):
    questions = serializers.SerializerMethodField()

    class Meta(QuizSerializer.Meta):
        fields = QuizSerializer.Meta.fields + ["questions"]

    def get_questions(self, quiz: Quiz) -> list[dict]:
        return [{"id": q.slug, "title": q.title, "type": q.type} for q in quiz.ordered_questions()]


class StartAttemptSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=Mode.choices, default=Mode.PRACTICE)
    time_limit_minutes = serializers.IntegerField(min_value=1, max_value=240, required=False, allow_null=True)


class AttemptAnswerSerializer(serializers.Serializer):
    question = serializers.SlugField(help_text="question id")
    answer = serializers.JSONField()


class AttemptSerializer(serializers.ModelSerializer):
    quiz = serializers.CharField(source="quiz.slug")
    remaining_s = serializers.SerializerMethodField()
    questions = serializers.SerializerMethodField()

    class Meta:
        model = Attempt
        fields = ["id", "quiz", "mode", "started_at", "deadline", "finished_at", "score", "remaining_s", "questions"]

    def get_remaining_s(self, attempt: Attempt) -> int | None:
        return attempt.remaining_seconds(self.context["now"])

    def get_questions(self, attempt: Attempt) -> list[dict]:
        latest = attempt.latest_answers()
        reveal = not attempt.is_exam or attempt.is_finished
        rows = []
        for question in attempt.quiz.ordered_questions():
            answer = latest.get(question.pk)
            row = {"id": question.slug, "title": question.title, "answered": answer is not None}
            if answer is not None and reveal:
                row.update(score=answer.score, verdict=answer.verdict, answer_ref=answer.flag_ref)
            rows.append(row)
        return rows
