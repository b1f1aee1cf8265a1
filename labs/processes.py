"""Starting a run's subprocesses so they cannot outlive it, and finding and killing them if they do.

Every process a run starts (the model API, Locust, and whatever they fork) gets:
- its own session and process group (`start_new_session=True`), so one `killpg` reaches all of it;
- PR_SET_PDEATHSIG = SIGKILL on Linux, so it dies at once if the worker that started it is killed;
- an environment marker, BP_LAB_RUN=<run marker>, so a later cleanup can tell our processes from any other
  process that reuses the same group id.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import psutil

MARKER_ENV = "BP_LAB_RUN"
PR_SET_PDEATHSIG = 1


def _load_libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None


_LIBC = _load_libc()  # loaded here, not in the child: between fork and exec only async-safe calls


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def spawn(argv: list[str], *, env: dict[str, str], cwd: Path, log: Path,
          pass_fds: Iterable[int] = ()) -> subprocess.Popen:
    """Start a process in a new session that dies with its parent, output appended to `log`."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_die_with_parent,  # noqa: PLW1509 - async-signal-safe, see above
            pass_fds=tuple(pass_fds), close_fds=True,
        )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def marked_processes(marker: str) -> list[psutil.Process]:
    """Every live process carrying this run's marker."""
    found = []
    for process in psutil.process_iter(["pid"]):
        try:
            if process.environ().get(MARKER_ENV) == marker and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            continue
    return found


def stop_group(pgid: int, marker: str, grace_s: float = 2.0) -> None:
    """SIGTERM a process group, then SIGKILL whatever of it (or of the marker) is still alive."""
    if not _group_is_ours(pgid, marker):
        return
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and _group_alive(pgid):
        time.sleep(0.05)
    _signal_group(pgid, signal.SIGKILL)


def kill_marked(marker: str, groups: Iterable[int] = (), wait_s: float = 3.0) -> int:
    """SIGKILL the run's process groups and every process with its marker; returns how many were found."""
    for pgid in groups:
        if _group_is_ours(pgid, marker):
            _signal_group(pgid, signal.SIGKILL)
    processes = marked_processes(marker)
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    # Not psutil.wait_procs: an orphan killed here may stay a zombie (nothing reaps it), and waiting on a
    # zombie lasts the whole timeout. marked_processes() leaves zombies out.
    deadline = time.monotonic() + wait_s
    while processes and time.monotonic() < deadline and marked_processes(marker):
        time.sleep(0.05)
    return len(processes)


def kill_run_processes(run) -> None:
    """Kill whatever a failed or stale run left running on this machine, and remove its files."""
    from labs.slots import host_name  # Django models: imported only where a run is at hand

    if run.worker_host and run.worker_host != host_name():
        return  # another machine's worker: its own start-up cleanup handles it
    kill_marked(run.process_marker, run.process_groups or [])
    for folder in Path(tempfile.gettempdir()).glob(f"{run.process_marker}-*"):
        shutil.rmtree(folder, ignore_errors=True)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_members(pgid: int) -> list[psutil.Process]:
    members = []
    for process in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(process.pid) == pgid:
                members.append(process)
        except (ProcessLookupError, psutil.NoSuchProcess, OSError):
            continue
    return members


def _group_alive(pgid: int) -> bool:
    for process in _group_members(pgid):
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            continue
    return False


def _group_is_ours(pgid: int, marker: str) -> bool:
    """A group id may have been reused by an unrelated process: only signal it if it carries our marker."""
    if pgid <= 1 or pgid == os.getpgid(0):
        return False
    for process in _group_members(pgid):
        try:
            if process.environ().get(MARKER_ENV) == marker:
                return True
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            continue
    return False


def run_queue_wait_seconds(pid: int) -> float:
    """Seconds the threads of process `pid` have spent ready to run but waiting for a CPU (Linux schedstat's
    run_delay; 0 where it is not available). CPU time plus this wait is the CPU a process *wanted*: on a
    shared machine a CPU-bound process gets less than a core, and waits for the rest."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    total = 0
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as handle:
                total += int(handle.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9
