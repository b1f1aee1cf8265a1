"""Benchmark: the sandbox's overhead, as time from start to the first request the model API records.

    .venv/bin/python bench/sandbox.py [--rounds 3]

Alternates, --rounds times each, (a) `labs.sandbox.run_locustfile` on the tutorial's MLUser (bubblewrap,
its own network, the run's model API inside) and (b) the same supervisor (`labs/sandbox_init.py`, same
model API, same Locust command) started directly on the host without bubblewrap, with this benchmark's own
fixed locustfile. Prints each time, the medians and the ratio sandboxed / unsandboxed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labs import sandbox  # noqa: E402
from labs.processes import free_port  # noqa: E402

MLUSER = """
from locust import HttpUser, task, between

class MLUser(HttpUser):
    wait_time = between(1, 2)

    @task
    def predict(self):
        self.client.post("/predict", json={"sqft": 1500, "bedrooms": 3, "location": "NY"})
"""


def sandboxed() -> float:
    run = sandbox.run_locustfile(MLUSER, duration_s=2, users=1, spawn_rate=1)
    if run.to_first_request_s is None:
        raise SystemExit(f"sandboxed run sent nothing: {run.status} {run.reason}\n{run.output[-2000:]}")
    return run.to_first_request_s


def unsandboxed() -> float:
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        staging = Path(tmp)
        sandbox._stage(staging, MLUSER)
        work = staging / "work"
        work.mkdir()
        (work / "locustfile.py").write_text(MLUSER)
        read_fd, write_fd = os.pipe()
        plan = {
            "locustfile": str(work / "locustfile.py"), "work": str(work), "code": str(staging / "code"),
            "record": str(work / "record.jsonl"), "stats_prefix": str(work / "stats"),
            "api_log": str(work / "api.log"), "port": free_port(), "api_args": [],
            "duration_s": 2, "users": 1, "spawn_rate": 1, "file_bytes": sandbox.FILE_BYTES,
            "results_fd": write_fd, "drop_root": False,
            "limits": {"wall_s": 60, "cpu_s": 60, "memory_mb": 768, "processes": 4096, "open_files": 256,
                       "output_bytes": 256_000},
        }
        started = time.time()
        process = subprocess.Popen(
            [sys.executable, str(staging / "code" / "sandbox_init.py"), json.dumps(plan)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, pass_fds=(write_fd,), start_new_session=True,
        )
        os.close(write_fd)
        data = b""
        while chunk := os.read(read_fd, 65536):
            data += chunk
        os.close(read_fd)
        process.wait()
        header, _, record = data.partition(b"\n")
        inner = json.loads(header)
        times = [json.loads(line)["t"] for line in record.splitlines()]
        if not times:
            raise SystemExit(f"unsandboxed run sent nothing: {inner}")
        return inner["api_started_at"] + min(times) - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    reason = sandbox.availability()
    if reason:
        raise SystemExit(f"sandbox unavailable: {reason}")
    with_bwrap, without = [], []
    for i in range(args.rounds):
        without.append(unsandboxed())
        with_bwrap.append(sandboxed())
        print(f"round {i + 1}: without bubblewrap {without[-1]:.2f} s, with {with_bwrap[-1]:.2f} s", flush=True)
    a, b = statistics.median(with_bwrap), statistics.median(without)
    print(f"start to first request, median of {args.rounds}: with bubblewrap {a:.2f} s, without {b:.2f} s, "
          f"ratio {a / b:.2f}, overhead {a - b:+.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
