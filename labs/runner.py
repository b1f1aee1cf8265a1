"""One lab run, executed by the task worker: the model API and Locust as subprocesses, watched each second.

The worker process never imports Locust. It starts, side by side and each in its own process group:
- the model API: `python -m labs.model_api --host 127.0.0.1 --port <free> <the run's knobs>`;
- Locust: `python -m locust -f <scenario>,labs/telemetry/plugin.py --headless -u -r -t --host <that API>`,
  with `--processes N` for a distributed run. The plugin holds the start until the API answers /healthz,
  then writes one JSON line a second into a pipe that this module reads.

Every second the runner stores the sample, samples the API's CPU (psutil, all of its processes), beats the
run's heartbeat and looks for a cancellation. At the end it reads the API's /metrics/summary (server-side
latency and counters), builds the results and, whatever happened, kills both process groups.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Self

import psutil
from django.conf import settings
from django.utils import timezone

from labs import processes, results, slots
from labs.loader import caps_from_settings
from labs.models import ACTIVE, LabRun, RunSample, RunStatus, lab_setting
from labs.params import api_argv, command_cap_problems
from quizsite.health import DATABASE_ERRORS, wait_for_database

logger = logging.getLogger(__name__)

BASE_DIR = Path(settings.BASE_DIR) if hasattr(settings, "BASE_DIR") else Path(__file__).resolve().parent.parent
PLUGIN = Path(__file__).resolve().parent / "telemetry" / "plugin.py"
SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "locust_scenarios"
STOP_MARGIN_S = 3.0  # after the planned duration, a scenario that did not stop on its own is stopped
LOG_TAIL_CHARS = 3000
WARMUP_BODY = '{"sqft": 1500, "bedrooms": 3, "location": "NY"}'  # the tutorial's payload, sent twice first


# Set by the worker when it is told to stop (SIGTERM, Ctrl-C): the run in progress ends at once, failed with
# a reason, and its processes are killed; a run still waiting for the machine is failed before it starts.
STOP = threading.Event()
STOPPED_REASON = ("The task worker was stopped (it was shut down or restarted) in the middle of the run, so the "
                  "run was stopped and its processes ended. Start it again.")
DATABASE_LOST_REASON = ("The database became unreachable in the middle of the run, so the run was stopped. "
                        "Start it again.")


def request_stop() -> None:
    STOP.set()


class RunFailed(Exception):
    """The run cannot go on; the message is shown to the learner."""


def scenario_path(name: str) -> Path:
    return SCENARIOS_DIR / name


def execute(run_id: int) -> str:
    """The task's body: take a free slot on this machine, then run the OLDEST queued run (see labs.slots),
    which need not be `run_id`: the task only says that a run was queued. Returns what happened."""
    run = LabRun.objects.filter(pk=run_id).first()
    if run is None and not slots.anything_queued():
        return "missing"
    if run is not None and run.status != RunStatus.QUEUED and not slots.anything_queued():
        return f"not queued ({run.status})"
    with HostLock() as lock:
        if not lock.acquired:
            if STOP.is_set() and slots.anything_queued():
                # This worker leaves before a run could start: the queue keeps its wake-up for another one.
                from labs.tasks import run_lab

                run_lab.enqueue(run_id)
                return "worker stopped before a run started; left to another worker"
            return "no run left queued while waiting for a slot"
        claimed = slots.claim_next(timezone.now())
        if claimed is None:
            return "no run left queued"
        return RunSession(claimed).perform()


def lab_run_waiting(now: datetime) -> bool:
    """HostLock's default wait: report this worker alive, and keep waiting while some lab run is queued."""
    slots.report_alive(now)
    return slots.anything_queued()


class HostLock:
    """A slot on this machine: LAB_SLOTS lock files, one run each, whatever the number of workers (runs must
    not compete for the CPU they measure; exercise submissions take the same slots). While every slot is taken
    it waits, calling `still_waiting(now)` about once a second (the default, `lab_run_waiting`, reports the
    worker alive and waits while some lab run is still queued); lets go at once, without a slot, when
    `still_waiting` returns False or the worker stops."""

    def __init__(self, run: LabRun | None = None, *,
                 still_waiting: Callable[[datetime], bool] = lab_run_waiting):
        self.run = run
        self.still_waiting = still_waiting
        base = Path(lab_setting("LAB_LOCK_FILE", "") or Path(tempfile.gettempdir()) / "breaking-point-labs.lock")
        self.paths = [base if n == 0 else base.with_name(f"{base.name}.{n}") for n in range(slots.slot_count())]
        self.handle = None
        self.slot: int | None = None
        self.acquired = False

    def try_slots(self) -> bool:
        for number, path in enumerate(self.paths):
            handle = open(path, "a+")  # noqa: SIM115 - held while the slot is ours, closed in __exit__
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            self.handle, self.slot, self.acquired = handle, number, True
            return True
        return False

    def __enter__(self) -> Self:
        next_report = 0.0
        while not self.try_slots():
            if STOP.is_set():
                return self
            if time.monotonic() >= next_report:
                next_report = time.monotonic() + 1.0
                if not self.still_waiting(timezone.now()):
                    return self
            time.sleep(0.25)
        return self

    def __exit__(self, *exc_info) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


class CpuMeter:
    """CPU time of a process and all its descendants (the model API's uvicorn workers)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.known: dict[int, psutil.Process] = {}
        self.last: tuple[float, ...] | None = None  # (wall, cpu seconds, wait seconds)

    def cpu_seconds(self) -> float:
        try:
            root = psutil.Process(self.pid)
            family = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            family = []
        total = 0.0
        for process in family:
            process = self.known.setdefault(process.pid, process)
            try:
                times = process.cpu_times()
                total += times.user + times.system
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                continue
        return total

    def wait_seconds(self) -> float:
        """Run-queue wait of the same processes: time they were ready to run but had no core."""
        return sum(processes.run_queue_wait_seconds(pid) for pid in list(self.known))

    def reading(self) -> tuple[float, float, float]:
        """(wall, CPU seconds, run-queue wait seconds)."""
        return time.monotonic(), self.cpu_seconds(), self.wait_seconds()

    def tick(self) -> float | None:
        """Percent of one core used since the previous tick."""
        now = self.reading()
        previous, self.last = self.last, now
        return percent_between(previous, now) if previous else None


def percent_between(start: tuple[float, ...] | None, end: tuple[float, ...] | None, field: int = 1) -> float | None:
    """CPU (field 1) or run-queue wait (field 2) between two readings, in % of one core."""
    if start is None or end is None or end[0] - start[0] <= 0 or len(start) <= field or len(end) <= field:
        return None
    return max(0.0, 100 * (end[field] - start[field]) / (end[0] - start[0]))


class RunSession:
    """Everything one run starts, watches and cleans up."""

    def __init__(self, run: LabRun):
        self.run = run
        self.config = run.config
        self.scenario = run.config.get("scenario") or run.lab.scenario
        self.marker = run.process_marker
        self.tmp = Path(tempfile.gettempdir())  # the run's own folder is made when it starts
        self.lines: queue.Queue[dict] = queue.Queue()
        self.api: Any = None
        self.locust: Any = None
        self.reader: threading.Thread | None = None
        self.read_fd: int | None = None
        self.port = 0
        self.summary: dict | None = None
        self.plugin_error = ""
        self.sample_index = 0
        self.cancelled = False
        self.api_cpu: float | None = None
        self.meter: CpuMeter | None = None
        self.load_start: tuple[float, ...] | None = None
        self.load_end: tuple[float, ...] | None = None

    # -- the whole run --------------------------------------------------------------------------------

    def perform(self) -> str:
        now = timezone.now()
        if self.run.status != RunStatus.STARTING:  # not claimed by slots.claim_next: claim this one
            claimed = LabRun.objects.filter(pk=self.run.pk, status=RunStatus.QUEUED).update(
                status=RunStatus.STARTING, started_at=now, heartbeat_at=now, worker_host=slots.host_name(),
                worker_pid=os.getpid(),
            )
            if not claimed:
                return "no longer queued"
        self.tmp = Path(tempfile.mkdtemp(prefix=f"{self.marker}-"))  # found by the marker if the worker dies
        outcome: dict[str, Any] = {}
        interrupted: BaseException | None = None
        try:
            self.start()
            self.watch()
            outcome = self.finish()
        except RunFailed as exc:
            # A learner who cancelled while the run was starting reads "cancelled", not a failure caused by
            # the stop they asked for (Locust stopped before it was ready leaves no results).
            outcome = self.cancelled_early() if self.cancel_requested() else self.failure(str(exc))
        except DATABASE_ERRORS as exc:
            logger.warning("lab run %s stopped: the database is unreachable (%s)", self.run.pk, exc)
            outcome = self.failure(DATABASE_LOST_REASON)
        except BaseException as exc:  # a worker's shutdown included: never leave the run running
            logger.exception("lab run %s stopped on an error", self.run.pk)
            outcome = self.failure(f"The run stopped on an internal error ({type(exc).__name__}). Start it again.")
            if not isinstance(exc, Exception):
                interrupted = exc
        finally:
            self.stop_everything()  # before the run reads as ended: nothing of it is left running by then
            shutil.rmtree(self.tmp, ignore_errors=True)
            if outcome:
                self.store_outcome(outcome)
        if interrupted is not None:
            raise interrupted
        return str(outcome.get("status", "")) if outcome.get("status") != RunStatus.FAILED else \
            f"failed: {outcome.get('failure_reason', '')}"

    def store_outcome(self, outcome: dict[str, Any]) -> None:
        """Write how the run ended; if the database is away, wait for it (unless the worker is stopping)."""
        while True:
            try:
                LabRun.objects.filter(pk=self.run.pk, status__in=ACTIVE).update(**outcome)
                return
            except DATABASE_ERRORS as exc:
                if not wait_for_database(STOP.is_set, exc, logger):
                    raise

    # -- start ----------------------------------------------------------------------------------------

    def base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("MODEL_API_", "LOCUST_", "PROMETHEUS_MULTIPROC", "BP_"))}
        env.update({
            processes.MARKER_ENV: self.marker,
            "PYTHONPATH": str(BASE_DIR),
            "PYTHONUNBUFFERED": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
        })
        return env

    def api_command(self) -> list[str]:
        return [sys.executable, "-m", "labs.model_api", "--host", "127.0.0.1", "--port", str(self.port),
                "--log-level", "warning", *api_argv(self.config.get("api", {}))]

    def locust_command(self) -> list[str]:
        scenario = scenario_path(self.scenario)
        config = self.config
        argv = [
            sys.executable, "-m", "locust",
            "-f", f"{scenario},{PLUGIN}",
            "--headless", "--only-summary",
            "--host", f"http://127.0.0.1:{self.port}",
            "--users", str(config["users"]),
            "--spawn-rate", f"{float(config['spawn_rate']):g}",
            "--run-time", f"{int(config['duration_s'])}s",
            "--loglevel", "WARNING",
            "--exit-code-on-error", "0",
        ]
        if int(config.get("workers") or 1) > 1:
            argv += ["--processes", str(int(config["workers"]))]
        return argv

    def start(self) -> None:
        if not scenario_path(self.scenario).is_file():
            raise RunFailed(f"This lab's scenario {self.scenario} is missing from locust_scenarios/.")
        over = command_cap_problems(self.locust_command(), self.config.get("env") or {}, caps_from_settings())
        if over:
            raise RunFailed(f"This run would exceed the site's limits, so it was not started: {'; '.join(over)}.")
        self.port = processes.free_port()
        api_env = {**self.base_env(), "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / "metrics")}
        (self.tmp / "metrics").mkdir()
        self.api = processes.spawn(self.api_command(), env=api_env, cwd=BASE_DIR, log=self.tmp / "api.log")
        self.read_fd, write_fd = os.pipe()
        locust_env = {
            **self.base_env(),
            **{name: str(value) for name, value in (self.config.get("env") or {}).items()},
            "BP_TELEMETRY_FD": str(write_fd),
            "BP_WAIT_FOR_HOST_S": str(lab_setting("LAB_API_START_TIMEOUT_S", 20)),
            "BP_WARMUP_PATH": "/predict",
            "BP_WARMUP_BODY": WARMUP_BODY,
        }
        try:
            self.locust = processes.spawn(self.locust_command(), env=locust_env, cwd=self.tmp,
                                          log=self.tmp / "locust.log", pass_fds=[write_fd])
        finally:
            os.close(write_fd)
        self.meter = CpuMeter(self.api.pid)
        LabRun.objects.filter(pk=self.run.pk).update(process_groups=[self.api.pid, self.locust.pid])
        self.reader = threading.Thread(target=self._read_lines, name=f"lab-run-{self.run.pk}-reader", daemon=True)
        self.reader.start()

    def _read_lines(self) -> None:
        with os.fdopen(self.read_fd, "rb", closefd=True) as pipe:
            for raw in pipe:
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(line, dict):
                    self.lines.put(line)
        self.read_fd = None

    # -- watch ----------------------------------------------------------------------------------------

    def watch(self) -> None:
        config = self.config
        duration = int(config["duration_s"])
        started = time.monotonic()
        hard_limit = min(duration + lab_setting("LAB_RUN_GRACE_S", 30), lab_setting("LAB_RUN_TIMEOUT_S", 300))
        start_limit = lab_setting("LAB_API_START_TIMEOUT_S", 20) + 10
        ready_at: float | None = None
        next_beat = 0.0
        stop_sent = False
        while True:
            if STOP.is_set():
                raise RunFailed(STOPPED_REASON)
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                line = None
            if line is not None:
                if self.handle(line) == "ready":
                    ready_at = time.monotonic()
                continue
            if self.locust.poll() is not None:
                break
            if self.api.poll() is not None:
                raise RunFailed(f"The model API exited (code {self.api.returncode}) in the middle of the run. "
                                f"Its last output: {self.tail('api.log', 600)}")
            now = time.monotonic()
            if now >= next_beat:
                next_beat = now + 1.0
                self.api_cpu = self.meter.tick()
                if self.beat() and not stop_sent:
                    self.cancelled = True
                    stop_sent = self.stop_load()
            if ready_at is None and now - started > start_limit:
                raise RunFailed(f"The model API did not become ready within {start_limit} s. "
                                f"Its output: {self.tail('api.log', 600)}")
            if ready_at is not None and not stop_sent and now > ready_at + duration + STOP_MARGIN_S:
                stop_sent = self.stop_load()  # a LoadTestShape ignores --run-time: end it on time
            if now - started > hard_limit:
                raise RunFailed(f"The run exceeded its time limit of {hard_limit} s and was stopped.")
        if self.reader is not None:
            self.reader.join(timeout=5)
        while not self.lines.empty():
            self.handle(self.lines.get_nowait())
        if self.summary is None:
            reason = self.plugin_error or f"Locust exited (code {self.locust.returncode}) without results."
            raise RunFailed(f"{reason} Its last output: {self.tail('locust.log', 800)}")

    def handle(self, line: dict) -> str:
        kind = line.get("type")
        if kind == "ready":
            self.load_start = self.meter.reading()
            now = timezone.now()
            LabRun.objects.filter(pk=self.run.pk, status__in=ACTIVE).update(
                status=RunStatus.RUNNING, running_at=now, heartbeat_at=now
            )
        elif kind == "sample":
            self.store_sample(line)
        elif kind == "summary":
            self.load_end = self.meter.reading()
            self.summary = line
        elif kind == "error":
            self.plugin_error = str(line.get("message", ""))[:500]
        return kind or ""

    def store_sample(self, line: dict) -> None:
        RunSample.objects.create(
            run_id=self.run.pk,
            index=self.sample_index,
            t=float(line.get("t") or 0),
            users=int(line.get("users") or 0),
            rps=float(line.get("rps") or 0),
            failures_per_s=float(line.get("failures_per_s") or 0),
            p50_ms=line.get("p50_ms"),
            p95_ms=line.get("p95_ms"),
            p99_ms=line.get("p99_ms"),
            requests=int(line.get("requests") or 0),
            failures=int(line.get("failures") or 0),
            generator_cpu=line.get("cpu_percent"),
            api_cpu=None if self.api_cpu is None else round(self.api_cpu, 1),
            histogram=line["histogram"] if isinstance(line.get("histogram"), list) else [],
            **{name: _float_or_none(line.get(name)) for name in RunSample.LLM_FIELDS},
        )
        self.sample_index += 1

    def beat(self) -> bool:
        """Refresh the heartbeat; True when the learner asked to cancel."""
        now = timezone.now()
        LabRun.objects.filter(pk=self.run.pk, status__in=ACTIVE).update(heartbeat_at=now)
        slots.report_alive(now)
        state = LabRun.objects.filter(pk=self.run.pk).values("status", "cancel_requested_at").first()
        if state is None or state["status"] not in ACTIVE:
            raise RunFailed("The run was stopped from outside.")
        return state["cancel_requested_at"] is not None

    def stop_load(self) -> bool:
        """Ask Locust to stop the way Ctrl+C does: it still writes its summary."""
        try:
            self.locust.terminate()
        except ProcessLookupError:
            pass
        return True

    # -- finish ---------------------------------------------------------------------------------------

    def fetch_json(self, path: str) -> dict | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=3) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError):
            return None

    def finish(self) -> dict[str, Any]:
        """The fields of a finished run: its results, read while the model API still answers."""
        metrics = self.fetch_json("/metrics/summary")
        api_info = self.fetch_json("/config") or {}
        load_end = self.load_end or self.meter.reading()
        api_cpu = percent_between(self.load_start, load_end)
        api_wait = percent_between(self.load_start, load_end, field=2)
        samples = self.run.samples_since(with_histogram=True)
        versions = {**(api_info.get("versions") or {}), "model": (api_info.get("model") or {}).get("version")}
        built = results.build(self.summary, samples, metrics, api_cpu, self.config, self.run.lab.slo_ms, versions,
                              scenario=self.scenario, cpu_count=os.cpu_count(), api_wait_percent=api_wait)
        now = timezone.now()
        return {
            "status": RunStatus.CANCELLED if self.cancelled else RunStatus.SUCCEEDED,
            "results": built,
            "finished_at": now,
            "heartbeat_at": now,
            "failure_reason": "Cancelled: the results cover the part that ran." if self.cancelled else "",
        }

    def cancel_requested(self) -> bool:
        return self.cancelled or LabRun.objects.filter(pk=self.run.pk, cancel_requested_at__isnull=False).exists()

    def cancelled_early(self) -> dict[str, Any]:
        return {"status": RunStatus.CANCELLED, "failure_reason": "Cancelled before the load test produced results.",
                "finished_at": timezone.now()}

    def failure(self, reason: str) -> dict[str, Any]:
        logs = "\n".join(f"== {name} ==\n{self.tail(name, LOG_TAIL_CHARS // 2)}" for name in ("api.log", "locust.log"))
        return {"status": RunStatus.FAILED, "failure_reason": reason[:2000], "finished_at": timezone.now(),
                "log_tail": logs}

    def tail(self, name: str, chars: int) -> str:
        try:
            data = (self.tmp / name).read_bytes()[-chars:]
        except OSError:
            return ""
        return data.decode("utf-8", "replace").strip()

    def stop_everything(self) -> None:
        """Kill both process groups (and anything else carrying this run's marker), whatever happened."""
        for process in (self.locust, self.api):
            if process is not None:
                processes.stop_group(process.pid, self.marker, grace_s=1.5)
        processes.kill_marked(self.marker, [p.pid for p in (self.locust, self.api) if p is not None])
        for process in (self.locust, self.api):
            if process is not None:
                try:
                    process.wait(timeout=5)
                except Exception:  # noqa: BLE001 - nothing more can be done; it is killed
                    pass
        if self.reader is not None:
            self.reader.join(timeout=2)


def _float_or_none(value: Any) -> float | None:
    """A number from a telemetry line, or None (absent, or not a finite number)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)
