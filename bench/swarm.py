"""A class at once: 200 signed-in learners (bench/class_locustfile.py) against the site as `make run` serves it.

Starts gunicorn with gunicorn.conf.py on a fresh SQLite database in a temporary directory (127.0.0.1 only),
makes the learners' accounts, sessions and API tokens up front, then runs Locust headless as a subprocess
for a bounded time: browsing, question pages, grading, quiz answers and card reviews with 0.5-1.5 s of
think time. PASS when no request failed and the P99 of all requests is under 150 ms; exits non-zero
otherwise. Prints the slowest endpoints and the machine's load (a loaded machine inflates every figure).

    .venv/bin/python bench/swarm.py [--users 200] [--spawn-rate 20] [--seconds 75] [--port 8131]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
P99_LIMIT_MS = 150.0


def _bench_site():
    """bench/site.py's server helpers (a module named `site` cannot be imported by name: Python has one)."""
    spec = importlib.util.spec_from_file_location("bench_site", Path(__file__).with_name("site.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_site"] = module
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Row:
    method: str
    name: str
    requests: int
    failures: int
    median_ms: float
    p99_ms: float
    rps: float


def read_stats(path: Path) -> list[Row]:
    """Locust's --csv *_stats.csv: one row per endpoint and the "Aggregated" row (method empty)."""
    rows = []
    with open(path, newline="") as handle:
        for record in csv.DictReader(handle):
            rows.append(Row(method=record["Type"], name=record["Name"], requests=int(record["Request Count"]),
                            failures=int(record["Failure Count"]), median_ms=float(record["Median Response Time"]),
                            p99_ms=float(record["99%"]) if record["99%"] not in ("", "N/A") else 0.0,
                            rps=float(record["Requests/s"])))
    return rows


def judge(rows: list[Row], p99_limit_ms: float = P99_LIMIT_MS) -> tuple[bool, str]:
    """PASS with requests made, zero failures and the aggregated P99 under the limit; the reason either way."""
    total = next((r for r in rows if r.name == "Aggregated"), None)
    if total is None or total.requests == 0:
        return False, "no requests were made"
    if total.failures:
        return False, f"{total.failures:,} of {total.requests:,} requests failed"
    if total.p99_ms >= p99_limit_ms:
        return False, f"P99 {total.p99_ms:.0f} ms is not under {p99_limit_ms:.0f} ms"
    return True, f"{total.requests:,} requests, none failed, P99 {total.p99_ms:.0f} ms < {p99_limit_ms:.0f} ms"


def make_learners(count: int, out: Path) -> None:
    """Accounts, signed-in sessions and API tokens for `count` learners, written to `out` (JSON).

    Runs in this process under Django (with the environment's database); sessions are made the way a
    sign-in makes them (django.test.Client.force_login saves a real session row)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quizsite.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from quizsite.accounts.authentication import token_for

    users = get_user_model()
    learners = []
    for i in range(count):
        user, created = users.objects.get_or_create(username=f"swarm-{i:03d}")
        if created:
            user.set_unusable_password()
            user.save()
        client = Client()
        client.force_login(user)
        learners.append({"username": user.username, "sessionid": client.cookies["sessionid"].value,
                         "token": token_for(user).key})
    out.write_text(json.dumps(learners))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--seconds", type=int, default=75, help="the swarm's run time, ramp-up included")
    parser.add_argument("--port", type=int, default=8131)
    parser.add_argument("--make-learners", nargs=2, metavar=("COUNT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_learners:
        make_learners(int(args.make_learners[0]), Path(args.make_learners[1]))
        return 0
    if not 1 <= args.users <= 500 or not 5 <= args.seconds <= 300:
        print("--users must be 1-500 and --seconds 5-300 (a bounded swarm)", file=sys.stderr)
        return 2
    site = _bench_site()
    with tempfile.TemporaryDirectory(prefix="bp-swarm-") as tmp_name:
        tmp = Path(tmp_name)
        env = site.site_env(tmp, args.port)
        print("Preparing a fresh database, the static files and the learners...", flush=True)
        site.prepare_database(env)
        site.collect_static(env)
        learners = tmp / "learners.json"
        subprocess.run([PYTHON, __file__, "--make-learners", str(args.users), str(learners)], cwd=ROOT, env=env,
                       check=True)
        with open(tmp / "gunicorn.log", "w") as log:
            server = site.start_server(env, args.port, log)
            try:
                load_before = os.getloadavg()
                command = [str(Path(PYTHON).parent / "locust"), "-f", str(ROOT / "bench" / "class_locustfile.py"),
                           "--headless", "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
                           "--run-time", f"{args.seconds}s", "--stop-timeout", "5",
                           "--host", f"http://127.0.0.1:{args.port}", "--csv", str(tmp / "swarm"),
                           "--only-summary", "--loglevel", "WARNING"]
                locust_env = {**os.environ, "BP_LEARNERS": str(learners)}
                # Locust exits 1 when a request failed: the statistics tell, judge() decides.
                subprocess.run(command, cwd=ROOT, env=locust_env, timeout=args.seconds + 60, check=False,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                load_after = os.getloadavg()
            finally:
                site.stop_server(server)
        rows = read_stats(tmp / "swarm_stats.csv")
        failures = (tmp / "swarm_failures.csv").read_text() if (tmp / "swarm_failures.csv").exists() else ""
        server_errors = [line for line in (tmp / "gunicorn.log").read_text(errors="replace").splitlines()
                         if "Error" in line or "Traceback" in line or "WORKER TIMEOUT" in line]
    passed, reason = judge(rows)
    print(f"\n{args.users} learners, {args.seconds} s (spawn {args.spawn_rate:g}/s), think time 0.5-1.5 s")
    print("| endpoint | requests | failures | median | P99 | req/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in sorted(rows, key=lambda r: (r.name == "Aggregated", -r.p99_ms)):
        print(f"| {row.method} {row.name} | {row.requests:,} | {row.failures:,} | {row.median_ms:.0f} ms | "
              f"{row.p99_ms:.0f} ms | {row.rps:.1f} |")
    if failures.count("\n") > 1:
        print("\nFailures:\n" + failures)
        print("The server's log (errors, the last 30):\n" + "\n".join(server_errors[-30:]))
    print(f"\nload average before {load_before[0]:.2f}, after {load_after[0]:.2f} on {os.cpu_count()} CPUs")
    print(("PASS: " if passed else "FAIL: ") + reason)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
