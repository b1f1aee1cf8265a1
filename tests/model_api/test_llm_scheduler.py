"""The continuous-batching scheduler on a fake clock: its timing worked out by hand, step by step."""

from __future__ import annotations

import asyncio

import pytest

from labs.model_api.llm.scheduler import Knobs, QueueFull, Scheduler
from labs.model_api.llm.tokens import TokenStream, count_tokens

pytestmark = pytest.mark.dbfree


class FakeClock:
    """Time moves only when the scheduler sleeps: every duration below is exact."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def collect(sequence) -> list[float]:
    times = []
    while (t := await sequence.tokens.get()) is not None:
        times.append(t)
    return times


def run(knobs: Knobs, requests: list[tuple[int, int]], clock: FakeClock | None = None):
    """Submit (prompt_tokens, max_tokens) requests at t=0 and return every request's token times."""
    clock = clock or FakeClock()

    async def main():
        scheduler = Scheduler(knobs, clock=clock, sleep=clock.sleep)
        sequences = [scheduler.submit(p, m) for p, m in requests]
        result = await asyncio.gather(*(collect(s) for s in sequences))
        await scheduler.close()
        return result

    return asyncio.run(main())


KNOBS = Knobs(max_batch=2, max_queue=4, prefill_ms_per_token=1.0, decode_ms_base=10.0, decode_ms_per_seq=5.0)


def test_one_request_first_token_after_its_prefill_then_one_token_per_decode_step():
    [times] = run(KNOBS, [(100, 4)])
    # prefill 100 tokens x 1 ms = 100 ms gives the first token; each decode of a batch of 1 costs 10 + 5 = 15 ms
    assert times == pytest.approx([0.100, 0.115, 0.130, 0.145])


def test_a_batch_of_two_is_prefilled_together_and_each_decode_step_costs_more():
    a, b = run(KNOBS, [(50, 3), (30, 3)])
    # both admitted in step 1: prefill 80 ms, then decode steps of 10 + 5 x 2 = 20 ms
    assert a == pytest.approx([0.080, 0.100, 0.120])
    assert b == a


def test_a_third_request_waits_for_a_free_slot_then_its_prefill_delays_the_others():
    a, b, c = run(KNOBS, [(10, 2), (10, 3), (10, 1)])
    # step 1 (t 0 -> 20 ms): prefill a+b. step 2 (-> 40): decode a, b; a finishes and frees its slot.
    # step 3 (-> 40 + 10 prefill of c + 15 decode of b = 65 ms): c's first token, b's last.
    assert a == pytest.approx([0.020, 0.040])
    assert b == pytest.approx([0.020, 0.040, 0.065])
    assert c == pytest.approx([0.065])


def test_past_the_free_slots_and_the_queue_requests_are_refused():
    async def main():
        clock = FakeClock()
        scheduler = Scheduler(KNOBS, clock=clock, sleep=clock.sleep)
        accepted = [scheduler.submit(1, 5) for _ in range(2 + 4)]  # 2 slots + 4 waiting
        with pytest.raises(QueueFull, match="max batch 2.*max queue 4"):
            scheduler.submit(1, 5)
        for sequence in accepted:
            scheduler.abort(sequence)
        scheduler.submit(1, 1)  # room again once they are gone
        await scheduler.close()

    asyncio.run(main())


def test_an_aborted_sequence_frees_its_slot_for_the_next_step():
    async def main():
        clock = FakeClock()
        scheduler = Scheduler(KNOBS, clock=clock, sleep=clock.sleep)
        a = scheduler.submit(10, 100)
        b = scheduler.submit(10, 100)
        c = scheduler.submit(10, 1)
        await a.tokens.get()  # both running after step 1 (t = 20 ms)
        scheduler.abort(a)
        times = await collect(c)
        scheduler.abort(b)
        await scheduler.close()
        return times

    # a is aborted while step 2 (20 -> 40 ms, a and b decoding) is under way; step 3 admits c into a's slot
    # beside b: 10 ms prefill + 15 ms decode of b alone, so c's first token comes at 65 ms (not after b ends)
    assert asyncio.run(main()) == pytest.approx([0.065])


def test_tokens_per_second_stop_growing_at_the_maximum_batch():
    """Throughput = batch / step time, so it grows with the batch until the batch is full."""
    knobs = Knobs(max_batch=4, max_queue=100, prefill_ms_per_token=0.0, decode_ms_base=20.0, decode_ms_per_seq=2.0)

    def tokens_per_s(streams: int) -> float:
        clock = FakeClock()
        results = run(knobs, [(1, 50)] * streams, clock)
        return sum(len(r) for r in results) / clock.now

    one, full, double = tokens_per_s(1), tokens_per_s(4), tokens_per_s(8)
    assert one == pytest.approx(50 / (50 * 0.022), rel=0.05)  # first token free (no prefill cost), then 22 ms
    assert full / one > 3
    assert double == pytest.approx(full, rel=0.05)


def test_token_counts_and_the_generator_are_deterministic():
    assert count_tokens("Hello, world!") == 4
    assert count_tokens("") == 1
    first = [TokenStream("a prompt").next() for _ in range(1)]
    stream, again = TokenStream("a prompt"), TokenStream("a prompt")
    words = [stream.next() for _ in range(20)]
    assert words == [again.next() for _ in range(20)]
    assert words[0] == first[0] and not words[0].startswith(" ") and all(w.startswith(" ") for w in words[1:])
    other = TokenStream("another prompt")
    assert [other.next() for _ in range(20)] != words


def test_the_labs_know_the_llm_knobs_with_the_servers_defaults():
    from labs.model_api.config import Config
    from labs.params import API_DEFAULTS, API_KNOBS, api_argv

    llm = [name for name in API_KNOBS if name.startswith("llm_")]
    assert len(llm) == 5
    assert all(API_DEFAULTS[name] == getattr(Config(), name) for name in llm)
    argv = api_argv({"llm_max_batch": 4, "llm_decode_ms_per_seq": 2.5})
    assert Config.from_args(argv, env={}).llm_max_batch == 4
    assert Config.from_args(argv, env={}).llm_decode_ms_per_seq == 2.5
