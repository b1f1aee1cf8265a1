"""The grading engine: pure Python, no Django. See engine.grade and engine.validate_spec."""

from quizsite.questions.grading.engine import grade, grade_concept, validate_spec
from quizsite.questions.grading.errors import SpecError
from quizsite.questions.grading.result import Grade, Verdict
from quizsite.questions.grading.template import render_template
from quizsite.questions.grading.variables import sample_variables

__all__ = [
    "Grade",
    "SpecError",
    "Verdict",
    "grade",
    "grade_concept",
    "render_template",
    "sample_variables",
    "validate_spec",
]
