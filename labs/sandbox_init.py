"""The supervisor that runs INSIDE the sandbox (stdlib only; `labs/sandbox.py` starts it with bubblewrap).

`python sandbox_init.py '<json plan>'`, with `results_fd` a pipe to the host. It:
1. drops root (when bubblewrap ran as real root, the sandbox keeps CAP_SETUID/SETGID for this step only)
   to an unprivileged uid, so the process limit (RLIMIT_NPROC) applies;
2. checks that the learner's file parses (a SyntaxError is reported with its line, Locust never starts);
3. starts the run's model API on 127.0.0.1 (with `--record`), waits until it answers;
4. runs headless Locust on the learner's file against that API only, under the plan's limits, forwarding
   its output to stdout up to the byte cap;
5. stops Locust at the wall limit, the byte cap, or when stdin closes (the host asks to stop); then stops
   the API (which flushes its record) and writes one JSON header line then the raw record to that pipe.

The evidence cannot be forged by the learner's code, which runs as the same uid: the model API writes its
record to a pipe inherited from the host (`--record fd:N`, no file anyone can open) and the result header
goes to another pipe; Locust inherits neither, and this supervisor and the API make themselves
non-dumpable (`prctl(PR_SET_DUMPABLE, 0)`), so a same-uid process can neither open their
`/proc/<pid>/fd/*`, read or write their `/proc/<pid>/mem`, nor ptrace them. It can still signal them
(a killed API or supervisor makes the run fail or lose lines, never gain any). Locust's own stats and
output are the learner's process's claims, not evidence. The limits and the kill are enforced by the
kernel and the host.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import resource
import select
import signal
import socket
import subprocess
import sys
import threading
import time

SANDBOX_UID = 65534
TRACE_LINE = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')
MIB = 1024 * 1024
PR_SET_DUMPABLE = 4


def main() -> int:
    plan = json.loads(sys.argv[1])
    results = os.fdopen(plan["results_fd"], "wb", closefd=True)
    os.set_inheritable(plan["results_fd"], False)
    outcome = {"status": "error", "reason": "", "error_line": None, "stats": None, "api_started_at": None}
    try:
        if plan.get("drop_root", True):  # False only for bench/sandbox.py's unsandboxed baseline
            drop_root()
            make_undumpable()  # after the uid change (which resets the flag), before any learner code
        outcome.update(run(plan))
    except Exception as exc:  # report, never leave the host without a result
        outcome.update(status="error", reason=f"the sandbox failed: {exc}")
    header = (json.dumps(outcome) + "\n").encode()
    results.write(header)
    if plan.get("record_fd") is None:  # the record is a file (bench's baseline): it follows the header
        try:
            with open(plan["record"], "rb") as record:
                while chunk := record.read(1 << 16):
                    results.write(chunk)
        except OSError:
            pass
    results.close()
    return 0


def drop_root() -> None:
    if os.getuid() == 0 or os.geteuid() == 0:
        os.setgroups([])
        os.setresgid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID)
        os.setresuid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID)
    if os.geteuid() == 0 or os.getuid() == 0:
        raise RuntimeError("could not drop root")


def make_undumpable() -> None:
    """Same-uid processes may no longer ptrace this one nor open its /proc/<pid>/fd/*, mem (the result pipe)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise RuntimeError(f"prctl(PR_SET_DUMPABLE, 0) failed: errno {ctypes.get_errno()}")


def limit(kind: int, soft: int, hard: int | None = None) -> None:
    resource.setrlimit(kind, (soft, soft if hard is None else hard))


def api_limits(plan: dict) -> None:  # in the API child, between fork and exec
    limit(resource.RLIMIT_CORE, 0)
    limit(resource.RLIMIT_AS, 2048 * MIB)


def locust_limits(plan: dict) -> None:  # in the Locust child, between fork and exec
    lim = plan["limits"]
    limit(resource.RLIMIT_CORE, 0)
    limit(resource.RLIMIT_CPU, max(1, int(lim["cpu_s"])), max(1, int(lim["cpu_s"])) + 2)
    limit(resource.RLIMIT_AS, int(lim["memory_mb"]) * MIB)
    limit(resource.RLIMIT_NOFILE, int(lim["open_files"]))
    limit(resource.RLIMIT_FSIZE, int(plan["file_bytes"]))
    limit(resource.RLIMIT_NPROC, int(lim["processes"]))


def syntax_problem(path: str) -> tuple[str, int | None] | None:
    with open(path, "rb") as source:
        text = source.read()
    try:
        compile(text, "locustfile.py", "exec")
    except SyntaxError as exc:
        return f"{type(exc).__name__} on line {exc.lineno}: {exc.msg}", exc.lineno
    except ValueError as exc:  # e.g. null bytes
        return f"the file cannot be compiled: {exc}", None
    return None


def wait_for_api(port: int, api: subprocess.Popen, timeout_s: float) -> bool:
    """Wait until the API accepts connections (uvicorn binds only after the model is fitted).

    A bare connect, no HTTP request: the record holds the learner's traffic only.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if api.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def stop(process: subprocess.Popen, grace_s: float) -> None:
    """SIGTERM the process's group, then SIGKILL it after `grace_s`."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except OSError:
            pass
        try:
            process.wait(grace_s)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass
    process.wait()


def run(plan: dict) -> dict:
    problem = syntax_problem(plan["locustfile"])
    if problem:
        return {"status": "error", "reason": problem[0], "error_line": problem[1]}

    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": plan["work"],
        "LANG": "C.UTF-8",
        "PYTHONPATH": plan["code"],
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "TMPDIR": "/tmp",
    }
    port = plan["port"]
    api_started_at = time.time()
    record_fd = plan.get("record_fd")
    api = subprocess.Popen(
        [sys.executable, "-m", "labs.model_api", "--host", "127.0.0.1", "--port", str(port),
         "--record", plan["record"] if record_fd is None else f"fd:{record_fd}", *plan["api_args"],
         *(() if record_fd is None else ("--workers", "1"))],
        env={**env, "MODEL_API_STARTED_AT": repr(api_started_at)}, cwd=plan["work"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(plan["api_log"], "wb"),
        start_new_session=True, preexec_fn=lambda: api_limits(plan),
        pass_fds=() if record_fd is None else (record_fd,),
    )
    if record_fd is not None:
        os.close(record_fd)  # the API holds the only copy: the host sees the record end when the API ends
    try:
        if not wait_for_api(port, api, timeout_s=30):
            return {"status": "error", "reason": "the model API did not start: "
                    + tail(plan["api_log"], 400), "api_started_at": api_started_at}
        outcome = run_locust(plan, env, time.monotonic() + float(plan["limits"]["wall_s"]))
        outcome["api_started_at"] = api_started_at
        return outcome
    finally:
        stop(api, grace_s=5)


def run_locust(plan: dict, env: dict, deadline: float) -> dict:
    lim = plan["limits"]
    argv = [
        sys.executable, "-m", "locust", "-f", plan["locustfile"], "--headless",
        "--host", f"http://127.0.0.1:{plan['port']}",
        "-u", str(plan["users"]), "-r", str(plan["spawn_rate"]), "-t", f"{plan['duration_s']:g}s",
        "--stop-timeout", "2", "--exit-code-on-error", "0", "--json-file", plan["stats_prefix"],
    ]
    locust = subprocess.Popen(
        argv, env=env, cwd=plan["work"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=lambda: locust_limits(plan),
    )
    stop_requested = threading.Event()
    threading.Thread(target=watch_stdin, args=(stop_requested,), daemon=True).start()

    cap = int(lim["output_bytes"])
    seen = 0
    tail_text = b""
    why = None
    out = locust.stdout
    assert out is not None
    fd = out.fileno()
    while True:
        now = time.monotonic()
        if now >= deadline:
            why = f"it ran longer than {lim['wall_s']:g} s" + crowd_note(int(lim["processes"]))
            break
        if stop_requested.is_set():
            why = "it was stopped before the end"
            break
        exited = locust.poll() is not None  # then drain what is buffered: a child it left may hold the pipe
        ready, _, _ = select.select([fd], [], [], 0 if exited else min(0.2, deadline - now))
        if not ready:
            if exited:
                break
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        seen += len(chunk)
        tail_text = (tail_text + chunk)[-8192:]
        if seen > cap:
            why = f"it printed more than {cap:,} bytes"
            keep = len(chunk) - (seen - cap)
            if keep > 0:
                sys.stdout.buffer.write(chunk[:keep])
            break
        sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
    sys.stdout.buffer.flush()
    if why:
        stop(locust, grace_s=2 if why.startswith("it was stopped") else 0.5)
        return {"status": "killed", "reason": why, "error_line": None, "stats": read_stats(plan)}
    try:
        locust.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        stop(locust, grace_s=0.5)
        return {"status": "killed", "reason": f"it ran longer than {lim['wall_s']:g} s", "stats": None}
    stop(locust, grace_s=0.5)  # whatever it left in its process group
    return judge(locust.returncode, tail_text.decode("utf-8", "replace"), plan)


def judge(code: int, output_tail: str, plan: dict) -> dict:
    lim = plan["limits"]
    stats = read_stats(plan)
    if code in (-signal.SIGXCPU, -signal.SIGKILL) and "MemoryError" not in output_tail:
        return {"status": "killed", "reason": f"it used more than {lim['cpu_s']:g} s of CPU time",
                "stats": stats}
    if "MemoryError" in output_tail:
        return {"status": "killed", "reason": f"it used more than {lim['memory_mb']:,} MB of memory",
                "stats": stats}
    if "BlockingIOError: [Errno 11]" in output_tail or "Resource temporarily unavailable" in output_tail:
        return {"status": "killed", "reason": f"it tried to run more than {lim['processes']} processes",
                "stats": stats}
    if "File too large" in output_tail or code == -signal.SIGXFSZ:
        return {"status": "killed", "reason": f"it wrote a file larger than {plan['file_bytes']:,} bytes",
                "stats": stats}
    if code == 0 and stats is not None:
        return {"status": "completed", "reason": "", "error_line": None, "stats": stats}
    line = learner_line(output_tail, plan["locustfile"])
    last = last_error(output_tail)
    if "No User class found" in output_tail:
        reason = "the file defines no user class (a class that extends HttpUser)"
    elif last:
        reason = f"{last} (line {line})" if line else last
    elif code < 0:
        reason = f"Locust was killed by signal {-code}"
    else:
        reason = f"Locust exited with code {code}"
    return {"status": "error", "reason": reason, "error_line": line, "stats": stats}


def crowd_note(limit: int) -> str:
    """When the sandbox is crowded with processes (a fork loop), say so beside the wall-time reason."""
    running = sum(1 for name in os.listdir("/proc") if name.isdigit())
    return f", with {running} processes running (the limit is {limit})" if running > 8 else ""


def learner_line(output: str, locustfile: str) -> int | None:
    lines = [int(m["line"]) for m in TRACE_LINE.finditer(output) if m["file"] == locustfile]
    return lines[-1] if lines else None


def last_error(output: str) -> str:
    for line in reversed(output.strip().splitlines()):
        line = line.strip()
        if re.match(r"^[A-Za-z_.]*(Error|Exception|Exit|Interrupt)\b.*", line):
            return line[:300]
    return ""


def read_stats(plan: dict) -> list | None:
    try:
        with open(plan["stats_prefix"] + ".json", encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def watch_stdin(event: threading.Event) -> None:
    try:
        while os.read(0, 1024):
            pass
    except OSError:
        pass
    event.set()


def tail(path: str, chars: int) -> str:
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-chars:].strip()
    except OSError:
        return ""


if __name__ == "__main__":
    sys.exit(main())
