"""Numeric questions: units, tolerances, partial credit and feedback that says how far off."""

import pytest

from quizsite.questions.grading import Verdict, grade

P99 = {
    "type": "numeric",
    "answer": 200,
    "unit": "ms",
    "tolerance": {"relative": 0.02},
    "partial_tolerance": {"relative": 0.1},
}


@pytest.mark.parametrize(
    "response",
    [
        "200",
        "200 ms",
        "200ms",
        "0.2 s",
        "0.2s",
        "200000 µs",
        "200,000 us",
        200,
        200.0,
        "196",
        "204",
        "0.204 s",
        " 200 ",
    ],
)
def test_answers_within_tolerance_are_correct(response):
    """Any unit of time is converted; ±2% of 200 ms is 196..204 ms."""
    result = grade(P99, response)
    assert (result.score, result.verdict) == (1.0, Verdict.CORRECT)
    assert result.expected == "200 ms"


@pytest.mark.parametrize("response", ["195", "205", "180", "220", "0.22 s"])
def test_answers_inside_the_partial_band_get_half(response):
    """Between ±2% and ±10% scores 0.5."""
    result = grade(P99, response)
    assert (result.score, result.verdict) == (0.5, Verdict.PARTIAL)


@pytest.mark.parametrize("response", ["179", "221", "0", "-200", "2 s"])
def test_answers_outside_both_bands_are_incorrect(response):
    """Beyond ±10% scores 0."""
    result = grade(P99, response)
    assert (result.score, result.verdict) == (0.0, Verdict.INCORRECT)


def test_feedback_says_how_far_off():
    """Feedback gives the answer, the distance in percent and the allowed band."""
    spec = {"type": "numeric", "answer": 200, "unit": "ms", "tolerance": {"relative": 0.02}}
    assert grade(spec, "210 ms").feedback == [
        "Your answer, 210 ms, is 5.0% above the expected 200 ms (allowed ±2%)."
    ]
    assert grade(spec, "150").feedback == [
        "Your answer, 150 ms, is 25.0% below the expected 200 ms (allowed ±2%)."
    ]


def test_feedback_shows_the_conversion_of_another_unit():
    """An answer in seconds is shown as written and converted."""
    assert grade(P99, "0.21 s").feedback == [
        "Close: your answer, 0.21 s (210 ms), is 5.0% above the expected 200 ms "
        "(full marks within ±2%, half marks within ±10%)."
    ]


def test_correct_feedback():
    """An exact answer is confirmed; a close one says it is within the band."""
    assert grade(P99, "200").feedback == ["Correct: 200 ms."]
    assert grade(P99, "203").feedback == [
        "Correct: your answer, 203 ms, is within ±2% of the expected 200 ms."
    ]


@pytest.mark.parametrize(
    ("response", "hint"),
    [
        ("0.2", "too low by a factor of ~1000: check your units"),
        ("200000", "too high by a factor of ~1000: check your units"),
        ("0.0002", "too low by a factor of ~1,000,000: check your units"),
        ("-200", "Check the sign of your answer."),
    ],
)
def test_unit_slips_get_a_hint(response, hint):
    """Off by ~10^3 or ~10^6 suggests a unit slip; the wrong sign is named."""
    feedback = grade(P99, response).feedback
    assert any(hint in line for line in feedback), feedback


def test_no_hint_for_an_ordinary_miss():
    """A plain miss gets one line and no unit hint."""
    assert len(grade(P99, "300").feedback) == 1


def test_minutes_and_seconds_slip_is_named():
    """Off by exactly 60 for a time suggests minutes and seconds were mixed up."""
    spec = {"type": "numeric", "answer": 120, "unit": "s"}
    feedback = grade(spec, "2")
    assert any("seconds and minutes" in line for line in feedback.feedback)


def test_fraction_instead_of_percent_is_named():
    """0.999 for an answer of 99.9% suggests writing it in percent."""
    spec = {"type": "numeric", "answer": 99.9, "unit": "%"}
    assert grade(spec, "99.9%").verdict == Verdict.CORRECT
    result = grade(spec, "0.999")
    assert result.verdict == Verdict.INCORRECT
    assert "This answer is in percent: write 99.9%, not 0.999." in result.feedback


def test_binary_and_decimal_units_slip_is_named():
    """1 GiB for an answer of 1 GB suggests the GB/GiB mix-up."""
    spec = {"type": "numeric", "answer": 1, "unit": "GB", "tolerance": {"relative": 0.01}}
    result = grade(spec, "1 GiB")
    assert result.verdict == Verdict.INCORRECT
    assert any("GiB" in line for line in result.feedback)


def test_absolute_tolerance_wins_when_wider():
    """With relative 1% (±2 ms) and absolute 5 ms at 200 ms, the wider ±5 ms applies."""
    spec = {"type": "numeric", "answer": 200, "unit": "ms", "tolerance": {"relative": 0.01, "absolute": 5}}
    assert grade(spec, "205").verdict == Verdict.CORRECT
    assert grade(spec, "205.5").verdict == Verdict.INCORRECT
    assert grade(spec, "190").feedback == [
        "Your answer, 190 ms, is 5.0% below the expected 200 ms (allowed ±5 ms)."
    ]


def test_relative_tolerance_wins_when_wider():
    """With relative 10% (±20 ms) and absolute 5 ms at 200 ms, ±10% applies."""
    spec = {"type": "numeric", "answer": 200, "unit": "ms", "tolerance": {"relative": 0.1, "absolute": 5}}
    assert grade(spec, "220").verdict == Verdict.CORRECT
    assert grade(spec, "221").verdict == Verdict.INCORRECT


def test_default_tolerance_is_one_percent():
    """Without a tolerance, ±1% applies: 10,100 is right for 10,000 and 10,101 is not."""
    spec = {"type": "numeric", "answer": 10_000}
    assert grade(spec, "10,100").verdict == Verdict.CORRECT
    assert grade(spec, "9,900").verdict == Verdict.CORRECT
    assert grade(spec, "10,101").verdict == Verdict.INCORRECT


@pytest.mark.parametrize(
    "response", ["10000", "10,000", "10 000", "10_000", "10k", "10K", "1e4", "1E4", "10000.0"]
)
def test_grading_ignores_thousands_separators_and_suffixes(response):
    """Every way of writing ten thousand is the same answer."""
    assert grade({"type": "numeric", "answer": 10_000}, response).verdict == Verdict.CORRECT


@pytest.mark.parametrize(
    ("spec", "response"),
    [
        ({"type": "numeric", "answer": 1450, "unit": "req/s"}, "1,450 req/s"),
        ({"type": "numeric", "answer": 1450, "unit": "req/s"}, "87,000 requests/min"),
        ({"type": "numeric", "answer": 450, "unit": "req/s"}, "450 rps"),
        ({"type": "numeric", "answer": 3_200_000, "unit": "req/s"}, "3.2M req/s"),
        ({"type": "numeric", "answer": 1.5, "unit": "%"}, "1.5%"),
        ({"type": "numeric", "answer": 3_200_000}, "3.2 M"),
        ({"type": "numeric", "answer": 4, "unit": "x"}, "4x"),
        ({"type": "numeric", "answer": 2, "unit": "GB"}, "2000 MB"),
        ({"type": "numeric", "answer": 0, "unit": "ms", "tolerance": {"absolute": 1}}, "-0"),
    ],
)
def test_units_of_every_dimension(spec, response):
    """Rates, percentages, counts, factors and data sizes are read and converted."""
    assert grade(spec, response).verdict == Verdict.CORRECT


def test_zero_expected_reports_an_absolute_offset():
    """With an expected 0 there is no percentage: the offset is in the unit."""
    spec = {"type": "numeric", "answer": 0, "unit": "ms", "tolerance": {"absolute": 1}}
    assert grade(spec, "3 ms").feedback == [
        "Your answer, 3 ms, is 3 ms above the expected 0 ms (allowed ±1 ms)."
    ]


def test_wrong_dimension_is_invalid_with_a_message():
    """A rate given for a time is unreadable, not wrong, and does not use up an attempt."""
    result = grade(P99, "200 req/s")
    assert result.verdict == Verdict.INVALID
    assert not result.counts_as_attempt
    assert result.feedback == ["Expected a time such as 200 ms, got a rate (req/s)."]


def test_expected_shows_enough_digits_for_the_tolerance():
    """A tight tolerance shows more digits of the expected value, so rounding never misleads."""
    spec = {"type": "numeric", "answer": 238.4567, "unit": "ms", "tolerance": {"absolute": 0.01}}
    assert grade(spec, "238.46").expected == "238.457 ms"
    assert grade({"type": "numeric", "answer": 238.4567, "unit": "ms"}, "238").expected == "238 ms"


def test_details_carry_the_numbers():
    """details holds the parsed value, the expected value and the band, for storage and review."""
    details = grade(P99, "0.21 s").details
    assert details["value"] == 210
    assert details["expected_value"] == 200
    assert details["band"] == pytest.approx(4)
    assert details["partial_band"] == pytest.approx(20)
    assert details["relative_error"] == pytest.approx(0.05)
