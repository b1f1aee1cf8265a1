"""Breaking Point's Locust plugin: exact latencies and one live sample a second.

Load it next to any scenario: `locust -f locust_scenarios/predict.py,labs/telemetry/plugin.py ...`
(the lab runner does this; run from the repository root so `labs.telemetry` is importable). It adds no
users and changes nothing in the scenario; it only listens to Locust's events.

Output: one JSON object per line, written to the file descriptor in BP_TELEMETRY_FD (the lab runner
passes a pipe), else to the file BP_TELEMETRY_FILE, else to stdout.

- `{"type": "ready", ...}` once the target answers /healthz and the test can start;
- `{"type": "sample", "t": 3.0, "users": 20, "rps": ..., "failures_per_s": ..., "p50_ms": ..., "p95_ms": ...,
  "p99_ms": ..., "requests": ..., "failures": ..., "histogram": [first bucket, counts...], "cpu_percent": ...,
  "cpu_by_process": [...]}` every second (the histogram holds that second's latencies in log buckets)
  (RPS over the last second, percentiles over the last WINDOW_S seconds, CPU of each Locust process);
- with the LLM scenario, samples also carry `ttft_p50_ms`, `ttft_p99_ms`, `itl_p50_ms`, `itl_p99_ms`,
  `tokens_per_s` and `goodput_rps` (window of WINDOW_S seconds), and the summary an `llm` object (TTFT and
  inter-token-gap percentiles from HDR histograms, output tokens, tokens/s, good requests, goodput);
- `{"type": "summary", ...}` when Locust quits: exact p50/p90/p95/p99/p99.9/max from the HDR histogram,
  Locust's own (bucketed) percentiles beside them, per-endpoint stats, errors and versions.

With `--processes N` every worker sends the master what it recorded since its last message once a second
(a custom message carrying encoded HDR histograms) and a last time with its final stats report; the master
merges them, so the summary covers every request of every worker exactly once.

This is the only module of the site that imports Locust. Django never imports it.
"""

from __future__ import annotations

import json
import os
import platform
import stat
import sys
import time
import urllib.error
import urllib.request

import gevent
import psutil
from locust import __version__ as locust_version
from locust import events
from locust.event import EventHook
from locust.runners import MasterRunner, WorkerRunner

from labs.telemetry.recorder import Pending, Recorder

MESSAGE = "bp_telemetry"
INTERVAL_S = 1.0


class Output:
    """Where the JSON lines go; each line is written with one system call."""

    def __init__(self) -> None:
        fd = os.environ.get("BP_TELEMETRY_FD")
        path = os.environ.get("BP_TELEMETRY_FILE")
        if fd:
            self.fd = int(fd)
            try:
                mode = os.fstat(self.fd).st_mode
            except OSError:
                mode = 0
            if not stat.S_ISFIFO(mode):  # never write lines into whatever else owns that number (a socket)
                raise SystemExit(f"BP_TELEMETRY_FD={fd} is not an open pipe")
        elif path:
            self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        else:
            self.fd = sys.stdout.fileno()

    def write(self, line: dict) -> None:
        data = (json.dumps(line, separators=(",", ":")) + "\n").encode()
        try:
            while data:
                written = os.write(self.fd, data)
                data = data[written:]
        except OSError:
            pass  # the reader went away; Locust is about to be stopped anyway


class Telemetry:
    """State of the plugin in one Locust process (local runner, master or worker)."""

    def __init__(self) -> None:
        self.environment = None
        self.role = "local"
        self.recorder = Recorder()
        self.pending = Pending()
        self.output: Output | None = None
        self.process = psutil.Process()
        self.worker_cpu: dict[str, float] = {}
        self.started_at: float | None = None
        self.stopped_at: float | None = None
        self.last_sample_at: float | None = None
        self.summary_written = False
        self.workers_quit = False

    # -- setup ----------------------------------------------------------------------------------------

    def on_init(self, environment, **_kwargs) -> None:
        self.environment = environment
        runner = environment.runner
        self.process.cpu_percent()  # start the CPU counter
        if isinstance(runner, WorkerRunner):
            self.role = "worker"
            gevent.spawn(self._worker_loop)
            return
        self.role = "master" if isinstance(runner, MasterRunner) else "local"
        self.output = Output()
        if self.role == "master":
            runner.register_message(MESSAGE, self._on_worker_message)
            self._note_quit(runner)
        self._wait_for_host()
        gevent.spawn(self._sample_loop)

    def _note_quit(self, runner) -> None:
        """Remember when the master has told its workers to quit (they then send their last report)."""
        original = runner.quit

        def quit_and_note() -> None:
            self.workers_quit = True
            original()

        runner.quit = quit_and_note

    def _wait_for_host(self) -> None:
        """Hold the start until the target answers /healthz (the runner starts it beside Locust)."""
        wait_s = float(os.environ.get("BP_WAIT_FOR_HOST_S", "0") or 0)
        host = self.environment.host
        if wait_s <= 0 or not host:
            return
        deadline = time.monotonic() + wait_s
        url = host.rstrip("/") + "/healthz"
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        self._warm_up(host)
                        self.output.write({"type": "ready", "host": host})
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                self.output.write({"type": "error", "message": f"{url} did not answer within {wait_s:g} s"})
                sys.exit(3)
            gevent.sleep(0.05)

    def _warm_up(self, host: str) -> None:
        """A few requests before the load (BP_WARMUP_PATH, BP_WARMUP_BODY) so that a cold start of the
        server is not measured as if it were latency under load."""
        path = os.environ.get("BP_WARMUP_PATH", "")
        body = os.environ.get("BP_WARMUP_BODY", "").encode()
        for _ in range(int(os.environ.get("BP_WARMUP_REQUESTS", "2") or 0) if path else 0):
            request = urllib.request.Request(host.rstrip("/") + path, data=body or None,
                                             headers={"Content-Type": "application/json"})
            try:
                urllib.request.urlopen(request, timeout=5).close()
            except (urllib.error.URLError, OSError):
                return

    # -- recording ------------------------------------------------------------------------------------

    def on_request(self, request_type, name, response_time, exception=None, **_kwargs) -> None:
        key = f"{request_type} {name}"
        failed = exception is not None
        if self.role == "worker":
            self.pending.record(key, response_time or 0.0, failed)
        else:
            self.recorder.record(key, response_time or 0.0, failed)

    def on_llm_stream(self, ttft_ms=None, itl_ms=(), output_tokens=0, good=False, failed=False,
                      **_kwargs) -> None:
        """One streamed request of the LLM scenario (locust_scenarios/llm_stream.py)."""
        target = self.pending if self.role == "worker" else self.recorder
        target.record_stream(ttft_ms, list(itl_ms or ()), int(output_tokens or 0), bool(good), bool(failed))

    def on_test_start(self, **_kwargs) -> None:
        if self.started_at is None:
            self.started_at = time.monotonic()
            self.last_sample_at = self.started_at

    def on_test_stop(self, **_kwargs) -> None:
        if self.started_at is not None:
            self.stopped_at = time.monotonic()

    # -- distributed mode -----------------------------------------------------------------------------

    def _worker_message(self, with_cpu: bool = True) -> dict:
        message = self.pending.take()
        if with_cpu:
            message["cpu"] = self.process.cpu_percent()
        return message

    def _worker_loop(self) -> None:
        runner = self.environment.runner
        while True:
            gevent.sleep(INTERVAL_S)
            try:
                runner.send_message(MESSAGE, self._worker_message())
            except Exception:  # a lost connection: the next message or the final report carries the data
                pass

    def on_report_to_master(self, client_id, data, **_kwargs) -> None:
        if self.role == "worker":
            # The last flush can come milliseconds after a message: its CPU reading would be noise.
            data[MESSAGE] = self._worker_message(with_cpu=False)

    def on_worker_report(self, client_id, data, **_kwargs) -> None:
        if self.role == "master" and MESSAGE in data:
            self._merge(client_id, data[MESSAGE])

    def _on_worker_message(self, environment, msg, **_kwargs) -> None:
        self._merge(msg.node_id, msg.data)

    def _merge(self, client_id: str, data: dict) -> None:
        self.recorder.add_delta(data)
        if "cpu" in data:
            self.worker_cpu[client_id] = float(data["cpu"])

    # -- output ---------------------------------------------------------------------------------------

    def _cpu(self) -> tuple[float, list[float]]:
        own = self.process.cpu_percent()
        by_process = [own, *self.worker_cpu.values()]
        return max(by_process), by_process

    def _sample_loop(self) -> None:
        next_at = time.monotonic() + INTERVAL_S
        while True:
            gevent.sleep(max(0.0, next_at - time.monotonic()))
            next_at += INTERVAL_S
            if self.started_at is None or self.summary_written:
                continue
            now = time.monotonic()
            sample = self.recorder.sample(now - (self.last_sample_at or now))
            self.last_sample_at = now
            cpu, by_process = self._cpu()
            runner = self.environment.runner
            self.output.write({
                "type": "sample",
                "t": round(now - self.started_at, 3),
                "users": runner.user_count,
                **sample,
                "cpu_percent": round(cpu, 1),
                "cpu_by_process": [round(c, 1) for c in by_process],
                "state": runner.state,
            })

    def on_quitting(self, environment, **_kwargs) -> None:
        if self.role == "worker" or self.output is None or self.summary_written:
            return
        if self.role == "master" and not self.workers_quit:
            # Stopped by a signal: quit the workers first, so their last second reaches the summary.
            environment.runner.quit()
        self.summary_written = True
        end = self.stopped_at or time.monotonic()
        duration = end - self.started_at if self.started_at is not None else 0.0
        summary = self.recorder.summary(duration)
        stats = environment.stats
        total = stats.total
        summary["locust"] = {
            "requests": total.num_requests,
            "failures": total.num_failures,
            "p50_ms": _locust_percentile(total, 0.50),
            "p95_ms": _locust_percentile(total, 0.95),
            "p99_ms": _locust_percentile(total, 0.99),
            "max_ms": round(total.max_response_time or 0, 3) if total.num_requests else None,
            "rps": round(total.total_rps, 3),
        }
        locust_by_key = {f"{e.method} {e.name}": e for e in stats.entries.values()}
        for endpoint in summary["endpoints"]:
            entry = locust_by_key.get(f"{endpoint['method']} {endpoint['name']}")
            endpoint["locust_p99_ms"] = _locust_percentile(entry, 0.99) if entry else None
        summary["errors"] = [
            {"method": e.method, "name": e.name, "error": str(e.error)[:300], "occurrences": e.occurrences}
            for e in sorted(stats.errors.values(), key=lambda e: -e.occurrences)[:20]
        ]
        summary["generator"] = {"role": self.role, "processes": 1 + len(self.worker_cpu)}
        summary["versions"] = {"locust": locust_version, "python": platform.python_version()}
        self.output.write({"type": "summary", **summary})


def _locust_percentile(entry, q: float) -> float | None:
    if entry is None or not entry.num_requests:
        return None
    return float(entry.get_response_time_percentile(q))


telemetry = Telemetry()
events.init.add_listener(telemetry.on_init)
events.request.add_listener(telemetry.on_request)
events.test_start.add_listener(telemetry.on_test_start)
events.test_stop.add_listener(telemetry.on_test_stop)
events.report_to_master.add_listener(telemetry.on_report_to_master)
events.worker_report.add_listener(telemetry.on_worker_report)
events.quitting.add_listener(telemetry.on_quitting)
# The LLM scenario's per-request event (whichever of the scenario and this plugin is imported first creates it).
if not hasattr(events, "llm_stream"):
    events.llm_stream = EventHook()
events.llm_stream.add_listener(telemetry.on_llm_stream)
