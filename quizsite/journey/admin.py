from django.contrib import admin

from quizsite.journey.models import LessonRead


@admin.register(LessonRead)
class LessonReadAdmin(admin.ModelAdmin):
    list_display = ["user", "lesson", "read_at"]
    list_filter = ["lesson"]
    raw_id_fields = ["user"]
    search_fields = ["user__username"]
