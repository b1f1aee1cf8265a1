"""The scorecard's maths, without a database, against numbers worked out by hand."""

import pytest

from quizsite.interviews.scoring import by_competency, mean, score_question

CONCEPTS = [
    {"id": "a", "label": "A", "weight": 3},
    {"id": "b", "label": "B", "weight": 1},
    {"id": "c", "label": "C"},  # weight defaults to 1: total weight 5
]


def test_without_marks_the_final_score_is_the_automatic_score():
    """No ticks and no override: final = automatic."""
    s = score_question(0.6, CONCEPTS, found=["a"], ticked=[])
    assert (s.auto, s.combined, s.final, s.override, s.interviewer) == (0.6, 0.6, 0.6, None, None)


def test_a_ticked_concept_the_grader_missed_adds_its_weight_share():
    """Grader found a (3/5 = 0.6); the interviewer heard c (1/5): 0.6 + 0.2 = 0.8."""
    s = score_question(0.6, CONCEPTS, found=["a"], ticked=["c"])
    assert s.combined == pytest.approx(0.8)
    assert s.final == pytest.approx(0.8)
    assert s.ticked_extra == ("c",)
    assert s.interviewer == pytest.approx(0.8)


def test_ticking_a_concept_the_grader_found_adds_nothing():
    """a is already counted in the automatic 0.6; ticking it again changes nothing."""
    s = score_question(0.6, CONCEPTS, found=["a"], ticked=["a"])
    assert s.final == pytest.approx(0.6)
    assert s.ticked_extra == ()
    assert s.interviewer is None


def test_ticks_add_to_an_automatic_score_lowered_by_a_misconception():
    """Automatic 0.35 (a found, 0.6, minus a 0.25 penalty); ticking b and c adds 2/5: 0.75."""
    s = score_question(0.35, CONCEPTS, found=["a"], ticked=["b", "c"])
    assert s.final == pytest.approx(0.75)


def test_the_combined_score_is_capped_at_one():
    """0.9 + 3/5 would be 1.5: capped at 1."""
    assert score_question(0.9, CONCEPTS, found=["b"], ticked=["a"]).final == 1.0


def test_an_override_replaces_the_score_whatever_was_ticked():
    """The interviewer's 0.45 wins over automatic 0.6 + ticks 0.2."""
    s = score_question(0.6, CONCEPTS, found=["a"], ticked=["c"], override=0.45)
    assert s.combined == pytest.approx(0.8)
    assert s.final == pytest.approx(0.45)
    assert s.interviewer == pytest.approx(0.45)


def test_an_override_of_zero_is_an_override():
    """0 is a score, not 'no override'."""
    s = score_question(0.6, CONCEPTS, found=["a"], ticked=[], override=0.0)
    assert s.final == 0.0 and s.interviewer == 0.0


def test_unknown_ticks_are_ignored_and_an_unanswered_question_starts_at_zero():
    """An unanswered question: automatic 0; the interviewer heard a and b aloud: 4/5."""
    s = score_question(0.0, CONCEPTS, found=[], ticked=["a", "b", "zzz"])
    assert s.final == pytest.approx(0.8)


def test_overall_and_competency_means():
    """Overall is the plain mean of final scores; competencies average their own questions, in order."""
    rows = [("diagnosis", 0.8), ("measurement", 0.5), ("diagnosis", 0.4)]
    assert mean(final for _, final in rows) == pytest.approx(1.7 / 3)
    assert by_competency(rows, order=["measurement", "diagnosis", "scaling"]) == [
        ("measurement", 0.5, 1), ("diagnosis", pytest.approx(0.6), 2)]
    assert mean([]) is None
