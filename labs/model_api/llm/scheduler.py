"""A continuous-batching scheduler, the heart of an LLM server, with the GPU replaced by a clock.

One asyncio task per worker runs steps back to back while there is work:

1. admit: waiting sequences join the running batch, oldest first, while there are free slots (the maximum
   batch stands for the KV-cache slots of a real server);
2. cost: the step lasts `prefill_ms_per_token x the prompt tokens of the sequences just admitted` plus, when
   sequences were already decoding, `decode_ms_base + decode_ms_per_seq x their number`; the task really
   sleeps that long (a GPU would be busy that long);
3. emit: every sequence in the step gets one token (a newly admitted one its first token, out of its prefill);
   a sequence that reached its `max_tokens` leaves the batch at once and frees its slot for the next step.

Nothing about latency is hard-coded: time to first token is queueing + prefill (and it waits for the step
it joins), inter-token latency is the length of the steps, so it grows with the batch, and tokens/s is
batch / step length, which stops growing once the batch is full. Requests beyond the free slots plus
`max_queue` waiting are refused (`QueueFull`, a 503 at the HTTP level).

`clock` and `sleep` are injectable, so the unit tests run the same loop on a fake clock.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol


class QueueFull(Exception):
    """Every slot is busy and the waiting queue is full."""


@dataclass(frozen=True)
class Knobs:
    max_batch: int = 8
    max_queue: int = 32
    prefill_ms_per_token: float = 0.25
    decode_ms_base: float = 20.0
    decode_ms_per_seq: float = 2.0

    def step_ms(self, prefill_tokens: int, decoding: int) -> float:
        """The length of one step: prefill of the admitted prompts plus one decode of the running sequences."""
        decode = self.decode_ms_base + self.decode_ms_per_seq * decoding if decoding else 0.0
        return self.prefill_ms_per_token * prefill_tokens + decode


class Observer(Protocol):
    def step(self, batch: int, waiting: int, prefill_tokens: int) -> None: ...
    def generated(self, tokens: int) -> None: ...
    def first_token(self, seconds: float) -> None: ...


@dataclass(eq=False)
class Sequence:
    """One request inside the scheduler. `tokens` receives the step end time of each token, then None."""

    prompt_tokens: int
    max_tokens: int
    submitted_at: float
    tokens: asyncio.Queue = field(default_factory=asyncio.Queue)
    generated: int = 0
    first_token_at: float | None = None
    state: str = "waiting"  # waiting, running, finished, aborted

    @property
    def done(self) -> bool:
        return self.state in ("finished", "aborted")


class Scheduler:
    def __init__(
        self,
        knobs: Knobs,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        observer: Observer | None = None,
    ) -> None:
        self.knobs = knobs
        self.clock = clock
        self.sleep = sleep
        self.observer = observer
        self.waiting: deque[Sequence] = deque()
        self.running: list[Sequence] = []
        self.steps = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    # -- requests -------------------------------------------------------------------------------------

    @property
    def free_slots(self) -> int:
        return max(0, self.knobs.max_batch - len(self.running))

    def submit(self, prompt_tokens: int, max_tokens: int) -> Sequence:
        """Queue a request; `QueueFull` when the free slots and the waiting queue are all taken."""
        if len(self.waiting) >= self.free_slots + self.knobs.max_queue:
            raise QueueFull(
                f"the server is at capacity: {len(self.running)} sequences decoding (max batch "
                f"{self.knobs.max_batch}) and {len(self.waiting)} waiting (max queue {self.knobs.max_queue})"
            )
        sequence = Sequence(max(1, prompt_tokens), max(1, max_tokens), self.clock())
        self.waiting.append(sequence)
        self._ensure_running()
        self._wake.set()
        return sequence

    def abort(self, sequence: Sequence) -> None:
        """Forget a sequence whose client went away: its slot (or its place in the queue) is freed now."""
        if sequence.done:
            return
        if sequence.state == "waiting":
            try:
                self.waiting.remove(sequence)
            except ValueError:
                pass
        elif sequence in self.running:
            self.running.remove(sequence)
        sequence.state = "aborted"

    # -- the loop -------------------------------------------------------------------------------------

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="llm-scheduler")
            self._task.add_done_callback(self._on_loop_end)

    def _on_loop_end(self, task: asyncio.Task) -> None:
        # Cancelled at shutdown or crashed: no sequence may wait forever for a token.
        for sequence in [*self.running, *self.waiting]:
            sequence.state = "aborted"
            sequence.tokens.put_nowait(None)
        self.running.clear()
        self.waiting.clear()

    async def _loop(self) -> None:
        while True:
            if not self.running and not self.waiting:
                self._wake.clear()
                await self._wake.wait()
                continue
            await self.step()

    async def step(self) -> None:
        """One scheduler step: admit, spend the step's time, emit one token per sequence in the batch."""
        knobs = self.knobs
        decoding = list(self.running)
        admitted: list[Sequence] = []
        while self.waiting and len(decoding) + len(admitted) < knobs.max_batch:
            sequence = self.waiting.popleft()
            sequence.state = "running"
            admitted.append(sequence)
        self.running.extend(admitted)
        prefill_tokens = sum(s.prompt_tokens for s in admitted)
        cost_s = knobs.step_ms(prefill_tokens, len(decoding)) / 1000.0
        start = self.clock()
        if self.observer is not None:
            self.observer.step(len(self.running), len(self.waiting), prefill_tokens)
        await self.sleep(max(0.0, start + cost_s - self.clock()))
        now = self.clock()
        self.steps += 1
        emitted = 0
        for sequence in (*decoding, *admitted):
            if sequence.state != "running":
                continue  # aborted during the step
            sequence.generated += 1
            emitted += 1
            if sequence.first_token_at is None:
                sequence.first_token_at = now
                if self.observer is not None:
                    self.observer.first_token(now - sequence.submitted_at)
            sequence.tokens.put_nowait(now)
            if sequence.generated >= sequence.max_tokens:
                sequence.state = "finished"
                self.running.remove(sequence)
                sequence.tokens.put_nowait(None)
        if self.observer is not None:
            self.observer.generated(emitted)
            if not self.running and not self.waiting:
                self.observer.step(0, 0, 0)  # idle: the gauges read zero, not the last busy step

    async def close(self) -> None:
        """Stop the loop (the app is shutting down); waiting and running sequences end at once."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
