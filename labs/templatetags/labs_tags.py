"""Numbers with units and sensible precision for the lab pages: "238 ms", "1,450 req/s", "37%"."""

from django import template

from quizsite.lib.units import format_number

register = template.Library()
DASH = "–"


def _value(value):
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@register.filter
def num(value, sig: int = 3) -> str:
    number = _value(value)
    return DASH if number is None else format_number(number, int(sig))


@register.filter
def ms(value) -> str:
    number = _value(value)
    return DASH if number is None else f"{format_number(number, 3)} ms"


@register.filter
def rps(value) -> str:
    number = _value(value)
    return DASH if number is None else f"{format_number(number, 3)} req/s"


@register.filter
def pct(value) -> str:
    number = _value(value)
    return DASH if number is None else f"{format_number(number, 3)}%"


@register.filter
def ratio_pct(value) -> str:
    number = _value(value)
    return DASH if number is None else f"{format_number(100 * number, 3)}%"


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


BOTTLENECKS = {
    "cpu": "CPU-bound",
    "io": "I/O-bound",
    "blocking": "Blocked event loop",
    "concurrency_limit": "Concurrency limit (503s)",
    "generator": "Load generator saturated",
    "batch": "Batch full (KV-cache slots)",
    "none": "Never saturated",
}


@register.filter
def bottleneck(value) -> str:
    """A diagnosis's bottleneck as a label: "cpu" -> "CPU-bound"."""
    return BOTTLENECKS.get(value, DASH if not value else str(value))


@register.filter
def seconds(value) -> str:
    number = _value(value)
    return DASH if number is None else f"{format_number(number, 3)} s"
