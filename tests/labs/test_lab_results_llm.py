"""The results of a streamed (LLM) run: TTFT, ITL, tokens/s and goodput, against hand-computed cases."""

import pytest

from labs import results
from tests.labs.conftest import SUMMARY

pytestmark = pytest.mark.dbfree

LLM = {"streams": 40, "failed": 0, "good": 30, "output_tokens": 2400, "tokens_per_s": 120.0, "goodput_rps": 1.5,
       "ttft": {"p50_ms": 80.0, "p90_ms": 400.0, "p95_ms": 900.0, "p99_ms": 1500.0, "max_ms": 1600.0,
                "mean_ms": 300.0},
       "itl": {"p50_ms": 30.0, "p90_ms": 40.0, "p95_ms": 45.0, "p99_ms": 60.0, "max_ms": 90.0, "mean_ms": 32.0},
       "itl_gaps": 2360}
CONFIG = {"users": 16, "spawn_rate": 4.0, "duration_s": 20, "workers": 1, "api": {"llm_max_batch": 8},
          "env": {"TTFT_SLO_MS": "500", "ITL_SLO_MS": "60"}}


def stream_samples():
    """Eight seconds: users 2, 2, 4, 4, 8, 8, 16, 16; TTFT P99 climbs through 500 ms at the second 16-user second."""
    ttft = [70, 75, 90, 100, 300, 450, 480, 2000]
    tokens = [40, 42, 80, 84, 150, 155, 160, 158]
    users = [2, 2, 4, 4, 8, 8, 16, 16]
    return [{"index": i, "t": i + 1.0, "users": users[i], "rps": 1.0, "ttft_p99_ms": ttft[i],
             "ttft_p50_ms": ttft[i] / 2, "itl_p50_ms": 30.0, "itl_p99_ms": 50.0, "tokens_per_s": tokens[i],
             "goodput_rps": 1.0} for i in range(8)]


def test_stream_figures_come_from_the_summary_and_the_samples():
    built = results.build({**SUMMARY, "llm": LLM}, stream_samples(), None, None, CONFIG, None)
    assert (built["ttft_p50_ms"], built["ttft_p99_ms"], built["itl_p50_ms"], built["itl_p99_ms"]) == (80, 1500, 30, 60)
    assert (built["tokens_per_s"], built["goodput_rps"], built["good_requests"], built["streams"]) == (120, 1.5, 30, 40)
    assert built["goodput_percent"] == 75.0  # 30 of 40
    assert (built["ttft_slo_ms"], built["itl_slo_ms"]) == (500.0, 60.0)
    assert built["peak_tokens_per_s"] == 160
    assert built["plateau_tokens_per_s"] == 159.0  # the busiest quarter of 8 seconds: 160 and 158
    # the last second (2,000 ms) is the first whose TTFT P99 is above 500 ms: 16 users, 158 tokens/s
    assert (built["users_at_ttft_breach"], built["tokens_per_s_at_ttft_breach"]) == (16, 158.0)
    values = results.measurements(built, CONFIG)
    assert values["goodput_rps"] == 1.5 and values["api_llm_max_batch"] == 8 and values["users_at_ttft_breach"] == 16
    assert all(results.known_measurement(k) for k in results.LLM_KEYS)


def test_a_run_without_streams_has_no_stream_figures():
    built = results.build(SUMMARY, [], None, None, {"users": 1, "duration_s": 5}, None)
    assert all(built[key] is None for key in results.LLM_KEYS)
    assert not any(k.startswith(("ttft_", "itl_", "tokens_")) for k in results.measurements(built, {}))


def test_no_breach_when_ttft_stays_under_the_slo():
    rows = stream_samples()[:6]
    built = results.build({**SUMMARY, "llm": LLM}, rows, None, None, CONFIG, None)
    assert built["users_at_ttft_breach"] is None


def test_the_samples_csv_gains_the_stream_columns_for_a_streamed_run():
    text = results.samples_csv(stream_samples())
    header = text.splitlines()[0].split(",")
    assert header[-6:] == ["ttft_p50_ms", "ttft_p99_ms", "itl_p50_ms", "itl_p99_ms", "tokens_per_s", "goodput_rps"]
    assert "tokens_per_s" not in results.samples_csv([{"index": 0, "t": 1.0, "users": 1}])
