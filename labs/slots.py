"""The lab queue across machines: which machine this is, its slots, claiming the next run, the wait.

The queue is the LabRun table. Each run's django.tasks task only wakes a worker: the worker first takes a free
slot on its machine (a lock file per slot, LAB_SLOTS of them: runs on one machine must not compete for the CPU
they measure), then claims the OLDEST queued run, whichever run its task was enqueued for. So runs start in
arrival order whatever worker or machine gets to them, and a worker waiting for a slot on a busy machine holds
no particular run back from a free machine. Claiming is one statement that only one worker can win:
`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL (workers skip each other's rows instead of queueing on
them), a conditional `UPDATE ... WHERE status = 'queued'` on SQLite (whose writers are serialised anyway).

Workers report themselves in LabWorker every second or so; the learner's page reads their number of slots to
estimate the wait from the runs ahead and the lengths of recent runs.
"""

from __future__ import annotations

import heapq
import os
import socket
import statistics
from datetime import datetime, timedelta

from django.db import connection, transaction

from labs.models import LabRun, LabWorker, RunStatus, lab_setting

RECENT_RUNS = 20  # the recent runs whose start-up and wind-down time estimate a queued run's length
DEFAULT_OVERHEAD_S = 6.0  # before any run finished: starting the model API and Locust, then the results


def host_name() -> str:
    """This machine's name in worker_host (LAB_HOST_NAME, else the host name)."""
    return lab_setting("LAB_HOST_NAME", "") or socket.gethostname()


def slot_count() -> int:
    return max(1, int(lab_setting("LAB_SLOTS", 1)))


# -- claiming -----------------------------------------------------------------------------------------------


def claim_next(now: datetime) -> LabRun | None:
    """Take the oldest queued run for this worker (status STARTING, this host and pid), or None."""
    claimed = {"status": RunStatus.STARTING, "started_at": now, "heartbeat_at": now, "worker_host": host_name(),
               "worker_pid": os.getpid()}
    oldest_first = LabRun.objects.filter(status=RunStatus.QUEUED).order_by("created_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            pk = oldest_first.select_for_update(skip_locked=True).values_list("pk", flat=True).first()
            if pk is None:
                return None
            LabRun.objects.filter(pk=pk).update(**claimed)
    else:
        while True:
            pk = oldest_first.values_list("pk", flat=True).first()
            if pk is None:
                return None
            if LabRun.objects.filter(pk=pk, status=RunStatus.QUEUED).update(**claimed):
                break  # else another worker (or a cancel) got there first: the next oldest
    return LabRun.objects.select_related("lab").get(pk=pk)


def anything_queued() -> bool:
    return LabRun.objects.filter(status=RunStatus.QUEUED).exists()


# -- workers ------------------------------------------------------------------------------------------------


def report_alive(now: datetime) -> None:
    """This worker is alive (and has this machine's LAB_SLOTS)."""
    updated = LabWorker.objects.filter(host=host_name(), pid=os.getpid()).update(heartbeat_at=now,
                                                                                 slots=slot_count())
    if not updated:
        LabWorker.objects.get_or_create(host=host_name(), pid=os.getpid(),
                                        defaults={"slots": slot_count(), "started_at": now, "heartbeat_at": now})


def report_gone() -> None:
    LabWorker.objects.filter(host=host_name(), pid=os.getpid()).delete()


def forget_silent(now: datetime) -> int:
    """Forget the workers silent for LAB_STALE_AFTER_S (a dead host's slots no longer count)."""
    cutoff = now - timedelta(seconds=lab_setting("LAB_STALE_AFTER_S", 15))
    return LabWorker.objects.filter(heartbeat_at__lt=cutoff).delete()[0]


def live_slots(now: datetime) -> int:
    """Runs the live workers can carry at once: per machine, its slots or its workers, whichever is fewer."""
    cutoff = now - timedelta(seconds=lab_setting("LAB_STALE_AFTER_S", 15))
    per_host: dict[str, list[int]] = {}
    for host, slots in LabWorker.objects.filter(heartbeat_at__gte=cutoff).values_list("host", "slots"):
        per_host.setdefault(host, []).append(slots)
    return sum(min(len(workers), max(workers)) for workers in per_host.values())


# -- the wait ------------------------------------------------------------------------------------------------


def wait_for_slot(ahead: list[float], running_left: list[float], slots: int) -> float:
    """Seconds until a run gets a slot. `running_left`: seconds left of each run in progress; `ahead`: the
    expected length of each queued run before it, in order; each run takes the slot that frees first."""
    slots = max(slots, len(running_left), 1)
    free_at = sorted(max(0.0, left) for left in running_left) + [0.0] * (slots - len(running_left))
    heapq.heapify(free_at)
    for length in ahead:
        heapq.heappush(free_at, heapq.heappop(free_at) + max(0.0, length))
    return free_at[0]


def overhead_s(lengths: list[tuple[float, float]]) -> float:
    """Median seconds a run takes beyond its planned duration, from recent (length, duration) pairs."""
    extra = [max(0.0, length - duration) for length, duration in lengths]
    return statistics.median(extra) if extra else DEFAULT_OVERHEAD_S


def recent_overhead_s() -> float:
    rows = (LabRun.objects.filter(status=RunStatus.SUCCEEDED, started_at__isnull=False, finished_at__isnull=False)
            .order_by("-finished_at").values_list("started_at", "finished_at", "config")[:RECENT_RUNS])
    return overhead_s([((end - start).total_seconds(), float((config or {}).get("duration_s") or 0))
                       for start, end, config in rows])


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def describe_wait(seconds: float) -> str:
    """"about 40 s" (to 10 s), "about 2 min" (to the minute), "a moment" under 5 s."""
    if seconds < 5:
        return "a moment"
    if seconds < 55:
        return f"about {max(10, round(seconds / 10) * 10)} s"
    return f"about {max(1, round(seconds / 60))} min"


def queue_place(run: LabRun, now: datetime) -> dict | None:
    """Where a queued run stands: its place in line, the estimated wait and a sentence for the page."""
    if run.status != RunStatus.QUEUED:
        return None
    ahead = list(LabRun.objects.filter(status=RunStatus.QUEUED)
                 .filter(models_before(run)).order_by("created_at", "pk").values_list("config", flat=True))
    place = len(ahead) + 1
    slots = live_slots(now)
    if slots == 0:
        return {"place": place, "ahead": len(ahead), "slots": 0, "wait_s": None,
                "text": f"{ordinal(place)} in line; no lab worker is running right now."}
    extra = recent_overhead_s()
    running = LabRun.objects.filter(status__in=(RunStatus.STARTING, RunStatus.RUNNING)).values_list(
        "started_at", "config")
    running_left = [float((config or {}).get("duration_s") or 0) + extra - (now - started).total_seconds()
                    for started, config in running if started is not None]
    wait = wait_for_slot([float((config or {}).get("duration_s") or 0) + extra for config in ahead],
                         running_left, slots)
    where = "next in line" if place == 1 else f"{ordinal(place)} in line"
    return {"place": place, "ahead": len(ahead), "slots": slots, "wait_s": round(wait),
            "text": f"{where[0].upper()}{where[1:]}, {describe_wait(wait)}."}


def models_before(run: LabRun):
    from django.db.models import Q

    return Q(created_at__lt=run.created_at) | Q(created_at=run.created_at, pk__lt=run.pk)
