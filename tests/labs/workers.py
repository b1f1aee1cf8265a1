"""A `manage.py labs_worker` subprocess sharing the test database (for the worker and browser tests).

It needs a file or server database: SQLITE_TEST_PATH (a file for the SQLite test database) or
DATABASE_URL (PostgreSQL; the tests use its `test_` database). With SQLite in memory the tests skip.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)


def database_env() -> dict[str, str]:
    """The environment that points a subprocess at this test database."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        if connection.is_in_memory_db():
            pytest.skip("the worker subprocess needs a file database: set SQLITE_TEST_PATH (or DATABASE_URL)")
        return {"SQLITE_PATH": str(db["NAME"]), "DATABASE_URL": ""}
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    url = f"postgres://{credentials}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    return {"DATABASE_URL": url}


class Worker:
    """One labs_worker process polling every 0.2 s, its output in a log file."""

    def __init__(self, tmp_path: Path, lock: Path, env: dict[str, str] | None = None):
        env = {**os.environ, **database_env(), "LAB_LOCK_FILE": str(lock), "DEBUG": "0", **(env or {})}
        self.log = tmp_path / f"worker-{time.monotonic_ns()}.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "labs_worker", "--queue-name", "*", "--interval", "0.2",
                 "--no-startup-delay", "--no-reload"],
                cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def wait_for(predicate, timeout: float, what: str, worker: Worker | None = None):
    """The first truthy value of predicate(), polled every 0.1 s; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}" + (f"\nworker output:\n{worker.output()}" if worker else ""))
