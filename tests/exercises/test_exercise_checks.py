"""Checks answered from evidence (exercises.checks), on hand-made records whose answers are worked out here."""

from __future__ import annotations

import pytest

from exercises.checks import (
    Evidence,
    client_gaps,
    concurrency_steps,
    run_checks,
    stats_by_endpoint,
    validate_check_specs,
)

MLUSER = '''
from locust import HttpUser, task, between

class MLUser(HttpUser):
    wait_time = between(1, 2)

    @task
    def predict(self):
        self.client.post("/predict", json={"sqft": 1500, "bedrooms": 3, "location": "NY"})
'''


def req(t, path="/predict", method="POST", status=200, client="127.0.0.1:5000", token=None, body_valid=True,
        error=None):
    return {"t": t, "method": method, "path": path, "status": status, "client": client, "token": token,
            "body_valid": body_valid, "error": error}


def check(kind, source=MLUSER, requests=(), stats=None, **params):
    """The result of one check of `kind` (after the built-in file and runs checks)."""
    evidence = Evidence(source=source, requests=list(requests), stats=stats,
                        users=params.pop("users_", 1), api=params.pop("api_", {}), duration_s=10)
    results = run_checks([{"id": "x", "title": "X", "kind": kind, **params}], evidence)
    return results[-1]


# -- built-in checks --------------------------------------------------------------------------------


def test_file_check_names_the_user_and_its_wait_time():
    """The file check passes with 'Found MLUser(HttpUser) with 1 @task, wait_time = between(1, 2).'"""
    (file_check, runs) = run_checks([], Evidence(source=MLUSER, requests=[req(1)], duration_s=10))
    assert file_check.passed and file_check.message == "Found MLUser(HttpUser) with 1 @task, wait_time = between(1, 2)."
    assert runs.passed and runs.message == "It ran for 10 s and the API answered 1 request."


@pytest.mark.parametrize(("source", "expected"), [
    ("", "No user class"),
    ("import os\n", "No user class"),
    ("from locust import HttpUser\nclass U(HttpUser):\n    def go(self): pass\n", "a user with no @task sends nothing"),
    ("class U(HttpUser)\n", "SyntaxError on line 1"),
])
def test_file_check_refuses_files_without_a_working_user(source, expected):
    """Empty, user-less, task-less and unparseable files fail the file check, saying why."""
    file_check = run_checks([], Evidence(source=source))[0]
    assert not file_check.passed and expected in file_check.message


def test_a_file_that_does_not_parse_is_not_checked_further():
    """Every exercise check reads 'Not checked: the file does not parse.' after a syntax error."""
    results = run_checks([{"id": "a", "title": "A", "kind": "requests", "path": "/predict"}],
                         Evidence(source="def (:\n", status="error", reason="SyntaxError on line 1", error_line=1))
    assert [r.passed for r in results] == [False, False, False]
    assert results[1].message == "It did not run (line 1): SyntaxError on line 1"
    assert results[2].message == "Not checked: the file does not parse."


def test_runs_check_reports_a_killed_run():
    runs = run_checks([], Evidence(source=MLUSER, status="killed", reason="it used more than 768 MB"))[1]
    assert not runs.passed and runs.message == "It was stopped: it used more than 768 MB."


# -- requests and bodies ----------------------------------------------------------------------------


def test_requests_counts_answers_with_the_status():
    """Two 200s and one 422 to POST /predict: passes with min 2, fails with min 3 listing the statuses."""
    rows = [req(1), req(2), req(3, status=422)]
    assert check("requests", requests=rows, path="/predict", method="POST", min=2).message == \
        "2 requests to POST /predict answered 200."
    failed = check("requests", requests=rows, path="/predict", method="POST", min=3)
    assert not failed.passed
    assert failed.message == ("3 requests to POST /predict, 2 answered 200 (expected at least 3); "
                              "the API answered 2 × 200, 1 × 422.")


def test_requests_says_what_the_api_saw_instead():
    failed = check("requests", requests=[req(1, path="/predictt"), req(2, path="/predictt")], path="/predict")
    assert failed.message == "No request to /predict reached the API (it saw 2 to POST /predictt)."


def test_valid_bodies_counts_the_invalid_ones():
    """3 of 4 bodies invalid (data= instead of json=): the message gives 3 of 4 and the API's reason."""
    rows = [req(1)] + [req(t, status=422, body_valid=False, error="body: malformed JSON") for t in (2, 3, 4)]
    failed = check("valid_bodies", requests=rows, path="/predict")
    assert not failed.passed
    assert failed.message.startswith("3 of 4 bodies sent to POST /predict failed validation (the API answered "
                                     "422: body: malformed JSON). Send the payload with json=")
    assert check("valid_bodies", requests=[req(1), req(2)], path="/predict").message == \
        "All 2 bodies sent to POST /predict were valid JSON houses."
    assert not check("valid_bodies", requests=[], path="/predict").passed


# -- wait time ----------------------------------------------------------------------------------------


def test_client_gaps_are_per_client_and_in_time_order():
    """Client A at 0, 1.5, 3 and client B at 0.2, 2.2 (out of order): gaps 1.5, 1.5 and 2.0."""
    rows = [req(1.5, client="A"), req(0.2, client="B"), req(0, client="A"), req(2.2, client="B"), req(3, client="A")]
    assert sorted(client_gaps(rows)) == pytest.approx([1.5, 1.5, 2.0])
    assert client_gaps(rows, skip_paths=["/predict"]) == []


def test_wait_between_passes_on_gaps_of_one_to_two_seconds():
    """Two clients, gaps 1.2, 1.8, 1.5 and 1.1, 1.9: median 1.5 s, none shorter than 0.9 s."""
    rows = [req(t, client="A") for t in (0, 1.2, 3.0, 4.5)] + [req(t, client="B") for t in (0.5, 1.6, 3.5)]
    result = check("wait_between", requests=rows, min_s=1, max_s=2)
    assert result.passed
    assert result.message == ("wait_time = between(1, 2); 5 gaps between one user's requests: median 1.50 s, "
                              "0 shorter than 0.90 s.")


def test_wait_between_fails_on_back_to_back_requests():
    """Declared between(1, 2) but gaps of 0.1 s (say, a loop inside the task): fails, saying so."""
    rows = [req(t / 10, client="A") for t in range(10)]
    result = check("wait_between", requests=rows, min_s=1, max_s=2)
    assert not result.passed
    assert "9 gaps between one user's requests: median 0.10 s, 9 shorter than 0.90 s" in result.message


def test_wait_between_needs_the_declared_wait_time():
    source = MLUSER.replace("between(1, 2)", "constant(0)")
    result = check("wait_between", source=source, requests=[req(t) for t in range(5)], min_s=1, max_s=2)
    assert not result.passed
    assert result.message == "Expected wait_time = between(1, 2); the file has wait_time = constant(0) (line 5)."


# -- ratio --------------------------------------------------------------------------------------------


def test_ratio_three_to_one_passes_and_one_to_zero_fails():
    """300 to /predict and 100 to /healthz is 3 to 1; 3,412 and 0 fails with the issue's message."""
    rows = [req(i) for i in range(300)] + [req(i, path="/healthz", method="GET") for i in range(100)]
    result = check("ratio", requests=rows, path="/predict", other_path="/healthz", expected=3)
    assert result.passed
    assert result.message == "300 requests to /predict, 100 to /healthz (3.0 to 1); expected about 1 in 4 to /healthz."
    failed = check("ratio", requests=[req(i) for i in range(3412)], path="/predict", other_path="/healthz", expected=3)
    assert not failed.passed
    assert failed.message.startswith("3,412 requests to /predict, 0 to /healthz")
    assert failed.message.endswith("expected about 1 in 4 to /healthz.")


def test_ratio_tolerance_is_the_larger_of_seven_points_and_three_sigma():
    """Expected share 0.25. With 400 requests 3 sigma is 0.065 < 0.07: a share of 0.32 passes, 0.33 fails."""
    def rows(b):
        return [req(i) for i in range(400 - b)] + [req(i, path="/healthz") for i in range(b)]
    assert check("ratio", requests=rows(128), path="/predict", other_path="/healthz", expected=3).passed  # 0.32
    assert not check("ratio", requests=rows(132), path="/predict", other_path="/healthz", expected=3).passed  # 0.33
    assert not check("ratio", requests=rows(5)[:10], path="/predict", other_path="/healthz", expected=3).passed


# -- catch_response ------------------------------------------------------------------------------------

CATCHER = MLUSER.replace(
    '        self.client.post("/predict", json={"sqft": 1500, "bedrooms": 3, "location": "NY"})',
    '        with self.client.post("/predict", json={}, catch_response=True) as r:\n'
    '            if r.json()["price"] <= 0:\n                r.failure("bad price")')


def _stats(requests, failures):
    return [{"method": "POST", "name": "/predict", "num_requests": requests, "num_failures": failures},
            {"method": None, "name": "Aggregated", "num_requests": requests, "num_failures": failures}]


def test_catch_bad_answers_compares_locust_failures_with_the_api_wrong_answers():
    """103 answers with every 10th wrong is 10 wrong answers; Locust's 10 failures pass, 0 and 103 fail."""
    rows = [req(i) for i in range(103)]
    api = {"bad_answer_every": 10}
    ok = check("catch_bad_answers", source=CATCHER, requests=rows, stats=_stats(103, 10), api_=api, users_=2)
    assert ok.passed
    assert ok.message == ("The API sent 10 wrong answers (a negative price) among 103 answers; Locust counted "
                          "10 failures on POST /predict.")
    none = check("catch_bad_answers", source=CATCHER, requests=rows, stats=_stats(103, 0), api_=api, users_=2)
    assert not none.passed and "call response.failure" in none.message
    every = check("catch_bad_answers", source=CATCHER, requests=rows, stats=_stats(103, 103), api_=api, users_=2)
    assert not every.passed and "only the wrong answers should fail" in every.message
    static = check("catch_bad_answers", requests=rows, stats=_stats(103, 10), api_=api, users_=2)
    assert not static.passed and "catch_response=True" in static.message


def test_catch_bad_answers_counts_the_wrong_answers_the_record_notes():
    """The record marks 7 of 50 answers wrong (two workers, say): Locust's 7 failures pass, 5 do not."""
    rows = [req(i, error="wrong answer on purpose (--bad-answer-every 10)" if i % 7 == 3 else None)
            for i in range(50)]
    api = {"bad_answer_every": 10}
    ok = check("catch_bad_answers", source=CATCHER, requests=rows, stats=_stats(50, 7), api_=api, users_=1)
    assert ok.passed and ok.message.startswith("The API sent 7 wrong answers (a negative price) among 50 answers")
    assert not check("catch_bad_answers", source=CATCHER, requests=rows, stats=_stats(50, 4), api_=api,
                     users_=1).passed


def test_catch_bad_answers_allows_requests_in_flight_at_the_end():
    """With 5 users, Locust may count up to 5 fewer or more failures than the API's 10 wrong answers."""
    rows = [req(i) for i in range(100)]
    api = {"bad_answer_every": 10}
    assert check("catch_bad_answers", source=CATCHER, requests=rows, stats=_stats(100, 5), api_=api, users_=5).passed
    assert not check("catch_bad_answers", source=CATCHER, requests=rows, stats=_stats(100, 4), api_=api,
                     users_=5).passed


def test_stats_are_read_from_lists_and_mappings():
    """Locust's --json list and a 'METHOD name' mapping give the same table; Aggregated is left out."""
    assert stats_by_endpoint(_stats(7, 1)) == {("POST", "/predict"): (7, 1)}
    assert stats_by_endpoint({"POST /predict": {"requests": 7, "failures": 1}}) == {("POST", "/predict"): (7, 1)}
    assert stats_by_endpoint(None) == {}


# -- shape ---------------------------------------------------------------------------------------------

SHAPE = MLUSER + '''

class Steps(LoadTestShape):
    def tick(self):
        return (10, 10)
'''


def _step_rows(levels, hold=3.0):
    """Users join in steps: level k (0-based) starts at k*hold and everyone stays until the end."""
    end = hold * len(levels)
    rows = []
    joined = 0
    for k, level in enumerate(levels):
        for user in range(joined, level):
            start = k * hold
            rows += [req(start + 0.01 * user, client=f"u{user}"), req(end, client=f"u{user}")]
        joined = level
    return rows


def test_concurrency_steps_finds_the_plateaus():
    """Users 0-1 from 0 s, 2-3 from 3 s, 4-5 from 6 s, to 9 s: plateaus 2, 4, 6, peak 6."""
    assert concurrency_steps(_step_rows([2, 4, 6])) == (6, [2, 4, 6])
    assert concurrency_steps([]) == (0, [])


def test_shape_passes_on_steps_to_the_target():
    result = check("shape", source=SHAPE, requests=_step_rows([5, 10, 15, 20]), users=20, steps=3)
    assert result.passed
    assert result.message == "Users active over time (levels held ≥ 2 s): 5 → 10 → 15 → 20; peak 20."


def test_shape_fails_without_steps_or_without_a_shape_class():
    """All 20 users at once is one level (expected 3 steps); no LoadTestShape says so; 12 is short of 20."""
    flat = check("shape", source=SHAPE, requests=_step_rows([20]), users=20, steps=3)
    assert not flat.passed and flat.message.endswith("20; peak 20; expected at least 3 steps.")
    assert "No LoadTestShape" in check("shape", requests=_step_rows([20]), users=20, steps=3).message
    short = check("shape", source=SHAPE, requests=_step_rows([4, 8, 12]), users=20, steps=3)
    assert not short.passed and short.message.endswith("expected the load to reach 20 users.")


# -- token -------------------------------------------------------------------------------------------


def _token_rows(users=3, per_user=4, login_every=False, token=True, status=200):
    rows = []
    for u in range(users):
        client = f"c{u}"
        rows.append(req(u, path="/login", client=client))
        for k in range(per_user):
            if login_every and k:
                rows.append(req(u + k, path="/login", client=client))
            rows.append(req(u + k + 0.5, client=client, token=f"t{u}" if token else None, status=status))
    return rows


def test_token_passes_when_each_user_logs_in_once_and_sends_it():
    result = check("token", requests=_token_rows(), users_=3)
    assert result.passed
    assert result.message == "3 log-ins, 12 requests to /predict from 3 users: 12 with a token, 0 refused (401)."


def test_token_fails_without_it_with_a_bad_one_or_logging_in_every_time():
    assert "send `Authorization: Bearer <token>`" in check("token", requests=_token_rows(token=False), users_=3).message
    assert "send the token that POST /login returned" in check(
        "token", requests=_token_rows(status=401), users_=3).message
    every = check("token", requests=_token_rows(login_every=True), users_=3)
    assert not every.passed and every.message.endswith("12 log-ins for 3 users; log in once, in on_start.")
    assert check("token", requests=[req(1)], users_=1).message == \
        "No successful POST /login: log in first, in on_start."


# -- method and failures --------------------------------------------------------------------------------


def test_method_check_reads_the_class():
    assert check("method", name="predict").passed
    assert check("method", name="on_start").message == "No user class defines on_start()."


def test_locust_failures_names_the_worst_endpoint_and_an_absolute_url():
    """12 failures of 40 on GET http://api.example.com/predict, with that URL on line 9."""
    source = MLUSER.replace('self.client.post("/predict"', 'self.client.post("http://api.example.com/predict"')
    stats = [{"method": "POST", "name": "http://api.example.com/predict", "num_requests": 12, "num_failures": 12},
             {"method": "GET", "name": "/healthz", "num_requests": 28, "num_failures": 0}]
    result = check("locust_failures", source=source, stats=stats)
    assert not result.passed
    assert result.message == ("Locust counted 12 failures in 40 requests (most on POST http://api.example.com/predict); "
                              "line 9 sends to 'http://api.example.com/predict', which ignores the host the run gives.")
    assert check("locust_failures", stats=_stats(40, 0)).passed
    assert check("locust_failures", stats=None).message == "Locust reported no requests at all."


# -- specs -------------------------------------------------------------------------------------------


def test_every_problem_in_a_list_of_checks_is_reported():
    problems = validate_check_specs([
        {"id": "runs", "title": "T", "kind": "requests", "path": "/x"},
        {"id": "a", "kind": "nope"},
        {"id": "b", "title": "B", "kind": "ratio", "path": "/x", "expected": "3", "extra": 1},
        "text",
    ])
    assert problems == [
        "checks[0].id: 'runs' is used twice (file and runs are built in)",
        "checks[1].title: required text",
        ("checks[1].kind: 'nope' is not one of catch_bad_answers, locust_failures, method, ratio, requests, shape, "
        "token, valid_bodies, wait_between"),
        "checks[2].other_path: required for kind ratio",
        "checks[2].expected: has the wrong type (str)",
        "checks[2].extra: unknown for kind ratio (known: expected, method, other_method, other_path, path, tolerance)",
        "checks[3]: must be a mapping with id, title and kind",
    ]
    assert validate_check_specs([]) == ["checks: must be a non-empty list"]
    assert validate_check_specs([{"id": "a", "title": "A", "kind": "shape", "users": 20, "steps": 3}]) == []
