"""Single- and multiple-answer questions."""

import pytest

from quizsite.questions.grading import Grade, Verdict, grade

SINGLE = {
    "type": "single",
    "choices": [
        {"id": "a", "text": "The average latency", "correct": False, "feedback": "The mean hides the tail."},
        {
            "id": "b",
            "text": "The 99th percentile latency",
            "correct": True,
            "feedback": "99% are at or below.",
        },
        {"id": "c", "text": "The maximum latency", "correct": False},
    ],
}

MULTIPLE = {
    "type": "multiple",
    "choices": [
        {"id": "a", "text": "CPU saturation", "correct": True, "feedback": "Check with top."},
        {"id": "b", "text": "Slow database queries", "correct": True},
        {"id": "c", "text": "The colour of the logo", "correct": False, "feedback": "Not a latency cause."},
        {"id": "d", "text": "Blocking calls in async handlers", "correct": True},
        {"id": "e", "text": "The font size", "correct": False},
    ],
}


@pytest.mark.parametrize("response", ["b", " b ", "B", "b)", "(b)", "b.", ["b"]])
def test_single_accepts_the_id_loosely(response):
    """Case, surrounding spaces and "b)" wrapping do not matter."""
    result = grade(SINGLE, response)
    assert (result.score, result.verdict) == (1.0, Verdict.CORRECT)


def test_single_correct_feedback_explains():
    """A right pick is confirmed with the author's explanation."""
    result = grade(SINGLE, "b")
    assert result.feedback == ["✓ b) The 99th percentile latency — 99% are at or below."]
    assert result.expected == "b) The 99th percentile latency"


def test_single_wrong_pick_names_both_choices():
    """A wrong pick explains why it is wrong and names the right answer."""
    result = grade(SINGLE, "a")
    assert (result.score, result.verdict) == (0.0, Verdict.INCORRECT)
    assert result.feedback == [
        "✗ You picked a) The average latency — The mean hides the tail.",
        "→ The answer is b) The 99th percentile latency — 99% are at or below.",
    ]
    assert result.counts_as_attempt


@pytest.mark.parametrize(
    ("response", "message"),
    [
        ("", "Pick an answer first."),
        ("   ", "Pick an answer first."),
        ("z", "'z' is not one of the choices (a, b, c)."),
        (["a", "b"], "Pick only one answer."),
        (None, "Pick an answer by its id"),
        (2, "Pick an answer by its id"),
        ([1], "Each pick must be the id of a choice"),
    ],
)
def test_single_unreadable_is_invalid(response, message):
    """Unknown ids, empty answers and several picks are invalid and do not use up an attempt."""
    result = grade(SINGLE, response)
    assert result.verdict == Verdict.INVALID
    assert result.score == 0
    assert not result.counts_as_attempt
    assert result.feedback[0].startswith(message)
    assert result.expected == ""


@pytest.mark.parametrize(
    ("response", "score", "verdict"),
    [
        (["a", "b", "d"], 1.0, Verdict.CORRECT),
        (["d", "a", "b"], 1.0, Verdict.CORRECT),
        ("a,b,d", 1.0, Verdict.CORRECT),
        ("a, b, d", 1.0, Verdict.CORRECT),
        ("A B D", 1.0, Verdict.CORRECT),
        (("a", "b"), 0.6667, Verdict.PARTIAL),
        ({"a"}, 0.3333, Verdict.PARTIAL),
        (["a", "b", "d", "c"], 0.6667, Verdict.PARTIAL),
        (["a", "b", "c"], 0.3333, Verdict.PARTIAL),
        (["a", "c"], 0.0, Verdict.INCORRECT),
        (["a", "c", "e"], 0.0, Verdict.INCORRECT),
        (["c"], 0.0, Verdict.INCORRECT),
        (["c", "e"], 0.0, Verdict.INCORRECT),
    ],
)
def test_multiple_wrong_picks_cost(response, score, verdict):
    """Each right pick is worth 1/3 and each wrong pick costs 1/3, never below 0."""
    result = grade(MULTIPLE, response)
    assert result.score == pytest.approx(score, abs=1e-4)
    assert result.verdict == verdict


def test_multiple_feedback_names_each_right_wrong_and_missed_pick():
    """Feedback goes through the choices in order: right picks, wrong picks and missed answers."""
    result = grade(MULTIPLE, ["a", "c"])
    assert result.feedback == [
        "You picked 1 of the 3 right answers and 1 wrong one, each costing 1/3.",
        "✓ a) CPU saturation — Check with top.",
        "✗ Missed: b) Slow database queries",
        "✗ Wrong pick: c) The colour of the logo — Not a latency cause.",
        "✗ Missed: d) Blocking calls in async handlers",
    ]
    assert (
        result.expected == "a) CPU saturation; b) Slow database queries; d) Blocking calls in async handlers"
    )
    assert result.details["selected"] == ["a", "c"]


@pytest.mark.parametrize(
    ("response", "message"),
    [
        ([], "Pick at least one answer."),
        ("", "Pick at least one answer."),
        (" , ", "Pick at least one answer."),
        (["a", "a"], "You picked 'a' more than once."),
        ("a, A", "You picked 'a' more than once."),
        (["a", "zz"], "'zz' is not one of the choices (a, b, c, d, e)."),
        ({"x": 1}, "Pick an answer by its id"),
        (["a", None], "Each pick must be the id of a choice"),
        (["a"] * 101, "Too many picks."),
    ],
)
def test_multiple_unreadable_is_invalid(response, message):
    """Duplicates, unknown ids and empty picks are invalid, not wrong."""
    result = grade(MULTIPLE, response)
    assert result.verdict == Verdict.INVALID
    assert result.feedback[0].startswith(message)


def test_grade_round_trips_through_a_dict():
    """A Grade survives to_dict/from_dict, as stored in a JSON field."""
    result = grade(MULTIPLE, ["a", "c"])
    data = result.to_dict()
    assert data["verdict"] == "incorrect"
    assert Grade.from_dict(data) == result


def test_the_grade_records_what_was_picked_and_what_was_right():
    """details (stored with the answer and returned by the API) name the picks and the right answers, and
    the expected answer is given whether the pick was right or wrong."""
    right, wrong = grade(SINGLE, "b"), grade(SINGLE, "a")
    assert right.details == {"selected": ["b"], "correct": ["b"]}
    assert wrong.details == {"selected": ["a"], "correct": ["b"]}
    assert right.expected == wrong.expected != ""
    partial = grade(MULTIPLE, "a,c")
    assert partial.details == {"selected": ["a", "c"], "correct": ["a", "b", "d"], "right_picks": 1,
                               "wrong_picks": 1}


@pytest.mark.parametrize(
    ("response", "summary"),
    [
        ("a,b,d", "You picked 3 of the 3 right answers."),
        ("a,b,c", "You picked 2 of the 3 right answers and 1 wrong one, each costing 1/3."),
        ("a,c,e", "You picked 1 of the 3 right answers and 2 wrong ones, each costing 1/3."),
    ],
)
def test_multiple_summary_counts_right_and_wrong_picks(response, summary):
    assert grade(MULTIPLE, response).feedback[0] == summary


def test_a_rubric_grade_round_trips_and_a_short_dict_gets_defaults():
    """Every field survives to_dict/from_dict (concepts, misconceptions, details); a stored dict holding only
    score and verdict reads back with empty lists, no expected answer and no details."""
    full = Grade(0.5, Verdict.PARTIAL, ["Found one of two."], "Both ideas.",
                 concepts_found=[{"id": "queue", "evidence": "a queue forms"}],
                 concepts_missed=[{"id": "little"}], misconceptions=[{"id": "inverse", "message": "Backwards."}],
                 details={"weights": {"queue": 1, "little": 1}})
    assert Grade.from_dict(full.to_dict()) == full
    short = Grade.from_dict({"score": 0, "verdict": "incorrect"})
    assert short == Grade(0.0, Verdict.INCORRECT, [], "")
    assert (short.concepts_found, short.concepts_missed, short.misconceptions, short.details) == ([], [], [], {})
