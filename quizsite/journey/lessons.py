"""Lessons are Markdown files under content/lessons/ with a small front matter block:

    ---
    id: load-testing-with-locust
    title: Load testing with Locust
    summary: One sentence for the home page.
    minutes: 30
    ---
    ## The lesson's first heading ...

The body is rendered by the site's sanitised Markdown renderer.
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings
from django.http import Http404

from quizsite.lib.markdown import render_markdown

REQUIRED = ("id", "title", "summary")


class LessonError(ValueError):
    """A lesson file that cannot be shown, with every problem listed as (field, message)."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {f'{name}: ' if name else ''}{message}" for name, message in problems))


@dataclass(frozen=True)
class Lesson:
    slug: str
    title: str
    summary: str
    minutes: int
    body: str

    @property
    def html(self) -> str:
        return render_markdown(self.body)


def parse_lesson(text: str, source: str) -> Lesson:
    """A lesson from its file text; LessonError names the file and every missing or wrong field."""
    if not text.startswith("---\n") or "\n---\n" not in text[4:]:
        raise LessonError(source, [("", "the file must start with a front matter block between '---' lines")])
    head, body = text[4:].split("\n---\n", 1)
    try:
        meta = yaml.safe_load(head) or {}
    except yaml.YAMLError as exc:
        raise LessonError(source, [("", f"the front matter is not YAML: {exc}")]) from None
    if not isinstance(meta, dict):
        raise LessonError(source, [("", "the front matter must be a mapping of fields")])
    problems = [(name, "required") for name in REQUIRED if not str(meta.get(name) or "").strip()]
    minutes = meta.get("minutes", 20)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 1:
        problems.append(("minutes", f"a whole number of minutes, got {minutes!r}"))
    if not body.strip():
        problems.append(("", "the lesson has no text after the front matter"))
    if problems:
        raise LessonError(source, problems)
    return Lesson(slug=str(meta["id"]), title=str(meta["title"]), summary=str(meta["summary"]).strip(),
                  minutes=minutes, body=body)


def lessons_dir() -> Path:
    return Path(settings.CONTENT_DIR) / "lessons"


@lru_cache(maxsize=32)
def _load(path: Path, mtime_ns: int) -> Lesson:
    return parse_lesson(path.read_text(encoding="utf-8"), str(path))


def get_lesson(slug: str) -> Lesson:
    """The lesson with that id (its file is <id>.md), or 404."""
    path = lessons_dir() / f"{slug}.md"
    if not slug.replace("-", "").isalnum() or not path.is_file():
        raise Http404("No such lesson")
    lesson = _load(path, path.stat().st_mtime_ns)
    if lesson.slug != slug:
        raise LessonError(str(path), [("id", f"{lesson.slug!r} does not match the file name {path.name!r}")])
    return lesson


def all_lessons() -> list[Lesson]:
    """Every lesson file; a LessonError (or several, in LessonSection) for broken ones."""
    return [get_lesson(path.stem) for path in sorted(lessons_dir().glob("*.md"))]


class LessonSection:
    """`load_content` (and `--check`) validates the lesson files with everything else; lessons are read
    from their files at request time, so there is nothing to write."""

    name = "lessons"
    position = 90

    def parse(self, root: Path, parsed: dict, errors: list) -> list[Lesson]:
        from quizsite.questions.content import ContentError

        lessons = []
        for path in sorted((root / "lessons").glob("*.md")):
            file = str(path.relative_to(root))
            try:
                lesson = parse_lesson(path.read_text(encoding="utf-8"), file)
            except LessonError as exc:
                errors.extend(ContentError(file, name, message) for name, message in exc.problems)
                continue
            if lesson.slug != path.stem:
                errors.append(ContentError(file, "id", f"{lesson.slug!r} does not match the file name"))
            lessons.append(lesson)
        return lessons

    def apply(self, items: list[Lesson], parsed: dict, report) -> None:
        return None
