"""Run-queue wait (labs.processes.run_queue_wait_seconds): the CPU a process wanted but did not get."""

import os
import subprocess
import sys
import time

import pytest

from labs.processes import run_queue_wait_seconds

pytestmark = [pytest.mark.slow, pytest.mark.dbfree]

BUSY = "import time\nend = time.monotonic() + 3\nwhile time.monotonic() < end: pass\n"


@pytest.mark.skipif(not os.path.exists("/proc/self/schedstat"), reason="Linux schedstat only")
def test_two_busy_processes_on_one_core_each_wait_and_a_sleeper_does_not():
    """Two busy loops pinned to the same core get about half of it each: each waits for it a good part of
    the time. A sleeping process waits for nothing."""
    core = min(os.sched_getaffinity(0))
    busy = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(2)]
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3)"])
    try:
        for process in busy:
            os.sched_setaffinity(process.pid, {core})
        time.sleep(0.5)  # past the interpreters' start, which itself waits for a core on a busy machine
        before = [run_queue_wait_seconds(p.pid) for p in (*busy, sleeper)]
        time.sleep(0.8)
        after = [run_queue_wait_seconds(p.pid) for p in (*busy, sleeper)]
        *waits, slept = [b - a for a, b in zip(before, after, strict=True)]
    finally:
        for process in (*busy, sleeper):
            process.kill()
            process.wait()
    assert all(wait >= 0.2 for wait in waits), waits  # about 0.4 s each over 0.8 s on a quiet machine
    assert slept < 0.05, slept
    assert run_queue_wait_seconds(2**22 + 12345) == 0.0  # no such process
