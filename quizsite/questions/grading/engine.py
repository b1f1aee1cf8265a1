"""The entry points: validate a spec, and grade a response against it (compiled specs are cached)."""

import json
import logging
from functools import lru_cache
from typing import Any

from quizsite.questions.grading import calculated, choice, numeric, rubric
from quizsite.questions.grading.errors import SpecError
from quizsite.questions.grading.result import Grade

logger = logging.getLogger(__name__)

TYPES = {
    "single": choice,
    "multiple": choice,
    "numeric": numeric,
    "calculated": calculated,
    "rubric": rubric,
}
# Fields each type reads; a field of another type is reported, anything else (id...) is ignored.
FIELDS = {
    "single": {"choices"},
    "multiple": {"choices"},
    "numeric": {"answer", "unit", "tolerance", "partial_tolerance"},
    "calculated": {"variables", "formula", "unit", "tolerance", "partial_tolerance"},
    "rubric": {"model_answer", "concepts", "misconceptions", "thresholds", "prompt"},
}
# The prompt may travel with any spec (rubrics use it to refuse credit for words copied from it).
ALL_FIELDS = set().union(*FIELDS.values()) - {"prompt"}


def validate_spec(spec: dict) -> list[str]:
    """Every problem with a spec at once, each prefixed with its field path; [] when it is valid."""
    if not isinstance(spec, dict):
        return ["spec: must be a mapping"]
    kind = spec.get("type")
    if not isinstance(kind, str) or kind not in TYPES:
        return [f"type: must be one of {', '.join(TYPES)}, got {kind!r}"]
    errors = [f"{key}: not used by a {kind} question" for key in spec if key in ALL_FIELDS - FIELDS[kind]]
    return errors + TYPES[kind].validate(spec)


class _SpecKey:
    """A spec made hashable by its canonical JSON, so equal specs share one compiled form."""

    __slots__ = ("spec", "text", "hash")

    def __init__(self, spec: dict, text: str):
        self.spec, self.text, self.hash = spec, text, hash(text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _SpecKey) and self.text == other.text

    def __hash__(self) -> int:
        return self.hash


@lru_cache(maxsize=1024)
def _compile_cached(key: _SpecKey) -> Any:
    return _compile(key.spec)


def _compile(spec: dict) -> Any:
    errors = validate_spec(spec)
    if errors:
        raise SpecError(errors)
    return TYPES[spec["type"]].compile(spec)


# Specs seen recently, found by a cheap summary and confirmed by deep equality (a C-level comparison about
# ten times cheaper than the canonical JSON that _SpecKey needs): every grade looks its spec up, and a
# question's spec arrives as a new dict on each request.
_RECENT: dict[tuple, list[tuple[dict, Any]]] = {}
RECENT_LIMIT = 2048


def _summary(spec: dict) -> tuple:
    return (len(spec), *(str(spec.get(key, ""))[:200] for key in ("type", "model_answer", "answer", "formula")))


def compile_spec(spec: dict) -> Any:
    """The spec checked and compiled for grading (cached); SpecError listing every problem otherwise."""
    if not isinstance(spec, dict):
        raise SpecError("spec: must be a mapping")
    summary = _summary(spec)
    for seen, compiled in _RECENT.get(summary, ()):
        if seen == spec:
            return compiled
    try:
        text = json.dumps(spec, sort_keys=True, default=repr, ensure_ascii=False)
    except (TypeError, ValueError):
        return _compile(spec)
    compiled = _compile_cached(_SpecKey(spec, text))
    if sum(len(v) for v in _RECENT.values()) >= RECENT_LIMIT:
        _RECENT.clear()
    _RECENT.setdefault(summary, []).append((json.loads(text), compiled))  # a copy: later edits to spec miss
    return compiled


def grade(spec: dict, response: Any, variables: dict | None = None) -> Grade:
    """Grade a learner's response. Never raises for anything the learner sends; SpecError for a bad spec
    or (calculated) a variable the caller did not pass."""
    compiled = compile_spec(spec)
    kind = spec["type"]
    try:
        if kind == "calculated":
            return calculated.grade(compiled, response, variables)
        return TYPES[kind].grade(compiled, response)
    except SpecError:
        raise
    except Exception:  # a grading bug must not turn a learner's answer into a server error
        logger.exception("grading failed for a %s question", kind)
        return Grade.invalid(
            "This answer could not be graded; try writing it differently.", internal_error=True
        )


def grade_concept(spec: dict, concept_id: str, response: Any) -> Grade:
    """Grade a follow-up answer against one concept of a rubric spec alone (see rubric.grade_concept).
    Never raises for anything the learner sends; SpecError for a bad spec, a spec that is not a rubric or
    an unknown concept id."""
    compiled = compile_spec(spec)
    if spec["type"] != "rubric":
        raise SpecError([f"type: only a rubric question grades a concept, not a {spec['type']} one"])
    compiled.concept(concept_id)
    try:
        return rubric.grade_concept(compiled, concept_id, response)
    except SpecError:
        raise
    except Exception:  # a grading bug must not turn a learner's answer into a server error
        logger.exception("grading a concept failed")
        return Grade.invalid(
            "This answer could not be graded; try writing it differently.", internal_error=True
        )
