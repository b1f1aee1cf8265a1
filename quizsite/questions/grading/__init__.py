"""The grading engine: pure Python, no Django. See engine.grade and engine.validate_spec."""

from quizsite.questions.grading.engine import grade, validate_spec
from quizsite.questions.grading.errors import SpecError
from quizsite.questions.grading.result import Grade, Verdict

__all__ = ["Grade", "SpecError", "Verdict", "grade", "validate_spec"]
