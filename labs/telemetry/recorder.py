"""Latency recording for the telemetry plugin: HDR histograms per endpoint, a sliding window, deltas.

This module imports no Locust and no gevent, so it is tested on its own. The plugin (plugin.py) feeds it
every request Locust makes. Latencies are recorded in microseconds (1 us to 1 hour, 3 significant
figures: every percentile is within 0.1% of the exact value).

- `Recorder` keeps totals per endpoint and one histogram per second for the sliding window; the local
  runner and the master own one. `sample()` closes the current second and returns a live sample (with that
  second's latencies as a compact log-bucket histogram, labs/analysis/histogram.py, which the run analysis
  merges per step); `summary()` returns the final numbers.
- Streams (the LLM scenario, `record_stream`): time to first token and every inter-token gap in two more
  HDR histograms, output tokens and good requests (met both SLOs), in total and per second; samples and
  the summary gain them only once a stream was recorded, so other scenarios' lines do not change.
- `Pending` is what a distributed worker keeps between two messages to the master: the requests since the
  last send, per endpoint, as encoded histograms (`take()` returns them and starts afresh). The master
  adds each delta to its Recorder with `add_delta()`, so nothing is counted twice or lost.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from hdrh.histogram import HdrHistogram

from labs.analysis import histogram as loghist

LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # one hour
SIGNIFICANT_FIGURES = 3
WINDOW_S = 3  # live percentiles cover the last 3 one-second slices (RPS covers the last one)
PERCENTILES = (("p50_ms", 50.0), ("p90_ms", 90.0), ("p95_ms", 95.0), ("p99_ms", 99.0), ("p999_ms", 99.9))


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES)


def to_us(response_time_ms: float) -> int:
    """Locust's response time (float milliseconds) as whole microseconds inside the histogram's range."""
    return min(HIGHEST_US, max(LOWEST_US, round(response_time_ms * 1000)))


def percentiles_ms(histogram: HdrHistogram) -> dict[str, float | None]:
    """p50..p99.9, min, max and mean of a histogram, in milliseconds (None when it is empty)."""
    if histogram.get_total_count() == 0:
        return {**{name: None for name, _ in PERCENTILES}, "max_ms": None, "min_ms": None, "mean_ms": None}
    values = histogram.get_percentile_to_value_dict([q for _, q in PERCENTILES])
    result: dict[str, float | None] = {name: round(values[q] / 1000, 3) for name, q in PERCENTILES}
    result["max_ms"] = round(histogram.get_max_value() / 1000, 3)
    result["min_ms"] = round(histogram.get_min_value() / 1000, 3)
    result["mean_ms"] = round(histogram.get_mean_value() / 1000, 3)
    return result


def window_percentiles_ms(histogram: HdrHistogram) -> dict[str, float | None]:
    """p50, p95 and p99 only, for the live samples: hdrh's mean walks every bucket in Python (a fifth of a
    second), and a sample is taken inside Locust's event loop, where such a pause would delay every user."""
    names = (("p50_ms", 50.0), ("p95_ms", 95.0), ("p99_ms", 99.0))
    if histogram.get_total_count() == 0:
        return {name: None for name, _ in names}
    values = histogram.get_percentile_to_value_dict([q for _, q in names])
    return {name: round(values[q] / 1000, 3) for name, q in names}


@dataclass
class Endpoint:
    """Every request to one endpoint ("POST /predict") so far."""

    histogram: HdrHistogram = field(default_factory=new_histogram)
    requests: int = 0
    failures: int = 0
    buckets: dict[int, int] = field(default_factory=dict)  # log buckets (a distributed worker's Pending only)


@dataclass
class Streams:
    """Streamed (LLM) requests: TTFT and inter-token gaps, output tokens, good requests."""

    ttft: HdrHistogram = field(default_factory=new_histogram)
    itl: HdrHistogram = field(default_factory=new_histogram)
    count: int = 0
    failed: int = 0
    good: int = 0
    tokens: int = 0

    def record(self, ttft_ms: float | None, itl_ms: list[float], tokens: int, good: bool, failed: bool) -> None:
        if ttft_ms is not None:
            self.ttft.record_value(to_us(ttft_ms))
        for gap in itl_ms:
            self.itl.record_value(to_us(gap))
        self.count += 1
        self.failed += bool(failed)
        self.good += bool(good)
        self.tokens += int(tokens)

    def add(self, other: Streams) -> None:
        self.ttft.add(other.ttft)
        self.itl.add(other.itl)
        self.count += other.count
        self.failed += other.failed
        self.good += other.good
        self.tokens += other.tokens

    def encode(self) -> dict:
        return {"ttft": self.ttft.encode().decode("ascii"), "itl": self.itl.encode().decode("ascii"),
                "count": self.count, "failed": self.failed, "good": self.good, "tokens": self.tokens}

    @classmethod
    def decode(cls, data: dict) -> Streams:
        return cls(HdrHistogram.decode(data["ttft"]), HdrHistogram.decode(data["itl"]), int(data["count"]),
                   int(data["failed"]), int(data["good"]), int(data["tokens"]))


@dataclass
class Slice:
    """One second of requests, all endpoints together."""

    histogram: HdrHistogram = field(default_factory=new_histogram)
    requests: int = 0
    failures: int = 0
    buckets: dict[int, int] = field(default_factory=dict)  # the same latencies in compact log buckets
    streams: Streams | None = None


def add_buckets(target: dict[int, int], counts: dict[int, int]) -> None:
    for index, count in counts.items():
        target[index] = target.get(index, 0) + count


def endpoint_key(method: str, name: str) -> str:
    return f"{method} {name}"


class Recorder:
    """Totals per endpoint plus one-second slices for the live window."""

    def __init__(self) -> None:
        self.endpoints: dict[str, Endpoint] = {}
        self.current = Slice()
        self.recent: deque[Slice] = deque(maxlen=WINDOW_S)
        self.streams: Streams | None = None  # created by the first streamed request

    def record_stream(self, ttft_ms: float | None, itl_ms: list[float], tokens: int, good: bool,
                      failed: bool) -> None:
        """One streamed request (its Locust request is recorded separately, with `record`)."""
        if self.streams is None:
            self.streams = Streams()
        if self.current.streams is None:
            self.current.streams = Streams()
        self.streams.record(ttft_ms, itl_ms, tokens, good, failed)
        self.current.streams.record(ttft_ms, itl_ms, tokens, good, failed)

    def _add_streams(self, part: Streams) -> None:
        if self.streams is None:
            self.streams = Streams()
        if self.current.streams is None:
            self.current.streams = Streams()
        self.streams.add(part)
        self.current.streams.add(part)

    def record(self, key: str, response_time_ms: float, failed: bool) -> None:
        value = to_us(response_time_ms)
        endpoint = self.endpoints.get(key)
        if endpoint is None:
            endpoint = self.endpoints[key] = Endpoint()
        endpoint.histogram.record_value(value)
        endpoint.requests += 1
        current = self.current
        current.histogram.record_value(value)
        current.requests += 1
        index = loghist.bucket(response_time_ms)
        current.buckets[index] = current.buckets.get(index, 0) + 1
        if failed:
            endpoint.failures += 1
            self.current.failures += 1

    def add_delta(self, delta: dict) -> None:
        """Merge what a worker recorded since its last message (see Pending.take)."""
        for key, part in delta.get("endpoints", {}).items():
            histogram = HdrHistogram.decode(part["h"])
            endpoint = self.endpoints.get(key)
            if endpoint is None:
                endpoint = self.endpoints[key] = Endpoint()
            endpoint.histogram.add(histogram)
            endpoint.requests += int(part["n"])
            endpoint.failures += int(part["f"])
            self.current.histogram.add(histogram)
            self.current.requests += int(part["n"])
            self.current.failures += int(part["f"])
            add_buckets(self.current.buckets, loghist.decode(part.get("lh")))
        if delta.get("streams"):
            self._add_streams(Streams.decode(delta["streams"]))

    @property
    def requests(self) -> int:
        return sum(e.requests for e in self.endpoints.values())

    @property
    def failures(self) -> int:
        return sum(e.failures for e in self.endpoints.values())

    def sample(self, seconds: float) -> dict:
        """Close the current slice (`seconds` long) and return RPS, failures/s and window percentiles."""
        closed = self.current
        self.recent.append(closed)
        self.current = Slice()
        window = new_histogram()
        for part in self.recent:
            window.add(part.histogram)
        numbers = window_percentiles_ms(window)
        seconds = max(seconds, 1e-6)
        sample = {
            "rps": round(closed.requests / seconds, 3),
            "failures_per_s": round(closed.failures / seconds, 3),
            "p50_ms": numbers["p50_ms"],
            "p95_ms": numbers["p95_ms"],
            "p99_ms": numbers["p99_ms"],
            "requests": self.requests,
            "failures": self.failures,
            "histogram": loghist.encode(closed.buckets),
        }
        if self.streams is not None:
            sample.update(self._stream_sample(seconds))
        return sample

    def _stream_sample(self, seconds: float) -> dict:
        """TTFT and ITL percentiles, tokens/s and goodput over the window (streams end in bursts: a
        request's tokens all count in the second it ends, so one second alone would jump about)."""
        window = Streams()
        for part in self.recent:
            if part.streams is not None:
                window.add(part.streams)
        span = seconds * len(self.recent)  # the window's length, the slices taken as equally long
        ttft, itl = window_percentiles_ms(window.ttft), window_percentiles_ms(window.itl)
        return {
            "ttft_p50_ms": ttft["p50_ms"], "ttft_p99_ms": ttft["p99_ms"],
            "itl_p50_ms": itl["p50_ms"], "itl_p99_ms": itl["p99_ms"],
            "tokens_per_s": round(window.tokens / span, 3),
            "goodput_rps": round(window.good / span, 3),
        }

    def total_histogram(self) -> HdrHistogram:
        total = new_histogram()
        for endpoint in self.endpoints.values():
            total.add(endpoint.histogram)
        return total

    def summary(self, duration_s: float) -> dict:
        """Exact totals: requests, failures, RPS and percentiles, overall and per endpoint."""
        duration_s = max(duration_s, 1e-6)
        total = self.total_histogram()
        endpoints = []
        for key in sorted(self.endpoints):
            endpoint = self.endpoints[key]
            method, _, name = key.partition(" ")
            endpoints.append({
                "method": method,
                "name": name,
                "requests": endpoint.requests,
                "failures": endpoint.failures,
                "rps": round(endpoint.requests / duration_s, 3),
                **percentiles_ms(endpoint.histogram),
            })
        return {
            "requests": self.requests,
            "failures": self.failures,
            "duration_s": round(duration_s, 3),
            "rps": round(self.requests / duration_s, 3),
            **percentiles_ms(total),
            "histogram": total.encode().decode("ascii") if total.get_total_count() else "",
            "endpoints": endpoints,
            **({"llm": stream_summary(self.streams, duration_s)} if self.streams is not None else {}),
        }


def stream_summary(streams: Streams, duration_s: float) -> dict:
    """The final numbers of the streamed requests: TTFT and ITL percentiles, tokens/s, goodput."""
    return {
        "streams": streams.count,
        "failed": streams.failed,
        "good": streams.good,
        "output_tokens": streams.tokens,
        "tokens_per_s": round(streams.tokens / duration_s, 3),
        "goodput_rps": round(streams.good / duration_s, 3),
        "ttft": percentiles_ms(streams.ttft),
        "itl": percentiles_ms(streams.itl),
        "itl_gaps": streams.itl.get_total_count(),
    }


class Pending:
    """A distributed worker's requests since its last message to the master."""

    def __init__(self) -> None:
        self.endpoints: dict[str, Endpoint] = {}
        self.streams: Streams | None = None

    def record_stream(self, ttft_ms: float | None, itl_ms: list[float], tokens: int, good: bool,
                      failed: bool) -> None:
        if self.streams is None:
            self.streams = Streams()
        self.streams.record(ttft_ms, itl_ms, tokens, good, failed)

    def record(self, key: str, response_time_ms: float, failed: bool) -> None:
        endpoint = self.endpoints.get(key)
        if endpoint is None:
            endpoint = self.endpoints[key] = Endpoint()
        endpoint.histogram.record_value(to_us(response_time_ms))
        endpoint.requests += 1
        index = loghist.bucket(response_time_ms)
        endpoint.buckets[index] = endpoint.buckets.get(index, 0) + 1
        if failed:
            endpoint.failures += 1

    def take(self) -> dict:
        """The delta as a message body (histograms encoded for transport), and start a new one."""
        taken, self.endpoints = self.endpoints, {}
        streams, self.streams = self.streams, None
        message: dict = {
            "endpoints": {
                key: {"h": e.histogram.encode().decode("ascii"), "n": e.requests, "f": e.failures,
                      "lh": loghist.encode(e.buckets)}
                for key, e in taken.items()
            }
        }
        if streams is not None:
            message["streams"] = streams.encode()
        return message
