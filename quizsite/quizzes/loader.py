"""The quizzes section of the content: content/quizzes/*.yaml, one curated quiz per file."""

from dataclasses import dataclass
from pathlib import Path

from quizsite.questions.content import (
    ContentError,
    Report,
    check_slug,
    content_hash,
    parse_each_file,
    retire_missing,
    upsert,
)

QUIZ_KEYS = {"id", "title", "description", "mode", "time_limit_minutes", "questions"}
MODES = {"practice", "exam"}


@dataclass
class QuizContent:
    slug: str
    title: str
    description: str
    mode: str
    time_limit_s: int | None
    questions: list[str]
    file: str

    def hash(self) -> str:
        return content_hash(self.__dict__)


def parse_quiz(data, file: str, question_slugs: set[str], errors: list[ContentError]) -> QuizContent | None:
    if not isinstance(data, dict):
        errors.append(ContentError(file, "", "a quiz file must be a mapping (id, title, questions, ...)"))
        return None
    for key in sorted(set(data) - QUIZ_KEYS):
        errors.append(ContentError(file, key, "unknown field"))
    slug = data.get("id")
    ok = check_slug(slug, file, "id", errors)
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        errors.append(ContentError(file, "title", "is required"))
        ok = False
    description = data.get("description", "")
    if not isinstance(description, str):
        errors.append(ContentError(file, "description", "must be text"))
        description = ""
    mode = data.get("mode", "practice")
    if mode not in MODES:
        errors.append(ContentError(file, "mode", "must be practice or exam"))
        ok = False
    limit = data.get("time_limit_minutes")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 240):
        errors.append(ContentError(file, "time_limit_minutes", "must be a whole number of minutes, 1 to 240"))
        ok = False
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        errors.append(ContentError(file, "questions", "must be a non-empty list of question ids"))
        return None
    seen = set()
    for index, question in enumerate(questions):
        if question not in question_slugs:
            errors.append(ContentError(file, f"questions[{index}]", f"no question with id {question!r}"))
            ok = False
        elif question in seen:
            errors.append(ContentError(file, f"questions[{index}]", f"{question!r} is listed twice"))
            ok = False
        seen.add(question)
    if not ok:
        return None
    return QuizContent(slug, title.strip(), description.strip(), mode, limit * 60 if limit else None,
                       list(questions), file)


class QuizSection:
    name = "quizzes"
    position = 20

    def parse(self, root: Path, parsed: dict, errors: list[ContentError]) -> list[QuizContent]:
        question_slugs = parsed["questions"].question_slugs()
        return parse_each_file(
            root / "quizzes", root, errors, lambda data, file: parse_quiz(data, file, question_slugs, errors), "quiz"
        )

    def apply(self, items: list[QuizContent], parsed: dict, report: Report) -> None:
        from quizsite.questions.models import Question
        from quizsite.quizzes.models import Quiz, QuizItem

        counts = report.kind("quizzes")
        questions = {q.slug: q for q in Question.objects.only("pk", "slug")}
        existing = {q.slug: q for q in Quiz.objects.filter(is_curated=True)}
        for item in items:
            values = {
                "title": item.title,
                "description": item.description,
                "default_mode": item.mode,
                "time_limit_s": item.time_limit_s,
                "source_file": item.file,
                "content_hash": item.hash(),
                "is_curated": True,
                "is_retired": False,
                "owner": None,
            }
            quiz, written = upsert(Quiz, existing, item.slug, values, counts)
            if not written:
                continue
            quiz.items.all().delete()
            QuizItem.objects.bulk_create(
                QuizItem(quiz=quiz, question=questions[slug], position=i) for i, slug in enumerate(item.questions)
            )
        retire_missing(Quiz.objects.filter(is_curated=True), {q.slug for q in items}, counts)
