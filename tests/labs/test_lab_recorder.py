"""The telemetry recorder: exact percentiles, a sliding window, and lossless merging of workers' deltas."""

import random

import numpy as np
import pytest

from labs.telemetry.recorder import Pending, Recorder


def latencies(seed: int, n: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.lognormvariate(np.log(40), 0.69) for _ in range(n)]


def test_percentiles_match_the_exact_ones_within_a_tenth_of_a_percent():
    """HDR with 3 significant digits: every percentile within 0.1% of numpy's exact value."""
    values = latencies(1, 20_000)
    recorder = Recorder()
    for value in values:
        recorder.record("POST /predict", value, failed=False)
    summary = recorder.summary(duration_s=10)
    for key, q in (("p50_ms", 50), ("p95_ms", 95), ("p99_ms", 99), ("p999_ms", 99.9)):
        exact = float(np.percentile(values, q, method="inverted_cdf"))
        assert abs(summary[key] - exact) / exact < 0.002, (key, summary[key], exact)
    assert summary["requests"] == 20_000 and summary["rps"] == 2000
    assert abs(summary["max_ms"] - max(values)) / max(values) < 0.001


def test_workers_deltas_merge_to_the_same_summary_as_one_process():
    """Two workers sending deltas every second give the master exactly what one recorder would see."""
    values = latencies(2, 6_000)
    single = Recorder()
    master = Recorder()
    workers = [Pending(), Pending()]
    for index, value in enumerate(values):
        failed = index % 50 == 0
        key = "POST /predict" if index % 3 else "POST /work/io"
        single.record(key, value, failed)
        workers[index % 2].record(key, value, failed)
        if index % 700 == 0:  # a message now and then, as the plugin's one-second loop does
            master.add_delta(workers[index % 2].take())
    for worker in workers:
        master.add_delta(worker.take())  # the final flush
    one, merged = single.summary(3), master.summary(3)
    for key in ("requests", "failures", "p50_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms"):
        assert one[key] == merged[key], key
    assert [e["requests"] for e in one["endpoints"]] == [e["requests"] for e in merged["endpoints"]]
    assert workers[0].take() == {"endpoints": {}}  # nothing is sent twice


def test_a_sample_covers_the_last_second_and_a_three_second_window():
    """RPS counts the closed second; window percentiles cover the last three seconds."""
    recorder = Recorder()
    for _ in range(100):
        recorder.record("GET /", 10.0, failed=False)
    first = recorder.sample(1.0)
    assert (first["rps"], first["requests"]) == (100, 100)
    assert 10.0 <= first["p99_ms"] <= 10.01  # HDR reports the top of the 0.1%-wide bucket
    for _ in range(50):
        recorder.record("GET /", 500.0, failed=True)
    second = recorder.sample(1.0)
    assert (second["rps"], second["failures_per_s"]) == (50, 50)
    assert 499 <= second["p99_ms"] <= 501 and 9.9 <= second["p50_ms"] <= 10.1
    for _ in range(3):
        recorder.sample(1.0)
    empty = recorder.sample(1.0)
    assert empty["rps"] == 0 and empty["p99_ms"] is None


def test_an_empty_run_summarises_to_zero_requests():
    """No requests: counts of zero and no percentiles, not an error."""
    summary = Recorder().summary(5)
    assert summary["requests"] == 0 and summary["p99_ms"] is None and summary["endpoints"] == []
    full = Recorder()
    full.record("GET /", 10.0, failed=False)
    assert summary.keys() == full.summary(5).keys()  # the same fields, empty
    for key in ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms", "min_ms", "max_ms", "mean_ms"):
        assert summary[key] is None, key
    assert summary["histogram"] == "" and full.summary(5)["histogram"] != ""


def test_each_endpoint_has_its_own_percentiles():
    """Two endpoints of different latency, worked out by hand: a fast one at 1..100 ms and a slow one at
    101..200 ms (one request each). Each endpoint's p50/p99 come from its own requests only; the overall
    ones from all 200. (HDR reports a value within 0.1% of the exact one.)"""
    recorder = Recorder()
    for ms in range(1, 101):
        recorder.record("GET /fast", float(ms), failed=False)
        recorder.record("POST /slow", float(ms + 100), failed=ms % 10 == 0)
    summary = recorder.summary(duration_s=4)
    fast, slow = summary["endpoints"]
    assert (fast["method"], fast["name"], slow["method"], slow["name"]) == ("GET", "/fast", "POST", "/slow")
    expected = {
        # (p50, p90, p99, min, max, mean): the nearest-rank percentiles of 1..100 ms and of 101..200 ms
        "fast": (50, 90, 99, 1, 100, 50.5),
        "slow": (150, 190, 199, 101, 200, 150.5),
        "overall": (100, 180, 198, 1, 200, 100.5),
    }
    for name, numbers in (("fast", fast), ("slow", slow), ("overall", summary)):
        p50, p90, p99, low, high, mean = expected[name]
        got = (numbers["p50_ms"], numbers["p90_ms"], numbers["p99_ms"], numbers["min_ms"], numbers["max_ms"],
               numbers["mean_ms"])
        for value, exact in zip(got, (p50, p90, p99, low, high, mean), strict=True):
            assert value == pytest.approx(exact, rel=0.001), (name, got)
    assert (fast["requests"], fast["failures"], fast["rps"]) == (100, 0, 25)
    assert (slow["requests"], slow["failures"], slow["rps"]) == (100, 10, 25)


def test_a_workers_delta_counts_in_the_live_sample():
    """In a distributed run the master sees requests only through deltas: both workers' deltas of a second
    make that second's RPS, failures/s and window percentiles, not only the final totals."""
    master = Recorder()
    workers = [Pending(), Pending()]
    for index in range(40):
        workers[index % 2].record("POST /predict", 30.0, failed=index < 4)
    for worker in workers:
        master.add_delta(worker.take())
    live = master.sample(2.0)
    assert (live["rps"], live["failures_per_s"], live["requests"], live["failures"]) == (20, 2, 40, 4)
    for key in ("p50_ms", "p95_ms", "p99_ms"):
        assert live[key] == pytest.approx(30, rel=0.001), key
    quiet = master.sample(1.0)  # nothing new: no requests this second, the window still holds them
    assert quiet["rps"] == 0 and quiet["p99_ms"] == pytest.approx(30, rel=0.001)


def test_figures_keep_microseconds_and_three_decimals():
    """Latencies under about 2 ms are held exactly to the microsecond (HDR, 3 significant figures) and
    reported in ms with three decimals; rates are rounded to three decimals too."""
    recorder = Recorder()
    recorder.record("GET /tiny", 1.234, failed=False)
    recorder.record("GET /tiny", 1.5, failed=True)
    live = recorder.sample(3.0)
    assert (live["rps"], live["failures_per_s"]) == (0.667, 0.333)
    assert (live["p50_ms"], live["p95_ms"], live["p99_ms"]) == (1.234, 1.5, 1.5)
    summary = recorder.summary(duration_s=3.0)
    (endpoint,) = summary["endpoints"]
    for numbers in (summary, endpoint):
        assert (numbers["p50_ms"], numbers["p90_ms"], numbers["p99_ms"], numbers["p999_ms"]) == (1.234, 1.5, 1.5, 1.5)
        assert (numbers["min_ms"], numbers["max_ms"], numbers["mean_ms"]) == (1.234, 1.5, 1.367)
        assert numbers["rps"] == 0.667
    assert summary["duration_s"] == 3.0 and endpoint["failures"] == 1


def test_a_short_second_counts_its_own_length():
    """A tick that comes early after a late one closes a slice shorter than a second: RPS is per second of
    that slice (10 requests in 0.5 s is 20/s), and an instant slice does not divide by zero."""
    recorder = Recorder()
    for _ in range(10):
        recorder.record("GET /", 5.0, failed=False)
    assert recorder.sample(0.5)["rps"] == 20
    assert recorder.sample(0.0)["rps"] == 0


def test_a_summary_keeps_endpoint_names_with_spaces_and_short_durations():
    """Locust names may hold spaces ("predict (batch)"): only the first space splits off the method. The
    duration is kept to the millisecond and a run shorter than a second still counts per second."""
    recorder = Recorder()
    for _ in range(10):
        recorder.record("POST predict (batch)", 5.0, failed=False)
    summary = recorder.summary(duration_s=0.5004)
    assert (summary["endpoints"][0]["method"], summary["endpoints"][0]["name"]) == ("POST", "predict (batch)")
    assert summary["duration_s"] == 0.5 and summary["rps"] == pytest.approx(19.984, abs=0.001)
    assert recorder.summary(duration_s=2.3456)["duration_s"] == 2.346


def test_each_sample_carries_its_seconds_latencies_as_a_compact_histogram():
    """The live sample holds that second's requests (not the 3-second window) in log buckets, and a worker's
    delta carries its own, so a distributed run's samples have them too; merged they give the percentiles."""
    from labs.analysis import histogram as hist

    recorder = Recorder()
    for value in (10.0,) * 98 + (200.0,) * 2:
        recorder.record("POST /predict", value, failed=False)
    first = recorder.sample(1.0)
    assert hist.count(hist.decode(first["histogram"])) == 100
    assert len(first["histogram"]) <= 1 + hist.bucket(200.0) - hist.bucket(10.0) + 1
    master, worker = Recorder(), Pending()
    for value in (50.0,) * 10:
        worker.record("POST /predict", value, failed=False)
    master.add_delta(worker.take())
    second = master.sample(1.0)
    assert hist.decode(second["histogram"]) == {hist.bucket(50.0): 10}
    merged = hist.merge([first["histogram"], second["histogram"]])
    assert hist.percentile(merged, 0.5) == pytest.approx(10.0, rel=0.025)
    assert hist.percentile(merged, 0.99) == pytest.approx(200.0, rel=0.025)
    assert master.sample(1.0)["histogram"] == []  # an idle second
