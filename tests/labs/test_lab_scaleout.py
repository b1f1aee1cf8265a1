"""Three lab-worker "hosts" sharing one PostgreSQL queue run nine learners' runs: every run succeeds, none runs
twice, they start in arrival order, no host runs two at once (LAB_SLOTS=1), and the whole queue takes about
three rounds, not nine.

Each host is a real `manage.py labs_worker` with its own LAB_HOST_NAME and lock file, as separate machines
would have. The runs are the shortest a lab allows (5 s of 4 users). On SQLite the test skips: several hosts
share a database server; the SQLite claim is raced by threads in test_lab_slots.py.
"""

import time
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from labs.models import Lab, LabRun, LabWorker, RunStatus
from labs.services import start_run
from tests.labs.workers import Worker, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HOSTS = 3
LEARNERS = 9


@pytest.fixture
def hosts(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("lab workers on several hosts share a PostgreSQL queue: run with DATABASE_URL=postgres://... "
                    "(CI's second pass does)")
    workers = []
    try:
        for n in range(HOSTS):
            folder = tmp_path / f"host-{n}"
            folder.mkdir()
            workers.append(Worker(folder, folder / "labs.lock", env={"LAB_HOST_NAME": f"lab-host-{n}",
                                                                     "LAB_SLOTS": "1"}))
        yield workers
    finally:
        for worker in workers:
            worker.stop()


def test_three_hosts_run_nine_queued_runs_in_about_three_rounds(hosts, django_user_model, settings):
    call_command("load_content", verbosity=0)  # transactional tests start from an empty database
    settings.LAB_MAX_QUEUED_RUNS = LEARNERS
    lab = Lab.objects.get(slug="first-load-test")
    wait_for(lambda: LabWorker.objects.values("host").distinct().count() == HOSTS, 60, "the three hosts to report",
             hosts[0])
    users = [django_user_model.objects.create_user(f"cohort{i}", f"cohort{i}@example.com", "pw-for-the-cohort-42")
             for i in range(LEARNERS)]
    began = time.monotonic()
    runs = [start_run(lab, user, {"users": 4, "spawn_rate": 4, "duration_s": 5}, timezone.now()) for user in users]
    places = [run.queue_place(timezone.now()) for run in runs]

    def all_ended() -> list[LabRun] | None:
        rows = list(LabRun.objects.filter(pk__in=[r.pk for r in runs]).order_by("created_at"))
        return rows if all(not r.is_active for r in rows) else None

    done = wait_for(all_ended, 240, "all nine runs to end", hosts[0])
    total_s = time.monotonic() - began

    assert [r.status for r in done] == [RunStatus.SUCCEEDED] * LEARNERS, [
        (r.pk, r.status, r.failure_reason) for r in done]
    # None twice: nine wake-up tasks each claimed one run and ran it, and each run has one series of samples.
    # A spare wake-up (the upkeep's, for a task it took for lost under heavy load) may only find nothing to do.
    outcomes = list(DBTaskResult.objects.filter(queue_name="labs").values_list("return_value", flat=True))
    assert outcomes.count("succeeded") == LEARNERS, outcomes
    assert all(o == "succeeded" or o.startswith(("not queued", "no run left queued")) for o in outcomes), outcomes
    for run in done:
        indexes = list(run.samples.order_by("index").values_list("index", flat=True))
        assert indexes == list(range(len(indexes))) and indexes, run.pk
    # Arrival order: a later run never started before an earlier one (claims made at the same moment by
    # different hosts may commit a few milliseconds apart).
    starts = [r.started_at for r in done]
    for earlier, later in pairwise(starts):
        assert (later - earlier).total_seconds() > -0.5, starts
    # Every host took part, and none ran two at once (one slot each).
    by_host: dict[str, list[LabRun]] = {}
    for run in done:
        by_host.setdefault(run.worker_host, []).append(run)
    assert sorted(by_host) == [f"lab-host-{n}" for n in range(HOSTS)], {h: len(r) for h, r in by_host.items()}
    for host_runs in by_host.values():
        host_runs.sort(key=lambda r: r.started_at)
        for first, second in pairwise(host_runs):
            assert second.started_at >= first.finished_at, (first.pk, second.pk)
    # About three rounds, not nine: the queue ends in well under the runs' summed length.
    lengths = [(r.finished_at - r.started_at).total_seconds() for r in done]
    one_run = sum(lengths) / len(lengths)
    print(f"{LEARNERS} runs on {HOSTS} hosts: {total_s:.1f} s from the first enqueue to the last result; one run "
          f"{one_run:.1f} s on average ({min(lengths):.1f}-{max(lengths):.1f} s); {total_s / one_run:.1f} runs' "
          f"lengths in all (3 rounds = 3, one after another = 9); per host: "
          f"{ {h: len(r) for h, r in sorted(by_host.items())} }")
    assert total_s < 0.6 * sum(lengths), (total_s, lengths)
    # The learners were told their place in line when they queued.
    assert places[-1] is not None and places[-1]["place"] >= 2 and places[-1]["slots"] == HOSTS
