"""Server-side metrics that stay coherent with several workers.

Two views of the same requests, both aggregated across worker processes:

- `GET /metrics`: Prometheus text format from prometheus_client. When `PROMETHEUS_MULTIPROC_DIR` is
  set (`python -m labs.model_api` always sets it, to a fresh temporary directory), prometheus_client runs
  in multiprocess mode: each worker writes its samples to memory-mapped files there and a scrape, served
  by any worker, sums them. Requests by endpoint and status, a latency histogram (buckets from 0.25 ms to
  10 s), requests in flight, cache hits and misses, shed requests, injected errors, CPU burned by the
  `--cpu-ms` knob and one `model_api_worker_info{worker,pid}` series per live worker.
- `GET /metrics/summary`: JSON with near-exact server-side percentiles. Each worker also counts its
  latencies in a log-bucketed histogram (bucket ratio 1.01, so every reported percentile is within 0.5%
  of the true value, from 10 us to 100 s) kept in a small memory-mapped file of its own; the summary adds
  up every worker's file. Counting is a few array increments per request.
- The event-loop monitor (`Metrics.monitor`, one task per worker, every 10 ms): how late the loop wakes it
  (a loop blocked by a handler wakes it late). The in-flight sampler (`Metrics.start_sampler`, one daemon
  thread per worker, every 10 ms): how many requests were in flight, integrated over time. It is a thread,
  not a task, because a task runs only when the loop is free, between requests, so a handler that burns
  CPU or blocks would never be seen in flight; a thread gets the GIL at least every switch interval (5 ms)
  even then. /metrics/summary reports both under "loop": the mean lag and the in-flight request-seconds,
  from which the run analysis checks Little's law inside the API and tells a blocked loop from one that
  waits.

Without `PROMETHEUS_MULTIPROC_DIR` (an app created in-process) both views cover the current process only.
"""

from __future__ import annotations

import asyncio
import math
import mmap
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from prometheus_client import CONTENT_TYPE_LATEST as PROMETHEUS_CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

__all__ = ["ENDPOINTS", "PROMETHEUS_CONTENT_TYPE", "Metrics", "MetricsMiddleware", "multiproc_dir"]

ENDPOINTS: tuple[str, ...] = (
    "/predict",
    "/work/cpu",
    "/work/io",
    "/healthz",
    "/config",
    "/metrics",
    "/metrics/summary",
    "/v1/completions",
    "/v1/chat/completions",
    "other",
)
_ENDPOINT_INDEX = {path: i for i, path in enumerate(ENDPOINTS)}
_OTHER = _ENDPOINT_INDEX["other"]

LATENCY_BUCKETS = (
    0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1,
    0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0,
)  # fmt: skip
"""Prometheus histogram bounds in seconds: dense where lab latencies live (1 ms to 10 s)."""

# Fine histogram: bucket 0 holds (0, MIN]; bucket i holds (MIN * R^(i-1), MIN * R^i]; the last one overflows.
FINE_MIN_S = 1e-5
FINE_RATIO = 1.01
FINE_BUCKETS = math.ceil(math.log(100.0 / FINE_MIN_S) / math.log(FINE_RATIO)) + 2
_LOG_MIN = math.log(FINE_MIN_S)
_INV_LOG_RATIO = 1.0 / math.log(FINE_RATIO)
PERCENTILES = (("p50", 0.50), ("p90", 0.90), ("p95", 0.95), ("p99", 0.99), ("p999", 0.999))

STATUSES = (200, 400, 422, 500, 503)
_STATUS_SLOT = {status: i for i, status in enumerate(STATUSES)}
_STATUS_OTHER = len(STATUSES)
COUNTERS = ("cache_hits", "cache_misses", "shed", "injected_errors", "cpu_work_ns",
            "loop_lag_ns", "loop_ticks", "loop_monitored_ns", "in_flight_ns")
MONITOR_INTERVAL_S = 0.01
_COUNTER_SLOT = {name: i for i, name in enumerate(COUNTERS)}

_E, _N, _S = len(ENDPOINTS), FINE_BUCKETS, len(STATUSES) + 1
_STATUS_BASE = _E * _N
_COUNTER_BASE = _STATUS_BASE + _E * _S
_INT_SLOTS = _COUNTER_BASE + len(COUNTERS)
_FLOAT_SLOTS = 2 * _E  # latency sum per endpoint, then latency max per endpoint
_FILE_BYTES = 8 * (_INT_SLOTS + _FLOAT_SLOTS)
_STORE_NAME = re.compile(r"^model_api_w(\d+)_p(\d+)\.bin$")


def multiproc_dir() -> str | None:
    """The shared metrics directory of a multi-process server, or None for a single in-process app."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return path if path and os.path.isdir(path) else None


def fine_bucket(seconds: float) -> int:
    """The fine-histogram bucket holding a latency of `seconds`."""
    if seconds <= FINE_MIN_S:
        return 0
    return min(_N - 1, math.ceil((math.log(seconds) - _LOG_MIN) * _INV_LOG_RATIO))


def claim_worker_index(directory: str | None) -> int:
    """A small worker number unique within `directory` (0, 1, ...), claimed atomically; 0 without one."""
    if directory is None:
        return 0
    index = 0
    while True:
        try:
            fd = os.open(
                os.path.join(directory, f"model_api_worker_{index}.claim"),
                os.O_CREAT | os.O_EXCL | os.O_WRONLY,
            )
        except FileExistsError:
            index += 1
            continue
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        return index


class LatencyStore:
    """One process's fine latency histogram, status counts and counters, in a (shared) memory map."""

    def __init__(self, directory: str | None, worker: int) -> None:
        self.path: Path | None = None
        if directory is None:
            self._buffer: mmap.mmap | bytearray = bytearray(_FILE_BYTES)
        else:
            self.path = Path(directory) / f"model_api_w{worker}_p{os.getpid()}.bin"
            with open(self.path, "wb+") as handle:
                handle.truncate(_FILE_BYTES)
                self._buffer = mmap.mmap(handle.fileno(), _FILE_BYTES)
        view = memoryview(self._buffer)
        self._ints = view[: 8 * _INT_SLOTS].cast("q")
        self._floats = view[8 * _INT_SLOTS :].cast("d")

    def record(self, endpoint: int, status: int, seconds: float) -> None:
        """Count one finished request."""
        ints, floats = self._ints, self._floats
        ints[endpoint * _N + fine_bucket(seconds)] += 1
        ints[_STATUS_BASE + endpoint * _S + _STATUS_SLOT.get(status, _STATUS_OTHER)] += 1
        floats[endpoint] += seconds
        floats[_E + endpoint] = max(floats[_E + endpoint], seconds)

    def add(self, counter: str, amount: int = 1) -> None:
        """Increase one of `COUNTERS`."""
        self._ints[_COUNTER_BASE + _COUNTER_SLOT[counter]] += amount

    def snapshot(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the integer and float slots."""
        raw = bytes(self._buffer)
        return _split(raw)


def _split(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    ints = np.frombuffer(raw, dtype=np.int64, count=_INT_SLOTS)
    floats = np.frombuffer(raw, dtype=np.float64, count=_FLOAT_SLOTS, offset=8 * _INT_SLOTS)
    return ints, floats


@dataclass(frozen=True)
class _WorkerSnapshot:
    worker: int
    pid: int
    ints: np.ndarray
    floats: np.ndarray


def _worker_snapshots(directory: str | None, own: LatencyStore, worker: int) -> Iterator[_WorkerSnapshot]:
    if directory is None:
        ints, floats = own.snapshot()
        yield _WorkerSnapshot(worker, os.getpid(), ints, floats)
        return
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        match = _STORE_NAME.match(entry.name)
        if not match:
            continue
        raw = Path(entry.path).read_bytes()
        if len(raw) != _FILE_BYTES:
            continue
        ints, floats = _split(raw)
        yield _WorkerSnapshot(int(match.group(1)), int(match.group(2)), ints, floats)


def _fine_value(bucket: int) -> float:
    """A bucket's representative latency in seconds: the geometric middle of its bounds."""
    if bucket == 0:
        return FINE_MIN_S
    return FINE_MIN_S * FINE_RATIO ** (bucket - 0.5)


def _endpoint_summary(counts: np.ndarray, statuses: np.ndarray, total_s: float, max_s: float) -> dict:
    total = int(counts.sum())
    by_status = {str(s): int(statuses[i]) for i, s in enumerate(STATUSES) if statuses[i]}
    if statuses[_STATUS_OTHER]:
        by_status["other"] = int(statuses[_STATUS_OTHER])
    result: dict[str, Any] = {"count": total, "by_status": by_status}
    if total == 0:
        return result
    cumulative = np.cumsum(counts)
    result["mean_ms"] = round(total_s / total * 1000, 3)
    for name, q in PERCENTILES:
        rank = max(1, math.ceil(round(q * total, 6)))  # nearest rank; round() absorbs 0.999 * 50000 > 49950
        bucket = int(np.searchsorted(cumulative, rank))
        result[f"{name}_ms"] = round(min(_fine_value(bucket), max_s) * 1000, 3)
    result["max_ms"] = round(max_s * 1000, 3)
    return result


def _cpu_seconds(pid: int) -> float | None:
    try:
        times = psutil.Process(pid).cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    return round(times.user + times.system, 3)


class Metrics:
    """The metrics of one worker process: Prometheus series plus the fine latency store."""

    def __init__(self, directory: str | None = None, worker: int = 0) -> None:
        self.directory = directory
        self.worker = worker
        self.pid = os.getpid()
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.requests = Counter(
            "model_api_requests", "Requests answered, by endpoint and status.", ["endpoint", "status"],
            registry=reg,
        )  # fmt: skip
        self.latency = Histogram(
            "model_api_request_duration_seconds", "Server-side request latency.", ["endpoint"],
            buckets=LATENCY_BUCKETS, registry=reg,
        )  # fmt: skip
        self.in_flight = Gauge(
            "model_api_requests_in_flight", "Requests being served now (all workers).",
            multiprocess_mode="livesum", registry=reg,
        )  # fmt: skip
        self.cache_hits = Counter("model_api_cache_hits", "Prediction cache hits.", registry=reg)
        self.cache_misses = Counter("model_api_cache_misses", "Prediction cache misses.", registry=reg)
        self.shed_requests = Counter(
            "model_api_shed_requests", "Requests refused with 503 by --max-concurrency.", registry=reg
        )
        self.injected_errors = Counter(
            "model_api_injected_errors",
            "Requests answered with an injected 500 (--error-rate).",
            registry=reg,
        )
        self.cpu_work = Counter(
            "model_api_cpu_work_seconds", "Thread CPU time spent by the --cpu-ms knob.", registry=reg
        )
        if directory is None:
            worker_info = Gauge(
                "model_api_worker_info", "The worker process.", ["worker", "pid"], registry=reg
            )
            worker_info.labels(worker=str(worker), pid=str(self.pid)).set(1)
        else:  # "liveall" adds the pid label itself and drops the series when the worker stops
            worker_info = Gauge(
                "model_api_worker_info", "One series per live worker process.", ["worker"],
                multiprocess_mode="liveall", registry=reg,
            )  # fmt: skip
            worker_info.labels(worker=str(worker)).set(1)
        self.store = LatencyStore(directory, worker)
        self.active = 0  # requests in flight in this worker now (the monitor integrates it over time)
        self._request_children: dict[tuple[int, int], Any] = {}
        self._latency_children = [self.latency.labels(endpoint=e) for e in ENDPOINTS]

    # -- recording (hot path) -----------------------------------------------------------------------

    def observe(self, endpoint: int, status: int, seconds: float) -> None:
        """Record one finished request: `endpoint` indexes `ENDPOINTS`, `seconds` is its latency."""
        child = self._request_children.get((endpoint, status))
        if child is None:
            child = self.requests.labels(endpoint=ENDPOINTS[endpoint], status=str(status))
            self._request_children[(endpoint, status)] = child
        child.inc()
        self._latency_children[endpoint].observe(seconds)
        self.store.record(endpoint, status, seconds)

    def cache_hit(self) -> None:
        self.cache_hits.inc()
        self.store.add("cache_hits")

    def cache_miss(self) -> None:
        self.cache_misses.inc()
        self.store.add("cache_misses")

    def shed(self) -> None:
        self.shed_requests.inc()
        self.store.add("shed")

    def injected_error(self) -> None:
        self.injected_errors.inc()
        self.store.add("injected_errors")

    def cpu_worked(self, nanoseconds: int) -> None:
        self.cpu_work.inc(nanoseconds / 1e9)
        self.store.add("cpu_work_ns", nanoseconds)

    async def monitor(self, interval_s: float = MONITOR_INTERVAL_S) -> None:
        """Every `interval_s`: how late the event loop woke this task (a loop blocked by a handler wakes it
        late). Runs until cancelled. The in-flight count is sampled by `start_sampler`, off the loop."""
        store = self.store
        last = time.perf_counter()
        while True:
            await asyncio.sleep(interval_s)
            now = time.perf_counter()
            elapsed = now - last
            last = now
            store.add("loop_lag_ns", int(max(0.0, elapsed - interval_s) * 1e9))
            store.add("loop_ticks")
            store.add("loop_monitored_ns", int(elapsed * 1e9))

    def sample_in_flight(self, active: int, elapsed_s: float) -> None:
        """Add `active` requests in flight over the `elapsed_s` seconds since the last sample (request-seconds)."""
        if active > 0 and elapsed_s > 0:
            self.store.add("in_flight_ns", int(active * elapsed_s * 1e9))

    def start_sampler(self, interval_s: float = MONITOR_INTERVAL_S) -> Callable[[], None]:
        """Start a daemon thread integrating `self.active` over time every `interval_s`; call the returned
        function to stop it (it adds the time since its last sample, ends and is joined). Off the event loop,
        it also counts requests whose handler holds the loop (CPU work, a blocking call)."""
        stop = threading.Event()

        def run() -> None:
            last = time.perf_counter()
            while True:
                stopping = stop.wait(interval_s)
                now = time.perf_counter()
                self.sample_in_flight(self.active, now - last)
                last = now
                if stopping:
                    return

        thread = threading.Thread(target=run, name="model-api-in-flight", daemon=True)
        thread.start()

        def halt() -> None:
            stop.set()
            thread.join(timeout=5)

        return halt

    # -- reading ------------------------------------------------------------------------------------

    def render(self) -> bytes:
        """The Prometheus text exposition, summed over every worker in multiprocess mode."""
        if self.directory is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=self.directory)
        return generate_latest(registry)

    def summary(self) -> dict[str, Any]:
        """Near-exact server-side latency percentiles and counts, summed over every worker."""
        ints = np.zeros(_INT_SLOTS, dtype=np.int64)
        sums = np.zeros(_E)
        maxes = np.zeros(_E)
        workers = []
        for snap in _worker_snapshots(self.directory, self.store, self.worker):
            ints += snap.ints
            sums += snap.floats[:_E]
            maxes = np.maximum(maxes, snap.floats[_E:])
            alive = psutil.pid_exists(snap.pid)
            workers.append(
                {
                    "worker": snap.worker,
                    "pid": snap.pid,
                    "alive": alive,
                    "requests": int(snap.ints[:_STATUS_BASE].sum()),
                    "cpu_seconds": _cpu_seconds(snap.pid) if alive else None,
                }
            )
        counts = ints[:_STATUS_BASE].reshape(_E, _N)
        statuses = ints[_STATUS_BASE:_COUNTER_BASE].reshape(_E, _S)
        counters = ints[_COUNTER_BASE:]
        ticks = int(counters[_COUNTER_SLOT["loop_ticks"]])
        endpoints = {
            name: _endpoint_summary(counts[i], statuses[i], float(sums[i]), float(maxes[i]))
            for i, name in enumerate(ENDPOINTS)
            if counts[i].any()
        }
        return {
            "time": time.time(),
            "resolution": "percentiles within 0.5% (log buckets, ratio 1.01, 10 us to 100 s)",
            "served_by": {"worker": self.worker, "pid": self.pid},
            "workers": workers,
            "endpoints": endpoints,
            "counters": {
                "cache_hits": int(counters[_COUNTER_SLOT["cache_hits"]]),
                "cache_misses": int(counters[_COUNTER_SLOT["cache_misses"]]),
                "shed": int(counters[_COUNTER_SLOT["shed"]]),
                "injected_errors": int(counters[_COUNTER_SLOT["injected_errors"]]),
                "cpu_work_seconds": round(int(counters[_COUNTER_SLOT["cpu_work_ns"]]) / 1e9, 6),
            },
            "loop": {
                "ticks": ticks,
                "lag_mean_ms": round(int(counters[_COUNTER_SLOT["loop_lag_ns"]]) / ticks / 1e6, 3) if ticks else None,
                "monitored_s": round(int(counters[_COUNTER_SLOT["loop_monitored_ns"]]) / 1e9, 3),
                "in_flight_request_s": round(int(counters[_COUNTER_SLOT["in_flight_ns"]]) / 1e9, 4),
            },
        }

    def close(self) -> None:
        """Forget this worker's live gauges: it is stopping. Its counts stay, as finished work."""
        if self.directory is not None:
            multiprocess.mark_process_dead(self.pid, self.directory)


class MetricsMiddleware:
    """Pure ASGI middleware timing every HTTP request and recording it in `Metrics`."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        metrics = self.metrics
        endpoint = _ENDPOINT_INDEX.get(scope["path"], _OTHER)
        status = 500  # what the client gets if the app raises before answering

        async def send_and_note_status(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        start = time.perf_counter()
        metrics.in_flight.inc()
        metrics.active += 1
        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            metrics.active -= 1
            metrics.in_flight.dec()
            metrics.observe(endpoint, status, time.perf_counter() - start)
