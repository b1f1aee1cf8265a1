"""`labs.sandbox.run_locustfile`: a learner's locustfile runs in bubblewrap against the run's own model API."""

from __future__ import annotations

import pytest

from labs import sandbox
from labs.sandbox import Limits, SandboxUnavailable, run_locustfile

MLUSER = '''
from locust import HttpUser, task, between


class MLUser(HttpUser):
    wait_time = between(0.05, 0.1)

    def on_start(self):
        self.headers = {"Authorization": "Bearer tok-" + str(id(self))}

    @task(3)
    def predict(self):
        self.client.post("/predict", json={"sqft": 1500, "bedrooms": 3, "location": "NY"}, headers=self.headers)

    @task
    def bad(self):
        print("SENDING BAD")
        self.client.post("/predict", json={"sqft": 1500})
'''
TEST_LIMITS = Limits(wall_s=25, cpu_s=20, memory_mb=768, processes=64)


@pytest.fixture(scope="module")
def benign_run():
    seen: list[str] = []
    run = run_locustfile(MLUSER, duration_s=3, users=2, spawn_rate=2, limits=TEST_LIMITS, on_output=seen.append)
    return run, "".join(seen)


@pytest.mark.slow
@pytest.mark.dbfree
def test_benign_locustfile_completes_with_a_record(benign_run):
    """The tutorial's user runs to the end: the API recorded its requests, tokens and invalid bodies."""
    run, _ = benign_run
    assert (run.status, run.reason, run.error_line) == ("completed", "", None)
    paths = {(r["method"], r["path"]) for r in run.requests}
    assert paths == {("POST", "/predict")}  # the supervisor's readiness probe is not recorded
    valid = [r for r in run.requests if r["body_valid"]]
    invalid = [r for r in run.requests if not r["body_valid"]]
    assert len(valid) >= 5 and invalid
    assert all(r["status"] == 422 and "location" in r["error"] for r in invalid)
    assert {r["token"] is not None for r in valid} == {True}
    assert len({r["token"] for r in valid}) == 2  # one token per simulated user
    assert {r["client"].split(":")[0] for r in run.requests} == {"127.0.0.1"}
    assert 0 < run.to_first_request_s < 25


@pytest.mark.slow
@pytest.mark.dbfree
def test_benign_run_has_locust_stats_matching_the_record(benign_run):
    """Locust's own stats count the same requests the API recorded (failures are the 422s)."""
    run, _ = benign_run
    entry = run.stats["POST /predict"]
    assert entry["requests"] == len(run.requests)
    assert entry["failures"] == sum(1 for r in run.requests if r["status"] != 200)


@pytest.mark.slow
@pytest.mark.dbfree
def test_output_is_streamed_and_kept(benign_run):
    """on_output receives Locust's output as it comes; the run keeps the same text."""
    run, streamed = benign_run
    assert "SENDING BAD" in run.output
    assert "Shutting down (exit code 0)" in run.output
    assert streamed == run.output


@pytest.mark.slow
@pytest.mark.dbfree
def test_syntax_error_names_the_line():
    """A file that does not parse is an error with its line, and Locust never starts."""
    run = run_locustfile("from locust import HttpUser\n\nclass U(HttpUser)\n    pass\n", duration_s=2, users=1,
                         spawn_rate=1, limits=TEST_LIMITS)
    assert run.status == "error"
    assert run.error_line == 3
    assert run.reason.startswith("SyntaxError on line 3")
    assert run.requests == []


@pytest.mark.slow
@pytest.mark.dbfree
def test_import_error_names_the_learners_line():
    """An exception at import is reported with the learner's line, not our stack."""
    source = "from locust import HttpUser, task\nimport json\nimport requests_that_do_not_exist\n"
    run = run_locustfile(source, duration_s=2, users=1, spawn_rate=1, limits=TEST_LIMITS)
    assert run.status == "error"
    assert run.error_line == 3
    assert "ModuleNotFoundError" in run.reason and "requests_that_do_not_exist" in run.reason


@pytest.mark.slow
@pytest.mark.dbfree
def test_a_file_without_a_user_class_is_an_error():
    """No HttpUser subclass: a plain reason, nothing sent."""
    run = run_locustfile("x = 1\n", duration_s=2, users=1, spawn_rate=1, limits=TEST_LIMITS)
    assert (run.status, run.reason) == ("error", "the file defines no user class (a class that extends HttpUser)")
    assert run.requests == []


def test_missing_bubblewrap_refuses_to_run(monkeypatch):
    """Without bwrap nothing runs: SandboxUnavailable says why, never an unsandboxed fallback."""
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    sandbox.availability.cache_clear()
    try:
        assert "bubblewrap (bwrap) is not installed" in sandbox.availability()
        with pytest.raises(SandboxUnavailable, match="not installed"):
            run_locustfile(MLUSER, duration_s=1, users=1, spawn_rate=1)
    finally:
        sandbox.availability.cache_clear()


def test_bubblewrap_that_cannot_make_namespaces_refuses_to_run(monkeypatch, tmp_path):
    """A bwrap that fails (here: a stand-in that exits 1 like bwrap without user namespaces) is unavailable."""
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: str(fake))
    sandbox.availability.cache_clear()
    try:
        reason = sandbox.availability()
        assert "cannot create its namespaces" in reason and "No permissions" in reason
        with pytest.raises(SandboxUnavailable):
            run_locustfile(MLUSER, duration_s=1, users=1, spawn_rate=1)
    finally:
        sandbox.availability.cache_clear()


@pytest.mark.slow
@pytest.mark.dbfree
def test_user_namespace_mode_runs_and_keeps_the_root_read_only(monkeypatch):
    """As a non-root worker would: a user namespace with uid 65534, the sandbox's own / and /dev read-only."""
    monkeypatch.setattr(sandbox, "_as_root", lambda: False)
    sandbox.availability.cache_clear()
    source = MLUSER + '''
import os
print("UID", os.getuid())
for path in ("/pwned", "/dev/shm/pwned"):
    try:
        open(path, "w").close()
        print("WROTE", path)
    except OSError as exc:
        print("REFUSED", path, type(exc).__name__)
'''
    try:
        run = run_locustfile(source, duration_s=2, users=1, spawn_rate=1, limits=TEST_LIMITS)
    finally:
        sandbox.availability.cache_clear()
    assert run.status == "completed", run.reason
    assert "UID 65534" in run.output
    assert "WROTE" not in run.output and run.output.count("REFUSED") == 2
    assert any(r["path"] == "/predict" for r in run.requests)


@pytest.mark.slow
@pytest.mark.dbfree
def test_unencodable_source_is_an_error_not_a_crash():
    """A lone surrogate (possible in a JSON string) cannot crash the caller: the run reports an error."""
    run = run_locustfile("x = '\ud800'\nclass U(\n", duration_s=1, users=1, spawn_rate=1, limits=TEST_LIMITS)
    assert (run.status, run.error_line) == ("error", 2)  # the surrogate became "?"; the file reached the sandbox


@pytest.mark.slow
@pytest.mark.dbfree
def test_should_stop_ends_the_run_early_and_keeps_its_record():
    """Asked to stop once users are running, a 60 s run ends at once, keeping what the API recorded so far."""
    seen: list[str] = []
    run = run_locustfile(MLUSER, duration_s=60, users=1, spawn_rate=1, limits=Limits(wall_s=60),
                         on_output=seen.append, should_stop=lambda: "SENDING BAD" in "".join(seen))
    assert (run.status, run.reason) == ("killed", "it was stopped before the end")
    assert run.requests  # the API flushed its record when it was stopped
    assert run.requests[-1]["t"] < 50


def test_users_rate_and_duration_are_capped_by_the_limits(monkeypatch):
    """A caller cannot ask for more users, a faster ramp or a longer run than the limits allow."""
    plans = []

    class Capture:
        def __init__(self, staging, plan, limits, on_output, should_stop):
            plans.append(plan)

        def execute(self):
            return sandbox.LocustfileRun(status="completed", reason="", error_line=None, output="")

    monkeypatch.setattr(sandbox, "availability", lambda: None)
    monkeypatch.setattr(sandbox, "_Run", Capture)
    limits = Limits(wall_s=30, users=5, spawn_rate=2)
    run_locustfile("x = 1\n", duration_s=600, users=500, spawn_rate=100, limits=limits)
    run_locustfile("x = 1\n", duration_s=3, users=2, spawn_rate=1, limits=limits)
    assert [(p["users"], p["spawn_rate"], p["duration_s"]) for p in plans] == [
        (5, 2.0, 30 - sandbox.LOCUST_SLACK_S), (2, 1.0, 3.0)]
    assert plans[0]["port"] == sandbox.API_PORT  # the host is fixed: the learner never chooses it
