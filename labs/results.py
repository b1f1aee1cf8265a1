"""The maths of a finished run: its results from the telemetry summary, the samples and the API's metrics.

Pure: no Django, no Locust. `build()` makes the results dict stored on a LabRun; `measurements()` turns
results and config into the flat numbers that checkpoint questions read with `from_run`.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from typing import Any

from labs.analysis import diagnose
from labs.params import API_DEFAULTS, API_KNOBS
from quizsite.lib.exports import spreadsheet_cell

SATURATION_CPU = 90.0  # a Locust process above this share of one core cannot keep its own timing honest
SATURATION_SAMPLES = 2  # seconds above it before a run is flagged
INFRA_ENDPOINTS = {"/healthz", "/metrics", "/metrics/summary", "/config", "other"}
PERCENTILE_KEYS = ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms", "min_ms", "mean_ms")
ENDPOINT_FIELDS = ("requests", "failures", "rps", "mean_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms",
                   "max_ms", "locust_p99_ms")

# Streamed (LLM) runs: TTFT, inter-token gaps, tokens/s and goodput (None for the other scenarios).
LLM_PERCENTILES = ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms")
LLM_KEYS = (
    *(f"ttft_{k}" for k in LLM_PERCENTILES), *(f"itl_{k}" for k in LLM_PERCENTILES),
    "streams", "output_tokens", "tokens_per_s", "peak_tokens_per_s", "plateau_tokens_per_s",
    "good_requests", "goodput_rps", "goodput_percent", "ttft_slo_ms", "itl_slo_ms",
    "users_at_ttft_breach", "tokens_per_s_at_ttft_breach",
)  # fmt: skip

# Every top-level number in the results (documented in content/README.md, "Labs").
RESULT_KEYS = (
    "requests", "failures", "failure_percent", "rps", "load_duration_s",
    *PERCENTILE_KEYS,
    "locust_p50_ms", "locust_p95_ms", "locust_p99_ms", "locust_max_ms", "locust_requests",
    "api_cpu_percent", "generator_cpu_percent", "generator_cpu_peak", "generator_saturated",
    "peak_rps", "plateau_rps", "mean_users", "max_users", "in_flight",
    "server_requests", "server_mean_ms", "server_p50_ms", "server_p90_ms", "server_p95_ms", "server_p99_ms",
    "server_p999_ms", "server_max_ms",
    "cache_hits", "cache_misses", "cache_hit_ratio", "shed", "injected_errors", "api_cpu_work_s",
    "users_at_slo_breach", "rps_at_slo_breach", "slo_ms",
    "api_in_flight_mean", "api_loop_lag_ms", "api_cpu_wait_percent", "server_rps",
    *LLM_KEYS,
)  # fmt: skip
# The diagnosis's figures (labs/analysis), flat for `from_run`: name -> how to read it from the diagnosis.
DIAGNOSIS_KEYS = (
    "diagnosis_plateau_rps", "knee_users", "knee_second", "capacity_at_slo_rps", "first_breach_second",
    "first_breach_users", "first_breach_rps", "warmup_s",
)  # fmt: skip
CONFIG_KEYS = ("users", "spawn_rate", "duration_s", "workers", *(f"api_{name}" for name in API_KNOBS))
ENDPOINT_KEY = re.compile(r"^[a-z0-9_]+_(" + "|".join(ENDPOINT_FIELDS) + r")$")


def known_measurement(name: str) -> bool:
    """Whether a `from_run` name can be filled by a run (endpoint names are known only after the run)."""
    return name in RESULT_KEYS or name in DIAGNOSIS_KEYS or name in CONFIG_KEYS or bool(ENDPOINT_KEY.match(name))


def endpoint_slug(name: str) -> str:
    """"/work/cpu" -> "work_cpu": the prefix of an endpoint's measurements."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "root"


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def load_samples(samples: list[dict]) -> list[dict]:
    """The samples taken while users were running (not the spawn-down after the end)."""
    return [s for s in samples if (s.get("users") or 0) > 0]


def generator_figures(samples: list[dict]) -> dict[str, Any]:
    loaded = [s for s in load_samples(samples) if s.get("generator_cpu") is not None]
    cpu = [float(s["generator_cpu"]) for s in loaded]
    hot = sum(1 for c in cpu if c > SATURATION_CPU)
    return {
        "generator_cpu_percent": _round(_mean(cpu), 1),
        "generator_cpu_peak": _round(max(cpu), 1) if cpu else None,
        "generator_saturated": hot >= SATURATION_SAMPLES,
        "generator_hot_seconds": hot,
    }


def load_figures(samples: list[dict]) -> dict[str, Any]:
    """Peak RPS, and the time-averaged and largest user counts (the plateau comes from the diagnosis)."""
    loaded = load_samples(samples)
    if not loaded:
        return {"peak_rps": None, "mean_users": None, "max_users": None}
    rps = [float(s.get("rps") or 0) for s in loaded]
    return {
        "peak_rps": _round(max(rps), 1),
        "mean_users": _round(_mean(float(s.get("users") or 0) for s in loaded), 2),
        "max_users": max(int(s.get("users") or 0) for s in loaded),
    }


def diagnosis_figures(diagnosis: dict) -> dict[str, Any]:
    """The plateau and the SLO breach as the diagnosis defines them (one definition for the page, the table
    and the checkpoints): `plateau_rps` is the diagnosis's plateau, `users_at_slo_breach` and
    `rps_at_slo_breach` its first *sustained* breach."""
    breach = diagnosis.get("first_breach") or {}
    return {
        "plateau_rps": diagnosis.get("plateau_rps"),
        "slo_ms": diagnosis.get("slo_ms"),
        "users_at_slo_breach": breach.get("users"),
        "rps_at_slo_breach": breach.get("rps"),
    }


def diagnosis_measurements(diagnosis: dict) -> dict[str, Any]:
    breach = diagnosis.get("first_breach") or {}
    return {
        "diagnosis_plateau_rps": diagnosis.get("plateau_rps"),
        "knee_users": diagnosis.get("knee_users"),
        "knee_second": diagnosis.get("knee_second"),
        "capacity_at_slo_rps": diagnosis.get("capacity_at_slo_rps"),
        "first_breach_second": breach.get("second"),
        "first_breach_users": breach.get("users"),
        "first_breach_rps": breach.get("rps"),
        "warmup_s": diagnosis.get("warmup_s"),
    }


def _env_number(config: dict, name: str) -> float | None:
    raw = (config.get("env") or {}).get(name)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and value > 0 else None


def llm_figures(llm: dict | None, samples: list[dict], config: dict) -> dict[str, Any]:
    """TTFT and ITL percentiles, tokens/s (overall, busiest second, plateau), goodput, and the first second
    whose TTFT P99 (last 3 s) passed the scenario's TTFT_SLO_MS: how many users, at what tokens/s."""
    figures: dict[str, Any] = {key: None for key in LLM_KEYS}
    if not llm:
        return figures
    for part in ("ttft", "itl"):
        for key in LLM_PERCENTILES:
            figures[f"{part}_{key}"] = (llm.get(part) or {}).get(key)
    streams = int(llm.get("streams") or 0)
    good = int(llm.get("good") or 0)
    figures.update(
        streams=streams, output_tokens=llm.get("output_tokens"), tokens_per_s=llm.get("tokens_per_s"),
        good_requests=good, goodput_rps=llm.get("goodput_rps"),
        goodput_percent=_round(100 * good / streams, 2) if streams else None,
        ttft_slo_ms=_env_number(config, "TTFT_SLO_MS"), itl_slo_ms=_env_number(config, "ITL_SLO_MS"),
    )
    loaded = [s for s in load_samples(samples) if s.get("tokens_per_s") is not None]
    if loaded:
        rates = [float(s["tokens_per_s"]) for s in loaded]
        top = sorted(rates)[-max(1, len(rates) // 4):]
        figures["peak_tokens_per_s"] = _round(max(rates), 1)
        figures["plateau_tokens_per_s"] = _round(_mean(top), 1)
    slo = figures["ttft_slo_ms"]
    if slo:
        for sample in loaded:
            if sample.get("ttft_p99_ms") is not None and sample["ttft_p99_ms"] > slo:
                figures["users_at_ttft_breach"] = sample["users"]
                figures["tokens_per_s_at_ttft_breach"] = _round(sample["tokens_per_s"], 1)
                break
    return figures


def server_figures(metrics: dict | None) -> dict[str, Any]:
    """Server-side latency and counters from the model API's /metrics/summary."""
    empty: dict[str, Any] = {f"server_{k}": None for k in ("requests", "mean_ms", "p50_ms", "p90_ms", "p95_ms",
                                                             "p99_ms", "p999_ms", "max_ms")}
    empty.update(server_mean_all_ms=None, cache_hits=None, cache_misses=None, cache_hit_ratio=None, shed=None, injected_errors=None,
                 api_cpu_work_s=None, server={})
    if not metrics:
        return empty
    endpoints = {name: data for name, data in (metrics.get("endpoints") or {}).items()
                 if name not in INFRA_ENDPOINTS and data.get("count")}
    figures = dict(empty)
    if endpoints:
        busiest = max(endpoints.values(), key=lambda e: e["count"])
        figures["server_requests"] = sum(int(e["count"]) for e in endpoints.values())
        latency_s = sum(int(e["count"]) * float(e.get("mean_ms") or 0) / 1000 for e in endpoints.values())
        figures["server_mean_all_ms"] = _round(1000 * latency_s / figures["server_requests"], 3)
        for key in ("mean_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms"):
            figures[f"server_{key}"] = busiest.get(key)
    counters = metrics.get("counters") or {}
    hits, misses = counters.get("cache_hits"), counters.get("cache_misses")
    looked_up = (hits or 0) + (misses or 0)
    figures.update(
        cache_hits=hits, cache_misses=misses,
        cache_hit_ratio=_round((hits or 0) / looked_up, 4) if looked_up else None,
        shed=counters.get("shed"), injected_errors=counters.get("injected_errors"),
        api_cpu_work_s=counters.get("cpu_work_seconds"),
    )
    figures["server"] = {
        "endpoints": {name: {k: v for k, v in data.items()} for name, data in endpoints.items()},
        "workers": metrics.get("workers", []),
        "resolution": metrics.get("resolution", ""),
    }
    return figures


def loop_figures(metrics: dict | None, results: dict) -> dict[str, Any]:
    """The API's own view over the load: its RPS, the mean lag of its event loop and its time-averaged
    count of requests in flight (request-seconds it integrated / the load's duration)."""
    loop = (metrics or {}).get("loop") or {}
    duration = _number(results.get("load_duration_s"))
    served = _number(results.get("server_requests"))
    integral = _number(loop.get("in_flight_request_s"))
    return {
        "server_rps": _round(served / duration, 3) if served is not None and duration else None,
        "api_loop_lag_ms": _number(loop.get("lag_mean_ms")),
        "api_in_flight_mean": _round(integral / duration, 3) if integral is not None and duration and
        loop.get("ticks") else None,
    }


def build(summary: dict | None, samples: list[dict], metrics: dict | None, api_cpu_percent: float | None,
          config: dict, slo_ms: float | None, versions: dict | None = None, scenario: str = "",
          cpu_count: int | None = None, api_wait_percent: float | None = None) -> dict[str, Any]:
    """The results of a run. `summary` is the telemetry plugin's final line (None if Locust never wrote it);
    `scenario` is the run's locustfile (for the users' think time), `cpu_count` the machine's cores and
    `api_wait_percent` how long the API's processes waited for a core while ready to run (% of one core)."""
    summary = summary or {}
    requests = int(summary.get("requests") or 0)
    failures = int(summary.get("failures") or 0)
    locust = summary.get("locust") or {}
    results: dict[str, Any] = {
        "requests": requests,
        "failures": failures,
        "failure_percent": _round(100 * failures / requests, 3) if requests else None,
        "rps": summary.get("rps"),
        "load_duration_s": summary.get("duration_s"),
        **{key: summary.get(key) for key in PERCENTILE_KEYS},
        "locust_p50_ms": locust.get("p50_ms"),
        "locust_p95_ms": locust.get("p95_ms"),
        "locust_p99_ms": locust.get("p99_ms"),
        "locust_max_ms": locust.get("max_ms"),
        "locust_requests": locust.get("requests"),
        "api_cpu_percent": _round(api_cpu_percent, 1),
        "api_cpu_wait_percent": _round(api_wait_percent, 1),
        **generator_figures(samples),
        **load_figures(samples),
        **server_figures(metrics),
        **llm_figures(summary.get("llm"), samples, config),
    }
    if results.get("cache_hit_ratio") is None and metrics and not (config.get("api") or {}).get("cache"):
        results["cache_hit_ratio"] = 0.0  # no cache: every request does the work
    results.update(loop_figures(metrics, results))
    mean_ms = results.get("mean_ms")
    results["in_flight"] = _round(results["rps"] * mean_ms / 1000, 2) if results["rps"] and mean_ms else None
    results["endpoints"] = summary.get("endpoints", [])
    results["errors"] = summary.get("errors", [])
    results["generator"] = summary.get("generator", {})
    results["histogram"] = summary.get("histogram", "")
    results["config"] = config
    results["versions"] = {**(versions or {}), **(summary.get("versions") or {})}
    results["diagnosis"] = diagnose(samples, results, with_scenario(config, scenario), slo_ms, cpu_count)
    results.update(diagnosis_figures(results["diagnosis"]))
    return results


def with_scenario(config: dict, scenario: str) -> dict:
    return config if config.get("scenario") or not scenario else {**config, "scenario": scenario}


def diagnosis_of(results: dict, samples: list[dict], config: dict, slo_ms: float | None, scenario: str = "",
                 cpu_count: int | None = None) -> dict[str, Any]:
    """The stored diagnosis of a run, or (for runs finished before it existed) one computed now, not stored."""
    stored = results.get("diagnosis")
    if isinstance(stored, dict) and stored.get("version"):
        return stored
    return diagnose(samples, results, with_scenario(config, scenario), slo_ms, cpu_count)


def measurements(results: dict, config: dict) -> dict[str, float]:
    """Flat numbers for `from_run` variables: results, per-endpoint figures and the run's configuration."""
    values: dict[str, float] = {}
    diagnosis = results.get("diagnosis")
    if isinstance(diagnosis, dict):  # the plateau and the breach as the page shows them, for old runs too
        results = {**results, **diagnosis_figures(diagnosis), **diagnosis_measurements(diagnosis)}
    for key in (*RESULT_KEYS, *DIAGNOSIS_KEYS):
        number = _number(results.get(key))
        if number is not None:
            values[key] = number
    for endpoint in results.get("endpoints", []):
        prefix = endpoint_slug(endpoint.get("name", ""))
        for key in ENDPOINT_FIELDS:
            number = _number(endpoint.get(key))
            if number is not None:
                values[f"{prefix}_{key}"] = number
    for key in ("users", "spawn_rate", "duration_s", "workers"):
        number = _number(config.get(key))
        if number is not None:
            values[key] = number
    for key, value in (config.get("api") or {}).items():
        number = _number(value)
        if number is not None:
            values[f"api_{key}"] = number
    return values


def describe_config(config: dict) -> str:
    """One line for tables: "20 users at 10/s for 30 s; API cpu_ms=5, workers=2"."""
    if not config:
        return ""
    parts = [f"{config.get('users')} users at {plain(config.get('spawn_rate'))}/s for {config.get('duration_s')} s"]
    if (config.get("workers") or 1) > 1:
        parts[0] += f", {config['workers']} Locust processes"
    changed = [f"{name}={plain(value)}" for name, value in (config.get("api") or {}).items()
               if value is not None and value != API_DEFAULTS.get(name) and name != "seed"]
    if changed:
        parts.append("API " + ", ".join(changed))
    return "; ".join(parts)


def plain(value: Any) -> str:
    """A knob's value as people write it: 5 not 5.0, on/off for yes/no."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


SAMPLE_COLUMNS = ("index", "t", "users", "rps", "failures_per_s", "p50_ms", "p95_ms", "p99_ms", "requests",
                  "failures", "generator_cpu", "api_cpu")
LLM_SAMPLE_COLUMNS = ("ttft_p50_ms", "ttft_p99_ms", "itl_p50_ms", "itl_p99_ms", "tokens_per_s", "goodput_rps")


def samples_csv(samples: list[dict]) -> str:
    """One row a second, the same columns as the live chart (and as Locust's stats history CSV, roughly)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = SAMPLE_COLUMNS
    if any(sample.get("tokens_per_s") is not None for sample in samples):
        columns += LLM_SAMPLE_COLUMNS  # a streamed run: its TTFT, ITL and tokens/s too
    writer.writerow(columns)
    for sample in samples:
        writer.writerow(["" if sample.get(c) is None else spreadsheet_cell(sample.get(c)) for c in columns])
    return out.getvalue()
