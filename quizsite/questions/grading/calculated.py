"""Calculated questions: the expected answer is a formula of variables, then graded as numeric."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from quizsite.lib.units import format_number
from quizsite.questions.grading import checks, numeric
from quizsite.questions.grading.errors import SpecError
from quizsite.questions.grading.expr import CONSTANTS, ExprError, Expression, parse_expression
from quizsite.questions.grading.result import Grade, Verdict
from quizsite.questions.grading.variables import (
    Variable,
    parse_variables,
    validate_variables,
    validation_points,
)

MAX_FORMULA_ERRORS = 3


@dataclass(frozen=True)
class CalculatedSpec:
    numeric: numeric.NumericSpec
    expression: Expression
    variables: tuple[Variable, ...]

    @property
    def fixed(self) -> dict[str, float]:
        """Values that need no caller: variables declared with `value`."""
        return {v.name: v.low for v in self.variables if v.kind == "value"}


def _assignment(values: Mapping[str, float], names: frozenset[str]) -> str:
    return ", ".join(f"{name}={format_number(values[name], 6)}" for name in sorted(names) if name in values)


def validate(spec: dict) -> list[str]:
    errors = validate_variables(spec) + numeric.validate_fields(spec)
    errors += checks.text(spec, "formula", "")
    if errors:
        return errors
    try:
        expression = parse_expression(spec["formula"])
    except ExprError as error:
        return [f"formula: {error}"]
    declared = set(spec.get("variables") or {})
    undeclared = sorted(expression.names - declared - set(CONSTANTS))
    if undeclared:
        return [
            f"formula: uses undeclared variable {name!r}; declare it under variables" for name in undeclared
        ]
    compiled = compile(spec)
    problems: list[str] = []
    for point in validation_points(compiled.variables):
        where = f" when {_assignment(point, expression.names)}" if expression.names else ""
        try:
            expected = expression.evaluate(point)
        except ExprError as error:
            message = f"formula: {error}{where}"
        else:
            found = numeric.check_bands(compiled.numeric, expected, where)
            message = found[0] if found else ""
        if message and not any(p.split(" when ")[0] == message.split(" when ")[0] for p in problems):
            problems.append(message)
    return problems[:MAX_FORMULA_ERRORS]


def compile(spec: dict) -> CalculatedSpec:
    """The validated spec as a CalculatedSpec."""
    return CalculatedSpec(numeric.compile(spec), parse_expression(spec["formula"]), parse_variables(spec))


def expected_value(
    spec: CalculatedSpec, variables: Mapping[str, Any] | None
) -> tuple[float, dict[str, float]]:
    """The formula's value for these variables, and the values it used; SpecError when one is missing."""
    values = {**spec.fixed, **(variables or {})}
    missing = sorted(n for n in spec.expression.names if n not in values and n not in CONSTANTS)
    if missing:
        raise SpecError([f"variables: missing {name!r}, needed by the formula" for name in missing])
    used = {name: values[name] for name in spec.expression.names if name in values}
    return spec.expression.evaluate(values), used


def grade(spec: CalculatedSpec, response: Any, variables: Mapping[str, Any] | None) -> Grade:
    expected, used = expected_value(spec, variables)
    result = numeric.grade(spec.numeric, response, expected)
    details = {**result.details, "formula": spec.expression.source, "variables": used}
    if result.verdict == Verdict.INVALID:
        return replace(result, details=details)
    feedback = list(result.feedback)
    if used:
        values = ", ".join(f"{name} = {format_number(value, 6)}" for name, value in sorted(used.items()))
        feedback.append(f"Worked out as {spec.expression.source} with {values}.")
    return replace(result, feedback=feedback, details=details)
