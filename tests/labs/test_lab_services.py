"""Starting a run: one active run per learner, held by the service's check and by the database."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from labs.models import Lab, LabRun, RunStatus
from labs.services import ActiveRunExists, start_run


@pytest.mark.django_db
def test_a_run_whose_worker_went_silent_does_not_block_a_new_one(learner, lab, make_run):
    """The learner's active run has had no heartbeat for 20 s: starting again fails that run with its
    reason and starts the new one, instead of refusing it as a second active run."""
    stale = make_run(learner, lab, status=RunStatus.RUNNING)
    LabRun.objects.filter(pk=stale.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=20),
                                              worker_host="another-host")
    run = start_run(lab, learner, {}, timezone.now())
    stale.refresh_from_db()
    assert stale.status == RunStatus.FAILED and "stopped responding" in stale.failure_reason
    assert run.status == RunStatus.QUEUED and list(LabRun.objects.active()) == [run]


@pytest.mark.django_db
def test_a_healthy_active_run_refuses_a_second_start(learner, lab, make_run):
    """While a run is alive, a second start names it and creates nothing."""
    running = make_run(learner, lab, status=RunStatus.RUNNING)
    with pytest.raises(ActiveRunExists) as refused:
        start_run(lab, learner, {}, timezone.now())
    assert refused.value.run == running
    assert LabRun.objects.count() == 1


def _race_two_starts(user, lab: Lab) -> list[str]:
    """Two threads start a run for one learner at the same moment. Each thread holds at a barrier right
    after its "has this learner an active run?" query has answered, so both checks see no run before
    either inserts one: only the database's constraint can keep the second out."""
    barrier = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []

    def start():
        held = False

        def after_the_check(execute, sql, params, many, context):
            nonlocal held
            result = execute(sql, params, many, context)
            if not held and sql.lstrip().upper().startswith("SELECT") and '"labs_labrun"' in sql:
                held = True
                try:
                    barrier.wait()
                except threading.BrokenBarrierError:
                    pass  # the other thread asked no such question: nothing to line up with
            return result

        try:
            with connection.execute_wrapper(after_the_check):
                start_run(lab, user, {}, timezone.now())
            outcomes.append("accepted")
        except ActiveRunExists:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_two_starts_at_the_same_moment_make_one_run(django_user_model):
    """Two simultaneous starts by one learner, both past the service's check: exactly one is accepted,
    the other is refused (ActiveRunExists, a 409 in the API), on SQLite and on PostgreSQL alike."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("needs a file or server database: set SQLITE_TEST_PATH, or DATABASE_URL for PostgreSQL")
    if not Lab.objects.filter(slug="first-load-test").exists():
        call_command("load_content", verbosity=0)  # an earlier transactional test emptied the database
    lab = Lab.objects.get(slug="first-load-test")
    user = django_user_model.objects.create_user("racer", "racer@example.com", "pw-for-racing-42")
    assert _race_two_starts(user, lab) == ["accepted", "refused"]
    assert LabRun.objects.filter(user=user).count() == 1
