"""The exercises section of the content: content/exercises/*.yaml, one locustfile exercise per file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exercises.checks import validate_check_specs
from exercises.source import read_source
from quizsite.questions.content import (
    ContentError,
    Report,
    check_slug,
    content_hash,
    parse_each_file,
    retire_missing,
    upsert,
)

EXERCISE_KEYS = {"id", "title", "summary", "position", "instructions", "starting_file", "hints", "solution", "run",
                 "checks"}
RUN_KEYS = {"users", "spawn_rate", "duration_s", "api"}
# The model API knobs an exercise may set: (type, lowest, highest)
API_KNOBS: dict[str, tuple[type, float, float]] = {
    "bad_answer_every": (int, 1, 1000),
    "require_token": (bool, 0, 1),
    "delay_median_ms": (float, 0, 1000),
    "cpu_ms": (float, 0, 50),
    "error_rate": (float, 0, 0.5),
}
MAX_SOURCE_BYTES = 64 * 1024


@dataclass(frozen=True)
class ExerciseLimits:
    users: int
    duration_s: int
    spawn_rate: float


def limits_from_settings() -> ExerciseLimits:
    from django.conf import settings

    return ExerciseLimits(
        users=getattr(settings, "EXERCISE_MAX_USERS", 20),
        duration_s=getattr(settings, "EXERCISE_MAX_DURATION_S", 30),
        spawn_rate=getattr(settings, "EXERCISE_MAX_SPAWN_RATE", 20),
    )


def api_args(api: dict[str, Any]) -> list[str]:
    """The model API's command-line flags for an exercise's knobs: {"require_token": True} -> ["--require-token"]."""
    argv: list[str] = []
    for name, value in sorted(api.items()):
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            if value:
                argv.append(flag)
        else:
            argv += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
    return argv


def run_problems(run: Any, limits: ExerciseLimits) -> list[tuple[str, str]]:
    """(field, message) for every problem with an exercise's run settings, checked against the site's limits."""
    if not isinstance(run, dict):
        return [("run", "must be a mapping with users, spawn_rate, duration_s and api")]
    problems = [(f"run.{key}", "unknown field") for key in sorted(set(run) - RUN_KEYS)]
    for key, highest in (("users", limits.users), ("duration_s", limits.duration_s)):
        value = run.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= highest:
            problems.append((f"run.{key}", f"must be a whole number from 1 to {highest} (this site's limit)"))
    rate = run.get("spawn_rate", 10)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= limits.spawn_rate:
        problems.append(("run.spawn_rate", f"must be a number above 0 and at most {limits.spawn_rate:g}"))
    api = run.get("api") or {}
    if not isinstance(api, dict):
        return problems + [("run.api", "must be a mapping of model API knobs")]
    for name, value in sorted(api.items()):
        if name not in API_KNOBS:
            problems.append((f"run.api.{name}", f"not a knob exercises may set ({', '.join(sorted(API_KNOBS))})"))
            continue
        kind, low, high = API_KNOBS[name]
        if kind is bool:
            if not isinstance(value, bool):
                problems.append((f"run.api.{name}", "must be true or false"))
        elif (isinstance(value, bool) or not isinstance(value, int if kind is int else (int, float))
              or not low <= value <= high):
            whole = "whole " if kind is int else ""
            problems.append((f"run.api.{name}", f"must be a {whole}number from {low:g} to {high:g}"))
    return problems


@dataclass
class ExerciseContent:
    slug: str
    values: dict[str, Any]

    def hash(self) -> str:
        return content_hash(self.values)


def _text(data: dict, key: str, add, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        add(key, "is required text" if value is None else "must be non-empty text")
        return ""
    return value


def parse_exercise(data: Any, file: str, errors: list[ContentError], limits: ExerciseLimits) -> ExerciseContent | None:
    count = len(errors)

    def add(where: str, message: str) -> None:
        errors.append(ContentError(file, where, message))

    if not isinstance(data, dict):
        add("", "an exercise file must be a mapping (id, title, instructions, solution, run, checks, ...)")
        return None
    for key in sorted(set(data) - EXERCISE_KEYS):
        add(key, "unknown field")
    slug = data.get("id")
    check_slug(slug, file, "id", errors)
    title = _text(data, "title", add).strip()
    summary = _text(data, "summary", add).strip()
    instructions = _text(data, "instructions", add).strip()
    starting = _text(data, "starting_file", add, required=False)
    solution = _text(data, "solution", add)
    position = data.get("position", 0)
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        add("position", "must be a whole number (the order in the list of exercises)")
    hints = data.get("hints") or []
    if not isinstance(hints, list) or not all(isinstance(h, str) and h.strip() for h in hints):
        add("hints", "must be a list of Markdown texts")
        hints = []
    for key, text in (("solution", solution), ("starting_file", starting)):
        if len(text.encode()) > MAX_SOURCE_BYTES:
            add(key, f"must be at most {MAX_SOURCE_BYTES // 1024} KB")
    if solution:
        facts = read_source(solution)
        if not facts.parses:
            add("solution", facts.syntax_error)
        elif not facts.users:
            add("solution", "defines no user class (a class deriving from HttpUser)")
    for where, message in run_problems(data.get("run"), limits):
        add(where, message)
    for problem in validate_check_specs(data.get("checks")):
        where, _, message = problem.partition(": ")
        add(where, message)
    if len(errors) > count:
        return None
    run = {"users": data["run"]["users"], "spawn_rate": float(data["run"].get("spawn_rate", 10)),
           "duration_s": data["run"]["duration_s"], "api": dict(data["run"].get("api") or {})}
    return ExerciseContent(slug, {
        "title": title, "summary": summary, "position": position, "instructions": instructions,
        "starting_file": starting, "hints": [h.strip() for h in hints], "solution": solution, "run": run,
        "checks": data["checks"], "source_file": file,
    })


class ExerciseSection:
    name = "exercises"
    position = 40

    def parse(self, root: Path, parsed: dict, errors: list[ContentError]) -> list[ExerciseContent]:
        limits = limits_from_settings()
        return parse_each_file(root / "exercises", root, errors,
                               lambda data, file: parse_exercise(data, file, errors, limits), "exercise")

    def apply(self, items: list[ExerciseContent], parsed: dict, report: Report) -> None:
        from exercises.models import Exercise

        counts = report.kind("exercises")
        existing = {row.slug: row for row in Exercise.objects.all()}
        for item in items:
            upsert(Exercise, existing, item.slug, {**item.values, "content_hash": item.hash(), "is_retired": False},
                   counts)
        retire_missing(Exercise.objects.all(), {item.slug for item in items}, counts)
