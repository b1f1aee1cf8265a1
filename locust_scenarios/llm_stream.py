"""Stream completions from an OpenAI-compatible server and time every token: TTFT, ITL, tokens/s, goodput.

    python -m labs.model_api --port 8001 --llm-max-batch 8
    locust -f locust_scenarios/llm_stream.py --host http://127.0.0.1:8001 --headless -u 8 -r 2 -t 60s

Each user sends `POST /v1/completions` with `stream: true` (CHAT=1: `/v1/chat/completions`), reads the
server-sent events as they arrive and measures, per request (GuideLLM's definitions):

- time to first token (TTFT): from sending the request to the first chunk with text;
- each inter-token gap (ITL): between two consecutive chunks with text; the request's mean ITL is
  (last token - first token) / (tokens - 1);
- output tokens and end-to-end time (request sent to `data: [DONE]`).

Locust's own statistics get one request per stream, timed end to end (Locust would time a `stream=True`
request only to its headers, so the request event is fired here by hand). A request fails on a non-200, a
stream without `[DONE]`, or fewer tokens than asked. A request is *good* when it succeeded with TTFT <=
TTFT_SLO_MS and mean ITL <= ITL_SLO_MS; goodput = good requests per second. The per-request figures go out
on the event `events.llm_stream` (kwargs ttft_ms, itl_ms [each gap], output_tokens, e2e_ms, good,
failed), which Breaking Point's telemetry plugin (labs/telemetry/plugin.py) records in HDR histograms; the
scenario runs the same without it.

Environment: PROMPT_TOKENS (words in the prompt, default 200), OUTPUT_TOKENS_MIN / OUTPUT_TOKENS_MAX
(max_tokens drawn uniformly per request, default 32 and 96, so that streams do not finish in lockstep),
WAIT_MIN / WAIT_MAX (think time between requests, default 0.5 and 1.5 s), TTFT_SLO_MS (500), ITL_SLO_MS
(60), CHAT (0). With MAX_USERS set, a step shape takes over (-u, -r and -t ignored): STEP_USERS more users
every STEP_SECONDS up to MAX_USERS, each level held STEP_SECONDS, users started at SPAWN_RATE per second.
"""

import json
import math
import os
import random
import time

import requests
from common import env_number, wait_bounds
from locust import LoadTestShape, User, between, events, task
from locust.event import EventHook

PROMPT_TOKENS = env_number("PROMPT_TOKENS", 200, int, minimum=1)
OUTPUT_MIN = env_number("OUTPUT_TOKENS_MIN", 32, int, minimum=1)
OUTPUT_MAX = env_number("OUTPUT_TOKENS_MAX", max(96, OUTPUT_MIN), int, minimum=OUTPUT_MIN)
TTFT_SLO_MS = env_number("TTFT_SLO_MS", 500.0)
ITL_SLO_MS = env_number("ITL_SLO_MS", 60.0)
CHAT = os.environ.get("CHAT", "").strip().lower() in ("1", "true", "yes", "on")
PATH = "/v1/chat/completions" if CHAT else "/v1/completions"
WORDS = ("load", "tests", "measure", "what", "users", "feel", "under", "pressure", "so", "we", "keep", "tails")

# The per-request event, shared with the telemetry plugin (whichever is imported first creates it).
if not hasattr(events, "llm_stream"):
    events.llm_stream = EventHook()


def prompt(tokens):
    """A prompt of exactly `tokens` tokens by the server's count (words, the last one a full stop)."""
    words = [random.choice(WORDS) for _ in range(max(0, tokens - 1))]
    return " ".join(words) + "."


def text_of(chunk):
    """The text a chunk carries (completions: choices[0].text, chat: choices[0].delta.content)."""
    choices = chunk.get("choices") or []
    if not choices:
        return ""
    if CHAT:
        return (choices[0].get("delta") or {}).get("content") or ""
    return choices[0].get("text") or ""


class LLMStreamUser(User):
    host = "http://127.0.0.1:8001"
    wait_time = between(*wait_bounds(0.5, 1.5))

    def on_start(self):
        self.session = requests.Session()

    def on_stop(self):
        self.session.close()

    @task
    def stream(self):
        max_tokens = random.randint(OUTPUT_MIN, OUTPUT_MAX)
        body = {"model": "bp-tiny-llm", "max_tokens": max_tokens, "stream": True}
        text = prompt(PROMPT_TOKENS)
        if CHAT:
            body["messages"] = [{"role": "user", "content": text}]
        else:
            body["prompt"] = text
        ttft_ms, gaps, tokens, done, error = None, [], 0, False, None
        start = time.perf_counter()
        last = None
        try:
            with self.session.post(self.host.rstrip("/") + PATH, json=body, stream=True, timeout=120) as response:
                if response.status_code != 200:
                    error = f"HTTP {response.status_code}: {response.text[:200]}"
                else:
                    # chunk_size=None: each piece as it arrives, never waiting to fill a buffer
                    for line in response.iter_lines(chunk_size=None):
                        if not line.startswith(b"data: "):
                            continue
                        if line == b"data: [DONE]":
                            done = True
                            break
                        now = time.perf_counter()
                        if not text_of(json.loads(line[6:])):
                            continue
                        if last is None:
                            ttft_ms = (now - start) * 1000
                        else:
                            gaps.append((now - last) * 1000)
                        last = now
                        tokens += 1
        except (requests.RequestException, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        e2e_ms = (time.perf_counter() - start) * 1000
        if error is None and not done:
            error = "the stream ended without data: [DONE]"
        elif error is None and tokens < max_tokens:
            error = f"{tokens} tokens, {max_tokens} asked"
        failed = error is not None
        mean_itl = (sum(gaps) / len(gaps)) if gaps else 0.0
        good = not failed and ttft_ms is not None and ttft_ms <= TTFT_SLO_MS and mean_itl <= ITL_SLO_MS
        self.environment.events.request.fire(
            request_type="POST", name=PATH, response_time=e2e_ms, response_length=tokens,
            exception=RuntimeError(error) if failed else None, context={},
        )
        events.llm_stream.fire(ttft_ms=ttft_ms, itl_ms=gaps, output_tokens=tokens, e2e_ms=e2e_ms, good=good,
                               failed=failed)


if os.environ.get("MAX_USERS", "").strip():
    STEP_USERS = env_number("STEP_USERS", 1, int, minimum=1)
    STEP_SECONDS = env_number("STEP_SECONDS", 10.0, minimum=0.1)
    MAX_USERS = env_number("MAX_USERS", 16, int, minimum=1)
    SPAWN_RATE = env_number("SPAWN_RATE", float(STEP_USERS), minimum=0.1)

    class StepShape(LoadTestShape):
        """STEP_USERS more users every STEP_SECONDS up to MAX_USERS, each level held STEP_SECONDS."""

        steps = math.ceil(MAX_USERS / STEP_USERS)

        def tick(self):
            run_time = self.get_run_time()
            if run_time >= self.steps * STEP_SECONDS:
                return None
            step = int(run_time // STEP_SECONDS) + 1
            return min(MAX_USERS, step * STEP_USERS), SPAWN_RATE
