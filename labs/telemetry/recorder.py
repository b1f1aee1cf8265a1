"""Latency recording for the telemetry plugin: HDR histograms per endpoint, a sliding window, deltas.

This module imports no Locust and no gevent, so it is tested on its own. The plugin (plugin.py) feeds it
every request Locust makes. Latencies are recorded in microseconds (1 us to 1 hour, 3 significant
figures: every percentile is within 0.1% of the exact value).

- `Recorder` keeps totals per endpoint and one histogram per second for the sliding window; the local
  runner and the master own one. `sample()` closes the current second and returns a live sample (with that
  second's latencies as a compact log-bucket histogram, labs/analysis/histogram.py, which the run analysis
  merges per step); `summary()` returns the final numbers.
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


@dataclass
class Endpoint:
    """Every request to one endpoint ("POST /predict") so far."""

    histogram: HdrHistogram = field(default_factory=new_histogram)
    requests: int = 0
    failures: int = 0
    buckets: dict[int, int] = field(default_factory=dict)  # log buckets (a distributed worker's Pending only)


@dataclass
class Slice:
    """One second of requests, all endpoints together."""

    histogram: HdrHistogram = field(default_factory=new_histogram)
    requests: int = 0
    failures: int = 0
    buckets: dict[int, int] = field(default_factory=dict)  # the same latencies in compact log buckets


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
        numbers = percentiles_ms(window)
        seconds = max(seconds, 1e-6)
        return {
            "rps": round(closed.requests / seconds, 3),
            "failures_per_s": round(closed.failures / seconds, 3),
            "p50_ms": numbers["p50_ms"],
            "p95_ms": numbers["p95_ms"],
            "p99_ms": numbers["p99_ms"],
            "requests": self.requests,
            "failures": self.failures,
            "histogram": loghist.encode(closed.buckets),
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
        }


class Pending:
    """A distributed worker's requests since its last message to the master."""

    def __init__(self) -> None:
        self.endpoints: dict[str, Endpoint] = {}

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
        return {
            "endpoints": {
                key: {"h": e.histogram.encode().decode("ascii"), "n": e.requests, "f": e.failures,
                      "lh": loghist.encode(e.buckets)}
                for key, e in taken.items()
            }
        }
