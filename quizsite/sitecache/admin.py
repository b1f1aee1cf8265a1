from django.contrib import admin

from quizsite.sitecache.models import ContentVersion


@admin.register(ContentVersion)
class ContentVersionAdmin(admin.ModelAdmin):
    """Read-only: the version moves by itself when content changes (a bump invalidates every cached read)."""

    list_display = ("version",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
