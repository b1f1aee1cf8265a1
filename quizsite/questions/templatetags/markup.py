"""Content text in templates: Markdown rendered and sanitised (quizsite.lib.markdown), never shown raw."""

from django import template
from django.utils.safestring import SafeString, mark_safe

from quizsite.lib.markdown import render_inline_markdown

register = template.Library()


@register.filter
def inline_md(text) -> SafeString:
    """A short content text (choice, rubric label, feedback line) with its Markdown rendered inline."""
    return mark_safe(render_inline_markdown(str(text or "")))  # noqa: S308 - nh3 sanitised
