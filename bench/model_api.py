"""Benchmark: POST /predict against GET /healthz on the same model API server, side by side, with wrk.

    .venv/bin/python bench/model_api.py [--workers 1] [--duration 10] [--connections 32] [--threads 1]

Starts `python -m labs.model_api` with no knobs on a free 127.0.0.1 port, warms both endpoints up, then
measures each endpoint for --duration seconds in total, alternating short rounds (healthz, predict,
healthz, ...) so that background load on a shared machine hits both alike. Prints requests per second
for each and the ratio predict / healthz. Exits 1 when the ratio is below --min-ratio (0.85): the model's
work must stay small beside the cost of serving any HTTP request at all. Needs `wrk` (apt install wrk).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREDICT_LUA = """\
wrk.method = "POST"
wrk.body = '{"sqft": 1500, "bedrooms": 3, "location": "NY"}'
wrk.headers["Content-Type"] = "application/json"
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"model API exited with status {proc.returncode} before becoming healthy")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"model API not healthy after {timeout:.0f} s")


def run_wrk(
    url: str, path: str, seconds: float, args: argparse.Namespace, script: str | None
) -> tuple[int, int]:
    """Run wrk once; return (requests completed, non-2xx responses + socket errors)."""
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{max(1, round(seconds))}s"]
    if script:
        command += ["-s", script]
    output = subprocess.run(
        [*command, f"{url}{path}"], capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if errors:
        bad += sum(int(n) for n in errors.groups())
    return requests, bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1, help="model API workers (default 1)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint (default 10)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per endpoint (default 5)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--min-ratio", type=float, default=0.85, help="fail below this predict/healthz ratio")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 2

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="bench-model-api-") as tmp:
        script = os.path.join(tmp, "predict.lua")
        Path(script).write_text(PREDICT_LUA)
        server = subprocess.Popen(
            [sys.executable, "-m", "labs.model_api", "--port", str(port), "--workers", str(args.workers)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_healthy(url, server)
            for path, lua in (("/healthz", None), ("/predict", script)):
                run_wrk(url, path, 1, args, lua)  # warm-up
            totals = {"/healthz": [0, 0], "/predict": [0, 0]}
            seconds = args.duration / args.rounds
            for _ in range(args.rounds):
                for path, lua in (("/healthz", None), ("/predict", script)):
                    requests, bad = run_wrk(url, path, seconds, args, lua)
                    totals[path][0] += requests
                    totals[path][1] += bad
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()

    elapsed = max(1, round(seconds)) * args.rounds
    rps = {path: requests / elapsed for path, (requests, _) in totals.items()}
    ratio = rps["/predict"] / rps["/healthz"]
    print(
        f"model API, {args.workers} worker(s), wrk -t{args.threads} -c{args.connections}, "
        f"{elapsed} s per endpoint in {args.rounds} alternating rounds"
    )
    for path in ("/healthz", "/predict"):
        print(f"  {'GET ' if path == '/healthz' else 'POST'} {path:<9} {rps[path]:>9,.0f} req/s  "
              f"(non-2xx or socket errors: {totals[path][1]})")  # fmt: skip
    print(f"  ratio predict/healthz: {ratio:.3f}  (minimum {args.min_ratio})")
    if any(bad for _, bad in totals.values()):
        print("FAIL: some requests failed", file=sys.stderr)
        return 1
    if ratio < args.min_ratio:
        print(f"FAIL: /predict reached {ratio:.3f} of /healthz, below {args.min_ratio}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
