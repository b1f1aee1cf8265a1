"""The model API's knobs: one frozen `Config`, read from the environment and the command line.

Every knob has a flag (`--cpu-ms`) and an environment variable (`MODEL_API_CPU_MS`). Flags win over the
environment, the environment wins over the defaults. Workers started by uvicorn receive the effective
config through the same environment variables (`Config.to_env()` then `Config.from_env()`), so a
multi-worker server runs every worker with one identical config.

This module imports nothing heavy (no numpy, no prometheus_client): `__main__` must be able to read the
config and set up the environment before those are imported.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

ENV_PREFIX = "MODEL_API_"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


class ConfigError(ValueError):
    """One or more invalid knob values; `messages` holds every problem found, not just the first."""

    def __init__(self, messages: Sequence[str]):
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


def _knob(default: Any, help: str, metavar: str | None = None) -> Any:
    return field(default=default, metadata={"help": help, "metavar": metavar})


@dataclass(frozen=True)
class Config:
    """The effective configuration of one model API server (all its workers share it)."""

    host: str = _knob("127.0.0.1", "interface to bind", "HOST")
    port: int = _knob(8001, "TCP port to listen on", "PORT")
    workers: int = _knob(1, "number of uvicorn worker processes", "N")
    delay_median_ms: float = _knob(
        0.0, "median of a lognormal delay added to every prediction (0 = off)", "M"
    )
    delay_p99_ms: float | None = _knob(
        None, "P99 of that lognormal delay (default: equal to the median, i.e. a constant delay)", "P"
    )
    cpu_ms: float = _knob(0.0, "milliseconds of real CPU work per request (thread CPU time)", "C")
    io_ms: float = _knob(0.0, "milliseconds of awaited downstream wait per request", "D")
    blocking: bool = _knob(
        False, "do the delay and I/O wait with a blocking time.sleep (the classic mistake)"
    )
    error_rate: float = _knob(0.0, "fraction of requests answered with an injected 500, in [0, 1]", "R")
    seed: int = _knob(0, "seed of the per-worker random streams (delay, errors)", "S")
    cache: bool = _knob(False, "LRU cache over identical inputs; a hit skips the CPU and I/O work")
    cache_size: int = _knob(10_000, "entries kept by the cache", "N")
    max_concurrency: int = _knob(0, "per worker, answer 503 beyond K requests in flight (0 = unlimited)", "K")
    bad_answer_every: int = _knob(
        0, "per worker, every Nth prediction is a wrong answer: 200 with a negative price (0 = off)", "N"
    )
    require_token: bool = _knob(
        False, "POST /predict needs `Authorization: Bearer <token>` from POST /login (401 otherwise)"
    )
    log_level: str = _knob("warning", "uvicorn log level", "LEVEL")
    record: str = _knob(
        "", "append one JSON line per answered request to this file, or to inherited descriptor N with fd:N "
        "(empty = off)", "PATH",
    )
    # The LLM-like endpoints (/v1/completions, /v1/chat/completions): a continuous-batching scheduler per worker.
    llm_max_batch: int = _knob(8, "LLM: sequences decoded together at most (KV-cache slots)", "B")
    llm_max_queue: int = _knob(32, "LLM: requests waiting for a slot at most; 503 beyond (0 = none wait)", "Q")
    llm_prefill_ms_per_token: float = _knob(0.25, "LLM: prefill cost per prompt token (ms)", "P")
    llm_decode_ms_base: float = _knob(20.0, "LLM: fixed cost of one decode step (ms)", "D")
    llm_decode_ms_per_seq: float = _knob(2.0, "LLM: extra cost of a decode step per sequence in the batch (ms)", "S")
    llm_max_tokens: int = _knob(1024, "LLM: the largest max_tokens a request may ask for", "N")

    # -- construction -------------------------------------------------------------------------------

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        """Build a config from `MODEL_API_*` variables; raise `ConfigError` listing every bad value."""
        config = cls(**_env_values(os.environ if env is None else env))
        config.validate()
        return config

    @classmethod
    def from_args(cls, argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> Config:
        """Build a config from the environment overridden by command-line flags, then validate it.

        Malformed flags exit with status 2 (argparse); invalid values raise `ConfigError`.
        """
        namespace = build_parser().parse_args(argv)
        overrides = {k: v for k, v in vars(namespace).items() if v is not None}
        env_values = _env_values(os.environ if env is None else env, skip=overrides.keys())
        config = cls(**{**env_values, **overrides})
        config.validate()
        return config

    # -- validation ---------------------------------------------------------------------------------

    def errors(self) -> list[str]:
        """Every problem with these values, as messages naming the flag; empty when valid."""
        problems: list[str] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                problems.append(f"{flag(f.name)} must be a finite number, got {value}")
        if problems:
            return problems
        if not 1 <= self.port <= 65535:
            problems.append(f"--port must be in 1..65535, got {self.port}")
        if not 1 <= self.workers <= 64:
            problems.append(f"--workers must be in 1..64, got {self.workers}")
        if self.record.startswith("fd:"):
            if not self.record[3:].isdigit() or int(self.record[3:]) < 3:
                problems.append(f"--record fd:N needs a descriptor number N >= 3, got {self.record}")
            elif self.workers != 1:
                problems.append("--record fd:N needs --workers 1 (spawned workers inherit no descriptors)")
        for name in ("delay_median_ms", "delay_p99_ms", "cpu_ms", "io_ms"):
            value = getattr(self, name)
            if value is not None and value < 0:
                problems.append(f"{flag(name)} must be >= 0, got {value:g}")
        if self.cpu_ms > 10_000:
            problems.append(f"--cpu-ms must be <= 10000, got {self.cpu_ms:g}")
        if self.io_ms > 60_000:
            problems.append(f"--io-ms must be <= 60000, got {self.io_ms:g}")
        if self.delay_p99_ms is not None:
            if self.delay_p99_ms > 0 and self.delay_median_ms == 0:
                problems.append("--delay-p99-ms needs --delay-median-ms")
            elif self.delay_median_ms > 0 and self.delay_p99_ms < self.delay_median_ms:
                problems.append(
                    f"--delay-p99-ms ({self.delay_p99_ms:g}) must be >= --delay-median-ms "
                    f"({self.delay_median_ms:g})"
                )
        if self.delay_p99_ms is not None and self.delay_p99_ms > 600_000:
            problems.append(f"--delay-p99-ms must be <= 600000, got {self.delay_p99_ms:g}")
        if not 0.0 <= self.error_rate <= 1.0:
            problems.append(f"--error-rate must be in [0, 1], got {self.error_rate:g}")
        if self.cache_size < 1:
            problems.append(f"--cache-size must be >= 1, got {self.cache_size}")
        if self.max_concurrency < 0:
            problems.append(f"--max-concurrency must be >= 0 (0 = unlimited), got {self.max_concurrency}")
        if not 0 <= self.bad_answer_every <= 1_000_000:
            problems.append(f"--bad-answer-every must be in 0..1000000 (0 = off), got {self.bad_answer_every}")
        if self.log_level not in LOG_LEVELS:
            problems.append(f"--log-level must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}")
        if not self.host:
            problems.append("--host must not be empty")
        if not 1 <= self.llm_max_batch <= 256:
            problems.append(f"--llm-max-batch must be in 1..256, got {self.llm_max_batch}")
        if not 0 <= self.llm_max_queue <= 10_000:
            problems.append(f"--llm-max-queue must be in 0..10000, got {self.llm_max_queue}")
        if not 1 <= self.llm_max_tokens <= 32_768:
            problems.append(f"--llm-max-tokens must be in 1..32768, got {self.llm_max_tokens}")
        for name, top in (("llm_prefill_ms_per_token", 100.0), ("llm_decode_ms_base", 10_000.0),
                          ("llm_decode_ms_per_seq", 1_000.0)):
            value = getattr(self, name)
            if not 0 <= value <= top:
                problems.append(f"{flag(name)} must be in [0, {top:g}], got {value:g}")
        return problems

    def validate(self) -> None:
        """Raise `ConfigError` with every problem when any value is invalid."""
        problems = self.errors()
        if problems:
            raise ConfigError(problems)

    # -- derived values and output ------------------------------------------------------------------

    @property
    def effective_delay_p99_ms(self) -> float:
        """The delay's P99; equal to the median (a constant delay) when no P99 was given."""
        return self.delay_median_ms if self.delay_p99_ms is None else self.delay_p99_ms

    def with_overrides(self, **changes: Any) -> Config:
        """A validated copy with some values changed."""
        config = replace(self, **changes)
        config.validate()
        return config

    def to_dict(self) -> dict[str, Any]:
        """All knobs as JSON-ready values, plus the effective delay P99."""
        data = asdict(self)
        data["delay_p99_ms"] = self.effective_delay_p99_ms
        return data

    def to_env(self) -> dict[str, str]:
        """The `MODEL_API_*` variables that make `from_env` rebuild exactly this config."""
        env = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if isinstance(value, bool):
                env[env_name(f.name)] = "1" if value else "0"
            else:
                env[env_name(f.name)] = value if isinstance(value, str) else repr(value)
        return env

    def describe(self) -> str:
        """One human-readable line with every effective knob, printed at start-up."""
        if self.delay_median_ms:
            delay = f"lognormal(median={self.delay_median_ms:g}ms,p99={self.effective_delay_p99_ms:g}ms)"
        else:
            delay = "off"
        return (
            f"model_api: http://{self.host}:{self.port} workers={self.workers} delay={delay} "
            f"cpu_ms={self.cpu_ms:g} io_ms={self.io_ms:g} blocking={_onoff(self.blocking)} "
            f"error_rate={self.error_rate:g} seed={self.seed} "
            f"cache={f'on(size={self.cache_size})' if self.cache else 'off'} "
            f"max_concurrency={self.max_concurrency or 'unlimited'} "
            f"bad_answer_every={self.bad_answer_every or 'off'} require_token={_onoff(self.require_token)} "
            f"llm=batch:{self.llm_max_batch},queue:{self.llm_max_queue},"
            f"prefill:{self.llm_prefill_ms_per_token:g}ms/token,"
            f"decode:{self.llm_decode_ms_base:g}ms+{self.llm_decode_ms_per_seq:g}ms/seq"
            + (f" record={self.record}" if self.record else "")
        )


def env_name(field_name: str) -> str:
    """`cpu_ms` -> `MODEL_API_CPU_MS`."""
    return ENV_PREFIX + field_name.upper()


def flag(field_name: str) -> str:
    """`cpu_ms` -> `--cpu-ms`."""
    return "--" + field_name.replace("_", "-")


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser; every default is None so that unset flags fall back to the environment."""
    parser = argparse.ArgumentParser(
        prog="python -m labs.model_api",
        description="Breaking Point's sample model API (FastAPI + numpy), "
        "with knobs that shape its behaviour.",
        epilog=f"Every flag can also be set by an environment variable: --cpu-ms is {env_name('cpu_ms')}, "
        "--blocking is MODEL_API_BLOCKING=1, and so on. Flags win over the environment.",
    )
    for f in fields(Config):
        kind = _base_type(f.type)
        help_text = f"{f.metadata['help']} [env {env_name(f.name)}; default {_show_default(f.default)}]"
        if kind is bool:
            parser.add_argument(
                flag(f.name), action=argparse.BooleanOptionalAction, default=None, help=help_text
            )
        else:
            parser.add_argument(
                flag(f.name), type=kind, default=None, metavar=f.metadata["metavar"], help=help_text
            )
    return parser


def _env_values(env: Mapping[str, str], skip: Iterable[str] = ()) -> dict[str, Any]:
    """The typed values of the `MODEL_API_*` variables present in `env`, except the fields in `skip`."""
    values: dict[str, Any] = {}
    errors: list[str] = []
    skipped = set(skip)
    for f in fields(Config):
        name = env_name(f.name)
        if f.name in skipped or name not in env:
            continue
        try:
            values[f.name] = _parse(f.type, env[name])
        except ValueError as exc:
            errors.append(f"{name}={env[name]!r}: {exc}")
    if errors:
        raise ConfigError(errors)
    return values


def _onoff(value: bool) -> str:
    return "on" if value else "off"


def _show_default(value: Any) -> str:
    if value is None:
        return "same as the median"
    if isinstance(value, bool):
        return _onoff(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _base_type(annotation: Any) -> type:
    text = str(annotation)
    for name, kind in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if text.startswith(name):
            return kind
    raise TypeError(f"unsupported config type {annotation!r}")


def _parse(annotation: Any, raw: str) -> Any:
    kind = _base_type(annotation)
    raw = raw.strip()
    if kind is bool:
        lowered = raw.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError("expected one of 1/0, true/false, yes/no, on/off")
    if raw == "" and "None" in str(annotation):
        return None
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(
            f"expected {'an integer' if kind is int else 'a number' if kind is float else 'text'}"
        )
