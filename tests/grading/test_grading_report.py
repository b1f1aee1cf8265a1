"""manage.py grading_report: the corpus figures an author reads after editing a rubric."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def report(*args: str) -> str:
    out = StringIO()
    call_command("grading_report", *args, stdout=out)
    return out.getvalue()


def test_one_question_prints_each_class_the_cross_maximum_and_the_misconceptions_fired():
    text = report("--question", "what-is-p99")
    assert "== what-is-p99" in text
    for kind in ("strong", "partial", "wrong", "salad", "echo"):
        assert f"  {kind} " in text
    assert "cross    max" in text and " from " in text
    assert "misconceptions: p99-is-average" in text  # the corpus's inverted answer fires it
    assert "[strong terse]" in text and "you said “" in text  # every answer, with its feedback


@pytest.mark.slow
def test_the_overall_report_names_the_worst_questions():
    """Every question, then the overall figures (about 20 s: every corpus answer and every cross-grading pair)."""
    text = report()
    assert "== overall" in text
    assert "strong >= 0.7:" in text and "wrong <= 0.3:" in text
    assert "answers off their bar:" in text


def test_an_unknown_question_is_a_clear_error():
    with pytest.raises(CommandError, match="no rubric question 'nope'"):
        report("--question", "nope")
