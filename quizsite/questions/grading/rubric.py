"""Free-text questions graded against a rubric of weighted concepts and optional misconceptions.

Score = weight of the concepts found / total weight - penalties of the misconceptions present, in [0, 1].
A concept is found when one of its phrasings appears in the answer and is not negated.
"""

from dataclasses import dataclass
from typing import Any

from quizsite.questions.grading import checks
from quizsite.questions.grading.matcher import Occurrence, Phrasing, Positions, Vocabulary
from quizsite.questions.grading.result import Grade, Verdict
from quizsite.questions.grading.text import tokenize

MAX_ANSWER_CHARS = 10_000
MAX_PHRASING_WORDS = 12
DEFAULT_WEIGHT = 1.0
DEFAULT_PENALTY = 0.25
DEFAULT_THRESHOLDS = {"correct": 0.75, "partial": 0.35}
CONCEPT_KEYS = {"id", "label", "weight", "phrasings", "feedback"}
MISCONCEPTION_KEYS = {"id", "label", "phrasings", "penalty", "feedback"}


@dataclass(frozen=True)
class Concept:
    id: str
    label: str
    weight: float
    feedback: str
    phrasings: tuple[Phrasing, ...]


@dataclass(frozen=True)
class Misconception:
    id: str
    label: str
    penalty: float
    feedback: str
    phrasings: tuple[Phrasing, ...]


@dataclass(frozen=True)
class RubricSpec:
    model_answer: str
    concepts: tuple[Concept, ...]
    misconceptions: tuple[Misconception, ...]
    correct: float
    partial: float
    vocabulary: Vocabulary

    @property
    def total_weight(self) -> float:
        return sum(c.weight for c in self.concepts)


@dataclass(frozen=True)
class Match:
    """How one concept or misconception fared in an answer: the first plain mention, else a negated one."""

    found: Occurrence | None
    negated: Occurrence | None


def _phrasing_words(text: str) -> list[tuple[str, str, str]]:
    """(word, stem, word as written) for each content word of a phrasing."""
    tokens = tokenize(text)
    return [
        (word, stem, tokens.display[span])
        for word, stem, span in zip(tokens.words, tokens.stems, tokens.spans)
    ]


def _validate_items(spec: dict, key: str, allowed: set[str], required: bool, seen: set[str]) -> list[str]:
    items = spec.get(key)
    if items is None and not required:
        return []
    if not isinstance(items, list) or (required and not items):
        return [f"{key}: must be a list of {key}, each with id, label and phrasings"]
    errors: list[str] = []
    for index, item in enumerate(items):
        path = checks.at(key, index)
        if not isinstance(item, dict):
            errors.append(f"{path}: must be a mapping with id, label and phrasings")
            continue
        errors += checks.unknown_keys(item, allowed, path)
        errors += checks.text(item, "id", path) + checks.text(item, "label", path)
        if isinstance(item.get("id"), str):
            if item["id"] in seen:
                errors.append(f"{path}.id: duplicate id {item['id']!r}")
            seen.add(item["id"])
        if "weight" in allowed:
            errors += checks.number(item, "weight", path, required=False, above=0)
        else:
            errors += checks.number(item, "penalty", path, required=False, above=0, maximum=1)
        errors += checks.text(item, "feedback", path, required=False)
        errors += _validate_phrasings(item.get("phrasings"), checks.at(path, "phrasings"))
    return errors


def _validate_phrasings(phrasings: Any, path: str) -> list[str]:
    if not isinstance(phrasings, list) or not phrasings:
        return [f"{path}: must be a non-empty list of short phrases"]
    errors: list[str] = []
    seen: set[str] = set()
    for index, phrasing in enumerate(phrasings):
        where = checks.at(path, index)
        if not isinstance(phrasing, str) or not phrasing.strip():
            errors.append(f"{where}: must be non-empty text")
            continue
        words = _phrasing_words(phrasing)
        if not words:
            errors.append(f"{where}: {phrasing!r} has no words to match")
        elif len(words) > MAX_PHRASING_WORDS:
            errors.append(f"{where}: too long ({len(words)} words); keep phrasings to a few words")
        elif phrasing.strip().casefold() in seen:
            errors.append(f"{where}: duplicate phrasing {phrasing!r}")
        seen.add(phrasing.strip().casefold())
    return errors


def _validate_thresholds(spec: dict) -> list[str]:
    thresholds = spec.get("thresholds")
    if thresholds is None:
        return []
    if not isinstance(thresholds, dict):
        return ["thresholds: must be a mapping such as {correct: 0.75, partial: 0.35}"]
    errors = checks.unknown_keys(thresholds, set(DEFAULT_THRESHOLDS), "thresholds")
    errors += checks.number(thresholds, "correct", "thresholds", required=False, above=0, maximum=1)
    errors += checks.number(thresholds, "partial", "thresholds", required=False, minimum=0, maximum=1)
    if not errors:
        values = {**DEFAULT_THRESHOLDS, **thresholds}
        if values["partial"] >= values["correct"]:
            errors.append(f"thresholds.partial: must be below correct ({values['correct']})")
    return errors


def validate(spec: dict) -> list[str]:
    seen: set[str] = set()
    errors = checks.text(spec, "model_answer", "")
    errors += _validate_items(spec, "concepts", CONCEPT_KEYS, True, seen)
    errors += _validate_items(spec, "misconceptions", MISCONCEPTION_KEYS, False, seen)
    errors += _validate_thresholds(spec)
    if errors:
        return errors
    rubric = compile(spec)
    model = grade(rubric, rubric.model_answer)
    if model.verdict != Verdict.CORRECT:
        missed = ", ".join(repr(c["id"]) for c in model.concepts_missed)
        errors.append(
            f"model_answer: scores only {model.score:.2f} against its own rubric "
            f"(missed {missed or 'none'}); add phrasings that match it"
        )
    return errors


def compile(spec: dict) -> RubricSpec:
    """The validated spec as a RubricSpec, with every phrasing turned into vocabulary ids."""
    vocabulary = Vocabulary()

    def phrasings(texts: list[str]) -> tuple[Phrasing, ...]:
        return tuple(
            Phrasing(text, tuple(vocabulary.add(*word) for word in _phrasing_words(text))) for text in texts
        )

    concepts = tuple(
        Concept(
            c["id"],
            c["label"].strip(),
            float(c.get("weight", DEFAULT_WEIGHT)),
            (c.get("feedback") or "").strip(),
            phrasings(c["phrasings"]),
        )
        for c in spec["concepts"]
    )
    misconceptions = tuple(
        Misconception(
            m["id"],
            m["label"].strip(),
            float(m.get("penalty", DEFAULT_PENALTY)),
            (m.get("feedback") or "").strip(),
            phrasings(m["phrasings"]),
        )
        for m in spec.get("misconceptions") or ()
    )
    thresholds = {**DEFAULT_THRESHOLDS, **(spec.get("thresholds") or {})}
    return RubricSpec(
        spec["model_answer"].strip(),
        concepts,
        misconceptions,
        float(thresholds["correct"]),
        float(thresholds["partial"]),
        vocabulary,
    )


def _match(positions: Positions, phrasings: tuple[Phrasing, ...]) -> Match:
    negated = None
    for phrasing in phrasings:
        for occurrence in positions.find(phrasing):
            if not occurrence.negated:
                return Match(occurrence, None)
            negated = negated or occurrence
    return Match(None, negated)


def _check_text(response: Any) -> str | None:
    """The message for a response that is not a gradable answer, or None."""
    if not isinstance(response, str):
        return "Write your answer as text."
    if len(response) > MAX_ANSWER_CHARS:
        return f"Your answer is {len(response):,} characters long; the limit is {MAX_ANSWER_CHARS:,}."
    if not any(ch.isprintable() and not ch.isspace() for ch in response):
        return "Write an answer first."
    return None


def grade(spec: RubricSpec, response: Any) -> Grade:
    problem = _check_text(response)
    if problem:
        return Grade.invalid(problem)
    tokens = tokenize(response)
    if not tokens.words:
        return Grade.invalid("Write your answer in words.")
    positions = Positions(tokens, spec.vocabulary)

    found: list[dict] = []
    missed: list[dict] = []
    lines: list[str] = []
    for concept in spec.concepts:
        match = _match(positions, concept.phrasings)
        if match.found:
            quote = tokens.quote(match.found.start, match.found.end)
            found.append(
                {"id": concept.id, "label": concept.label, "weight": concept.weight, "matched": quote}
            )
            lines.append(f"✓ {concept.label} — you said “{quote}”")
            continue
        entry = {
            "id": concept.id,
            "label": concept.label,
            "weight": concept.weight,
            "feedback": concept.feedback,
        }
        line = f"✗ {concept.label}"
        if match.negated:
            quote = tokens.quote(match.negated.start, match.negated.end)
            entry["negated"] = quote
            line += f" — you mentioned “{quote}” but said not to"
        missed.append(entry)
        lines.append(f"{line} — {concept.feedback}" if concept.feedback else line)

    present: list[dict] = []
    for misconception in spec.misconceptions:
        match = _match(positions, misconception.phrasings)
        if match.found:
            quote = tokens.quote(match.found.start, match.found.end)
            present.append(
                {
                    "id": misconception.id,
                    "label": misconception.label,
                    "penalty": misconception.penalty,
                    "matched": quote,
                    "feedback": misconception.feedback,
                }
            )
            line = f"⚠ {misconception.label} (−{misconception.penalty:g}) — you said “{quote}”"
            lines.append(f"{line}. {misconception.feedback}" if misconception.feedback else line)

    found_weight = sum(c["weight"] for c in found)
    penalty = sum(m["penalty"] for m in present)
    score = round(min(1.0, max(0.0, found_weight / spec.total_weight - penalty)), 4)
    if score >= spec.correct:
        verdict = Verdict.CORRECT
    elif score >= spec.partial:
        verdict = Verdict.PARTIAL
    else:
        verdict = Verdict.INCORRECT
    summary = f"You covered {len(found)} of {len(spec.concepts)} key points."
    details = {
        "found_weight": found_weight,
        "total_weight": spec.total_weight,
        "penalty": penalty,
        "words": len(tokens),
    }
    return Grade(score, verdict, [summary, *lines], spec.model_answer, found, missed, present, details)
