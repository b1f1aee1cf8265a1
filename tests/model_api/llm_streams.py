"""Real streaming clients for the LLM endpoints: N concurrent streams, each token timed on arrival.

Used by the tests (tests/model_api/test_llm_api.py) and by bench/llm.py. Definitions (GuideLLM's):
TTFT = first content chunk - request sent; each inter-token gap = time between two consecutive content
chunks; tokens/s = content chunks received by all streams / the measured wall time.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass, field

import httpx

PROMPT = " ".join(["measure"] * 199) + "."  # 200 tokens for the server's counter


@dataclass
class Stream:
    status: int
    ttft_s: float | None = None
    gaps_s: list[float] = field(default_factory=list)
    tokens: int = 0
    e2e_s: float = 0.0
    done: bool = False


@dataclass
class Measured:
    streams: list[Stream]
    wall_s: float

    @property
    def ok(self) -> list[Stream]:
        return [s for s in self.streams if s.status == 200]

    def ttft_ms(self, q: float) -> float:
        return percentile([s.ttft_s * 1000 for s in self.ok if s.ttft_s is not None], q)

    def itl_ms(self, q: float) -> float:
        return percentile([g * 1000 for s in self.ok for g in s.gaps_s], q)

    @property
    def tokens_per_s(self) -> float:
        return sum(s.tokens for s in self.streams) / self.wall_s


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


async def one_stream(client: httpx.AsyncClient, url: str, max_tokens: int, prompt: str = PROMPT) -> Stream:
    body = {"model": "bp-tiny-llm", "prompt": prompt, "max_tokens": max_tokens, "stream": True}
    start = time.perf_counter()
    async with client.stream("POST", f"{url}/v1/completions", json=body) as response:
        stream = Stream(response.status_code)
        if response.status_code != 200:
            await response.aread()
            stream.e2e_s = time.perf_counter() - start
            return stream
        last = None
        async for line in response.aiter_lines():
            if not line.startswith("data: "):
                continue
            if line == "data: [DONE]":
                stream.done = True
                break
            now = time.perf_counter()
            chunk = json.loads(line[6:])
            if not chunk["choices"] or not chunk["choices"][0]["text"]:
                continue
            if last is None:
                stream.ttft_s = now - start
            else:
                stream.gaps_s.append(now - last)
            last = now
            stream.tokens += 1
    stream.e2e_s = time.perf_counter() - start
    return stream


async def _measure(url: str, concurrency: int, rounds: int, max_tokens: int) -> Measured:
    limits = httpx.Limits(max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await one_stream(client, url, 2)  # warm-up: connection and first request paths

        async def user() -> list[Stream]:
            return [await one_stream(client, url, max_tokens) for _ in range(rounds)]

        start = time.perf_counter()
        results = await asyncio.gather(*(user() for _ in range(concurrency)))
        wall = time.perf_counter() - start
    return Measured([s for streams in results for s in streams], wall)


def measure(url: str, concurrency: int, rounds: int = 1, max_tokens: int = 32) -> Measured:
    """`concurrency` closed-loop users, each streaming `rounds` completions one after the other."""
    return asyncio.run(_measure(url, concurrency, rounds, max_tokens))
