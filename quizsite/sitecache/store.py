"""Where kept pages and API reads live (`CACHES["pages"]`, apart from the rate limits' default cache), for
how long, and what is never kept; a cache that is away (Redis down) costs the keeping, never the answer."""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import caches

CACHE_ALIAS = "pages"
# Short: with Redis the kept answers share its memory with the rate limits, and a flood of distinct URLs must
# not stay resident long (in memory, PAGE_CACHE_ENTRIES bounds them per process).
TIMEOUT_S = 10 * 60
MAX_QUERY_CHARS = 200  # longer query strings (no real filter needs one) are answered, never kept

logger = logging.getLogger(__name__)


def query_too_long(request) -> bool:
    return len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_CHARS


def read(key: str) -> Any | None:
    """The kept value, or None when there is none or the cache is away."""
    try:
        return caches[CACHE_ALIAS].get(key)
    except Exception:  # noqa: BLE001 - any backend error: answer as if nothing were kept
        logger.warning("page cache unavailable on read", exc_info=True)
        return None


def keep(key: str, value: Any) -> None:
    try:
        caches[CACHE_ALIAS].set(key, value, TIMEOUT_S)
    except Exception:  # noqa: BLE001 - not kept this time; the reader still gets the answer
        logger.warning("page cache unavailable on write", exc_info=True)
