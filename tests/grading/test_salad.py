"""The keyword-salad detector against the whole corpus: every salad is caught, no real answer is (terse
answers and note-style bullets included), and the thresholds sit inside a region where their neighbours
agree, so they are not tuned to a knife edge."""

import pytest

from quizsite.questions.corpus import load_corpus
from quizsite.questions.grading import rubric
from quizsite.questions.grading.text import tokenize

ANSWERS = [(a, tokenize(a.text)) for answers in load_corpus().values() for a in answers]


def _misread(run: int, share: float, function: float) -> list[str]:
    saved = rubric.SALAD_RUN, rubric.SALAD_SHARE, rubric.SALAD_MAX_FUNCTION
    rubric.SALAD_RUN, rubric.SALAD_SHARE, rubric.SALAD_MAX_FUNCTION = run, share, function
    try:
        return [
            f"{a.question} [{a.kind} {a.style}]: {a.text[:120]!r}"
            for a, tokens in ANSWERS
            if rubric.is_salad(tokens) != (a.kind == "salad")
        ]
    finally:
        rubric.SALAD_RUN, rubric.SALAD_SHARE, rubric.SALAD_MAX_FUNCTION = saved


def test_every_salad_and_no_real_answer_is_read_as_salad():
    assert sum(a.kind == "salad" for a, _ in ANSWERS) >= 30
    assert _misread(rubric.SALAD_RUN, rubric.SALAD_SHARE, rubric.SALAD_MAX_FUNCTION) == []


@pytest.mark.parametrize(
    ("run", "share", "function"),
    [(6, 0.4, 0.2), (6, 0.6, 0.2), (6, 0.5, 0.25), (5, 0.6, 0.2), (5, 0.6, 0.25)],
)
def test_neighbouring_thresholds_agree(run, share, function):
    """The chosen thresholds are not a knife edge: nearby settings read the corpus the same way."""
    assert _misread(run, share, function) == []
