"""The run analysis (labs/analysis) on synthetic series whose answers are worked out by hand here.

Pure: no database, no processes. Each series is one sample a second, as RunSample.to_dict(True) gives them.
"""

import math

import pytest

from labs.analysis import BOTTLENECKS, diagnose
from labs.analysis import histogram as hist
from labs.analysis.diagnosis import think_seconds

CONFIG = {"users": 48, "spawn_rate": 24, "duration_s": 40, "workers": 1, "scenario": "step_load.py",
          "env": {"WAIT_MIN": "0.1", "WAIT_MAX": "0.3"}, "api": {"cpu_ms": 8.0, "workers": 1}}
# (users, rps, p50, p99, api cpu %) per 5-second step: 8 ms of CPU per request, one core, capacity ~110 req/s.
CPU_STEPS = [(6, 29, 10, 20, 25), (12, 57, 10, 20, 50), (18, 86, 12, 25, 75), (24, 108, 20, 40, 97),
             (30, 110, 60, 150, 99), (36, 111, 110, 300, 99), (42, 110, 160, 420, 99), (48, 109, 200, 520, 99)]


def series(steps, seconds=5, generator_cpu=20.0, failures=None, with_histograms=False):
    """One sample a second: each step held `seconds` s; cumulative requests and failures as Locust counts them."""
    rows, t, requests, failed = [], 0, 0, 0
    for number, (users, rps, p50, p99, cpu) in enumerate(steps):
        for _ in range(seconds):
            t += 1
            requests += rps
            failed += (failures or [0] * len(steps))[number]
            row = {"index": t - 1, "t": float(t), "users": users, "rps": float(rps), "failures_per_s": 0.0,
                   "p50_ms": float(p50), "p95_ms": float(p99), "p99_ms": float(p99), "requests": requests,
                   "failures": failed, "generator_cpu": generator_cpu, "api_cpu": float(cpu)}
            if with_histograms:  # 99 requests at p50, 1 at p99, 100 a second
                row["histogram"] = hist.encode({hist.bucket(p50): 98, hist.bucket(p99): 2})
            rows.append(row)
    return rows


def run(rows, results=None, config=CONFIG, slo=100.0, cpu_count=2):
    return diagnose(rows, results or {}, config, slo, cpu_count)


# -- the compact histogram ----------------------------------------------------------------------------------


def test_histogram_buckets_are_within_two_and_a_half_percent_and_round_trip():
    for ms in (0.02, 0.9, 1.0, 8.0, 99.0, 100.0, 101.0, 2_430.0, 60_000.0):
        value = hist.bucket_value(hist.bucket(ms))
        assert abs(value - ms) / ms <= 0.025, (ms, value)
    counts = {hist.bucket(5.0): 3, hist.bucket(50.0): 1}
    encoded = hist.encode(counts)
    assert encoded[0] == hist.bucket(5.0) and len(encoded) == 1 + hist.bucket(50.0) - hist.bucket(5.0) + 1
    assert hist.decode(encoded) == counts
    assert hist.encode({}) == [] and hist.decode("junk") == {} and hist.decode([3, -1]) == {}


def test_merged_histograms_give_the_percentiles_of_all_requests():
    """Two seconds: 90 requests at 10 ms, then 10 at 200 ms. P50 is 10 ms, P95 and P99 are 200 ms (nearest
    rank: the 95th and 99th of 100 sorted latencies), whatever each second's own percentiles were."""
    merged = hist.merge([hist.encode({hist.bucket(10.0): 90}), hist.encode({hist.bucket(200.0): 10})])
    assert hist.count(merged) == 100
    assert hist.percentile(merged, 0.5) == pytest.approx(10.0, rel=0.025)
    assert hist.percentile(merged, 0.90) == pytest.approx(10.0, rel=0.025)  # the 90th is still 10 ms
    assert hist.percentile(merged, 0.95) == pytest.approx(200.0, rel=0.025)
    assert hist.mean(merged) == pytest.approx(0.9 * 10 + 0.1 * 200, rel=0.025)
    assert hist.percentile({}, 0.99) is None


# -- phases and steps ---------------------------------------------------------------------------------------


def test_each_step_drops_its_first_seconds_and_the_first_is_the_warm_up():
    """5-second steps: ceil(25% of 5) = 2 seconds dropped, so step 1 is steady from t = 2 s (samples at t = 3,
    4, 5), step 2 from t = 7 s. The first step's dropped part is the warm-up, later ones are ramps."""
    d = run(series(CPU_STEPS[:2]))
    assert d["warmup_s"] == 2.0
    assert d["phases"] == [
        {"kind": "warmup", "start_s": 0.0, "end_s": 2.0}, {"kind": "steady", "start_s": 2.0, "end_s": 5.0},
        {"kind": "ramp", "start_s": 5.0, "end_s": 7.0}, {"kind": "steady", "start_s": 7.0, "end_s": 10.0},
    ]
    first = d["steps"][0]
    assert (first["index"], first["users"], first["start_s"], first["steady_start_s"], first["end_s"]) == \
        (1, 6, 0.0, 2.0, 5.0)
    assert first["requests"] == 3 * 29 and first["seconds"] == 3


def test_a_step_figures_come_from_its_steady_seconds():
    """Median RPS of the steady seconds (a lucky second does not move it), errors as the difference of
    Locust's cumulative failures over the steady window, P50/P99 from the merged histograms."""
    rows = series([(10, 50, 10, 30, 40), (20, 90, 12, 80, 80)], seconds=8, failures=[0, 2], with_histograms=True)
    rows[13]["rps"] = 400.0  # one lucky second of step 2 (its samples are indices 8-15; 8 and 9 are dropped)
    d = run(rows)
    step = d["steps"][1]
    assert step["rps"] == 90.0 and step["seconds"] == 6
    assert step["errors"] == 12 and step["requests"] == 6 * 90  # from Locust's cumulative counters
    assert step["error_percent"] == round(100 * 12 / 540, 2)
    # 98 of every 100 requests at 12 ms and 2 at 80 ms: P50 is 12 ms and P99 80 ms (within a bucket, 2.5%).
    assert step["p50_ms"] == pytest.approx(12.0, rel=0.025) and step["p99_ms"] == pytest.approx(80.0, rel=0.025)
    assert step["latency_source"] == "histogram" and step["api_cpu_percent"] == 80.0


def test_an_older_run_without_histograms_uses_the_seconds_percentiles():
    d = run(series(CPU_STEPS[:2]))
    assert d["steps"][0]["latency_source"] == "samples" and d["steps"][0]["p99_ms"] == 20.0


def test_short_levels_are_ramps_not_steps_and_the_spawn_down_is_ignored():
    """A ramp (1, 2 users for a second each) then 10 users for 8 s, then the spawn-down to 0."""
    rows = [{"index": i, "t": float(i + 1), "users": u, "rps": 5.0 * u, "p99_ms": 10.0, "requests": 0,
             "failures": 0} for i, u in enumerate([1, 2] + [10] * 8 + [0])]
    d = run(rows)
    assert [s["users"] for s in d["steps"]] == [10]
    assert d["steps"][0]["steady_start_s"] == 4.0  # 8 s at 10 users from t = 2: ceil(2) dropped
    assert d["phases"][0] == {"kind": "warmup", "start_s": 0.0, "end_s": 4.0}
    assert d["warmup_s"] == 4.0


# -- knee, plateau, capacity, breach ------------------------------------------------------------------------


def test_the_knee_plateau_capacity_and_breach_of_a_cpu_bound_step_load():
    """Hand-worked on CPU_STEPS: 24 -> 30 users is +25% users for +1.9% RPS while P99 goes 40 -> 150 ms, so
    the knee is 24 users (end of step 4, t = 20 s). Plateau: median(110, 111, 110, 109) = 110. Capacity at
    100 ms: the best step whose P99 <= 100 ms is 24 users at 108 req/s. First sustained breach: step 5's
    first second (t = 21 s, 30 users) starts a streak of P99 > 100 ms; RPS median(110, 110, 110)."""
    d = run(series(CPU_STEPS))
    assert (d["knee_users"], d["knee_second"]) == (24, 20)
    assert d["plateau_rps"] == 110.0 and "4 steps from 30 users" in d["plateau_definition"]
    assert d["capacity_at_slo_rps"] == 108.0 and d["slo_ms"] == 100.0
    assert d["first_breach"] == {"second": 21, "users": 30, "rps": 110.0}
    assert d["bottleneck"] == "cpu"
    assert "99% of one core" in d["bottleneck_evidence"][0] and "steps 5-8" in d["bottleneck_evidence"][0]
    assert "110 req/s" in d["summary"] and "CPU-bound" in d["summary"] and "not async" in d["summary"]
    assert "108 req/s per worker at P99 under 100 ms" in d["summary"]


def test_a_single_warm_up_second_above_the_slo_is_not_a_breach():
    """The first second of the run (6 users) shows P99 2,430 ms: it is in the warm-up, so it is not the
    breaking point; nor are two isolated seconds later on."""
    rows = series(CPU_STEPS[:4])
    rows[0]["p99_ms"] = 2430.0
    rows[7]["p99_ms"] = rows[8]["p99_ms"] = 400.0  # two seconds in a row: not sustained
    rows[14]["p99_ms"] = 400.0
    d = run(rows)
    assert d["first_breach"] is None and d["bottleneck"] == "none"


def test_a_breach_held_to_the_end_of_the_run_counts_from_two_seconds():
    rows = series(CPU_STEPS[:4])
    rows[-2]["p99_ms"] = rows[-1]["p99_ms"] = 300.0
    assert run(rows)["first_breach"] == {"second": 19, "users": 24, "rps": 108.0}
    rows[-2]["p99_ms"] = 20.0
    assert run(rows)["first_breach"] is None


def test_no_slo_means_no_capacity_and_no_breach():
    d = run(series(CPU_STEPS), slo=None)
    assert d["capacity_at_slo_rps"] is None and d["first_breach"] is None and d["slo_ms"] is None
    assert d["plateau_rps"] == 110.0


def test_a_run_that_never_broke_has_no_knee_and_no_plateau():
    """RPS kept rising with users (each step +100% users, about +100% RPS) and P99 flat: bottleneck none."""
    d = run(series(CPU_STEPS[:3]))
    assert d["knee_users"] is None and d["plateau_rps"] is None and d["bottleneck"] == "none"
    assert "never broke" in d["summary"] and "86 req/s at 18 users" in d["summary"]


def test_latency_rising_with_throughput_still_following_users_is_not_a_knee():
    """+100% users, +95% RPS, P99 doubled: throughput still follows the users, so no knee yet."""
    d = run(series([(10, 50, 10, 20, 30), (20, 97.5, 15, 40, 60)]))
    assert d["knee_users"] is None


# -- the bottleneck -----------------------------------------------------------------------------------------


def test_cpu_needs_the_cores_the_api_may_use():
    """Two API workers on two cores: 99% of one core is half of what it may use, so not CPU-bound (it waits)."""
    config = {**CONFIG, "api": {"cpu_ms": 8.0, "workers": 2}}
    d = run(series(CPU_STEPS), config=config)
    assert d["bottleneck"] == "io" and "50% of the 2 cores" in d["bottleneck_evidence"][0]
    # On a one-core machine two workers share that core: the same run is CPU-bound.
    assert run(series(CPU_STEPS), config=config, cpu_count=1)["bottleneck"] == "cpu"


def test_a_busy_loop_with_a_contended_core_is_still_cpu():
    """The machine was shared: the API got 65% of its core, but its event loop was late by 40 ms on average:
    it was computing whenever it ran, so CPU."""
    steps = [(u, r, p50, p99, 65 if cpu > 90 else cpu) for u, r, p50, p99, cpu in CPU_STEPS]
    assert run(series(steps))["bottleneck"] == "io"
    d = run(series(steps), results={"api_loop_lag_ms": 40.0})
    assert d["bottleneck"] == "cpu" and "40 ms late" in d["bottleneck_evidence"][1]


def test_a_blocked_event_loop_with_little_cpu_is_blocking():
    """Throughput stuck at 50 req/s (20 ms blocking sleep each), CPU 10%, loop lag 60 ms: blocking."""
    steps = [(5, 25, 20, 40, 6), (10, 48, 30, 60, 9), (15, 50, 120, 300, 10), (20, 50, 200, 450, 10)]
    d = run(series(steps), results={"api_loop_lag_ms": 60.0})
    assert d["bottleneck"] == "blocking" and d["knee_users"] == 10
    assert "mostly waiting" in d["bottleneck_evidence"][0] and "one at a time" in d["bottleneck_evidence"][1]
    assert "off the event loop" in d["summary"]


LOW_CPU_STEPS = [(5, 25, 20, 40, 6), (10, 48, 30, 60, 9), (15, 50, 120, 300, 10), (20, 50, 200, 450, 10)]


def test_on_a_shared_machine_waiting_for_a_core_is_cpu_and_sleeping_in_a_handler_is_blocking():
    """Figures of two real runs on a busy machine. CPU work: 19.3 req/s x 39.4 ms = 0.76 of the worker's time
    serving; 13% CPU + 49% waiting for a core = 62% accounted, so 14% asleep: CPU (contended). Blocking sleep:
    36.2 x 24.8 ms = 0.90 serving, 2.8% + 15.2% = 18% accounted, 72% asleep in a handler: blocking."""
    contended = {"server_rps": 19.3, "server_mean_all_ms": 39.4, "api_cpu_percent": 13.0,
                 "api_cpu_wait_percent": 49.0, "api_loop_lag_ms": 12.6}
    d = run(series(LOW_CPU_STEPS), results=contended)
    assert d["bottleneck"] == "cpu" and "waited for a core another 49%" in d["bottleneck_evidence"][1]
    asleep = {"server_rps": 36.2, "server_mean_all_ms": 24.8, "api_cpu_percent": 2.8, "api_cpu_wait_percent": 15.2,
              "api_loop_lag_ms": 27.8}
    d = run(series(LOW_CPU_STEPS), results=asleep)
    assert d["bottleneck"] == "blocking" and "serving a request 90% of the time" in d["bottleneck_evidence"][2]
    assert "only 18%" in d["bottleneck_evidence"][2]


def test_clients_waiting_far_longer_than_an_idle_api_took_is_the_generator():
    """Clients saw 225 ms on average, the API answered in 1.0 ms and its 2 workers served 6% of the time."""
    figures = {"server_rps": 124.0, "server_mean_all_ms": 1.0, "mean_ms": 225.0, "api_cpu_percent": 5.7,
               "api_cpu_wait_percent": 29.4}
    config = {**CONFIG, "api": {"workers": 2}}
    d = run(series(LOW_CPU_STEPS), results=figures, config=config)
    assert d["bottleneck"] == "generator" and "Clients waited 225 ms" in d["bottleneck_evidence"][0]
    # The same gap with the workers busy (queueing before the API's timer starts) is not the generator.
    busy = {**figures, "server_mean_all_ms": 20.0}
    assert run(series(LOW_CPU_STEPS), results=busy, config=config)["bottleneck"] != "generator"


def test_low_cpu_and_a_responsive_loop_while_latency_climbs_is_io():
    d = run(series(LOW_CPU_STEPS), results={"api_loop_lag_ms": 0.4, "api_in_flight_mean": 9.5})
    assert d["bottleneck"] == "io"
    assert any("9.5 requests were in flight" in e for e in d["bottleneck_evidence"])


def test_503s_from_a_concurrency_limit_are_concurrency_limit():
    """2% of the requests shed (over the 1% bar) with the limit named; 0.5% would not be enough."""
    steps = [(5, 25, 20, 40, 6), (10, 48, 30, 60, 9), (15, 50, 120, 300, 10), (20, 50, 200, 450, 10)]
    config = {**CONFIG, "api": {"io_ms": 50.0, "max_concurrency": 4, "workers": 1}}
    d = run(series(steps), results={"requests": 1000, "shed": 20}, config=config)
    assert d["bottleneck"] == "concurrency_limit" and "2.0% of 1,000" in d["bottleneck_evidence"][0]
    assert "limit is 4 in flight" in d["bottleneck_evidence"][0]
    assert run(series(steps), results={"requests": 1000, "shed": 5}, config=config)["bottleneck"] == "io"


def test_a_saturated_load_generator_is_generator_unless_the_api_was_saturated_too():
    steps = [(5, 300, 2, 5, 30), (10, 420, 5, 12, 40), (15, 430, 12, 30, 41), (20, 430, 18, 45, 41)]
    d = run(series(steps, generator_cpu=98.0))
    assert d["bottleneck"] == "generator" and "measured Locust" in d["summary"]
    assert d["plateau_rps"] is None  # a plateau of the generator says nothing about the API
    assert run(series(steps, generator_cpu=60.0))["bottleneck"] == "io"
    assert run(series(CPU_STEPS, generator_cpu=98.0))["bottleneck"] == "cpu"


def test_every_bottleneck_is_one_of_the_seven():
    assert set(BOTTLENECKS) == {"cpu", "io", "blocking", "concurrency_limit", "generator", "batch", "none"}


def test_a_streaming_run_that_levels_off_is_a_full_batch_not_io():
    """The LLM lab: low host CPU and climbing latency, but the limit is the decoder's batch."""
    config = {**CONFIG, "scenario": "llm_stream.py", "api": {"workers": 1, "llm_max_batch": 8}}
    results = {"api_loop_lag_ms": 0.4, "ttft_p50_ms": 90.0, "ttft_p99_ms": 2400.0, "plateau_tokens_per_s": 190.0}
    d = run(series(LOW_CPU_STEPS), results=results, config=config, slo=None)
    assert d["bottleneck"] == "batch"
    evidence = " ".join(d["bottleneck_evidence"])
    assert "at most 8 sequences" in evidence
    assert "P99 2,400 ms" in evidence or "P99 2.4 s" in evidence
    assert "190 tokens/s" in evidence
    assert "KV-cache" in d["summary"]
    # a streaming run that never broke is still "none"
    flat = [(users, 10 * users, 80, 120, 5) for users in (2, 4, 6, 8)]
    assert run(series(flat), results=results, config=config, slo=None)["bottleneck"] == "none"


# -- checks -------------------------------------------------------------------------------------------------


def checks(d):
    return {c["id"]: c for c in d["checks"]}


def test_littles_law_inside_the_api_holds_and_explains_a_gap():
    """200 req/s x 50 ms = 10 in flight expected; 9.6 counted holds (4%), 5 counted is a 50% gap."""
    base = {"server_rps": 200.0, "server_mean_ms": 50.0}
    ok = checks(run(series(CPU_STEPS), results={**base, "api_in_flight_mean": 9.6}))["littles_law_api"]
    assert ok["ok"] and (ok["expected"], ok["observed"]) == (10.0, 9.6)
    bad = checks(run(series(CPU_STEPS), results={**base, "api_in_flight_mean": 5.0}))["littles_law_api"]
    assert not bad["ok"] and "differ by 50%" in bad["message"] and "thread did not run on time" in bad["message"]
    serial = {"server_rps": 21.7, "server_mean_ms": 46.5, "api_in_flight_mean": 0.0}  # 1.01 expected, none seen
    one_at_a_time = checks(run(series(CPU_STEPS), results=serial))["littles_law_api"]
    assert not one_at_a_time["ok"] and one_at_a_time["expected"] == 1.01 and "differ by 100%" in one_at_a_time["message"]
    close = {"server_rps": 21.7, "server_mean_ms": 46.5, "api_in_flight_mean": 0.9}  # 11% off: holds
    assert checks(run(series(CPU_STEPS), results=close))["littles_law_api"]["ok"]
    high = checks(run(series(CPU_STEPS), results={**base, "api_in_flight_mean": 14.0}))["littles_law_api"]
    assert not high["ok"] and "More were counted" in high["message"]
    missing = checks(run(series(CPU_STEPS)))["littles_law_api"]
    assert missing["ok"] and missing["expected"] is None and "Not checked" in missing["message"]


def test_littles_law_for_the_closed_loop():
    """Last step: 109 req/s x (mean response + 0.2 s think). From histograms (98 at 200 ms, 2 at 520 ms): mean
    206.4 ms, so 109 x 0.4064 = 44.3 users expected for 48 running: an 8% gap, it holds. With 0.5-1.5 s of
    think time it would be 109 x 1.206 = 131 users: it fails and says why."""
    d = run(series(CPU_STEPS, with_histograms=True))
    check = checks(d)["littles_law_closed_loop"]
    mean = (98 * hist.bucket_value(hist.bucket(200)) + 2 * hist.bucket_value(hist.bucket(520))) / 100
    assert check["ok"] and check["observed"] == 48
    assert check["expected"] == pytest.approx(109 * (mean / 1000 + 0.2), abs=0.1)
    wrong = {**CONFIG, "env": {}}
    failed = checks(run(series(CPU_STEPS, with_histograms=True), config=wrong))["littles_law_closed_loop"]
    assert not failed["ok"] and failed["expected"] > 120 and "think time was shorter" in failed["message"]


def test_think_time_comes_from_the_environment_or_the_scenario():
    assert think_seconds(CONFIG) == pytest.approx(0.2)
    assert think_seconds({"scenario": "predict.py"}) == 1.5
    assert think_seconds({"scenario": "constant_arrival.py"}) is None
    assert think_seconds({"scenario": "unknown.py"}) is None


def test_an_open_loop_run_skips_the_closed_loop_checks():
    d = run(series(CPU_STEPS), config={**CONFIG, "scenario": "constant_arrival.py"})
    assert checks(d)["littles_law_closed_loop"]["ok"] and "open loop" in checks(d)["littles_law_closed_loop"]["message"]
    assert checks(d)["coordinated_omission"]["ok"]


def test_a_stalled_closed_loop_warns_of_coordinated_omission():
    """A steady second at 10 req/s in a 110 req/s step (below a quarter) is a stall."""
    rows = series(CPU_STEPS)
    assert checks(run(rows))["coordinated_omission"]["ok"]
    rows[33]["rps"] = 10.0  # step 7 (indices 30-34), a steady second
    check = checks(run(rows))["coordinated_omission"]
    assert not check["ok"] and check["observed"] == 1.0 and "t = 34 s" in check["message"]
    assert "open-loop" in check["message"]
    assert any(f["id"] == "coordinated_omission" for f in run(rows)["findings"])


# -- the contract -------------------------------------------------------------------------------------------


def test_the_diagnosis_has_the_promised_shape():
    d = run(series(CPU_STEPS, with_histograms=True), results={"server_rps": 90.0, "server_mean_ms": 60.0,
                                                             "api_in_flight_mean": 5.5})
    assert set(d) >= {"version", "bottleneck", "bottleneck_evidence", "plateau_rps", "plateau_definition",
                      "knee_users", "knee_second", "capacity_at_slo_rps", "slo_ms", "first_breach", "warmup_s",
                      "phases", "steps", "checks", "findings", "summary"}
    assert d["version"] == 1 and d["bottleneck"] in BOTTLENECKS
    for step in d["steps"]:
        assert set(step) >= {"index", "users", "start_s", "end_s", "steady_start_s", "rps", "p50_ms", "p99_ms",
                             "api_cpu_percent", "errors", "error_percent"}
        assert step["start_s"] <= step["steady_start_s"] <= step["end_s"]
    assert [c["id"] for c in d["checks"]] == ["littles_law_api", "littles_law_closed_loop", "coordinated_omission"]
    assert all(set(c) == {"id", "ok", "message", "expected", "observed"} for c in d["checks"])
    assert all(set(f) == {"id", "title", "text"} for f in d["findings"])
    assert all(p["kind"] in ("warmup", "ramp", "steady") for p in d["phases"])
    assert {"knee", "plateau", "capacity", "breach", "bottleneck"} <= {f["id"] for f in d["findings"]}
    assert all(isinstance(v, (int, float)) and math.isfinite(v) for s in d["steps"] for v in s.values()
               if not isinstance(v, (str, type(None))))


def test_an_empty_run_is_diagnosed_without_error():
    d = run([])
    assert d["bottleneck"] == "none" and d["steps"] == [] and d["phases"] == [] and d["plateau_rps"] is None
