"""Calculated questions: seeded variants, lab measurements, a formula, then numeric grading."""

import pytest

from quizsite.questions.grading import SpecError, Verdict, grade, render_template, sample_variables

FANOUT = {
    "type": "calculated",
    "variables": {
        "users": {"min": 100, "max": 1000, "step": 100},
        "fanout": {"choices": [2, 3, 5]},
    },
    "formula": "users * (1 - 0.99 ** fanout)",
    "unit": "users",
    "tolerance": {"relative": 0.02},
    "partial_tolerance": {"relative": 0.1},
}

LITTLE = {
    "type": "calculated",
    "variables": {
        "rps": {"from_run": "rps", "sample": 450},
        "p50_ms": {"from_run": "p50_ms", "sample": 120},
    },
    "formula": "rps * p50_ms / 1000",
    "tolerance": {"relative": 0.05},
}

TAIL = {
    "type": "calculated",
    "variables": {"daily": {"value": 1_000_000}, "p99_ms": {"from_run": "p99_ms", "sample": 238}},
    "formula": "daily * 0.01",
    "unit": "",
}


@pytest.mark.parametrize(
    ("variables", "response", "verdict"),
    [
        ({"users": 1000, "fanout": 3}, "29.7", Verdict.CORRECT),  # 1000 × (1 − 0.970299) = 29.701
        ({"users": 1000, "fanout": 3}, "30", Verdict.CORRECT),  # +1.0%, inside ±2%
        ({"users": 1000, "fanout": 3}, "31", Verdict.PARTIAL),  # +4.4%, inside ±10%
        ({"users": 1000, "fanout": 3}, "40", Verdict.INCORRECT),
        ({"users": 200, "fanout": 2}, "3.98 users", Verdict.CORRECT),  # 200 × 0.0199 = 3.98
        ({"users": 200, "fanout": 2}, "29.7", Verdict.INCORRECT),
    ],
)
def test_expected_value_comes_from_the_formula(variables, response, verdict):
    """The answer is the formula evaluated with the learner's variant, graded with the numeric rules."""
    assert grade(FANOUT, response, variables).verdict == verdict


def test_feedback_shows_how_the_answer_was_worked_out():
    """After grading, the formula and the values it used are shown."""
    result = grade(FANOUT, "40", {"users": 1000, "fanout": 3})
    assert result.expected == "29.7 users"
    assert result.feedback == [
        "Your answer, 40 users, is 34.7% above the expected 29.7 users (allowed ±2%).",
        "Worked out as users * (1 - 0.99 ** fanout) with fanout = 3, users = 1,000.",
    ]
    assert result.details["variables"] == {"users": 1000, "fanout": 3}
    assert result.details["formula"] == "users * (1 - 0.99 ** fanout)"


def test_run_measurements_are_passed_in():
    """A lab run's measurements fill from_run variables: 450 req/s × 0.12 s = 54 in flight."""
    result = grade(LITTLE, "54", {"rps": 450, "p50_ms": 120, "p99_ms": 300})
    assert (result.verdict, result.expected) == (Verdict.CORRECT, "54")
    assert grade(LITTLE, "54", {"rps": 900, "p50_ms": 120}).verdict == Verdict.INCORRECT


def test_fixed_values_need_no_caller():
    """A variable declared with `value` is filled in by the engine: 1% of 1,000,000 is 10,000."""
    assert grade(TAIL, "10,000").verdict == Verdict.CORRECT
    assert grade(TAIL, "10k", {}).verdict == Verdict.CORRECT


@pytest.mark.parametrize("variables", [None, {}, {"rps": 450}])
def test_missing_run_variable_is_a_spec_error(variables):
    """A variable the formula needs and the caller did not pass is a programming error."""
    with pytest.raises(SpecError, match="missing 'p50_ms'"):
        grade(LITTLE, "54", variables)


def test_division_by_zero_in_a_variant_is_a_spec_error():
    """A formula that cannot be evaluated for the given values raises SpecError, not a learner error."""
    spec = {
        "type": "calculated",
        "variables": {"rps": {"from_run": "rps", "sample": 10}},
        "formula": "1000 / rps",
    }
    with pytest.raises(SpecError, match="division by zero"):
        grade(spec, "1", {"rps": 0})


def test_unreadable_answer_is_invalid_without_the_working():
    """An unreadable answer is invalid, and neither the answer nor the working leaks."""
    result = grade(FANOUT, "about thirty", {"users": 1000, "fanout": 3})
    assert result.verdict == Verdict.INVALID
    assert result.expected == ""
    assert len(result.feedback) == 1


def test_sample_variables_is_deterministic_per_seed():
    """The same seed always gives the same variant; different learners get different ones."""
    first = sample_variables(FANOUT, "learner-1")
    assert first == sample_variables(FANOUT, "learner-1")
    variants = {tuple(sorted(sample_variables(FANOUT, f"learner-{i}").items())) for i in range(50)}
    assert len(variants) > 10


def test_a_learners_variant_is_stable_across_releases():
    """Variants are pinned: changing them would change the question under a learner's feet."""
    spec = {
        "type": "calculated",
        "variables": {
            "users": {"min": 100, "max": 1000, "step": 100},
            "fanout": {"choices": [2, 3, 5]},
            "rate": {"min": 0.5, "max": 2.5},
            "n": {"min": 1, "max": 10},
            "daily": {"value": 1_000_000},
            "p99": {"from_run": "p99_ms", "sample": 238},
        },
        "formula": "users",
    }
    assert sample_variables(spec, "learner-1") == {
        "users": 800,
        "fanout": 3,
        "rate": 1.536,
        "n": 8,
        "daily": 1_000_000,
    }


def test_adding_a_variable_keeps_the_others():
    """Each variable has its own seeded stream, so adding one does not reshuffle the rest."""
    before = sample_variables(FANOUT, "learner-7")
    extended = {**FANOUT, "variables": {"aaa": {"min": 1, "max": 9}, **FANOUT["variables"]}}
    after = sample_variables(extended, "learner-7")
    assert {k: after[k] for k in before} == before


@pytest.mark.parametrize("seed", range(40))
def test_sampled_values_respect_the_definitions(seed):
    """Ranges give values on their steps within bounds; choices come from the list; run variables skipped."""
    spec = {
        "type": "calculated",
        "variables": {
            "users": {"min": 100, "max": 1000, "step": 100},
            "fanout": {"choices": [2, 3, 5]},
            "ratio": {"min": 0.1, "max": 0.3, "step": 0.05},
            "p99_ms": {"from_run": "p99_ms", "sample": 238},
        },
        "formula": "users",
    }
    values = sample_variables(spec, seed)
    assert set(values) == {"users", "fanout", "ratio"}
    assert values["users"] in {100.0 * k for k in range(1, 11)}
    assert values["fanout"] in {2, 3, 5}
    assert values["ratio"] in {0.1, 0.15, 0.2, 0.25, 0.3}


def test_sample_variables_for_other_types_is_empty():
    """Questions without variables have no variant."""
    assert sample_variables({"type": "numeric", "answer": 1}, "x") == {}


def test_sample_variables_with_a_bad_definition_is_a_spec_error():
    """Sampling an invalid variable definition raises SpecError."""
    with pytest.raises(SpecError, match="variables.users"):
        sample_variables({"type": "calculated", "variables": {"users": {"min": 5}}, "formula": "users"}, "s")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ users }} users", "1,000 users"),
        ("{{users}} users", "1,000 users"),
        ("P99 was {{ p99_ms }} ms", "P99 was 238.4 ms"),
        ("{{ ratio }}", "0.99"),
        ("{{ tiny }}", "0.99999"),
        ("{{ big }}", "12,346"),
        ("{{ city }}", "NY"),
        ("{{ unknown }} and {{ users }}", "{{ unknown }} and 1,000"),
        ("{{ users.x }}", "{{ users.x }}"),
        ("no placeholders", "no placeholders"),
    ],
)
def test_render_template(text, expected):
    """Placeholders become nicely formatted numbers; unknown names are left as they are."""
    variables = {
        "users": 1000.0,
        "p99_ms": 238.41234,
        "ratio": 0.99,
        "tiny": 0.99999,
        "big": 12345.6,
        "city": "NY",
    }
    assert render_template(text, variables) == expected
