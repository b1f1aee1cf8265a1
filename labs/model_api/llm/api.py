"""POST /v1/completions, POST /v1/chat/completions and GET /v1/models, shaped like OpenAI's API.

Real OpenAI clients work unchanged (the official `openai` package is tested against it). Streaming answers
are server-sent events: one chunk per token (the last token's chunk carries `finish_reason`), then, when
`stream_options.include_usage` is set, a chunk with `usage` and no choices, then `data: [DONE]`. Without
`stream`, one JSON body with `usage`. Invalid requests get OpenAI's error shape with 400; a full server
(every slot busy and the waiting queue full) gets it with 503 and `Retry-After`.

Every answer is exactly `max_tokens` long (default 16, like OpenAI's completions), so `finish_reason` is
always "length": a load test then knows how many tokens each request costs.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from labs.model_api.config import Config
from labs.model_api.llm.metrics import LLMMetrics
from labs.model_api.llm.scheduler import Knobs, QueueFull, Scheduler, Sequence
from labs.model_api.llm.tokens import TokenStream, count_tokens
from labs.model_api.routes.predict import read_body

MODEL_ID = "bp-tiny-llm"
DEFAULT_MAX_TOKENS = 16

router = APIRouter(prefix="/v1", tags=["llm"])


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")
    include_usage: StrictBool = False


class _Common(BaseModel):
    model_config = ConfigDict(extra="ignore")  # temperature, top_p, seed, user...: accepted, no effect here
    model: str = MODEL_ID
    max_tokens: StrictInt | None = Field(default=None, ge=1)
    stream: StrictBool = False
    stream_options: StreamOptions | None = None
    n: StrictInt = Field(default=1, ge=1, le=1)


class CompletionIn(_Common):
    prompt: Annotated[str, Field(max_length=200_000)] | Annotated[list[str], Field(min_length=1, max_length=1)]


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Annotated[str, Field(max_length=200_000)] | list[TextPart] | None = None


class ChatIn(_Common):
    messages: Annotated[list[Message], Field(min_length=1, max_length=256)]
    max_completion_tokens: StrictInt | None = Field(default=None, ge=1)


def error_response(status: int, message: str, kind: str, param: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """OpenAI's error body: {"error": {"message", "type", "param", "code"}}."""
    body = {"error": {"message": message, "type": kind, "param": param, "code": None}}
    return JSONResponse(body, status_code=status, headers=headers)


_TYPE_NAMES = frozenset({"str", "list", "int", "bool", "float", "dict", "none"})


def _param(loc: tuple) -> str:
    """("messages", 0, "content", "list[TextPart]") -> "messages.0.content": the field, not pydantic's branch."""
    parts = [str(p) for p in loc if isinstance(p, int) or (str(p).isidentifier() and str(p) not in _TYPE_NAMES)]
    return ".".join(parts)


def _invalid(exc: ValidationError) -> JSONResponse:
    errors = exc.errors(include_url=False)
    first = errors[0]
    if first["type"] == "json_invalid":
        return error_response(400, f"malformed JSON: {first.get('ctx', {}).get('error', 'cannot be parsed')}",
                              "invalid_request_error")
    if first["type"] in ("model_type", "model_attributes_type") and not first["loc"]:
        return error_response(400, "the body must be a JSON object", "invalid_request_error")
    by_param: dict[str, list[str]] = {}
    for error in errors:
        by_param.setdefault(_param(error["loc"]) or "body", []).append(error["msg"])
    message = "; ".join(f"{param}: {' or '.join(dict.fromkeys(msgs))}" for param, msgs in list(by_param.items())[:5])
    return error_response(400, message, "invalid_request_error", next(iter(by_param)))


async def _parse(request: Request, model: type[_Common]) -> _Common | JSONResponse:
    body = await read_body(request)
    if not body.strip():
        return error_response(400, "a JSON body is required", "invalid_request_error")
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        return _invalid(exc)


def _prompt_text(data: _Common) -> str:
    if isinstance(data, CompletionIn):
        return data.prompt if isinstance(data.prompt, str) else data.prompt[0]
    assert isinstance(data, ChatIn)
    lines = []
    for message in data.messages:
        content = message.content
        text = "".join(p.text for p in content) if isinstance(content, list) else (content or "")
        lines.append(f"{message.role}: {text}")
    return "\n".join(lines)


class LLMService:
    """The worker's scheduler and what the endpoints need around it."""

    def __init__(self, config: Config, metrics: LLMMetrics) -> None:
        self.config = config
        self.metrics = metrics
        self.scheduler = Scheduler(
            Knobs(
                max_batch=config.llm_max_batch,
                max_queue=config.llm_max_queue,
                prefill_ms_per_token=config.llm_prefill_ms_per_token,
                decode_ms_base=config.llm_decode_ms_base,
                decode_ms_per_seq=config.llm_decode_ms_per_seq,
            ),
            observer=metrics,
        )

    async def handle(self, request: Request, model: type[_Common], chat: bool) -> Response:
        data = await _parse(request, model)
        if isinstance(data, JSONResponse):
            return data
        max_tokens = data.max_tokens
        if isinstance(data, ChatIn) and data.max_completion_tokens is not None:
            max_tokens = data.max_completion_tokens
        max_tokens = DEFAULT_MAX_TOKENS if max_tokens is None else max_tokens
        limit = self.config.llm_max_tokens
        if max_tokens > limit:
            return error_response(400, f"max_tokens must be at most {limit} on this server, got {max_tokens}",
                                  "invalid_request_error", "max_tokens")
        prompt = _prompt_text(data)
        prompt_tokens = count_tokens(prompt)
        try:
            sequence = self.scheduler.submit(prompt_tokens, max_tokens)
        except QueueFull as exc:
            self.metrics.rejected.inc()
            return error_response(503, str(exc), "server_overloaded", headers={"Retry-After": "1"})
        answer = _Answer(chat, data.model, prompt, prompt_tokens, self.config.seed)
        if data.stream:
            include_usage = bool(data.stream_options and data.stream_options.include_usage)
            return StreamingResponse(
                self._stream(sequence, answer, include_usage),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        try:
            text = []
            while await sequence.tokens.get() is not None:
                text.append(answer.tokens.next())
        finally:
            self.scheduler.abort(sequence)
        if sequence.state == "aborted":
            return error_response(503, "the server is shutting down", "server_overloaded")
        return JSONResponse(answer.whole("".join(text), sequence.generated))

    async def _stream(self, sequence: Sequence, answer: _Answer, include_usage: bool) -> AsyncIterator[bytes]:
        try:
            while await sequence.tokens.get() is not None:
                last = answer.sent + 1 >= sequence.max_tokens
                yield answer.chunk(answer.tokens.next(), last, include_usage)
            if include_usage:
                yield answer.usage_chunk(sequence.generated)
            yield b"data: [DONE]\n\n"
        finally:
            self.scheduler.abort(sequence)  # the client went away mid-stream: free the slot


class _Answer:
    """The JSON shapes of one answer (ids, timestamps, chunks)."""

    def __init__(self, chat: bool, model: str, prompt: str, prompt_tokens: int, seed: int) -> None:
        self.chat = chat
        self.model = model
        self.prompt_tokens = prompt_tokens
        self.id = ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex[:24]
        self.created = int(time.time())
        self.tokens = TokenStream(prompt, seed)
        self.sent = 0

    def usage(self, completion_tokens: int) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": completion_tokens,
                "total_tokens": self.prompt_tokens + completion_tokens}

    def _base(self, kind: str) -> dict[str, Any]:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model}

    def whole(self, text: str, completion_tokens: int) -> dict[str, Any]:
        if self.chat:
            choice = {"index": 0, "message": {"role": "assistant", "content": text}, "logprobs": None,
                      "finish_reason": "length"}
            body = self._base("chat.completion")
        else:
            choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": "length"}
            body = self._base("text_completion")
        return {**body, "choices": [choice], "usage": self.usage(completion_tokens)}

    def chunk(self, token: str, last: bool, include_usage: bool) -> bytes:
        finish = "length" if last else None
        if self.chat:
            delta: dict[str, Any] = {"content": token}
            if self.sent == 0:
                delta = {"role": "assistant", "content": token}
            body = {**self._base("chat.completion.chunk"),
                    "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        else:
            body = {**self._base("text_completion"),
                    "choices": [{"index": 0, "text": token, "logprobs": None, "finish_reason": finish}]}
        if include_usage:
            body["usage"] = None
        self.sent += 1
        return _event(body)

    def usage_chunk(self, completion_tokens: int) -> bytes:
        kind = "chat.completion.chunk" if self.chat else "text_completion"
        return _event({**self._base(kind), "choices": [], "usage": self.usage(completion_tokens)})


def _event(body: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"


@router.post("/completions")
async def completions(request: Request) -> Response:
    """OpenAI-style text completion: `prompt`, `max_tokens`, `stream`, `stream_options.include_usage`."""
    return await request.app.state.llm.handle(request, CompletionIn, chat=False)


@router.post("/chat/completions")
async def chat_completions(request: Request) -> Response:
    """OpenAI-style chat completion: `messages`, `max_tokens` (or `max_completion_tokens`), `stream`."""
    return await request.app.state.llm.handle(request, ChatIn, chat=True)


@router.get("/models")
async def models() -> dict[str, Any]:
    """The one model this server pretends to serve."""
    return {"object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "breaking-point"}]}


def install(app: FastAPI, config: Config, registry: Any) -> None:
    """The one registration point: the router and the worker's LLM service (its scheduler)."""
    app.include_router(router)
    app.state.llm = LLMService(config, LLMMetrics(registry))


async def shutdown(app: FastAPI) -> None:
    service = getattr(app.state, "llm", None)
    if service is not None:
        await service.scheduler.close()
