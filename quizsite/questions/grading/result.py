"""The outcome of grading one response."""

from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    CORRECT = "correct"
    PARTIAL = "partial"
    INCORRECT = "incorrect"
    INVALID = "invalid"


DEFAULT_LABELS = {
    Verdict.CORRECT: "Correct",
    Verdict.PARTIAL: "Partly right",
    Verdict.INCORRECT: "Not yet",
    Verdict.INVALID: "Not graded",
}


@dataclass(frozen=True)
class Grade:
    """Score in [0, 1], verdict, feedback lines for the learner and the expected answer as text.

    For rubric questions, the concepts found and missed and the misconceptions present; `details` holds
    type-specific numbers (the parsed value, the tolerance band, the weights). `label` is the verdict as a
    learner reads it: "Correct", "Mostly right", "Partly right", "Not yet" (rubrics tell the two partial
    kinds apart), "Not graded".
    """

    score: float
    verdict: Verdict
    feedback: list[str]
    expected: str
    concepts_found: list[dict] = field(default_factory=list)
    concepts_missed: list[dict] = field(default_factory=list)
    misconceptions: list[dict] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    label: str = ""  # the verdict in words ("Mostly right"); filled from the verdict when not given

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", DEFAULT_LABELS[self.verdict])

    @classmethod
    def invalid(cls, message: str, **details: Any) -> "Grade":
        """A response that could not be read: no score, and it does not use up an attempt.

        `expected` stays empty: the learner may try again, so the answer must not leak.
        """
        return cls(0.0, Verdict.INVALID, [message], "", details=dict(details))

    def withheld(self, note: str) -> "Grade":
        """The verdict and score only, with `note` as the feedback: nothing that gives the answer away (the
        expected answer, feedback lines that quote it, the tolerance band, which picks were right, what a
        missed concept needed), for a learner who may still try again."""
        return replace(self, feedback=[note], expected="", details={}, misconceptions=[],
                       concepts_missed=[{"label": c.get("label", "")} for c in self.concepts_missed])

    @property
    def counts_as_attempt(self) -> bool:
        return self.verdict != Verdict.INVALID

    @property
    def is_correct(self) -> bool:
        return self.verdict == Verdict.CORRECT

    def to_dict(self) -> dict:
        data = asdict(self)
        data["verdict"] = self.verdict.value
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Grade":
        return cls(
            score=float(data["score"]),
            verdict=Verdict(data["verdict"]),
            feedback=list(data.get("feedback", [])),
            expected=str(data.get("expected", "")),
            concepts_found=list(data.get("concepts_found", [])),
            concepts_missed=list(data.get("concepts_missed", [])),
            misconceptions=list(data.get("misconceptions", [])),
            details=dict(data.get("details", {})),
            label=str(data.get("label", "")),
        )
