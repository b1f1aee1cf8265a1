from django.contrib import admin

from quizsite.interviews.models import FollowUp, Interview, InterviewQuestion


class InterviewQuestionInline(admin.TabularInline):
    model = InterviewQuestion
    fields = ["position", "question", "started_at", "ended_at", "saved_at", "is_late", "override_score"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Interview)
class InterviewAdmin(admin.ModelAdmin):
    list_display = ["pk", "user", "track", "duration_minutes", "question_count", "with_interviewer", "status",
                    "started_at", "score"]
    list_filter = ["status", "track", "with_interviewer"]
    raw_id_fields = ["user"]
    search_fields = ["user__username"]
    inlines = [InterviewQuestionInline]


@admin.register(InterviewQuestion)
class InterviewQuestionAdmin(admin.ModelAdmin):
    list_display = ["interview", "position", "question", "saved_at", "is_late", "override_score"]
    list_filter = ["is_late"]
    raw_id_fields = ["interview", "question"]


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["item", "concept_id", "asked_at", "saved_at"]
    raw_id_fields = ["item"]
    search_fields = ["concept_id", "prompt", "answer"]
