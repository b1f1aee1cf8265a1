"""The lab queue across machines (labs.slots): claiming the oldest run once, live workers, the wait.

The wait estimate is checked against hand-worked schedules; claiming is raced by real threads, each with its
own database connection (SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, a conditional UPDATE on SQLite).
"""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from labs import slots
from labs.models import Lab, LabRun, LabWorker, RunStatus
from tests.labs.conftest import config


def queued(user, lab: Lab, created, **changes) -> LabRun:
    return LabRun.objects.create(lab=lab, user=user, config=config(lab, **changes), created_at=created)


def learners(django_user_model, count: int) -> list:
    return [django_user_model.objects.create_user(f"queuer{i}", f"queuer{i}@example.com", "pw-for-queuing-42")
            for i in range(count)]


def worker(host: str, pid: int, now, slots_: int = 1, silent_s: float = 0) -> LabWorker:
    beat = now - timedelta(seconds=silent_s)
    return LabWorker.objects.create(host=host, pid=pid, slots=slots_, started_at=beat, heartbeat_at=beat)


# -- the wait, worked by hand ---------------------------------------------------------------------------------


def test_the_wait_is_the_first_free_slot_after_the_runs_ahead():
    # One slot, idle: the first in line starts now; behind two 30 s runs, it waits 60 s.
    assert slots.wait_for_slot([], [], 1) == 0
    assert slots.wait_for_slot([30, 30], [], 1) == 60
    # Three slots, one busy for 20 s more: two runs ahead take the idle ones, the next frees at 20 s.
    assert slots.wait_for_slot([40, 40], [20], 3) == 20
    # Two slots busy 10 s and 50 s more; ahead 30 s then 30 s: the first takes the slot freeing at 10 (busy
    # to 40), the second that one again at 40 (busy to 70): this run gets the other slot, at 50.
    assert slots.wait_for_slot([30, 30], [10, 50], 2) == 50
    # ... and with a third run ahead, the slot freeing at 50 goes to it (busy to 80): this run waits 70.
    assert slots.wait_for_slot([30, 30, 30], [10, 50], 2) == 70
    # Runs past their expected length count as freeing now; more runs than slots (a worker just gone) count.
    assert slots.wait_for_slot([], [-5, 12], 1) == 0
    assert slots.wait_for_slot([10], [], 0) == 10


def test_the_overhead_of_recent_runs_is_their_median_beyond_the_planned_duration():
    assert slots.overhead_s([(36, 30), (9, 5), (70, 60)]) == 6  # extras 6, 4, 10
    assert slots.overhead_s([(3, 5)]) == 0  # a run cancelled early never counts negative
    assert slots.overhead_s([]) == slots.DEFAULT_OVERHEAD_S


def test_places_and_waits_read_as_people_say_them():
    assert [slots.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 103)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "103rd"]
    assert slots.describe_wait(2) == "a moment"
    assert slots.describe_wait(12) == "about 10 s"
    assert slots.describe_wait(44) == "about 40 s"
    assert slots.describe_wait(70) == "about 1 min"
    assert slots.describe_wait(150) == "about 2 min"


# -- live workers ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_live_slots_count_each_machine_up_to_its_slots_and_forget_silent_workers(settings):
    settings.LAB_STALE_AFTER_S = 15
    now = timezone.now()
    worker("a", 1, now, slots_=2)
    worker("a", 2, now, slots_=2)
    worker("a", 3, now, slots_=2)  # a third worker on a 2-slot machine adds nothing
    worker("b", 1, now, slots_=4)  # one worker carries one run, whatever the machine's slots
    worker("c", 1, now, silent_s=60)  # a dead host
    assert slots.live_slots(now) == 3
    assert slots.forget_silent(now) == 1
    assert set(LabWorker.objects.values_list("host", flat=True)) == {"a", "b"}


@pytest.mark.django_db
def test_a_worker_reports_itself_once_and_keeps_its_row(settings):
    settings.LAB_HOST_NAME, settings.LAB_SLOTS = "lab-host-7", 3
    first = timezone.now()
    slots.report_alive(first)
    slots.report_alive(first + timedelta(seconds=1))
    row = LabWorker.objects.get()
    assert (row.host, row.slots, row.started_at, row.heartbeat_at) == ("lab-host-7", 3, first,
                                                                        first + timedelta(seconds=1))
    slots.report_gone()
    assert not LabWorker.objects.exists()


@pytest.mark.django_db
def test_a_long_queue_waits_while_workers_live_and_fails_once_none_does(learner, lab, settings):
    """LAB_QUEUE_TIMEOUT_S fails a queued run only when no worker is alive: with workers, it is a queue."""
    settings.LAB_QUEUE_TIMEOUT_S = 10
    now = timezone.now()
    run = queued(learner, lab, now - timedelta(seconds=60))
    worker("a", 1, now)
    assert LabRun.objects.fail_stale(now) == 0
    LabWorker.objects.all().delete()
    assert LabRun.objects.fail_stale(now) == 1
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "No task worker picked this run up" in run.failure_reason


# -- claiming -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_oldest_queued_run_is_claimed_first(django_user_model, lab, settings):
    settings.LAB_HOST_NAME = "host-a"
    now = timezone.now()
    users = learners(django_user_model, 4)
    newest = queued(users[0], lab, now)
    oldest = queued(users[1], lab, now - timedelta(seconds=30))
    middle = queued(users[2], lab, now - timedelta(seconds=20))
    cancelled = queued(users[3], lab, now - timedelta(seconds=40))
    cancelled.request_cancel(now)
    claimed = [slots.claim_next(now) for _ in range(4)]
    assert [run.pk if run else None for run in claimed] == [oldest.pk, middle.pk, newest.pk, None]
    first = claimed[0]
    assert first.status == RunStatus.STARTING and first.worker_host == "host-a" and first.started_at == now


@pytest.mark.django_db(transaction=True)
def test_racing_workers_claim_every_run_exactly_once(django_user_model):
    """Eight threads (eight workers, each with its own connection) claim twelve runs as fast as they can:
    every run is claimed once, by exactly one of them."""
    if not Lab.objects.filter(slug="first-load-test").exists():
        from django.core.management import call_command

        call_command("load_content", verbosity=0)
    lab = Lab.objects.get(slug="first-load-test")
    now = timezone.now()
    users = learners(django_user_model, 12)
    runs = [queued(user, lab, now + timedelta(milliseconds=i)) for i, user in enumerate(users)]
    claimed: list[int] = []
    guard = threading.Lock()
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def claim_all():
        try:
            start.wait()
            while True:
                run = slots.claim_next(timezone.now())
                if run is None:
                    return
                with guard:
                    claimed.append(run.pk)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim_all) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(claimed) == sorted(run.pk for run in runs)
    assert LabRun.objects.filter(status=RunStatus.STARTING).count() == 12


# -- the learner's view ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_run_shows_its_place_and_wait(django_user_model, lab, learner, settings):
    """Two live one-slot workers; one run started 10 s ago (30 s planned), two queued ahead (30 s each); no
    finished run yet, so each is expected to take 30 s + the default overhead (6 s). Hand-worked: slots free
    at 26 s and 0 s; the first ahead takes the idle one (free at 36 s), the second the one at 26 s (free at
    62 s): this run gets the slot freeing at 36 s."""
    settings.LAB_STALE_AFTER_S = 15
    now = timezone.now()
    worker("a", 1, now)
    worker("b", 1, now)
    users = learners(django_user_model, 3)
    running = queued(users[0], lab, now - timedelta(seconds=60), duration_s=30)
    LabRun.objects.filter(pk=running.pk).update(status=RunStatus.RUNNING, started_at=now - timedelta(seconds=10))
    queued(users[1], lab, now - timedelta(seconds=50), duration_s=30)
    queued(users[2], lab, now - timedelta(seconds=40), duration_s=30)
    mine = queued(learner, lab, now - timedelta(seconds=30), duration_s=30)
    place = mine.queue_place(now)
    assert place == {"place": 3, "ahead": 2, "slots": 2, "wait_s": 36, "text": "3rd in line, about 40 s."}


@pytest.mark.django_db
def test_the_wait_uses_recent_runs_lengths(django_user_model, lab, learner):
    """A finished run took 20 s for 10 s planned (10 s of overhead): one 30 s run ahead, one idle slot,
    another busy: the next run waits 0 s, this one 40 s."""
    now = timezone.now()
    worker("a", 1, now)
    users = learners(django_user_model, 2)
    done = queued(users[0], lab, now - timedelta(minutes=5), duration_s=10)
    LabRun.objects.filter(pk=done.pk).update(status=RunStatus.SUCCEEDED, started_at=now - timedelta(seconds=200),
                                             finished_at=now - timedelta(seconds=180))
    first = queued(users[1], lab, now - timedelta(seconds=20), duration_s=30)
    mine = queued(learner, lab, now - timedelta(seconds=10), duration_s=30)
    assert first.queue_place(now)["text"] == "Next in line, a moment."
    assert mine.queue_place(now) == {"place": 2, "ahead": 1, "slots": 1, "wait_s": 40,
                                     "text": "2nd in line, about 40 s."}


@pytest.mark.django_db
def test_the_api_and_the_page_show_the_place_in_line(learner, lab, client):
    now = timezone.now()
    worker("a", 1, now)
    run = queued(learner, lab, now)
    client.force_login(learner)
    body = client.get(f"/api/v1/runs/{run.pk}").json()
    assert body["queue"]["place"] == 1 and body["queue"]["text"] == "Next in line, a moment."
    page = client.get(run.get_absolute_url()).content.decode()
    assert 'data-live="queue"' in page and "Next in line, a moment." in page
    LabWorker.objects.all().delete()
    assert "no lab worker is running" in client.get(f"/api/v1/runs/{run.pk}").json()["queue"]["text"]
    LabRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, started_at=now)
    assert client.get(f"/api/v1/runs/{run.pk}").json()["queue"] is None
    page = client.get(run.get_absolute_url()).content.decode()
    assert 'data-live="queue" role="status" aria-live="polite" hidden' in page
