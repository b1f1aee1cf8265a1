"""The adversarial answer corpus (tests/grading/corpus/*.yaml) graded against the rubric questions.

Each corpus entry, per question id: 3 strong answers (terse, long, bullets), 2 partial, 3 fluent-but-wrong
(inverted, swapped, formula) and 1 keyword salad, written by people who saw the prompt but not the rubric.
Used by tests/grading/test_rubric_corpus.py and `manage.py grading_report`. Pure: no database.
"""

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from quizsite.questions.grading import grade
from quizsite.questions.loader import spec_of

ROOT = Path(__file__).resolve().parents[2]
CONTENT_QUESTIONS = ROOT / "content" / "questions"
CORPUS_DIR = ROOT / "tests" / "grading" / "corpus"
CLASSES = ("strong", "partial", "wrong", "salad", "echo")
STRONG_MIN = 0.7
WRONG_MAX = 0.3
SALAD_MAX = 0.3  # strictly below
PARTIAL_BAND = (0.3, 0.7)  # strictly between
CROSS_MAX = 0.5  # strictly below


@dataclass(frozen=True)
class Answer:
    question: str
    kind: str  # strong, partial, wrong, salad, echo
    style: str  # terse / long / bullets, inverted / swapped / formula, or ""
    text: str


def rubric_items(content: Path = CONTENT_QUESTIONS) -> dict[str, dict]:
    """Every rubric question in the content files, by id, as written in its file."""
    items: dict[str, dict] = {}
    for path in sorted(content.glob("**/*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("questions") or []:
            if isinstance(item, dict) and item.get("type") == "rubric":
                items[item["id"]] = item
    return items


def rubric_specs(content: Path = CONTENT_QUESTIONS) -> dict[str, dict]:
    """Every rubric question's grading spec (prompt included), by id."""
    return {slug: spec_of(item) for slug, item in rubric_items(content).items()}


def load_corpus(folder: Path = CORPUS_DIR) -> dict[str, list[Answer]]:
    """The corpus answers by question id (files read in name order; a later entry for an id adds to it)."""
    answers: dict[str, list[Answer]] = {}
    for path in sorted(folder.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            slug = entry["id"]
            bucket = answers.setdefault(slug, [])
            for item in entry.get("strong") or []:
                bucket.append(Answer(slug, "strong", item.get("style", ""), item["text"]))
            for text in entry.get("partial") or []:
                bucket.append(Answer(slug, "partial", "", text if isinstance(text, str) else text["text"]))
            for item in entry.get("wrong") or []:
                bucket.append(Answer(slug, "wrong", item.get("kind", ""), item["text"]))
            if entry.get("salad"):
                bucket.append(Answer(slug, "salad", "", entry["salad"]))
    return answers


def expectation(kind: str, score: float) -> bool:
    """Does a score meet the bar of its answer class?"""
    if kind == "strong":
        return score >= STRONG_MIN
    if kind == "partial":
        return PARTIAL_BAND[0] < score < PARTIAL_BAND[1]
    if kind == "wrong":
        return score <= WRONG_MAX
    return score < SALAD_MAX  # salad, echo


@dataclass
class Graded:
    answer: Answer
    score: float
    label: str
    misconceptions: list[str]
    found: list[str]
    feedback: list[str]

    @property
    def ok(self) -> bool:
        return expectation(self.answer.kind, self.score) and (
            self.answer.kind != "strong" or self.label in ("Correct", "Mostly right")
        )


@dataclass
class QuestionReport:
    slug: str
    graded: list[Graded] = field(default_factory=list)
    cross_max: float = 0.0
    cross_from: str = ""

    @property
    def failures(self) -> list[Graded]:
        return [g for g in self.graded if not g.ok]

    @property
    def cross_ok(self) -> bool:
        return self.cross_max < CROSS_MAX

    def scores(self, kind: str) -> list[float]:
        return [g.score for g in self.graded if g.answer.kind == kind]


def grade_answer(spec: dict, answer: Answer) -> Graded:
    result = grade(spec, answer.text)
    return Graded(
        answer,
        result.score,
        result.label,
        [m["id"] for m in result.misconceptions],
        [c["id"] for c in result.concepts_found],
        result.feedback,
    )


def cross_grade(slug: str, specs: dict[str, dict]) -> tuple[float, str]:
    """The highest score any other question's model answer gets on this question's rubric, and whose."""
    best, source = 0.0, ""
    for other, spec in specs.items():
        if other == slug:
            continue
        score = grade(specs[slug], spec["model_answer"]).score
        if score > best:
            best, source = score, other
    return best, source


def report(slug: str, specs: dict[str, dict], corpus: dict[str, list[Answer]]) -> QuestionReport:
    spec = specs[slug]
    result = QuestionReport(slug)
    answers = list(corpus.get(slug, []))
    answers.append(Answer(slug, "echo", "", spec.get("prompt", "")))
    result.graded = [grade_answer(spec, answer) for answer in answers if answer.text]
    result.cross_max, result.cross_from = cross_grade(slug, specs)
    return result
