from django.contrib import admin

from quizsite.quizzes.models import Answer, Attempt, Quiz, QuizItem


class QuizItemInline(admin.TabularInline):
    model = QuizItem
    raw_id_fields = ["question"]
    extra = 0


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "is_curated", "owner", "default_mode", "is_retired"]
    list_filter = ["is_curated", "is_retired", "default_mode"]
    search_fields = ["slug", "title"]
    inlines = [QuizItemInline]
    raw_id_fields = ["owner"]


@admin.register(QuizItem)
class QuizItemAdmin(admin.ModelAdmin):
    list_display = ["quiz", "position", "question"]
    raw_id_fields = ["quiz", "question"]


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ["pk", "quiz", "user", "mode", "started_at", "finished_at", "score"]
    list_filter = ["mode"]
    raw_id_fields = ["quiz", "user"]
    date_hierarchy = "started_at"


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ["pk", "question", "user", "verdict", "score", "is_late", "created_at"]
    list_filter = ["verdict", "is_late"]
    raw_id_fields = ["question", "attempt", "user"]
    date_hierarchy = "created_at"
