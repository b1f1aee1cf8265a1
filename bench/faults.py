"""What a learner sees when the database goes away or the worker is killed, and how long until the site
serves again. Prints a timeline summary per fault; not part of the test run.

    .venv/bin/python bench/faults.py [--outage-s 2] [--tree DIR --stack honcho|supervise]

It starts the site as `make run` does (the supervised stack by default; `--stack honcho` runs the old
Procfile of a tree from before issue 16, for the "before" figures) on a random port, with PostgreSQL
(127.0.0.1:5432, a database of its own, created and dropped) reached through a TCP proxy
(tests/faults/proxy.py). While a prober reads a page every 0.1 s and a learner posts an answer through the
API every 0.5 s:

1. database outage: the proxy is closed for --outage-s seconds, then reopened;
2. worker crash: a lab run is started, and once it has a live sample the worker gets `kill -9`.

For each: the statuses the pages answered during and after, the time from the fault's end until pages are
200 again, the answers the API accepted against the rows stored, and how the lab run ended.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import psutil
import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from tests.faults.proxy import TcpProxy  # noqa: E402

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def request(url: str, data: dict | None = None, token: str = "", timeout: float = 10) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"} if data is not None else {}
    if token:
        headers["Authorization"] = f"Token {token}"
    body = json.dumps(data).encode() if data is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, OSError):
        return 0, b""  # refused or reset: nothing answered


class Stack:
    def __init__(self, tree: Path, kind: str, database: str, proxy: TcpProxy, log: Path):
        self.tree, self.kind, self.database = tree, kind, database
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        python = Path(sys.executable)
        self.env = {**os.environ, "PATH": f"{python.parent}:{os.environ['PATH']}", "PORT": str(self.port),
                    "DEBUG": "0", "WHITENOISE_USE_FINDERS": "1", "STATIC_MANIFEST": "0", "SECRET_KEY": "bench-faults-" + "k" * 40,
                    "LAB_LOCK_FILE": str(log.parent / "labs.lock"), "BP_RUN_DIR": str(log.parent / "run"),
                    "DATABASE_URL": f"postgres://postgres@127.0.0.1:{proxy.port}/{database}"}
        self.direct = {**self.env, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}"}
        self.log = log
        self.process: subprocess.Popen | None = None

    def prepare(self) -> str:
        with psycopg.connect(**PG, dbname="postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}"')
            conn.execute(f'CREATE DATABASE "{self.database}"')
        steps = [["migrate", "-v0"], ["load_content", "-v0"]]
        if "STATIC_MANIFEST" not in (self.tree / "quizsite" / "settings.py").read_text():
            steps.append(["collectstatic", "--noinput", "-v0"])  # an older tree needs the manifest
        for argv in steps:
            subprocess.run([sys.executable, "manage.py", *argv], cwd=self.tree, env=self.direct, check=True)
        script = ("from django.contrib.auth.models import User; from rest_framework.authtoken.models import Token;"
                  "u = User.objects.create_user('bench', 'b@example.com', 'bench-pass-phrase-42');"
                  "print(Token.objects.create(user=u).key)")
        out = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=self.tree, env=self.direct,
                             check=True, capture_output=True, text=True)
        return out.stdout.strip().splitlines()[-1]

    def start(self) -> None:
        if self.kind == "honcho":
            argv = ["honcho", "start", "--procfile", "Procfile", "--no-prefix"]
        else:
            argv = [sys.executable, "-m", "quizsite.supervise"]
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(argv, cwd=self.tree, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + 60
        while request(self.url + "/questions/")[0] != 200:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit(f"the site did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)

    def worker_pid(self) -> int | None:
        try:
            family = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return None
        for process in family:
            try:
                argv = process.cmdline()
                if "labs_worker" in argv and process.name().startswith("python"):  # not honcho's `sh -c`
                    return process.pid
            except psutil.NoSuchProcess:
                continue
        return None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        with psycopg.connect(**PG, dbname="postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Prober:
    """Pages every 0.1 s and an answer every 0.5 s, each result stamped with time.monotonic()."""

    def __init__(self, stack: Stack, token: str):
        self.stack, self.token = stack, token
        self.pages: list[tuple[float, int]] = []
        self.answers: list[tuple[float, int]] = []
        self.running = True
        self.threads = [threading.Thread(target=self.read, daemon=True),
                        threading.Thread(target=self.answer, daemon=True)]
        for thread in self.threads:
            thread.start()

    def read(self) -> None:
        while self.running:
            self.pages.append((time.monotonic(), request(self.stack.url + "/questions/", timeout=5)[0]))
            time.sleep(0.1)

    def answer(self) -> None:
        while self.running:
            status = request(self.stack.url + "/api/v1/questions/throughput-plateau-ramp/grade", {"answer": "a"},
                             self.token, timeout=10)[0]
            self.answers.append((time.monotonic(), status))
            time.sleep(0.5)

    def stop(self) -> None:
        self.running = False
        for thread in self.threads:
            thread.join(timeout=15)

    def summary(self, since: float, fault_end: float) -> dict:
        during = Counter(status for t, status in self.pages if since <= t < fault_end)
        after = [(t, status) for t, status in self.pages if t >= fault_end]
        back = next((t - fault_end for t, status in after if status == 200), None)
        down_after = sum(1 for _, status in after if status != 200)
        return {"pages_during": dict(during), "pages_after": dict(Counter(s for _, s in after)),
                "serving_again_s": None if back is None else round(back, 2), "non_200_after": down_after,
                "answers": dict(Counter(status for t, status in self.answers if t >= since))}


def stored_answers(stack: Stack) -> int:
    with psycopg.connect(**PG, dbname=stack.database) as conn:
        return conn.execute("SELECT count(*) FROM quizzes_answer").fetchone()[0]


def outage(tree: Path, kind: str, outage_s: float, workdir: Path) -> dict:
    with TcpProxy("127.0.0.1", 5432) as proxy:
        stack = Stack(tree, kind, f"bench_faults_{kind}_outage", proxy, workdir / f"{kind}-outage.log")
        token = stack.prepare()
        stack.start()
        try:
            prober = Prober(stack, token)
            time.sleep(2)
            start = time.monotonic()
            proxy.close()
            time.sleep(outage_s)
            proxy.reopen()
            end = time.monotonic()
            time.sleep(15)
            prober.stop()
            result = prober.summary(start, end)
            result["accepted_answers_total"] = sum(1 for _, s in prober.answers if s == 200)
            result["stored_answers_total"] = stored_answers(stack)
            result["site_process_alive"] = stack.process.poll() is None
            result["worker_alive"] = stack.worker_pid() is not None
        finally:
            stack.stop()
        log = stack.log.read_text(errors="replace")
        result["worker_log_lines_about_the_wait"] = [line.strip() for line in log.splitlines()
                                                     if "database unavailable (" in line or "database back" in line]
        result["log_tail"] = log[-1500:]
        return result


def worker_kill(tree: Path, kind: str, workdir: Path) -> dict:
    with TcpProxy("127.0.0.1", 5432) as proxy:
        stack = Stack(tree, kind, f"bench_faults_{kind}_kill", proxy, workdir / f"{kind}-kill.log")
        token = stack.prepare()
        stack.start()
        try:
            status, body = request(stack.url + "/api/v1/labs/first-load-test/runs",
                                   {"users": 4, "spawn_rate": 4, "duration_s": 40}, token)
            run_url = f"{stack.url}/api/v1/runs/{json.loads(body)['id']}"
            deadline = time.monotonic() + 40
            while not json.loads(request(run_url, token=token)[1] or b"{}").get("samples"):
                if time.monotonic() > deadline:
                    raise SystemExit("no live sample")
                time.sleep(0.3)
            prober = Prober(stack, token)
            time.sleep(1)
            start = time.monotonic()
            killed = stack.worker_pid()
            os.kill(killed, signal.SIGKILL)
            respawned_s = run_ended_s = None
            while time.monotonic() - start < 20:
                pid = stack.worker_pid()
                if respawned_s is None and pid not in (None, killed):
                    respawned_s = round(time.monotonic() - start, 2)
                if run_ended_s is None and json.loads(request(run_url, token=token, timeout=3)[1] or b"{}").get(
                        "status") in ("succeeded", "failed", "cancelled"):
                    run_ended_s = round(time.monotonic() - start, 2)
                time.sleep(0.2)
            prober.stop()
            result = prober.summary(start, start)
            result["worker_respawned_after_s"] = respawned_s
            result["run_ended_after_s"] = run_ended_s
            run = json.loads(request(run_url, token=token)[1] or b"{}")
            result["killed_run"] = {"status": run.get("status"), "reason": run.get("failure_reason")}
            result["site_process_alive"] = stack.process.poll() is None
            result["worker_alive"] = stack.worker_pid() is not None
            if result["worker_alive"]:
                status, body = request(stack.url + "/api/v1/labs/first-load-test/runs",
                                       {"users": 4, "spawn_rate": 4, "duration_s": 5}, token)
                next_url = f"{stack.url}/api/v1/runs/{json.loads(body)['id']}"
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    following = json.loads(request(next_url, token=token)[1] or b"{}")
                    if following.get("status") in ("succeeded", "failed", "cancelled"):
                        break
                    time.sleep(0.5)
                result["next_run"] = following.get("status")
        finally:
            stack.stop()
        result["log_tail"] = stack.log.read_text(errors="replace")[-1500:]
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=BASE_DIR, help="the checkout to run (default: this one)")
    parser.add_argument("--stack", choices=["supervise", "honcho"], default="supervise")
    parser.add_argument("--outage-s", type=float, default=2.0)
    parser.add_argument("--only", choices=["outage", "kill"], default=None)
    parser.add_argument("--logs", action="store_true", help="print the end of the site's log for each fault")
    args = parser.parse_args()
    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-faults-{os.getpid()}"
    workdir.mkdir(parents=True)
    for name, measure in (("outage", lambda: outage(args.tree, args.stack, args.outage_s, workdir)),
                          ("kill", lambda: worker_kill(args.tree, args.stack, workdir))):
        if args.only and args.only != name:
            continue
        result = measure()
        tail = result.pop("log_tail")
        print(f"== {name} ({args.stack}, {args.tree}) ==")
        for key, value in result.items():
            print(f"  {key}: {value}")
        if args.logs:
            print("  -- log tail --\n" + "\n".join("    " + line for line in tail.splitlines()[-25:]))


if __name__ == "__main__":
    main()
