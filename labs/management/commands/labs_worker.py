"""`manage.py labs_worker`: fail the lab runs a dead worker left behind, then run db_worker.

Takes every option of django-tasks-db's `db_worker` (e.g. `--queue-name '*' --interval 0.5`).
"""

from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from labs.models import LabRun


class Command(DbWorkerCommand):
    help = "Fail stale lab runs (and kill what they left running), then run the database task worker."

    def clean_up(self) -> int:
        """Fail the runs whose worker stopped (here: at once if it was on this machine) and kill their
        processes; returns how many."""
        failed = LabRun.objects.fail_stale(timezone.now())
        if failed:
            self.stderr.write(f"labs_worker: failed {failed} stale lab run(s) left by a stopped worker")
        return failed

    def handle(self, *args, **options) -> None:
        self.clean_up()
        super().handle(*args, **options)
