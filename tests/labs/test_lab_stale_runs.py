"""A run whose worker went silent is failed with a reason, and what it left running is killed."""

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psutil
import pytest
from django.utils import timezone

from labs import processes
from labs.models import LabRun, RunStatus

pytestmark = pytest.mark.django_db


def orphan(run: LabRun, tmp_path: Path) -> subprocess.Popen:
    """A process in its own group carrying the run's marker, as a dead worker's Locust would be."""
    env = {**os.environ, processes.MARKER_ENV: run.process_marker}
    return processes.spawn([sys.executable, "-c", "import time; time.sleep(60)"], env=env, cwd=tmp_path,
                           log=tmp_path / "orphan.log")


def wait_gone(process: subprocess.Popen, timeout: float = 5.0) -> bool:
    try:
        process.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        process.kill()
        return False


def test_a_silent_worker_fails_the_run_when_it_is_read(api_client, learner, lab, make_run, tmp_path):
    """No heartbeat for more than 15 s: the next read fails the run, says why, and kills its processes."""
    run = make_run(learner, lab, status=RunStatus.RUNNING)
    child = orphan(run, tmp_path)
    LabRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=20),
                                            worker_host=socket.gethostname(), process_groups=[child.pid])
    api_client.force_authenticate(learner)
    body = api_client.get(f"/api/v1/runs/{run.pk}").json()
    assert body["status"] == "failed" and "stopped responding (no heartbeat for 20 s)" in body["failure_reason"]
    assert wait_gone(child)


def test_another_machines_processes_are_left_to_that_machine(learner, lab, make_run, tmp_path):
    """A run of a worker on another host is failed here, but only that host can kill its processes."""
    run = make_run(learner, lab, status=RunStatus.RUNNING)
    child = orphan(run, tmp_path)
    try:
        LabRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=20),
                                                worker_host="another-host", process_groups=[child.pid])
        assert LabRun.objects.fail_stale(timezone.now()) == 1
        time.sleep(0.3)
        assert child.poll() is None
    finally:
        child.kill()
        child.wait()


def test_a_dead_local_worker_is_noticed_at_once(learner, lab, make_run, tmp_path):
    """On the same machine, a worker pid that no longer exists fails the run without waiting 15 s."""
    run = make_run(learner, lab, status=RunStatus.RUNNING)
    child = orphan(run, tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    LabRun.objects.filter(pk=run.pk).update(worker_host=socket.gethostname(), worker_pid=dead.pid,
                                            process_groups=[child.pid])
    assert LabRun.objects.fail_stale(timezone.now()) == 1
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "exited in the middle of the run" in run.failure_reason
    assert wait_gone(child)
    assert not processes.marked_processes(run.process_marker)


def test_a_healthy_run_is_left_alone(learner, lab, make_run):
    run = make_run(learner, lab, status=RunStatus.RUNNING)
    LabRun.objects.filter(pk=run.pk).update(worker_host=socket.gethostname(), worker_pid=os.getpid())
    assert LabRun.objects.fail_stale(timezone.now()) == 0
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING


def test_a_run_no_worker_picks_up_is_failed_after_the_queue_timeout(learner, lab, make_run, settings):
    """Without a worker a queued run would block the learner forever; after LAB_QUEUE_TIMEOUT_S it fails."""
    settings.LAB_QUEUE_TIMEOUT_S = 10
    run = make_run(learner, lab, status=RunStatus.QUEUED)
    assert LabRun.objects.fail_stale(timezone.now()) == 1  # created 30 s ago
    run.refresh_from_db()
    assert "No task worker picked this run up" in run.failure_reason


def test_the_worker_command_cleans_up_before_it_starts(learner, lab, make_run, tmp_path):
    """labs_worker fails the runs a killed worker left before it takes tasks (test_lab_worker.py does it
    for real with a killed worker)."""
    from labs.management.commands.labs_worker import Command

    run = make_run(learner, lab, status=RunStatus.RUNNING)
    child = orphan(run, tmp_path)
    LabRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5),
                                            worker_host=socket.gethostname(), process_groups=[child.pid])
    assert Command().clean_up() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert wait_gone(child)


def test_a_reused_process_group_is_never_signalled(tmp_path):
    """A group without the run's marker belongs to someone else: stop_group leaves it alone."""
    stranger = processes.spawn([sys.executable, "-c", "import time; time.sleep(30)"], env=dict(os.environ),
                               cwd=tmp_path, log=tmp_path / "s.log")
    try:
        processes.stop_group(stranger.pid, "labrun-0-0", grace_s=0.1)
        processes.kill_marked("labrun-0-0", [stranger.pid], wait_s=0.1)
        time.sleep(0.2)
        assert psutil.pid_exists(stranger.pid) and stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()
