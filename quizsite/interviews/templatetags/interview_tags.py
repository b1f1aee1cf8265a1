"""Filters for interview pages: clocks, durations and percentages as people read them."""

from django import template

from quizsite.lib.exports import markdown_fence, markdown_inline

register = template.Library()
register.filter("md_inline", markdown_inline)
register.filter("md_fence", markdown_fence)


@register.filter
def clock(seconds) -> str:
    """Seconds as a clock: 754 -> "12:34", 3754 -> "1:02:34"."""
    try:
        total = max(0, int(seconds))
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def duration(seconds) -> str:
    """Seconds in words: 754 -> "12 min 34 s", 40 -> "40 s"."""
    try:
        total = max(0, int(seconds))
    except (TypeError, ValueError):
        return ""
    minutes, secs = divmod(total, 60)
    if not minutes:
        return f"{secs} s"
    return f"{minutes} min {secs} s" if secs else f"{minutes} min"


@register.filter
def pct(value) -> str:
    """A 0-1 score as a whole percentage: 0.734 -> "73%"; empty for None."""
    if value is None or value == "":
        return ""
    return f"{round(float(value) * 100)}%"


@register.filter
def pct_number(value) -> int:
    return round(float(value or 0) * 100)
