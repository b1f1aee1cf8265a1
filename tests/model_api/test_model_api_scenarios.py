"""The Locust scenarios run headless against a real model API, with their responses checked."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from model_api_helpers import ROOT, SCENARIOS, run_locust

pytestmark = pytest.mark.slow

SCENARIO_FILES = sorted(p.name for p in SCENARIOS.glob("*.py") if p.name != "common.py")


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module.split(".")[0])
    return modules


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """One model API serving /predict and both /work endpoints with a little real work."""
    from model_api_helpers import start_model_api

    server = start_model_api("--cpu-ms", "1", "--io-ms", "5", tmp_dir=tmp_path_factory.mktemp("scenario_api"))
    yield server
    server.stop()


def test_predict_is_the_tutorial_user_and_succeeds(api, tmp_path):
    """`locust -f locust_scenarios/predict.py --headless -u 5 -r 5 -t 3s`: requests, no failures."""
    run = run_locust("predict.py", api.url, tmp_path, "-u", "5", "-r", "5", "-t", "3s")
    assert run.returncode == 0, run.output
    assert run.entry("/predict")["num_requests"] > 0
    assert run.failures == 0


def test_predict_marks_bad_answers_as_failures(model_api, tmp_path):
    """Against an API that fails every request, every request is a failure and Locust exits non-zero."""
    failing = model_api("--error-rate", "1")
    run = run_locust("predict.py", failing.url, tmp_path, "-u", "3", "-r", "3", "-t", "2s")
    assert run.returncode != 0
    assert run.requests > 0 and run.failures == run.requests


def test_max_throughput_sends_without_pause(api, tmp_path):
    """FastHttpUsers with no wait time: many requests from a few users, none failed."""
    run = run_locust("max_throughput.py", api.url, tmp_path, "-u", "4", "-r", "4", "-t", "3s")
    assert run.returncode == 0, run.output
    assert run.failures == 0
    assert run.requests > 4 * 3 * 5  # far more than one per user-second


def test_cpu_io_mix_exercises_both_endpoints(api, tmp_path):
    run = run_locust("cpu_io_mix.py", api.url, tmp_path, "-u", "4", "-r", "4", "-t", "3s",
                     env={"WAIT_MIN": "0.05", "WAIT_MAX": "0.1"})  # fmt: skip
    assert run.returncode == 0, run.output
    assert run.failures == 0
    assert run.entry("/work/cpu")["num_requests"] > 0 and run.entry("/work/io")["num_requests"] > 0


def levels_held(samples: list[dict], levels: set[int]) -> list[int]:
    """The user counts the samples show, in order, one entry per level held (moments in between, while
    users start or stop, are left out)."""
    held: list[int] = []
    for sample in samples:
        if sample["users"] in levels and (not held or held[-1] != sample["users"]):
            held.append(sample["users"])
    return held


def test_step_load_climbs_and_stops_by_itself(api, tmp_path):
    """STEP_USERS=2 every 2 seconds up to 6: the recorded samples show three steps, 2, 4 and 6 users, in
    that order and never fewer users than the step before, then the shape ends the run."""
    env = {"STEP_USERS": "2", "STEP_SECONDS": "2", "MAX_USERS": "6", "SPAWN_RATE": "100", "WAIT_MIN": "0.1",
           "WAIT_MAX": "0.2"}  # fmt: skip
    run = run_locust("step_load.py", api.url, tmp_path, env=env, timeout=60, telemetry=True)
    assert run.returncode == 0, run.output
    assert run.failures == 0 and run.requests > 0
    users = [s["users"] for s in run.samples if s["users"] > 0]
    assert levels_held(run.samples, {2, 4, 6}) == [2, 4, 6], users
    assert users == sorted(users) and max(users) == 6, users
    assert all(s["rps"] > 0 for s in run.samples if s["users"] == 6)


def test_spike_runs_baseline_spike_and_recovery(api, tmp_path):
    """2 users, a spike to 8, back to 2: the recorded samples show the three phases in order."""
    env = {"BASELINE_USERS": "2", "SPIKE_USERS": "8", "BASELINE_SECONDS": "2", "SPIKE_SECONDS": "2",
           "RECOVERY_SECONDS": "2", "SPIKE_SPAWN_RATE": "100", "WAIT_MIN": "0.1", "WAIT_MAX": "0.2"}  # fmt: skip
    run = run_locust("spike.py", api.url, tmp_path, env=env, timeout=60, telemetry=True)
    assert run.returncode == 0, run.output
    assert run.failures == 0 and run.requests > 0
    users = [s["users"] for s in run.samples]
    assert levels_held(run.samples, {2, 8}) == [2, 8, 2], users
    assert max(users) == 8, users


def test_constant_arrival_keeps_its_rate_when_the_server_is_slow(model_api, tmp_path):
    """Open loop: 20 arrivals/s for 3 s against a 300 ms server still sends ~60 requests.

    A closed-loop user would manage about 10 (one per 300 ms); requests still in flight when the run
    ends (about 6) are abandoned, not counted. The schedule is fixed (no sampling error): at most 60 are
    sent, plus one at each edge. A busy machine can only lose requests (a late user start, longer
    responses leaving more in flight at the end; late arrivals are sent at once, not dropped), so the lower
    bound is what still tells open from closed: more than twice what the closed loop could send.
    """
    slow = model_api("--delay-median-ms", "300")
    run = run_locust(
        "constant_arrival.py", slow.url, tmp_path, env={"RATE": "20", "DURATION": "3"}, timeout=30
    )
    assert run.returncode == 0, run.output
    assert run.failures == 0
    assert 25 <= run.requests <= 62


@pytest.mark.parametrize("name", SCENARIO_FILES)
def test_scenarios_import_only_locust_gevent_and_the_standard_library(name):
    """A scenario is a plain locustfile: nothing from the site, Django or the model API (requests is the
    HTTP library Locust's HttpUser wraps, installed with Locust)."""
    allowed = {"locust", "gevent", "common", "requests"} | set(sys.stdlib_module_names)
    assert _imported_modules(SCENARIOS / name) <= allowed


def test_model_api_imports_nothing_from_django_or_the_site():
    """labs.model_api stands alone: no django, no quizsite, no other labs module."""
    for path in (ROOT / "labs" / "model_api").rglob("*.py"):
        modules = _imported_modules(path)
        assert not modules & {"django", "quizsite", "rest_framework", "locust"}, path
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("labs."):
                assert node.module.startswith("labs.model_api"), (path, node.module)
