"""Helpers for the model API tests: a real uvicorn server in a subprocess, and headless Locust runs.

Every process started here gets its own session (process group) on 127.0.0.1 and is stopped by signalling
that whole group at teardown: SIGTERM, then SIGKILL if it is still alive after a few seconds.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "locust_scenarios"
PYTHON = sys.executable
TUTORIAL_HOUSE = {"sqft": 1500, "bedrooms": 3, "location": "NY"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_group(process: subprocess.Popen, grace: float = 5.0) -> None:
    """SIGTERM the process's group, then SIGKILL it if it outlives `grace` seconds."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # stragglers in the group (workers, trackers)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait(timeout=grace)


@dataclass
class ModelApi:
    """A running `python -m labs.model_api` and where to reach it."""

    url: str
    process: subprocess.Popen
    log_path: Path

    def pids(self) -> list[int]:
        """The server's main process and all its children (uvicorn workers)."""
        try:
            main = psutil.Process(self.process.pid)
            return [main.pid, *(child.pid for child in main.children(recursive=True))]
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self) -> float:
        """User + system CPU time consumed so far by the server's processes."""
        total = 0.0
        for pid in self.pids():
            try:
                times = psutil.Process(pid).cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        stop_group(self.process)


def start_model_api(
    *flags: str, tmp_dir: Path, env: dict[str, str] | None = None, timeout: float = 30
) -> ModelApi:
    """Start the model API with `flags` on a free port and return once GET /healthz answers 200."""
    for attempt in range(3):
        port = free_port()
        log_path = tmp_dir / f"model_api_{port}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [PYTHON, "-m", "labs.model_api", "--port", str(port), *flags],
                cwd=ROOT,
                env={**os.environ, "TMPDIR": str(tmp_dir), **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        api = ModelApi(f"http://127.0.0.1:{port}", process, log_path)
        try:
            if _wait_healthy(api, timeout):
                return api
        except BaseException:
            api.stop()
            raise
        api.stop()
        if "address already in use" not in api.log().lower():
            break
    raise RuntimeError(f"model API did not start (exit {process.returncode}):\n{api.log()}")


def _wait_healthy(api: ModelApi, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api.process.poll() is not None:
            return False
        try:
            if httpx.get(f"{api.url}/healthz", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    return False


@dataclass
class LocustRun:
    """The outcome of one headless Locust run."""

    returncode: int
    stats: list[dict]
    output: str
    telemetry: list[dict] = field(default_factory=list)

    def entry(self, name: str) -> dict:
        return next(e for e in self.stats if e["name"] == name)

    @property
    def requests(self) -> int:
        return sum(e["num_requests"] for e in self.stats)

    @property
    def failures(self) -> int:
        return sum(e["num_failures"] for e in self.stats)

    @property
    def samples(self) -> list[dict]:
        """The telemetry plugin's one-a-second samples (with telemetry=True), as the lab runner records them."""
        return [line for line in self.telemetry if line.get("type") == "sample"]


def run_locust(
    scenario: str,
    host: str,
    tmp_dir: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    telemetry: bool = False,
) -> LocustRun:
    """Run `locust -f locust_scenarios/<scenario> --headless` against `host`; read its JSON stats (and, with
    telemetry=True, the lines of the lab runner's telemetry plugin loaded beside the scenario)."""
    stats_prefix = tmp_dir / f"stats_{Path(scenario).stem}"
    locustfiles = str(SCENARIOS / scenario)
    telemetry_file = tmp_dir / f"telemetry_{Path(scenario).stem}.jsonl"
    if telemetry:
        locustfiles += f",{ROOT / 'labs' / 'telemetry' / 'plugin.py'}"
        env = {**(env or {}), "BP_TELEMETRY_FILE": str(telemetry_file), "PYTHONPATH": str(ROOT)}
    command = [
        PYTHON, "-m", "locust", "-f", locustfiles, "--headless", "--host", host,
        "--only-summary", "--json-file", str(stats_prefix), "--loglevel", "WARNING", *args,
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=tmp_dir,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    finally:
        stop_group(process)
    stats_file = stats_prefix.with_suffix(".json")
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else []
    lines = [json.loads(line) for line in telemetry_file.read_text().splitlines()] if telemetry else []
    return LocustRun(process.returncode, stats, output, lines)
