"""The telemetry recorder's streamed-request figures, against hand-computed cases."""

import pytest

from labs.telemetry.recorder import Pending, Recorder

pytestmark = pytest.mark.dbfree


def test_streams_add_ttft_itl_tokens_and_goodput_to_samples_and_summary():
    recorder = Recorder()
    recorder.record("POST /v1/completions", 400.0, failed=False)
    recorder.record_stream(100.0, [10.0, 20.0, 30.0], 4, good=True, failed=False)
    recorder.record_stream(300.0, [40.0], 2, good=False, failed=False)
    sample = recorder.sample(1.0)
    assert sample["ttft_p50_ms"] == pytest.approx(100.0, rel=0.001)
    assert sample["ttft_p99_ms"] == pytest.approx(300.0, rel=0.001)
    assert sample["itl_p50_ms"] == pytest.approx(20.0, rel=0.001)  # gaps 10, 20, 30, 40: nearest rank 2
    assert sample["itl_p99_ms"] == pytest.approx(40.0, rel=0.001)
    assert (sample["tokens_per_s"], sample["goodput_rps"]) == (6.0, 1.0)
    second = recorder.sample(1.0)  # nothing new: the window (2 seconds now) halves the rates
    assert (second["tokens_per_s"], second["goodput_rps"]) == (3.0, 0.5)
    summary = recorder.summary(duration_s=2.0)["llm"]
    assert (summary["streams"], summary["good"], summary["failed"], summary["output_tokens"]) == (2, 1, 0, 6)
    assert (summary["tokens_per_s"], summary["goodput_rps"], summary["itl_gaps"]) == (3.0, 0.5, 4)
    assert summary["ttft"]["max_ms"] == pytest.approx(300.0, rel=0.001)
    assert summary["itl"]["mean_ms"] == pytest.approx(25.0, rel=0.001)


def test_no_stream_no_llm_figures():
    recorder = Recorder()
    recorder.record("POST /predict", 5.0, failed=False)
    assert "ttft_p50_ms" not in recorder.sample(1.0)
    assert "llm" not in recorder.summary(1.0)


def test_a_failed_stream_without_a_first_token_counts_but_records_no_ttft():
    recorder = Recorder()
    recorder.record_stream(None, [], 0, good=False, failed=True)
    summary = recorder.summary(1.0)["llm"]
    assert (summary["streams"], summary["failed"], summary["good"]) == (1, 1, 0)
    assert summary["ttft"]["p50_ms"] is None


def test_workers_stream_deltas_merge_exactly():
    single, master, workers = Recorder(), Recorder(), [Pending(), Pending()]
    for index in range(200):
        args = (50.0 + index, [5.0 + index % 7, 9.0], 3, index % 3 == 0, index % 50 == 0)
        single.record_stream(*args)
        workers[index % 2].record_stream(*args)
        if index % 30 == 0:
            master.add_delta(workers[index % 2].take())
    for worker in workers:
        master.add_delta(worker.take())
    assert single.summary(2.0)["llm"] == master.summary(2.0)["llm"]
    assert "streams" not in workers[0].take()  # nothing sent twice


def test_a_live_sample_never_walks_the_whole_histogram(monkeypatch):
    """hdrh's mean walks every bucket in Python (a fifth of a second): taken once a second inside Locust's event
    loop it would hold every user, and a streaming user would read its tokens in bursts (ITL near 0, then a
    long gap). The samples use percentiles only; the mean is for the final summary."""
    from hdrh.histogram import HdrHistogram

    recorder = Recorder()
    recorder.record("POST /v1/completions", 900.0, failed=False)
    recorder.record_stream(100.0, [30.0, 31.0], 3, good=True, failed=False)

    def walk(self):
        raise AssertionError("a live sample computed a mean")

    monkeypatch.setattr(HdrHistogram, "get_mean_value", walk)
    sample = recorder.sample(1.0)
    assert sample["p99_ms"] == pytest.approx(900.0, rel=0.001) and sample["itl_p99_ms"] == pytest.approx(31.0, rel=0.001)
