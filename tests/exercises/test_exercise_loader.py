"""content/exercises/*.yaml: loaded by load_content, every error reported at once with file and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from exercises.loader import api_args, limits_from_settings, parse_exercise
from exercises.models import Exercise
from quizsite.questions.content import ContentError

pytestmark = pytest.mark.django_db

GOOD = {
    "id": "tiny", "title": "Tiny", "summary": "S", "instructions": "Do it.", "starting_file": "",
    "hints": ["one"], "solution": "from locust import HttpUser, task\nclass U(HttpUser):\n    @task\n    def t(self): pass\n",
    "run": {"users": 2, "duration_s": 5, "api": {"bad_answer_every": 10}},
    "checks": [{"id": "p", "title": "P", "kind": "requests", "path": "/predict"}],
}


def _parse(data):
    errors: list[ContentError] = []
    item = parse_exercise(data, "content/exercises/x.yaml", errors, limits_from_settings())
    return item, [f"{e.field}: {e.message}" for e in errors]


def test_the_six_exercises_are_loaded_in_order():
    """write-mluser first; each has checks, a solution and run settings within the site's limits."""
    slugs = list(Exercise.objects.live().values_list("slug", flat=True))
    assert slugs == ["write-mluser", "weighted-tasks", "catch-response", "step-load", "login-token", "fix-broken"]
    mluser = Exercise.objects.get(slug="write-mluser")
    assert mluser.starting_file == "" and "between(1, 2)" in mluser.solution
    assert mluser.run == {"users": 5, "spawn_rate": 5.0, "duration_s": 8, "api": {}}


def test_a_valid_file_parses():
    item, errors = _parse(GOOD)
    assert errors == [] and item.slug == "tiny" and item.values["run"]["spawn_rate"] == 10.0


def test_every_problem_is_reported_at_once_with_its_field():
    """Unknown fields, a solution that does not parse, run settings over the limits, a bad knob, bad checks."""
    bad = {**GOOD, "extra": 1, "hints": "one", "solution": "class (:\n",
           "run": {"users": 500, "duration_s": 0, "spawn_rate": 0, "api": {"workers": 4, "error_rate": 2,
                                                                              "require_token": "yes"}},
           "checks": [{"id": "p", "title": "P", "kind": "nope"}]}
    item, errors = _parse(bad)
    assert item is None
    assert errors == [
        "extra: unknown field",
        "hints: must be a list of Markdown texts",
        "solution: SyntaxError on line 1: invalid syntax",
        "run.users: must be a whole number from 1 to 20 (this site's limit)",
        "run.duration_s: must be a whole number from 1 to 30 (this site's limit)",
        "run.spawn_rate: must be a number above 0 and at most 20",
        "run.api.error_rate: must be a number from 0 to 0.5",
        "run.api.require_token: must be true or false",
        ("run.api.workers: not a knob exercises may set (bad_answer_every, cpu_ms, delay_median_ms, error_rate, "
        "require_token)"),
        ("checks[0].kind: 'nope' is not one of catch_bad_answers, locust_failures, method, ratio, requests, shape, "
        "token, valid_bodies, wait_between"),
    ]


def test_a_solution_without_a_user_is_refused():
    _, errors = _parse({**GOOD, "solution": "import locust\n"})
    assert errors == ["solution: defines no user class (a class deriving from HttpUser)"]


def test_knobs_become_model_api_flags():
    assert api_args({"require_token": True, "bad_answer_every": 10, "cpu_ms": 2.5}) == [
        "--bad-answer-every", "10", "--cpu-ms", "2.5", "--require-token"]
    assert api_args({"require_token": False}) == []


def test_load_content_reports_a_broken_exercise_file_and_loads_nothing(tmp_path: Path):
    """A copy of the content with one bad exercise: the command fails naming the file and field."""
    root = tmp_path / "content"
    shutil.copytree(settings.CONTENT_DIR, root)
    (root / "exercises" / "99-bad.yaml").write_text(yaml.safe_dump({**GOOD, "id": "bad", "run": {"users": 0}}))
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_content", path=str(root), verbosity=0)
    assert not Exercise.objects.filter(slug="bad").exists()


def test_a_removed_exercise_is_retired_not_deleted(tmp_path: Path):
    root = tmp_path / "content"
    shutil.copytree(settings.CONTENT_DIR, root)
    (root / "exercises" / "06-fix-broken.yaml").unlink()
    call_command("load_content", path=str(root), verbosity=0)
    assert Exercise.objects.get(slug="fix-broken").is_retired
    assert not Exercise.objects.live().filter(slug="fix-broken").exists()
