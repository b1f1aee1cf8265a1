"""Two finished runs of one lab side by side, and what changed between them in words.

Pure: no Django. `compare(a, b)` takes two `RunFigures` (a run's results dict, with its diagnosis inside,
and its configuration) and returns the rows of a side-by-side table plus sentences such as "The plateau
halved (110 → 55 req/s) with twice the CPU per request (8 → 16 ms); still CPU-bound." Every sentence is
built from the figures, so a test can check it against a hand-made pair of runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

BOTTLENECK_WORDS = {
    "cpu": "CPU-bound",
    "io": "I/O-bound",
    "blocking": "blocked by a synchronous call in its event loop",
    "concurrency_limit": "held back by a concurrency limit (503s)",
    "generator": "limited by the load generator, not the API",
    "none": "never saturated",
}
SAME = 0.10  # a ratio within 10% of 1 is "about the same": closer than run-to-run noise on a shared machine

# (id, label, unit, where: "diagnosis" or "results", more_is_better)
FIGURES: tuple[tuple[str, str, str, str, bool | None], ...] = (
    ("plateau_rps", "Plateau", "req/s", "diagnosis", True),
    ("capacity_at_slo_rps", "Capacity at the SLO", "req/s", "diagnosis", True),
    ("knee_users", "Knee (users)", "users", "diagnosis", True),
    ("first_breach_users", "First sustained SLO breach (users)", "users", "diagnosis", True),
    ("rps", "RPS (whole run)", "req/s", "results", True),
    ("p50_ms", "P50 (whole run)", "ms", "results", False),
    ("p99_ms", "P99 (whole run)", "ms", "results", False),
    ("failure_percent", "Failures", "%", "results", False),
    ("api_cpu_percent", "API CPU", "% of a core", "results", None),
    ("cpu_ms_per_request", "CPU per request (measured)", "ms", "derived", False),
)


@dataclass(frozen=True)
class RunFigures:
    """What a comparison reads of one run: its id, results (with `diagnosis`) and configuration."""

    id: int
    results: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def diagnosis(self) -> dict[str, Any]:
        return self.results.get("diagnosis") or {}

    def figure(self, name: str) -> float | None:
        if name == "first_breach_users":
            breach = self.diagnosis.get("first_breach") or {}
            return _number(breach.get("users"))
        if name == "cpu_ms_per_request":
            return cpu_ms_per_request(self.results)
        if name in ("plateau_rps", "capacity_at_slo_rps", "knee_users"):
            return _number(self.diagnosis.get(name))
        return _number(self.results.get(name))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def cpu_ms_per_request(results: dict[str, Any]) -> float | None:
    """CPU milliseconds per request: API CPU (% of one core, i.e. 10 ms of CPU a second per %) / RPS."""
    cpu, rps = _number(results.get("api_cpu_percent")), _number(results.get("rps"))
    if cpu is None or not rps:
        return None
    return cpu * 10 / rps


def ratio(a: float | None, b: float | None) -> float | None:
    """b / a, or None when either is missing or a is zero."""
    if a is None or b is None or a == 0:
        return None
    return b / a


def change_words(r: float | None) -> str:
    """A ratio as a verb phrase: "halved", "doubled", "about the same", "rose by 35%", "fell 4.0-fold"."""
    if r is None:
        return ""
    if abs(r - 1) <= SAME + 1e-9:
        return "stayed about the same"
    if 0.45 <= r <= 0.55:
        return "halved"
    if 1.8 <= r <= 2.2:
        return "doubled"
    if 2.7 <= r <= 3.3:
        return "tripled"
    if r > 1:
        return f"rose by {round((r - 1) * 100)}%" if r < 1.8 else f"rose {r:.1f}-fold"
    return f"fell by {round((1 - r) * 100)}%" if r > 0.45 else f"fell {1 / r:.1f}-fold"


def factor_words(r: float | None) -> str:
    """A ratio as a quantity: "twice the", "half the", "three times the", "1.4× the", "the same"."""
    if r is None:
        return ""
    if abs(r - 1) <= SAME + 1e-9:
        return "the same"
    if 0.45 <= r <= 0.55:
        return "half the"
    if 1.8 <= r <= 2.2:
        return "twice the"
    if 2.7 <= r <= 3.3:
        return "three times the"
    return f"{r:.1f}× the"


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    text = f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.3g}"
    return f"{text} {unit}".strip() if unit else text


def _api(config: dict) -> dict:
    return config.get("api") or {}


def config_changes(a: dict, b: dict) -> list[dict[str, Any]]:
    """The knobs that differ between two configurations: load knobs first, then the API's (seed ignored)."""
    changes = []
    for name in ("users", "duration_s", "spawn_rate", "workers"):
        if a.get(name) != b.get(name):
            changes.append({"name": name, "a": a.get(name), "b": b.get(name), "api": False})
    api_a, api_b = _api(a), _api(b)
    for name in sorted(set(api_a) | set(api_b)):
        if name != "seed" and api_a.get(name) != api_b.get(name):
            changes.append({"name": name, "a": api_a.get(name), "b": api_b.get(name), "api": True})
    return changes


def _cause(a: RunFigures, b: RunFigures) -> str:
    """What was changed, in words, most telling knob first: "with twice the CPU per request (8 → 16 ms)"."""
    api_a, api_b = _api(a.config), _api(b.config)
    parts = []
    cpu = ratio(_number(api_a.get("cpu_ms")), _number(api_b.get("cpu_ms")))
    if cpu is not None and factor_words(cpu) != "the same":
        parts.append(f"{factor_words(cpu)} CPU per request ({_fmt(api_a['cpu_ms'])} → {_fmt(api_b['cpu_ms'], 'ms')})")
    io = ratio(_number(api_a.get("io_ms")), _number(api_b.get("io_ms")))
    if io is not None and factor_words(io) != "the same":
        parts.append(f"{factor_words(io)} downstream wait ({_fmt(api_a['io_ms'])} → {_fmt(api_b['io_ms'], 'ms')})")
    if api_a.get("workers") != api_b.get("workers") and api_b.get("workers") is not None:
        parts.append(f"{api_b['workers']} API workers instead of {api_a.get('workers') or 1}")
    if api_a.get("blocking") != api_b.get("blocking"):
        parts.append("the blocking call" if api_b.get("blocking") else "the wait awaited instead of blocking")
    if api_a.get("cache") != api_b.get("cache"):
        parts.append("the cache on" if api_b.get("cache") else "the cache off")
    if api_a.get("max_concurrency") != api_b.get("max_concurrency"):
        limit = api_b.get("max_concurrency") or 0
        parts.append(f"a limit of {limit} in flight per worker" if limit else "no concurrency limit")
    if a.config.get("users") != b.config.get("users") and b.config.get("users") is not None:
        parts.append(f"{b.config['users']} users instead of {a.config.get('users')}")
    if a.config.get("workers") != b.config.get("workers") and b.config.get("workers") is not None:
        parts.append(f"{b.config['workers']} Locust processes instead of {a.config.get('workers') or 1}")
    if not parts:
        return "with the same configuration (so the difference is run-to-run noise)"
    return "with " + " and ".join(parts[:2])


def _bottleneck(a: RunFigures, b: RunFigures) -> str:
    before, after = a.diagnosis.get("bottleneck"), b.diagnosis.get("bottleneck")
    if not before or not after:
        return ""
    if before == after:
        return f"still {BOTTLENECK_WORDS.get(after, after)}"
    return f"it was {BOTTLENECK_WORDS.get(before, before)} and is now {BOTTLENECK_WORDS.get(after, after)}"


def compare(a: RunFigures, b: RunFigures) -> dict[str, Any]:
    """Side-by-side figures of run `a` (the baseline) and run `b`, and what changed from a to b in words."""
    rows = []
    for name, label, unit, _where, _better in FIGURES:
        va, vb = a.figure(name), b.figure(name)
        r = ratio(va, vb)
        rows.append({"id": name, "label": label, "unit": unit, "a": va, "b": vb,
                     "ratio": None if r is None else round(r, 3), "change": change_words(r)})
    by_id = {row["id"]: row for row in rows}
    changes: list[str] = []
    plateau = by_id["plateau_rps"]
    headline = ""
    if plateau["change"]:
        headline = (f"The plateau {plateau['change']} ({_fmt(plateau['a'])} → {_fmt(plateau['b'], 'req/s')}) "
                    f"{_cause(a, b)}")
    elif plateau["a"] is None and plateau["b"] is None and by_id["rps"]["change"]:
        headline = (f"The throughput {by_id['rps']['change']} ({_fmt(by_id['rps']['a'])} → "
                    f"{_fmt(by_id['rps']['b'], 'req/s')}) {_cause(a, b)}")
    bottleneck = _bottleneck(a, b)
    if headline:
        changes.append(f"{headline}; {bottleneck}." if bottleneck else f"{headline}.")
    elif bottleneck:
        changes.append(f"{bottleneck[0].upper()}{bottleneck[1:]}.")
    for name, noun in (("capacity_at_slo_rps", "Capacity at the SLO"), ("p99_ms", "The whole-run P99"),
                       ("cpu_ms_per_request", "The measured CPU per request")):
        row = by_id[name]
        if row["change"] and row["change"] != "stayed about the same":
            unit = "ms" if row["unit"] == "ms" else row["unit"]
            changes.append(f"{noun} {row['change']} ({_fmt(row['a'])} → {_fmt(row['b'], unit)}).")
    knee_a, knee_b = by_id["knee_users"]["a"], by_id["knee_users"]["b"]
    if knee_a != knee_b:
        if knee_a is not None and knee_b is not None:
            changes.append(f"It broke at {_fmt(knee_b)} users instead of {_fmt(knee_a)}.")
        elif knee_b is None and knee_a is not None:
            changes.append(f"Run #{b.id} never reached a knee; run #{a.id} broke at {_fmt(knee_a)} users.")
        elif knee_a is None and knee_b is not None:
            changes.append(f"Run #{b.id} broke at {_fmt(knee_b)} users; run #{a.id} never reached a knee.")
    return {
        "a": a.id, "b": b.id,
        "rows": rows,
        "config_changes": config_changes(a.config, b.config),
        "bottleneck": {"a": a.diagnosis.get("bottleneck"), "b": b.diagnosis.get("bottleneck")},
        "changes": changes,
        "summary": changes[0] if changes else "The two runs measured about the same.",
    }
