"""Hostile locustfiles run through `run_locustfile`: each is stopped or finds nothing, and ends with a plain reason.

Each file does its damage at import time, prints what it saw (the evidence asserted on), then defines no
user, so a run that was not killed ends "error". Limits are small so each run lasts seconds.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid

import psutil
import pytest

from labs.sandbox import PROJECT, Limits, run_locustfile

pytestmark = [pytest.mark.slow, pytest.mark.dbfree]

SMALL = Limits(wall_s=20, cpu_s=4, memory_mb=400, processes=24, open_files=64, output_bytes=20_000)


def run(source: str, limits: Limits = SMALL):
    result = run_locustfile(source, duration_s=2, users=1, spawn_rate=1, limits=limits)
    print(f"RESULT {result.status}: {result.reason}")  # shown by `pytest -rP`: the figure for the note
    return result


def sandbox_processes() -> list[psutil.Process]:
    """Processes of the sandbox's uid on this host (none may outlive a run)."""
    found = []
    for process in psutil.process_iter(["uids", "cmdline"]):
        try:
            if process.info["uids"] and process.info["uids"].real == 65534:
                found.append(process)
        except psutil.Error:
            continue
    return found


@pytest.fixture
def host_listener():
    """A TCP server on the host's 127.0.0.1 (standing for the site): it counts the connections it accepts."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    accepted: list[tuple] = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, address = server.accept()
            except OSError:
                continue
            accepted.append(address)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


def host_addresses() -> list[str]:
    """The host's own non-loopback IPv4 addresses (reachable from the host's network namespace)."""
    found = []
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family == socket.AF_INET and not address.address.startswith("127."):
                found.append(address.address)
    return found


def test_cannot_reach_the_site_postgresql_or_redis(host_listener):
    """Connections to the site's port, PostgreSQL and Redis (127.0.0.1, the host's address, unix sockets) fail."""
    port, accepted = host_listener
    targets = [("127.0.0.1", port), ("127.0.0.1", 5432), ("127.0.0.1", 6379)]
    targets += [(address, port) for address in host_addresses()] + [("1.1.1.1", 80)]
    unix = ["/run/postgresql/.s.PGSQL.5432", "/var/run/postgresql/.s.PGSQL.5432", "/run/redis/redis.sock"]
    source = f"""
import socket
for host, port in {targets!r}:
    try:
        socket.create_connection((host, port), timeout=2).close()
        print("CONNECTED", host, port)
    except OSError as exc:
        print("FAILED", host, port, type(exc).__name__)
for path in {unix!r}:
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(path)
        print("CONNECTED", path)
    except OSError as exc:
        print("FAILED", path, type(exc).__name__)
"""
    result = run(source)
    assert "CONNECTED" not in result.output
    assert result.output.count("FAILED") == len(targets) + len(unix)
    assert accepted == []  # the host's listener never saw a connection
    assert result.status == "error" and "no user class" in result.reason


def test_cannot_read_the_database_secret_key_or_shadow():
    """The project folder (db.sqlite3, .secret_key) and /etc/shadow are not in the sandbox at all."""
    canary = PROJECT / f".sandbox-canary-{uuid.uuid4().hex}"
    secret = uuid.uuid4().hex
    canary.write_text(secret)
    paths = [str(canary), str(PROJECT / "db.sqlite3"), str(PROJECT / ".secret_key"), "/etc/shadow",
             "/etc/gshadow", str(PROJECT / "quizsite" / "settings.py"), "/root/.bash_history"]
    source = f"""
import os
for path in {paths!r}:
    try:
        print("READ", path, open(path).read()[:100])
    except OSError as exc:
        print("DENIED", path, type(exc).__name__)
for folder in ("/", "/etc", "/sandbox", "/sandbox/code", "/home", "/root", "/work"):
    try:
        print("LIST", folder, sorted(os.listdir(folder)))
    except OSError as exc:
        print("NOLIST", folder, type(exc).__name__)
"""
    try:
        result = run(source)
    finally:
        canary.unlink()
    assert "READ " not in result.output
    assert result.output.count("DENIED") == len(paths)
    assert secret not in result.output
    assert "db.sqlite3" not in result.output.split("DENIED")[-1]  # no listing shows the project
    assert "shadow" not in "".join(line for line in result.output.splitlines() if line.startswith("LIST /etc"))
    assert result.status == "error" and "no user class" in result.reason


def test_cannot_write_outside_tmp():
    """Writes into the project, the virtualenv, /usr or the sandbox's code fail; nothing appears on the host."""
    name = f"pwned-{uuid.uuid4().hex}"
    venv = os.environ.get("VIRTUAL_ENV") or str(PROJECT / ".venv")
    targets = [f"{PROJECT}/{name}", f"{venv}/{name}", f"/sandbox/venv/{name}", f"/usr/{name}",
               f"/sandbox/code/{name}", "/sandbox/work/locustfile.py", f"/{name}", f"/dev/shm/{name}",
               f"/etc/{name}"]
    source = f"""
for path in {targets!r}:
    try:
        with open(path, "a") as f:
            f.write("pwned")
        print("WROTE", path)
    except OSError as exc:
        print("REFUSED", path, type(exc).__name__)
with open("/tmp/{name}", "w") as f:
    f.write("private tmp is fine")
print("TMP OK")
"""
    result = run(source)
    assert "WROTE" not in result.output
    assert result.output.count("REFUSED") == len(targets)
    assert "TMP OK" in result.output
    assert not (PROJECT / name).exists()
    assert not os.path.exists(f"{venv}/{name}") and not os.path.exists(f"/usr/{name}")
    assert not os.path.exists(f"/tmp/{name}")  # its /tmp was private
    assert result.status == "error", result.reason


def test_fork_bomb_is_stopped():
    """Forking without end hits the process limit and the wall limit; nothing of it survives."""
    source = """
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
"""
    result = run(source, Limits(wall_s=6, cpu_s=30, memory_mb=400, processes=24, output_bytes=20_000))
    assert result.status == "killed"
    assert result.reason.startswith("it ran longer than 6 s, with ")
    assert result.reason.endswith("processes running (the limit is 24)")
    assert sandbox_processes() == []


def test_allocating_without_end_is_stopped():
    """Memory is capped per process: the allocation fails and the run says so."""
    source = """
blocks = []
while True:
    blocks.append(bytearray(16 * 1024 * 1024))
"""
    result = run(source)
    assert (result.status, result.reason) == ("killed", "it used more than 400 MB of memory")


def test_an_endless_loop_is_stopped_by_the_cpu_limit():
    """A busy loop is stopped once it has used its CPU seconds (the wall limit is far: the machine may be busy)."""
    result = run("while True:\n    pass\n", Limits(wall_s=40, cpu_s=3, memory_mb=400, output_bytes=20_000))
    assert (result.status, result.reason) == ("killed", "it used more than 3 s of CPU time")


def test_many_processes_each_under_the_memory_limit_are_stopped_together():
    """RLIMIT_AS is per process; the sandbox's total resident memory is capped too."""
    source = """
import os, time
for _ in range(6):
    if os.fork() == 0:
        block = b"x" * (250 * 1024 * 1024)
        time.sleep(60)
time.sleep(60)
"""
    limits = Limits(wall_s=40, cpu_s=30, memory_mb=400, processes=24, output_bytes=20_000)
    result = run(source, limits)
    assert (result.status, result.reason) == ("killed", "it used more than 400 MB of memory")
    assert sandbox_processes() == []


def test_printing_gigabytes_is_cut():
    """Output beyond the cap stops the run; what is kept is at most the cap plus a note."""
    result = run("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n")
    assert (result.status, result.reason) == ("killed", "it printed more than 20,000 bytes")
    assert len(result.output.encode()) < 21_000
    assert result.output.endswith("[output cut at 20,000 bytes]\n")


def test_no_process_outlives_the_run():
    """A setsid'd sleep and a double-forked daemon both die with the sandbox."""
    marker = str(900_000 + uuid.uuid4().int % 90_000)
    source = f"""
import os, subprocess, time
subprocess.Popen(["setsid", "sleep", "{marker}"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "{marker}.5"])
    os._exit(0)
time.sleep(0.5)
print("SPAWNED")
"""
    result = run(source)
    assert "SPAWNED" in result.output
    leftovers = [p for p in psutil.process_iter(["cmdline"]) if marker in " ".join(p.info["cmdline"] or [])]
    assert leftovers == []
    assert sandbox_processes() == []
    assert result.status == "error", result.reason


def test_the_workers_environment_is_invisible(monkeypatch):
    """A canary in the calling process's environment appears nowhere: not in os.environ, nor any /proc/*/environ."""
    canary = f"canary-{uuid.uuid4().hex}"
    monkeypatch.setenv("BP_SANDBOX_CANARY", canary)
    source = """
import os
print("ENV", dict(os.environ))
for pid in ["1", "self"] + [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        print("PROC", pid, open(f"/proc/{pid}/environ", "rb").read())
    except OSError as exc:
        print("NOPROC", pid, type(exc).__name__)
"""
    result = run(source)
    assert "ENV {" in result.output
    assert canary not in result.output
    assert all(canary not in str(r) for r in result.requests)
    assert result.status == "error", result.reason


def test_a_benign_run_still_works_after_the_hostile_ones(host_listener):
    """After the attacks (this module runs it last), the next learner's run completes and the host still serves."""
    port, accepted = host_listener
    source = """
from locust import HttpUser, task, constant

class MLUser(HttpUser):
    wait_time = constant(0.2)

    @task
    def predict(self):
        self.client.post("/predict", json={"sqft": 1500, "bedrooms": 3, "location": "NY"})
"""
    result = run(source)
    assert result.status == "completed", result.reason
    assert any(r["status"] == 200 for r in result.requests)
    socket.create_connection(("127.0.0.1", port), timeout=2).close()  # the host's own port still answers
    assert sandbox_processes() == []
