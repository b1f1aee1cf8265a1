"""Real runs whose truth the model API's knobs make known, analysed the way the lab runner analyses them.

No database: the model API (`python -m labs.model_api`) and headless Locust with the telemetry plugin run as
subprocesses (tests/model_api/model_api_helpers.py); a thread watches the telemetry file and, like the lab
runner, notes the API's CPU between two samples; at the end the API's /metrics/summary is read and
`labs.results.build` (which calls the analysis) builds the results. Used by tests/labs/test_analysis_truth.py
and bench/analysis.py (the truth table).
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from labs import processes, results
from labs.analysis import diagnose
from tests.model_api.model_api_helpers import ModelApi, run_locust, start_model_api

SLO_MS = 100.0
SCENARIOS_DIR = Path(__file__).resolve().parent / "scenarios"


@dataclass
class TruthCase:
    """One configuration and what the analysis must say about it."""

    name: str
    api: dict  # model API knobs, as in a run's config["api"]
    env: dict  # the scenario's environment (STEP_USERS, STEP_SECONDS, MAX_USERS, WAIT_MIN, WAIT_MAX...)
    expected: tuple[str, ...]  # acceptable bottlenecks
    scenario: str = "step_load.py"
    locust_args: tuple[str, ...] = ()


@dataclass
class TruthRun:
    case: TruthCase
    results: dict
    samples: list[dict]
    api_cpu_seconds: float
    analysis_ms: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def diagnosis(self) -> dict:
        return self.results["diagnosis"]

    @property
    def measured_capacity_rps(self) -> float | None:
        """Requests the API served per second of its CPU: its single-core capacity, measured."""
        served = self.results.get("server_requests")
        return served / self.api_cpu_seconds if served and self.api_cpu_seconds > 0 else None


STEPS = {"STEP_USERS": "8", "STEP_SECONDS": "4", "MAX_USERS": "40", "WAIT_MIN": "0.1", "WAIT_MAX": "0.3"}
CASES = {
    "cpu8": TruthCase("CPU work 8 ms, 1 worker", {"cpu_ms": 8.0}, STEPS, ("cpu",)),
    "cpu16": TruthCase("CPU work 16 ms, 1 worker", {"cpu_ms": 16.0}, STEPS, ("cpu",)),
    "io_limit": TruthCase("I/O wait 50 ms, concurrency limit 4", {"io_ms": 50.0, "max_concurrency": 4}, STEPS,
                          ("io", "concurrency_limit")),
    "blocking": TruthCase("Blocking 20 ms wait in an async handler", {"io_ms": 20.0, "blocking": True}, STEPS,
                          ("blocking",)),
    "generator": TruthCase("Starved generator: a heavy client, no think time, 2 API workers", {"workers": 2},
                           {"STEP_USERS": "10", "STEP_SECONDS": "4", "MAX_USERS": "40"}, ("generator",),
                           scenario=str(SCENARIOS_DIR / "heavy_client.py")),
    "below": TruthCase("Below capacity: CPU 8 ms, up to 12 users", {"cpu_ms": 8.0},
                       {**STEPS, "STEP_USERS": "4", "MAX_USERS": "12"}, ("none",)),
}  # fmt: skip


def api_flags(api: dict) -> list[str]:
    flags = []
    for name, value in api.items():
        option = "--" + name.replace("_", "-")
        if value is True:
            flags.append(option)
        elif value not in (False, None):
            flags += [option, str(value)]
    return flags


class CpuWatcher(threading.Thread):
    """Notes the API's CPU between two telemetry samples, as the runner does once a second."""

    def __init__(self, api: ModelApi, telemetry: Path):
        super().__init__(daemon=True)
        self.api, self.telemetry = api, telemetry
        self.stop = threading.Event()
        self.readings: list[float | None] = []
        self.first: tuple[float, float, float] | None = None
        self.last: tuple[float, float, float] | None = None

    def reading(self) -> tuple[float, float, float]:
        return (time.monotonic(), self.api.cpu_seconds(),
                sum(processes.run_queue_wait_seconds(pid) for pid in self.api.pids()))

    def run(self) -> None:
        seen = 0
        previous = self.reading()
        while not self.stop.is_set():
            time.sleep(0.05)
            try:
                lines = self.telemetry.read_text().splitlines()
            except OSError:
                continue
            samples = [line for line in lines if '"type":"sample"' in line]
            if len(samples) > seen:
                now = self.reading()
                if self.first is None:
                    self.first = previous
                for _ in range(len(samples) - seen):
                    wall = now[0] - previous[0]
                    self.readings.append(100 * (now[1] - previous[1]) / wall if wall > 0 else None)
                previous = self.last = now
                seen = len(samples)


def truth_run(case: TruthCase, tmp_dir: Path) -> TruthRun:
    tmp_dir.mkdir(parents=True, exist_ok=True)
    api = start_model_api(*api_flags(case.api), tmp_dir=tmp_dir)
    try:
        stem = Path(case.scenario).stem
        telemetry = tmp_dir / f"telemetry_{stem}.jsonl"
        watcher = CpuWatcher(api, telemetry)
        watcher.start()
        try:
            run = run_locust(case.scenario, api.url, tmp_dir, *case.locust_args, env=dict(case.env), timeout=90,
                             telemetry=True)
        finally:
            watcher.stop.set()
            watcher.join(timeout=5)
        metrics = httpx.get(f"{api.url}/metrics/summary", timeout=5).json()
        end_cpu = api.cpu_seconds()
    finally:
        api.stop()
    summary = next((line for line in run.telemetry if line.get("type") == "summary"), None)
    assert summary is not None, run.output[-2000:]
    samples = []
    for i, line in enumerate(run.samples):
        row = {key: line.get(key) for key in ("t", "users", "rps", "failures_per_s", "p50_ms", "p95_ms", "p99_ms",
                                              "requests", "failures", "histogram")}
        row.update(index=i, generator_cpu=line.get("cpu_percent"),
                   api_cpu=watcher.readings[i] if i < len(watcher.readings) else None)
        samples.append(row)
    start = watcher.first or (time.monotonic(), end_cpu, 0.0)
    last = watcher.last or start
    api_cpu_seconds = last[1] - start[1]
    wall = last[0] - start[0]
    api_cpu = 100 * api_cpu_seconds / wall if wall > 0 else None
    api_wait = 100 * (last[2] - start[2]) / wall if wall > 0 else None
    config = {"users": int(case.env.get("MAX_USERS", 0)), "spawn_rate": 0, "duration_s": 0, "workers": 1,
              "scenario": Path(case.scenario).name, "env": dict(case.env), "api": {"workers": 1, **case.api}}
    built = results.build(summary, samples, metrics, api_cpu, config, SLO_MS, scenario=config["scenario"],
                          cpu_count=os.cpu_count(), api_wait_percent=api_wait)
    started = time.perf_counter()
    diagnose(samples, built, config, SLO_MS, os.cpu_count())
    analysis_ms = 1000 * (time.perf_counter() - started)
    return TruthRun(case, built, samples, api_cpu_seconds, analysis_ms=analysis_ms,
                    extra={"locust_output": run.output[-1500:]})


def table_row(run: TruthRun) -> dict:
    d = run.diagnosis
    return {
        "config": run.case.name,
        "expected": "/".join(run.case.expected),
        "diagnosed": d["bottleneck"],
        "plateau_rps": d["plateau_rps"],
        "measured_capacity_rps": round(run.measured_capacity_rps, 1) if run.measured_capacity_rps else None,
        "knee_users": d["knee_users"],
        "capacity_at_slo_rps": d["capacity_at_slo_rps"],
        "api_loop_lag_ms": run.results.get("api_loop_lag_ms"),
        "api_cpu_percent": run.results.get("api_cpu_percent"),
        "api_cpu_wait_percent": run.results.get("api_cpu_wait_percent"),
        "summary": d["summary"],
    }


def dump(runs: list[TruthRun]) -> str:
    return json.dumps([table_row(r) for r in runs], indent=1)
