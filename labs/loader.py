"""The labs section of the content: content/labs/*.yaml, one guided lab per file (see content/README.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labs.params import (
    API_KNOBS,
    LOAD_KNOBS,
    Caps,
    Knob,
    Preset,
    RunSpec,
    env_name_problem,
    env_variable_names,
    parse_knob,
    validate_request,
)
from labs.results import known_measurement
from quizsite.questions.content import (
    ContentError,
    Report,
    check_slug,
    content_hash,
    parse_each_file,
    retire_missing,
    upsert,
)
from quizsite.questions.grading.expr import ExprError, parse_expression

LAB_KEYS = {"id", "title", "summary", "position", "scenario", "env", "slo_ms", "load", "api", "presets", "steps",
            "questions"}
PRESET_KEYS = {"id", "label", "description", "api", "scenario", "env", *LOAD_KNOBS}
SCENARIO_NAME = re.compile(r"^[A-Za-z0-9_]+\.py$")
SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "locust_scenarios"
LOAD_DEFAULTS = {"spawn_rate": 10.0, "workers": 1}
MIN_DURATION_S = 2


def caps_from_settings() -> Caps:
    from django.conf import settings

    return Caps(
        users=getattr(settings, "LAB_MAX_USERS", 200),
        spawn_rate=getattr(settings, "LAB_MAX_SPAWN_RATE", 50),
        duration_s=getattr(settings, "LAB_MAX_DURATION_S", 120),
        workers=getattr(settings, "LAB_MAX_LOCUST_PROCESSES", 4),
        api_workers=getattr(settings, "LAB_MAX_API_WORKERS", 4),
    )


@dataclass
class LabContent:
    slug: str
    title: str
    summary: str
    position: int
    scenario: str
    slo_ms: float | None
    spec: RunSpec
    steps: list[dict[str, str]]
    questions: list[str]
    file: str
    extra: dict[str, Any] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "summary": self.summary,
            "position": self.position,
            "scenario": self.scenario,
            "slo_ms": self.slo_ms,
            "run_spec": self.spec.to_dict(),
            "steps": self.steps,
            "source_file": self.file,
        }

    def hash(self) -> str:
        return content_hash({**self.fields(), "questions": self.questions})


class _Errors:
    """Collects (field, message) pairs for one file."""

    def __init__(self, file: str, errors: list[ContentError]):
        self.file, self.errors, self.count = file, errors, 0

    def add(self, where: str, message: str) -> None:
        self.errors.append(ContentError(self.file, where, message))
        self.count += 1


def _text(data: dict, key: str, out: _Errors, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        out.add(key, "is required text" if value is None else "must be non-empty text")
        return ""
    return value.strip()


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_scenario(scenario: Any, where: str, pairs: list[tuple[str, str]]) -> bool:
    if not isinstance(scenario, str) or not SCENARIO_NAME.match(scenario):
        pairs.append((where, "must be the file name of a locustfile in locust_scenarios/, e.g. predict.py"))
        return False
    if not (SCENARIOS_DIR / scenario).is_file():
        pairs.append((where, f"locust_scenarios/{scenario} does not exist"))
        return False
    return True


def parse_env(raw: Any, where: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Scenario environment: NAME: number, or NAME: "formula of users, duration_s, api_cpu_ms, ..."."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        pairs.append((where, "must be a mapping of environment variables for the scenario"))
        return {}
    env: dict[str, Any] = {}
    names = env_variable_names()
    for name, value in raw.items():
        problem = env_name_problem(name)
        if problem:
            pairs.append((f"{where}.{name}", problem))
            continue
        if isinstance(value, (bool, int, float)):
            env[name] = value
            continue
        if not isinstance(value, str) or not value.strip():
            pairs.append((f"{where}.{name}", "must be a number or a formula such as \"duration_s / 10\""))
            continue
        try:
            expression = parse_expression(value)
        except ExprError as exc:
            pairs.append((f"{where}.{name}", f"not a valid formula: {exc}"))
            continue
        unknown = sorted(expression.names - names - {"pi", "e"})
        if unknown:
            known = ", ".join(sorted(names))
            pairs.append((f"{where}.{name}", f"unknown name(s) {', '.join(unknown)}; a formula may use {known}"))
            continue
        env[name] = value.strip()
    return env


def parse_spec(data: dict, out: _Errors, caps: Caps) -> RunSpec | None:
    pairs: list[tuple[str, str]] = []
    load_data = data.get("load")
    if not isinstance(load_data, dict):
        out.add("load", "must be a mapping with users and duration_s (and optionally spawn_rate, workers)")
        return None
    for key in sorted(set(load_data) - set(LOAD_KNOBS)):
        out.add(f"load.{key}", f"unknown load knob; use {', '.join(LOAD_KNOBS)}")
    load: dict[str, Knob] = {}
    for name, kind in LOAD_KNOBS.items():
        if name not in load_data:
            if name in LOAD_DEFAULTS:
                load[name] = Knob(name, kind, kind(LOAD_DEFAULTS[name]))
            else:
                out.add(f"load.{name}", "is required")
            continue
        knob = parse_knob(name, kind, load_data[name], f"load.{name}", pairs)
        if knob is None:
            continue
        low = knob.minimum if knob.minimum is not None else min(knob.choices or (knob.default,))
        high = knob.maximum if knob.maximum is not None else max(knob.choices or (knob.default,))
        floor = MIN_DURATION_S if name == "duration_s" else 1
        if low < floor:
            pairs.append((f"load.{name}", f"must be at least {floor}"))
        cap = caps.for_load(name)
        if high > cap:
            pairs.append((f"load.{name}", f"goes up to {high}, above this site's limit of {cap} (settings LAB_MAX_*)"))
        load[name] = knob
    api_data = data.get("api") or {}
    api: dict[str, Knob] = {}
    if not isinstance(api_data, dict):
        out.add("api", "must be a mapping of model API knobs")
        api_data = {}
    for name, raw in api_data.items():
        if name not in API_KNOBS:
            pairs.append((f"api.{name}", f"unknown model API knob; use {', '.join(API_KNOBS)}"))
            continue
        knob = parse_knob(name, API_KNOBS[name], raw, f"api.{name}", pairs)
        if knob is not None:
            api[name] = knob
    presets: list[Preset] = []
    raw_presets = data.get("presets") or []
    if not isinstance(raw_presets, list):
        pairs.append(("presets", "must be a list"))
        raw_presets = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_presets):
        where = f"presets[{index}]"
        if not isinstance(raw, dict):
            pairs.append((where, "must be a mapping with id, label and the values it sets"))
            continue
        for key in sorted(set(raw) - PRESET_KEYS):
            pairs.append((f"{where}.{key}", f"unknown field; a preset sets {', '.join(sorted(PRESET_KEYS))}"))
        preset_id = raw.get("id")
        if not isinstance(preset_id, str) or not re.match(r"^[a-z0-9-]+$", preset_id):
            pairs.append((f"{where}.id", "must be a slug"))
            continue
        if preset_id in seen:
            pairs.append((f"{where}.id", f"duplicate preset id {preset_id!r}"))
        seen.add(preset_id)
        if not isinstance(raw.get("label"), str) or not raw["label"].strip():
            pairs.append((f"{where}.label", "is required text"))
            continue
        values = {k: v for k, v in raw.items() if k in LOAD_KNOBS or k == "api"}
        scenario = raw.get("scenario", "")
        if scenario and not check_scenario(scenario, f"{where}.scenario", pairs):
            continue
        env = parse_env(raw.get("env"), f"{where}.env", pairs)
        presets.append(Preset(preset_id, raw["label"].strip(), str(raw.get("description", "")).strip(), values,
                              scenario, env))
    env = parse_env(data.get("env"), "env", pairs)
    for where, message in pairs:
        out.add(where, message)
    if out.count:
        return None
    spec = RunSpec(load, api, tuple(presets), data.get("scenario", ""), env)
    # The defaults and every preset must be runnable as they stand.
    checked = validate_request(spec, {}, caps)
    for key, message in checked.errors.items():
        out.add(f"defaults: {key}", message)
    for index, preset in enumerate(presets):
        checked = validate_request(spec, {"preset": preset.id}, caps)
        for key, message in checked.errors.items():
            out.add(f"presets[{index}] ({preset.id}).{key}", f"{message} (a preset may only choose values the "
                    "lab allows: make the knob adjustable, or change the value)")
    return None if out.count else spec


def parse_lab(data: Any, file: str, questions: dict[str, dict], errors: list[ContentError],
              caps: Caps) -> LabContent | None:
    out = _Errors(file, errors)
    if not isinstance(data, dict):
        out.add("", "a lab file must be a mapping (id, title, scenario, load, steps, questions, ...)")
        return None
    for key in sorted(set(data) - LAB_KEYS):
        out.add(key, "unknown field")
    slug = data.get("id")
    check_slug(slug, file, "id", errors)
    title = _text(data, "title", out)
    summary = _text(data, "summary", out)
    position = data.get("position", 0)
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        out.add("position", "must be a whole number (the order in the list of labs)")
        position = 0
    scenario = data.get("scenario")
    pairs: list[tuple[str, str]] = []
    check_scenario(scenario, "scenario", pairs)
    for where, message in pairs:
        out.add(where, message)
    slo_ms = data.get("slo_ms")
    if slo_ms is not None and (not _number(slo_ms) or slo_ms <= 0):
        out.add("slo_ms", "must be a positive number of milliseconds")
    steps = []
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        out.add("steps", "must be a non-empty list of {title, body}")
        raw_steps = []
    for index, step in enumerate(raw_steps):
        where = f"steps[{index}]"
        if not isinstance(step, dict) or set(step) - {"title", "body"}:
            out.add(where, "must be a mapping with title and body (Markdown)")
            continue
        if not isinstance(step.get("title"), str) or not step["title"].strip():
            out.add(f"{where}.title", "is required text")
        elif not isinstance(step.get("body"), str) or not step["body"].strip():
            out.add(f"{where}.body", "is required Markdown")
        else:
            steps.append({"title": step["title"].strip(), "body": step["body"].strip()})
    question_ids = data.get("questions") or []
    if not isinstance(question_ids, list):
        out.add("questions", "must be a list of question ids")
        question_ids = []
    for index, question_id in enumerate(question_ids):
        where = f"questions[{index}]"
        spec = questions.get(question_id) if isinstance(question_id, str) else None
        if spec is None:
            out.add(where, f"no question with id {question_id!r}")
            continue
        if question_ids.index(question_id) != index:
            out.add(where, f"{question_id!r} is listed twice")
        for name, definition in (spec.get("variables") or {}).items():
            if isinstance(definition, dict) and "from_run" in definition:
                measured = definition["from_run"]
                if not isinstance(measured, str) or not known_measurement(measured):
                    out.add(where, f"question {question_id!r}: variables.{name}.from_run {measured!r} is not a "
                            "measurement a run records (see content/README.md, Labs)")
    spec = parse_spec(data, out, caps)
    if out.count or spec is None:
        return None
    return LabContent(slug, title, summary, position, scenario, float(slo_ms) if slo_ms else None, spec, steps,
                      list(question_ids), file)


class LabSection:
    name = "labs"
    position = 30

    def parse(self, root: Path, parsed: dict, errors: list[ContentError]) -> list[LabContent]:
        question_items = getattr(parsed.get("questions"), "questions", [])
        questions = {q.slug: q.spec for q in question_items}
        caps = caps_from_settings()
        return parse_each_file(
            root / "labs", root, errors, lambda data, file: parse_lab(data, file, questions, errors, caps), "lab"
        )

    def apply(self, items: list[LabContent], parsed: dict, report: Report) -> None:
        from labs.models import Lab, LabQuestion
        from quizsite.questions.models import Question

        counts = report.kind("labs")
        existing = {lab.slug: lab for lab in Lab.objects.all()}
        wanted = {slug for item in items for slug in item.questions}
        questions = {q.slug: q for q in Question.objects.filter(slug__in=wanted).only("pk", "slug")}
        for item in items:
            values = {**item.fields(), "content_hash": item.hash(), "is_retired": False}
            lab, written = upsert(Lab, existing, item.slug, values, counts)
            if not written:
                continue
            lab.items.all().delete()
            LabQuestion.objects.bulk_create(
                LabQuestion(lab=lab, question=questions[slug], position=i) for i, slug in enumerate(item.questions)
            )
        retire_missing(Lab.objects.all(), {item.slug for item in items}, counts)
