"""bench/site.py's arithmetic: wrk's figures, the ratios and the verdicts, on hand-computed cases."""

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.dbfree

_spec = importlib.util.spec_from_file_location(
    "bench_site", Path(__file__).resolve().parents[2] / "bench" / "site.py")
site = importlib.util.module_from_spec(_spec)
sys.modules["bench_site"] = site  # dataclasses look their module up
_spec.loader.exec_module(site)

WRK_OUTPUT = """Running 4s test @ http://127.0.0.1:8130/healthz
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    21.50ms    4.20ms  80.00ms   90.00%
  3000 requests in 4.00s, 1.00MB read
Requests/sec:    750.00
Transfer/sec:    256.00KB
WRKJSON {"requests": 3000, "duration_us": 4000000, "p50_us": 20500, "p99_us": 71250, "errors": 0, "status_4xx_5xx": 0}
"""


def test_parse_wrk_reads_the_summary_line():
    """3,000 requests in 4 s are 750 req/s; microseconds become milliseconds."""
    result = site.parse_wrk(WRK_OUTPUT)
    assert result.requests == 3000
    assert result.rps == 750.0
    assert result.p50_ms == 20.5
    assert result.p99_ms == 71.25
    assert result.errors == 0


def test_error_statuses_count_as_errors_unless_the_target_is_an_error_page():
    """Socket errors always count; 4xx/5xx responses count except for the JSON 404 row."""
    output = WRK_OUTPUT.replace('"errors": 0, "status_4xx_5xx": 0', '"errors": 2, "status_4xx_5xx": 40')
    assert site.parse_wrk(output).errors == 42
    assert site.parse_wrk(output, expect_error_status=True).errors == 2
    assert site.Target("404", "/api/v1/no-such-thing", "info").expect_404
    assert not site.Target("page", "/questions/", "page").expect_404


def test_parse_wrk_without_a_summary_is_an_error():
    with pytest.raises(RuntimeError, match="no summary"):
        site.parse_wrk("Running 4s test\n  connection refused\n")


def test_verdicts_at_and_around_the_thresholds():
    """A page needs half the baseline, grading a third; any failed request fails the row."""
    assert site.verdict("page", 0.5, 0) == "ok"
    assert site.verdict("page", 0.49, 0) == "FAIL"
    assert site.verdict("grade", 0.34, 0) == "ok"
    assert site.verdict("grade", 0.33, 0) == "FAIL"
    assert site.verdict("info", 0.01, 0) == "info"
    assert site.verdict("baseline", 1.0, 0) == "base"
    assert site.verdict("page", 3.0, 1) == "FAIL"


def test_table_ratios_are_to_the_baseline_of_the_same_run():
    """Baseline 800 req/s: a page at 400 (0.50) passes, one at 360 (0.45) fails, grading at 280 (0.35) passes."""
    def result(rps, p99_ms=50.0, errors=0):
        return site.Result(requests=int(rps * 4), duration_s=4.0, p50_ms=10.0, p99_ms=p99_ms, errors=errors)

    rows = [(site.Target("base", "/healthz", "baseline"), result(800)),
            (site.Target("fast page", "/a", "page"), result(400)),
            (site.Target("grading", "/g", "grade", method="POST", body="{}"), result(280, p99_ms=1250))]
    text, passed = site.table(rows)
    assert passed
    assert "| fast page | 400 | 50 ms | 0.50 | 0.50 | ok |" in text
    assert "| grading | 280 | 1.25 s | 0.35 | 0.33 | ok |" in text
    rows.append((site.Target("slow page", "/b", "page"), result(360)))
    text, passed = site.table(rows)
    assert not passed
    assert "| slow page | 360 | 50 ms | 0.45 | 0.50 | FAIL |" in text


def test_lua_script_sets_the_method_and_a_literal_body():
    script = site.lua_script("POST", '{"answer": "a \\"quoted\\" [[text]]"}')
    assert 'wrk.method = "POST"' in script
    assert 'wrk.body = [==[{"answer": "a \\"quoted\\" [[text]]"}]==]' in script
    assert "function done(summary, latency, requests)" in script
    with pytest.raises(ValueError):
        site.lua_script("POST", "]==]")


def test_the_median_round_carries_its_own_ratio_and_every_rounds_errors():
    """Three rounds with ratios 0.40, 0.25 and 0.55: the median is 0.40's round; errors add up (1 + 0 + 2)."""
    low = site.Result(requests=100, duration_s=1.0, p50_ms=5, p99_ms=50, errors=0)
    mid = site.Result(requests=160, duration_s=1.0, p50_ms=4, p99_ms=40, errors=1)
    high = site.Result(requests=220, duration_s=1.0, p50_ms=3, p99_ms=30, errors=2)
    ratio, result = site.median_round([(0.40, mid), (0.25, low), (0.55, high)])
    assert ratio == 0.40
    assert (result.requests, result.p99_ms, result.errors) == (160, 40, 3)
    # An even count takes the lower middle: the verdict never rests on the luckier of two.
    assert site.median_round([(0.6, high), (0.3, low)])[0] == 0.3


def test_a_row_measured_in_rounds_is_judged_by_its_own_ratio():
    base = site.Result(requests=1000, duration_s=1.0, p50_ms=1, p99_ms=10, errors=0)
    page = site.Result(requests=900, duration_s=1.0, p50_ms=2, p99_ms=20, errors=0)  # 0.90 of this base...
    rows = [(site.Target("base", "/healthz", "baseline"), base, 1.0),
            (site.Target("page", "/", "page"), page, 0.45)]  # ...but 0.45 of the baselines its rounds ran beside
    text, passed = site.table(rows)
    assert not passed and "| 0.45 |" in text
