"""A hostile locustfile tries to forge the run's evidence (the API's record, the supervisor's result): all fail.

The learner's code runs as the same uid as the model API and the supervisor. The record goes through a pipe
from the API to the host (no file), the result through another pipe Locust never inherits, and both
processes are non-dumpable: the file below tries every way in it can see, in both sandbox modes (real root,
whose supervisor drops to uid 65534, and a user namespace), and the run must show only real traffic.
"""

from __future__ import annotations

import os

import pytest

from labs import sandbox
from labs.sandbox import Limits, run_locustfile

pytestmark = [pytest.mark.slow, pytest.mark.dbfree]

LIMITS = Limits(wall_s=25, cpu_s=20, memory_mb=768, processes=64)

FORGER = r'''
import ctypes
import json
import os

from locust import HttpUser, between, task

FAKE_LINE = (json.dumps({"t": 0.001, "method": "POST", "path": "/forged", "status": 200,
                         "client": "127.0.0.1:1", "token": "forged", "body_valid": True, "error": None})
             + "\n").encode()
FAKE_HEADER = (json.dumps({"status": "completed", "reason": "FORGED", "error_line": None,
                           "stats": None, "api_started_at": 0}) + "\n").encode()
libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH, PTRACE_DETACH = 16, 17
me = os.getpid()


def role(pid):
    try:
        comm = open(f"/proc/{pid}/comm").read().strip()
        cmd = open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        return "unknown"
    if comm == "bwrap":
        return "init"
    if b"labs.model_api" in cmd:
        return "api"
    if b"sandbox_init" in cmd:
        return "supervisor"
    return "other"


def attempt(kind, pid, action):
    try:
        action()
        print("FORGE", kind, role(pid), pid, "ok", flush=True)
    except OSError as exc:
        print("FORGE", kind, role(pid), pid, "denied", type(exc).__name__, flush=True)


def write_every_fd(pid):
    """Ok when any of its descriptors could be opened and written (the forged lines then went there)."""
    wrote = 0
    for name in os.listdir(f"/proc/{pid}/fd"):  # PermissionError for a non-dumpable process
        try:
            fd = os.open(f"/proc/{pid}/fd/{name}", os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            os.write(fd, FAKE_HEADER + FAKE_LINE * 3)
            wrote += 1
        except OSError:
            pass
        finally:
            os.close(fd)
    if not wrote:
        raise PermissionError("no descriptor could be written")


def write_mem(pid):
    with open(f"/proc/{pid}/mem", "r+b", buffering=0) as mem:
        mem.read(1)


def ptrace(pid):
    if libc.ptrace(PTRACE_ATTACH, pid, None, None) != 0:
        raise OSError(ctypes.get_errno(), "ptrace")
    libc.waitpid(pid, None, 0x40000000)  # __WALL: the tracee stops; detach so it runs on
    libc.ptrace(PTRACE_DETACH, pid, None, None)


for pid in sorted(int(p) for p in os.listdir("/proc") if p.isdigit()):
    if pid == me:
        continue
    attempt("fd", pid, lambda: write_every_fd(pid))
    attempt("mem", pid, lambda: write_mem(pid))
    attempt("ptrace", pid, lambda: ptrace(pid))

# By path: wherever a record could be (the old record.jsonl, any *.jsonl), append forged lines.
paths = {"/sandbox/work/record.jsonl"}
for top in ("/sandbox", "/tmp"):
    for folder, _, files in os.walk(top):
        paths.update(os.path.join(folder, f) for f in files if f.endswith((".jsonl", ".log")))
for path in sorted(paths):
    try:
        with open(path, "ab") as record:
            record.write(FAKE_LINE * 3)
        print("FORGE path", path, "wrote", flush=True)
    except OSError as exc:
        print("FORGE path", path, "denied", type(exc).__name__, flush=True)


class MLUser(HttpUser):
    wait_time = between(0.05, 0.1)

    @task
    def predict(self):
        self.client.post("/predict", json={"sqft": 1500, "bedrooms": 3, "location": "NY"})
'''


@pytest.fixture(scope="module", params=["root", "user-namespace"])
def forged_run(request):
    if request.param == "root" and os.geteuid() != 0:
        pytest.skip("real-root mode needs the tests to run as root")
    patch = pytest.MonkeyPatch()
    if request.param == "user-namespace":
        patch.setattr(sandbox, "_as_root", lambda: False)
    sandbox.availability.cache_clear()
    try:
        run = run_locustfile(FORGER, duration_s=2, users=1, spawn_rate=1, limits=LIMITS)
    finally:
        patch.undo()
        sandbox.availability.cache_clear()
    attempts = [line.split() for line in run.output.splitlines() if line.startswith("FORGE ")]
    return run, attempts


def test_every_way_into_the_api_and_supervisor_is_denied(forged_run):
    """/proc/<pid>/fd/*, /proc/<pid>/mem and ptrace of the API and the supervisor all fail.

    (bwrap's own init, pid 1, is same-uid and dumpable in the user-namespace mode; it holds only the
    sandbox's stdin and output pipes, not the record or the result: the forger writes to them too, and the
    tests below show none of it reaches the evidence.)
    """
    run, attempts = forged_run
    into = [a for a in attempts if a[1] in ("fd", "mem", "ptrace") and a[2] in ("api", "supervisor")]
    tried = {(a[1], a[2]) for a in into}
    for kind in ("fd", "mem", "ptrace"):
        assert {(kind, "api"), (kind, "supervisor")} <= tried, run.output[-3000:]
    assert [a for a in into if a[4] == "ok"] == [], run.output[-3000:]


def test_the_record_shows_only_real_traffic(forged_run):
    """The forged lines (in any file, through any fd) are not in the evidence: only the user's POSTs are."""
    run, attempts = forged_run
    assert any(a[1] == "path" for a in attempts), run.output[-3000:]  # the by-path forgery was tried
    assert run.requests, run.output[-3000:]
    assert {(r["method"], r["path"]) for r in run.requests} == {("POST", "/predict")}
    assert all(r["token"] is None and r["client"] != "127.0.0.1:1" for r in run.requests)


def test_the_result_is_the_supervisors_not_the_forgers(forged_run):
    """The status and reason come from the supervisor: the forged header ("FORGED") never arrives."""
    run, _ = forged_run
    assert (run.status, run.reason) == ("completed", ""), run.output[-3000:]
    assert run.stats and run.stats["POST /predict"]["requests"] >= 1
