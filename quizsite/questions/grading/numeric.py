"""Numeric questions: a number with a unit, compared with a relative and/or absolute tolerance."""

import math
from dataclasses import dataclass
from typing import Any

from quizsite.lib.units import (
    Dimension,
    Quantity,
    UnitError,
    format_number,
    format_quantity,
    lookup_unit,
    parse_quantity,
)
from quizsite.questions.grading import checks
from quizsite.questions.grading.result import Grade, Verdict

TOLERANCE_KEYS = {"relative", "absolute"}
DEFAULT_RELATIVE = 0.01
PARTIAL_SCORE = 0.5


@dataclass(frozen=True)
class Tolerance:
    """How far from the expected value an answer may be: the wider of relative and absolute wins."""

    relative: float = 0.0
    absolute: float = 0.0

    @classmethod
    def from_spec(cls, value: dict | None, default: "Tolerance | None" = None) -> "Tolerance | None":
        if value is None:
            return default
        return cls(float(value.get("relative", 0.0)), float(value.get("absolute", 0.0)))

    def band(self, expected: float) -> float:
        return max(self.relative * abs(expected), self.absolute)

    def allows(self, value: float, expected: float) -> bool:
        """True when value is inside the band (boundary included, float noise forgiven)."""
        band = self.band(expected)
        return abs(value - expected) <= band * (1 + 1e-9) + 1e-12 * abs(expected)

    def describe(self, expected: float, unit: str) -> str:
        """ "±2%" or "±5 ms", whichever is the wider at this expected value; "exactly" for no slack."""
        if self.band(expected) == 0:
            return "no difference"
        if self.relative * abs(expected) >= self.absolute:
            return f"±{format_number(self.relative * 100, 3)}%"
        return f"±{format_quantity(self.absolute, unit)}"


@dataclass(frozen=True)
class NumericSpec:
    """The answer (None when a formula computes it), its unit and the tolerances."""

    answer: float | None
    unit: str
    tolerance: Tolerance
    partial_tolerance: Tolerance | None


def validate_tolerance(spec: dict, key: str) -> list[str]:
    if key not in spec:
        return []
    value = spec[key]
    if not isinstance(value, dict) or not value or not set(value) <= TOLERANCE_KEYS:
        return [
            f"{key}: must be a mapping with relative (0.02 is ±2%) and/or absolute (in the answer's unit)"
        ]
    return checks.number(value, "relative", key, required=False, minimum=0, maximum=1) + checks.number(
        value, "absolute", key, required=False, minimum=0
    )


def validate_fields(spec: dict) -> list[str]:
    """Errors in the fields numeric and calculated questions share: unit and tolerances."""
    errors: list[str] = []
    unit = spec.get("unit", "")
    if not isinstance(unit, str):
        errors.append("unit: must be text such as 'ms', 'req/s', '%' or empty for a plain number")
    elif lookup_unit(unit) is None:
        errors.append(f"unit: unknown unit {unit!r}; use one such as ms, s, req/s, %, MB, GiB, x, users")
    errors += validate_tolerance(spec, "tolerance")
    errors += validate_tolerance(spec, "partial_tolerance")
    return errors


def check_bands(spec: NumericSpec, expected: float, where: str = "") -> list[str]:
    """An error when the partial-credit band is not wider than the full-credit band at `expected`."""
    if spec.partial_tolerance is None:
        return []
    if spec.partial_tolerance.band(expected) <= spec.tolerance.band(expected):
        return [f"partial_tolerance: must be wider than tolerance{where}"]
    return []


def validate(spec: dict) -> list[str]:
    errors = checks.number(spec, "answer", "")
    errors += validate_fields(spec)
    if not errors:
        errors += check_bands(compile(spec), float(spec["answer"]))
    return errors


def compile(spec: dict) -> NumericSpec:
    """The validated spec as a NumericSpec (answer None for calculated questions)."""
    answer = spec.get("answer")
    return NumericSpec(
        answer=None if answer is None else float(answer),
        unit=spec.get("unit", "").strip(),
        tolerance=Tolerance.from_spec(spec.get("tolerance"), Tolerance(relative=DEFAULT_RELATIVE)),
        partial_tolerance=Tolerance.from_spec(spec.get("partial_tolerance")),
    )


def format_expected(expected: float, unit: str, band: float) -> str:
    """The expected value with enough digits that rounding stays well inside the tolerance band."""
    return format_quantity(expected, unit, sig=_digits_for(expected, band))


def _digits_for(expected: float, band: float) -> int:
    if expected == 0 or not math.isfinite(expected):
        return 3
    magnitude = math.floor(math.log10(abs(expected)))
    for sig in range(3, 13):
        decimals = max(0, sig - 1 - magnitude)
        if abs(round(expected, decimals) - expected) <= band / 4:
            return sig
    return 12


def grade(spec: NumericSpec, response: Any, expected: float | None = None) -> Grade:
    """Grade a response against `expected` (the spec's answer unless a formula computed it)."""
    expected = spec.answer if expected is None else expected
    band = spec.tolerance.band(expected)
    expected_text = format_expected(expected, spec.unit, band)
    try:
        quantity = parse_quantity(response, spec.unit)
    except UnitError as error:
        return Grade.invalid(str(error))
    value = quantity.value
    shown = _shown(quantity, spec.unit, band)
    details = {
        "value": value,
        "expected_value": expected,
        "unit": spec.unit,
        "difference": value - expected,
        "relative_error": (value - expected) / abs(expected) if expected else None,
        "band": band,
        "partial_band": spec.partial_tolerance.band(expected) if spec.partial_tolerance else None,
    }
    allowed = spec.tolerance.describe(expected, spec.unit)
    if spec.tolerance.allows(value, expected):
        if value == expected:
            line = f"Correct: {expected_text}."
        else:
            line = f"Correct: your answer, {shown}, is within {allowed} of the expected {expected_text}."
        return Grade(1.0, Verdict.CORRECT, [line], expected_text, details=details)
    offset = _offset(value, expected, spec.unit)
    partial = spec.partial_tolerance
    if partial is not None and partial.allows(value, expected):
        line = (
            f"Close: your answer, {shown}, is {offset} the expected {expected_text} "
            f"(full marks within {allowed}, half marks within {partial.describe(expected, spec.unit)})."
        )
        return Grade(
            PARTIAL_SCORE,
            Verdict.PARTIAL,
            [line, *_hints(value, expected, spec.unit)],
            expected_text,
            details=details,
        )
    line = f"Your answer, {shown}, is {offset} the expected {expected_text} (allowed {allowed})."
    return Grade(
        0.0, Verdict.INCORRECT, [line, *_hints(value, expected, spec.unit)], expected_text, details=details
    )


def _shown(quantity: Quantity, unit: str, band: float) -> str:
    """The learner's answer as they wrote it, with its conversion when they used another unit."""
    in_expected = format_quantity(quantity.value, unit, sig=max(6, _digits_for(quantity.value, band)))
    expected_unit = lookup_unit(unit)
    if expected_unit is None or quantity.given_unit.factor == expected_unit.factor:
        return in_expected
    return f"{format_quantity(quantity.given_value, quantity.given_unit.symbol, sig=6)} ({in_expected})"


def _offset(value: float, expected: float, unit: str) -> str:
    """ "5.0% above" / "3 ms below": how far off, relative when the expected value is not zero."""
    direction = "above" if value > expected else "below"
    if expected == 0:
        return f"{format_quantity(abs(value - expected), unit)} {direction}"
    percent = abs(value - expected) / abs(expected) * 100
    text = f"{percent:.1f}" if percent < 100 else format_number(percent, 3)
    return f"{text}% {direction}"


_FACTOR_HINTS = ((1e3, "~1000"), (1e6, "~1,000,000"), (1e9, "~1,000,000,000"))


def _hints(value: float, expected: float, unit: str) -> list[str]:
    """Likely slips: wrong unit scale (×1000), minutes vs seconds, fraction vs percent, sign."""
    if value == 0 or expected == 0:
        return []
    hints: list[str] = []
    if (value > 0) != (expected > 0):
        hints.append("Check the sign of your answer.")
    ratio = abs(value / expected)
    log_ratio = math.log10(ratio)
    dimension = lookup_unit(unit).dimension if lookup_unit(unit) else Dimension.COUNT
    for factor, name in _FACTOR_HINTS:
        if abs(abs(log_ratio) - math.log10(factor)) < 0.15:
            size = "high" if ratio > 1 else "low"
            hints.append(f"Your answer is too {size} by a factor of {name}: check your units.")
    if dimension in (Dimension.TIME, Dimension.RATE):
        for factor, pair in ((60, "seconds and minutes"), (3600, "seconds and hours")):
            if abs(abs(log_ratio) - math.log10(factor)) < 0.03:
                hints.append(f"Off by a factor of {factor}: check the conversion between {pair}.")
    if dimension == Dimension.FRACTION and abs(log_ratio + 2) < 0.03:
        hints.append(
            f"This answer is in percent: write {format_quantity(value * 100, '%')}, not "
            f"{format_number(value)}."
        )
    binary = (abs(abs(log_ratio) - power * math.log10(1.024)) < 0.0005 for power in (1, 2, 3, 4))
    if dimension in (Dimension.DATA, Dimension.BANDWIDTH) and any(binary):
        hints.append("Check decimal and binary units: 1 GB is 1,000,000,000 bytes, 1 GiB is 1,073,741,824.")
    return hints
