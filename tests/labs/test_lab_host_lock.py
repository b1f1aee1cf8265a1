"""LAB_SLOTS lab runs at a time per machine (runner.HostLock): a worker waits for a free slot.

The other worker is a real second process holding a slot's lock file, as a worker's HostLock does while
its run goes on; when it lets go, the waiting worker takes the slot. While it waits, the worker reports
itself alive (LabWorker), and the queued run stays queued: which run it will take is decided only once it
has a slot (the oldest queued then, see labs.slots).
"""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from labs import runner
from labs.models import Lab, LabRun, LabWorker, RunStatus
from tests.labs.conftest import config
from tests.labs.workers import wait_for

HOLDER = """
import fcntl, sys, time
lock, held, released, hold_s = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
with open(lock, "a+") as handle:
    fcntl.flock(handle, fcntl.LOCK_EX)
    open(held, "w").close()
    time.sleep(hold_s)
    open(released, "w").close()
    fcntl.flock(handle, fcntl.LOCK_UN)
"""


class OtherWorker:
    """A process that holds the machine's lab lock for `hold_s` seconds (forever with hold_s=3600)."""

    def __init__(self, lock: Path, tmp_path: Path, hold_s: float):
        self.held = tmp_path / "held"
        self.released = tmp_path / "released"
        self.process = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock), str(self.held),
                                         str(self.released), str(hold_s)])
        wait_for(self.held.exists, timeout=30, what="the other worker to take the lock")

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def lock_file(settings, tmp_path) -> Path:
    settings.LAB_LOCK_FILE = str(tmp_path / "labs.lock")
    return tmp_path / "labs.lock"


def queued(user, lab: Lab) -> LabRun:
    return LabRun.objects.create(lab=lab, user=user, config=config(lab), created_at=timezone.now())


@pytest.mark.django_db
def test_a_second_run_on_the_machine_waits_for_the_first(learner, lab, lock_file, tmp_path):
    """While another worker's run holds the machine's one slot, this worker waits (reporting itself alive)
    and takes the slot only once the other has let go."""
    run = queued(learner, lab)
    other = OtherWorker(lock_file, tmp_path, hold_s=1.5)
    try:
        with runner.HostLock(run) as lock:
            assert lock.acquired and lock.slot == 0
            assert other.released.exists(), "the lock was taken while the other run still held it"
        run.refresh_from_db()
        assert run.status == RunStatus.QUEUED and run.heartbeat_at is None
        assert LabWorker.objects.filter(pid=os.getpid()).exists()  # alive while it waited
    finally:
        other.stop()


@pytest.mark.django_db
def test_a_free_machine_is_taken_at_once_and_released_after(learner, lab, lock_file, tmp_path):
    """No other run: the lock is taken without waiting, and let go when the run ends, so the next one runs."""
    run = queued(learner, lab)
    with runner.HostLock(run) as lock:
        assert lock.acquired
    assert not LabWorker.objects.exists()  # it never had to wait
    other = OtherWorker(lock_file, tmp_path, hold_s=0)
    other.process.wait(timeout=30)
    assert other.released.exists()


@pytest.mark.django_db
def test_two_slots_take_two_runs_and_a_third_waits(learner, lab, lock_file, tmp_path, settings):
    """LAB_SLOTS=2: with slot 0 held by another worker, this one takes slot 1 at once; with both held, a
    third waits until one is free."""
    settings.LAB_SLOTS = 2
    queued(learner, lab)
    other = OtherWorker(lock_file, tmp_path, hold_s=3600)
    try:
        with runner.HostLock() as second:
            assert second.acquired and second.slot == 1
            assert second.paths[1] == lock_file.with_name("labs.lock.1")
            third = runner.HostLock()
            assert not third.try_slots()  # both slots taken
        assert third.try_slots() and third.slot == 1
        third.__exit__(None, None, None)
    finally:
        other.stop()


@pytest.mark.django_db(transaction=True)
def test_a_run_cancelled_while_it_waits_for_the_machine_is_not_started(django_user_model, lock_file, tmp_path):
    """The learner cancels while another run holds the machine: nothing is left queued, so the worker stops
    waiting and starts nothing."""
    if not Lab.objects.filter(slug="first-load-test").exists():
        call_command("load_content", verbosity=0)  # an earlier transactional test emptied the database
    user = django_user_model.objects.create_user("waiter", "waiter@example.com", "pw-for-waiting-42")
    run = queued(user, Lab.objects.get(slug="first-load-test"))
    other = OtherWorker(lock_file, tmp_path, hold_s=3600)

    def cancel_once_waiting():
        try:
            wait_for(lambda: LabWorker.objects.exists(), timeout=30, what="the worker to wait for the machine")
            LabRun.objects.get(pk=run.pk).request_cancel(timezone.now())
        finally:
            connections.close_all()

    canceller = threading.Thread(target=cancel_once_waiting)
    try:
        canceller.start()
        started = time.monotonic()
        assert runner.execute(run.pk) == "no run left queued while waiting for a slot"
        assert time.monotonic() - started < 60
        assert other.process.poll() is None  # the other run still holds the machine
    finally:
        canceller.join(timeout=60)
        other.stop()
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and run.started_at is None
