"""The LLM endpoints against real clients and a real uvicorn: the scheduler's timing, seen from outside.

Bounds are generous ratios: the machine is shared. Knobs: max batch 4, prefill 0.5 ms/token (a 200-token
prompt costs 100 ms), decode 20 ms + 5 ms per sequence (a batch of 1 steps every 25 ms, of 4 every 40 ms).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from llm_streams import measure, one_stream
from model_api_helpers import ModelApi, start_model_api

pytestmark = [pytest.mark.slow, pytest.mark.dbfree]

KNOBS = ("--llm-max-batch", "4", "--llm-max-queue", "4", "--llm-prefill-ms-per-token", "0.5",
         "--llm-decode-ms-base", "20", "--llm-decode-ms-per-seq", "5")


@pytest.fixture(scope="module")
def llm_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelApi]:
    api = start_model_api(*KNOBS, tmp_dir=tmp_path_factory.mktemp("llm_api"))
    yield api
    api.stop()


@pytest.fixture(scope="module")
def by_concurrency(llm_api: ModelApi) -> dict[int, object]:
    """One measurement each at 1, the max batch (4) and twice it (8) concurrent streams, 24 tokens each."""
    return {n: measure(llm_api.url, n, rounds=2, max_tokens=24) for n in (1, 4, 8)}


def test_one_stream_first_token_costs_about_its_prefill(by_concurrency):
    one = by_concurrency[1]
    assert all(s.status == 200 and s.done and s.tokens == 24 for s in one.streams)
    # 200 prompt tokens x 0.5 ms = 100 ms of prefill; HTTP adds a little, a busy machine more
    assert 90 <= one.ttft_ms(50) <= 400
    assert 20 <= one.itl_ms(50) <= 120  # 25 ms steps


def test_inter_token_latency_grows_with_the_batch(by_concurrency):
    # 40 ms steps at a batch of 4 against 25 ms alone: 1.6x (the prefills of new arrivals add to both)
    ratio = by_concurrency[4].itl_ms(50) / by_concurrency[1].itl_ms(50)
    assert 1.25 <= ratio <= 3.0, ratio


def test_tokens_per_second_level_off_at_the_maximum_batch(by_concurrency):
    """Batching multiplies throughput up to the max batch (4), then it stays flat.

    The 200-token prompts' prefill is part of each request: alone, 24 tokens in 100 ms + 23 x 25 ms = 36
    tokens/s; four at once, 4 x 24 in 400 ms + 23 x 40 ms = 73 tokens/s. That 2.0x is the design figure, so
    the floor sits below it for a busy machine (the four streams' arrivals and their four times the
    per-token work stretch their run more than one stream's); no batching would give 1.0x and a batch of 2
    about 1.5x.
    """
    one, full, double = (by_concurrency[n].tokens_per_s for n in (1, 4, 8))
    assert full / one >= 1.7, (one, full)
    assert 0.7 <= double / full <= 1.35, (full, double)  # the batch is full either way: same throughput
    # ... and the extra streams only wait: their time to first token climbs
    assert by_concurrency[8].ttft_ms(90) >= 2 * by_concurrency[4].ttft_ms(50)


def test_past_the_slots_and_the_queue_the_server_answers_503(llm_api: ModelApi):
    async def main():
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=20)) as client:
            return await asyncio.gather(*(one_stream(client, llm_api.url, 40) for _ in range(12)))

    statuses = sorted(s.status for s in asyncio.run(main()))
    # 4 slots + 4 waiting are served, the rest refused (a client may be a little late: no exact split)
    assert statuses.count(200) >= 8 and statuses.count(503) >= 1, statuses
    assert set(statuses) <= {200, 503}
    full = httpx.post(llm_api.url + "/v1/completions", json={"prompt": "x", "max_tokens": 1}, timeout=10)
    assert full.status_code == 200  # the server recovers once the streams are done
    metrics = httpx.get(llm_api.url + "/metrics", timeout=10).text
    rejected = next(line for line in metrics.splitlines() if line.startswith("model_api_llm_rejected_requests_total"))
    assert float(rejected.split()[-1]) == statuses.count(503)


def test_the_503_is_an_openai_error_with_retry_after(llm_api: ModelApi):
    async def main():
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=20)) as client:
            body = {"prompt": "x", "max_tokens": 30}
            return await asyncio.gather(*(client.post(llm_api.url + "/v1/completions", json=body)
                                          for _ in range(12)))

    refused = [r for r in asyncio.run(main()) if r.status_code == 503]
    assert refused
    assert refused[0].headers["retry-after"] == "1"
    error = refused[0].json()["error"]
    assert error["type"] == "server_overloaded" and "max batch 4" in error["message"]


@pytest.mark.parametrize(("body", "param"), [
    ({"prompt": 5}, "prompt"),
    ({"prompt": "x", "max_tokens": 0}, "max_tokens"),
    ({"prompt": "x", "max_tokens": 5000}, "max_tokens"),
    ({"prompt": "x", "stream": "yes"}, "stream"),
    ({"prompt": "x", "n": 3}, "n"),
    ({}, "prompt"),
])
def test_bad_completion_requests_get_openai_400s(llm_api: ModelApi, body, param):
    response = httpx.post(llm_api.url + "/v1/completions", json=body, timeout=10)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param and error["message"]


@pytest.mark.parametrize("raw", [b"", b"{nope", b"[]", b'{"messages": []}', b'{"messages": [{"role": "bot"}]}',
                                 b'{"messages": [{"role": "user", "content": 3}]}'])
def test_bad_chat_requests_get_openai_400s(llm_api: ModelApi, raw):
    response = httpx.post(llm_api.url + "/v1/chat/completions", content=raw, timeout=10,
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"]


def test_the_stream_format(llm_api: ModelApi):
    body = {"prompt": "Hello there", "max_tokens": 3, "stream": True, "stream_options": {"include_usage": True}}
    with httpx.stream("POST", llm_api.url + "/v1/completions", json=body, timeout=10) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line]
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(line.removeprefix("data: ")) for line in events[:-1]]
    assert [c["choices"][0]["finish_reason"] for c in chunks[:3]] == [None, None, "length"]
    assert all(c["usage"] is None for c in chunks[:3])
    assert chunks[3]["choices"] == [] and chunks[3]["usage"] == {"prompt_tokens": 2, "completion_tokens": 3,
                                                                 "total_tokens": 5}
    whole = httpx.post(llm_api.url + "/v1/completions", json={**body, "stream": False}, timeout=10).json()
    assert whole["choices"][0]["text"] == "".join(c["choices"][0]["text"] for c in chunks[:3])  # deterministic
    assert whole["usage"]["completion_tokens"] == 3


def test_the_official_openai_client_streams_completions_and_chat_unchanged(llm_api: ModelApi):
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=llm_api.url + "/v1", api_key="not-needed", max_retries=0, timeout=20)
    pieces = []
    for chunk in client.completions.create(model="bp-tiny-llm", prompt="Say something", max_tokens=5,
                                           stream=True, stream_options={"include_usage": True}):
        if chunk.choices:
            pieces.append(chunk.choices[0].text)
        else:
            usage = chunk.usage
    assert len(pieces) == 5 and usage.completion_tokens == 5
    chat = client.chat.completions.create(model="bp-tiny-llm", max_tokens=4, stream=True,
                                          messages=[{"role": "user", "content": "Hello"}])
    deltas = [c.choices[0].delta for c in chat]
    assert deltas[0].role == "assistant" and len(deltas) == 4
    assert all(d.content for d in deltas)
    whole = client.chat.completions.create(model="bp-tiny-llm", max_tokens=4,
                                           messages=[{"role": "user", "content": "Hello"}])
    assert whole.choices[0].message.content == "".join(d.content for d in deltas)
    assert whole.usage.completion_tokens == 4 and whole.choices[0].finish_reason == "length"
    listed = client.models.list()
    assert [m.id for m in listed.data] == ["bp-tiny-llm"]


def test_a_client_that_hangs_up_frees_its_slot(llm_api: ModelApi):
    # Start as many long streams as there are slots, read one token each, hang up: new requests get slots.
    async def main():
        async with httpx.AsyncClient(timeout=30) as client:
            for _ in range(2):
                async def hang_up():
                    body = {"prompt": "x", "max_tokens": 1000, "stream": True}
                    async with client.stream("POST", llm_api.url + "/v1/completions", json=body) as response:
                        async for line in response.aiter_lines():
                            if line.startswith("data: "):
                                return response.status_code
                codes = await asyncio.gather(*(hang_up() for _ in range(8)))
                assert codes == [200] * 8, codes
            return await one_stream(client, llm_api.url, 3)

    # twice 8 streams of 1,000 tokens each (40 s of decoding) would fill slots and queue if hanging up freed nothing
    stream = asyncio.run(main())
    assert stream.status == 200 and stream.tokens == 3


def test_metrics_count_tokens_and_show_the_batch(llm_api: ModelApi, tmp_path: Path):
    text = httpx.get(llm_api.url + "/metrics", timeout=10).text
    values = {line.split()[0]: float(line.split()[1]) for line in text.splitlines()
              if line.startswith("model_api_llm_") and " " in line}
    assert values["model_api_llm_generation_tokens_total"] > 100
    assert values["model_api_llm_prompt_tokens_total"] > 200
    assert values["model_api_llm_time_to_first_token_seconds_count"] >= 10
    assert "model_api_llm_batch_size" in values and "model_api_llm_queue_length" in values
    config = httpx.get(llm_api.url + "/config", timeout=10).json()["config"]
    assert config["llm_max_batch"] == 4 and config["llm_decode_ms_per_seq"] == 5.0
