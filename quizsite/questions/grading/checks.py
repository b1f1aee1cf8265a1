"""Small helpers for spec validation: each returns error messages prefixed with their field path."""

import math
from typing import Any


def at(path: str, key: str | int) -> str:
    """The path of a child field: at("choices", 2) is "choices[2]", at("tolerance", "relative") is
    "tolerance.relative"."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def is_number(value: Any) -> bool:
    """A finite int or float (bools are not numbers here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def unknown_keys(item: dict, allowed: set[str], path: str) -> list[str]:
    return [f"{at(path, str(key))}: unknown field" for key in item if key not in allowed]


def text(item: dict, key: str, path: str, required: bool = True) -> list[str]:
    """Errors for a field that must be non-empty text (or absent, when not required)."""
    if key not in item:
        return [f"{at(path, key)}: required"] if required else []
    value = item[key]
    if not isinstance(value, str) or not value.strip():
        return [f"{at(path, key)}: must be non-empty text"]
    return []


def number(
    item: dict,
    key: str,
    path: str,
    required: bool = True,
    minimum: float | None = None,
    above: float | None = None,
    maximum: float | None = None,
) -> list[str]:
    """Errors for a field that must be a finite number within optional bounds."""
    if key not in item:
        return [f"{at(path, key)}: required"] if required else []
    value = item[key]
    if not is_number(value):
        return [f"{at(path, key)}: must be a number, got {value!r}"]
    if minimum is not None and value < minimum:
        return [f"{at(path, key)}: must be at least {minimum}"]
    if above is not None and value <= above:
        return [f"{at(path, key)}: must be greater than {above}"]
    if maximum is not None and value > maximum:
        return [f"{at(path, key)}: must be at most {maximum}"]
    return []
