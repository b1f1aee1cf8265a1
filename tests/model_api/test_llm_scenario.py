"""locust_scenarios/llm_stream.py under real Locust, with the telemetry plugin, against a real model API."""

from __future__ import annotations

import pytest
from model_api_helpers import run_locust, start_model_api

pytestmark = [pytest.mark.slow, pytest.mark.dbfree]

# batch 2; a 40-token prompt costs 20 ms of prefill; decode 10 ms + 10 ms per sequence
KNOBS = ("--llm-max-batch", "2", "--llm-max-queue", "8", "--llm-prefill-ms-per-token", "0.5",
         "--llm-decode-ms-base", "10", "--llm-decode-ms-per-seq", "10")
ENV = {"PROMPT_TOKENS": "40", "OUTPUT_TOKENS_MIN": "8", "OUTPUT_TOKENS_MAX": "12", "WAIT_MIN": "0.05",
       "WAIT_MAX": "0.1", "TTFT_SLO_MS": "1000", "ITL_SLO_MS": "25"}


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    server = start_model_api(*KNOBS, tmp_dir=tmp_path_factory.mktemp("llm_scenario"))
    yield server
    server.stop()


def test_the_scenario_measures_ttft_itl_tokens_and_goodput(api, tmp_path):
    run = run_locust("llm_stream.py", api.url, tmp_path, "-u", "4", "-r", "4", "-t", "4s", env=ENV,
                     telemetry=True, timeout=60)
    assert run.returncode == 0, run.output
    entry = run.entry("/v1/completions")
    assert entry["num_requests"] > 5 and run.failures == 0
    summary = next(line for line in run.telemetry if line["type"] == "summary")
    llm = summary["llm"]
    assert llm["streams"] == entry["num_requests"] and llm["failed"] == 0
    assert 8 * llm["streams"] <= llm["output_tokens"] <= 12 * llm["streams"]
    assert llm["itl_gaps"] == llm["output_tokens"] - llm["streams"]  # n tokens, n - 1 gaps per stream
    # 4 users on 2 slots: a full batch steps every 30 ms (10 + 2 x 10); half the users wait in the queue
    assert 20 <= llm["itl"]["p50_ms"] <= 300  # generous: a busy machine stretches every step
    assert llm["ttft"]["p90_ms"] > llm["itl"]["p50_ms"]
    # the ITL SLO (25 ms) is below a full batch's step: few requests are good, and goodput <= throughput
    assert llm["good"] < llm["streams"] / 2
    assert llm["goodput_rps"] <= summary["rps"]
    assert llm["tokens_per_s"] == pytest.approx(llm["output_tokens"] / summary["duration_s"], rel=0.01)
    assert 0 < llm["tokens_per_s"] <= 2 / 0.030 * 1.2  # never more than 2 tokens per 30 ms step
    # Locust's request time is the whole stream: longer than the first token
    assert summary["p50_ms"] > llm["ttft"]["p50_ms"]
    loaded = [s for s in run.samples if s["users"] and s.get("ttft_p50_ms") is not None]
    assert loaded and all(s["tokens_per_s"] > 0 for s in loaded[1:])
    assert {"itl_p50_ms", "itl_p99_ms", "ttft_p99_ms", "goodput_rps"} <= set(loaded[-1])


def test_the_chat_variant_and_the_step_shape(api, tmp_path):
    env = {**ENV, "CHAT": "1", "MAX_USERS": "2", "STEP_USERS": "1", "STEP_SECONDS": "1.5", "SPAWN_RATE": "10"}
    run = run_locust("llm_stream.py", api.url, tmp_path, env=env, telemetry=True, timeout=60)
    assert run.returncode == 0, run.output
    assert run.entry("/v1/chat/completions")["num_requests"] > 2 and run.failures == 0
    users = [s["users"] for s in run.samples if s["users"]]
    assert users and max(users) == 2 and users == sorted(users)


def test_a_refused_stream_is_a_failure(tmp_path):
    tiny = start_model_api("--llm-max-batch", "1", "--llm-max-queue", "0", "--llm-decode-ms-base", "50",
                           tmp_dir=tmp_path)
    try:
        run = run_locust("llm_stream.py", tiny.url, tmp_path, "-u", "3", "-r", "3", "-t", "2s",
                         env={**ENV, "WAIT_MIN": "0", "WAIT_MAX": "0"}, telemetry=True, timeout=60)
    finally:
        tiny.stop()
    summary = next(line for line in run.telemetry if line["type"] == "summary")
    assert summary["llm"]["failed"] > 0 and summary["failures"] == summary["llm"]["failed"]
    assert any("HTTP 503" in e["error"] for e in summary["errors"])
