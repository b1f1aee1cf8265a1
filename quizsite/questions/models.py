"""Topics and questions. Content files are the source of truth; these rows mirror them."""

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse

from quizsite.lib.markdown import render_markdown
from quizsite.questions.grading import Grade, grade, render_template, sample_variables


class TopicQuerySet(models.QuerySet):
    def with_question_counts(self) -> "TopicQuerySet":
        """Live topics, each with question_count: its questions a learner can answer anywhere, the same
        set the question list and the API's questions show (lab checkpoints need a run, so they are not
        counted)."""
        return self.filter(is_retired=False).annotate(
            question_count=models.Count(
                "questions", filter=models.Q(questions__is_retired=False, questions__needs_run=False))
        )


class Topic(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    is_retired = models.BooleanField(default=False)

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("questions-list") + f"?topic={self.slug}"


class Tag(models.Model):
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class QuestionQuerySet(models.QuerySet):
    def live(self) -> "QuestionQuerySet":
        return self.filter(is_retired=False)

    def bank(self) -> "QuestionQuerySet":
        """Live questions a learner can answer anywhere (not lab checkpoints, which need a run)."""
        return self.live().filter(needs_run=False)


class Question(models.Model):
    class Type(models.TextChoices):
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple choice"
        NUMERIC = "numeric", "Numeric"
        CALCULATED = "calculated", "Calculated"
        RUBRIC = "rubric", "Free text"

    class Difficulty(models.IntegerChoices):
        EASY = 1, "Easy"
        MEDIUM = 2, "Medium"
        HARD = 3, "Hard"

    class Competency(models.TextChoices):
        MEASUREMENT = "measurement", "Measurement"
        DIAGNOSIS = "diagnosis", "Diagnosis"
        SCALING = "scaling", "Scaling strategy"
        TRADEOFFS = "tradeoffs", "Trade-offs"
        COMMUNICATION = "communication", "Communication"

    slug = models.SlugField(max_length=100, unique=True)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="questions")
    type = models.CharField(max_length=16, choices=Type.choices)
    difficulty = models.PositiveSmallIntegerField(choices=Difficulty.choices, default=Difficulty.MEDIUM)
    competency = models.CharField(max_length=16, choices=Competency.choices, default=Competency.MEASUREMENT)
    title = models.CharField(max_length=200)
    prompt = models.TextField(help_text="Markdown; {{ name }} is replaced by a variable's value.")
    explanation = models.TextField(blank=True, help_text="Markdown shown after answering.")
    spec = models.JSONField(help_text="The grading spec, answer key included. Never sent before answering.")
    follow_ups = models.JSONField(default=list, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="questions")
    source_file = models.CharField(max_length=300, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    is_retired = models.BooleanField(default=False)
    needs_run = models.BooleanField(
        default=False, editable=False, help_text="Graded against a lab run's measurements (set from the spec)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["topic__position", "difficulty", "slug"]
        indexes = [models.Index(fields=["is_retired", "topic", "difficulty"])]

    def __str__(self) -> str:
        return self.slug

    def save(self, *args, **kwargs) -> None:
        self.needs_run = self.uses_run_variables
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("questions-detail", args=[self.slug])

    @property
    def is_choice(self) -> bool:
        return self.type in (self.Type.SINGLE, self.Type.MULTIPLE)

    @property
    def is_free_text(self) -> bool:
        return self.type == self.Type.RUBRIC

    @property
    def is_calculated(self) -> bool:
        return self.type == self.Type.CALCULATED

    @property
    def uses_run_variables(self) -> bool:
        variables = self.spec.get("variables") or {}
        return any(isinstance(v, dict) and "from_run" in v for v in variables.values())

    def variables_for(self, seed: str) -> dict[str, float]:
        """The seeded variant of a calculated question for one learner (empty for other types)."""
        if not self.is_calculated:
            return {}
        return sample_variables(self.spec, f"{seed}:{self.slug}")

    def prompt_text(self, variables: dict | None = None) -> str:
        return render_template(self.prompt, variables) if variables else self.prompt

    def prompt_html(self, variables: dict | None = None) -> str:
        return render_markdown(self.prompt_text(variables))

    def explanation_html(self, variables: dict | None = None) -> str:
        text = render_template(self.explanation, variables) if variables else self.explanation
        return render_markdown(text)

    def model_answer_html(self) -> str:
        return render_markdown(self.spec.get("model_answer", ""))

    def public_choices(self) -> list[dict[str, str]]:
        """Choices without the key: what a learner may see before answering."""
        return [{"id": c["id"], "text": c["text"]} for c in self.spec.get("choices", [])]

    def unit(self) -> str:
        return self.spec.get("unit", "")

    def grade(self, response: Any, variables: dict | None = None) -> Grade:
        return grade(self.spec, response, variables)

    def rubric_concepts(self) -> list[dict]:
        return list(self.spec.get("concepts", []))



class AnswerSource(models.TextChoices):
    """Where a graded answer was given (the `source` of questions.signals.answer_graded)."""

    QUESTION = "question", "Question page"
    API = "api", "Grading API"
    QUIZ = "quiz", "Quiz"
    INTERVIEW = "interview", "Mock interview"
    LAB = "lab", "Lab checkpoint"


class GradeFlag(models.Model):
    """A learner's "I think this grade is wrong" on one graded answer, for authors to fix rubrics from.

    The answer text and the grade are copied from the server's own record of the answer when the flag is
    made (never from what the client posts), and `answer_kind`/`answer_id` point back at that record
    (see quizsite.questions.flags). One flag per answer.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="grade_flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="grade_flags")
    session_key = models.CharField(max_length=64, blank=True, help_text="The anonymous visitor's session.")
    source = models.CharField(max_length=16, choices=AnswerSource.choices)
    answer_kind = models.CharField(max_length=16, help_text="Which record the answer is (see questions.flags).")
    answer_id = models.PositiveBigIntegerField()
    answer_text = models.TextField()
    grade = models.JSONField(help_text="The grade as the server gave it: score, verdict, concepts, misconceptions.")
    score = models.FloatField()
    verdict = models.CharField(max_length=16)
    comment = models.TextField(blank=True, max_length=1000)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["question__slug", "-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["answer_kind", "answer_id"], name="grade_flag_once")]
        indexes = [models.Index(fields=["status", "question"])]

    def __str__(self) -> str:
        return f"{self.question.slug}: {self.verdict} ({self.score:.2f}) flagged"

    @property
    def answer_ref(self) -> str:
        return f"{self.answer_kind}:{self.answer_id}"

    def concepts_found(self) -> list[str]:
        return [str(c.get("label") or c.get("id")) for c in self.grade.get("concepts_found", [])]

    def concepts_missed(self) -> list[str]:
        return [str(c.get("label") or c.get("id")) for c in self.grade.get("concepts_missed", [])]

    def misconceptions(self) -> list[str]:
        return [str(m.get("label") or m.get("id")) for m in self.grade.get("misconceptions", [])]
