"""The site's real processes for the fault tests: gunicorn (as `make run` configures it) or the whole
`python -m quizsite.supervise`, as subprocesses on a random port of 127.0.0.1, stopped by the test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

from labs.processes import free_port
from tests.labs.workers import BASE_DIR, database_env


def site_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ, **database_env(),
        "DEBUG": "0", "WHITENOISE_USE_FINDERS": "1", "STATIC_MANIFEST": "0",  # no collectstatic needed "LAB_LOCK_FILE": str(tmp_path / "labs.lock"),
        "SECRET_KEY": "fault-tests-secret-key-" + "x" * 40, "WEB_CONCURRENCY": "2",
        **extra,
    }


def get(url: str, timeout: float = 10, data: bytes | None = None,
        headers: dict | None = None) -> tuple[int, dict, bytes]:
    """(status, headers, body) of one request; status 0 when nothing answered."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, {}, b""


class Process:
    """A subprocess in its own session, its output in a log file; stop() ends its whole group."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path):
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(argv, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self.family: set[int] = set()

    def remember_family(self) -> None:
        try:
            self.family |= {p.pid for p in psutil.Process(self.process.pid).children(recursive=True)}
        except psutil.NoSuchProcess:
            pass

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self, timeout: float = 30) -> None:
        self.remember_family()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def leftovers(self) -> list[int]:
        """Processes it started that are still alive (zombies excepted)."""
        alive = []
        for pid in self.family:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    alive.append(pid)
            except psutil.NoSuchProcess:
                continue
        return alive


class Site:
    """gunicorn -c gunicorn.conf.py quizsite.wsgi, or the supervised site (web + worker)."""

    def __init__(self, tmp_path: Path, supervised: bool = False, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = site_env(tmp_path, PORT=str(self.port), BP_RUN_DIR=str(tmp_path / "run"), **env)
        if supervised:
            argv = [sys.executable, "-m", "quizsite.supervise"]
        else:
            argv = [str(Path(sys.executable).parent / "gunicorn"), "-c", str(BASE_DIR / "gunicorn.conf.py"),
                    "quizsite.wsgi"]
        self.proc = Process(argv, environment, tmp_path / f"site-{self.port}.log")

    def wait_until_serving(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if get(self.url + "/healthz", timeout=5)[0]:
                self.proc.remember_family()
                return
            if self.proc.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"the site did not start:\n{self.proc.output()}")

    def get(self, path: str, **kwargs) -> tuple[int, dict, bytes]:
        return get(self.url + path, **kwargs)
