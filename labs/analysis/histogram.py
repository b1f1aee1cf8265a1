"""A compact latency histogram with log buckets, small enough to ride on every one-second sample.

Bucket i holds latencies in (BASE_MS * RATIO^(i-1), BASE_MS * RATIO^i] milliseconds (bucket 0 holds
everything up to BASE_MS); with RATIO 1.05 a percentile read from it is within 2.5% of the exact value.
A second's histogram travels as a list `[first_bucket, count, count, ...]` (dense from the first to the
last non-empty bucket): a few dozen numbers a second. Histograms of several seconds merge by adding counts,
so a step's percentiles come from all of its requests, not from an average of per-second percentiles.

Pure standard library: the Locust telemetry plugin and the run analysis both import it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

BASE_MS = 0.01
RATIO = 1.05
MAX_BUCKET = 400  # 0.01 ms * 1.05^400 is about 3 hours: everything longer lands in the last bucket
_LOG_RATIO = math.log(RATIO)


def bucket(ms: float) -> int:
    """The bucket holding a latency of `ms` milliseconds."""
    if not ms > BASE_MS:  # also catches NaN
        return 0
    return min(MAX_BUCKET, math.ceil(math.log(ms / BASE_MS) / _LOG_RATIO - 1e-9))


def bucket_value(index: int) -> float:
    """A bucket's representative latency in ms: the geometric middle of its bounds."""
    if index <= 0:
        return BASE_MS
    return BASE_MS * RATIO ** (index - 0.5)


def encode(counts: Mapping[int, int]) -> list[int]:
    """`{bucket: count}` as `[first, c_first, ..., c_last]`; [] when empty."""
    used = [i for i, c in counts.items() if c]
    if not used:
        return []
    first, last = min(used), max(used)
    return [first, *(int(counts.get(i, 0)) for i in range(first, last + 1))]


def decode(data: object) -> dict[int, int]:
    """The inverse of `encode`; anything malformed decodes to an empty histogram."""
    if not isinstance(data, list) or len(data) < 2 or not all(isinstance(v, int) and v >= 0 for v in data):
        return {}
    first = data[0]
    return {first + i: c for i, c in enumerate(data[1:]) if c}


def merge(histograms: Iterable[object]) -> dict[int, int]:
    """The sum of several encoded histograms."""
    total: dict[int, int] = {}
    for data in histograms:
        for index, count in decode(data).items():
            total[index] = total.get(index, 0) + count
    return total


def count(counts: Mapping[int, int]) -> int:
    return sum(counts.values())


def percentile(counts: Mapping[int, int], q: float) -> float | None:
    """The `q` quantile (0-1, nearest rank) in ms, None when empty."""
    total = count(counts)
    if total == 0:
        return None
    rank = max(1, math.ceil(round(q * total, 6)))
    seen = 0
    for index in sorted(counts):
        seen += counts[index]
        if seen >= rank:
            return bucket_value(index)
    return bucket_value(max(counts))


def mean(counts: Mapping[int, int]) -> float | None:
    total = count(counts)
    if total == 0:
        return None
    return sum(bucket_value(i) * c for i, c in counts.items()) / total
