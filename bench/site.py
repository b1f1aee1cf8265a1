"""The site's speed, page by page, as ratios to the bare `/healthz` measured on the same server in the same run.

Starts the site as `make run` serves it (gunicorn with gunicorn.conf.py on SQLite, static files by WhiteNoise
after collectstatic) on 127.0.0.1 with a fresh database in a temporary directory, signs a learner in, then
runs wrk (1 thread, 16 connections, a few seconds each) against every learner-facing page and API read, and
`POST .../grade`, each in rounds: the bare baseline `/healthz`, then the path, back to back. Prints req/s, P99
and the median of the rounds' ratios to the baseline for each, and exits non-zero when a page or API read reaches under 1/2 of the baseline's
req/s or grading under 1/3 (or when any request failed). Rows marked "info" are shown but not judged.

On a machine that others are loading, compare the ratios of one run, never absolute figures between runs.

One gunicorn worker (with gunicorn.conf.py's threads) by default: with two, each wrk run's connections are
split between the workers by luck (one may take 12 of the 16), and a run's req/s swung 2x whatever the path,
so ratios measured a few seconds apart meant little. One worker on one core, wrk on the other, measures what a
request costs; `--workers 2` serves as `make run` does.

    .venv/bin/python bench/site.py [--duration 3] [--rounds 3] [--port 8130] [--only PATTERN] [--url http://127.0.0.1:8000]

With --url the script targets a running site instead (its database must be the one the environment's
DATABASE_URL/SQLITE_PATH names, where the bench learner is created); 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BASELINE = "/healthz"
PAGE_MIN_RATIO = 1 / 2
GRADE_MIN_RATIO = 1 / 3
USERNAME = "bench-learner"
PASSWORD = "bench-Learner-pass-2026"  # a throwaway learner in the bench's own database


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    kind: str  # "baseline", "page" (>= 1/2), "grade" (>= 1/3) or "info" (shown, not judged)
    signed_in: bool = False
    method: str = "GET"
    body: str = ""

    @property
    def expect_404(self) -> bool:
        return "/no-such-thing" in self.path


@dataclass(frozen=True)
class Result:
    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0


GRADE_BODY = json.dumps({"answer": "P99 is the 99th percentile of latency: 99% of requests finish at or below it, "
                                   "1 in 100 is slower. The average hides that tail."})

TARGETS = [
    Target("bare baseline /healthz", BASELINE, "baseline"),
    Target("JSON 404 under /api/v1/ (the old baseline)", "/api/v1/no-such-thing", "info"),
    Target("static file through WhiteNoise", "{static}", "info"),
    Target("home, signed out", "/", "page"),
    Target("home, signed in", "/", "page", signed_in=True),
    Target("question list", "/questions/", "page"),
    Target("question page", "/questions/what-is-p99/", "page"),
    Target("question page, signed in", "/questions/what-is-p99/", "page", signed_in=True),
    Target("quiz list", "/quizzes/", "page"),
    Target("quiz page", "/quizzes/caching-practice/", "page"),
    Target("card review, signed in", "/cards/", "page", signed_in=True),
    Target("labs list", "/labs/", "page"),
    Target("lab page", "/labs/first-load-test/", "page"),
    Target("interviews list, signed in", "/interviews/", "page", signed_in=True),
    Target("GET /api/v1/questions/", "/api/v1/questions/", "page"),
    Target("GET /api/v1/questions/what-is-p99/", "/api/v1/questions/what-is-p99/", "page"),
    Target("GET /api/v1/topics/", "/api/v1/topics/", "page"),
    Target("GET /api/v1/quizzes/", "/api/v1/quizzes/", "page"),
    Target("GET /api/v1/quizzes/caching-practice/", "/api/v1/quizzes/caching-practice/", "page"),
    Target("GET /api/v1/labs/", "/api/v1/labs/", "page"),
    Target("GET /api/v1/cards/due, signed in", "/api/v1/cards/due", "page", signed_in=True),
    Target("POST /api/v1/questions/what-is-p99/grade", "/api/v1/questions/what-is-p99/grade", "grade",
           method="POST", body=GRADE_BODY),
    Target("POST .../grade, signed in by token (recorded)", "/api/v1/questions/what-is-p99/grade", "grade",
           signed_in=True, method="POST", body=GRADE_BODY),
]

# wrk prints this one line at the end of a run (its Lua done() hook); times in microseconds.
LUA_DONE = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d, "status_4xx_5xx": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def lua_script(method: str, body: str) -> str:
    """wrk's Lua: the request's method and body (in a long bracket, so any text is literal) and done()."""
    script = f'wrk.method = "{method}"\n'
    if body:
        if "]==]" in body:
            raise ValueError("the body must not contain ]==]")
        script += f"wrk.body = [==[{body}]==]\n"
    return script + LUA_DONE


def parse_wrk(output: str, expect_error_status: bool = False) -> Result:
    """The figures of one wrk run from its output (the WRKJSON line that LUA_DONE writes). Responses with a
    status of 400 or more are errors unless the target is an error page on purpose (the JSON 404)."""
    match = re.search(r"^WRKJSON (\{.*\})$", output, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    data = json.loads(match.group(1))
    return Result(requests=data["requests"], duration_s=data["duration_us"] / 1e6,
                  p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000,
                  errors=data["errors"] + (0 if expect_error_status else data["status_4xx_5xx"]))


def minimum_ratio(kind: str) -> float | None:
    return {"page": PAGE_MIN_RATIO, "grade": GRADE_MIN_RATIO}.get(kind)


def verdict(kind: str, ratio: float, errors: int) -> str:
    """"ok", "FAIL" (under its share of the baseline, or any failed request) or "info"/"base"."""
    if errors:
        return "FAIL"
    if kind == "baseline":
        return "base"
    needed = minimum_ratio(kind)
    if needed is None:
        return "info"
    return "ok" if ratio >= needed else "FAIL"


def format_rate(rps: float) -> str:
    return f"{rps:,.0f}"


def format_ms(ms: float) -> str:
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


def table(rows: list[tuple]) -> tuple[str, bool]:
    """The Markdown table of a run and whether every judged row passed; ratios are to the first baseline row."""
    base = next(row[1] for row in rows if row[0].kind == "baseline")
    lines = ["| path | req/s | P99 | x baseline | needs | |", "|---|---:|---:|---:|---:|---|"]
    passed = True
    for target, result, *measured in rows:
        # A row measured in rounds brings its own ratio: the median of target/baseline, each round's pair run
        # back to back (see main()).
        ratio = measured[0] if measured else (result.rps / base.rps if base.rps else 0.0)
        mark = verdict(target.kind, ratio, result.errors)
        passed &= mark != "FAIL"
        needed = minimum_ratio(target.kind)
        errors = f" ({result.errors:,} errors)" if result.errors else ""
        lines.append(f"| {target.name} | {format_rate(result.rps)} | {format_ms(result.p99_ms)} | {ratio:.2f} | "
                     f"{f'{needed:.2f}' if needed else ''} | {mark}{errors} |")
    return "\n".join(lines), passed


def median_round(rounds: list[tuple[float, Result]]) -> tuple[float, Result]:
    """The round with the median ratio (the lower middle of an even count), carrying every round's errors.

    Each wrk run opens new connections, which the kernel spreads over gunicorn's workers anew; a run whose
    connections mostly land on one worker is slower whatever the path, so one pair is luck and the median of
    several pairs, each run back to back, is the figure."""
    ordered = sorted(rounds, key=lambda pair: pair[0])
    ratio, result = ordered[(len(ordered) - 1) // 2]
    errors = sum(r.errors for _, r in rounds)
    return ratio, Result(result.requests, result.duration_s, result.p50_ms, result.p99_ms, errors)


# ---- the server and the learner ----------------------------------------------------------------------------

def site_env(tmp: Path, port: int, workers: int = 1) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "SQLITE_PATH": str(tmp / "bench.sqlite3"),
        "LAB_LOCK_FILE": str(tmp / "lab.lock"),
        "DEBUG": "0",
        # The bench measures the grading view, not the rate limiter's refusals (the limiter still runs). Per
        # second: DRF keeps every request of the window in the cache, so a per-minute window this wide would
        # make each request read and write thousands of timestamps (a cost no real limit has).
        "GRADE_RATE_ANON": "1000000/s",
        "GRADE_RATE_USER": "1000000/s",
    })
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare_database(env: dict[str, str]) -> None:
    manage(env, "migrate", "--noinput")
    manage(env, "load_content")


def collect_static(env: dict[str, str]) -> None:
    """What `make run` does before serving (skipped by the stamp when nothing changed, if present)."""
    script = ROOT / "quizsite" / "static_stamp.py"
    if script.exists():
        subprocess.run([PYTHON, "-m", "quizsite.static_stamp"], cwd=ROOT, env=env, check=True)
    else:
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")


def create_learner(env: dict[str, str]) -> None:
    code = ("from django.contrib.auth import get_user_model; U = get_user_model(); "
            f"u, _ = U.objects.get_or_create(username={USERNAME!r}); u.set_password({PASSWORD!r}); u.save()")
    manage(env, "shell", "-c", code)


def start_server(env: dict[str, str], port: int, log) -> subprocess.Popen:
    server = subprocess.Popen([str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py", "quizsite.wsgi"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{BASELINE}", timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    stop_server(server)
    raise RuntimeError("the site did not answer /healthz within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def sign_in(base_url: str) -> str:
    """The session cookie of the bench learner, signed in through the login form (CSRF and all)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    opener.open(f"{base_url}/accounts/login/", timeout=10).read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode({"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": csrf})
    request = urllib.request.Request(f"{base_url}/accounts/login/", data=data.encode(),
                                     headers={"Referer": f"{base_url}/accounts/login/"})
    try:
        opener.open(request, timeout=10)
    except urllib.error.HTTPError as exc:
        if exc.code != 302:
            raise RuntimeError(f"signing the bench learner in answered {exc.code}") from None
    session = [c.value for c in jar if c.name == "sessionid"]
    if not session:
        raise RuntimeError("signing the bench learner in set no session cookie")
    return f"sessionid={session[0]}"


def api_token(base_url: str) -> str:
    """The bench learner's API token (a session would need a CSRF token for every POST)."""
    body = json.dumps({"username": USERNAME, "password": PASSWORD}).encode()
    request = urllib.request.Request(f"{base_url}/api/v1/auth/token", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["token"]


def credentials(target: Target, cookie: str, token: str) -> str:
    """The header that signs a request in: the session cookie for pages and reads, the token for POSTs."""
    if not target.signed_in:
        return ""
    return f"Authorization: Token {token}" if target.method == "POST" else f"Cookie: {cookie}"


def static_path(base_url: str) -> str:
    """The URL of the site's stylesheet as the home page links it (hashed name after collectstatic)."""
    with urllib.request.urlopen(f"{base_url}/", timeout=10) as response:
        html = response.read().decode()
    match = re.search(r'href="(/static/[^"]*site[^"]*\.css)"', html)
    if not match:
        raise RuntimeError("the home page links no /static/...site...css")
    return match.group(1)


def check(base_url: str, target: Target, header: str) -> None:
    """One request first: a page that redirects or errors would make wrk's figures meaningless."""
    opener = urllib.request.build_opener(NoRedirect)
    headers = dict([header.split(": ", 1)]) if header else {}
    data = None
    if target.method == "POST":
        headers["Content-Type"] = "application/json"
        data = target.body.encode()
    request = urllib.request.Request(base_url + target.path, data=data, headers=headers, method=target.method)
    expected = 404 if target.expect_404 else 200
    try:
        status = opener.open(request, timeout=10).status
    except urllib.error.HTTPError as exc:
        status = exc.code
    if status != expected:
        raise RuntimeError(f"{target.method} {target.path} answered {status}, not {expected}: fix the bench or the site")


def run_wrk(base_url: str, target: Target, header: str, seconds: float, connections: int, tmp: Path) -> Result:
    script = tmp / "bench.lua"
    script.write_text(lua_script(target.method, target.body))
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "5s", "-s", str(script)]
    if header:
        command += ["-H", header]
    if target.method == "POST":
        command += ["-H", "Content-Type: application/json"]
    command.append(base_url + target.path)
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
    return parse_wrk(done.stdout, expect_error_status=target.expect_404)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=3, help="seconds of wrk per run (default 3)")
    parser.add_argument("--workers", type=int, default=1,
                        help="gunicorn workers (default 1: see the module's docstring)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="pairs of runs per path, the baseline then the path (default 3; the median counts)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of wrk per path first, not counted")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--port", type=int, default=8130)
    parser.add_argument("--url", help="a running site on 127.0.0.1 instead of starting one")
    parser.add_argument("--only", help="a regular expression: only the targets whose name matches (and the baseline)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    targets = [t for t in TARGETS if t.kind == "baseline" or not args.only or re.search(args.only, t.name)]
    with tempfile.TemporaryDirectory(prefix="bp-bench-site-") as tmp_name:
        tmp = Path(tmp_name)
        server = None
        log = open(tmp / "gunicorn.log", "w")
        try:
            if args.url:
                base_url = args.url.rstrip("/")
                if urllib.parse.urlsplit(base_url).hostname not in ("127.0.0.1", "localhost"):
                    print("--url must be on 127.0.0.1", file=sys.stderr)
                    return 2
                create_learner(dict(os.environ))
            else:
                env = site_env(tmp, args.port, args.workers)
                print("Preparing a fresh database and the static files...", flush=True)
                prepare_database(env)
                collect_static(env)
                create_learner(env)
                server = start_server(env, args.port, log)
                base_url = f"http://127.0.0.1:{args.port}"
            cookie, token = sign_in(base_url), api_token(base_url)
            static = static_path(base_url)
            targets = [Target(t.name, static, t.kind) if t.path == "{static}" else t for t in targets]
            for target in targets:
                check(base_url, target, credentials(target, cookie, token))
            load = os.getloadavg()
            print(f"wrk -t1 -c{args.connections}, {args.rounds} rounds of /healthz then the path, {args.duration:g} s "
                  f"each, after {args.warmup:g} s of warm-up; "
                  f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs",
                  flush=True)
            baseline = next(t for t in targets if t.kind == "baseline")
            rows, baselines = [], []
            for target in targets:
                if target is baseline:
                    continue
                header = credentials(target, cookie, token)
                if args.warmup > 0:
                    run_wrk(base_url, target, header, args.warmup, args.connections, tmp)
                rounds = []
                for _ in range(args.rounds):
                    base = run_wrk(base_url, baseline, "", args.duration, args.connections, tmp)
                    result = run_wrk(base_url, target, header, args.duration, args.connections, tmp)
                    baselines.append(base)
                    rounds.append((result.rps / base.rps if base.rps else 0.0, result))
                ratio, result = median_round(rounds)
                print(f"  {target.name}: {format_rate(result.rps)} req/s, P99 {format_ms(result.p99_ms)}, "
                      f"x baseline {' '.join(f'{r:.2f}' for r, _ in rounds)}", flush=True)
                rows.append((target, result, ratio))
            rows.insert(0, (baseline, median_round([(b.rps, b) for b in baselines])[1], 1.0))
        finally:
            if server is not None:
                stop_server(server)
            log.close()
    text, passed = table(rows)
    load = os.getloadavg()
    print()
    print(text)
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print("PASS: every page and API read >= 1/2 of the baseline, grading >= 1/3" if passed else
          "FAIL: a row is under its share of the baseline (or had failed requests)")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
