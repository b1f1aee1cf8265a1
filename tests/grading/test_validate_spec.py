"""Spec validation reports every problem at once, each with its field path."""

import pytest
from grading_fixtures import DEBUG, P99

from quizsite.questions.grading import SpecError, grade, validate_spec

VALID = {
    "single": {
        "type": "single",
        "choices": [{"id": "a", "text": "A", "correct": True}, {"id": "b", "text": "B"}],
    },
    "multiple": {
        "type": "multiple",
        "choices": [
            {"id": "a", "text": "A", "correct": True},
            {"id": "b", "text": "B", "correct": True, "feedback": "Yes."},
        ],
    },
    "numeric": {
        "type": "numeric",
        "answer": 200,
        "unit": "ms",
        "tolerance": {"relative": 0.02, "absolute": 5},
        "partial_tolerance": {"relative": 0.1},
    },
    "numeric-bare": {"type": "numeric", "answer": 0},
    "calculated": {
        "type": "calculated",
        "formula": "users * (1 - 0.99 ** fanout) + p99_ms * 0",
        "variables": {
            "users": {"min": 100, "max": 1000, "step": 100},
            "fanout": {"choices": [2, 3]},
            "p99_ms": {"from_run": "p99_ms", "sample": 238},
            "k": {"value": 2},
        },
        "unit": "users",
        "tolerance": {"relative": 0.02},
    },
    "rubric-p99": P99,
    "rubric-debug": DEBUG,
    "with-meta": {"type": "numeric", "answer": 1, "id": "q1", "prompt": "ignored: not a grading field"},
}


@pytest.mark.parametrize("name", VALID)
def test_valid_specs_have_no_errors(name):
    """A well-formed spec of each type validates clean."""
    assert validate_spec(VALID[name]) == []


@pytest.mark.parametrize(
    ("spec", "errors"),
    [
        ("numeric", ["spec: must be a mapping"]),
        ({}, ["type: must be one of single, multiple, numeric, calculated, rubric, got None"]),
        (
            {"type": "essay"},
            ["type: must be one of single, multiple, numeric, calculated, rubric, got 'essay'"],
        ),
    ],
)
def test_spec_must_be_a_mapping_with_a_known_type(spec, errors):
    """Without a known type nothing else can be checked."""
    assert validate_spec(spec) == errors


def test_choice_errors_are_all_reported_with_paths():
    """Every broken choice is reported in one pass, each with its index and field."""
    spec = {
        "type": "single",
        "choices": [
            {"id": "a", "text": "A", "correct": True},
            {"id": "b", "text": "", "correct": "yes"},
            {"id": "B", "text": "Duplicate", "correct": True, "colour": "red"},
            {"text": "No id"},
            {"id": "d e", "text": "Spaces"},
            "not a mapping",
        ],
        "concepts": [],
    }
    assert validate_spec(spec) == [
        "concepts: not used by a single question",
        "choices[1].text: must be non-empty text",
        "choices[1].correct: must be true or false",
        "choices[2].colour: unknown field",
        "choices[2].id: duplicate id 'B'",
        "choices[3].id: required, a short text such as 'a'",
        "choices[4].id: must not contain spaces, commas or semicolons, got 'd e'",
        "choices[5]: must be a mapping with id, text and correct",
        "choices: a single-answer question needs exactly one correct choice, found 2",
    ]


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        (
            {"type": "single"},
            "choices: must be a list of at least two choices, each with id, text and correct",
        ),
        (
            {"type": "single", "choices": [{"id": "a", "text": "A", "correct": True}]},
            "choices: must be a list of at least two choices, each with id, text and correct",
        ),
        (
            {"type": "single", "choices": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}]},
            "choices: a single-answer question needs exactly one correct choice, found 0",
        ),
        (
            {
                "type": "multiple",
                "choices": [{"id": "a", "text": "A"}, {"id": "b", "text": "B", "correct": False}],
            },
            "choices: a multiple-answer question needs at least one correct choice",
        ),
        (
            {
                "type": "single",
                "choices": [{"id": "a,b", "text": "A", "correct": True}, {"id": "b", "text": "B"}],
            },
            "choices[0].id: must not contain spaces, commas or semicolons, got 'a,b'",
        ),
    ],
)
def test_choice_rules(spec, error):
    """Single needs exactly one correct choice, multiple at least one; ids are short and unique."""
    assert validate_spec(spec) == [error]


def test_numeric_errors_are_all_reported_with_paths():
    """Answer, unit and both tolerances are checked together."""
    spec = {
        "type": "numeric",
        "answer": "two hundred",
        "unit": "furlongs",
        "tolerance": {"relative": -0.1, "absolute": "5", "percent": 2},
        "partial_tolerance": {"relative": 2},
    }
    assert validate_spec(spec) == [
        "answer: must be a number, got 'two hundred'",
        "unit: unknown unit 'furlongs'; use one such as ms, s, req/s, %, MB, GiB, x, users",
        "tolerance: must be a mapping with relative (0.02 is ±2%) and/or absolute (in the answer's unit)",
        "partial_tolerance.relative: must be at most 1",
    ]


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"answer": float("nan")}, "answer: must be a number, got nan"),
        ({"answer": True}, "answer: must be a number, got True"),
        ({"answer": None}, "answer: must be a number, got None"),
        ({"tolerance": {}}, "tolerance: must be a mapping with relative"),
        ({"tolerance": 0.02}, "tolerance: must be a mapping with relative"),
        ({"tolerance": {"absolute": -1}}, "tolerance.absolute: must be at least 0"),
        ({"unit": 5}, "unit: must be text"),
        ({"partial_tolerance": {"relative": 0.01}}, "partial_tolerance: must be wider than tolerance"),
        ({"choices": []}, "choices: not used by a numeric question"),
    ],
)
def test_numeric_rules(changes, error):
    """The answer is a finite number, the unit known, tolerances non-negative and partial wider than full."""
    spec = {"type": "numeric", "answer": 200, "unit": "ms", "tolerance": {"relative": 0.02}, **changes}
    errors = validate_spec(spec)
    assert len(errors) == 1 and errors[0].startswith(error), errors


def test_calculated_errors_are_all_reported_with_paths():
    """Every variable problem, the unit and the tolerance are reported together."""
    spec = {
        "type": "calculated",
        "formula": "users * 2",
        "variables": {
            "users": {"min": 1000, "max": 100},
            "step_zero": {"min": 1, "max": 2, "step": 0},
            "two_forms": {"value": 1, "choices": [1]},
            "empty": {"choices": []},
            "run": {"from_run": "p99_ms"},
            "max": {"value": 1},
            "bad name": {"value": 1},
            "text": "42",
        },
        "unit": "parsecs",
        "answer": 12,
    }
    assert validate_spec(spec) == [
        "answer: not used by a calculated question",
        "variables.users: min (1000) must not be greater than max (100)",
        "variables.step_zero.step: must be greater than 0",
        "variables.two_forms: give exactly one of {min, max, step}, {choices}, {value} or {from_run, sample}",
        "variables.empty.choices: must be a non-empty list of numbers",
        "variables.run.sample: required, a typical measured value used to check the formula",
        "variables.max: 'max' is a built-in function or constant; choose another name",
        "variables.bad name: a variable name must be a plain identifier such as users or p99_ms",
        "variables.text: must be a mapping such as {min: 100, max: 1000, step: 100}",
        "unit: unknown unit 'parsecs'; use one such as ms, s, req/s, %, MB, GiB, x, users",
    ]


@pytest.mark.parametrize(
    ("formula", "variables", "error"),
    [
        (None, {}, "formula: required"),
        ("users *", {"users": {"value": 1}}, "formula: the formula is not valid arithmetic"),
        ("__import__('os')", {}, "formula: the function '__import__' is not allowed"),
        ("users * fanout", {"users": {"value": 1}}, "formula: uses undeclared variable 'fanout'; declare it"),
        ("1000 / users", {"users": {"min": 0, "max": 10}}, "formula: division by zero when users=0"),
        (
            "10 ** users",
            {"users": {"min": 1, "max": 400}},
            "formula: exponent 400 is larger than 100 when users=400",
        ),
        (
            "1000 / (p99_ms - 238)",
            {"p99_ms": {"from_run": "p99_ms", "sample": 238}},
            "formula: division by zero when p99_ms=238",
        ),
        ("sqrt(x - 5)", {"x": {"choices": [1, 9]}}, "formula: sqrt() of a negative number (-4) when x=1"),
    ],
)
def test_formula_is_parsed_checked_and_tried(formula, variables, error):
    """The formula must parse, use only declared variables and evaluate at the ranges' ends and samples."""
    spec = {"type": "calculated", "variables": variables}
    if formula is not None:
        spec["formula"] = formula
    errors = validate_spec(spec)
    assert errors and errors[0].startswith(error), errors


def test_partial_band_is_checked_at_evaluated_points():
    """For calculated questions, partial_tolerance must be wider than tolerance where the formula lands."""
    spec = {
        "type": "calculated",
        "variables": {"x": {"min": 1, "max": 10}},
        "formula": "x",
        "tolerance": {"absolute": 1},
        "partial_tolerance": {"relative": 0.5},
    }
    assert validate_spec(spec) == ["partial_tolerance: must be wider than tolerance when x=1"]


def test_rubric_errors_are_all_reported_with_paths():
    """Concept, misconception and threshold problems come back together, each with its path."""
    spec = {
        "type": "rubric",
        "model_answer": "",
        "concepts": [
            {"id": "a", "label": "A", "claims": ["alpha beta", "the", ""], "weight": 0, "gate": True},
            {"id": "a", "label": "", "claims": "alpha", "gate": "yes"},
            {"label": "No id", "claims": ["gamma delta", "Gamma delta"], "hint": "x"},
            "beta",
        ],
        "misconceptions": [{"id": "m", "label": "M", "claims": ["bad idea"], "penalty": 2}],
        "thresholds": {"correct": 0.5, "partial": 0.6},
    }
    assert validate_spec(spec) == [
        "model_answer: must be non-empty text",
        "concepts[0].weight: must be greater than 0",
        "concepts[0].follow_up: required",
        "concepts[0].claims[1]: 'the' has no words to match",
        "concepts[0].claims[2]: must be non-empty text",
        "concepts[1].label: must be non-empty text",
        "concepts[1].id: duplicate id 'a'",
        "concepts[1].gate: must be true or false",
        "concepts[1].claims: must be a non-empty list of claims",
        "concepts[2].hint: unknown field",
        "concepts[2].id: required",
        "concepts[2].claims[1]: duplicate claim 'Gamma delta'",
        "concepts[3]: must be a mapping with id, label and claims",
        "misconceptions[0].penalty: unknown field (a stated misconception caps the score at 0.3)",
        "misconceptions[0].correction: required",
        "misconceptions: needs at least 3 (the inverted definition, the swapped roles or direction, the classic "
        "wrong formula or tool claim), found 1",
        "thresholds.partial: must be below correct (0.5)",
    ]


def _wrong(i: int) -> dict:
    return {"id": f"m{i}", "label": f"M{i}", "claims": [f"wrong{i} claim{i}"], "correction": f"Right {i}."}


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"concepts": []}, "concepts: must be a list of concepts"),
        ({"misconceptions": "none"}, "misconceptions: must be a list of misconceptions"),
        ({"thresholds": [0.75]}, "thresholds: must be a mapping"),
        ({"thresholds": {"pass": 0.5}}, "thresholds.pass: unknown field"),
        (
            {"concepts": [{"id": "c", "label": "C", "gate": True, "follow_up": "?", "claims": ["(" + "|".join(
                ["alpha beta"] * 3) + ") (a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p) (a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p) (a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p)"]}]},
            "concepts[0].claims[0]:",
        ),
        (
            {"misconceptions": [{**_wrong(1), "id": "cpu"}, _wrong(2), _wrong(3)]},
            "misconceptions[0].id: duplicate",
        ),
        ({"concepts": [{"id": "cpu", "label": "CPU", "claims": ["check (the)? cpu"]}]},
         "concepts: mark at least one concept `gate: true`"),
        ({"concepts": [{"id": "cpu", "label": "CPU", "claims": ["cpu"], "gate": True, "follow_up": "?"}]},
         "concepts[0].claims[0]: 'cpu' one reading ('cpu') is the lone word 'cpu'"),
        (
            {"model_answer": "Something else entirely."},
            "model_answer: scores 0.00 (Not yet) against its own rubric (missed 'cpu', 'cache'); add claims",
        ),
        (
            {"prompt": "CPU checked?"},  # too short to be blocked as a copied run
            "prompt: pasting the prompt back scores",
        ),
    ],
)
def test_rubric_rules(changes, error):
    """Concepts are required; ids are unique; a gate, three misconceptions, no lone word; the model answer
    passes and the prompt pasted back does not."""
    spec = {
        "type": "rubric",
        "model_answer": "Check the CPU and add a cache.",
        "concepts": [
            {"id": "cpu", "label": "CPU", "gate": True, "follow_up": "What first?", "claims": ["(check|checked) (the)? cpu", "cpu checked"]},
            {"id": "cache", "label": "Cache", "claims": ["(add|added) (a)? cache", "cache added"]},
        ],
        "misconceptions": [_wrong(1), _wrong(2), _wrong(3)],
        **changes,
    }
    errors = validate_spec(spec)
    assert len(errors) == 1 and errors[0].startswith(error), errors


def test_grading_with_an_invalid_spec_raises_spec_error_with_every_error():
    """grade() refuses a broken spec with SpecError carrying the same list validate_spec returns."""
    spec = {"type": "numeric", "answer": "x", "unit": "furlongs"}
    with pytest.raises(SpecError) as raised:
        grade(spec, "1")
    assert raised.value.errors == validate_spec(spec)
    assert len(raised.value.errors) == 2


@pytest.mark.parametrize("spec", [None, "numeric", 42, ["type", "numeric"]])
def test_grading_with_a_non_mapping_spec_raises_spec_error(spec):
    """A spec that is not a mapping is a programming error."""
    with pytest.raises(SpecError, match="spec: must be a mapping"):
        grade(spec, "1")
