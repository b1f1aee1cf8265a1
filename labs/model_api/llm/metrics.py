"""Prometheus series of the LLM scheduler, in the worker's registry (summed over workers like the rest)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

TTFT_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0, 20.0,
)  # fmt: skip


class LLMMetrics:
    """The scheduler's observer: batch size and queue length now, token counters, server-side TTFT."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.batch = Gauge(
            "model_api_llm_batch_size", "Sequences in the running batch (all workers).",
            multiprocess_mode="livesum", registry=registry,
        )  # fmt: skip
        self.queue = Gauge(
            "model_api_llm_queue_length", "Requests waiting for a batch slot (all workers).",
            multiprocess_mode="livesum", registry=registry,
        )  # fmt: skip
        self.prompt_tokens = Counter(
            "model_api_llm_prompt_tokens", "Prompt tokens prefilled.", registry=registry
        )
        self.generation_tokens = Counter(
            "model_api_llm_generation_tokens", "Output tokens generated.", registry=registry
        )
        self.steps = Counter("model_api_llm_steps", "Scheduler steps run.", registry=registry)
        self.rejected = Counter(
            "model_api_llm_rejected_requests", "Requests refused with 503: slots and queue full.",
            registry=registry,
        )  # fmt: skip
        self.ttft = Histogram(
            "model_api_llm_time_to_first_token_seconds",
            "Server-side time to first token: from the request's arrival in the queue to its first token.",
            buckets=TTFT_BUCKETS, registry=registry,
        )  # fmt: skip

    def step(self, batch: int, waiting: int, prefill_tokens: int) -> None:
        self.batch.set(batch)
        self.queue.set(waiting)
        if prefill_tokens:
            self.prompt_tokens.inc(prefill_tokens)
            self.steps.inc()
        elif batch:
            self.steps.inc()

    def generated(self, tokens: int) -> None:
        if tokens:
            self.generation_tokens.inc(tokens)

    def first_token(self, seconds: float) -> None:
        self.ttft.observe(seconds)
