"""Comparing two runs: the side-by-side figures and the sentences, on hand-made pairs of runs."""

import pytest

from labs.analysis.compare import (
    RunFigures,
    change_words,
    compare,
    config_changes,
    cpu_ms_per_request,
    factor_words,
)


def run(pk, *, cpu_ms=8, bottleneck="cpu", plateau=110.0, knee=36, capacity=105.0, rps=90.0, p99=80.0,
        api_cpu=95.0, users=48, breach_users=42, **api):
    diagnosis = {"version": 1, "bottleneck": bottleneck, "plateau_rps": plateau, "knee_users": knee,
                 "capacity_at_slo_rps": capacity, "slo_ms": 100.0,
                 "first_breach": {"second": 30, "users": breach_users, "rps": plateau} if breach_users else None}
    results = {"rps": rps, "p50_ms": 20.0, "p99_ms": p99, "failure_percent": 0.0, "api_cpu_percent": api_cpu,
               "diagnosis": diagnosis}
    config = {"users": users, "duration_s": 40, "spawn_rate": 24, "workers": 1,
              "api": {"cpu_ms": cpu_ms, "workers": 1, "seed": pk, **api}}
    return RunFigures(pk, results, config)


def test_twice_the_cpu_per_request_halves_the_plateau_and_says_so():
    """The issue's example: plateau halved with twice the CPU per request; still CPU-bound."""
    result = compare(run(1), run(2, cpu_ms=16, plateau=55.0, knee=18, capacity=52.0, rps=50.0, p99=400.0,
                              breach_users=24))
    assert result["summary"] == ("The plateau halved (110 → 55 req/s) with twice the CPU per request (8 → 16 ms); "
                                 "still CPU-bound.")
    assert "Capacity at the SLO halved (105 → 52 req/s)." in result["changes"]
    assert "The whole-run P99 rose 5.0-fold (80 → 400 ms)." in result["changes"]
    assert "It broke at 18 users instead of 36." in result["changes"]
    rows = {row["id"]: row for row in result["rows"]}
    assert rows["plateau_rps"]["a"] == 110.0 and rows["plateau_rps"]["b"] == 55.0
    assert rows["plateau_rps"]["ratio"] == 0.5 and rows["plateau_rps"]["change"] == "halved"
    assert rows["first_breach_users"]["a"] == 42.0 and rows["first_breach_users"]["b"] == 24.0
    # 95% of a core at 90 req/s is 950 ms of CPU a second over 90 requests.
    assert rows["cpu_ms_per_request"]["a"] == pytest.approx(950 / 90)
    assert [c["name"] for c in result["config_changes"]] == ["cpu_ms"]  # the seed is not a change


def test_a_second_worker_that_moves_the_bottleneck_is_named():
    """More workers: the plateau doubles and the bottleneck moves from the API to the load generator."""
    result = compare(run(3), run(4, plateau=215.0, bottleneck="generator", workers=2))
    assert result["summary"] == ("The plateau doubled (110 → 215 req/s) with 2 API workers instead of 1; "
                                 "it was CPU-bound and is now limited by the load generator, not the API.")
    assert result["bottleneck"] == {"a": "cpu", "b": "generator"}


def test_the_same_configuration_twice_is_called_noise():
    result = compare(run(5), run(6, plateau=104.0, capacity=101.0, rps=88.0, p99=84.0))
    assert result["summary"] == ("The plateau stayed about the same (110 → 104 req/s) with the same configuration "
                                 "(so the difference is run-to-run noise); still CPU-bound.")
    assert result["changes"] == [result["summary"]]  # nothing else moved by more than 10%


def test_a_run_that_never_broke_has_no_knee_and_says_which():
    result = compare(run(7, users=48), run(8, users=16, bottleneck="none", plateau=62.0, knee=None, capacity=62.0,
                                          rps=55.0, p99=30.0, breach_users=None))
    assert result["summary"].startswith("The plateau fell by 44% (110 → 62 req/s) with 16 users instead of 48;")
    assert result["summary"].endswith("it was CPU-bound and is now never saturated.")
    assert "Run #8 never reached a knee; run #7 broke at 36 users." in result["changes"]
    rows = {row["id"]: row for row in result["rows"]}
    assert rows["knee_users"]["b"] is None and rows["knee_users"]["ratio"] is None and rows["knee_users"]["change"] == ""


def test_runs_without_a_diagnosis_still_compare_their_whole_run_figures():
    a = RunFigures(1, {"rps": 40.0, "p99_ms": 50.0, "api_cpu_percent": 20.0}, {"users": 8, "api": {"cpu_ms": 5}})
    b = RunFigures(2, {"rps": 80.0, "p99_ms": 50.0, "api_cpu_percent": 40.0}, {"users": 16, "api": {"cpu_ms": 5}})
    result = compare(a, b)
    assert result["summary"] == "The throughput doubled (40 → 80 req/s) with 16 users instead of 8."
    assert result["bottleneck"] == {"a": None, "b": None}


@pytest.mark.parametrize(("ratio", "words"), [
    (1.0, "stayed about the same"), (1.1, "stayed about the same"), (0.9, "stayed about the same"),
    (0.5, "halved"), (2.0, "doubled"), (3.0, "tripled"), (1.35, "rose by 35%"), (0.7, "fell by 30%"),
    (5.0, "rose 5.0-fold"), (0.25, "fell 4.0-fold"), (None, ""),
])
def test_change_words(ratio, words):
    assert change_words(ratio) == words


@pytest.mark.parametrize(("ratio", "words"), [
    (2.0, "twice the"), (0.5, "half the"), (3.0, "three times the"), (1.05, "the same"), (1.4, "1.4× the"),
])
def test_factor_words(ratio, words):
    assert factor_words(ratio) == words


def test_cpu_per_request_needs_both_cpu_and_throughput():
    assert cpu_ms_per_request({"api_cpu_percent": 50.0, "rps": 100.0}) == 5.0
    assert cpu_ms_per_request({"api_cpu_percent": 50.0, "rps": 0}) is None
    assert cpu_ms_per_request({"rps": 10.0}) is None


def test_config_changes_lists_load_knobs_then_api_knobs_without_the_seed():
    a = {"users": 16, "duration_s": 40, "api": {"cpu_ms": 8, "seed": 1, "blocking": False}}
    b = {"users": 48, "duration_s": 40, "api": {"cpu_ms": 8, "seed": 2, "blocking": True}}
    assert config_changes(a, b) == [{"name": "users", "a": 16, "b": 48, "api": False},
                                    {"name": "blocking", "a": False, "b": True, "api": True}]
