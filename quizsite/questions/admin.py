from django.contrib import admin

from quizsite.questions.models import Question, Tag, Topic


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
