"""Single- and multiple-answer questions: pick choice ids; in multiple, wrong picks cost."""

import re
from dataclasses import dataclass
from typing import Any

from quizsite.questions.grading import checks
from quizsite.questions.grading.errors import InvalidResponse
from quizsite.questions.grading.result import Grade, Verdict

CHOICE_KEYS = {"id", "text", "correct", "feedback"}
MAX_PICKS = 100
MAX_RESPONSE_CHARS = 1_000


@dataclass(frozen=True)
class Choice:
    id: str
    text: str
    correct: bool
    feedback: str = ""

    @property
    def label(self) -> str:
        return f"{self.id}) {self.text}"

    def line(self, mark: str, note: str = "") -> str:
        """A feedback line: mark, the choice, an optional note, then the author's explanation."""
        parts = [f"{mark} {note}{self.label}"]
        if self.feedback:
            parts.append(self.feedback)
        return " — ".join(parts)


@dataclass(frozen=True)
class ChoiceSpec:
    multiple: bool
    choices: tuple[Choice, ...]

    @property
    def correct(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if c.correct)

    @property
    def expected(self) -> str:
        return "; ".join(c.label for c in self.correct)

    def find(self, token: str) -> Choice | None:
        """The choice a typed id names, forgiving case, spaces and "b)" / "(b)" / "b." wrapping."""
        wanted = token.strip().casefold()
        for candidate in (wanted, wanted.strip("().:").strip()):
            for choice in self.choices:
                if choice.id.casefold() == candidate:
                    return choice
        return None


def validate(spec: dict) -> list[str]:
    multiple = spec.get("type") == "multiple"
    choices = spec.get("choices")
    if not isinstance(choices, list) or len(choices) < 2:
        return ["choices: must be a list of at least two choices, each with id, text and correct"]
    errors: list[str] = []
    seen: set[str] = set()
    correct = 0
    for index, item in enumerate(choices):
        path = checks.at("choices", index)
        if not isinstance(item, dict):
            errors.append(f"{path}: must be a mapping with id, text and correct")
            continue
        errors += checks.unknown_keys(item, CHOICE_KEYS, path)
        choice_id = item.get("id")
        if not isinstance(choice_id, str) or not choice_id.strip():
            errors.append(f"{path}.id: required, a short text such as 'a'")
        elif re.search(r"[\s,;]", choice_id):
            errors.append(f"{path}.id: must not contain spaces, commas or semicolons, got {choice_id!r}")
        elif choice_id.casefold() in seen:
            errors.append(f"{path}.id: duplicate id {choice_id!r}")
        else:
            seen.add(choice_id.casefold())
        errors += checks.text(item, "text", path)
        if "correct" in item and not isinstance(item["correct"], bool):
            errors.append(f"{path}.correct: must be true or false")
        correct += item.get("correct") is True
        errors += checks.text(item, "feedback", path, required=False)
    if multiple and correct < 1:
        errors.append("choices: a multiple-answer question needs at least one correct choice")
    if not multiple and correct != 1:
        errors.append(f"choices: a single-answer question needs exactly one correct choice, found {correct}")
    return errors


def compile(spec: dict) -> ChoiceSpec:
    """The validated spec as a ChoiceSpec."""
    return ChoiceSpec(
        multiple=spec["type"] == "multiple",
        choices=tuple(
            Choice(
                c["id"].strip(),
                c["text"].strip(),
                c.get("correct") is True,
                (c.get("feedback") or "").strip(),
            )
            for c in spec["choices"]
        ),
    )


def grade(spec: ChoiceSpec, response: Any) -> Grade:
    try:
        picks = _read(spec, response)
    except InvalidResponse as error:
        return Grade.invalid(str(error))
    if spec.multiple:
        return _grade_multiple(spec, picks)
    return _grade_single(spec, picks[0])


def _tokens(response: Any, multiple: bool) -> list[str]:
    if isinstance(response, str):
        if len(response) > MAX_RESPONSE_CHARS:
            raise InvalidResponse("That answer is too long: send the id of a choice, such as 'a'.")
        return [t for t in re.split(r"[\s,;]+", response) if t] if multiple else [response]
    if isinstance(response, (list, tuple, set, frozenset)):
        if len(response) > MAX_PICKS:
            raise InvalidResponse("Too many picks.")
        if not all(isinstance(item, str) for item in response):
            raise InvalidResponse("Each pick must be the id of a choice, such as 'a'.")
        return sorted(response) if isinstance(response, (set, frozenset)) else list(response)
    raise InvalidResponse("Pick an answer by its id, such as 'a'.")


def _read(spec: ChoiceSpec, response: Any) -> list[Choice]:
    tokens = [t for t in _tokens(response, spec.multiple) if t.strip()]
    if not tokens:
        raise InvalidResponse("Pick at least one answer." if spec.multiple else "Pick an answer first.")
    if not spec.multiple and len(tokens) > 1:
        raise InvalidResponse("Pick only one answer.")
    ids = ", ".join(c.id for c in spec.choices)
    picks: list[Choice] = []
    unknown: list[str] = []
    for token in tokens:
        choice = spec.find(token)
        if choice is None:
            unknown.append(repr(token.strip()[:20]))
        elif choice in picks:
            raise InvalidResponse(f"You picked {choice.id!r} more than once.")
        else:
            picks.append(choice)
    if unknown:
        raise InvalidResponse(f"{' and '.join(unknown)} is not one of the choices ({ids}).")
    return picks


def _grade_single(spec: ChoiceSpec, pick: Choice) -> Grade:
    details = {"selected": [pick.id], "correct": [c.id for c in spec.correct]}
    if pick.correct:
        return Grade(1.0, Verdict.CORRECT, [pick.line("✓")], spec.expected, details=details)
    right = spec.correct[0]
    feedback = [pick.line("✗", "You picked "), right.line("→", "The answer is ")]
    return Grade(0.0, Verdict.INCORRECT, feedback, spec.expected, details=details)


def _grade_multiple(spec: ChoiceSpec, picks: list[Choice]) -> Grade:
    """Each right pick earns 1/n and each wrong pick costs 1/n (n right answers), floored at 0."""
    n = len(spec.correct)
    right = sum(1 for c in picks if c.correct)
    wrong = len(picks) - right
    score = round(max(0.0, (right - wrong) / n), 4)
    if right == n and wrong == 0:
        verdict = Verdict.CORRECT
    elif score > 0:
        verdict = Verdict.PARTIAL
    else:
        verdict = Verdict.INCORRECT
    summary = f"You picked {right} of the {n} right answers"
    summary += f" and {wrong} wrong {'one' if wrong == 1 else 'ones'}, each costing 1/{n}." if wrong else "."
    feedback = [summary]
    for choice in spec.choices:
        if choice in picks:
            feedback.append(choice.line("✓") if choice.correct else choice.line("✗", "Wrong pick: "))
        elif choice.correct:
            feedback.append(choice.line("✗", "Missed: "))
    details = {
        "selected": [c.id for c in picks],
        "correct": [c.id for c in spec.correct],
        "right_picks": right,
        "wrong_picks": wrong,
    }
    return Grade(score, verdict, feedback, spec.expected, details=details)
