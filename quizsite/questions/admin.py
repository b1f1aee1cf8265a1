from django.contrib import admin
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from quizsite.questions.models import GradeFlag, Question, Tag, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "position", "is_retired"]
    list_filter = ["is_retired"]
    search_fields = ["slug", "name"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["slug"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "topic", "type", "difficulty", "is_retired", "updated_at"]
    list_filter = ["topic", "type", "difficulty", "competency", "is_retired"]
    list_select_related = ["topic"]
    search_fields = ["slug", "title", "prompt"]
    filter_horizontal = ["tags"]
    readonly_fields = ["source_file", "content_hash", "created_at", "updated_at"]


@admin.register(GradeFlag)
class GradeFlagAdmin(admin.ModelAdmin):
    """Learners' "I think this grade is wrong", by question, with the answer as it was graded: the real answers
    an author reads before fixing a rubric."""

    list_display = ["question_link", "verdict", "score_pct", "answer_excerpt", "comment_excerpt", "source", "status",
                    "created_at"]
    list_display_links = ["answer_excerpt"]
    list_filter = ["status", "source", "verdict", ("question", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["question"]
    search_fields = ["question__slug", "question__title", "answer_text", "comment"]
    ordering = ["question__slug", "-created_at"]
    date_hierarchy = "created_at"
    actions = ["mark_resolved", "reopen"]
    fields = ["question_link", "status", "source", "verdict", "score_pct", "answer_text", "comment", "grade_summary",
              "answer_reference", "user", "session_key", "created_at", "grade"]
    readonly_fields = [f for f in fields if f != "status"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="Question", ordering="question__slug")
    def question_link(self, flag: GradeFlag) -> str:
        return format_html(
            '<a href="{}">{}</a> <small>(<a href="{}">page</a>)</small>',
            reverse("admin:questions_question_change", args=[flag.question_id]), flag.question.slug,
            flag.question.get_absolute_url(),
        )

    @admin.display(description="Score", ordering="score")
    def score_pct(self, flag: GradeFlag) -> str:
        return f"{flag.score:.0%}"

    @admin.display(description="Answer")
    def answer_excerpt(self, flag: GradeFlag) -> str:
        return Truncator(flag.answer_text).chars(120)

    @admin.display(description="Comment")
    def comment_excerpt(self, flag: GradeFlag) -> str:
        return Truncator(flag.comment).chars(80)

    @admin.display(description="Answer record")
    def answer_reference(self, flag: GradeFlag) -> str:
        return flag.answer_ref

    @admin.display(description="What the grader said")
    def grade_summary(self, flag: GradeFlag) -> str:
        rows = [("Found", ", ".join(flag.concepts_found()) or "none"),
                ("Missed", ", ".join(flag.concepts_missed()) or "none"),
                ("Misconceptions", ", ".join(flag.misconceptions()) or "none")]
        return format_html("<dl>{}</dl>", format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))

    @admin.action(description="Mark the selected flags resolved")
    def mark_resolved(self, request, queryset: QuerySet[GradeFlag]) -> None:
        queryset.update(status=GradeFlag.Status.RESOLVED)

    @admin.action(description="Reopen the selected flags")
    def reopen(self, request, queryset: QuerySet[GradeFlag]) -> None:
        queryset.update(status=GradeFlag.Status.OPEN)
