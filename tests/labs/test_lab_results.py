"""The results maths: what a finished run reports and what its checkpoint questions can read."""

from labs import results
from tests.labs.conftest import METRICS, SUMMARY, samples

CONFIG = {"users": 20, "spawn_rate": 5.0, "duration_s": 20, "workers": 1,
          "api": {"cpu_ms": 8.0, "cache": False, "workers": 1, "delay_p99_ms": None}}


def test_results_carry_every_number_the_api_promises():
    """requests, failures, rps, exact percentiles, Locust's p99, CPU and the saturation flag are all there."""
    built = results.build(SUMMARY, samples(), METRICS, 12.5, CONFIG, None)
    for key in ("requests", "failures", "rps", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms",
                "locust_p99_ms", "api_cpu_percent", "generator_cpu_percent", "generator_saturated"):
        assert key in built, key
    assert (built["p99_ms"], built["locust_p99_ms"], built["failure_percent"]) == (238.4, 240.0, 1.0)
    assert built["server_p99_ms"] == 220.0 and built["server_requests"] == 402  # /healthz is not counted
    assert built["in_flight"] == round(20.0 * 61.7 / 1000, 2)
    assert built["config"] == CONFIG and built["endpoints"][0]["locust_p99_ms"] == 240.0


def test_two_hot_seconds_mark_the_generator_saturated():
    """One second above 90% is a blip; two are a saturated load generator."""
    rows = samples(cpu=50.0)
    rows[3]["generator_cpu"] = 97.0
    assert results.build(SUMMARY, rows, None, None, CONFIG, None)["generator_saturated"] is False
    rows[7]["generator_cpu"] = 93.0
    built = results.build(SUMMARY, rows, None, None, CONFIG, None)
    assert built["generator_saturated"] is True and built["generator_hot_seconds"] == 2
    assert built["generator_cpu_peak"] == 97.0


def test_the_slo_breach_is_the_diagnosis_first_sustained_breach():
    """users_at_slo_breach / rps_at_slo_breach are the diagnosis's first *sustained* breach (one definition):
    the first of three seconds in a row above the SLO after the warm-up, its RPS the median of those three."""
    rows = samples()
    for i, row in enumerate(rows):
        row["users"], row["rps"], row["p99_ms"] = 5 * (i // 4 + 1), 10.0 * (i + 1), 50.0 + 10 * i
    rows[0]["p99_ms"] = 900.0  # a warm-up blip in the very first second is not the breaking point
    built = results.build(SUMMARY, rows, None, None, CONFIG, 100.0)
    # Index 6 (t = 7 s) is the first second above 100 ms of a streak: p99 110 ms at 10 users; RPS 70, 80, 90.
    assert (built["users_at_slo_breach"], built["rps_at_slo_breach"]) == (10, 80.0)
    assert built["diagnosis"]["first_breach"] == {"second": 7, "users": 10, "rps": 80.0}
    assert results.build(SUMMARY, rows, None, None, CONFIG, 1000.0)["users_at_slo_breach"] is None


def test_the_plateau_is_the_diagnosis_plateau_not_the_busiest_seconds():
    """Peak is one second; plateau_rps is the diagnosis's (the median steady RPS of the steps after the
    knee), so one lucky second sets neither it nor the checkpoint that reads it."""
    rows = []
    levels = [(5, 50, 20), (10, 100, 20), (15, 110, 90), (20, 108, 160)]
    for step, (users, rps, p99) in enumerate(levels):
        for k in range(4):
            i = 4 * step + k
            rows.append({**samples(count=1)[0], "index": i, "t": float(i + 1), "users": users, "rps": float(rps),
                         "p99_ms": float(p99), "requests": 0})
    rows[13]["rps"] = 250.0  # one lucky second in the last step
    figures = results.load_figures(rows)
    built = results.build(SUMMARY, rows, None, None, CONFIG, 100.0)
    assert figures["peak_rps"] == 250 and "plateau_rps" not in figures
    # The knee is 10 users (15 users: +50% users, +10% RPS, P99 4.5x); the plateau is the median of the steps
    # at 15 and 20 users: median(110, 108) = 109 (the lucky second sits among 108s: a median ignores it).
    assert built["diagnosis"]["knee_users"] == 10
    assert built["plateau_rps"] == built["diagnosis"]["plateau_rps"] == 109.0
    values = results.measurements(built, CONFIG)
    assert values["plateau_rps"] == values["diagnosis_plateau_rps"] == 109.0 and values["knee_users"] == 10


def test_measurements_flatten_results_endpoints_and_config():
    """from_run names: results keys, <endpoint>_<figure>, users/duration_s and api_<knob> (booleans as 0/1)."""
    built = results.build(SUMMARY, samples(), METRICS, 12.5, CONFIG, None)
    values = results.measurements(built, CONFIG)
    assert values["p99_ms"] == 238.4 and values["predict_p99_ms"] == 238.4 and values["predict_locust_p99_ms"] == 240
    assert values["users"] == 20 and values["api_cpu_ms"] == 8 and values["api_cache"] == 0
    assert "api_delay_p99_ms" not in values  # unset knobs are not numbers
    assert values["cache_hit_ratio"] == 0  # no cache: every request does the work
    assert results.known_measurement("work_cpu_p99_ms") and not results.known_measurement("p98_ms")


def test_cache_hit_ratio_comes_from_the_api_counters():
    """Hits over hits plus misses, from the model API's own counters."""
    metrics = {**METRICS, "counters": {**METRICS["counters"], "cache_hits": 300, "cache_misses": 100}}
    assert results.build(SUMMARY, samples(), metrics, 1.0, CONFIG, None)["cache_hit_ratio"] == 0.75


def test_samples_csv_has_a_header_and_a_row_a_second():
    """The CSV download: one header, then one row per sample, empty cells for missing values."""
    rows = samples(count=3)
    rows[0]["p99_ms"] = None
    lines = results.samples_csv(rows).splitlines()
    assert lines[0].startswith("index,t,users,rps") and len(lines) == 4
    assert ",," in lines[1]
    assert lines[2] == "1,2.0,20,20.0,0.2,52.0,160.0,231.0,40,0,30.0,12.0"  # the sample's own values


def test_a_config_reads_as_one_line():
    """Only the knobs that differ from the model API's defaults are listed."""
    assert results.describe_config(CONFIG) == "20 users at 5/s for 20 s; API cpu_ms=8"
