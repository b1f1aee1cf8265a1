"""Tokens without a model: a prompt's token count and a deterministic stream of output words.

A "token" here is a word or a single punctuation mark, roughly what a real tokenizer makes of English
(real ones split long words further). The output is a sequence of words picked from a small vocabulary by
a hash of the prompt, so the same prompt always gets the same answer: tests and learners can compare runs.
"""

from __future__ import annotations

import hashlib
import re

_TOKEN = re.compile(r"\w+|[^\w\s]")
VOCABULARY = (
    "the", "queue", "grows", "when", "arrivals", "outpace", "service", "and", "latency", "follows", "a",
    "batch", "of", "sequences", "shares", "each", "decode", "step", "so", "tokens", "per", "second", "rise",
    "until", "slots", "run", "out", "then", "time", "to", "first", "token", "climbs", "while", "throughput",
    "levels", "off", "cache", "memory", "limits", "how", "many", "requests", "fit", "at", "once", "load",
    "test", "measures", "what", "users", "feel", "not", "averages", "but", "tails", "under", "pressure",
)  # fmt: skip


def count_tokens(text: str) -> int:
    """The number of tokens in `text` (words and punctuation marks); at least 1 for an empty prompt (BOS)."""
    return max(1, len(_TOKEN.findall(text)))


class TokenStream:
    """The output tokens for one prompt: `next()` returns " word" pieces, the same sequence every time."""

    def __init__(self, prompt: str, seed: int = 0) -> None:
        digest = hashlib.sha256(f"{seed}:{prompt}".encode()).digest()
        self._state = int.from_bytes(digest[:8], "big") or 1
        self.count = 0

    def next(self) -> str:
        # xorshift64: cheap, deterministic, good enough to vary the words
        x = self._state
        x ^= (x << 13) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 7
        x ^= (x << 17) & 0xFFFFFFFFFFFFFFFF
        self._state = x
        word = VOCABULARY[x % len(VOCABULARY)]
        self.count += 1
        return word if self.count == 1 else " " + word
