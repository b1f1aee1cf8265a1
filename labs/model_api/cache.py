"""A small least-recently-used cache for predictions over identical inputs."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable


class LRUCache:
    """Keeps the `size` most recently used entries; counts hits and misses."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"cache size must be >= 1, got {size}")
        self.size = size
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> float | None:
        """The cached value for `key` (now the most recently used), or None on a miss."""
        value = self._entries.get(key)
        if value is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: Hashable, value: float) -> None:
        """Store `value`, evicting the least recently used entry when full."""
        self._entries[key] = value
        self._entries.move_to_end(key)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
