"""Every exercise's reference solution, run through the real sandbox, passes every check; every starting file
that is not empty fails the checks it is there to teach (and passes the others' preconditions).

Slow (real bubblewrap, model API and Locust, ~10 s a run) and database-free: the exercise files are read
with yaml, the checks are the pure ones the worker uses.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from exercises.checks import Evidence, run_checks
from exercises.loader import api_args

pytestmark = [pytest.mark.slow, pytest.mark.dbfree]

CONTENT = Path(__file__).resolve().parents[2] / "content" / "exercises"
EXERCISES = {data["id"]: data for data in (yaml.safe_load(p.read_text()) for p in sorted(CONTENT.glob("*.yaml")))}
# The checks each starting file must fail; all the others must pass (the file itself is fine to run).
STARTING_FAILS = {
    "weighted-tasks": {"health-checks", "three-to-one"},
    "catch-response": {"wrong-answers-failed"},
    "step-load": {"steps"},
    "login-token": {"on-start", "token", "predictions"},
    "fix-broken": {"valid-json", "health-checks", "no-failures"},
}


@pytest.fixture(scope="module")
def sandbox():
    from labs import sandbox

    reason = sandbox.availability()
    if reason:
        pytest.fail(f"the sandbox is unavailable here: {reason}")
    return sandbox


def _run(sandbox, exercise: dict, source: str, duration_s: float | None = None):
    run = exercise["run"]
    duration = duration_s or run["duration_s"]
    result = sandbox.run_locustfile(
        source, duration_s=duration, users=run["users"], spawn_rate=run.get("spawn_rate", 10),
        api_args=api_args(run.get("api") or {}), limits=sandbox.Limits(wall_s=duration + 30),
    )
    evidence = Evidence(source=source, requests=result.requests, stats=result.stats, status=result.status,
                        reason=result.reason, error_line=result.error_line, users=run["users"],
                        duration_s=duration, api=run.get("api") or {})
    return result, run_checks(exercise["checks"], evidence)


def test_every_exercise_has_a_starting_file_expectation():
    assert set(STARTING_FAILS) == {slug for slug, e in EXERCISES.items() if e.get("starting_file", "").strip()}
    for slug, failing in STARTING_FAILS.items():
        assert failing <= {c["id"] for c in EXERCISES[slug]["checks"]}, slug


@pytest.mark.parametrize("slug", list(EXERCISES))
def test_the_reference_solution_passes_every_check(sandbox, slug):
    result, checks = _run(sandbox, EXERCISES[slug], EXERCISES[slug]["solution"])
    failed = [f"{c.id}: {c.message}" for c in checks if not c.passed]
    assert result.status == "completed", result.reason + "\n" + result.output[-2000:]
    assert failed == [], "\n".join(failed) + "\n" + result.output[-1500:]


@pytest.mark.parametrize("slug", list(STARTING_FAILS))
def test_the_starting_file_fails_the_checks_it_teaches(sandbox, slug):
    exercise = EXERCISES[slug]
    duration = min(exercise["run"]["duration_s"], 4)  # long enough to show each mistake
    result, checks = _run(sandbox, exercise, exercise["starting_file"], duration_s=duration)
    assert result.status == "completed", result.reason
    failed = {c.id for c in checks if not c.passed}
    assert failed == STARTING_FAILS[slug], [f"{c.id}: {c.message}" for c in checks]
