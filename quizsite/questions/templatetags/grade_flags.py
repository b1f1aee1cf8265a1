"""{% grade_flag answer.flag_ref %}: the "I think this grade is wrong" control under a grade."""

from django import template

from quizsite.questions.flags import existing_flag

register = template.Library()


@register.inclusion_tag("questions/_flag.html", takes_context=True)
def grade_flag(context, ref: str) -> dict:
    """The control for one graded answer, or the thanks when it has been flagged already. Pages pass only
    the references of the learner's own answers; the flag view checks that again."""
    request = context.get("request")
    back = request.get_full_path() if request is not None and request.method == "GET" else ""
    return {"ref": ref, "flag": existing_flag(ref) if ref else None, "next": back,
            "csrf_token": context.get("csrf_token")}
