"""Run a learner's locustfile inside a bubblewrap sandbox, against that run's own model API. Nothing else
in the project may start a learner's code: everything calls `run_locustfile`.

One `bwrap` call makes the sandbox:
- its own network namespace holding only loopback: the run's model API listens on 127.0.0.1 there, and
  Locust's `--host` is fixed to it; the site, the database, the host's other ports and the internet do
  not exist in that namespace;
- its own PID, IPC and UTS namespaces, a new session, death with its parent (and, through the PID
  namespace, death of everything inside when its first process dies);
- a read-only view of only /usr (with the /lib, /bin links), the Python install and the virtualenv, a few
  generated /etc files, and a staging copy of `labs/model_api`, `locust_scenarios/common.py` and the
  supervisor (`labs/sandbox_init.py`); never the project folder, its database, `.secret_key` or settings;
- size-capped tmpfs for /tmp and for the run's working folder;
- an empty environment (`--clearenv`) plus a few fixed variables;
- an unprivileged uid: as real root, bwrap keeps only CAP_SETUID/SETGID so the supervisor can drop to
  uid 65534 (root is exempt from RLIMIT_NPROC); otherwise a user namespace, where the process limit counts
  that namespace's processes only.

Inside, the supervisor applies RLIMIT_CPU, AS, NOFILE, FSIZE, NPROC to Locust, caps its output, and stops
it at the wall limit (counted from Locust's start). Out here the wall limit (plus start-up and teardown
slack) and an output cap are enforced again, and the resident memory of the whole sandbox is summed four
times a second (RLIMIT_AS is per process; many processes could otherwise each take the limit): on the end or any limit the sandbox is SIGKILLed, and any process still in its PID
namespace is killed too. Where bwrap is missing or cannot make namespaces, `SandboxUnavailable`: no
unsandboxed fallback exists.

No Django imports: the caller passes settings in.
"""

from __future__ import annotations

import codecs
import ctypes
import functools
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
SANDBOX_ROOT = "/sandbox"
CODE = f"{SANDBOX_ROOT}/code"
WORK = f"{SANDBOX_ROOT}/work"
VENV = f"{SANDBOX_ROOT}/venv"
API_PORT = 8001
LOCUST_SLACK_S = 8.0  # Locust's import and its stop (--stop-timeout 2) within the wall limit
STARTUP_SLACK_S = 30.0  # the API's start (numpy model fit) and the teardown, beyond the wall limit
WORK_BYTES = 64 * 1024 * 1024  # each tmpfs (/tmp, the working folder)
FILE_BYTES = 32 * 1024 * 1024  # RLIMIT_FSIZE for Locust
RESULTS_BYTES = 64 * 1024 * 1024
PR_SET_PDEATHSIG = 1
MIB = 1024 * 1024
API_MEMORY_MB = 512  # allowed beside Limits.memory_mb for the model API and the supervisor
MEMORY_CHECK_S = 0.25


class SandboxUnavailable(Exception):
    """The sandbox cannot run here; the message says why. Learner code is then never run."""


@dataclass(frozen=True)
class Limits:
    wall_s: float = 60
    cpu_s: float = 60
    memory_mb: int = 768
    processes: int = 64
    open_files: int = 256
    output_bytes: int = 256_000
    users: int = 20
    spawn_rate: float = 10


@dataclass
class LocustfileRun:
    status: str  # "completed" | "error" (did not parse/import, crashed) | "killed" (a limit hit)
    reason: str
    error_line: int | None
    output: str
    requests: list[dict] = field(default_factory=list)
    stats: dict | None = None
    to_first_request_s: float | None = None


def bwrap_path() -> str | None:
    return shutil.which("bwrap") or next(
        (p for p in ("/usr/bin/bwrap", "/usr/local/bin/bwrap") if os.access(p, os.X_OK)), None
    )


@functools.cache
def availability() -> str | None:
    """None when the sandbox works here, else the plain reason (checked once per process)."""
    bwrap = bwrap_path()
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed; install the Debian package bubblewrap"
    staging = Path(tempfile.mkdtemp(prefix="bp-sandbox-check-"))
    try:
        _stage(staging, "pass\n")
        argv = [bwrap, *_bwrap_args(staging), _python(), "-c", "import os; print(os.getpid())"]
        try:
            done = subprocess.run(argv, env=_bwrap_env(), capture_output=True, timeout=30,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bubblewrap could not start: {exc}"
        if done.returncode != 0 or done.stdout.strip() not in (b"1", b"2"):
            detail = (done.stderr or done.stdout).decode("utf-8", "replace").strip()[-300:]
            hint = "" if _as_root() else " (unprivileged user namespaces must be enabled: " \
                "sysctl kernel.unprivileged_userns_clone=1)"
            return f"bubblewrap cannot create its namespaces here{hint}: {detail or done.returncode}"
        return None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def run_locustfile(source: str, *, duration_s: float, users: int, spawn_rate: float,
                   api_args: Sequence[str] = (), limits: Limits = Limits(),
                   on_output: Callable[[str], None] | None = None,
                   should_stop: Callable[[], bool] | None = None) -> LocustfileRun:
    """Run `source` as a locustfile in the sandbox for `duration_s` against the run's own model API.

    `users`, `spawn_rate` are capped by `limits`; `duration_s` by `limits.wall_s` less LOCUST_SLACK_S
    (Locust's start-up and stop must fit in the wall limit too, which counts from Locust's start).
    Raises `SandboxUnavailable` when the sandbox cannot run here; never runs the file unsandboxed.
    """
    reason = availability()
    if reason:
        raise SandboxUnavailable(reason)
    users = max(1, min(int(users), limits.users))
    spawn_rate = max(0.1, min(float(spawn_rate), limits.spawn_rate))
    duration_s = max(1.0, min(float(duration_s), limits.wall_s - LOCUST_SLACK_S))
    staging = Path(tempfile.mkdtemp(prefix="bp-sandbox-"))
    try:
        _stage(staging, source)
        plan = {
            "locustfile": f"{WORK}/locustfile.py",
            "work": WORK,
            "code": CODE,
            "record": f"{WORK}/record.jsonl",  # unused: the record comes through a pipe (record_fd)
            "stats_prefix": f"{WORK}/stats",
            "api_log": f"{WORK}/api.log",
            "port": API_PORT,
            "api_args": [str(a) for a in api_args],
            "duration_s": duration_s,
            "users": users,
            "spawn_rate": spawn_rate,
            "file_bytes": FILE_BYTES,
            "limits": {
                "wall_s": limits.wall_s, "cpu_s": limits.cpu_s, "memory_mb": limits.memory_mb,
                "processes": limits.processes, "open_files": limits.open_files,
                "output_bytes": limits.output_bytes,
            },
        }
        return _Run(staging, plan, limits, on_output, should_stop).execute()
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# -- the sandbox's contents ---------------------------------------------------------------------------

ETC_FILES = {
    "hosts": "127.0.0.1 localhost\n::1 localhost\n",
    "passwd": "root:x:0:0:root:/nonexistent:/usr/sbin/nologin\n"
              "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
    "group": "root:x:0:\nnogroup:x:65534:\n",
    "nsswitch.conf": "passwd: files\ngroup: files\nhosts: files\n",
}


def _stage(staging: Path, source: str) -> None:
    """The host side of the read-only mounts: code copies, generated /etc files, the learner's file."""
    code = staging / "code"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(PROJECT / "labs" / "model_api", code / "labs" / "model_api", ignore=ignore)
    (code / "labs" / "__init__.py").write_text("")
    (code / "locust_scenarios").mkdir()
    (code / "locust_scenarios" / "__init__.py").write_text("")
    shutil.copy(PROJECT / "locust_scenarios" / "common.py", code / "locust_scenarios" / "common.py")
    shutil.copy(PROJECT / "labs" / "sandbox_init.py", code / "sandbox_init.py")
    etc = staging / "etc"
    etc.mkdir()
    for name, text in ETC_FILES.items():
        (etc / name).write_text(text)
    (staging / "locustfile.py").write_bytes(source.encode("utf-8", "replace"))  # lone surrogates become ?
    for path in [staging, *staging.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def _bwrap_args(staging: Path) -> list[str]:
    args = [
        "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--die-with-parent", "--new-session", "--clearenv", "--hostname", "sandbox",
        "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8",
        "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
        "--ro-bind", "/usr", "/usr",
    ]
    for name in ("lib", "lib64", "lib32", "bin", "sbin"):
        top = Path("/") / name
        if top.is_symlink():
            args += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            args += ["--ro-bind", str(top), str(top)]
    if Path("/etc/ld.so.cache").exists():
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    for name in ETC_FILES:
        args += ["--ro-bind", str(staging / "etc" / name), f"/etc/{name}"]
    base = sys.base_prefix  # at its own path: the venv's python links to it and pyvenv.cfg names it
    if not base.startswith("/usr/"):
        args += _dirs_to(base)
        args += ["--ro-bind", base, base]
    args += ["--perms", "0755", "--dir", SANDBOX_ROOT, "--ro-bind", sys.prefix, VENV]
    args += [
        "--proc", "/proc", "--dev", "/dev",
        "--perms", "1777", "--size", str(WORK_BYTES), "--tmpfs", "/tmp",
        "--perms", "1777", "--size", str(WORK_BYTES), "--tmpfs", WORK,
        "--ro-bind", str(staging / "code"), CODE,
        "--ro-bind", str(staging / "locustfile.py"), f"{WORK}/locustfile.py",
        "--chdir", WORK,
        # Last: the sandbox's own root and /dev tmpfs are owned by the sandbox user in a user namespace.
        "--remount-ro", "/dev", "--remount-ro", "/",
    ]
    if _as_root():
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]  # the supervisor drops root
    else:
        args += ["--unshare-user", "--disable-userns", "--uid", "65534", "--gid", "65534"]
    return args


def _as_root() -> bool:
    """Real root: no user namespace (root is exempt from RLIMIT_NPROC); the supervisor drops to 65534."""
    return os.geteuid() == 0


def _dirs_to(path: str) -> list[str]:
    """Create `path`'s ancestors world-readable (bwrap would copy the host's 0700 of e.g. /root)."""
    args = []
    for ancestor in reversed(Path(path).parents):
        if str(ancestor) != "/":
            args += ["--perms", "0755", "--dir", str(ancestor)]
    return args


def _python() -> str:
    """The virtualenv's interpreter as seen inside the sandbox."""
    return f"{VENV}/bin/{Path(sys.executable).name}" if sys.prefix != sys.base_prefix else sys.executable


def _bwrap_env() -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin"}


# -- one run -------------------------------------------------------------------------------------------

def _load_libc():
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None


_LIBC = _load_libc()


def _die_with_parent() -> None:  # between fork and exec: async-signal-safe only
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class _Run:
    def __init__(self, staging: Path, plan: dict, limits: Limits,
                 on_output: Callable[[str], None] | None, should_stop: Callable[[], bool] | None):
        self.staging = staging
        self.plan = plan
        self.limits = limits
        self.on_output = on_output
        self.should_stop = should_stop
        self.output: list[str] = []
        self.output_bytes = 0
        self.cut = False
        self.results = bytearray()
        self.record = bytearray()
        self.pidns: str | None = None

    def execute(self) -> LocustfileRun:
        results_r, results_w = os.pipe()
        record_r, record_w = os.pipe()
        info_r, info_w = os.pipe()
        self.plan["results_fd"] = results_w
        self.plan["record_fd"] = record_w
        argv = [bwrap_path() or "bwrap", "--info-fd", str(info_w), *_bwrap_args(self.staging),
                _python(), f"{CODE}/sandbox_init.py", json.dumps(self.plan)]
        started_wall = time.time()
        started = time.monotonic()
        try:
            process = subprocess.Popen(
                argv, env=_bwrap_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, pass_fds=(results_w, record_w, info_w), start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - async-signal-safe
            )
        finally:
            os.close(results_w)
            os.close(record_w)
            os.close(info_w)
        host_reason = None
        try:
            host_reason = self._watch(process, info_r, results_r, record_r, started)
        finally:
            self._kill(process)
            for fd in (info_r, results_r, record_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
        return self._outcome(host_reason, started_wall)

    def _watch(self, process: subprocess.Popen, info_r: int, results_r: int, record_r: int,
               started: float) -> str | None:
        assert process.stdout is not None and process.stdin is not None
        out_fd = process.stdout.fileno()
        open_fds = {out_fd, results_r, record_r, info_r}
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        hard_deadline = started + self.limits.wall_s + STARTUP_SLACK_S
        output_cap = self.limits.output_bytes + 4096  # the supervisor cuts first; this is the backstop
        stop_sent_at = None
        next_memory_check = 0.0
        info = b""
        while open_fds:
            now = time.monotonic()
            if now >= hard_deadline:
                return f"it ran longer than {self.limits.wall_s:g} s"
            if stop_sent_at is None and self.should_stop is not None and self.should_stop():
                stop_sent_at = now
                process.stdin.close()  # the supervisor stops Locust and reports
                hard_deadline = min(hard_deadline, now + 10)
            if self.pidns and now >= next_memory_check:
                next_memory_check = now + MEMORY_CHECK_S
                if _namespace_rss(self.pidns) > (self.limits.memory_mb + API_MEMORY_MB) * MIB:
                    return f"it used more than {self.limits.memory_mb:,} MB of memory"
            ready, _, _ = select.select(list(open_fds), [], [], 0.2)
            for fd in ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    open_fds.discard(fd)
                    continue
                if fd == info_r:
                    info += chunk
                    if self.pidns is None:
                        self._note_pidns(info)
                elif fd in (results_r, record_r):
                    if len(self.results) + len(self.record) + len(chunk) > RESULTS_BYTES:
                        return "its record of requests grew too large"
                    (self.results if fd == results_r else self.record).extend(chunk)
                else:
                    self.output_bytes += len(chunk)
                    if self.output_bytes > output_cap:
                        self.cut = True
                        return f"it printed more than {self.limits.output_bytes:,} bytes"
                    text = decoder.decode(chunk)
                    self.output.append(text)
                    if self.on_output is not None and text:
                        self.on_output(text)
        return None

    def _note_pidns(self, info: bytes) -> None:
        try:
            child = int(json.loads(info.decode())["child-pid"])
            pidns = os.readlink(f"/proc/{child}/ns/pid")
        except (ValueError, KeyError, OSError):
            return
        if pidns != _pidns_of(os.getpid()):  # never our own namespace (a pid reused by a host process)
            self.pidns = pidns

    def _kill(self, process: subprocess.Popen) -> None:
        """SIGKILL bwrap (its PID-namespace init dies with it, and the kernel kills the rest)."""
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except OSError:
                pass
            process.kill()
        process.wait()
        if process.stdin is not None:
            try:
                process.stdin.close()
            except OSError:
                pass
        if process.stdout is not None:
            process.stdout.close()
        self._kill_namespace()

    def _kill_namespace(self) -> None:
        """Belt and braces: SIGKILL anything still living in the sandbox's PID namespace."""
        if not self.pidns:
            return
        for _ in range(50):
            left = [pid for pid in _pids() if _pidns_of(pid) == self.pidns]
            if not left:
                return
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)

    def _outcome(self, host_reason: str | None, started_wall: float) -> LocustfileRun:
        output = "".join(self.output)
        header = bytes(self.results).partition(b"\n")[0]  # the API's record is its own pipe's (self.record)
        try:
            inner = json.loads(header) if header else None
        except ValueError:
            inner = None
        requests = _parse_record(bytes(self.record))
        if host_reason:
            status, reason, error_line = "killed", host_reason, None
        elif not isinstance(inner, dict):
            status, reason, error_line = "error", "the sandbox ended without a result", None
        else:
            status = inner.get("status") if inner.get("status") in ("completed", "error", "killed") else "error"
            reason = str(inner.get("reason") or "")
            error_line = inner.get("error_line") if isinstance(inner.get("error_line"), int) else None
        if self.cut or (status == "killed" and "printed more than" in reason):
            output = output[: self.limits.output_bytes] + \
                f"\n[output cut at {self.limits.output_bytes:,} bytes]\n"
        stats = _stats(inner.get("stats")) if isinstance(inner, dict) else None
        first = None
        api_started_at = inner.get("api_started_at") if isinstance(inner, dict) else None
        if requests and isinstance(api_started_at, (int, float)):
            first = round(api_started_at + min(r["t"] for r in requests) - started_wall, 3)
        return LocustfileRun(status=status, reason=reason, error_line=error_line, output=output,
                             requests=requests, stats=stats, to_first_request_s=first)


RECORD_KEYS = ("t", "method", "path", "status", "client", "token", "body_valid", "error")


def _parse_record(data: bytes) -> list[dict]:
    requests = []
    for line in data.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("t"), (int, float)):
            requests.append({key: entry.get(key) for key in RECORD_KEYS})
    requests.sort(key=lambda r: r["t"])
    return requests


def _stats(raw: object) -> dict | None:
    """Locust's --json-file stats as {"METHOD name": {"method", "name", "requests", "failures", ...}}."""
    if not isinstance(raw, list):
        return None
    stats = {}
    for entry in raw:
        if not isinstance(entry, dict):
            continue
        method, name = str(entry.get("method") or ""), str(entry.get("name") or "")
        stats[f"{method} {name}".strip()] = {
            "method": method,
            "name": name,
            "requests": int(entry.get("num_requests") or 0),
            "failures": int(entry.get("num_failures") or 0),
        }
    return stats


def _namespace_rss(pidns: str) -> int:
    """Resident bytes of every process in the PID namespace: RLIMIT_AS caps each process, this the sum."""
    total = 0
    page = os.sysconf("SC_PAGE_SIZE")
    for pid in _pids():
        if _pidns_of(pid) != pidns:
            continue
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * page
        except (OSError, ValueError, IndexError):
            continue
    return total


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _pidns_of(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None
