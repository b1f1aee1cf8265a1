"""What a learner may choose for a run, and the checks that hold it inside the lab's bounds.

Pure: no Django. A lab's content declares its knobs (`RunSpec`); a request to start a run is checked
against them and against the site-wide caps (`Caps`, from settings) by `validate_request`, which returns
the run's full configuration or every error at once, each keyed by the field it is about ("users",
"api.cpu_ms"). Nothing here lets anyone choose where the load goes: a run always targets the model API
that the run itself starts on 127.0.0.1, and any field that tries to name a target is refused.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from quizsite.questions.grading.expr import ExprError, parse_expression

# The model API's knobs a lab may set (labs.model_api.config.Config fields), with their types.
API_KNOBS: dict[str, type] = {
    "workers": int,
    "delay_median_ms": float,
    "delay_p99_ms": float,
    "cpu_ms": float,
    "io_ms": float,
    "blocking": bool,
    "error_rate": float,
    "seed": int,
    "cache": bool,
    "cache_size": int,
    "max_concurrency": int,
    "llm_max_batch": int,
    "llm_max_queue": int,
    "llm_prefill_ms_per_token": float,
    "llm_decode_ms_base": float,
    "llm_decode_ms_per_seq": float,
}
API_DEFAULTS: dict[str, Any] = {
    "workers": 1, "delay_median_ms": 0.0, "delay_p99_ms": None, "cpu_ms": 0.0, "io_ms": 0.0, "blocking": False,
    "error_rate": 0.0, "seed": 0, "cache": False, "cache_size": 10_000, "max_concurrency": 0,
    "llm_max_batch": 8, "llm_max_queue": 32, "llm_prefill_ms_per_token": 0.25, "llm_decode_ms_base": 20.0,
    "llm_decode_ms_per_seq": 2.0,
}  # fmt: skip
API_LABELS: dict[str, str] = {
    "workers": "API worker processes",
    "delay_median_ms": "Injected delay, median (ms)",
    "delay_p99_ms": "Injected delay, P99 (ms)",
    "cpu_ms": "CPU work per request (ms)",
    "io_ms": "Downstream I/O wait per request (ms)",
    "blocking": "Blocking call in the async handler",
    "error_rate": "Error rate (0 to 1)",
    "seed": "Random seed",
    "cache": "Prediction cache",
    "cache_size": "Cache entries",
    "max_concurrency": "Max requests in flight per worker (0 = no limit)",
    "llm_max_batch": "LLM: maximum batch (KV-cache slots)",
    "llm_max_queue": "LLM: requests waiting at most (503 beyond)",
    "llm_prefill_ms_per_token": "LLM: prefill per prompt token (ms)",
    "llm_decode_ms_base": "LLM: decode step, fixed part (ms)",
    "llm_decode_ms_per_seq": "LLM: decode step, per sequence in the batch (ms)",
}
# Load knobs: the Locust side of a run.
LOAD_KNOBS: dict[str, type] = {"users": int, "spawn_rate": float, "duration_s": int, "workers": int}
LOAD_LABELS: dict[str, str] = {
    "users": "Users",
    "spawn_rate": "Spawn rate (users/s)",
    "duration_s": "Duration (s)",
    "workers": "Load-generator processes",
}
# Names that would choose where the load goes. Refused anywhere in a request.
TARGET_FIELDS = frozenset({"host", "target", "url", "uri", "hostname", "address", "base_url", "port", "locustfile",
                           "scenario", "master_host"})


@dataclass(frozen=True)
class Caps:
    """Site-wide limits (settings LAB_MAX_*), applied on top of every lab's own bounds."""

    users: int = 200
    spawn_rate: float = 50.0
    duration_s: int = 120
    workers: int = 4
    api_workers: int = 4

    def for_load(self, name: str) -> float:
        return getattr(self, name)


@dataclass(frozen=True)
class Knob:
    """One knob of a lab: fixed (no choice) or adjustable between bounds or among choices."""

    name: str
    kind: type
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] = ()

    @property
    def adjustable(self) -> bool:
        return self.minimum is not None or bool(self.choices)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"default": self.default, "adjustable": self.adjustable}
        if self.minimum is not None:
            data["min"], data["max"] = self.minimum, self.maximum
        if self.choices:
            data["choices"] = list(self.choices)
        return data


@dataclass(frozen=True)
class Preset:
    id: str
    label: str
    description: str
    values: dict[str, Any]  # load knobs, plus "api": {knob: value}
    scenario: str = ""  # another locustfile for this preset (the lab's by default)
    env: dict[str, Any] = field(default_factory=dict)  # scenario environment, over the lab's


@dataclass(frozen=True)
class RunSpec:
    """The knobs of one lab, as its content declares them."""

    load: dict[str, Knob]
    api: dict[str, Knob]
    presets: tuple[Preset, ...] = ()
    scenario: str = ""
    env: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> RunSpec:
        """From what the loader stored (see to_dict)."""
        load = {name: _knob_from_dict(name, LOAD_KNOBS[name], spec) for name, spec in data["load"].items()}
        api = {name: _knob_from_dict(name, API_KNOBS[name], spec) for name, spec in data["api"].items()}
        presets = tuple(Preset(p["id"], p["label"], p.get("description", ""), p["values"], p.get("scenario", ""),
                               p.get("env", {})) for p in data.get("presets", []))
        return cls(load, api, presets, data.get("scenario", ""), data.get("env", {}))

    def to_dict(self) -> dict:
        return {
            "load": {name: knob.to_dict() for name, knob in self.load.items()},
            "api": {name: knob.to_dict() for name, knob in self.api.items()},
            "presets": [{"id": p.id, "label": p.label, "description": p.description, "values": p.values,
                         "scenario": p.scenario, "env": p.env} for p in self.presets],
            "scenario": self.scenario,
            "env": self.env,
        }

    def preset(self, preset_id: str) -> Preset | None:
        return next((p for p in self.presets if p.id == preset_id), None)

    def defaults(self) -> dict[str, Any]:
        """The values a run gets when the learner changes nothing."""
        return {
            **{name: knob.default for name, knob in self.load.items()},
            "api": {name: knob.default for name, knob in self.api.items()},
        }

    def adjustable_api(self) -> list[Knob]:
        return [knob for knob in self.api.values() if knob.adjustable]


def _knob_from_dict(name: str, kind: type, spec: dict) -> Knob:
    return Knob(name, kind, spec["default"], spec.get("min"), spec.get("max"), tuple(spec.get("choices", ())))


# -- parsing a lab's declaration (content) ----------------------------------------------------------------


def parse_knob(name: str, kind: type, raw: Any, where: str, errors: list[tuple[str, str]]) -> Knob | None:
    """A knob from content: a scalar (fixed) or {default, min, max} or {default, choices}."""
    if not isinstance(raw, dict):
        value, problem = coerce(kind, raw)
        if problem:
            errors.append((where, problem))
            return None
        return Knob(name, kind, value)
    unknown = set(raw) - {"default", "min", "max", "choices"}
    if unknown:
        errors.append((where, f"unknown field(s) {', '.join(sorted(unknown))}; use default with min/max or choices"))
        return None
    if "default" not in raw:
        errors.append((f"{where}.default", "is required"))
        return None
    default, problem = coerce(kind, raw["default"])
    if problem:
        errors.append((f"{where}.default", problem))
        return None
    if "choices" in raw:
        if "min" in raw or "max" in raw:
            errors.append((where, "give either min/max or choices, not both"))
            return None
        choices = raw["choices"]
        if not isinstance(choices, list) or not choices:
            errors.append((f"{where}.choices", "must be a non-empty list"))
            return None
        parsed = []
        for index, choice in enumerate(choices):
            value, problem = coerce(kind, choice)
            if problem:
                errors.append((f"{where}.choices[{index}]", problem))
                return None
            parsed.append(value)
        if default not in parsed:
            errors.append((f"{where}.default", f"must be one of the choices {parsed}"))
            return None
        return Knob(name, kind, default, choices=tuple(parsed))
    if kind is bool:
        errors.append((where, "a yes/no knob is fixed (true/false) or adjustable with choices: [false, true]"))
        return None
    if "min" not in raw or "max" not in raw:
        errors.append((where, "an adjustable knob needs both min and max"))
        return None
    low, problem_low = coerce(kind, raw["min"])
    high, problem_high = coerce(kind, raw["max"])
    if problem_low or problem_high:
        errors.append((where, f"min and max: {problem_low or problem_high}"))
        return None
    if not low <= default <= high:
        errors.append((where, f"default {_show(default)} must lie between min {_show(low)} and max {_show(high)}"))
        return None
    return Knob(name, kind, default, low, high)


def coerce(kind: type, raw: Any) -> tuple[Any, str]:
    """The value as `kind`, or an error message. Booleans are never numbers and vice versa."""
    if kind is bool:
        if isinstance(raw, bool):
            return raw, ""
        if isinstance(raw, str) and raw.strip().lower() in {"true", "on", "yes", "1", "false", "off", "no", "0"}:
            return raw.strip().lower() in {"true", "on", "yes", "1"}, ""
        return None, "must be true or false"
    if isinstance(raw, bool) or raw is None:
        return None, "must be a number"
    if isinstance(raw, str):
        try:
            raw = float(raw.strip())
        except ValueError:
            return None, "must be a number"
    if isinstance(raw, int) and abs(raw) > 2**53:
        return None, "is far too large"  # math.isfinite() and float() raise OverflowError on huge ints
    if not isinstance(raw, (int, float)) or not math.isfinite(raw):
        return None, "must be a finite number"
    if kind is int:
        if float(raw) != int(raw):
            return None, "must be a whole number"
        return int(raw), ""
    return float(raw), ""


# -- checking a request to start a run -------------------------------------------------------------------


@dataclass
class Checked:
    config: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_request(spec: RunSpec, data: Any, caps: Caps) -> Checked:
    """The configuration of a new run, from a request body; every problem keyed by its field.

    Omitted fields take the preset's value when `preset` is given, else the lab's default.
    """
    checked = Checked()
    errors = checked.errors
    if not isinstance(data, dict):
        errors["body"] = 'must be a JSON object such as {"users": 10, "duration_s": 20}'
        return checked
    _refuse_targets(data, "", errors)
    api_data = data.get("api") or {}
    if not isinstance(api_data, dict):
        errors["api"] = 'must be an object of model API knobs, e.g. {"cpu_ms": 5}'
        api_data = {}
    _refuse_targets(api_data, "api.", errors)
    base = spec.defaults()
    preset_id = data.get("preset") or ""
    if preset_id:
        preset = spec.preset(preset_id) if isinstance(preset_id, str) else None
        if preset is None:
            errors["preset"] = f"unknown preset; this lab has {', '.join(p.id for p in spec.presets) or 'none'}"
            preset_id = ""
        else:
            base.update({k: v for k, v in preset.values.items() if k != "api"})
            base["api"] = {**base["api"], **preset.values.get("api", {})}
    for key in sorted(set(data) - set(LOAD_KNOBS) - {"api", "preset"}):
        if key.lower() not in TARGET_FIELDS:
            errors[key] = f"unknown field; a run takes {', '.join(LOAD_KNOBS)}, api and preset"
    config: dict[str, Any] = {}
    for name, kind in LOAD_KNOBS.items():
        knob = spec.load.get(name) or Knob(name, kind, 1)
        given = data.get(name) is not None
        value, problem = coerce(kind, data[name] if given else base.get(name, knob.default))
        problem = problem or _check_bounds(knob, value, caps.for_load(name), given)
        if problem:
            errors[name] = problem
        else:
            config[name] = value
    for key in sorted(set(api_data) - set(API_KNOBS)):
        if key.lower() not in TARGET_FIELDS:
            errors[f"api.{key}"] = f"unknown model API knob; known knobs are {', '.join(API_KNOBS)}"
    api: dict[str, Any] = {}
    for name, kind in API_KNOBS.items():
        knob = spec.api.get(name) or Knob(name, kind, API_DEFAULTS[name])
        given = api_data.get(name) is not None
        raw = api_data[name] if given else base["api"].get(name, knob.default)
        if raw is None:
            api[name] = None
            continue
        value, problem = coerce(kind, raw)
        cap = caps.api_workers if name == "workers" else None
        problem = problem or _check_bounds(knob, value, cap, given)
        if problem:
            errors[f"api.{name}"] = problem
        else:
            api[name] = value
    if not any(k.startswith("api.") for k in errors):
        errors.update(_api_consistency(api))
    config["api"] = api
    config["preset"] = preset_id
    chosen = spec.preset(preset_id) if preset_id else None
    config["scenario"] = (chosen.scenario if chosen and chosen.scenario else spec.scenario)
    if not errors:
        env, problems = render_env({**spec.env, **(chosen.env if chosen else {})}, config)
        config["env"] = env
        errors.update(problems)
        if not problems:
            errors.update(env_cap_problems(env, caps))
    checked.config = config
    return checked


# Scenario variables that say how many users run, how fast they start or for how long: the site's caps hold
# for what a lab works out from the form's values, not only for the form's values.
CAPPED_ENV: dict[str, str] = {
    "USERS": "users", "MAX_USERS": "users", "STEP_USERS": "users", "BASELINE_USERS": "users",
    "SPIKE_USERS": "users", "ARRIVAL_USERS": "users",
    "SPAWN_RATE": "spawn_rate", "SPIKE_SPAWN_RATE": "spawn_rate",
    "DURATION": "duration_s",
}
CAP_SETTINGS = {"users": "LAB_MAX_USERS", "spawn_rate": "LAB_MAX_SPAWN_RATE", "duration_s": "LAB_MAX_DURATION_S",
                "workers": "LAB_MAX_LOCUST_PROCESSES"}


def env_cap_problems(env: dict[str, str], caps: Caps) -> dict[str, str]:
    """The scenario variables whose worked-out value passes a site cap, keyed "env.NAME"."""
    problems: dict[str, str] = {}
    for name, knob in CAPPED_ENV.items():
        if name not in env:
            continue
        try:
            value = float(env[name])
        except ValueError:
            continue
        cap = caps.for_load(knob)
        if value > cap:
            problems[f"env.{name}"] = (
                f"works out at {_show(value)} with these settings, above this site's limit of {_show(cap)} "
                f"({LOAD_LABELS.get(knob, knob)}, {CAP_SETTINGS[knob]}); choose fewer users or a lower rate")
    return problems


def command_cap_problems(argv: list[str], env: dict[str, str], caps: Caps) -> list[str]:
    """What in a Locust command line and its scenario environment passes a site cap: the last check before
    the load generator starts, whatever produced the configuration."""
    flags = {"--users": "users", "--spawn-rate": "spawn_rate", "--run-time": "duration_s", "--processes": "workers"}
    problems: list[str] = []
    for flag, knob in flags.items():
        for index, arg in enumerate(argv[:-1]):
            if arg != flag:
                continue
            raw = argv[index + 1].removesuffix("s") if knob == "duration_s" else argv[index + 1]
            try:
                value = float(raw)
            except ValueError:
                problems.append(f"{flag} {argv[index + 1]} is not a number")
                continue
            if value > caps.for_load(knob):
                problems.append(f"{flag} {argv[index + 1]} is above {CAP_SETTINGS[knob]}={_show(caps.for_load(knob))}")
    problems += [f"{name}: {message}" for name, message in env_cap_problems(env, caps).items()]
    return problems


# -- the scenario's environment ---------------------------------------------------------------------------

ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,40}$")
ENV_RESERVED_PREFIXES = ("BP_", "LOCUST", "MODEL_API", "PYTHON", "LD_", "PROMETHEUS", "DJANGO", "GEVENT")
ENV_RESERVED = frozenset({"PATH", "HOME", "SHELL", "USER", "TMPDIR", "DATABASE_URL", "SECRET_KEY"})


def env_name_problem(name: Any) -> str:
    if not isinstance(name, str) or not ENV_NAME.match(name):
        return "an environment variable name in capitals, such as STEP_USERS"
    if name in ENV_RESERVED or name.startswith(ENV_RESERVED_PREFIXES):
        return f"{name} is reserved; scenarios read their own variables (RATE, STEP_USERS, ...)"
    return ""


def env_variables(config: dict[str, Any]) -> dict[str, float]:
    """What a scenario variable's formula may use: users, spawn_rate, duration_s, workers, api_<knob>."""
    values = {name: float(config.get(name) or 0) for name in LOAD_KNOBS}
    for name in API_KNOBS:
        value = (config.get("api") or {}).get(name)
        values[f"api_{name}"] = float(value or 0)
    return values


def env_variable_names() -> set[str]:
    return set(LOAD_KNOBS) | {f"api_{name}" for name in API_KNOBS}


def render_env(env: dict[str, Any], config: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The scenario's environment: fixed values as they are, formulas (text) worked out with the run's values."""
    rendered: dict[str, str] = {}
    errors: dict[str, str] = {}
    variables = env_variables(config)
    for name, value in env.items():
        if isinstance(value, bool):
            rendered[name] = "1" if value else "0"
        elif isinstance(value, (int, float)):
            rendered[name] = _show(float(value) if isinstance(value, float) else value)
        else:
            try:
                number = parse_expression(str(value)).evaluate(variables)
            except ExprError as exc:
                errors[f"env.{name}"] = f"cannot be worked out: {exc}"
                continue
            rendered[name] = _show(round(number, 6))
    return rendered, errors


def _refuse_targets(data: dict, prefix: str, errors: dict[str, str]) -> None:
    for key in data:
        if isinstance(key, str) and key.lower() in TARGET_FIELDS:
            errors[f"{prefix}{key}"] = ("the target cannot be chosen: a lab always runs against the model API "
                                        "that the run itself starts on 127.0.0.1")


def _check_bounds(knob: Knob, value: Any, cap: float | None, given: bool) -> str:
    """Why the value is not allowed ("" when it is): the lab's bounds, then the site-wide cap."""
    if knob.choices:
        if value not in knob.choices:
            return f"must be one of {', '.join(_show(c) for c in knob.choices)}"
    elif not knob.adjustable:
        if given and value != knob.default:
            return f"this lab fixes it at {_show(knob.default)}"
    elif not knob.minimum <= value <= knob.maximum:
        return f"must be between {_show(knob.minimum)} and {_show(knob.maximum)}"
    if cap is not None and not isinstance(value, bool) and value > cap:
        return f"must be at most {_show(cap)}, the limit on this site"
    return ""


def _api_consistency(api: dict[str, Any]) -> dict[str, str]:
    """Combinations the model API would refuse to start with."""
    errors: dict[str, str] = {}
    median, p99 = api.get("delay_median_ms") or 0, api.get("delay_p99_ms")
    if p99 is not None and p99 > 0 and median == 0:
        errors["api.delay_p99_ms"] = "needs a delay median (api.delay_median_ms) above 0"
    elif p99 is not None and median > 0 and p99 < median:
        errors["api.delay_p99_ms"] = f"must be at least the median ({_show(median)} ms)"
    if not 0 <= (api.get("error_rate") or 0) <= 1:
        errors["api.error_rate"] = "must be between 0 and 1"
    return errors


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def api_argv(api: dict[str, Any]) -> list[str]:
    """Command-line flags for `python -m labs.model_api` from a run's API knobs."""
    argv: list[str] = []
    for name, value in api.items():
        if value is None or name not in API_KNOBS:
            continue
        flag = "--" + name.replace("_", "-")
        if API_KNOBS[name] is bool:
            argv.append(flag if value else "--no-" + name.replace("_", "-"))
        else:
            argv += [flag, _show(value)]
    return argv
