"""`manage.py labs_worker`: django-tasks-db's `db_worker`, made to ride out faults.

Takes every option of `db_worker` (e.g. `--queue-name '*' --interval 0.5`). On top of it:
- at start-up, the lab runs a dead worker left behind are failed and their processes killed;
- losing the database never ends the worker: it waits with backoff (one log line when the wait starts, one
  when the database is back), fails what it was running when the connection went (the lab run with a
  reason, the task result), and carries on;
- SIGTERM or Ctrl-C in the middle of a lab run ends that run at once as failed with a reason and kills its
  processes, then the worker exits (a second signal forces it, as in db_worker);
- a thread reports the worker alive every second (LabWorker: the queue's wait estimate counts its slots) and
  every few seconds fails the runs of workers gone silent on any machine (a dead host's run), forgets those
  workers, and wakes the queue again if runs wait with no task left to wake a worker (see labs.slots).
"""

import logging
import os
import threading
from datetime import timedelta

from django.db import close_old_connections
from django.utils import timezone
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult, TaskResultStatus

from labs import runner, slots
from labs.models import LabRun, RunStatus
from quizsite.health import DATABASE_ERRORS, wait_for_database

logger = logging.getLogger("labs.worker")


class LabsWorker(Worker):
    """db_worker's loop, restarted after a database outage instead of crashing."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.current_task: DBTaskResult | None = None
        self.lost_database: BaseException | None = None

    def shutdown(self, signum, frame) -> None:
        if self.running and self.running_task:
            runner.request_stop()  # the lab run in progress ends now; db_worker waits for the task to return
        super().shutdown(signum, frame)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        self.current_task = db_task_result
        super().run_task(db_task_result)  # raises only if the database went away while recording the result
        self.current_task = None

    def run(self) -> None:
        while self.running:
            try:
                if self.lost_database is not None:
                    self.recover(self.lost_database)
                    self.lost_database = None
                super().run()
                return
            except DATABASE_ERRORS as exc:
                self.lost_database = exc
                if not wait_for_database(lambda: not self.running, exc, logger):
                    return

    def recover(self, exc: BaseException) -> None:
        """After an outage: nothing this worker was running may be left reading "running"."""
        close_old_connections()
        task, self.current_task = self.current_task, None
        if task is not None:
            task.refresh_from_db()
            if task.status == TaskResultStatus.RUNNING:
                task.set_failed(exc)
        now = timezone.now()
        mine = LabRun.objects.active().filter(worker_host=slots.host_name(), worker_pid=os.getpid())
        for run in mine:
            run.fail(runner.DATABASE_LOST_REASON, now)


class Pulse(threading.Thread):
    """The worker's heartbeat and the queue's upkeep, beside db_worker's loop (its own database connection)."""

    BEAT_S = 1.0
    UPKEEP_S = 5.0
    REWAKE_AFTER_S = 10.0  # a run queued this long with no labs task ready to wake a worker gets a new one

    def __init__(self):
        super().__init__(name="labs-worker-pulse", daemon=True)
        self.stopping = threading.Event()

    def run(self) -> None:
        next_upkeep = 0.0
        while not self.stopping.is_set():
            try:
                now = timezone.now()
                slots.report_alive(now)
                if now.timestamp() >= next_upkeep:
                    next_upkeep = now.timestamp() + self.UPKEEP_S
                    self.upkeep(now)
            except DATABASE_ERRORS as exc:
                logger.debug("labs worker pulse: database unavailable (%s)", exc)
            finally:
                close_old_connections()
            self.stopping.wait(self.BEAT_S)
        try:
            slots.report_gone()
        except DATABASE_ERRORS:
            pass
        finally:
            close_old_connections()

    def upkeep(self, now) -> None:
        failed = LabRun.objects.fail_stale(now)
        if failed:
            logger.warning("labs worker: failed %s lab run(s) whose worker went silent", failed)
        slots.forget_silent(now)
        waiting = (LabRun.objects.filter(status=RunStatus.QUEUED, created_at__lt=now - timedelta(
            seconds=self.REWAKE_AFTER_S)).order_by("created_at", "pk").values_list("pk", flat=True).first())
        if waiting is not None and not self.wake_up_pending(now):
            from labs.tasks import run_lab

            run_lab.enqueue(waiting)  # its task was lost (a worker killed while it waited for a slot)
            logger.warning("labs worker: lab run %s waited with no task to wake a worker; enqueued one", waiting)

    def wake_up_pending(self, now) -> bool:
        """Is a labs task on its way to claim a run? One still ready, or one a worker took moments ago and that
        may not have claimed its run yet (a wake-up is picked up before the run it claims leaves the queue; a
        second one enqueued in that gap only finds nothing to do). A task that started long ago and still has
        not claimed anything belonged to a worker that died: it does not count."""
        labs_tasks = DBTaskResult.objects.filter(queue_name="labs")
        return (labs_tasks.ready().exists() or labs_tasks.filter(
            status=TaskResultStatus.RUNNING, started_at__gte=now - timedelta(seconds=self.REWAKE_AFTER_S)).exists())


class Command(DbWorkerCommand):
    help = "Fail stale lab runs (and kill what they left running), then run the database task worker."

    def clean_up(self) -> int:
        """Fail the runs whose worker stopped (here: at once if it was on this machine) and kill their
        processes; returns how many. Waits for the database if it is not there yet."""
        while True:
            try:
                failed = LabRun.objects.fail_stale(timezone.now())
                break
            except DATABASE_ERRORS as exc:
                wait_for_database(error=exc, log=logger)
        if failed:
            self.stderr.write(f"labs_worker: failed {failed} stale lab run(s) left by a stopped worker")
        return failed

    def handle(self, *, verbosity: int, queue_name: str, interval: float, batch: bool, backend_name: str,
               startup_delay: bool, reload: bool, max_tasks: int | None, worker_id: str, exclude_queues: str,
               **options) -> None:
        """db_worker's handle, with LabsWorker in place of its Worker."""
        self.configure_logging(verbosity)
        self.clean_up()
        if reload and batch:
            reload = False
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        worker = LabsWorker(queue_names=queue_names, interval=interval, batch=batch, backend_name=backend_name,
                            startup_delay=startup_delay, max_tasks=max_tasks, worker_id=worker_id,
                            excluded_queue_names=excluded)
        pulse = Pulse()
        pulse.start()
        try:
            if reload:
                if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                    worker.configure_signals()
                run_with_reloader(worker.run)
            else:
                worker.configure_signals()
                worker.run()
        finally:
            pulse.stopping.set()
            pulse.join(timeout=5)
