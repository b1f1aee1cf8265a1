from django.contrib import admin

from labs.models import Lab, LabAnswer, LabQuestion, LabRun, LabWorker, RunSample


class LabQuestionInline(admin.TabularInline):
    model = LabQuestion
    raw_id_fields = ["question"]
    extra = 0


@admin.register(Lab)
class LabAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "position", "scenario", "is_retired"]
    list_filter = ["is_retired"]
    search_fields = ["slug", "title"]
    inlines = [LabQuestionInline]


@admin.register(LabQuestion)
class LabQuestionAdmin(admin.ModelAdmin):
    list_display = ["lab", "position", "question"]
    raw_id_fields = ["lab", "question"]


class RunSampleInline(admin.TabularInline):
    model = RunSample
    extra = 0
    can_delete = False
    fields = RunSample.FIELDS
    readonly_fields = RunSample.FIELDS


@admin.register(LabRun)
class LabRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "lab", "user", "status", "created_at", "finished_at", "worker_host"]
    list_filter = ["status", "lab"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"
    readonly_fields = ["heartbeat_at", "process_groups", "worker_host", "worker_pid", "task_id"]
    inlines = [RunSampleInline]


@admin.register(RunSample)
class RunSampleAdmin(admin.ModelAdmin):
    list_display = ["run", "index", "t", "users", "rps", "p99_ms"]
    raw_id_fields = ["run"]


@admin.register(LabAnswer)
class LabAnswerAdmin(admin.ModelAdmin):
    list_display = ["pk", "run", "question", "user", "verdict", "score", "created_at"]
    list_filter = ["verdict"]
    raw_id_fields = ["run", "question", "user"]
    date_hierarchy = "created_at"


@admin.register(LabWorker)
class LabWorkerAdmin(admin.ModelAdmin):
    """The lab workers alive on each host (they report every second; silent ones are forgotten)."""

    list_display = ["host", "pid", "slots", "started_at", "heartbeat_at"]
    list_filter = ["host"]
    readonly_fields = ["host", "pid", "slots", "started_at", "heartbeat_at"]

    def has_add_permission(self, request) -> bool:
        return False
