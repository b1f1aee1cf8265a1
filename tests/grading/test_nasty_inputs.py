"""Whatever a learner (or a broken client) sends, grading answers with a Grade and never raises."""

import json
import time
from decimal import Decimal
from fractions import Fraction

import pytest
from grading_fixtures import DEBUG

from quizsite.questions.grading import Grade, Verdict, grade

SPECS = {
    "single": {
        "type": "single",
        "choices": [{"id": "a", "text": "A", "correct": True}, {"id": "b", "text": "B", "correct": False}],
    },
    "multiple": {
        "type": "multiple",
        "choices": [
            {"id": "a", "text": "A", "correct": True},
            {"id": "b", "text": "B", "correct": True},
            {"id": "c", "text": "C", "correct": False},
        ],
    },
    "numeric": {"type": "numeric", "answer": 123, "unit": "ms"},
    "calculated": {
        "type": "calculated",
        "variables": {"n": {"min": 1, "max": 9}},
        "formula": "n * 41",
        "unit": "",
    },
    "rubric": DEBUG,
}
VARIABLES = {"calculated": {"n": 3}}


class Weird:
    def __str__(self) -> str:
        raise RuntimeError("no string for you")


NASTY = [
    None,
    "",
    "   ",
    "\t\n",
    "x" * 100_000,
    "profile " * 12_500,
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e999",
    "-1e999",
    [1, 2],
    {"a": 1},
    b"bytes",
    "１２３",
    "١٢٣",
    "🔥",
    "🔥" * 50,
    "\x00",
    "a\x00b",
    "\ud800",
    "\u202eevil",
    True,
    False,
    0,
    -0.0,
    float("nan"),
    float("inf"),
    10**400,
    Decimal("NaN"),
    Decimal("1.5"),
    Fraction(1, 3),
    1 + 2j,
    set(),
    frozenset({"a"}),
    (),
    [[[[[]]]]],
    [None],
    ["a", ["b"]],
    Weird(),
    object(),
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "{{ n }}",
    "%s%s%n",
    "a,b,c,d,e,f",
    ",,,",
    "1,5",
    "2^10",
    "9**9**9",
    "__import__('os')",
]


def _id(value: object) -> str:
    """A short, stable id: a repr without a memory address, so a test can be run again by its id."""
    text = repr(value)
    return (f"<{type(value).__name__}>" if " at 0x" in text else text)[:24]


@pytest.mark.timeout(10)
@pytest.mark.parametrize("kind", SPECS)
@pytest.mark.parametrize("response", NASTY, ids=_id)
def test_grading_never_raises(kind, response):
    """Every response type gets a well-formed Grade: a verdict, a score in [0, 1], feedback lines, and a
    JSON-serialisable dict, without an internal error behind it."""
    result = grade(SPECS[kind], response, VARIABLES.get(kind))
    assert isinstance(result, Grade)
    assert result.verdict in Verdict
    assert 0.0 <= result.score <= 1.0
    assert result.feedback and all(isinstance(line, str) and line for line in result.feedback)
    assert "internal_error" not in result.details
    json.dumps(result.to_dict())
    assert result.counts_as_attempt == (result.verdict != Verdict.INVALID)
    if result.verdict == Verdict.INVALID:
        assert result.score == 0 and result.expected == ""


ALWAYS_INVALID = [
    None,
    "",
    "   ",
    "x" * 100_000,
    "NaN",
    "nan",
    "inf",
    "1e999",
    "-1e999",
    [1, 2],
    {"a": 1},
    b"bytes",
    "🔥",
    "\x00",
    True,
    object(),
    1 + 2j,
]
TEXT_THAT_IS_A_NUMBER = ["１２３", "١٢٣"]


@pytest.mark.parametrize("kind", ["single", "multiple", "numeric", "calculated"])
@pytest.mark.parametrize("response", ALWAYS_INVALID, ids=_id)
def test_unreadable_responses_are_invalid(kind, response):
    """Nothing in this list is a choice id or a finite number: all are invalid, with a message."""
    result = grade(SPECS[kind], response, VARIABLES.get(kind))
    assert result.verdict == Verdict.INVALID


@pytest.mark.parametrize(
    "response", [None, "", "   ", "x" * 100_000, [1, 2], {"a": 1}, b"bytes", "🔥", "\x00", 42]
)
def test_rubric_rejects_non_text_empty_and_huge(response):
    """A rubric needs words: non-text, empty, emoji-only and over-long answers are invalid."""
    assert grade(SPECS["rubric"], response).verdict == Verdict.INVALID


@pytest.mark.parametrize(
    "response", ["NaN", "inf", "1e999", "１２３", "<script>alert(1)</script>", "' OR 1=1 --"]
)
def test_rubric_grades_odd_text_as_text(response):
    """Odd but real text is graded (and earns nothing), rather than being rejected."""
    result = grade(SPECS["rubric"], response)
    assert (result.verdict, result.score) == (Verdict.INCORRECT, 0.0)


@pytest.mark.parametrize("response", TEXT_THAT_IS_A_NUMBER)
def test_digits_of_other_scripts_are_numbers(response):
    """Full-width and Arabic-Indic digits read as 123."""
    assert grade(SPECS["numeric"], response).verdict == Verdict.CORRECT
    assert grade(SPECS["calculated"], response, {"n": 3}).verdict == Verdict.CORRECT


@pytest.mark.parametrize("response", [0, -0.0, "-0", Decimal("1.5"), Fraction(1, 3)])
def test_real_numbers_of_any_type_are_graded(response):
    """Ints, floats, Decimals and Fractions are numbers: graded, not invalid."""
    assert grade(SPECS["numeric"], response).verdict == Verdict.INCORRECT


@pytest.mark.timeout(10)
def test_huge_inputs_are_rejected_quickly():
    """A 100 kB answer is turned away in well under a tenth of a second of CPU for every type (CPU time
    of this thread, so a busy machine does not count against it)."""
    huge = "profile cache database " * 5_000
    for kind, spec in SPECS.items():
        started = time.thread_time()
        assert grade(spec, huge, VARIABLES.get(kind)).verdict == Verdict.INVALID
        assert time.thread_time() - started < 0.1
