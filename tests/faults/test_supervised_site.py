"""`make run`'s supervisor: kill -9 the worker in the middle of a lab run; the web keeps serving, the worker
is back, the run ends with a reason and the next run succeeds; stopping the supervisor leaves nothing."""

import os
import re
import signal
import time

import pytest
from django.utils import timezone

from labs import processes
from labs.models import Lab, LabRun, RunStatus
from labs.services import start_run
from tests.faults.servers import Site
from tests.labs.workers import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def worker_pids(site: Site) -> list[int]:
    return [int(pid) for pid in re.findall(r"spawned: 'worker' with pid (\d+)", site.proc.output())]


def enqueue(user, duration_s: int) -> LabRun:
    return start_run(Lab.objects.get(slug="first-load-test"), user,
                     {"users": 4, "spawn_rate": 4, "duration_s": duration_s}, timezone.now())


def test_a_worker_killed_mid_run_is_restarted_while_the_web_keeps_serving(tmp_path, content, django_user_model):
    user = django_user_model.objects.create_user("runner", "runner@example.com", "pw-for-the-runner-42")
    site = Site(tmp_path, supervised=True)
    try:
        site.wait_until_serving()
        run = enqueue(user, duration_s=40)
        wait_for(lambda: LabRun.objects.get(pk=run.pk).samples.count() >= 1, 40, "a live sample", site.proc)
        run.refresh_from_db()
        marker = run.process_marker
        assert run.worker_pid in worker_pids(site)

        os.kill(run.worker_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        served, respawned_s = [], None
        while time.monotonic() - killed_at < 30 and (respawned_s is None or time.monotonic() - killed_at < 3):
            served.append(site.get("/questions/", timeout=10)[0])
            if respawned_s is None and len(worker_pids(site)) == 2:
                respawned_s = time.monotonic() - killed_at
            time.sleep(0.2)
        watched_s = time.monotonic() - killed_at
        assert respawned_s is not None, site.proc.output()
        assert "exited: worker (terminated by SIGKILL; not expected)" in site.proc.output()
        assert served and set(served) == {200}, served  # the web never stopped

        failed = wait_for(lambda: LabRun.objects.filter(pk=run.pk, status=RunStatus.FAILED).first(), 30,
                          "the killed run to be failed", site.proc)
        assert "exited in the middle of the run" in failed.failure_reason
        wait_for(lambda: not processes.marked_processes(marker), 10, "no processes of the killed run")

        following = enqueue(user, duration_s=5)
        done = wait_for(lambda: LabRun.objects.filter(pk=following.pk, status__in=["succeeded", "failed",
                                                                                   "cancelled"]).first(),
                        60, "the next run", site.proc)
        assert done.status == RunStatus.SUCCEEDED, done.failure_reason
        print(f"worker respawned {respawned_s:.1f} s after kill -9; {len(served)} page requests in the "
              f"first {watched_s:.1f} s, all 200; the killed run failed with a reason and "
              "the next one succeeded")
    finally:
        site.proc.stop()
    assert site.proc.process.returncode == 0, site.proc.output()
    assert not site.proc.leftovers(), site.proc.output()


def test_stopping_the_supervisor_mid_run_fails_the_run_and_leaves_no_process(tmp_path, content, django_user_model):
    """What Ctrl-C on `make run` does: SIGTERM to both, the worker ends the run with a reason."""
    user = django_user_model.objects.create_user("runner", "runner@example.com", "pw-for-the-runner-42")
    site = Site(tmp_path, supervised=True)
    try:
        site.wait_until_serving()
        run = enqueue(user, duration_s=40)
        wait_for(lambda: LabRun.objects.get(pk=run.pk).samples.count() >= 1, 40, "a live sample", site.proc)
        site.proc.remember_family()
    finally:
        site.proc.stop()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "worker was stopped" in run.failure_reason, site.proc.output()
    assert not processes.marked_processes(run.process_marker)
    assert not site.proc.leftovers(), site.proc.output()
