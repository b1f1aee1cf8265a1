"""`--record PATH`: one JSON line per request the API answered, for checking a load test by its traffic.

Each line: `{"t": seconds since the API started, "method", "path", "status", "client": "ip:port",
"token": the Authorization bearer token or null, "body_valid": false when the body failed validation,
"error": the validation message or the injected error/overload reason, else null}`.

Lines are gathered in memory and appended with one `os.write` per batch (at 64 KB or half a second,
and when the worker stops), so recording costs a `json.dumps` per request. The file is opened with
O_APPEND: several workers may share it, and each batch holds whole lines, so lines never interleave.
`--record fd:N` writes to the inherited file descriptor N instead (a pipe the sandbox's host reads, so the
record is no file anyone can open; one worker only: uvicorn's spawned workers inherit no descriptors), and
makes the process non-dumpable (`prctl(PR_SET_DUMPABLE, 0)`): another process of the same uid can then
neither open `/proc/<pid>/fd/N`, read `/proc/<pid>/mem`, nor ptrace it to write forged lines.
The start time is `MODEL_API_STARTED_AT` (Unix seconds, set by `python -m labs.model_api` so every
worker shares it), else the moment the recorder was created.
"""

from __future__ import annotations

import ctypes
import json
import os
import time
from typing import Any

STARTED_AT_ENV = "MODEL_API_STARTED_AT"
FLUSH_BYTES = 64 * 1024
FLUSH_S = 0.5
FD_PREFIX = "fd:"
PR_SET_DUMPABLE = 4


def record_fd(target: str) -> int | None:
    """N for a `fd:N` record target, None for a path; ValueError for `fd:` with no number."""
    if not target.startswith(FD_PREFIX):
        return None
    fd = int(target[len(FD_PREFIX):])
    if fd < 3:
        raise ValueError(f"--record fd:N needs N >= 3, got {fd}")
    return fd


def make_undumpable() -> None:
    """No process of the same uid (without CAP_SYS_PTRACE) may ptrace this one or open its /proc fd, mem."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


class Recorder:
    """Buffered JSONL writer of request records."""

    def __init__(self, path: str, started_at: float | None = None) -> None:
        if started_at is None:
            raw = os.environ.get(STARTED_AT_ENV)
            started_at = float(raw) if raw else time.time()
        self.started_at = started_at
        fd = record_fd(path)
        if fd is None:
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
        else:
            os.fstat(fd)  # OSError (EBADF) now, not at the first flush, when it was not inherited
            make_undumpable()  # before the fd is of use to anyone: the API answers only after this
            os.set_inheritable(fd, False)
            self._fd = fd
        self._lines: list[bytes] = []
        self._size = 0
        self._last_flush = time.monotonic()

    def add(self, entry: dict[str, Any]) -> None:
        line = (json.dumps(entry, separators=(",", ":")) + "\n").encode()
        self._lines.append(line)
        self._size += len(line)
        if self._size >= FLUSH_BYTES or time.monotonic() - self._last_flush >= FLUSH_S:
            self.flush()

    def flush(self) -> None:
        if self._lines and self._fd >= 0:
            data = b"".join(self._lines)
            self._lines.clear()
            self._size = 0
            while data:
                written = os.write(self._fd, data)
                data = data[written:]
        self._last_flush = time.monotonic()

    def close(self) -> None:
        self.flush()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def bearer_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    for name, value in headers:
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").strip().partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


class RecordMiddleware:
    """Pure ASGI middleware adding one record per HTTP request once it is answered.

    Handlers flag a rejected body by setting `scope["state"]["record_error"]` (and `body_invalid`); see
    `note_error`.
    """

    def __init__(self, app: Any, recorder: Recorder) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t = time.time() - self.recorder.started_at
        status = 500

        async def send_and_note_status(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            state = scope.get("state") or {}
            client = scope.get("client")
            self.recorder.add({
                "t": round(t, 6),
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "client": f"{client[0]}:{client[1]}" if client else None,
                "token": bearer_token(scope.get("headers") or []),
                "body_valid": not state.get("body_invalid", False),
                "error": state.get("record_error"),
            })


def note_error(scope: dict, message: str, *, body_invalid: bool = False) -> None:
    """Mark the request being answered: its record gets `error` (and `body_valid: false`)."""
    state = scope.setdefault("state", {})
    state["record_error"] = message
    if body_invalid:
        state["body_invalid"] = True
