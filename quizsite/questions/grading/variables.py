"""Variables of calculated questions: their definitions, validation and seeded sampling.

A variable is one of: a range `{min, max, step?}`, `{choices: [...]}`, a fixed `{value: 42}`, or a lab
measurement `{from_run: "p99_ms", sample: 238}` whose sample value is used only to check the formula.
"""

import hashlib
import keyword
import random
from dataclasses import dataclass

from quizsite.questions.grading import checks
from quizsite.questions.grading.errors import SpecError
from quizsite.questions.grading.expr import CONSTANTS, FUNCTIONS

FORMS: dict[str, set[str]] = {
    "range": {"min", "max", "step"},
    "choices": {"choices"},
    "value": {"value"},
    "run": {"from_run", "sample"},
}
MAX_STEPS = 1_000_000
VALIDATION_SAMPLES = 5


@dataclass(frozen=True)
class Variable:
    """One declared variable; `kind` is range, choices, value or run."""

    name: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    step: float | None = None
    integer: bool = False
    choices: tuple[float, ...] = ()
    from_run: str = ""

    @property
    def extremes(self) -> tuple[float, float]:
        """The smallest and largest value it can take (the sample value for a run variable)."""
        if self.kind == "choices":
            return min(self.choices), max(self.choices)
        return self.low, self.high

    def draw(self, rng: random.Random) -> float:
        """A value for one variant; fixed and run variables return their (sample) value."""
        if self.kind == "choices":
            return float(rng.choice(self.choices))
        if self.kind != "range":
            return self.low
        if self.step is not None:
            steps = int((self.high - self.low) / self.step + 1e-9)
            return float(f"{self.low + rng.randint(0, steps) * self.step:.12g}")
        if self.integer:
            return float(rng.randint(int(self.low), int(self.high)))
        return min(self.high, max(self.low, float(f"{rng.uniform(self.low, self.high):.4g}")))


def _form(definition: dict) -> str | None:
    kinds = [kind for kind, keys in FORMS.items() if set(definition) & keys]
    if len(kinds) != 1 or not set(definition) <= FORMS[kinds[0]]:
        return None
    return kinds[0]


def validate_variables(spec: dict) -> list[str]:
    """Errors in the `variables` mapping of a calculated spec."""
    variables = spec.get("variables", {})
    if not isinstance(variables, dict):
        return ["variables: must be a mapping of name to definition, e.g. users: {min: 100, max: 1000}"]
    errors: list[str] = []
    for name, definition in variables.items():
        path = checks.at("variables", str(name))
        if (
            not isinstance(name, str)
            or not name.isidentifier()
            or keyword.iskeyword(name)
            or name.startswith("_")
        ):
            errors.append(f"{path}: a variable name must be a plain identifier such as users or p99_ms")
            continue
        if name in FUNCTIONS or name in CONSTANTS:
            errors.append(f"{path}: {name!r} is a built-in function or constant; choose another name")
            continue
        if not isinstance(definition, dict):
            errors.append(f"{path}: must be a mapping such as {{min: 100, max: 1000, step: 100}}")
            continue
        kind = _form(definition)
        if kind is None:
            errors.append(
                f"{path}: give exactly one of {{min, max, step}}, {{choices}}, {{value}} or "
                "{from_run, sample}"
            )
            continue
        errors += _validate_form(kind, definition, path)
    return errors


def _validate_form(kind: str, definition: dict, path: str) -> list[str]:
    if kind == "value":
        return checks.number(definition, "value", path)
    if kind == "run":
        errors = checks.text(definition, "from_run", path)
        if "sample" not in definition:
            return errors + [f"{path}.sample: required, a typical measured value used to check the formula"]
        return errors + checks.number(definition, "sample", path)
    if kind == "choices":
        values = definition["choices"]
        if not isinstance(values, list) or not values:
            return [f"{path}.choices: must be a non-empty list of numbers"]
        return [
            f"{checks.at(path + '.choices', i)}: must be a number, got {v!r}"
            for i, v in enumerate(values)
            if not checks.is_number(v)
        ]
    errors = checks.number(definition, "min", path) + checks.number(definition, "max", path)
    errors += checks.number(definition, "step", path, required=False, above=0)
    if errors:
        return errors
    low, high, step = definition["min"], definition["max"], definition.get("step")
    if low > high:
        return [f"{path}: min ({low}) must not be greater than max ({high})"]
    if step is not None and (high - low) / step > MAX_STEPS:
        return [f"{path}.step: too small, gives more than {MAX_STEPS:,} values"]
    return []


def parse_variables(spec: dict) -> tuple[Variable, ...]:
    """The declared variables; SpecError when their definitions are invalid."""
    errors = validate_variables(spec)
    if errors:
        raise SpecError(errors)
    result = []
    for name, definition in (spec.get("variables") or {}).items():
        kind = _form(definition)
        if kind == "range":
            low, high = definition["min"], definition["max"]
            step = definition.get("step")
            integer = isinstance(low, int) and isinstance(high, int)
            result.append(
                Variable(name, kind, float(low), float(high), None if step is None else float(step), integer)
            )
        elif kind == "choices":
            result.append(Variable(name, kind, choices=tuple(float(c) for c in definition["choices"])))
        elif kind == "value":
            result.append(Variable(name, kind, float(definition["value"]), float(definition["value"])))
        else:
            sample = float(definition["sample"])
            result.append(Variable(name, kind, sample, sample, from_run=definition["from_run"]))
    return tuple(result)


def _rng(seed: str | int, name: str) -> random.Random:
    """A generator per (seed, variable), so adding a variable leaves the others' values unchanged."""
    digest = hashlib.sha256(f"{seed}\x1f{name}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def sample_variables(spec: dict, seed: str | int) -> dict[str, float]:
    """A deterministic variant: a value for every range, choices and fixed variable (not from_run ones)."""
    if not isinstance(spec, dict) or "variables" not in spec:
        return {}
    return {v.name: v.draw(_rng(seed, v.name)) for v in parse_variables(spec) if v.kind != "run"}


def validation_points(variables: tuple[Variable, ...]) -> list[dict[str, float]]:
    """Assignments to check a formula at: every variable at its minimum, at its maximum, and a few
    seeded variants (run variables at their sample value)."""
    points = [
        {v.name: v.extremes[0] for v in variables},
        {v.name: v.extremes[1] for v in variables},
    ]
    for index in range(VALIDATION_SAMPLES):
        points.append({v.name: v.draw(_rng(f"validate:{index}", v.name)) for v in variables})
    return points
