"""The worker's upkeep wakes the queue again only when a queued run's wake-up task was lost.

A wake-up is lost when the worker holding it died before it claimed a run: its task reads "running" forever.
One a live worker picked up a moment ago reads "running" too, until its run leaves the queue; waking the queue
again in that gap enqueued a spare task that then found nothing to do (CI saw it once on three hosts).
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, TaskResultStatus

from labs.management.commands.labs_worker import Pulse
from labs.models import LabRun, RunStatus
from labs.tasks import run_lab

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting_run(learner, lab, make_run) -> LabRun:
    """A run queued 30 s ago (longer than Pulse.REWAKE_AFTER_S)."""
    run = make_run(learner, lab, status=RunStatus.QUEUED)
    assert timezone.now() - run.created_at > timedelta(seconds=Pulse.REWAKE_AFTER_S)
    return run


def wake_up_task(run: LabRun, status: str | None = None, started_s_ago: float | None = None) -> DBTaskResult:
    result = DBTaskResult.objects.get(id=run_lab.enqueue(run.pk).id)
    if status is not None:
        result.status = status
        result.started_at = timezone.now() - timedelta(seconds=started_s_ago)
        result.save(update_fields=["status", "started_at"])
    return result


def labs_tasks_for(run: LabRun) -> int:
    return DBTaskResult.objects.filter(queue_name="labs", args_kwargs__args=[run.pk]).count()


def test_a_run_waiting_with_no_task_gets_one(waiting_run):
    Pulse().upkeep(timezone.now())
    assert labs_tasks_for(waiting_run) == 1
    assert DBTaskResult.objects.ready().filter(queue_name="labs").count() == 1


def test_a_run_whose_task_is_still_ready_gets_no_second(waiting_run):
    wake_up_task(waiting_run)
    Pulse().upkeep(timezone.now())
    assert labs_tasks_for(waiting_run) == 1


def test_a_task_picked_up_moments_ago_is_not_taken_for_lost(waiting_run):
    """The gap between a worker taking the task and its claim of the run committing."""
    wake_up_task(waiting_run, TaskResultStatus.RUNNING, started_s_ago=0.5)
    Pulse().upkeep(timezone.now())
    assert labs_tasks_for(waiting_run) == 1


def test_a_task_running_long_with_the_run_still_queued_was_lost(waiting_run):
    """Its worker died while it waited for a slot: the run gets a new wake-up."""
    wake_up_task(waiting_run, TaskResultStatus.RUNNING, started_s_ago=Pulse.REWAKE_AFTER_S + 20)
    Pulse().upkeep(timezone.now())
    assert labs_tasks_for(waiting_run) == 2
    assert DBTaskResult.objects.ready().filter(queue_name="labs").count() == 1


def test_a_run_queued_moments_ago_is_left_to_its_own_task(learner, lab, make_run):
    run = make_run(learner, lab, status=RunStatus.QUEUED)
    LabRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(seconds=1))
    Pulse().upkeep(timezone.now())
    assert labs_tasks_for(run) == 0
