"""The labs' checkpoint questions (content/questions/labs.yaml): every calculated formula re-implemented by
hand from its prompt and checked against the engine with the sample run and three other plausible runs,
every choice key as intended, and every `from_run` name a measurement that a finished run really has.

The files are read with yaml.safe_load and graded with the pure engine, so no database is needed.
"""

import math

import pytest
import yaml
from bank_files import CONTENT, load_yaml

from labs import results
from quizsite.questions.grading import grade, sample_variables
from quizsite.questions.loader import spec_of

QUESTIONS = {
    q["id"]: q
    for q in load_yaml("questions", "labs")["questions"]
}
LABS = {
    path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted((CONTENT / "labs").glob("*.yaml"))
}


def slugs(*types: str) -> list[str]:
    return sorted(slug for slug, q in QUESTIONS.items() if q["type"] in types)


def run_variables(question: dict) -> dict:
    return {name: d for name, d in (question.get("variables") or {}).items() if isinstance(d, dict) and "from_run" in d}


# ---- what a finished run can fill -------------------------------------------------------------------------

# Read off labs/results.py: the top-level numbers that build() stores (RESULT_KEYS there) and the run's
# configuration that measurements() adds (CONFIG_KEYS: the load knobs and api_<knob> for every knob in
# labs.params.API_KNOBS). Per-endpoint figures (`<endpoint>_<figure>`) are known only after a run, and no
# checkpoint question uses them.
RUN_FIELDS = frozenset({
    # counted by the client (telemetry summary)
    "requests", "failures", "failure_percent", "rps", "load_duration_s",
    # exact client-side latency, HDR histogram
    "p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms", "min_ms", "mean_ms",
    # Locust's own bucketed figures
    "locust_p50_ms", "locust_p95_ms", "locust_p99_ms", "locust_max_ms", "locust_requests",
    # CPU: the model API's processes, and the load generator
    "api_cpu_percent", "generator_cpu_percent", "generator_cpu_peak", "generator_saturated",
    # from the per-second samples
    "peak_rps", "plateau_rps", "mean_users", "max_users",
    # Little's law, rps x mean_ms / 1000
    "in_flight",
    # the model API's /metrics/summary (busiest endpoint) and counters
    "server_requests", "server_mean_ms", "server_p50_ms", "server_p90_ms", "server_p95_ms", "server_p99_ms",
    "server_p999_ms", "server_max_ms",
    "cache_hits", "cache_misses", "cache_hit_ratio", "shed", "injected_errors", "api_cpu_work_s",
    # the SLO breach
    "users_at_slo_breach", "rps_at_slo_breach", "slo_ms",
    # the API's own view (event loop, in flight, waiting for a core)
    "api_in_flight_mean", "api_loop_lag_ms", "api_cpu_wait_percent", "server_rps",
    # the diagnosis (labs/analysis)
    "diagnosis_plateau_rps", "knee_users", "knee_second", "capacity_at_slo_rps", "first_breach_second",
    "first_breach_users", "first_breach_rps", "warmup_s",
    # streamed (LLM) runs: time to first token, inter-token gaps, tokens/s, goodput, the TTFT SLO breach
    "ttft_p50_ms", "ttft_p90_ms", "ttft_p95_ms", "ttft_p99_ms", "ttft_max_ms", "ttft_mean_ms",
    "itl_p50_ms", "itl_p90_ms", "itl_p95_ms", "itl_p99_ms", "itl_max_ms", "itl_mean_ms",
    "streams", "output_tokens", "tokens_per_s", "peak_tokens_per_s", "plateau_tokens_per_s",
    "good_requests", "goodput_rps", "goodput_percent", "ttft_slo_ms", "itl_slo_ms",
    "users_at_ttft_breach", "tokens_per_s_at_ttft_breach",
    # the run's configuration
    "users", "spawn_rate", "duration_s", "workers",
    "api_workers", "api_delay_median_ms", "api_delay_p99_ms", "api_cpu_ms", "api_io_ms", "api_blocking",
    "api_error_rate", "api_seed", "api_cache", "api_cache_size", "api_max_concurrency",
    "api_llm_max_batch", "api_llm_max_queue", "api_llm_prefill_ms_per_token", "api_llm_decode_ms_base",
    "api_llm_decode_ms_per_seq",
})  # fmt: skip


def from_run_fields() -> set[str]:
    return {d["from_run"] for q in QUESTIONS.values() for d in run_variables(q).values()}


def test_run_fields_match_results_module():
    """The list above is what results.py stores: a field renamed or dropped there fails here."""
    assert RUN_FIELDS == set(results.RESULT_KEYS) | set(results.DIAGNOSIS_KEYS) | set(results.CONFIG_KEYS)


def test_every_from_run_field_is_written_by_the_runner():
    unknown = sorted(from_run_fields() - RUN_FIELDS)
    assert unknown == [], f"from_run names no run measures: {unknown}"


def test_every_from_run_field_is_filled_by_a_built_run():
    """Build the results of a plausible finished run the way the runner does (results.build on the
    telemetry summary, the samples, the API's /metrics/summary and the config), and check that
    measurements() yields a number for every name the checkpoint questions read."""
    summary = {
        "requests": 1200, "failures": 3, "rps": 40.0, "duration_s": 30.0,
        "p50_ms": 12.1, "p90_ms": 40.2, "p95_ms": 60.3, "p99_ms": 180.4, "p999_ms": 300.5, "max_ms": 410.0,
        "min_ms": 2.0, "mean_ms": 20.5,
        "locust": {"requests": 1200, "failures": 3, "p50_ms": 12.0, "p95_ms": 60.0, "p99_ms": 180.0, "max_ms": 410.0},
        "endpoints": [{"method": "POST", "name": "/predict", "requests": 1200, "failures": 3, "rps": 40.0,
                       "mean_ms": 20.5, "p99_ms": 180.4, "locust_p99_ms": 180.0}],
        # a streamed run's figures (the LLM lab), from the telemetry plugin's summary
        "llm": {"streams": 300, "failed": 0, "good": 200, "output_tokens": 19000, "tokens_per_s": 180.0,
                "goodput_rps": 6.7, "ttft": {"p50_ms": 80.0, "p99_ms": 900.0}, "itl": {"p50_ms": 35.0}},
    }
    samples = [{"t": float(t), "users": 4 + t // 10, "rps": 38.0 + t % 5, "p99_ms": 90.0 + t,
                "generator_cpu": 20.0, "ttft_p99_ms": 60.0 * t, "tokens_per_s": 100.0 + t} for t in range(30)]
    metrics = {
        "endpoints": {"/predict": {"count": 1202, "mean_ms": 8.0, "p50_ms": 5.0, "p90_ms": 20.0, "p95_ms": 30.0,
                                   "p99_ms": 60.0, "p999_ms": 99.0, "max_ms": 120.0}},
        "counters": {"cache_hits": 700, "cache_misses": 502, "shed": 0, "injected_errors": 0,
                     "cpu_work_seconds": 5.0},
    }
    config = {"users": 4, "spawn_rate": 20, "duration_s": 30, "workers": 1,
              "api": {"workers": 1, "cpu_ms": 10.0, "io_ms": 50.0, "cache": True, "blocking": True,
                      "llm_max_batch": 8, "llm_decode_ms_base": 20.0, "llm_decode_ms_per_seq": 2.0},
              "env": {"TTFT_SLO_MS": "500", "ITL_SLO_MS": "50"}}
    built = results.build(summary, samples, metrics, 55.0, config, 100)
    measured = results.measurements(built, config)
    missing = sorted(from_run_fields() - set(measured))
    assert missing == [], f"a finished run leaves these unmeasured: {missing}"


def test_checkpoints_read_only_measurements_of_their_own_lab():
    """A lab's checkpoints read knobs that lab lists (api_<knob>), and every listed question exists."""
    for name, lab in LABS.items():
        knobs = set(lab.get("api") or {})
        for slug in lab["questions"]:
            assert slug in QUESTIONS, f"{name}: unknown question {slug}"
            for variable in run_variables(QUESTIONS[slug]).values():
                field = variable["from_run"]
                if field.startswith("api_") and field != "api_cpu_percent" and field != "api_cpu_work_s":
                    assert field[4:] in knobs, f"{name}: {slug} reads {field}, a knob this lab does not list"


def test_every_checkpoint_belongs_to_a_lab():
    listed = [slug for lab in LABS.values() for slug in lab["questions"]]
    assert sorted(listed) == sorted(QUESTIONS)
    assert len(listed) == len(set(listed))


# ---- calculated: re-implemented by hand from each prompt --------------------------------------------------

CALC = {
    # users loop through one response plus 1.5 s of think time
    "lab-first-predict-rps": lambda v: v["users"] / (1.5 + v["mean_ms"] / 1000),
    # 1% of the requests are above the P99
    "lab-first-slower-requests": lambda v: v["requests"] / 100,
    # a day's requests at that rate, 1% of them
    "lab-first-slow-per-day": lambda v: v["rps"] * 24 * 3600 / 100,
    "lab-first-tail-ratio": lambda v: v["p99_ms"] / v["p50_ms"],
    # Little's law, W in seconds
    "lab-break-in-flight": lambda v: v["rps"] * (v["mean_ms"] / 1000),
    # users = rps x (W + 0.2 s)  =>  W = users / rps - 0.2 s, in ms
    "lab-break-response-from-users": lambda v: 1000 * (v["mean_users"] / v["rps"] - 0.2),
    "lab-break-plateau": lambda v: v["plateau_rps"],
    # CPU ms per request = pct/100 x 1000 ms / rps; capacity = 1000 ms / that
    "lab-break-cpu-capacity": lambda v: 1000 / ((v["api_cpu_percent"] / 100) * 1000 / v["rps"]),
    "lab-cpuio-cpu-per-request": lambda v: (v["api_cpu_percent"] / 100) * 1000 / v["rps"],
    "lab-cpuio-ceiling": lambda v: v["api_workers"] * 1000 / ((v["api_cpu_percent"] / 100) * 1000 / v["rps"]),
    # blocked seconds per second, as a percentage
    "lab-blocking-loop-share": lambda v: 100 * v["rps"] * (v["api_io_ms"] / 1000),
    "lab-blocking-ceiling": lambda v: 1 / (v["api_io_ms"] / 1000),
    # users = rps x (W + 1 s)
    "lab-blocking-latency-from-users": lambda v: 1000 * (v["mean_users"] / v["rps"] - 1.0),
    "lab-cache-cpu-per-request": lambda v: v["api_cpu_ms"] * (1 - v["cache_hit_ratio"]),
    # CPU ms per second over misses per second
    "lab-cache-cost-per-miss": lambda v: (v["api_cpu_percent"] / 100 * 1000)
    / (v["rps"] - v["rps"] * v["cache_hit_ratio"]),
    "lab-cache-capacity": lambda v: v["api_workers"] * 1000 / ((1 - v["cache_hit_ratio"]) * v["api_cpu_ms"]),
    # the size of the relative difference, in percent of the exact P99
    "lab-p99-bucket-error": lambda v: abs(v["locust_p99_ms"] / v["p99_ms"] - 1) * 100,
    "lab-p99-outside-handler": lambda v: v["p99_ms"] - v["server_p99_ms"],
    "lab-p99-open-in-flight": lambda v: v["rps"] * v["mean_ms"] / 1000,
    # read off the charts: the run's own figures
    "lab-llm-ttft-breach": lambda v: v["users_at_ttft_breach"],
    "lab-llm-tokens-plateau": lambda v: v["plateau_tokens_per_s"],
    # a full step: B tokens every (D + S x B) ms
    "lab-llm-decode-ceiling": lambda v: v["api_llm_max_batch"]
    / ((v["api_llm_decode_ms_base"] + v["api_llm_decode_ms_per_seq"] * v["api_llm_max_batch"]) / 1000),
    "lab-llm-goodput": lambda v: v["good_requests"] / v["load_duration_s"],
}

# Three plausible runs per question (values as a run stores them: rps to 3 decimals, CPU to 0.1%,
# hit ratio to 4 decimals, mean users to 2 decimals), besides the questions' own `sample` values.
RUNS = {
    "lab-first-predict-rps": [
        {"users": 20, "mean_ms": 61.234, "rps": 11.873},
        {"users": 100, "mean_ms": 58.907, "rps": 58.12},
        {"users": 10, "mean_ms": 143.5, "rps": 5.402},
    ],
    "lab-first-slower-requests": [
        {"requests": 412, "p99_ms": 231.6},
        {"requests": 3561, "p99_ms": 249.1},
        {"requests": 1188, "p99_ms": 998.3},
    ],
    "lab-first-slow-per-day": [
        {"rps": 11.873, "p99_ms": 231.6},
        {"rps": 58.12, "p99_ms": 249.1},
        {"rps": 5.402, "p99_ms": 998.3},
    ],
    "lab-first-tail-ratio": [
        {"p50_ms": 50.432, "p99_ms": 243.712},
        {"p50_ms": 51.2, "p99_ms": 997.9},
        {"p50_ms": 3.1, "p99_ms": 9.87},
    ],
    "lab-break-in-flight": [
        {"rps": 102.417, "mean_ms": 96.321, "mean_users": 27.5},
        {"rps": 57.9, "mean_ms": 210.4, "mean_users": 24.0},
        {"rps": 48.3, "mean_ms": 12.8, "mean_users": 9.0},
    ],
    "lab-break-response-from-users": [
        {"mean_users": 27.5, "rps": 102.417, "mean_ms": 66.1},
        {"mean_users": 24.0, "rps": 57.9, "mean_ms": 210.4},
        {"mean_users": 60.75, "rps": 109.8, "mean_ms": 351.0},
    ],
    "lab-break-plateau": [{"plateau_rps": 108.4}, {"plateau_rps": 57.3}, {"plateau_rps": 61.0}],
    "lab-break-cpu-capacity": [
        {"api_cpu_percent": 97.3, "rps": 104.2},
        {"api_cpu_percent": 64.1, "rps": 52.87},
        {"api_cpu_percent": 35.0, "rps": 60.5},
    ],
    "lab-cpuio-cpu-per-request": [
        {"api_cpu_percent": 98.6, "rps": 45.312, "api_cpu_ms": 20},
        {"api_cpu_percent": 4.3, "rps": 57.91, "api_cpu_ms": 0},
        {"api_cpu_percent": 171.2, "rps": 79.6, "api_cpu_ms": 20},
    ],
    "lab-cpuio-ceiling": [
        {"api_cpu_percent": 98.6, "rps": 45.312, "api_workers": 1},
        {"api_cpu_percent": 4.3, "rps": 57.91, "api_workers": 1},
        {"api_cpu_percent": 171.2, "rps": 79.6, "api_workers": 2},
    ],
    "lab-blocking-loop-share": [
        {"rps": 19.61, "api_io_ms": 50},
        {"rps": 9.4, "api_io_ms": 100},
        {"rps": 28.7, "api_io_ms": 25},
    ],
    "lab-blocking-ceiling": [
        {"api_io_ms": 50, "rps": 19.61},
        {"api_io_ms": 10, "rps": 29.3},
        {"api_io_ms": 200, "rps": 4.9},
    ],
    "lab-blocking-latency-from-users": [
        {"mean_users": 28.93, "rps": 19.61, "mean_ms": 470.2},
        {"mean_users": 29.5, "rps": 28.04, "mean_ms": 53.1},
        {"mean_users": 95.2, "rps": 19.8, "mean_ms": 3790.0},
    ],
    "lab-cache-cpu-per-request": [
        {"cache_hit_ratio": 0.6123, "api_cpu_ms": 10},
        {"cache_hit_ratio": 0.9712, "api_cpu_ms": 10},
        {"cache_hit_ratio": 0.0, "api_cpu_ms": 10},
    ],
    "lab-cache-cost-per-miss": [
        {"rps": 128.4, "cache_hit_ratio": 0.6123, "api_cpu_percent": 61.5, "api_cpu_ms": 10},
        {"rps": 131.02, "cache_hit_ratio": 0.9712, "api_cpu_percent": 9.8, "api_cpu_ms": 10},
        {"rps": 88.7, "cache_hit_ratio": 0.0, "api_cpu_percent": 99.1, "api_cpu_ms": 10},
    ],
    "lab-cache-capacity": [
        {"api_workers": 1, "api_cpu_ms": 10, "cache_hit_ratio": 0.6123},
        {"api_workers": 2, "api_cpu_ms": 10, "cache_hit_ratio": 0.5481},
        {"api_workers": 2, "api_cpu_ms": 10, "cache_hit_ratio": 0.0},
    ],
    "lab-p99-bucket-error": [
        {"locust_p99_ms": 240.0, "p99_ms": 236.415},
        {"locust_p99_ms": 1100.0, "p99_ms": 1143.807},
        {"locust_p99_ms": 110.0, "p99_ms": 105.2},
    ],
    "lab-p99-outside-handler": [
        {"p99_ms": 1503.2, "server_p99_ms": 99.8},
        {"p99_ms": 104.71, "server_p99_ms": 98.9},
        {"p99_ms": 412.0, "server_p99_ms": 160.3},
    ],
    "lab-p99-open-in-flight": [
        {"rps": 39.967, "mean_ms": 35.2},
        {"rps": 40.01, "mean_ms": 612.4},
        {"rps": 31.5, "mean_ms": 7.9},
    ],
    # the standard load steps 3 users at a time: breaches from 12 users up keep a 30% error outside +-3
    "lab-llm-ttft-breach": [
        {"users_at_ttft_breach": 12, "ttft_slo_ms": 500.0, "api_llm_max_batch": 8},
        {"users_at_ttft_breach": 21, "ttft_slo_ms": 500.0, "api_llm_max_batch": 16},
        {"users_at_ttft_breach": 15, "ttft_slo_ms": 500.0, "api_llm_max_batch": 8},
    ],
    "lab-llm-tokens-plateau": [
        {"plateau_tokens_per_s": 187.3}, {"plateau_tokens_per_s": 96.5}, {"plateau_tokens_per_s": 301.2},
    ],
    "lab-llm-decode-ceiling": [
        {"api_llm_max_batch": 8, "api_llm_decode_ms_base": 20.0, "api_llm_decode_ms_per_seq": 2.0,
         "plateau_tokens_per_s": 187.3},
        {"api_llm_max_batch": 16, "api_llm_decode_ms_base": 20.0, "api_llm_decode_ms_per_seq": 2.0,
         "plateau_tokens_per_s": 250.1},
        {"api_llm_max_batch": 4, "api_llm_decode_ms_base": 20.0, "api_llm_decode_ms_per_seq": 7.5,
         "plateau_tokens_per_s": 61.0},
    ],
    "lab-llm-goodput": [
        {"streams": 312, "load_duration_s": 64.02, "good_requests": 171, "ttft_slo_ms": 500.0, "itl_slo_ms": 50.0},
        {"streams": 140, "load_duration_s": 48.0, "good_requests": 139, "ttft_slo_ms": 500.0, "itl_slo_ms": 50.0},
        {"streams": 298, "load_duration_s": 63.9, "good_requests": 12, "ttft_slo_ms": 500.0, "itl_slo_ms": 50.0},
    ],
}


def test_every_calculated_checkpoint_has_a_reimplementation():
    assert sorted(set(slugs("calculated")) - set(CALC)) == []
    assert sorted(set(CALC) - set(slugs("calculated"))) == []
    assert sorted(RUNS) == sorted(CALC)


def _cases():
    for slug in sorted(CALC):
        question = QUESTIONS.get(slug)
        sample = {name: d["sample"] for name, d in run_variables(question).items()} if question else {}
        yield pytest.param(slug, sample, id=f"{slug}-sample")
        for index, values in enumerate(RUNS.get(slug, [])):
            yield pytest.param(slug, values, id=f"{slug}-run{index + 1}")


@pytest.mark.parametrize(("slug", "values"), list(_cases()))
def test_calculated_checkpoint_is_graded_like_the_reimplementation(slug, values):
    question = QUESTIONS[slug]
    spec = spec_of(question)
    assert set(values) == set(run_variables(question)), "the test's run must fill every from_run variable"
    variables = {**sample_variables(spec, "learner-1"), **values}
    expected = CALC[slug](variables)
    assert math.isfinite(expected) and expected > 0
    assert grade(spec, f"{expected}", variables).verdict == "correct"
    assert grade(spec, f"{expected * 1.3}", variables).verdict != "correct"
    assert grade(spec, f"{expected * 0.7}", variables).verdict != "correct"


def _shown(value: float) -> float:
    """A measurement as the prompt shows it: 4 significant figures (more are shown, never fewer)."""
    return float(f"{value:.4g}")


@pytest.mark.parametrize(("slug", "values"), list(_cases()))
def test_answer_from_the_displayed_numbers_is_accepted(slug, values):
    """A learner works from the numbers as displayed; that answer, given to 3 significant figures, is
    inside the tolerance (except the plateau, which is read off a chart by design)."""
    spec = spec_of(QUESTIONS[slug])
    shown = {name: _shown(value) for name, value in values.items()}
    answer = float(f"{CALC[slug](shown):.3g}")
    if slug == "lab-break-plateau":
        answer = round(CALC[slug](values) * 1.1)  # read off the chart 10% high
    if slug == "lab-llm-tokens-plateau":
        answer = round(CALC[slug](values) * 0.85)  # read off the chart 15% low
    assert grade(spec, f"{answer}", values).verdict == "correct"


def test_tolerance_is_stated_in_every_calculated_prompt():
    for slug in slugs("calculated"):
        assert "to within" in QUESTIONS[slug]["prompt"], slug


# ---- choice checkpoints: exactly the intended keys ----------------------------------------------------------

CORRECT_CHOICES = {
    "lab-cpuio-fix-cpu-bound": {"a", "b"},  # more cores; less CPU per request
    "lab-cpuio-fix-io-bound": {"a", "b"},  # overlap the waits; skip them with a cache
    "lab-blocking-fix": {"a"},  # await it, or run it in a thread pool
    "lab-cache-workers-not-double": {"a", "b", "d"},  # per-process caches; Locust shares the cores; offered load
    "lab-p99-coordinated-omission": {"a"},  # the open loop measures the stalls
}


def test_every_choice_checkpoint_has_intended_keys():
    assert sorted(CORRECT_CHOICES) == slugs("single", "multiple")


@pytest.mark.parametrize("slug", sorted(CORRECT_CHOICES))
def test_choice_keys_are_exactly_the_intended_ones(slug):
    question = QUESTIONS[slug]
    spec = spec_of(question)
    marked = {c["id"] for c in question["choices"] if c.get("correct") is True}
    assert marked == CORRECT_CHOICES[slug]
    assert all(c.get("feedback") for c in question["choices"]), "every choice explains itself"
    multiple = question["type"] == "multiple"
    assert grade(spec, sorted(marked) if multiple else next(iter(marked))).verdict == "correct"
    for choice in question["choices"]:
        if not choice["correct"]:
            response = sorted(marked | {choice["id"]}) if multiple else choice["id"]
            assert grade(spec, response).verdict != "correct"
