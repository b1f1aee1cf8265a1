"""Quizzes, attempts at them, and every graded answer."""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from quizsite.questions.flags import answer_ref
from quizsite.questions.grading import Grade
from quizsite.questions.models import AnswerSource, Question


FLAG_KIND = "answer"


def new_seed() -> str:
    return secrets.token_hex(8)


class Mode(models.TextChoices):
    PRACTICE = "practice", "Practice: feedback at once, retry allowed"
    EXAM = "exam", "Exam: feedback at the end"


class QuizQuerySet(models.QuerySet):
    def curated(self) -> "QuizQuerySet":
        return self.filter(is_curated=True, is_retired=False)


class Quiz(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_curated = models.BooleanField(default=False, help_text="Loaded from content files.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    default_mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.PRACTICE)
    time_limit_s = models.PositiveIntegerField(null=True, blank=True)
    questions = models.ManyToManyField(Question, through="QuizItem", related_name="quizzes")
    source_file = models.CharField(max_length=300, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    is_retired = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = QuizQuerySet.as_manager()

    class Meta:
        ordering = ["-is_curated", "title"]
        verbose_name_plural = "quizzes"

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("quizzes-detail", args=[self.slug])

    def ordered_questions(self) -> list[Question]:
        items = self.items.select_related("question__topic").filter(question__is_retired=False)
        return [item.question for item in items.order_by("position")]

    @staticmethod
    def new_slug() -> str:
        return f"custom-{secrets.token_hex(5)}"


class QuizItem(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="quiz_items")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["quiz", "question"], name="quiz_item_unique")]

    def __str__(self) -> str:
        return f"{self.quiz.slug} #{self.position}: {self.question.slug}"


class Attempt(models.Model):
    """One sitting of a quiz by a signed-in learner or an anonymous session."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.PRACTICE)
    seed = models.CharField(max_length=32, default=new_seed)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.quiz.slug} attempt {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("quizzes-attempt", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    @property
    def is_exam(self) -> bool:
        return self.mode == Mode.EXAM

    def is_past_deadline(self, now: datetime) -> bool:
        return self.deadline is not None and now >= self.deadline

    def remaining_seconds(self, now: datetime) -> int | None:
        if self.deadline is None:
            return None
        return max(0, int((self.deadline - now).total_seconds()))

    def belongs_to(self, user, session_key: str | None) -> bool:
        if self.user_id is not None:
            return user.is_authenticated and user.pk == self.user_id
        return bool(session_key) and session_key == self.session_key

    def seed_for_variants(self) -> str:
        """Calculated questions vary per learner, and stay the same across their attempts."""
        if self.user_id:
            return f"user-{self.user_id}"
        return f"session-{self.session_key}"

    def latest_answers(self) -> dict[int, "Answer"]:
        """The answer that counts for each question: the latest one."""
        latest: dict[int, Answer] = {}
        for answer in self.answers.order_by("created_at", "pk"):
            latest[answer.question_id] = answer
        return latest

    def compute_score(self, questions: list[Question]) -> float:
        latest = self.latest_answers()
        if not questions:
            return 0.0
        return sum(latest[q.pk].score for q in questions if q.pk in latest) / len(questions)

    def finish(self, now: datetime) -> None:
        if self.finished_at is None:
            self.finished_at = min(now, self.deadline) if self.deadline else now
            self.score = self.compute_score(self.quiz.ordered_questions())
            self.save(update_fields=["finished_at", "score"])

    def results_by_topic(self) -> list[dict]:
        """Score per topic, for the results chart: the mean of each question's counted score."""
        questions = self.quiz.ordered_questions()
        latest = self.latest_answers()
        by_topic: dict[int, dict] = {}
        for question in questions:
            row = by_topic.setdefault(
                question.topic_id, {"topic": question.topic, "questions": 0, "answered": 0, "total": 0.0}
            )
            row["questions"] += 1
            if question.pk in latest:
                row["answered"] += 1
                row["total"] += latest[question.pk].score
        for row in by_topic.values():
            row["score"] = row["total"] / row["questions"]
        return list(by_topic.values())

    @classmethod
    def start(cls, quiz: Quiz, mode: str, user, session_key: str, now: datetime,
              time_limit_s: int | None = None) -> "Attempt":
        limit = time_limit_s if time_limit_s is not None else quiz.time_limit_s
        deadline = now + timedelta(seconds=limit) if (limit and mode == Mode.EXAM) else None
        return cls.objects.create(
            quiz=quiz,
            user=user if user.is_authenticated else None,
            session_key="" if user.is_authenticated else session_key,
            mode=mode,
            started_at=now,
            deadline=deadline,
        )


class Answer(models.Model):
    """A graded answer. Invalid input is never stored: it costs no attempt."""

    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    attempt = models.ForeignKey(Attempt, null=True, blank=True, on_delete=models.CASCADE, related_name="answers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    response = models.JSONField()
    variables = models.JSONField(default=dict, blank=True)
    score = models.FloatField()
    verdict = models.CharField(max_length=16)
    grade = models.JSONField()
    is_late = models.BooleanField(default=False)
    source = models.CharField(max_length=16, choices=AnswerSource.choices, default=AnswerSource.QUESTION)
    created_at = models.DateTimeField()
    idempotency_key = models.CharField(
        max_length=64, blank=True,
        help_text="Sent by the page with each submission and kept when it retries: a retried answer is stored once.",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["question", "idempotency_key"], condition=~Q(idempotency_key=""),
                                    name="quizzes_answer_stored_once_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.question.slug}: {self.verdict} ({self.score:.2f})"

    def get_grade(self) -> Grade:
        return Grade.from_dict(self.grade)

    @property
    def grade_is_shown(self) -> bool:
        """An exam's grades are shown when it ends; every other answer's grade at once."""
        return self.attempt is None or not self.attempt.is_exam or self.attempt.is_finished

    def belongs_to(self, user, session_key: str) -> bool:
        if self.user_id is not None:
            return bool(user is not None and user.is_authenticated and user.pk == self.user_id)
        return bool(session_key) and session_key == self.session_key

    @property
    def flag_ref(self) -> str:
        return answer_ref(FLAG_KIND, self.pk)
